"""Text lines to render for training: what Korean receipts, invoices, forms, notices and web pages print.

A seeded mixture of generators (``LineMaker.line``):
- prose: Korean words by corpus frequency (wordfreq's Korean list, flattened so rare words appear),
  with particles, endings and punctuation, now and then a Latin word, a number or a code inside;
- labelled values: ``[라벨] 값``, ``라벨: 값``, ``라벨 값`` with amounts, dates, times, phone, business,
  card and approval numbers, codes, addresses and names, as receipts and forms print them;
- item rows: product name, quantity, unit price, amount;
- addresses, names, companies and job titles (Faker's ko_KR provider);
- Latin text and codes alone: English words, acronyms, model numbers, e-mail addresses, URLs;
- uniform random syllables of KS X 1001, so that rare syllables are seen too.
Every line is NFC and uses only characters of ``charset.characters()`` (plus space).
"""

from __future__ import annotations

import random
import string

from scripts.korean_rec.charset import SYMBOLS, characters, ksx1001_hangul

PARTICLES = ["은", "는", "이", "가", "을", "를", "의", "에", "에서", "으로", "로", "와", "과", "도", "만", "까지",
             "부터", "에게", "께", "보다", "처럼", "이나", "나", "요", "입니다", "합니다", "하며", "하고", "된",
             "되는", "하는", "한", "할", "해", "했다", "됩니다", "있습니다", "없음", "포함", "별도"]  # fmt: skip
# labels printed on receipts, invoices, statements and forms
LABELS = [
    "합계", "총액", "총 금액", "결제금액", "받을금액", "받은금액", "거스름돈", "부가세", "부가세액", "과세금액",
    "면세금액", "공급가액", "공급대가", "세액", "할인", "할인금액", "봉사료", "단가", "수량", "금액", "품명",
    "상품명", "메뉴명", "품목", "규격", "비고", "카드번호", "카드종류", "승인번호", "승인일시", "할부", "할부개월",
    "할부기간", "일시불", "결제방법", "결제수단", "거래일시", "거래일자", "매출일", "영수증", "영수증번호",
    "주문번호", "주문시간", "테이블", "단말기번호", "가맹점번호", "가맹점명", "매장명", "상호", "대표자", "대표",
    "사업자번호", "사업자등록번호", "주소", "전화", "전화번호", "TEL", "FAX", "팩스", "담당자", "계산원", "POS",
    "발행일", "작성일자", "공급자", "공급받는자", "등록번호", "성명", "업태", "종목", "계좌번호", "입금계좌",
    "예금주", "은행", "납기일", "유효기간", "견적번호", "문서번호", "계약번호", "고객번호", "회원번호", "포인트",
    "적립", "사용", "잔여", "현금", "신용카드", "체크카드", "현금영수증", "소득공제", "지출증빙", "교환/환불",
    "소재지", "지번", "건물명", "구조", "용도", "면적", "대지권", "소유권", "호수", "층", "감정가", "평가액",
    "일련번호", "접수번호", "처리기한", "신청인", "생년월일", "연락처", "이메일", "홈페이지", "배송지", "수령인",
]  # fmt: skip
ITEMS = [
    "아메리카노", "아이스 아메리카노", "카페라떼", "바닐라라떼", "카푸치노", "녹차라떼", "딸기 스무디", "자몽에이드",
    "밀크티", "버블티", "타로 밀크티", "흑당 버블티", "레몬에이드", "얼그레이", "캐모마일", "생수", "콜라", "사이다",
    "김치찌개", "된장찌개", "순두부찌개", "부대찌개", "제육볶음", "불고기", "비빔밥", "돌솥비빔밥", "냉면", "물냉면",
    "칼국수", "수제비", "만두", "떡볶이", "순대", "튀김", "김밥", "참치김밥", "라면", "공기밥", "삼겹살", "목살",
    "갈비탕", "설렁탕", "감자탕", "닭발", "무뼈닭발", "치킨", "양념치킨", "후라이드", "피자", "족발", "보쌈", "모듬조개",
    "소주", "맥주", "생맥주", "막걸리", "하이볼", "계란", "두부", "우유", "바나나", "사과", "배추", "양파", "대파",
    "감자", "고구마", "돼지고기", "소고기", "닭가슴살", "쌀", "식빵", "과자", "아이스크림", "휴지", "물티슈", "세제",
    "샴푸", "치약", "칫솔", "건전지", "볼펜", "노트", "A4용지", "포스트잇", "테이프", "봉투", "종이가방", "쇼핑백",
    "일회용컵", "빨대", "포장", "배달", "감기약", "소화제", "진통제", "파스", "밴드", "마스크", "영양제", "비타민",
    "순살소금꼬치", "호두과자", "핫바", "어묵", "우동", "주유", "휘발유", "경유", "주차요금", "통행료",
]  # fmt: skip
ITEM_SUFFIX = ["", "", "", " L", " R", " (L)", " ICE", " HOT", "(포장)", " 1인분", " 2인분", " 500ml", " 1.5L", " 2L",
               " 1kg", " 10개입", " 세트", " 대", " 중", " 소", "/COLD", "/HOT"]  # fmt: skip
