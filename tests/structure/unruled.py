"""A seeded set of business documents whose item tables have no ruling lines: invoices, bank statements
and receipts in Korean and English, with varied column sets, gaps, alignments and scan-like wear.

Each document is drawn with PIL (tests/render.py fonts) and remembers its tables cell by cell, so the
/structure tests and the report below can score what came back (tests/structure/scores.py):

    python -m tests.structure.unruled [--n 24] [--seed 7] [--save DIR]

reads every document with the real engines through the service (/structure over HTTP) and prints cell
accuracy and the TEDS-style structure score per kind (the figures in docs/structure.md); with ``--items``
it scores /extraction's line_items on the invoices and receipts instead (docs/extraction.md).
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from tests.render import font

KINDS = ("invoice", "statement", "receipt")


@dataclass
class Column:
    heading: str
    kind: str  # "text" (left-aligned) or "num" (right-aligned)


@dataclass
class Doc:
    name: str
    kind: str
    lang: str
    image: Image.Image
    tables: list[list[list[str]]] = field(default_factory=list)  # each: rows x cols of cell texts
    lines: list[str] = field(default_factory=list)  # every text line drawn outside the tables

    def png(self) -> bytes:
        buf = io.BytesIO()
        self.image.save(buf, format="PNG")
        return buf.getvalue()


# ---- vocabulary ------------------------------------------------------------------------------------

KO_ITEMS = [
    "A4 복사용지", "볼펜 0.5mm 흑색", "사무용 의자", "모니터 받침대", "무선 마우스", "클리어 파일",
    "유지보수 용역", "문서 인식 서비스", "클라우드 저장소", "노트북 거치대", "프린터 토너", "택배 운송비",
    "설치비", "교육 지원", "USB 메모리 64GB", "회의실 대여",
]  # fmt: skip
EN_ITEMS = [
    "Printer paper A4", "Ballpoint pens", "Office chair", "Monitor stand", "Wireless mouse", "Cloud storage",
    "Support plan", "OCR service subscription", "Consulting", "Shipping", "Installation", "Training session",
    "USB drive 64GB", "Desk lamp",
]  # fmt: skip
KO_SPECS = ["500매", "12입", "EA", "1식", "BOX", "월", "대", "10개"]
KO_UNITS = ["EA", "BOX", "식", "개", "대"]
KO_STATEMENT = [
    "급여", "이체 김민수", "카드결제 스타벅스", "통신요금 자동이체", "관리비", "이자", "ATM 출금",
    "이체 박지영", "보험료", "카드대금", "환급금", "현금 입금",
]  # fmt: skip
EN_STATEMENT = [
    "Salary ACME Corp", "Transfer J. Kim", "Card purchase Cafe", "Phone bill", "Rent", "Interest",
    "ATM withdrawal", "Insurance", "Card payment", "Tax refund", "Cash deposit", "Utilities",
]  # fmt: skip
KO_BRANCH = ["강남", "역삼", "인터넷", "모바일", "본점"]
KO_RECEIPT_ITEMS = [
    "아메리카노", "카페라떼", "바닐라라떼", "치즈케이크", "생수 500ml", "우유 1L", "식빵", "계란 10구",
    "바나나", "두부", "김밥", "라면", "초코우유", "샌드위치",
]  # fmt: skip
EN_RECEIPT_ITEMS = [
    "Americano", "Latte", "Cheesecake", "Water 500ml", "Milk 1L", "Bread", "Eggs 12", "Bananas",
    "Sandwich", "Orange juice", "Bagel", "Muffin",
]  # fmt: skip

INVOICE_COLUMNS = {
    "ko": [
        ["품목", "수량", "단가", "금액"],
        ["품명", "규격", "수량", "단가", "공급가액", "세액"],
        ["No", "품목명", "단위", "수량", "단가", "금액"],
        ["상품명", "수량", "판매가", "금액"],
    ],
    "en": [
        ["Description", "Qty", "Unit price", "Amount"],
        ["Item", "Description", "Hours", "Rate", "Amount"],
        ["No", "Product", "Units", "Price", "Total"],
    ],
}
STATEMENT_COLUMNS = {
    "ko": [
        ["거래일자", "적요", "출금액", "입금액", "잔액"],
        ["거래일시", "내용", "찾으신금액", "맡기신금액", "잔액", "거래점"],
    ],
    "en": [["Date", "Description", "Withdrawals", "Deposits", "Balance"]],
}
RECEIPT_COLUMNS = {
    "ko": [["상품명", "단가", "수량", "금액"], ["품명", "수량", "금액"]],
    "en": [["Item", "Qty", "Price"], ["Item", "Price", "Qty", "Amount"]],
}
TEXT_HEADINGS = {"품목", "품명", "품목명", "상품명", "규격", "단위", "적요", "내용", "거래점", "거래일자", "거래일시"}
TEXT_HEADINGS |= {"Description", "Item", "Product", "Date"}


def _kind(heading: str) -> str:
    return "text" if heading in TEXT_HEADINGS else "num"


def _money(v: int, lang: str, rng: random.Random, suffix: bool) -> str:
    if lang == "ko":
        return f"{v:,}" + ("원" if suffix else "")
    return f"{v / 100:,.2f}"


# ---- rows ----------------------------------------------------------------------------------------


def _invoice_rows(heads: Sequence[str], lang: str, rng: random.Random) -> list[list[str]]:
    items = rng.sample(KO_ITEMS if lang == "ko" else EN_ITEMS, rng.randint(3, 7))
    suffix = lang == "ko" and rng.random() < 0.3
    rows = []
    total = 0
    for n, item in enumerate(items, 1):
        qty = rng.choice([1, 1, 2, 3, 5, 10, 12, 20])
        price = rng.choice([1200, 3500, 8900, 12000, 25000, 45000, 100000, 150000]) * (100 if lang == "en" else 1)
        price = price // 100 * 100 if lang == "en" else price
        amount = qty * price
        total += amount
        row = []
        for h in heads:
            if h == "No":
                row.append(str(n))
            elif h in ("수량", "Qty", "Hours", "Units"):
                row.append(str(qty))
            elif h in ("단가", "판매가", "Unit price", "Rate", "Price"):
                row.append(_money(price, lang, rng, suffix))
            elif h in ("금액", "공급가액", "Amount", "Total"):
                row.append(_money(amount, lang, rng, suffix))
            elif h == "세액":
                row.append(_money(amount // 10, lang, rng, suffix))
            elif h == "규격":
                row.append(rng.choice(KO_SPECS))
            elif h == "단위":
                row.append(rng.choice(KO_UNITS))
            elif h == "Description" and "Item" in heads:
                row.append(rng.choice(["Monthly", "On site", "Remote", "Express", "Standard"]))
            else:
                row.append(item)
        rows.append(row)
    if rng.random() < 0.6:  # a totals row in the table, its amount under the last column
        label = rng.choice(["합계", "소계", "총 합계"]) if lang == "ko" else rng.choice(["Total", "Subtotal"])
        total_row = [""] * len(heads)
        total_row[0 if heads[0] != "No" else 1] = label
        total_row[-1] = _money(total // 10 if heads[-1] == "세액" else total, lang, rng, suffix)
        rows.append(total_row)
    return rows


def _statement_rows(heads: Sequence[str], lang: str, rng: random.Random) -> list[list[str]]:
    balance = rng.randint(200, 5000) * 1000
    rows = []
    day = rng.randint(1, 5)
    for _ in range(rng.randint(5, 10)):
        day += rng.randint(0, 3)
        deposit = rng.random() < 0.35
        amount = rng.choice([4500, 12000, 35000, 55000, 120000, 350000, 2500000])
        balance += amount if deposit else -amount
        row = []
        for h in heads:
            if h in ("거래일자", "Date"):
                row.append(f"2026-11-{min(day, 28):02d}" if lang == "ko" else f"11/{min(day, 28):02d}/2026")
            elif h == "거래일시":
                row.append(f"11.{min(day, 28):02d} {rng.randint(8, 21):02d}:{rng.randint(0, 59):02d}")
            elif h in ("적요", "내용", "Description"):
                row.append(rng.choice(KO_STATEMENT if lang == "ko" else EN_STATEMENT))
            elif h in ("출금액", "찾으신금액", "Withdrawals"):
                row.append("" if deposit else _money(amount, lang, rng, False))
            elif h in ("입금액", "맡기신금액", "Deposits"):
                row.append(_money(amount, lang, rng, False) if deposit else "")
            elif h in ("잔액", "Balance"):
                row.append(_money(balance, lang, rng, False))
            else:
                row.append(rng.choice(KO_BRANCH))
        rows.append(row)
    return rows


def _receipt_rows(heads: Sequence[str], lang: str, rng: random.Random) -> list[list[str]]:
    items = rng.sample(KO_RECEIPT_ITEMS if lang == "ko" else EN_RECEIPT_ITEMS, rng.randint(2, 6))
    rows = []
    for item in items:
        qty = rng.choice([1, 1, 1, 2, 3])
        price = rng.choice([1500, 2800, 4500, 5200, 6800, 9900]) if lang == "ko" else rng.choice([250, 399, 450, 675])
        row = []
        for h in heads:
            if h in ("수량", "Qty"):
                row.append(str(qty))
            elif h == "단가" or (h == "Price" and "Amount" in heads):
                row.append(_money(price, lang, rng, False))
            elif h in ("금액", "Amount", "Price"):
                row.append(_money(price * qty, lang, rng, False))
            else:
                row.append(item)
        rows.append(row)
    return rows


# ---- drawing ---------------------------------------------------------------------------------------


class _Sheet:
    def __init__(self, lang: str, width: int, height: int, size: int, rng: random.Random) -> None:
        self.img = Image.new("RGB", (width, height), "white")
        self.draw = ImageDraw.Draw(self.img)
        self.lang = lang
        self.size = size
        self.rng = rng
        self.font = font("nanum" if lang == "ko" else "dejavu", size)
        self.bold = font("nanum-bold" if lang == "ko" else "dejavu-bold", size)
        self.margin = int(width * 0.07)
        self.y = int(size * 2.5)
        self.lines: list[str] = []

    def line(self, text: str, *, bold: bool = False, scale: float = 1.0, center: bool = False) -> None:
        f = font(("nanum" if self.lang == "ko" else "dejavu") + ("-bold" if bold else ""), int(self.size * scale))
        w = self.draw.textlength(text, font=f)
        x = (self.img.width - w) / 2 if center else self.margin
        self.draw.text((x, self.y), text, font=f, fill="black")
        self.lines.append(text)
        self.y += int(self.size * scale * 1.7)

    def pair(self, label: str, value: str) -> None:
        """A label at the left margin and its value at the right margin (receipt totals)."""
        self.draw.text((self.margin, self.y), label, font=self.font, fill="black")
        w = self.draw.textlength(value, font=self.font)
        self.draw.text((self.img.width - self.margin - w, self.y), value, font=self.font, fill="black")
        self.lines.append(f"{label} {value}")
        self.y += int(self.size * 1.7)

    def rule(self, dashed: bool) -> None:
        y = self.y + self.size // 3
        x0, x1 = self.margin, self.img.width - self.margin
        if dashed:
            for x in range(x0, x1, 14):
                self.draw.line([(x, y), (min(x + 7, x1), y)], fill="black", width=2)
        else:
            self.draw.line([(x0, y), (x1, y)], fill="black", width=2)
        self.y += self.size

    def table(
        self,
        heads: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        gap: float,
        header_rule: bool,
        names: Sequence[tuple[str, str, str]] | None = None,
    ) -> None:
        """Columns as wide as their widest text plus ``gap`` (in font sizes), text left-aligned, numbers
        right-aligned (headings like their column, or centred over it), no rules except an optional line
        under the header. With ``names`` (a POS receipt: name, code, option per row) each row's item name is
        on a line of its own above its numbers line, whose first column holds only its code (or nothing), and
        its option, if any, on a line under it."""
        cols = len(heads)
        kinds = [_kind(h) for h in heads]
        widths = [max(self.draw.textlength(r[c], font=self.font) for r in [list(heads), *rows]) for c in range(cols)]
        if names is not None:  # the first column is as wide as what its numbers lines hold
            codes = [code for _, code, _ in names]
            widths[0] = max(
                [
                    self.draw.textlength(heads[0], font=self.font),
                    *(self.draw.textlength(c, font=self.font) for c in codes),
                ]
            )
            rows = [[code, *row[1:]] for code, row in zip(codes, rows, strict=True)]
        space = gap * self.size
        room = self.img.width - 2 * self.margin
        total = sum(widths) + space * (cols - 1)
        if total < room:  # spread the spare width over the gaps (page-wide tables, as printed)
            space += (room - total) / max(1, cols - 1) * self.rng.uniform(0.0, 1.0)
        xs = [float(self.margin)]
        for w in widths[:-1]:
            xs.append(xs[-1] + w + space)
        step = int(self.size * self.rng.uniform(1.55, 1.9))
        centred = self.rng.random() < 0.4  # headings centred over their columns instead of aligned
        for r, row in enumerate([list(heads), *rows]):
            f = self.bold if r == 0 and self.rng.random() < 0.5 else self.font
            if r and names is not None:
                self.draw.text((xs[0], self.y), names[r - 1][0], font=f, fill="black")
                self.y += step
            for c, text in enumerate(row):
                w = self.draw.textlength(text, font=f)
                x = xs[c] if kinds[c] == "text" else xs[c] + widths[c] - w
                if r == 0 and centred:
                    x = xs[c] + (widths[c] - w) / 2
                self.draw.text((x, self.y), text, font=f, fill="black")
            self.y += step
            if r and names is not None and names[r - 1][2]:
                self.draw.text((xs[0], self.y), names[r - 1][2], font=f, fill="black")
                self.y += step
            if r == 0 and header_rule:
                self.rule(dashed=self.rng.random() < 0.5)
        self.y += self.size


def _wear(img: Image.Image, rng: random.Random) -> Image.Image:
    """Scan-like wear: a slight tilt, blur, grey paper, noise."""
    if rng.random() < 0.5:
        img = img.rotate(rng.uniform(-0.6, 0.6), resample=Image.Resampling.BICUBIC, fillcolor="white", expand=False)
    if rng.random() < 0.6:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    arr = np.asarray(img).astype(np.float32)
    paper = rng.uniform(225, 250)
    arr = arr * (paper / 255.0)
    arr += np.random.default_rng(rng.randint(0, 2**31)).normal(0, rng.uniform(2, 7), arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _invoice(lang: str, rng: random.Random) -> tuple[_Sheet, list[list[str]]]:
    s = _Sheet(lang, 1240, 1754, rng.choice([22, 24, 26]), rng)
    if lang == "ko":
        s.line(rng.choice(["거래명세서", "견적서", "세금계산서"]), bold=True, scale=1.8, center=True)
        s.line(
            f"공급자 {rng.choice(['주식회사 한빛', '(주)대한상사', '누리소프트'])}  등록번호 {rng.randint(100, 999)}-45-67890"
        )
        s.line(
            f"공급받는자 {rng.choice(['서울전자', '미래물산', '가온텍'])}  작성일자 2026년 11월 {rng.randint(1, 28)}일"
        )
    else:
        s.line(rng.choice(["INVOICE", "Quotation", "Tax Invoice"]), bold=True, scale=1.8, center=True)
        s.line(f"Invoice No. INV-2026-{rng.randint(100, 999)}   Date: November {rng.randint(1, 28)}, 2026")
        s.line(f"Bill to: {rng.choice(['Northwind Ltd.', 'Contoso Pte', 'Fabrikam Inc.'])}")
    s.y += s.size
    heads = rng.choice(INVOICE_COLUMNS[lang])
    rows = _invoice_rows(heads, lang, rng)
    s.table(heads, rows, gap=rng.uniform(1.2, 3.0), header_rule=rng.random() < 0.5)
    s.line("위와 같이 청구합니다." if lang == "ko" else "Payment due within 30 days. Thank you.")
    return s, [list(heads), *rows]


def _statement(lang: str, rng: random.Random) -> tuple[_Sheet, list[list[str]]]:
    s = _Sheet(lang, 1240, 1754, rng.choice([20, 22, 24]), rng)
    if lang == "ko":
        s.line("거래내역조회", bold=True, scale=1.6, center=True)
        s.line(
            f"예금주 {rng.choice(['김민수', '이서연', '박지훈'])}   계좌번호 {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(100000, 999999)}"
        )
        s.line("조회기간 2026-11-01 ~ 2026-11-30")
    else:
        s.line("Account Statement", bold=True, scale=1.6, center=True)
        s.line(
            f"Account holder: {rng.choice(['Min-su Kim', 'Grace Lee', 'Daniel Park'])}   Account: {rng.randint(1000, 9999)}-{rng.randint(100000, 999999)}"
        )
        s.line("Period: 11/01/2026 - 11/30/2026")
    s.y += s.size
    heads = rng.choice(STATEMENT_COLUMNS[lang])
    rows = _statement_rows(heads, lang, rng)
    s.table(heads, rows, gap=rng.uniform(1.5, 3.0), header_rule=rng.random() < 0.7)
    return s, [list(heads), *rows]


KO_OPTIONS = ["ICED/포장", "-> 샷추가", "(포장)", "+ 시럽 1", "HOT/매장"]
EN_OPTIONS = ["+ oat milk", "-> to go", "(large)", "+ extra shot"]


def _two_line(heads: Sequence[str], rows: list[list[str]], lang: str) -> list[tuple[str, str, str]]:
    """A POS receipt's rows: each item's name on a line of its own, then its numbers line (the first column
    empty, or a product code on half of the English ones), an option under some items. The rows' first cells
    become what the table should give: name, code and option together. Drawn from its own generator, so the
    documents are otherwise those of the same seed."""
    own = random.Random(f"{heads}{rows}")
    coded = lang == "en" and own.random() < 0.5
    names = []
    for row in rows:
        option = own.choice(KO_OPTIONS if lang == "ko" else EN_OPTIONS) if own.random() < 0.3 else ""
        code = f"*{own.randint(10**7, 10**8 - 1)}" if coded else ""
        names.append((row[0], code, option))
        row[0] = " ".join(t for t in (row[0], code, option) if t)
    return names


def _receipt(lang: str, rng: random.Random, two_line: bool = False) -> tuple[_Sheet, list[list[str]]]:
    heads = rng.choice(RECEIPT_COLUMNS[lang])
    rows = _receipt_rows(heads, lang, rng)
    names = _two_line(heads, rows, lang) if two_line else None
    height = 780 + (120 if two_line else 50) * len(rows)
    s = _Sheet(lang, rng.choice([640, 720]), height, rng.choice([22, 24]), rng)
    if lang == "ko":
        s.line(rng.choice(["카페 온기", "행복마트 역삼점", "빵굽는집"]), bold=True, scale=1.4, center=True)
        s.line(f"사업자 {rng.randint(100, 999)}-81-{rng.randint(10000, 99999)}")
        s.line(f"2026-11-{rng.randint(1, 28):02d} {rng.randint(8, 21):02d}:{rng.randint(10, 59)}")
    else:
        s.line(rng.choice(["Corner Cafe", "Fresh Market", "Bakery 21"]), bold=True, scale=1.4, center=True)
        s.line(f"{rng.randint(10, 99)} Main Street")
        s.line(f"11/{rng.randint(1, 28):02d}/2026 {rng.randint(8, 21):02d}:{rng.randint(10, 59)}")
    s.rule(dashed=True)
    s.table(heads, rows, gap=rng.uniform(0.8, 2.0), header_rule=rng.random() < 0.7, names=names)
    s.rule(dashed=True)
    total = sum(int(r[-1].replace(",", "").replace(".", "")) for r in rows)
    if lang == "ko":
        s.pair("합계", f"{total:,}")
        s.pair("부가세", f"{total // 11:,}")
        s.line("감사합니다")
    else:
        s.pair("TOTAL", f"{total / 100:,.2f}")
        s.line("Thank you!")
    return s, [list(heads), *rows]


BUILDERS = {"invoice": _invoice, "statement": _statement, "receipt": _receipt}


def generate(n: int = 24, seed: int = 7, *, two_line: bool = False) -> list[Doc]:
    """``n`` documents, the kinds and languages in turn, everything else drawn from ``seed``; with
    ``two_line`` the receipts print each item's name on a line of its own (POS receipts)."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        lang = "ko" if (i // len(KINDS)) % 2 == 0 else "en"
        sheet, grid = _receipt(lang, rng, two_line) if kind == "receipt" else BUILDERS[kind](lang, rng)
        img = _wear(sheet.img, rng) if rng.random() < 0.7 else sheet.img
        docs.append(Doc(f"{kind}-{lang}-{i:02d}", kind, lang, img, [grid], sheet.lines))
    return docs


