"""Rendered test documents whose structure is known exactly (titles, paragraphs, tables, columns).

Everything is drawn with PIL from tests/render.py fonts: NanumGothic for Korean, DejaVu Sans for
English. Each builder returns the page image and the ground truth that the tests assert against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tests.render import font

PAGE_W, PAGE_H = 1240, 1754  # A4 at 150 dpi


@dataclass
class Cell:
    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass
class TableTruth:
    rows: int
    cols: int
    cells: list[Cell]
    bbox: tuple[int, int, int, int]

    def grid(self) -> list[list[str]]:
        """rows x cols texts; a spanned cell's text sits at its top-left position, the rest ''."""
        out = [["" for _ in range(self.cols)] for _ in range(self.rows)]
        for c in self.cells:
            out[c.row][c.col] = c.text
        return out


@dataclass
class Truth:
    """What a page holds, in reading order: (type, text) per block; tables separately."""

    blocks: list[tuple[str, str]] = field(default_factory=list)
    tables: list[TableTruth] = field(default_factory=list)


class Page:
    """A white page that draws blocks top to bottom and remembers what it drew."""

    def __init__(self, *, lang: str = "ko", width: int = PAGE_W, height: int = PAGE_H, margin: int = 90) -> None:
        self.img = Image.new("RGB", (width, height), "white")
        self.draw = ImageDraw.Draw(self.img)
        self.regular = "nanum" if lang == "ko" else "dejavu"
        self.bold = "nanum-bold" if lang == "ko" else "dejavu-bold"
        self.margin = margin
        self.width = width
        self.height = height
        self.y = margin
        self.truth = Truth()

    # ---- primitives ------------------------------------------------------------------------------
    def _wrap(self, text: str, f: ImageFont.FreeTypeFont, width: int) -> list[str]:
        words = text.split(" ")
        lines: list[str] = []
        cur = ""
        for w in words:
            trial = f"{cur} {w}".strip()
            if cur and self.draw.textlength(trial, font=f) > width:
                lines.append(cur)
                cur = w
            else:
                cur = trial
        if cur:
            lines.append(cur)
        return lines

    def text_at(self, text: str, x: int, y: int, size: int = 26, bold: bool = False) -> tuple[int, int, int, int]:
        f = font(self.bold if bold else self.regular, size)
        self.draw.text((x, y), text, font=f, fill="black")
        box = self.draw.textbbox((x, y), text, font=f)
        return (int(box[0]), int(box[1]), int(box[2]), int(box[3]))

    # ---- blocks ----------------------------------------------------------------------------------
    def title(self, text: str, size: int = 52) -> None:
        self.text_at(text, self.margin, self.y, size, bold=True)
        self.truth.blocks.append(("title", text))
        self.y += int(size * 2.0)

    def paragraph(
        self, text: str, *, size: int = 26, x: int | None = None, width: int | None = None, record: bool = True
    ) -> int:
        x = self.margin if x is None else x
        width = (self.width - 2 * self.margin) if width is None else width
        f = font(self.regular, size)
        lines = self._wrap(text, f, width)
        for ln in lines:
            self.draw.text((x, self.y), ln, font=f, fill="black")
            self.y += int(size * 1.6)
        if record:
            self.truth.blocks.append(("text", text))
        self.y += int(size * 1.0)
        return len(lines)

    def bullets(self, items: Sequence[str], *, size: int = 26) -> None:
        f = font(self.regular, size)
        for item in items:
            self.draw.text((self.margin + 10, self.y), f"• {item}", font=f, fill="black")
            self.y += int(size * 1.6)
        self.truth.blocks.append(("list", "\n".join(items)))
        self.y += int(size * 1.0)

    def header_footer(self, header: str, footer: str, size: int = 20) -> None:
        self.text_at(header, self.margin, 30, size)
        fw = self.draw.textlength(footer, font=font(self.regular, size))
        self.text_at(footer, int((self.width - fw) / 2), self.height - 60, size)
        self.truth.blocks.insert(0, ("header", header))
        self.truth.blocks.append(("footer", footer))
        self.y = max(self.y, 110)

    def columns(self, left: Sequence[str], right: Sequence[str], *, size: int = 24, gap: int = 60) -> None:
        col_w = (self.width - 2 * self.margin - gap) // 2
        top = self.y
        for text in left:
            self.paragraph(text, size=size, x=self.margin, width=col_w)
        bottom = self.y
        self.y = top
        for text in right:
            self.paragraph(text, size=size, x=self.margin + col_w + gap, width=col_w)
        self.y = max(bottom, self.y)

    def table(
        self,
        cells: Sequence[Cell],
        col_widths: Sequence[int],
        *,
        size: int = 24,
        row_h: int = 56,
        ruled: bool = True,
        x: int | None = None,
    ) -> TableTruth:
        x0 = self.margin if x is None else x
        y0 = self.y
        n_rows = max(c.row + c.rowspan for c in cells)
        n_cols = len(col_widths)
        xs = [x0]
        for w in col_widths:
            xs.append(xs[-1] + w)
        ys = [y0 + r * row_h for r in range(n_rows + 1)]
        f = font(self.regular, size)
        covered: set[tuple[int, int]] = set()
        for c in cells:
            for r in range(c.row, c.row + c.rowspan):
                for k in range(c.col, c.col + c.colspan):
                    covered.add((r, k))
            cx0, cx1 = xs[c.col], xs[c.col + c.colspan]
            cy0, cy1 = ys[c.row], ys[c.row + c.rowspan]
            parts = c.text.split("\n") if c.text else []
            step = int(size * 1.35)
            top = (cy0 + cy1) / 2 - step * (len(parts) - 1) / 2
            for k, part in enumerate(parts):  # a cell may hold several lines
                tb = self.draw.textbbox((0, 0), part, font=f)
                tx = cx0 + 14 if c.colspan == 1 else int((cx0 + cx1 - (tb[2] - tb[0])) / 2)
                ty = int(top + k * step - (tb[3] - tb[1]) / 2) - tb[1]
                self.draw.text((tx, ty), part, font=f, fill="black")
        if ruled:
            # outer frame + every cell's own borders (so merged cells have no line inside)
            for c in cells:
                cx0, cx1 = xs[c.col], xs[c.col + c.colspan]
                cy0, cy1 = ys[c.row], ys[c.row + c.rowspan]
                self.draw.rectangle([cx0, cy0, cx1, cy1], outline="black", width=2)
        else:
            # borderless: a rule under the header row only, like many financial tables
            self.draw.line([(xs[0], ys[1] - 6), (xs[-1], ys[1] - 6)], fill="black", width=2)
        full = [Cell(r, k, "") for r in range(n_rows) for k in range(n_cols) if (r, k) not in covered]
        truth = TableTruth(
            n_rows, n_cols, sorted([*cells, *full], key=lambda c: (c.row, c.col)), (xs[0], ys[0], xs[-1], ys[-1])
        )
        self.truth.tables.append(truth)
        self.truth.blocks.append(("table", ""))
        self.y = ys[-1] + 50
        return truth


