"""What the evaluation's documents say: parties, numbers, dates and amounts in the formats Korean and
English business documents print them, the labels they put before them, and the names a caller gives
the fields it asks for. Written from how real documents look, not from the service's extraction rules.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

# --------------------------------------------------------------------------- parties

_SURNAMES = "김이박최정강조윤장임한오서신권황안송전홍유고문양손배백허남심노하곽성차주우구민진나"
_GIVEN = ["민준", "서연", "지훈", "하은", "도윤", "수빈", "예준", "지민", "현우", "유진", "태희", "성호", "정우",
          "은지", "상철", "영숙", "동현", "미경", "재원", "혜진", "승민", "나연", "경호", "보람"]  # fmt: skip
_ROMAN_SURNAME = {"김": "Kim", "이": "Lee", "박": "Park", "최": "Choi", "정": "Jung", "강": "Kang", "조": "Cho",
                  "윤": "Yoon", "장": "Jang", "임": "Lim", "한": "Han", "오": "Oh", "서": "Seo", "신": "Shin"}  # fmt: skip
_ROMAN_GIVEN = {"민준": "Min-jun", "서연": "Seo-yeon", "지훈": "Ji-hoon", "하은": "Ha-eun", "도윤": "Do-yun",
                "수빈": "Su-bin", "예준": "Ye-jun", "지민": "Ji-min", "현우": "Hyun-woo", "유진": "Yu-jin"}  # fmt: skip
# (Korean core, romanised), (Korean suffix, English suffix)
_CORES = [("한빛", "Hanbit"), ("대성", "Daesung"), ("세원", "Sewon"), ("동아", "Donga"), ("미래", "Mirae"),
          ("푸른", "Pureun"), ("태광", "Taekwang"), ("새한", "Saehan"), ("성진", "Sungjin"), ("다온", "Daon"),
          ("가온", "Gaon"), ("해솔", "Haesol"), ("늘봄", "Neulbom"), ("진성", "Jinsung"), ("한울", "Hanul"),
          ("삼정", "Samjung"), ("제일", "Jeil"), ("신흥", "Sinheung"), ("우진", "Woojin"), ("청운", "Cheongwoon")]  # fmt: skip
_KINDS = [("상사", "Trading"), ("테크", "Tech"), ("산업", "Industries"), ("물산", "Corporation"), ("유통", "Distribution"),
          ("식품", "Foods"), ("전자", "Electronics"), ("건설", "Construction"), ("디자인", "Design"),
          ("솔루션", "Solutions"), ("시스템즈", "Systems"), ("인터내셔널", "International"), ("정밀", "Precision")]  # fmt: skip
_EN_COMPANIES = ["Northwind Traders Ltd.", "Blue Harbor Inc.", "Contoso Supplies LLC", "Fabrikam Industries",
                 "Acme Office Co.", "Pinecrest Analytics", "Redwood Logistics Inc.", "Silver Lake Printing",
                 "Summit Ridge Consulting Ltd.", "Harborview Software", "Maple & Stone LLP", "Bright Path Media",
                 "Granite Peak Supply Co.", "Oakline Studio", "Tidewater Marine Parts", "Copperfield & Sons Ltd."]  # fmt: skip
_EN_PEOPLE = ["John Carter", "Emily Zhang", "Michael O'Neil", "Sarah Patel", "David Kim", "Laura Becker",
              "James Whitfield", "Priya Raman", "Carlos Mendez", "Hannah Scott", "Robert Lin", "Grace Turner"]  # fmt: skip
_KO_STORES = ["GS25 역삼점", "CU 판교테크노점", "이마트24 서초점", "세븐일레븐 신촌점", "스타벅스 강남대로점",
              "김밥천국 신림점", "다이소 홍대점", "올리브영 명동본점", "파리바게뜨 분당정자점", "교보문고 광화문점",
              "맘스터치 수원역점", "행복약국", "우리마트 연수점", "한솥도시락 대전둔산점", "카페 온기"]  # fmt: skip
_EN_STORES = ["Corner Market", "Bean There Coffee", "Lakeside Hardware", "Green Leaf Grocery", "Downtown Deli",
              "Paper & Ink Stationers", "Sunrise Bakery", "Harbor Pharmacy", "Main Street Books"]  # fmt: skip
# (Korean street address, its English form) with {n} the building number
_KO_STREETS = [("서울특별시 강남구 테헤란로 {n}", "{n}, Teheran-ro, Gangnam-gu, Seoul"),
               ("서울특별시 중구 세종대로 {n}", "{n}, Sejong-daero, Jung-gu, Seoul"),
               ("서울특별시 마포구 월드컵북로 {n}", "{n}, World Cup buk-ro, Mapo-gu, Seoul"),
               ("서울특별시 금천구 가산디지털1로 {n}", "{n}, Gasan digital 1-ro, Geumcheon-gu, Seoul"),
               ("경기도 성남시 분당구 판교역로 {n}", "{n}, Pangyoyeok-ro, Bundang-gu, Seongnam-si, Gyeonggi-do"),
               ("경기도 수원시 영통구 광교로 {n}", "{n}, Gwanggyo-ro, Yeongtong-gu, Suwon-si, Gyeonggi-do"),
               ("부산광역시 해운대구 센텀중앙로 {n}", "{n}, Centum jungang-ro, Haeundae-gu, Busan"),
               ("대전광역시 유성구 대학로 {n}", "{n}, Daehak-ro, Yuseong-gu, Daejeon"),
               ("인천광역시 연수구 송도과학로 {n}", "{n}, Songdogwahak-ro, Yeonsu-gu, Incheon"),
               ("대구광역시 수성구 달구벌대로 {n}", "{n}, Dalgubeol-daero, Suseong-gu, Daegu"),
               ("광주광역시 서구 상무중앙로 {n}", "{n}, Sangmujungang-ro, Seo-gu, Gwangju")]  # fmt: skip
_EN_ADDRESSES = ["1200 Market Street, Suite 400, San Francisco, CA 94103", "45 Harbor Way, Seattle, WA 98101",
                 "500 W Madison St, Chicago, IL 60661", "88 Pine Street, New York, NY 10005",
                 "2100 Ross Ave, Dallas, TX 75201", "310 SW 4th Ave, Portland, OR 97204",
                 "221 Baker Street, London NW1 6XE", "14 Deansgate, Manchester M3 2EY"]  # fmt: skip
TAX_OFFICES = [
    "역삼",
    "삼성",
    "강남",
    "서초",
    "중부",
    "마포",
    "분당",
    "수원",
    "해운대",
    "부산진",
    "대전",
    "북대구",
    "남인천",
]
KO_BUSINESS = [("도소매", "전자부품"), ("도매 및 소매업", "사무용품"), ("제조업", "금속가공"), ("서비스", "소프트웨어 개발"),
               ("정보통신업", "응용 소프트웨어 개발 및 공급"), ("음식점업", "한식"), ("건설업", "실내건축"),
               ("도소매", "컴퓨터 및 주변기기"), ("서비스", "광고대행")]  # fmt: skip
EN_BUSINESS = {"도소매": "Wholesale and Retail", "도매 및 소매업": "Wholesale and Retail Trade", "제조업": "Manufacturing",
               "서비스": "Services", "정보통신업": "Information and Communication", "음식점업": "Restaurants",
               "건설업": "Construction", "전자부품": "Electronic Components", "사무용품": "Office Supplies",
               "금속가공": "Metal Processing", "소프트웨어 개발": "Software Development",
               "응용 소프트웨어 개발 및 공급": "Application Software Development", "한식": "Korean Food",
               "실내건축": "Interior Construction", "컴퓨터 및 주변기기": "Computers and Peripherals",
               "광고대행": "Advertising Agency"}  # fmt: skip


@dataclass
class Party:
    name: str  # as printed
    name_en: str
    person: str
    person_en: str
    biz: str  # 123-45-67890
    phone: str
    phone_norm: str
    fax: str
    email: str
    address: str
    address_en: str
    corp: bool


def biz_number(r: random.Random, corp: bool) -> str:
    """A Korean business registration number with a valid check digit."""
    office = r.randint(101, 699)
    kind = r.choice([81, 86, 87, 88]) if corp else r.randint(1, 79)
    d = [int(c) for c in f"{office:03d}{kind:02d}{r.randint(0, 9999):04d}"]
    w = [1, 3, 7, 1, 3, 7, 1, 3, 5]
    s = sum(a * b for a, b in zip(d, w, strict=True)) + (d[8] * 5) // 10
    digits = "".join(map(str, d)) + str((10 - s % 10) % 10)
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def biz_valid(printed: str) -> bool:
    d = [int(c) for c in printed if c.isdigit()]
    if len(d) != 10:
        return False
    s = sum(a * b for a, b in zip(d[:9], [1, 3, 7, 1, 3, 7, 1, 3, 5], strict=True)) + (d[8] * 5) // 10
    return (10 - s % 10) % 10 == d[9]


def ko_phone(r: random.Random, mobile: bool = False) -> tuple[str, str]:
    """(printed, +82 normalised)."""
    if mobile:
        p = f"010-{r.randint(2000, 9999)}-{r.randint(1000, 9999)}"
    else:
        area = r.choice(["02", "02", "031", "032", "051", "053", "042", "062", "070"])
        mid = r.randint(200, 9999) if area in {"02", "070"} else r.randint(200, 999)
        p = f"{area}-{mid}-{r.randint(1000, 9999)}"
    return p, "+82" + p.replace("-", "")[1:]


def en_phone(r: random.Random, uk: bool) -> tuple[str, str]:
    if uk:
        a, b = r.randint(1000, 9999), r.randint(1000, 9999)
        return f"+44 20 {a} {b}", f"+4420{a}{b}"
    area, mid, last = r.choice([415, 206, 312, 212, 214, 503, 646]), r.randint(200, 999), r.randint(100, 9999)
    form = r.choice(["+1 ({a}) {m}-{l:04d}", "+1 {a}-{m}-{l:04d}", "+1 {a}.{m}.{l:04d}"])
    return form.format(a=area, m=mid, l=last), f"+1{area}{mid}{last:04d}"


def ko_person(r: random.Random) -> tuple[str, str]:
    s, g = r.choice(_SURNAMES), r.choice(_GIVEN)
    return s + g, f"{_ROMAN_SURNAME.get(s, 'Kim')} {_ROMAN_GIVEN.get(g, 'Sung-ho')}"


def ko_party(r: random.Random, store: bool = False) -> Party:
    core, roman = r.choice(_CORES)
    suffix, suffix_en = r.choice(_KINDS)
    corp = r.random() < 0.7 and not store
    if store:
        name = r.choice(_KO_STORES)
        name_en = roman + " Store"
    else:
        prefix = r.choice(["주식회사 ", "(주)", "㈜", "(주) "]) if corp else ""
        name = f"{prefix}{core}{suffix}" if r.random() < 0.8 or not corp else f"{core}{suffix} 주식회사"
        name_en = f"{roman} {suffix_en} Co., Ltd." if corp else f"{roman} {suffix_en}"
    person, person_en = ko_person(r)
    street, street_en = r.choice(_KO_STREETS)
    n = r.randint(1, 480)
    floor = r.randint(2, 15)
    extra, extra_en = r.choice(
        [(f", {floor}층", f", {floor}F"), (f" {floor}층 {r.randint(1, 9)}0{r.randint(1, 9)}호", f" {floor}F"), ("", "")]
    )
    phone, phone_norm = ko_phone(r, mobile=r.random() < 0.15)
    fax = phone[:-1] + str((int(phone[-1]) + 1) % 10)
    dom = r.choice([".co.kr", ".com", ".kr"])
    local = r.choice(["info", "sales", "tax", "billing", "account", "admin", "contact", "help"])
    email = f"{local}@{roman.lower()}{r.choice(['', suffix_en.lower()[:4], 'corp'])}{dom}"
    if r.random() < 0.15:
        email = email[0].upper() + email[1:]
    return Party(name, name_en, person, person_en, biz_number(r, corp), phone, phone_norm, fax, email,
                 street.format(n=n) + extra, street_en.format(n=n) + extra_en, corp)  # fmt: skip


def en_party(r: random.Random, uk: bool, store: bool = False) -> Party:
    name = r.choice(_EN_STORES if store else _EN_COMPANIES)
    person = r.choice(_EN_PEOPLE)
    phone, norm = en_phone(r, uk)
    address = r.choice([a for a in _EN_ADDRESSES if ("London" in a or "Manchester" in a) == uk])
    slug = "".join(c for c in name.split(" ")[0].lower() if c.isalpha()) + r.choice(["", "co", "hq"])
    email = f"{r.choice(['billing', 'accounts', 'ar', 'hello', 'orders'])}@{slug}.{'co.uk' if uk else 'com'}"
    return Party(name, name, person, person, "", phone, norm, "", email, address, address, True)


# --------------------------------------------------------------------------- dates and amounts


def a_date(r: random.Random) -> dt.date:
    return dt.date(2022, 1, 3) + dt.timedelta(days=r.randint(0, 1450))


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]  # fmt: skip


def ko_date(r: random.Random, d: dt.date, style: str | None = None) -> str:
    style = style or r.choice(["iso", "dot", "dot_sp", "hangul", "slash", "dot_end"])
    return {
        "iso": f"{d:%Y-%m-%d}",
        "dot": f"{d:%Y.%m.%d}",
        "dot_sp": f"{d.year}. {d.month}. {d.day}.",
        "hangul": f"{d.year}년 {d.month}월 {d.day}일",
        "hangul0": f"{d.year}년 {d.month:02d}월 {d.day:02d}일",
        "hangul_sp": f"{d.year} 년 {d.month:02d} 월 {d.day:02d} 일",
        "slash": f"{d:%Y/%m/%d}",
        "dot_end": f"{d:%Y.%m.%d}.",
    }[style]


def receipt_time(r: random.Random, d: dt.date, lang: str, uk: bool = False) -> str:
    h, m, s = r.randint(8, 22), r.randint(0, 59), r.randint(0, 59)
    if lang == "en" and uk:
        return r.choice(
            [f"{d:%d %b %Y} {h:02d}:{m:02d}", f"{d:%Y-%m-%d} {h:02d}:{m:02d}:{s:02d}"]
            + ([f"{d:%d/%m/%Y} {h:02d}:{m:02d}"] if d.day > 12 else [])
        )
    if lang == "en":
        ampm = f"{(h - 1) % 12 + 1}:{m:02d} {'PM' if h >= 12 else 'AM'}"
        return r.choice(
            [f"{d:%m/%d/%Y} {ampm}", f"{d:%m/%d/%y} {h:02d}:{m:02d}", f"{d:%Y-%m-%d} {h:02d}:{m:02d}:{s:02d}"]
        )
    return r.choice([f"{d:%Y-%m-%d} {h:02d}:{m:02d}:{s:02d}", f"{d:%y/%m/%d} {h:02d}:{m:02d}",
                     f"{d:%Y/%m/%d} {h:02d}:{m:02d}:{s:02d}", f"{d:%Y.%m.%d} {h:02d}:{m:02d}"])  # fmt: skip


def en_date(r: random.Random, d: dt.date, uk: bool, pick: int | None = None) -> str:
    """An English date; ``pick`` chooses the same form for every date of a document."""
    month = _MONTHS[d.month - 1]
    forms = [
        f"{month} {d.day}, {d.year}",
        f"{d.day} {month[:3]} {d.year}",
        f"{d:%Y-%m-%d}",
        f"{month[:3]} {d.day}, {d.year}",
    ]
    if uk:
        forms.append(f"{d.day} {month} {d.year}")
        if d.day > 12:  # a day/month order only where it cannot be read the other way
            forms.append(f"{d:%d/%m/%Y}")
    else:
        forms += [f"{d:%m/%d/%Y}", f"{d:%m/%d/%Y}"]
    return forms[pick % len(forms)] if pick is not None else r.choice(forms)


def en_long_date(d: dt.date) -> str:
    return f"{_MONTHS[d.month - 1]} {d.day}, {d.year}"


KO_MONEY = ("plain", "won", "won_sp", "sign", "bslash", "krw")
EN_MONEY = ("sym", "code", "plain", "sym_sp")


def money(style: str, v: float, lang: str, uk: bool = False) -> str:
    if lang == "ko":
        n = f"{int(v):,}"
        return {
            "plain": n,
            "won": n + "원",
            "won_sp": n + " 원",
            "sign": "₩" + n,
            "bslash": "\\" + n,
            "krw": "KRW " + n,
        }[style]
    n = f"{v:,.2f}"
    sym, code = ("£", "GBP") if uk else ("$", "USD")
    return {"sym": sym + n, "code": f"{code} {n}", "plain": n, "sym_sp": f"{sym} {n}"}[style]


_DIGITS = "영일이삼사오육칠팔구"


def hangul_amount(v: int) -> str:
    """1023000 -> 일백이만삼천 (the 일금 ... 원정 line of a statement)."""
    out = []
    for unit_i, unit in enumerate(["", "만", "억", "조"]):
        group = (v // 10 ** (4 * unit_i)) % 10000
        if not group:
            continue
        part = "".join(
            _DIGITS[int(c)] + u for c, u in zip(f"{group:04d}", ["천", "백", "십", ""], strict=True) if c != "0"
        )
        out.append(part + unit)
    return "".join(reversed(out)) or "영"


# --------------------------------------------------------------------------- items

KO_ITEMS = [("A4 복사용지", "80g 2500매", 20, 32), ("토너 카트리지", "CF259A", 60, 120), ("USB-C 케이블", "1m", 5, 15),
            ("모니터 27인치", "QHD", 250, 450), ("무선 키보드", "K380", 35, 60), ("사무용 의자", "메쉬", 120, 300),
            ("원두 커피", "1kg", 18, 35), ("생수", "2L×6", 5, 8), ("노트북 거치대", "알루미늄", 25, 60),
            ("외장 SSD", "1TB", 110, 180), ("유지보수 용역", "월", 300, 1500), ("디자인 용역", "식", 500, 3000),
            ("택배 운송료", "건", 3, 6), ("LED 조명", "30W", 15, 40), ("볼트 너트 세트", "M8", 2, 9),
            ("포장 박스", "3호", 1, 3), ("스테인리스 파이프", "25A", 12, 40)]  # fmt: skip
KO_SHOP = [("아메리카노", 4500), ("카페라떼", 5000), ("삼각김밥", 1300), ("바나나우유", 1700), ("생수 500ml", 900),
           ("김밥", 3500), ("라면", 4500), ("샌드위치", 5500), ("치킨버거세트", 8900), ("볼펜 0.5", 1500),
           ("A4 노트", 3000), ("건전지 AA 4입", 5500), ("종량제봉투 20L", 4900), ("핸드크림", 8900)]  # fmt: skip
EN_ITEMS = [("Consulting services", 85, 220), ("Website hosting (annual)", 120, 480), ("Laser printer toner", 45, 120),
            ("Office chair", 150, 400), ("Software license", 99, 999), ("Logo design", 300, 2500),
            ("Shipping & handling", 8, 40), ("Network switch 24-port", 180, 420), ("Copy paper (case)", 38, 65),
            ("Training workshop", 400, 1800), ("Cloud backup (monthly)", 20, 90), ("Installation labor", 60, 150)]  # fmt: skip
EN_SHOP = [("Latte", 4.75), ("Blueberry Muffin", 3.25), ("Bagel w/ cream cheese", 3.95), ("Drip Coffee", 2.5),
           ("Paper towels 6pk", 8.99), ("AA Batteries 8pk", 9.49), ("Wood screws 1-5/8in", 6.29), ("Milk 1 gal", 4.19),
           ("Bananas", 1.87), ("Notebook A5", 5.5), ("Gel pens 4pk", 7.25), ("Sourdough loaf", 6.0)]  # fmt: skip


# --------------------------------------------------------------------------- labels on the page

LABELS: dict[str, dict[str, list[str]]] = {
    "ko": {
        "doc_number": ["청구번호", "문서번호", "청구서 번호", "No.", "번호", "인보이스 번호"],
        "doc_number/receipt": ["영수증번호", "거래번호", "전표번호", "No."],
        "doc_number/statement": ["명세서번호", "No.", "전표번호", "문서번호"],
        "date": ["청구일자", "발행일", "작성일", "일자", "발행일자", "청구일"],
        "date/receipt": ["거래일시", "판매일시", "일시", "결제일시", "거래일자"],
        "date/statement": ["거래일자", "일자", "작성일자", "납품일자", "발행일"],
        "due_date": ["납부기한", "지급기한", "결제기한", "입금기한", "납기일"],
        "total": ["합계", "합계금액", "총액", "총 합계", "결제금액", "청구금액", "총 결제금액", "합계 금액", "총 금액"],
        "total/receipt": ["합계", "합계금액", "결제금액", "받을금액", "총 결제금액", "총액", "판매합계"],
        "total/statement": ["합계금액", "합계", "총 합계", "총액"],
        "subtotal": ["공급가액", "소계", "공급가액 합계", "물품가액"],
        "subtotal/receipt": ["과세물품가액", "과세물품", "공급가액", "물품가액"],
        "tax": ["부가세", "세액", "부가가치세", "VAT", "부가세액"],
        "vendor": ["공급자", "상호", "판매자", "발신", "공급업체"],
        "buyer": ["수신", "고객명", "거래처", "구매자", "청구처"],
        "biz_number": ["사업자등록번호", "사업자번호", "등록번호", "사업자 No."],
        "phone": ["전화", "전화번호", "TEL", "Tel.", "연락처", "대표전화"],
        "email": ["이메일", "E-mail", "전자우편", "Email"],
        "address": ["주소", "사업장 주소", "소재지", "사업장주소"],
        "representative": ["대표자", "대표", "성명", "대표이사"],
        "approval_number": ["승인번호", "승인 No", "카드승인번호"],
        "card_number": ["카드번호", "카드 No", "신용카드"],
    },
    "en": {
        "doc_number": ["Invoice No.", "Invoice #", "Invoice Number", "Invoice No", "Reference", "Inv. No."],
        "doc_number/receipt": ["Receipt #", "Receipt No.", "Trans #", "Order #", "Ticket"],
        "doc_number/statement": ["Statement No.", "Document No.", "Ref.", "Delivery Note No."],
        "date": ["Date", "Invoice Date", "Issued", "Date of Issue", "Issue Date"],
        "date/receipt": ["Date", "Date/Time", "Time"],
        "date/statement": ["Statement Date", "Date", "Delivery Date"],
        "due_date": ["Due Date", "Payment Due", "Due", "Pay By"],
        "total": ["Total", "Total Due", "Amount Due", "Grand Total", "Balance Due", "TOTAL", "Invoice Total"],
        "total/receipt": ["TOTAL", "Total", "Amount", "Total Paid", "BALANCE"],
        "subtotal": ["Subtotal", "Sub-total", "Net Amount", "Amount before tax", "Net"],
        "tax": ["Tax", "Sales Tax", "VAT", "Tax Amount"],
        "vendor": ["From", "Seller", "Supplier", "Vendor"],
        "buyer": ["Bill To", "Billed To", "Customer", "Sold To", "Client"],
        "phone": ["Phone", "Tel", "Tel.", "Telephone", "Ph."],
        "email": ["Email", "E-mail", "Mail"],
        "address": ["Address"],
        "approval_number": ["Auth Code", "Approval Code", "Auth #", "APPROVAL"],
        "card_number": ["Card", "Card No.", "Acct"],
    },
}


def label(r: random.Random, lang: str, concept: str, kind: str) -> str:
    table = LABELS[lang]
    return r.choice(table.get(f"{concept}/{kind}") or table[concept])