# ---- the report --------------------------------------------------------------------------------------


def table_grids(body: dict) -> list[list[list[str]]]:
    """Every table of a /structure answer as rows x cols of cell texts (a spanned cell at its top-left)."""
    grids = []
    for page in body["pages"]:
        for b in page["blocks"]:
            t = b.get("table")
            if b["type"] != "table" or not t:
                continue
            grid = [["" for _ in range(t["cols"])] for _ in range(t["rows"])]
            for c in t["cells"]:
                grid[c["row"]][c["col"]] = c["text"]
            grids.append(grid)
    return grids


def score_docs(post, docs: Sequence[Doc]) -> list[dict]:
    """Each document sent through ``post(doc) -> /structure JSON``, scored against its drawn tables."""
    from tests.structure.scores import best_match

    rows = []
    for doc in docs:
        body = post(doc)
        grids = table_grids(body)
        for truth in doc.tables:
            acc, ted, got = best_match(truth, grids)
            method = next(
                (b["table"]["method"] for p in body["pages"] for b in p["blocks"] if b["type"] == "table"), None
            )
            rows.append({"name": doc.name, "kind": doc.kind, "lang": doc.lang, "cells": acc, "teds": ted,
                         "shape": f"{len(got)}x{len(got[0]) if got else 0}" if got else "-",
                         "truth": f"{len(truth)}x{len(truth[0])}", "method": method, "got": got, "want": truth})  # fmt: skip
    return rows