UNITS = ["개", "EA", "박스", "병", "잔", "인분", "봉", "팩", "세트", "권", "대", "장", "매", "건", "회", "ea", "set"]
BANKS = ["국민", "신한", "우리", "하나", "농협", "기업", "IBK", "카카오뱅크", "토스뱅크", "SC제일", "부산", "대구"]
CARDS = ["KB국민카드", "신한카드", "삼성카드", "현대카드", "롯데카드", "BC카드", "하나카드", "우리카드", "NH농협카드",
         "IBK비씨체크", "현대AMEX카드", "카카오페이", "네이버페이", "삼성페이", "제로페이"]  # fmt: skip
SHOPS = ["GS25", "CU", "이마트24", "세븐일레븐", "이마트", "롯데마트", "홈플러스", "다이소", "올리브영", "스타벅스",
         "투썸플레이스", "이디야커피", "메가MGC커피", "빽다방", "공차", "파리바게뜨", "뚜레쥬르", "교보문고", "영풍문고",
         "롯데리아", "맥도날드", "버거킹", "BBQ", "교촌치킨", "배스킨라빈스", "약국", "휴게소", "주유소"]  # fmt: skip
LATIN_WORDS = [
    "TOTAL", "SUBTOTAL", "TAX", "VAT", "CASH", "CARD", "CHANGE", "RECEIPT", "INVOICE", "DATE", "TIME", "TEL", "FAX",
    "POS", "NO", "QTY", "AMOUNT", "PRICE", "ITEM", "ORDER", "TABLE", "BILL", "CASHIER", "MEMBER", "POINT", "COUPON",
    "ICED", "HOT", "SIZE", "Tall", "Grande", "Venti", "Regular", "Large", "Small", "Coffee", "Latte", "Roast", "City",
    "Samsung", "Galaxy", "Ultra", "Plus", "Pro", "Max", "mini", "iPhone", "iPad", "MacBook", "LG", "gram", "SK",
    "KT", "Wi-Fi", "USB", "HDMI", "LED", "OLED", "SSD", "HDD", "RAM", "CPU", "GPU", "AI", "OCR", "PDF", "API", "ERP",
    "CRM", "B2B", "B2C", "IoT", "CCTV", "QR", "NFC", "ISO", "KS", "KC", "HACCP", "GMP", "FTA", "EMS", "DHL", "UPS",
    "Seoul", "Busan", "Korea", "Republic", "Co.", "Ltd.", "Inc.", "Corp.", "Service", "Center", "Store", "Mart",
    "Delivery", "Express", "Premium", "Special", "Event", "Sale", "Free", "Open", "Close", "Check", "Out", "In",
    "KYOBO", "EDC", "IC", "MS", "VAN", "KICC", "NICE", "KSNET", "SMARTRO", "the", "and", "of", "for", "with", "from",
]  # fmt: skip
TLDS = ["com", "co.kr", "kr", "net", "or.kr", "go.kr", "ac.kr", "org", "io"]


def _digits(r: random.Random, n: int) -> str:
    return "".join(r.choice(string.digits) for _ in range(n))


