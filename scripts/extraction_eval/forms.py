"""The form-like kinds of the evaluation set: 세금계산서 (a ruled grid in red or blue), 거래명세서 /
transaction statement, 사업자등록증 / Certificate of Business Registration."""

from __future__ import annotations

import datetime as dt

from scripts.extraction_eval import values as V
from scripts.extraction_eval.generator import Build, W, _footer, _item_table, _spaced
from scripts.extraction_eval.render import GREY, INK, Page, kv, table, totals

_OFFICE_EN = {"역삼": "Yeoksam", "삼성": "Samseong", "강남": "Gangnam", "서초": "Seocho", "중부": "Jungbu", "마포": "Mapo",
              "분당": "Bundang", "수원": "Suwon", "해운대": "Haeundae", "부산진": "Busanjin", "대전": "Daejeon",
              "북대구": "Bukdaegu", "남인천": "Namincheon"}  # fmt: skip


def _cell(p: Page, x0: float, x1: float, y: float, h: float, text: str, size: int, *, label: bool,
          line: tuple[int, int, int]) -> None:  # fmt: skip
    p.box(x0, y, x1, y + h, outline=line)
    if text and label:
        p.text((x0 + x1) / 2, y + h * 0.22, text, size - 3, anchor="ma", fill=line, max_w=x1 - x0 - 8)
    elif text:
        p.text(x0 + 8, y + h * 0.22, text, size, max_w=x1 - x0 - 14)


# --------------------------------------------------------------------------- 세금계산서