def grid_cells(rows: Sequence[Sequence[str]], first_row: int = 0) -> list[Cell]:
    return [Cell(first_row + r, c, t) for r, row in enumerate(rows) for c, t in enumerate(row)]


# ---------------------------------------------------------------------------------------------------
# the documents the tests use


KOREAN_INVOICE_TABLE = [
    ["품목", "수량", "단가", "금액"],
    ["문서 인식 서비스", "1", "100,000", "100,000"],
    ["유지보수", "2", "50,000", "100,000"],
    ["교육", "3", "30,000", "90,000"],
    ["합계", "", "", "290,000"],
]
# the committed rendering of korean_invoice(), for smoke checks against a running service
KOREAN_INVOICE_PNG = Path(__file__).parent / "data" / "korean_invoice_table.png"


def korean_invoice() -> Page:
    """The invoice of the acceptance check: title, paragraphs, a ruled item table, a closing note."""
    p = Page(lang="ko")
    p.title("거래명세서")
    p.paragraph(
        "주식회사 한빛소프트는 아래와 같이 거래 내역을 알려 드립니다. 대금은 발행일로부터 30일 이내에 입금해 주시기 바랍니다."
    )
    p.paragraph("공급받는 자: 주식회사 미래상사 (사업자등록번호 123-45-67890)")
    p.table(grid_cells(KOREAN_INVOICE_TABLE), [400, 160, 240, 260])
    p.paragraph("위 금액을 정히 영수합니다. 담당자 김민수 전화 02-1234-5678")
    return p


LOREM = [
    "Optical character recognition turns scanned pages into text that software can search and index.",
    "Layout analysis finds the regions of a page such as titles, paragraphs, tables and figures.",
    "Reading order decides which region comes first when a page has more than one column of text.",
    "Tables are split into rows and columns so that every cell keeps its own value and position.",
]