def summary(rows: Sequence[dict]) -> dict[str, tuple[float, float, int]]:
    """Mean cell accuracy and TEDS-style score per kind and language, and over all."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(f"{r['kind']} {r['lang']}", []).append(r)
    groups["all"] = list(rows)
    return {
        k: (sum(r["cells"] for r in v) / len(v), sum(r["teds"] for r in v) / len(v), len(v))
        for k, v in sorted(groups.items())
    }


TOTAL_WORDS = ("합계", "소계", "총 합계", "Total", "Subtotal")


def score_items(extract, docs: Sequence[Doc]) -> tuple[int, int, int]:
    """The invoices' and receipts' item rows against ``extract(doc) -> /extraction JSON``'s line_items:
    (rows with every cell right, rows drawn, extra items), totals rows not counted as items."""
    right = total = extra = 0
    for doc in docs:
        if doc.kind == "statement":
            continue
        (grid,) = doc.tables
        heads = grid[0]
        want = [row for row in grid[1:] if not any(c in TOTAL_WORDS for c in row[:2])]
        got = extract(doc)["line_items"]
        right += sum(
            all(
                "".join(item["cells"].get(h, "").split()) == "".join(t.split()) for h, t in zip(heads, row, strict=True)
            )
            for row, item in zip(want, got, strict=False)
        )
        total += len(want)
        extra += max(0, len(got) - len(want))
    return right, total, extra


def skewed(doc: Doc, degrees: float) -> Doc:
    """The document turned by ``degrees`` (as a handheld photo is): its tables' cells are the same."""
    turned = doc.image.rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor="white", expand=True)
    return Doc(doc.name, doc.kind, doc.lang, turned, doc.tables, doc.lines)