def tax_invoice(b: Build) -> None:
    r, p = b.r, b.page
    s = min(b.size, 26)
    line = r.choice([(200, 40, 50), (40, 70, 170)])  # 공급자 보관용 red, 공급받는자 보관용 blue
    x0 = r.randint(50, 70)
    x1, y = W - x0, float(r.randint(70, 120))
    w = x1 - x0
    v, c = b.two_parties()
    d = V.a_date(r)
    approval = f"{d:%Y%m%d}-{r.choice(['41', '42', '10'])}{r.randint(0, 999999):06d}-{r.randint(0, 99999999):08d}"
    th = s * 3.4
    p.box(x0, y, x1, y + th, outline=line, width=2)
    p.text(x0 + w * 0.3, y + th * 0.18, r.choice(["전자세금계산서", "세 금 계 산 서", "세금계산서"]), s + 12, bold=True,
           anchor="ma", fill=line)  # fmt: skip
    p.text(
        x0 + w * 0.3,
        y + th * 0.7,
        r.choice(["(공급자 보관용)", "(공급받는자 보관용)", "(청구용)"]),
        s - 8,
        anchor="ma",
        fill=line,
    )
    p.vline(x0 + w * 0.6, y, y + th, fill=line)
    p.text(x0 + w * 0.62, y + th * 0.12, r.choice(["승인번호", "승 인 번 호"]), s - 4, fill=line)
    p.text(x0 + w * 0.62, y + th * 0.52, b.fact("approval_number", approval), s - 3, max_w=w * 0.37)
    y += th
    half, rh, vw = w / 2, round(s * 2.1), s * 1.7
    btype, bitem = r.choice(V.KO_BUSINESS)
    for side, party, who in ((0, v, "공급자"), (1, c, "공급받는자")):
        bx = x0 + side * half
        mine = side == 0
        rows: list[list[tuple[str, str]]] = [
            [("등록번호", b.fact("biz_number" if mine else "buyer_biz_number", party.biz))],
            [(r.choice(["상호", "상호(법인명)", "상 호"]), b.fact("vendor" if mine else "buyer", party.name)),
             ("성명", b.fact("representative" if mine else "buyer_representative", party.person))],
            [(r.choice(["사업장", "사업장주소", "주소"]), b.fact("address", party.address) if mine else party.address)],
            [("업태", b.fact("business_type", btype) if mine else "서비스"), ("종목", b.fact("business_item", bitem) if mine else "기타")],
            [(r.choice(["이메일", "전자우편"]), b.fact("email", party.email) if mine else party.email)],
        ]  # fmt: skip
        p.box(bx, y, bx + half, y + len(rows) * rh, outline=line, width=2)
        cy = y + (len(rows) * rh - len(who) * s * 1.25) / 2
        for ch in who:
            p.text(bx + vw / 2, cy, ch, s - 3, anchor="ma", fill=line)
            cy += s * 1.25
        lw = half * 0.19
        for i, row in enumerate(rows):
            top, lx = y + i * rh, bx + vw
            if len(row) == 1:
                _cell(p, lx, lx + lw, top, rh, row[0][0], s, label=True, line=line)
                _cell(p, lx + lw, bx + half, top, rh, row[0][1], s - 2, label=False, line=line)
            else:
                vx = lx + lw + (half - vw - lw) * 0.52
                _cell(p, lx, lx + lw, top, rh, row[0][0], s, label=True, line=line)
                _cell(p, lx + lw, vx, top, rh, row[0][1], s - 2, label=False, line=line)
                _cell(p, vx, vx + lw * 0.6, top, rh, row[1][0], s, label=True, line=line)
                _cell(p, vx + lw * 0.6, bx + half, top, rh, row[1][1], s - 2, label=False, line=line)
    y += 5 * rh + s * 0.4
    rows_, sub, tax, total = b.amounts(r.randint(1, 4))
    date = V.ko_date(r, d, r.choice(["iso", "dot", "slash", "hangul0"]))
    head = [r.choice(["작성일자", "작성 일자", "작성일"]), "공급가액", "세액", "수정사유"]
    y = table(p, x0, y, [w * f for f in (0.26, 0.3, 0.26, 0.18)], head,
              [[b.fact("date", date, d.isoformat()), b.fact("subtotal", b.plain(sub), sub), b.fact("tax", b.plain(tax), tax), ""]],
              s - 2, ruled=True, right={1, 2}, line=line)  # fmt: skip
    head = ["월", "일", "품목", "규격", "수량", "단가", "공급가액", "세액", "비고"]
    body = [[f"{d.month:02d}", f"{d.day:02d}", it[0], it[1], it[2], it[3], it[4], b.plain(int(it[4].replace(",", "")) // 10), ""]
            for it in rows_]  # fmt: skip
    y = table(p, x0, y, [w * f for f in (0.05, 0.05, 0.24, 0.12, 0.07, 0.13, 0.14, 0.11, 0.09)], head, body, s - 4,
              ruled=True, right={4, 5, 6, 7}, line=line)  # fmt: skip
    paid = r.choice([0, 4])
    head = [r.choice(["합계금액", "합 계 금 액"]), "현금", "수표", "어음", "외상미수금", "이 금액을"]
    bottom = [b.fact("total", b.plain(total), total), "", "", "", "", r.choice(["(청구) 함", "(영수) 함"])]
    bottom[1 if paid == 0 else 4] = b.plain(total)
    table(p, x0, y, [w * f for f in (0.2, 0.15, 0.13, 0.13, 0.17, 0.22)], head, [bottom], s - 3, ruled=True,
          right={0, 1, 2, 3, 4}, line=line)  # fmt: skip


# --------------------------------------------------------------------------- 거래명세서 / statement


def statement(b: Build) -> None:
    r, p, s, ko = b.r, b.page, b.size, b.ko
    x0, x1 = b.margin, W - b.margin
    w, y = x1 - x0, float(b.margin)
    v, c = b.two_parties()
    d = V.a_date(r)
    title = (
        r.choice(["거 래 명 세 서", "거래명세서", "거래명세표"])
        if ko
        else r.choice(["STATEMENT OF TRANSACTIONS", "TRANSACTION STATEMENT", "DELIVERY STATEMENT"])
    )
    p.text(W / 2, y, title, s + 14, bold=True, anchor="ma", max_w=w)
    y += (s + 14) * 1.5
    if ko:
        p.text(W / 2, y, r.choice(["(공급받는자 보관용)", "(공급자 보관용)"]), s - 6, anchor="ma", fill=GREY)
    y += s * 1.6
    no = r.choice(
        [f"{d.year}-{r.randint(1, 300)}", f"TS-{d:%Y%m%d}-{r.randint(1, 99):04d}", f"A-{r.randint(1, 99999):05d}"]
    )
    no_label = b.L("doc_number")
    meta = [f"{no_label}{' ' if no_label == 'No.' else b.sep}{b.fact('doc_number', no)}",
            f"{b.L('date')}{b.sep}{b.fact('date', b.date(d), d.isoformat())}"]  # fmt: skip
    top = y
    for text in meta:
        p.text(x0, y, text, s - 2, max_w=w * 0.44)
        y += s * 1.6
    buyer = b.fact("buyer", c.name)
    p.text(x0, y + s * 0.4, f"{buyer} 귀하" if ko else f"{r.choice(['To', 'Customer', 'Bill To'])}{b.sep}{buyer}", s + 2,
           bold=True, max_w=w * 0.44)  # fmt: skip
    p.hline(x0, x0 + w * 0.44, y + s * 1.9)
    y += s * 2.6
    p.text(
        x0,
        y,
        "아래와 같이 계산합니다." if ko else "We hereby state the following transactions.",
        s - 4,
        fill=GREY,
        max_w=w * 0.44,
    )
    y += s * 1.6
    spaced = _spaced if ko and r.random() < 0.5 else (lambda t: t)
    block = [(spaced("등록번호") if ko else "Reg. No.", b.fact("biz_number", v.biz) if ko else v.phone),
             (spaced("상호") if ko else "Supplier", b.fact("vendor", v.name)),
             (spaced("성명") if ko else "Contact", b.fact("representative", v.person) if ko else v.person),
             (spaced("주소") if ko else "Address", b.fact("address", v.address)),
             (spaced("전화") if ko else "Phone", b.fact("phone", v.phone, v.phone_norm))]  # fmt: skip
    if not ko:
        block = block[1:]
    if ko and r.random() < 0.6:
        btype, bitem = r.choice(V.KO_BUSINESS)
        block.insert(4, ("업태/종목", f"{btype} / {bitem}"))
    end = kv(p, block, r.choice(["grid", "grid", "column"]), x0 + w * 0.48, top, w * 0.52, s - 5, b.sep)
    y = max(y, end) + s * 0.5
    rows, sub, tax, total = b.amounts(r.randint(2, 7))
    if ko and r.random() < 0.7:
        p.text(x0, y, f"{b.L('total')}{b.sep}일금 {V.hangul_amount(int(total))}원정 ({b.fact('total', b.money(total), total)})",
               s, bold=True, max_w=w)  # fmt: skip
        y += s * 2
    if ko:
        head = ["No", "품목", "규격", "수량", "단가", "공급가액", "세액"]
        body = [[str(i + 1), *it, b.plain(int(it[4].replace(",", "")) // 10)] for i, it in enumerate(rows)]
        y = table(p, x0, y, [w * f for f in (0.06, 0.26, 0.14, 0.08, 0.15, 0.17, 0.14)], head, body, s - 4,
                  ruled=r.random() < 0.7, right={3, 4, 5, 6})  # fmt: skip
    else:
        y = _item_table(b, rows, x0, y, w)
    pairs = [(b.L("subtotal") + (" 합계" if ko and r.random() < 0.3 else ""), b.fact("subtotal", b.money(sub), sub)),
             (b.L("tax") if ko else b.tax_label(), b.fact("tax", b.money(tax), tax)),
             (b.L("total"), b.fact("total", b.money(total), total))]  # fmt: skip
    if r.random() < 0.5:
        y = kv(p, pairs, "table", x0 + w * 0.25, y + s * 0.3, w * 0.75, s - 2, cols=3)
    else:
        y = totals(p, pairs, b.total_style, x0 + w * 0.45, x1, y + s * 0.3, s)
    p.text(
        x0,
        y + s,
        "인수자 : ____________ (인)" if ko else "Received by: ____________   Date: ________",
        s - 4,
        fill=GREY,
    )
    _footer(b, v, y + s * 3, x0, w)


# --------------------------------------------------------------------------- 사업자등록증


def biz_reg(b: Build) -> None:
    r, p, s, ko = b.r, b.page, b.size, b.ko
    x0, x1 = b.margin + 30, W - b.margin - 30
    w, y = x1 - x0, float(b.margin + 60)
    p.box(b.margin - 10, b.margin - 10, W - b.margin + 10, 1754 - b.margin + 10, width=3)
    p.box(b.margin, b.margin, W - b.margin, 1754 - b.margin, width=1)
    v = V.ko_party(r)
    issue = V.a_date(r)
    opened = issue - dt.timedelta(days=r.randint(30, 6000))
    office = r.choice(V.TAX_OFFICES)
    btype, bitem = r.choice(V.KO_BUSINESS)
    corp_no = f"{r.choice(['110111', '131111', '134211', '160111', '200111'])}-{r.randint(0, 9999999):07d}"
    p.text(x0, y - 30, f"{'발급번호' if ko else 'Issue No.'} {r.randint(100, 999)}-{issue.year}-{r.randint(1, 9)}-"
           f"{r.randint(100, 999)}-{r.randint(100, 999)}", s - 10, fill=GREY)  # fmt: skip
    y += 30
    title = r.choice(["사 업 자 등 록 증", "사업자등록증"]) if ko else "Certificate of Business Registration"
    p.text(W / 2, y, title, s + (18 if ko else 8), bold=True, anchor="ma", max_w=w)
    y += (s + 18) * 1.6
    kind = (r.choice(["( 법인사업자 )", "(법인사업자)"]) if v.corp else r.choice(["( 일반과세자 )", "( 간이과세자 )"])) if ko \
        else ("(Corporation)" if v.corp else "(General Taxpayer)")  # fmt: skip
    p.text(W / 2, y, kind, s, anchor="ma")
    y += s * 2.4
    p.text(W / 2, y, f"{r.choice(['등록번호', '사업자등록번호']) if ko else 'Registration No.'} : {b.fact('biz_number', v.biz)}",
           s + 4, bold=True, anchor="ma")  # fmt: skip
    y += s * 3
    when = (lambda dd: V.ko_date(r, dd, b.date_style if b.date_style != "dot_end" else "hangul_sp")) if ko \
        else (lambda dd: V.en_date(r, dd, True, b.date_pick))  # fmt: skip
    if ko:
        sp = _spaced if r.random() < 0.6 else (lambda t: t)
        rows = [(sp("법인명(단체명)" if v.corp and r.random() < 0.6 else "상호"), b.fact("company", v.name)),
                (sp("대표자" if v.corp or r.random() < 0.5 else "성명"), b.fact("representative", v.person)),
                (sp("개업연월일") if r.random() < 0.5 else "개 업 연 월 일", b.fact("open_date", when(opened), opened.isoformat()))]  # fmt: skip
        if v.corp:
            rows.append(("법인등록번호", b.fact("corp_number", corp_no)))
        else:
            born = dt.date(r.randint(1958, 1996), r.randint(1, 12), r.randint(1, 28))
            rows.insert(2, (sp("생년월일"), when(born)))
        rows.append((r.choice(["사업장 소재지", "사업장소재지"]), b.fact("address", v.address)))
        if v.corp:
            rows.append(("본점 소재지", v.address))
        rows += [(sp("사업의 종류"), f"업태  {b.fact('business_type', btype)}    종목  {b.fact('business_item', bitem)}"),
                 (sp("발급사유"), r.choice(["신규", "정정(상호)", "재발급"])),
                 ("공동사업자", ""), ("사업자 단위 과세 적용사업자 여부", "여(  )   부( V )"),
                 ("전자세금계산서 전용 전자우편주소", b.fact("email", v.email))]  # fmt: skip
        if r.random() < 0.5:
            rows = [(f"{'①②③④⑤⑥⑦⑧⑨⑩⑪'[i]} {lb}", val) for i, (lb, val) in enumerate(rows)]
    else:
        rows = [("Trade Name", b.fact("company", v.name_en)), ("Name of Representative", b.fact("representative", v.person_en)),
                ("Date of Opening", b.fact("open_date", when(opened), opened.isoformat())),
                ("Corporation Registration No.", b.fact("corp_number", corp_no) if v.corp else "-"),
                ("Location of Business", b.fact("address", v.address_en)),
                ("Type of Business", b.fact("business_type", V.EN_BUSINESS[btype])),
                ("Item", b.fact("business_item", V.EN_BUSINESS[bitem])),
                ("Reason for Issue", r.choice(["New registration", "Reissue"])),
                ("E-mail for e-Tax Invoices", b.fact("email", v.email))]  # fmt: skip
    style = r.choice(["column", "inline", "column"])
    size = s - 2
    pairs = [(lb, val) for lb, val in rows]
    if style == "column":
        col = min(w * 0.45, max(p.length(lb, size) for lb, _ in pairs) + size)
        for lb, val in pairs:
            p.text(x0, y, lb, size, max_w=col - size)
            p.text(x0 + col, y, ":", size)
            if val:
                p.text(x0 + col + size, y, val, size, max_w=w - col - size)
            y += size * 1.9
    else:
        for lb, val in pairs:
            p.text(x0, y, f"{lb} : {val}".rstrip(" :") if val else f"{lb} :", size, max_w=w)
            y += size * 1.9
    y = max(y + s * 2, 1754 - b.margin - s * 9)
    issued = when(issue)
    date_line = (f"{r.choice(['발급일', '발급일자'])} : {issued}" if r.random() < 0.4 else issued) if ko \
        else (f"Date of Issue: {issued}" if r.random() < 0.8 else issued)  # fmt: skip
    p.text(W / 2, y, date_line, s, anchor="ma")
    b.fact("date", issued, issue.isoformat())
    y += s * 2.6
    chief = f"{office}세무서장" if ko else f"Director of {_OFFICE_EN[office]} Tax Office"
    cw = p.text(W / 2, y, chief, s + 8, bold=True, anchor="ma")
    red = (205, 45, 45)
    sx = W / 2 + cw / 2 + 20
    sw = max(p.length(f"{office}세무", s - 6), s * 2.4) + s * 0.8
    p.box(sx, y - s * 0.6, sx + sw, y + s * 2.6, width=3, outline=red)
    p.text(sx + sw / 2, y - s * 0.2, f"{office}세무", s - 6, anchor="ma", fill=red)
    p.text(sx + sw / 2, y + s * 1.0, "서장인", s - 6, anchor="ma", fill=red)
    p.text(W / 2, 1754 - b.margin - s * 1.6, "국세청 홈택스 (www.hometax.go.kr)" if ko else "National Tax Service",
           s - 10, anchor="ma", fill=INK)  # fmt: skip
