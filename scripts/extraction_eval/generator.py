"""Seeded evaluation documents for ``POST /extraction``: invoices, receipts, tax invoices (세금계산서),
transaction statements (거래명세서) and business registration certificates (사업자등록증), Korean and
English, each with the caller's ``fields`` request and the expected values.

Written without looking at the service's extraction rules (app/features/extraction/): labels, layouts,
formats and the callers' field names come from how real documents and real integrations look
(scripts/extraction_eval/values.py, callers.py), so the set measures how the rules generalise.

    generate(seed, n) -> list[EvalDoc]      # deterministic for a seed
    SPLITS = {"dev": (101, 20), "tune": (303, 40), "heldout": (202, 40)}
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from PIL import Image

from scripts.extraction_eval import values as V
from scripts.extraction_eval.callers import TYPES, choose_names, fields_string
from scripts.extraction_eval.render import GREY, KV_STYLES, TOTAL_STYLES, Page, encode, faces, kv, scan, table, totals

W, H = 1240, 1754  # A4 at 150 dpi
SPLITS = {"dev": (101, 20), "tune": (303, 40), "heldout": (202, 40)}
KINDS = ("invoice", "receipt", "tax_invoice", "statement", "biz_reg")
# one round of (kind, language); generate() walks shuffled rounds, so 40 documents hold every kind 8 times
_ROUND = [("invoice", "ko"), ("invoice", "en"), ("receipt", "ko"), ("receipt", "en"), ("tax_invoice", "ko"),
          ("tax_invoice", "ko"), ("statement", "ko"), ("statement", "en"), ("biz_reg", "ko"), ("biz_reg", "en")]  # fmt: skip


@dataclass
class Fact:
    printed: str  # exactly as drawn on the page
    expected: Any  # normalised: ISO date, float amount, 10 digits, +82..., lower-case e-mail, text as printed
    type: str


@dataclass
class EvalDoc:
    id: str
    kind: str
    lang: str  # ko | en
    image: Image.Image
    fields: str  # the form value, exactly as sent
    expected: dict[str, Any]
    concepts: dict[str, str]
    types: dict[str, str]
    printed: dict[str, str]
    drawn_lines: list[str] = field(repr=False, default_factory=list)
    jpeg_quality: int | None = None
    scanned: bool = False
    face: str = ""

    @property
    def api_lang(self) -> str:
        return "korean" if self.lang == "ko" else "en"

    @property
    def filename(self) -> str:
        return f"{self.id}.{'jpg' if self.jpeg_quality else 'png'}"

    @cached_property
    def data(self) -> bytes:
        return encode(self.image, self.jpeg_quality)


class Build:
    """One document being drawn: its random choices, its page, and the facts drawn so far."""

    def __init__(self, r: random.Random, kind: str, lang: str) -> None:
        self.r, self.kind, self.lang, self.ko = r, kind, lang, lang == "ko"
        self.uk = not self.ko and r.random() < 0.3
        self.facts: dict[str, Fact] = {}
        self.face = r.choice(faces(lang))
        self.size = r.randint(22, 28) if kind == "receipt" else r.randint(24, 33)
        self.margin = r.randint(70, 110)
        self.kv_style = r.choice(KV_STYLES)
        self.total_style = r.choice(TOTAL_STYLES)
        self.sep = r.choice([": ", " : ", "  ", "： " if self.ko else ": ", " "])
        self.money_style = r.choice(V.KO_MONEY if self.ko else V.EN_MONEY)
        self.date_style = r.choice(["iso", "dot", "dot_sp", "hangul", "hangul0", "slash", "dot_end"])
        self.date_pick = r.randrange(12)
        self.rate = 0.0
        width = r.randint(560, 640) if kind == "receipt" else W
        self.page = Page(width, 2600 if kind == "receipt" else H, self.face)

    def fact(self, concept: str, printed: str, expected: Any = None) -> str:
        typ = TYPES[concept]
        if expected is None:
            expected = {"biz_number": "".join(c for c in printed if c.isdigit()), "email": printed.lower()}.get(
                typ, printed
            )
        self.facts.setdefault(concept, Fact(printed, expected, typ))
        return printed

    def L(self, concept: str) -> str:
        return V.label(self.r, self.lang, concept, self.kind)

    def money(self, v: float) -> str:
        return V.money(self.money_style, v, self.lang, self.uk)

    def plain(self, v: float) -> str:
        return f"{int(v):,}" if self.ko else f"{v:,.2f}"

    def date(self, d: dt.date) -> str:
        return V.ko_date(self.r, d, self.date_style) if self.ko else V.en_date(self.r, d, self.uk, self.date_pick)

    def party(self, store: bool = False) -> V.Party:
        return V.ko_party(self.r, store) if self.ko else V.en_party(self.r, self.uk, store)

    def two_parties(self) -> tuple[V.Party, V.Party]:
        a = self.party()
        b = self.party()
        while b.name == a.name or (self.ko and b.biz == a.biz):
            b = self.party()
        return a, b

    def amounts(self, n: int) -> tuple[list[list[str]], float, float, float]:
        """Item rows (name, spec, qty, unit, amount) and subtotal, tax, total; items sum to the subtotal."""
        r, rows, sub = self.r, [], 0
        for name, spec, lo, hi in (
            r.sample(V.KO_ITEMS, n) if self.ko else [(a, "", b, c) for a, b, c in r.sample(V.EN_ITEMS, n)]
        ):
            qty = r.choice([1, 1, 2, 3, 5, 10, 12, 20])
            unit = r.randint(lo, hi) * 1000 if self.ko else r.randint(lo * 4, hi * 4) * 25  # cents
            sub += qty * unit
            rows.append(
                [
                    name,
                    spec,
                    str(qty),
                    self.plain(unit if self.ko else unit / 100),
                    self.plain(qty * unit if self.ko else qty * unit / 100),
                ]
            )
        if self.ko:
            tax = sub // 10
            return rows, float(sub), float(tax), float(sub + tax)
        self.rate = r.choice([20.0, 5.0] if self.uk else [0.0, 6.0, 7.25, 8.875, 10.0])
        tax_c = round(sub * self.rate / 100)
        return rows, sub / 100, tax_c / 100, (sub + tax_c) / 100

    def tax_label(self) -> str:
        rate = f"{self.rate:g}%"
        return self.r.choice(
            [f"VAT {rate}", f"VAT ({rate})"] if self.uk else [f"Sales Tax ({rate})", f"Tax {rate}", "Tax"]
        )

    def doc_no(self, d: dt.date) -> str:
        r = self.r
        return r.choice([f"INV-{d.year}-{r.randint(1, 999):04d}", f"{d.year}-{r.randint(1, 300)}", f"A-{r.randint(1, 99999):05d}",
                         f"{d:%Y%m%d}-{r.randint(1, 99):03d}", f"TS-{d:%Y%m%d}-{r.randint(1, 99):04d}",
                         f"{r.choice('ABCDHKM')}{d:%y%m}{r.randint(1, 999):03d}"])  # fmt: skip


def _spaced(label: str) -> str:
    """상호 -> 상 호: the letter-spaced labels of printed forms."""
    return " ".join(label) if len(label) <= 4 and all("가" <= c <= "힣" for c in label) else label


def _items_header(b: Build, spec: bool) -> tuple[list[str], list[float]]:
    if b.ko:
        head = [b.r.choice(["품목", "품명", "품목명"]), "규격", "수량", "단가", b.r.choice(["금액", "공급가액"])]
        return (head, [0.34, 0.18, 0.1, 0.18, 0.2]) if spec else ([head[0], *head[2:]], [0.45, 0.12, 0.2, 0.23])
    return [b.r.choice(["Description", "Item", "Item / Service"]), "Qty", b.r.choice(["Unit Price", "Rate", "Price"]),
            "Amount"], [0.5, 0.1, 0.2, 0.2]  # fmt: skip


def _item_table(b: Build, rows: list[list[str]], x0: float, y: float, w: float) -> float:
    spec = b.ko and b.r.random() < 0.6
    head, ratios = _items_header(b, spec)
    body = [row if spec else [row[0], *row[2:]] for row in rows]
    return table(b.page, x0, y, [w * f for f in ratios], head, body, b.size - 2, ruled=b.r.random() < 0.6,
                 right={len(head) - 1, len(head) - 2, len(head) - 3})  # fmt: skip


def _footer(b: Build, party: V.Party, y: float, x0: float, w: float) -> None:
    r, p, s = b.r, b.page, b.size - 4
    notes = ([f"입금계좌: {r.choice(['국민은행', '신한은행', '우리은행', 'IBK기업은행'])} {r.randint(100, 999)}-{r.randint(10, 99)}-"
              f"{r.randint(100000, 999999)} (예금주: {party.name})", "비고: 세금계산서는 별도 발행됩니다.", "위와 같이 청구합니다.",
              r.choice(["1 / 1", "Page 1 of 1", "- 1 -"])] if b.ko else
             [f"Payment terms: Net {r.choice([15, 30, 45])}", f"Bank: First National Bank  Account {r.randint(10**9, 10**10 - 1)}"
              f"  Routing 0{r.randint(10**7, 10**8 - 1)}", "Thank you for your business!", "Page 1 of 1"])  # fmt: skip
    for line in r.sample(notes, r.randint(2, len(notes))):
        p.text(x0, y, line, s, fill=GREY, max_w=w)
        y += s * 1.6


# --------------------------------------------------------------------------- invoice


def _invoice(b: Build) -> None:
    r, p, s, ko = b.r, b.page, b.size, b.ko
    v, c = b.two_parties()
    d = V.a_date(r)
    due = d + dt.timedelta(days=r.choice([7, 10, 14, 30, 45]))
    x0, x1 = b.margin, W - b.margin
    w, y = x1 - x0, float(b.margin)
    title = (
        r.choice(["청 구 서", "청구서", "INVOICE", "거래 청구서", "인보이스"])
        if ko
        else r.choice(["INVOICE", "Invoice", "TAX INVOICE" if b.uk else "BILL"])
    )
    meta = [
        (b.L("doc_number"), b.fact("doc_number", b.doc_no(d))),
        (b.L("date"), b.fact("date", b.date(d), d.isoformat())),
    ]
    if r.random() < 0.7:
        meta.append((b.L("due_date"), b.fact("due_date", b.date(due), due.isoformat())))
    cand = [("address", v.address, None), ("phone", v.phone, v.phone_norm), ("email", v.email, None)]
    if ko:
        cand = [("biz_number", v.biz, None), ("representative", v.person, None), *cand]
    info = [(b.L(cpt), b.fact(cpt, val, exp)) for cpt, val, exp in cand if r.random() < 0.85]
    if r.random() < 0.5:  # the seller's name as the letterhead, the title at the right
        p.text(x0, y, b.fact("vendor", v.name), s + 10, bold=True, max_w=w * 0.6)
        p.text(x1, y, title, s + 14, bold=True, anchor="ra")
        y += (s + 10) * 1.9
        for label, value in info:
            p.text(x0, y, f"{label}{b.sep}{value}" if r.random() < 0.6 else value, s - 4, fill=GREY, max_w=w * 0.55)
            y += (s - 4) * 1.5
        y = max(y + s, b.margin + (s + 10) * 1.9 + 4 * s)
        top = y
        p.text(x0, y, b.L("buyer"), s - 6, fill=GREY)
        p.text(x0, y + s * 1.2, b.fact("buyer", c.name), s + 2, bold=True, max_w=w * 0.45)
        p.text(x0, y + s * 2.7, c.address, s - 6, fill=GREY, max_w=w * 0.45)
        style = r.choice(["inline", "column", "grid"])
        y = max(top + s * 4.5, kv(p, meta, style, x0 + w * 0.52, top, w * 0.48, s - 2, b.sep))
    else:  # the title centred, the parties below
        p.text(W / 2, y, title, s + 16, bold=True, anchor="ma")
        y += (s + 16) * 2.2
        y = kv(p, meta, b.kv_style, x0, y, w if b.kv_style == "table" else w * 0.6, s - 2, b.sep)
        y += s * 0.5
        buyer = b.fact("buyer", c.name)
        p.text(x0, y, r.choice([f"{buyer} 귀중", f"{b.L('buyer')}{b.sep}{buyer} 귀하", f"{b.L('buyer')}{b.sep}{buyer}"]) if ko
               else f"{b.L('buyer')}{b.sep}{buyer}", s + 2, bold=True, max_w=w)  # fmt: skip
        y += (s + 2) * 2
        vendor = [(b.L("vendor") if ko else r.choice(["From", "Seller", "Supplier"]), b.fact("vendor", v.name)), *info]
        y = kv(p, vendor, b.kv_style if b.kv_style != "table" else "grid", x0 + w * 0.3, y, w * 0.7, s - 4, b.sep)
    rows, sub, tax, total = b.amounts(r.randint(2, 6))
    y = _item_table(b, rows, x0, y + s, w)
    tl = [(b.L("subtotal"), b.fact("subtotal", b.money(sub), sub)),
          (b.L("tax") if ko else b.tax_label(), b.fact("tax", b.money(tax), tax)),
          (b.L("total"), b.fact("total", b.money(total), total))]  # fmt: skip
    y = totals(p, tl, b.total_style, x0 + w * 0.45, x1, y + s * 0.5, s)
    _footer(b, v, y + s * 1.5, x0, w)


# --------------------------------------------------------------------------- receipt


def _receipt(b: Build) -> None:
    r, p, s, ko = b.r, b.page, b.size, b.ko
    x0, x1 = 28, p.width - 28
    w, cx, y = x1 - x0, p.width / 2, 40.0
    v = b.party(store=True)
    d = V.a_date(r)
    sep = r.choice([": ", " : ", "  ", ":"])
    p.text(cx, y, b.fact("vendor", v.name), s + 8, bold=True, anchor="ma", max_w=w)
    y += (s + 8) * 1.8
    title = (
        r.choice(["[영수증]", "영 수 증", "[카드매출전표]", "** 영수증 **", "신용카드 매출전표"])
        if ko
        else r.choice(["RECEIPT", "SALES RECEIPT", "** CUSTOMER COPY **"])
    )
    p.text(cx, y, title, s + 2, anchor="ma")
    y += s * 2
    info = [v.address]
    if ko:
        info = [
            f"{r.choice(['사업자번호', '사업자등록번호', '사업자'])}{sep}{b.fact('biz_number', v.biz)}",
            f"{b.L('representative') if r.random() < 0.5 else '대표자'}{sep}{b.fact('representative', v.person)}",
        ]
        where = r.choice(["주소", "", ""])
        info.append(f"{where}{sep}{b.fact('address', v.address)}" if where else b.fact("address", v.address))
    else:
        b.fact("address", v.address)
    info.append(f"{b.L('phone')}{sep}{b.fact('phone', v.phone, v.phone_norm)}")
    for line in info:
        p.text(x0, y, line, s - 2, max_w=w)
        y += (s - 2) * 1.5
    dash = r.choice(["-", "=", "—"])
    rule = dash * int(w / max(p.length(dash, s - 4), 1.0))
    p.text(cx, y, rule, s - 4, anchor="ma", fill=GREY, max_w=w)
    y += s * 1.3
    when = V.receipt_time(r, d, b.lang, b.uk)
    no = r.choice([f"{d:%Y%m%d}-{r.randint(1, 9):02d}-{r.randint(1, 9999):04d}", f"{r.randint(1, 9999):04d}", f"A{r.randint(10**6, 10**7 - 1)}"]) if ko \
        else r.choice([f"{r.randint(1, 999999):06d}", f"R-{r.randint(10000, 99999)}", f"{r.randint(1000, 9999)}-{r.randint(100, 999)}"])  # fmt: skip
    for line in r.sample(
        [
            f"{b.L('date')}{sep}{b.fact('date', when, d.isoformat())}",
            f"{b.L('doc_number')}{sep}{b.fact('doc_number', no)}",
        ],
        2,
    ):
        p.text(x0, y, line, s - 2, max_w=w)
        y += (s - 2) * 1.5
    if r.random() < 0.5:
        p.text(
            x0,
            y,
            f"POS {r.randint(1, 4):02d}  "
            + (f"담당 {V.ko_person(r)[0]}" if ko else f"Cashier: {r.choice(['Emily', 'Tom', 'Ana', 'Raj'])}"),
            s - 4,
            fill=GREY,
        )
        y += s * 1.4
    p.text(cx, y, rule, s - 4, anchor="ma", fill=GREY, max_w=w)
    y += s * 1.3
    head = ["상품명", "수량", "금액"] if ko else ["Item", "Qty", "Amount"]
    for i, t in enumerate(head):
        p.text([x0, x0 + w * 0.68, x1][i], y, t, s - 2, anchor=["la", "ra", "ra"][i], bold=True)
    y += s * 1.6
    sub_c = 0
    for name, price in r.sample(V.KO_SHOP if ko else V.EN_SHOP, r.randint(2, 7)):
        qty = r.choice([1, 1, 1, 2, 3])
        unit = int(price) if ko else round(price * 100)
        sub_c += qty * unit
        p.text(x0, y, name, s - 2, max_w=w * 0.5)
        p.text(x0 + w * 0.68, y, str(qty), s - 2, anchor="ra")
        p.text(x1, y, b.plain(qty * unit if ko else qty * unit / 100), s - 2, anchor="ra")
        y += (s - 2) * 1.5
    p.text(cx, y, rule, s - 4, anchor="ma", fill=GREY, max_w=w)
    y += s * 1.3
    if ko:  # Korean shelf prices include VAT: the receipt splits the total
        total = float(sub_c)
        sub = float(round(sub_c / 1.1))
        tax, tax_label = total - sub, b.L("tax")
    else:
        b.rate = r.choice([0.0, 6.0, 7.25, 8.5, 8.875, 10.0])
        tax_c = round(sub_c * b.rate / 100)
        sub, tax, total, tax_label = sub_c / 100, tax_c / 100, (sub_c + tax_c) / 100, b.tax_label()
    space = (lambda t: _spaced(t) if r.random() < 0.4 else t) if ko else (lambda t: t)
    tl = [(space(b.L("subtotal")), b.fact("subtotal", b.plain(sub), sub)), (space(tax_label), b.fact("tax", b.plain(tax), tax)),
          (space(b.L("total")), b.fact("total", b.money(total), total))]  # fmt: skip
    y = totals(p, tl, r.choice(["spaces", "leaders", "spaces"]), x0, x1, y, s)
    pay: list[str] = []
    if r.random() < 0.75:
        card = (f"{r.choice(['9410', '5365', '4518', '3560', '6253'])}-{r.randint(10, 99)}**-****-{r.randint(1000, 9999)}" if ko
                else r.choice(["************", "XXXX XXXX XXXX ", "**** **** **** "]) + str(r.randint(1000, 9999)))  # fmt: skip
        auth = str(r.randint(10**7, 10**8 - 1)) if ko else "".join(r.choice("0123456789ABCDEF") for _ in range(6))
        brand = (
            r.choice(["신한카드", "KB국민카드", "삼성카드", "현대카드"])
            if ko
            else r.choice(["VISA", "MASTERCARD", "AMEX"])
        )
        pay = [f"{'카드사' if ko else 'Card Type'}{sep}{brand}", f"{b.L('card_number')}{sep}{b.fact('card_number', card)}",
               f"{b.L('approval_number')}{sep}{b.fact('approval_number', auth)}"]  # fmt: skip
        if ko:
            pay.append(f"할부{sep}{r.choice(['일시불', '일시불', '03개월'])}")
    else:
        paid = (int(total) // 10000 + 1) * 10000 if ko else float(int(total) // 20 * 20 + 20)
        pay = [
            f"{'받은금액' if ko else 'Cash'}{sep}{b.plain(paid)}",
            f"{'거스름돈' if ko else 'Change'}{sep}{b.plain(paid - total)}",
        ]
    for line in pay:
        p.text(x0, y, line, s - 2, max_w=w)
        y += (s - 2) * 1.5
    y += s * 0.6
    for line in r.sample(["감사합니다", "교환/환불은 영수증 지참 시 7일 이내", "또 방문해 주세요"] if ko
                         else ["Thank you! Please come again", "Returns within 30 days with receipt", "Customer copy"], 2):  # fmt: skip
        p.text(cx, y, line, s - 4, anchor="ma", max_w=w)
        y += s * 1.5
    p.img = p.img.crop((0, 0, p.width, min(p.height, int(y + 50))))


def _builders() -> dict[str, Callable[[Build], None]]:
    from scripts.extraction_eval.forms import biz_reg, statement, tax_invoice  # forms.py builds on this module

    return {
        "invoice": _invoice,
        "receipt": _receipt,
        "tax_invoice": tax_invoice,
        "statement": statement,
        "biz_reg": biz_reg,
    }


def _pick(r: random.Random, facts: dict[str, Fact], kind: str) -> list[str]:
    must = ["total"] if kind != "biz_reg" else (["biz_number"] if r.random() < 0.8 else [])
    rest = [c for c in facts if c not in must]
    k = r.randint(4, min(8, len(facts)))
    chosen = set(must + r.sample(rest, k - len(must)))
    return [c for c in facts if c in chosen]  # the page's order, as a caller reading the document would list them


def build(seed: int, i: int, kind: str, lang: str) -> EvalDoc:
    r = random.Random(f"extraction-eval/{seed}/{i}/{kind}/{lang}")
    b = Build(r, kind, lang)
    _builders()[kind](b)
    img, quality, scanned = b.page.img, None, r.random() < 0.4
    if scanned:
        img, quality = scan(img, r)
    elif r.random() < 0.2:
        quality = r.randint(86, 95)
    concepts = _pick(r, b.facts, kind)
    names = choose_names(r, concepts, kind, lang)
    return EvalDoc(
        id=f"s{seed}-{i:03d}-{kind}-{lang}", kind=kind, lang=lang, image=img, fields=fields_string(r, names, lang),
        expected={names[c]: b.facts[c].expected for c in concepts}, concepts={names[c]: c for c in concepts},
        types={names[c]: b.facts[c].type for c in concepts}, printed={names[c]: b.facts[c].printed for c in concepts},
        drawn_lines=list(b.page.lines), jpeg_quality=quality, scanned=scanned, face=b.face.name,
    )  # fmt: skip


def plan(seed: int, n: int) -> list[tuple[str, str]]:
    r = random.Random(f"extraction-eval-plan/{seed}")
    out: list[tuple[str, str]] = []
    while len(out) < n:
        rnd = list(_ROUND)
        r.shuffle(rnd)
        out += rnd
    return out[:n]


def generate(seed: int, n: int) -> list[EvalDoc]:
    return [build(seed, i, kind, lang) for i, (kind, lang) in enumerate(plan(seed, n))]


def split(name: str) -> list[EvalDoc]:
    seed, n = SPLITS[name]
    return generate(seed, n)