def main() -> None:
    import argparse
    import time
    from pathlib import Path

    import httpx

    from tests.conftest import TEST_KEY, ThreadServer
    from tests.structure.conftest import structure_app

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--save", type=Path, help="write each document's PNG here")
    ap.add_argument("--show", action="store_true", help="print every table that is not all right")
    ap.add_argument("--items", action="store_true", help="score /extraction's line_items on the invoices and receipts")
    ap.add_argument(
        "--skew", type=float, default=0.0, help="turn every page by this many degrees, alternately each way (photos)"
    )
    ap.add_argument("--two-line", action="store_true", help="receipts with each item's name on a line of its own")
    ap.add_argument(
        "--no-level", action="store_true", help="look for tables on slanted pages as they are (the figures before)"
    )
    args = ap.parse_args()
    if args.no_level:
        import app.features.structure.pipeline as pipeline

        pipeline.find_level = lambda find, lines, candidates, gray: find(lines, candidates, gray)  # type: ignore[assignment]
    docs = generate(args.n, args.seed, two_line=args.two_line)
    if args.skew:
        docs = [skewed(d, args.skew if k % 2 else -args.skew) for k, d in enumerate(docs)]
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for d in docs:
            (args.save / f"{d.name}.png").write_bytes(d.png())
    with ThreadServer(structure_app()) as srv:
        end = time.monotonic() + 180
        while httpx.get(srv.url + "/health", timeout=180).status_code != 200 and time.monotonic() < end:
            time.sleep(0.5)

        def post(doc: Doc) -> dict:
            r = httpx.post(
                srv.url + "/structure",
                headers={"x-api-key": TEST_KEY},
                files={"file": (f"{doc.name}.png", doc.png(), "image/png")},
                data={"lang": "korean" if doc.lang == "ko" else "en"},
                timeout=300,
            )
            r.raise_for_status()
            return r.json()

        def extract(doc: Doc) -> dict:
            r = httpx.post(
                srv.url + "/extraction",
                headers={"x-api-key": TEST_KEY},
                files={"file": (f"{doc.name}.png", doc.png(), "image/png")},
                data={"template": doc.kind, "lang": "korean" if doc.lang == "ko" else "en"},
                timeout=300,
            )
            r.raise_for_status()
            return r.json()

        t0 = time.perf_counter()
        if args.items:
            right, total, extra = score_items(extract, docs)
            print(f"line items: {right}/{total} rows with every cell right ({right / total:.1%}), {extra} extra")
            print(f"({len(docs)} documents, seed {args.seed}, in {time.perf_counter() - t0:.0f} s)")
            return
        rows = score_docs(post, docs)
        took = time.perf_counter() - t0
    for r in rows:
        print(
            f"{r['name']:<16} {r['truth']:>5} -> {r['shape']:>5}  cells {r['cells']:6.1%}  teds {r['teds']:6.1%}  {r['method']}"
        )
        if args.show and r["cells"] < 1:
            print("   want:", r["want"])
            print("   got: ", r["got"])
    print()
    print(f"{'group':<14} {'docs':>4} {'cells':>7} {'TEDS-style':>10}")
    for k, (acc, ted, n) in summary(rows).items():
        print(f"{k:<14} {n:>4} {acc:7.1%} {ted:10.1%}")
    print(f"\n{len(docs)} documents (seed {args.seed}) in {took:.0f} s")


if __name__ == "__main__":
    main()