def english_two_columns() -> Page:
    p = Page(lang="en")
    p.title("Document Understanding")
    p.paragraph("This page has a full-width introduction, then two columns of text, then a closing paragraph.")
    p.columns(
        [
            "Left one. " + LOREM[0] + " " + LOREM[1],
            "Left two. " + LOREM[2],
        ],
        [
            "Right one. " + LOREM[3] + " " + LOREM[0],
            "Right two. " + LOREM[1],
        ],
    )
    p.paragraph("Closing. Both columns are read top to bottom before this paragraph.")
    return p


def borderless_table() -> Page:
    p = Page(lang="en")
    p.title("Quarterly Sales")
    p.paragraph("The table below lists the sales of each region in the last quarter.")
    p.table(
        grid_cells(
            [
                ["Region", "Units", "Revenue", "Growth"],
                ["North", "1,200", "$48,000", "4.5%"],
                ["South", "950", "$38,000", "2.1%"],
                ["East", "1,730", "$69,200", "7.8%"],
                ["West", "640", "$25,600", "1.2%"],
            ]
        ),
        [300, 220, 260, 220],
        ruled=False,
    )
    p.paragraph("Revenue is shown in US dollars before tax.")
    return p


def header_footer_page() -> Page:
    p = Page(lang="en")
    p.header_footer("ACME Corporation - Annual Report 2024", "Page 3 of 12")
    p.y = 170
    p.title("Operations Review")
    p.paragraph("The company opened two new offices this year and hired forty engineers.")
    p.bullets(["New office in Seoul", "New office in Busan", "Forty new engineers"])
    p.paragraph("Revenue grew in every quarter of the year.")
    return p


def span_table() -> Page:
    """A table with merged cells: a row-spanning first header and year headers over two columns."""
    p = Page(lang="en")
    p.title("Regional Results")
    p.table(
        [
            Cell(0, 0, "Region", rowspan=2),
            Cell(0, 1, "2023", colspan=2),
            Cell(0, 3, "2024", colspan=2),
            Cell(1, 1, "Units"),
            Cell(1, 2, "Sales"),
            Cell(1, 3, "Units"),
            Cell(1, 4, "Sales"),
            *grid_cells([["North", "120", "4,800", "150", "6,000"], ["South", "90", "3,600", "110", "4,400"]], 2),
        ],
        [220, 180, 200, 180, 200],
    )
    p.paragraph("Sales are in thousands of dollars.")
    return p


def figure_page() -> Page:
    """A title, a paragraph, a bar chart with a caption, a closing paragraph."""
    p = Page(lang="en", height=1200)
    p.title("Sales Overview")
    p.paragraph(LOREM[0] + " " + LOREM[1])
    x0, y0, x1, y1 = 200, p.y + 10, 1000, p.y + 400
    p.draw.line([(x0, y0), (x0, y1)], fill="black", width=3)
    p.draw.line([(x0, y1), (x1, y1)], fill="black", width=3)
    for i, h in enumerate([200, 320, 150, 280, 360, 240]):
        bx = x0 + 40 + i * 125
        p.draw.rectangle([bx, y1 - h, bx + 80, y1], fill=(60, 110, 200))
    p.truth.blocks.append(("figure", ""))
    p.y = y1 + 30
    p.text_at("Figure 1. Monthly sales", 420, p.y, 22)
    p.truth.blocks.append(("text", "Figure 1. Monthly sales"))
    p.y += 80
    p.paragraph(LOREM[2])
    return p