class LineMaker:
    """``line()`` returns one training text line; deterministic for a seed."""

    def __init__(self, seed: int) -> None:
        from faker import Faker
        from wordfreq import top_n_list

        self.r = random.Random(seed)
        self.fake = Faker("ko_KR")
        self.fake.seed_instance(seed)
        allowed = set(characters())
        words = [w for w in top_n_list("ko", 30000, wordlist="small") if w and all(c in allowed for c in w)]
        self.words = words
        # sampling weight ~ rank^-0.6: common words dominate less than in real text, rare ones appear
        self.word_weights = [(i + 10) ** -0.6 for i in range(len(words))]
        self.hangul = ksx1001_hangul()
        self.symbols = list(SYMBOLS)
        self.allowed = allowed
        self.makers = [
            (self.prose, 26), (self.labelled, 22), (self.item_row, 12), (self.address, 6), (self.person_company, 5),
            (self.latin, 9), (self.numbers, 7), (self.syllables, 8), (self.notice, 5),
        ]  # fmt: skip
        self.maker_weights = [w for _, w in self.makers]

    # ------------------------------------------------------------------ values

    def word(self) -> str:
        return self.r.choices(self.words, self.word_weights)[0]

    def amount(self) -> str:
        r = self.r
        v = r.choice(
            [r.randint(1, 99) * 100, r.randint(1, 999) * 10, r.randint(1000, 99999) * 10, r.randint(1, 9999999)]
        )
        s = f"{v:,}" if r.random() < 0.85 else str(v)
        if r.random() < 0.08:
            s = "-" + s
        return s + r.choice(["", "", "", "원", " 원", "원", "₩"]) if not s.endswith("원") else s

    def date(self) -> str:
        r = self.r
        y, m, d = r.randint(1995, 2029), r.randint(1, 12), r.randint(1, 28)
        return r.choice([f"{y}-{m:02d}-{d:02d}", f"{y}.{m:02d}.{d:02d}", f"{y}/{m:02d}/{d:02d}", f"{y}년 {m}월 {d}일",
                         f"{y}.{m}.{d}", f"{y % 100:02d}/{m:02d}/{d:02d}", f"{y}{m:02d}{d:02d}", f"{y}년{m:02d}월{d:02d}일"])  # fmt: skip

    def time(self) -> str:
        r = self.r
        h, mi, s = r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)
        return r.choice(
            [f"{h:02d}:{mi:02d}:{s:02d}", f"{h:02d}:{mi:02d}", f"{h}시 {mi}분", f"오후 {h % 12 + 1}:{mi:02d}"]
        )

    def phone(self) -> str:
        r = self.r
        area = r.choice(["02", "031", "032", "051", "053", "041", "042", "062", "064", "010", "070", "1588", "1577"])
        sep = r.choice(["-", "-", "-", ")", " ", "."])
        if area in ("1588", "1577"):
            return f"{area}-{_digits(r, 4)}"
        return f"{area}{sep}{_digits(r, r.choice([3, 4]))}-{_digits(r, 4)}"

    def bizno(self) -> str:
        r = self.r
        sep = r.choice(["-", "-", "-", " - ", ""])
        return f"{_digits(r, 3)}{sep}{_digits(r, 2)}{sep}{_digits(r, 5)}"

    def card(self) -> str:
        r = self.r
        mask = r.choice(["*", "*", "X", "x", "#"])
        return r.choice([
            f"{_digits(r, 4)}-{_digits(r, 2)}{mask * 2}-{mask * 4}-{_digits(r, 4)}",
            f"{_digits(r, 4)}-{mask * 4}-{mask * 4}-{_digits(r, 4)}",
            f"{_digits(r, 6)}{mask * 6}{_digits(r, 4)}",
            f"{_digits(r, 4)} {_digits(r, 2)}{mask * 2} {mask * 4} {_digits(r, 3)}{mask}",
        ])  # fmt: skip

    def code(self) -> str:
        r = self.r
        up = string.ascii_uppercase
        return r.choice([
            f"{r.choice(up)}{r.choice(up)}{_digits(r, r.randint(4, 8))}",
            f"{r.choice(['INV', 'PO', 'SO', 'TS', 'NO', 'KR', 'SP', 'ORD'])}-{_digits(r, r.randint(4, 8))}-{_digits(r, r.randint(2, 5))}",
            _digits(r, r.randint(6, 18)),
            f"*{_digits(r, 13)}{r.choice(up)}",
            f"{_digits(r, 8)}-{_digits(r, 2)}-{_digits(r, 4)}",
            f"{r.choice(up)}{_digits(r, 2)}{r.choice(up)}{r.choice(up)}{_digits(r, 3)}",
            f"{r.choice(['S', 'A', 'Z', 'M', 'X', 'G'])}{r.randint(2, 99)} {r.choice(['Ultra', 'Plus', 'Pro', 'FE', 'Lite'])}",
            f"{r.randint(16, 1024)}{r.choice(['GB', 'TB', 'MB', 'mAh', 'W', 'Hz', 'ml', 'mm', 'cm', 'kg', 'g'])}",
            f"{r.choice(up)}{r.choice(up)}{r.choice(up)}-{_digits(r, 3)}{r.choice(up)}",
        ])  # fmt: skip

    def email(self) -> str:
        r = self.r
        user = (
            "".join(r.choice(string.ascii_lowercase + string.digits + "._") for _ in range(r.randint(3, 10))).strip(
                "._"
            )
            or "help"
        )
        dom = "".join(r.choice(string.ascii_lowercase) for _ in range(r.randint(3, 8)))
        return f"{user}@{dom}.{r.choice(TLDS)}"

    def url(self) -> str:
        r = self.r
        dom = "".join(r.choice(string.ascii_lowercase) for _ in range(r.randint(3, 9)))
        path = "/".join(
            "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(r.randint(2, 6)))
            for _ in range(r.randint(0, 2))
        )
        return f"{r.choice(['https://', 'http://', 'www.', ''])}{dom}.{r.choice(TLDS)}" + (f"/{path}" if path else "")

    def value(self) -> str:
        r = self.r
        return r.choices(
            [self.amount, self.date, lambda: f"{self.date()} {self.time()}", self.phone, self.bizno, self.card,
             self.code, self.email, self.url, self.fake.name, self.fake.company, self.fake.address,
             lambda: r.choice(CARDS), lambda: f"{r.randint(1, 12)}개월" if r.random() < 0.5 else "일시불",
             lambda: _digits(r, r.randint(4, 12)), lambda: f"{r.randint(1, 99)}{r.choice(UNITS)}", self.word],
            [14, 8, 6, 6, 5, 4, 8, 2, 2, 2, 2, 2, 2, 2, 5, 3, 4],
        )[0]()  # fmt: skip

    # ------------------------------------------------------------------ line kinds

    def prose(self) -> str:
        r = self.r
        out = []
        for _ in range(r.randint(1, 9)):
            x = r.random()
            if x < 0.07:
                w = r.choice(LATIN_WORDS)
            elif x < 0.13:
                w = r.choice(
                    [self.amount(), str(r.randint(1, 9999)), self.date(), f"{r.randint(1, 100)}%", self.code()]
                )
            else:
                w = self.word()
                if r.random() < 0.35:
                    w += r.choice(PARTICLES)
            out.append(w)
        sep = " " if r.random() < 0.9 else ""
        text = sep.join(out)
        if r.random() < 0.3:
            text += r.choice([".", ",", "?", "!", "...", ":", ".", "다.", "요.", "니다."])
        if r.random() < 0.1:
            text = (
                r.choice(["(", "[", "「", "『", "<", "“", "‘"]) + text + r.choice([")", "]", "」", "』", ">", "”", "’"])
            )
        if r.random() < 0.06:
            text = r.choice(self.symbols) + r.choice(["", " "]) + text
        return text

    def labelled(self) -> str:
        r = self.r
        label = r.choice(LABELS)
        if r.random() < 0.12:  # letter-spaced headings: 합 계, 상 품 명
            label = " ".join(label.replace(" ", ""))
        style = r.random()
        v = self.value()
        if style < 0.3:
            return f"[{label}] {v}" if r.random() < 0.8 else f"[{label}]{v}"
        if style < 0.6:
            return f"{label}{r.choice([':', ' :', ': ', ' : '])}{v}" if r.random() < 0.9 else f"{label}:{v}"
        if style < 0.75:
            return f"{label} {v}"
        if style < 0.85:
            return f"{label}{r.choice(['', ' '])}{r.choice(['(', '['])}{self.value()}{r.choice([')', ']'])} {v}"
        return f"{label}  {v}  {r.choice(LABELS)} {self.value()}"

    def item_row(self) -> str:
        r = self.r
        name = r.choice(ITEMS) + r.choice(ITEM_SUFFIX)
        if r.random() < 0.15:
            name = r.choice(["*", "#", "(면)", "▶", "-"]) + name
        if r.random() < 0.15:
            name = f"({r.choice(ITEMS)}) {name}"
        qty, price = (
            r.randint(1, 12),
            r.choice([r.randint(1, 99) * 100, r.randint(10, 999) * 100, r.randint(1, 9) * 1000]),
        )
        fmt = r.random()
        if fmt < 0.4:
            return f"{name} {price:,} {qty} {qty * price:,}"
        if fmt < 0.6:
            return f"{name}  {qty}{r.choice(UNITS)}  {qty * price:,}원"
        if fmt < 0.75:
            return f"{r.randint(1, 99):02d} {name} {qty * price:,}"
        if fmt < 0.9:
            return f"{name} x{qty} {qty * price:,}"
        return f"{name}"

    def address(self) -> str:
        r = self.r
        a = self.fake.address() if r.random() < 0.7 else self.fake.road_address()
        if r.random() < 0.4:
            a += f", {r.randint(1, 30)}층" if r.random() < 0.5 else f" {r.randint(101, 2505)}호"
        if r.random() < 0.2:
            a = f"({self.fake.postcode()}) " + a
        return a

    def person_company(self) -> str:
        r = self.r
        return r.choice([
            f"{self.fake.company()} 대표 {self.fake.name()}",
            f"{r.choice(SHOPS)} {self.fake.city()}점",
            f"{self.fake.job()} {self.fake.name()}",
            f"{self.fake.name()} 귀하",
            f"{r.choice(['(주)', '주식회사 ', '㈜', ''])}{self.fake.company().replace('(주)', '').replace('주식회사', '').strip()}",
            f"{r.choice(BANKS)}은행 {_digits(r, 3)}-{_digits(r, 6)}-{_digits(r, 2)}-{_digits(r, 3)}",
        ])  # fmt: skip

    def latin(self) -> str:
        r = self.r
        kind = r.random()
        if kind < 0.35:
            return " ".join(r.choice(LATIN_WORDS) for _ in range(r.randint(1, 6)))
        if kind < 0.55:
            return r.choice([self.email(), self.url()])
        if kind < 0.8:
            return f"{r.choice(LATIN_WORDS)} {self.code()}"
        words = [r.choice(LATIN_WORDS) if r.random() < 0.5 else self.word() for _ in range(r.randint(2, 6))]
        return " ".join(words)

    def numbers(self) -> str:
        r = self.r
        return r.choice([
            f"{self.amount()} {self.amount()}",
            f"{self.date()} {self.time()}",
            f"{r.randint(1, 99)} {self.amount()} {self.amount()}",
            self.phone(), self.bizno(), self.card(), self.code(),
            f"{r.randint(0, 9999) / 100:.2f}",
            f"{r.randint(1, 999)}.{r.randint(0, 99):02d}㎡",
            " ".join(_digits(r, 1) for _ in range(r.randint(3, 10))),
        ])  # fmt: skip

    def syllables(self) -> str:
        r = self.r
        words = ["".join(r.choice(self.hangul) for _ in range(r.randint(1, 5))) for _ in range(r.randint(1, 4))]
        return " ".join(words)

    def notice(self) -> str:
        r = self.r
        head = r.choice(["※", "*", "-", "▶", "■", "●", "1.", "2)", "가.", "①", "◈", ""])
        body = " ".join(self.word() + (r.choice(PARTICLES) if r.random() < 0.5 else "") for _ in range(r.randint(2, 7)))
        return f"{head} {body}".strip()

    # ------------------------------------------------------------------ the mixture

    def line(self, max_chars: int = 34) -> str:
        for _ in range(20):
            maker = self.r.choices(self.makers, self.maker_weights)[0][0]
            text = " ".join(maker().split()) if self.r.random() < 0.97 else maker()
            text = "".join(c for c in text if c == " " or c in self.allowed).strip()
            if not text:
                continue
            if len(text) > max_chars:
                cut = self.r.randint(0, len(text) - max_chars)
                text = text[cut : cut + max_chars].strip()
            if text:
                return text
        return "합계"
