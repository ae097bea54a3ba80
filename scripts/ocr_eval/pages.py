"""Rendered business pages with known text, for the accuracy evaluation (seeded, reproducible).

Korean pages mix Hangul with what business documents are full of: amounts, dates, phone, business and
account numbers, model names, Latin acronyms and e-mail addresses, the strings that OCR must not lose.
English pages are the same kinds of documents in English.

Fonts: the Korean pages use only fonts that the Korean recognizer's training never sees
(``HELD_OUT_FONTS``; scripts/korean_rec/fonts.py keeps them out of training), so these pages measure
how the reader does on print it was not trained on. Texts come from the templates below, not from the
training corpus. ``clean`` pages are plain renderings; ``scan`` pages add rotation, blur, noise, uneven
light and JPEG.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_ROOT = Path("/usr/share/fonts")
# Korean fonts kept out of the recognizer's training data (Debian fonts-unfonts-core, fonts-nanum-extra)
HELD_OUT_FONTS = (
    "truetype/unfonts-core/UnDotum.ttf",
    "truetype/unfonts-core/UnBatang.ttf",
    "truetype/unfonts-core/UnGraphic.ttf",
    "truetype/nanum/NanumBarunGothic.ttf",
    "truetype/nanum/NanumSquareRoundR.ttf",
    "truetype/unfonts-core/UnDotumBold.ttf",
)
ENGLISH_FONTS = (
    "truetype/dejavu/DejaVuSans.ttf",
    "truetype/dejavu/DejaVuSerif.ttf",
    "truetype/dejavu/DejaVuSansCondensed.ttf",
)

# --------------------------------------------------------------------------- Korean values

_SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
_GIVEN = ["민준", "서연", "지훈", "하은", "도윤", "수빈", "예준", "지민", "현우", "유진", "태희", "성호"]
_COMPANIES = [
    "한빛정보통신",
    "대명물산",
    "세종테크",
    "미래로지스",
    "청운식품",
    "새솔디자인",
    "동해건설",
    "누리소프트",
    "한결회계법인",
    "바른의료기",
    "오름전자",
    "가람출판사",
]
_SUFFIX = ["(주)", "주식회사 ", ""]
_CITIES = [
    "서울특별시 강남구 테헤란로",
    "부산광역시 해운대구 센텀중앙로",
    "경기도 성남시 분당구 판교역로",
    "대전광역시 유성구 대학로",
    "인천광역시 연수구 송도과학로",
    "광주광역시 북구 첨단과기로",
]
_PRODUCTS = [
    ("Galaxy S24 Ultra 256GB", "스마트폰"),
    ("iPad Air M2 11형", "태블릿"),
    ("LG gram 16Z90S", "노트북"),
    ("USB-C 허브 7in1", "주변기기"),
    ("Wi-Fi 6E 공유기 AX5400", "네트워크"),
    ("SSD 2TB NVMe", "저장장치"),
    ("A4 복사용지 80g", "사무용품"),
    ("HP LaserJet M404dn", "프린터"),
    ("Dell U2723QE 27인치", "모니터"),
    ("Logitech MX Keys", "키보드"),
    ("Office 365 E3 라이선스", "소프트웨어"),
    ("AWS 크레딧 100 USD", "클라우드"),
]
_ACRONYMS = ["AI", "OCR", "PDF", "API", "ERP", "CRM", "B2B", "ISO 9001", "KS X 1001", "QR", "IoT", "CCTV", "LED"]
_UNITS = ["개", "박스", "EA", "세트", "권", "대"]


def _name(r: random.Random) -> str:
    return r.choice(_SURNAMES) + r.choice(_GIVEN)


def _company(r: random.Random) -> str:
    return r.choice(_SUFFIX) + r.choice(_COMPANIES)


def _bizno(r: random.Random) -> str:
    return f"{r.randint(100, 899)}-{r.randint(10, 99)}-{r.randint(10000, 99999)}"


def _phone(r: random.Random) -> str:
    return r.choice([f"02-{r.randint(200, 999)}-{r.randint(1000, 9999)}",
                     f"031-{r.randint(200, 999)}-{r.randint(1000, 9999)}",
                     f"010-{r.randint(1000, 9999)}-{r.randint(1000, 9999)}",
                     f"1588-{r.randint(1000, 9999)}"])  # fmt: skip


def _won(r: random.Random, lo: int = 1_000, hi: int = 5_000_000) -> str:
    v = r.randint(lo // 10, hi // 10) * 10
    return f"{v:,}"


def _date(r: random.Random) -> str:
    y, m, d = r.randint(2023, 2026), r.randint(1, 12), r.randint(1, 28)
    return r.choice([f"{y}-{m:02d}-{d:02d}", f"{y}.{m:02d}.{d:02d}", f"{y}년 {m}월 {d}일", f"{y}/{m:02d}/{d:02d}"])


def _code(r: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return r.choice(
        [
            f"INV-{r.randint(2023, 2026)}{r.randint(1, 12):02d}-{r.randint(1, 9999):04d}",
            f"{r.choice(letters)}{r.choice(letters)}{r.randint(10000, 99999)}",
            f"PO{r.randint(100000, 999999)}",
            f"TS-{r.randint(20230101, 20261231)}-{r.randint(1, 999):04d}",
        ]
    )


def _korean_page(r: random.Random) -> list[str]:
    kind = r.choice(["invoice", "notice", "quote", "receipt", "contract"])
    company, buyer = _company(r), _company(r)
    lines: list[str] = []
    if kind == "invoice":
        lines += ["거 래 명 세 서" if r.random() < 0.3 else "거래명세서", f"문서번호: {_code(r)}  발행일: {_date(r)}",
                  f"공급자: {company} (대표 {_name(r)})", f"사업자등록번호 {_bizno(r)}",
                  f"주소: {r.choice(_CITIES)} {r.randint(1, 399)}, {r.randint(2, 15)}층",
                  f"공급받는자: {buyer} 귀하", f"전화 {_phone(r)} / 팩스 {_phone(r)}"]  # fmt: skip
        total = 0
        for _ in range(r.randint(3, 6)):
            prod, cat = r.choice(_PRODUCTS)
            qty, price = r.randint(1, 30), r.randint(5, 400) * 1000
            total += qty * price
            lines.append(f"{prod} ({cat}) {qty}{r.choice(_UNITS)} 단가 {price:,}원 금액 {qty * price:,}원")
        vat = total // 10
        lines += [f"공급가액 합계 {total:,}원", f"부가세(VAT 10%) {vat:,}원", f"총 합계금액 {total + vat:,}원",
                  f"입금계좌: 국민은행 {r.randint(100000, 999999)}-{r.randint(10, 99)}-{r.randint(100000, 999999)}",
                  "위 금액을 정히 영수(청구)합니다."]  # fmt: skip
    elif kind == "notice":
        acr = r.sample(_ACRONYMS, 4)
        lines += [f"{r.randint(2024, 2026)}년 {r.choice(['상반기', '하반기', '3분기'])} {acr[0]} 도입 안내",
                  f"수신: 전 부서장  발신: {company} 경영지원팀",
                  f"1. {acr[1]} 기반 업무 자동화 시스템을 {_date(r)}부터 운영합니다.",
                  f"2. 대상 문서는 세금계산서, 계약서, {acr[2]} 보고서 등 약 {r.randint(2, 90)},{r.randint(100, 999)}건입니다.",
                  f"3. 처리 시간은 건당 평균 {r.randint(2, 9)}분에서 {r.randint(10, 59)}초로 줄어듭니다.",
                  f"4. 인식 정확도 목표: 글자 기준 {r.randint(95, 99)}.{r.randint(0, 9)}%",
                  f"5. 교육 일정: {_date(r)} 오후 {r.randint(1, 5)}시, 본관 {r.randint(2, 12)}층 회의실",
                  f"6. {acr[3]} 관련 문의는 담당자 {_name(r)} 과장(내선 {r.randint(1000, 9999)})에게 하십시오.",
                  f"자료실: https://intra.{r.choice(['hanbit', 'daemyung', 'sejong'])}.example/{r.randint(100, 999)}",
                  f"메일: {r.choice(['help', 'admin', 'support'])}@{r.choice(['hanbit', 'nuri', 'orum'])}.example",
                  "붙임: 운영 계획서 1부. 끝."]  # fmt: skip
    elif kind == "quote":
        lines += ["견적서", f"견적번호 {_code(r)} / 유효기간 {_date(r)}까지", f"{buyer} 구매담당자 귀하",
                  f"{company}  사업자번호 {_bizno(r)}  담당 {_name(r)} {_phone(r)}"]  # fmt: skip
        for i in range(r.randint(4, 7)):
            prod, _cat = r.choice(_PRODUCTS)
            qty = r.randint(1, 50)
            lines.append(f"{i + 1}. {prod}  수량 {qty}  단가 {_won(r, 10_000, 3_000_000)}원")
        lines += [f"합계(부가세 별도) {_won(r, 1_000_000, 90_000_000)}원", f"납기: 발주 후 {r.randint(3, 30)}일 이내",
                  "결제조건: 납품 후 30일 이내 현금 결제"]  # fmt: skip
    elif kind == "receipt":
        lines += [f"{r.choice(['GS25', 'CU', '이마트24', '세븐일레븐'])} {r.choice(['역삼', '판교', '해운대', '송도'])}점",
                  f"사업자 {_bizno(r)}  대표 {_name(r)}", f"TEL {_phone(r)}", f"{_date(r)} {r.randint(7, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}  POS {r.randint(1, 9):02d}",
                  ]  # fmt: skip
        total = 0
        for _ in range(r.randint(3, 8)):
            item = r.choice(["삼각김밥", "바나나우유", "아메리카노 L", "생수 2L", "컵라면", "USB 충전기", "A4 노트"])
            qty, price = r.randint(1, 4), r.randint(8, 60) * 100
            total += qty * price
            lines.append(f"{item}  {qty}  {qty * price:,}")
        lines += [f"합계 {total:,}원", f"부가세 {total // 11:,}", f"신용카드 {r.choice(['KB국민', '신한', '삼성', '현대'])} {total:,}",
                  f"승인번호 {r.randint(10000000, 99999999)}  할부 일시불", f"카드번호 {r.randint(1000, 9999)}-****-****-{r.randint(1000, 9999)}"]  # fmt: skip
    else:
        lines += ["용역 계약서", f"{company}(이하 \"갑\")와 {buyer}(이하 \"을\")는 다음과 같이 계약한다.",
                  f"제1조(목적) 을은 갑에게 {r.choice(_ACRONYMS)} 시스템 구축 용역을 제공한다.",
                  f"제2조(기간) 계약 기간은 {_date(r)}부터 {_date(r)}까지로 한다.",
                  f"제3조(대금) 계약 금액은 금 {_won(r, 5_000_000, 900_000_000)}원(VAT 포함)으로 한다.",
                  f"제4조(지급) 선금 {r.randint(10, 50)}%, 잔금은 검수 완료 후 {r.randint(7, 60)}일 이내 지급한다.",
                  "제5조(보안) 을은 ISO 27001 기준에 따라 자료를 관리한다.",
                  f"갑: {company} 대표이사 {_name(r)} (인)", f"을: {buyer} 대표이사 {_name(r)} (인)",
                  f"계약일: {_date(r)}"]  # fmt: skip
    return lines


_EN_WORDS = ["Invoice", "Quotation", "Receipt", "Purchase Order", "Delivery Note", "Statement"]


def _english_page(r: random.Random) -> list[str]:
    lines = [f"{r.choice(_EN_WORDS)} No. {_code(r)}", f"Date: {r.randint(1, 28)} {r.choice(['Jan', 'Mar', 'Jun', 'Sep', 'Nov'])} {r.randint(2023, 2026)}",
             f"Bill to: {r.choice(['Northwind Traders', 'Contoso Ltd.', 'Acme Corp.', 'Globex Inc.'])}",
             f"{r.randint(10, 999)} {r.choice(['Market St', 'Harbor Rd', 'Elm Avenue', 'King Street'])}, Suite {r.randint(100, 999)}",
             f"Phone +1 {r.randint(200, 999)}-{r.randint(200, 999)}-{r.randint(1000, 9999)}"]  # fmt: skip
    total = 0.0
    for _ in range(r.randint(4, 8)):
        prod, _cat = r.choice(_PRODUCTS)
        if any("\uac00" <= ch <= "\ud7a3" for ch in prod):
            prod = r.choice(["Laser toner 85A", "Office chair ergo", "HDMI cable 2m", "Desk lamp LED"])
        qty, price = r.randint(1, 20), r.randint(500, 90000) / 100
        total += qty * price
        lines.append(f"{prod}  x{qty}  ${price:,.2f}  ${qty * price:,.2f}")
    tax = total * 0.08
    lines += [f"Subtotal ${total:,.2f}", f"Sales tax (8%) ${tax:,.2f}", f"Total due ${total + tax:,.2f}",
              f"Payment within {r.choice([14, 30, 45])} days to IBAN DE{r.randint(10, 99)} {r.randint(1000, 9999)} {r.randint(1000, 9999)}",
              f"Questions? billing@{r.choice(['contoso', 'northwind', 'acme'])}.example"]  # fmt: skip
    return lines


# --------------------------------------------------------------------------- rendering


@dataclass
class RenderedPage:
    name: str
    lang: str  # korean | en
    variant: str  # clean | scan
    png: bytes
    reference: str  # lines joined by \n


def _render(lines: list[str], font_file: str, size: int, r: random.Random) -> Image.Image:
    font = ImageFont.truetype(str(FONT_ROOT / font_file), size)
    width, margin = 1240, 90
    line_h = round(size * r.uniform(1.6, 2.0))
    height = max(1754, margin * 2 + line_h * len(lines))
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    y = margin
    for text in lines:
        if draw.textlength(text, font=font) > width - 2 * margin:
            raise ValueError(f"line too long for the page at {size}px: {text}")
        draw.text((margin, y), text, font=font, fill=(20, 20, 20))
        y += line_h
    return img


def _scan(img: Image.Image, r: random.Random) -> Image.Image:
    """Rotation, blur, noise, uneven light, JPEG: a printed page through an office scanner or a phone."""
    img = img.rotate(r.uniform(-1.2, 1.2), resample=Image.Resampling.BICUBIC, expand=False, fillcolor="white")
    img = img.filter(ImageFilter.GaussianBlur(r.uniform(0.5, 1.1)))
    a = np.asarray(img).astype(np.float32)
    h, w = a.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    light = 1.0 - r.uniform(0.05, 0.2) * ((xx / w) * r.uniform(0.3, 1) + (yy / h) * r.uniform(0.3, 1)) / 2
    a = a * light[..., None] * r.uniform(0.9, 1.0) + r.uniform(0, 20)
    a += np.random.default_rng(r.randint(0, 2**31)).normal(0, r.uniform(3, 8), a.shape)
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=r.randint(55, 80))
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _fit(lines: list[str], font_file: str, size: int) -> int:
    font = ImageFont.truetype(str(FONT_ROOT / font_file), size)
    while size > 14 and max(font.getlength(t) for t in lines) > 1240 - 180:
        size -= 1
        font = ImageFont.truetype(str(FONT_ROOT / font_file), size)
    return size


def rendered_pages(lang: str, count: int, seed: int = 2026) -> list[RenderedPage]:
    """``count`` pages of ``lang`` (korean | en), half clean and half scanned, each a fresh document."""
    r = random.Random(f"{lang}-{seed}")
    fonts = HELD_OUT_FONTS if lang == "korean" else ENGLISH_FONTS
    pages = []
    for i in range(count):
        lines = _korean_page(r) if lang == "korean" else _english_page(r)
        font_file = fonts[i % len(fonts)]
        size = _fit(lines, font_file, r.randint(20, 30))
        img = _render(lines, font_file, size, r)
        variant = "scan" if i % 2 else "clean"
        if variant == "scan":
            img = _scan(img, r)
        buf = io.BytesIO()
        img.save(buf, format="JPEG" if variant == "scan" else "PNG", quality=95)
        pages.append(RenderedPage(f"{lang}-{i:02d}-{Path(font_file).stem}-{size}px-{variant}", lang, variant,
                                  buf.getvalue(), "\n".join(lines)))  # fmt: skip
    return pages