def accuracy_tables(ruled: bool = True) -> list[tuple[str, Page]]:
    """Tables of different shapes and scripts for the cell-text accuracy numbers (ruled, or the same
    tables with only a rule under the header row)."""
    out: list[tuple[str, Page]] = []
    specs: list[tuple[str, str, list[list[str]], list[int]]] = [
        (
            "korean",
            "견적서",
            [
                ["번호", "품명", "규격", "수량", "금액"],
                ["1", "노트북", "15인치", "2", "2,400,000"],
                ["2", "모니터", "27인치", "4", "1,200,000"],
                ["3", "키보드", "무선", "10", "350,000"],
                ["4", "마우스", "유선", "10", "150,000"],
            ],
            [120, 300, 220, 140, 260],
        ),
        (
            "korean",
            "직원 명단",
            [
                ["이름", "부서", "직급", "입사일"],
                ["김민수", "영업부", "과장", "2019-03-02"],
                ["이서연", "개발부", "대리", "2021-07-15"],
                ["박지훈", "인사부", "사원", "2023-01-09"],
            ],
            [240, 240, 200, 300],
        ),
        (
            "korean",
            "월별 매출",
            [
                ["월", "매출액", "비용", "이익"],
                ["1월", "12,500", "8,200", "4,300"],
                ["2월", "13,100", "8,900", "4,200"],
                ["3월", "15,800", "9,400", "6,400"],
                ["합계", "41,400", "26,500", "14,900"],
            ],
            [200, 260, 260, 260],
        ),
        (
            "en",
            "Price List",
            [
                ["Item", "Code", "Price", "Stock"],
                ["Laptop stand", "LS-100", "$39.90", "120"],
                ["USB-C hub", "HB-220", "$24.50", "75"],
                ["Webcam", "WC-310", "$59.00", "42"],
                ["Headset", "HS-400", "$45.00", "0"],
            ],
            [320, 220, 220, 200],
        ),
        (
            "en",
            "Flight Schedule",
            [
                ["Flight", "From", "To", "Departs", "Gate"],
                ["KE 017", "Seoul", "Los Angeles", "14:30", "A12"],
                ["OZ 202", "Busan", "Tokyo", "09:15", "B3"],
                ["LH 713", "Frankfurt", "Seoul", "21:05", "C7"],
            ],
            [200, 220, 260, 180, 140],
        ),
        (
            "en",
            "Test Results",
            [
                ["Sample", "pH", "Lead (ppb)", "Result"],
                ["A-01", "7.2", "3", "Pass"],
                ["A-02", "6.8", "12", "Fail"],
                ["B-01", "7.0", "1", "Pass"],
                ["B-02", "7.4", "5", "Pass"],
            ],
            [240, 160, 260, 220],
        ),
    ]
    for lang, title, rows, widths in specs:
        p = Page(lang="ko" if lang == "korean" else "en", height=760)
        p.title(title, size=40)
        p.table(grid_cells(rows), widths, ruled=ruled)
        out.append((lang, p))
    return out


def hard_tables(ruled: bool = True) -> list[tuple[str, Page]]:
    """Harder tables for choosing a method: merged cells, cells of two lines, a dense 8-column grid."""
    out: list[tuple[str, Page]] = []
    p = Page(lang="ko", height=820)
    p.title("부서별 인원", size=40)
    p.table(
        [
            Cell(0, 0, "본부"),
            Cell(0, 1, "부서"),
            Cell(0, 2, "인원"),
            Cell(0, 3, "비고"),
            Cell(1, 0, "경영", rowspan=2),
            Cell(1, 1, "인사부"),
            Cell(1, 2, "12"),
            Cell(1, 3, "채용 중"),
            Cell(2, 1, "재무부"),
            Cell(2, 2, "8"),
            Cell(2, 3, ""),
            Cell(3, 0, "기술", rowspan=2),
            Cell(3, 1, "개발부"),
            Cell(3, 2, "35"),
            Cell(3, 3, "신규 팀 2개"),
            Cell(4, 1, "연구소"),
            Cell(4, 2, "14"),
            Cell(4, 3, ""),
        ],
        [200, 240, 160, 360],
        ruled=ruled,
    )
    out.append(("korean", p))
    p = Page(lang="en", height=820)
    p.title("Service Levels", size=40)
    p.table(
        grid_cells(
            [
                ["Plan", "Support hours", "Response time"],
                ["Basic", "Weekdays\n9:00 to 18:00", "2 business days"],
                ["Pro", "Every day\n8:00 to 22:00", "8 hours"],
                ["Enterprise", "Around the clock", "1 hour\nfor severity 1"],
            ]
        ),
        [260, 340, 340],
        row_h=84,
        ruled=ruled,
    )
    out.append(("en", p))
    p = Page(lang="en", height=820)
    p.title("Weekly Output", size=40)
    p.table(
        grid_cells(
            [
                ["Line", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Total"],
                ["A", "120", "118", "131", "125", "119", "60", "673"],
                ["B", "98", "102", "97", "110", "105", "0", "512"],
                ["C", "143", "150", "139", "147", "152", "71", "802"],
                ["D", "77", "81", "79", "85", "80", "40", "442"],
                ["E", "66", "64", "70", "68", "72", "35", "375"],
            ]
        ),
        [100, 120, 120, 120, 120, 120, 120, 140],
        size=22,
        row_h=48,
        ruled=ruled,
    )
    out.append(("en", p))
    p = Page(lang="en", height=820)
    p.title("Regional Results", size=40)
    p.table(
        [
            Cell(0, 0, "Region", rowspan=2),
            Cell(0, 1, "2023", colspan=2),
            Cell(0, 3, "2024", colspan=2),
            Cell(1, 1, "Units"),
            Cell(1, 2, "Sales"),
            Cell(1, 3, "Units"),
            Cell(1, 4, "Sales"),
            *grid_cells([["North", "120", "4,800", "150", "6,000"], ["South", "90", "3,600", "110", "4,400"]], 2),
        ],
        [220, 180, 200, 180, 200],
        ruled=ruled,
    )
    out.append(("en", p))
    return out


# ---------------------------------------------------------------------------------------------------
# a PDF with a real text layer (PDFium's own writer): text objects plus ruled lines


@dataclass
class PdfText:
    """Text with its baseline-left at (x, y), y measured from the page top, in points."""

    text: str
    x: float
    y: float
    size: float = 11.0


@dataclass
class PdfRule:
    """A straight line from (x0, y0) to (x1, y1), y from the page top, in points."""

    x0: float
    y0: float
    x1: float
    y1: float
    width: float = 0.8


def text_pdf(pages: Sequence[Sequence[PdfText | PdfRule]], *, font_name: str = "nanum") -> bytes:
    import ctypes
    import io

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    from tests.render import font_path

    page_w, page_h = 595.0, 842.0
    data = font_path(font_name).read_bytes()
    font_buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
    pdf = pdfium.PdfDocument.new()
    handle = pdfium_c.FPDFText_LoadFont(pdf.raw, font_buf, len(data), pdfium_c.FPDF_FONT_TRUETYPE, 1)
    assert handle, "PDFium could not load the font"
    try:
        for items in pages:
            page = pdf.new_page(page_w, page_h)
            for it in items:
                if isinstance(it, PdfText):
                    obj = pdfium_c.FPDFPageObj_CreateTextObj(pdf.raw, handle, it.size)
                    wide = ctypes.create_string_buffer((it.text + "\x00").encode("utf-16-le"))
                    assert pdfium_c.FPDFText_SetText(obj, ctypes.cast(wide, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
                    pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, it.x, page_h - it.y)
                else:
                    obj = pdfium_c.FPDFPageObj_CreateNewPath(it.x0, page_h - it.y0)
                    pdfium_c.FPDFPath_LineTo(obj, it.x1, page_h - it.y1)
                    pdfium_c.FPDFPageObj_SetStrokeColor(obj, 0, 0, 0, 255)
                    pdfium_c.FPDFPageObj_SetStrokeWidth(obj, it.width)
                    pdfium_c.FPDFPath_SetDrawMode(obj, 0, 1)
                pdfium_c.FPDFPage_InsertObject(page.raw, obj)
            assert pdfium_c.FPDFPage_GenerateContent(page.raw)
            page.close()
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
    finally:
        pdfium_c.FPDFFont_Close(handle)
        pdf.close()


def pdf_table(rows: Sequence[Sequence[str]], x0: float, y0: float, widths: Sequence[int], row_h: float = 22):
    """Text and rules of a ruled table in a PDF (points)."""
    items: list[PdfText | PdfRule] = []
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text:
                items.append(PdfText(text, xs[c] + 6, y0 + r * row_h + 15, 10))
    for r in range(len(rows) + 1):
        items.append(PdfRule(xs[0], y0 + r * row_h, xs[-1], y0 + r * row_h))
    for x in xs:
        items.append(PdfRule(x, y0, x, y0 + len(rows) * row_h))
    return items


PDF_TABLE = [
    ["품목", "수량", "금액"],
    ["서버 임대", "2", "300,000"],
    ["기술 지원", "1", "150,000"],
    ["합계", "", "450,000"],
]


def text_layer_pdf() -> bytes:
    """Two pages with a text layer: a title, a paragraph, a ruled table, a page number; then page 2."""
    page1: list[PdfText | PdfRule] = [
        PdfText("월간 보고서", 60, 80, 24),
        PdfText("이 문서는 텍스트 레이어가 있는 PDF입니다. 본문은 그대로 읽습니다.", 60, 125, 11),
        PdfText("아래 표는 이번 달 청구 내역입니다.", 60, 145, 11),
        *pdf_table(PDF_TABLE, 60, 170, [200, 80, 140]),
        PdfText("- 1 -", 285, 810, 9),
    ]
    page2: list[PdfText | PdfRule] = [
        PdfText("세부 사항", 60, 80, 18),
        PdfText("다음 달에는 서버를 한 대 더 임대할 예정입니다.", 60, 120, 11),
        PdfText("- 2 -", 285, 810, 9),
    ]
    return text_pdf([page1, page2])


if __name__ == "__main__":  # python -m tests.structure.docs: refresh the committed invoice image
    KOREAN_INVOICE_PNG.parent.mkdir(exist_ok=True)
    korean_invoice().img.save(KOREAN_INVOICE_PNG, optimize=True)
    print(KOREAN_INVOICE_PNG)
