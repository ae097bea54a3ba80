"""Text that the layout model leaves flat: a photographed receipt it calls a figure, and a column of amounts
beside a column of labels. Lines stay lines, and a label and its value share their row."""

from __future__ import annotations

from app.features.ocr.types import Line
from app.features.structure import markdown as md
from app.features.structure.blocks import Region, group_lines, pair_columns
from app.features.structure.pipeline import _text_out_of_figures
from app.features.structure.types import Block


def line(text: str, x0: float, y0: float, x1: float, h: float = 30.0) -> Line:
    return Line(text, 0.95, [[x0, y0], [x1, y0], [x1, y0 + h], [x0, y0 + h]], [x0, y0, x1, y0 + h])


# a receipt's totals: labels on the left, amounts on the right, one row each
LABELS = ["정가합계:", "할인금액:", "판매금액:", "부가세액:"]
AMOUNTS = ["16,000 원", "0원", "16,000 원", "0원"]
RECEIPT = [line(t, 40, 100 + 45 * k, 160) for k, t in enumerate(LABELS)] + [
    line(t, 420, 100 + 45 * k, 540) for k, t in enumerate(AMOUNTS)
]


def test_a_column_of_amounts_joins_its_labels_row_by_row() -> None:
    groups = group_lines(RECEIPT, range(len(RECEIPT)))
    assert len(groups) == 2  # two paragraphs side by side, as the grouping sees them
    paired = pair_columns(RECEIPT, groups)
    assert len(paired) == 1
    block = Block("text", "lines", [40, 100, 540, 265], 0.0, [RECEIPT[i] for i in paired[0]])
    assert md.block_markdown(block, title_level=1).split("  \n") == [
        "정가합계: 16,000 원",
        "할인금액: 0원",
        "판매금액: 16,000 원",
        "부가세액: 0원",
    ]


def test_the_two_columns_of_an_article_stay_apart() -> None:
    prose = [
        "The district court agreed with the",
        "government's assessment, but the",
        "Ninth Circuit reversed the decision",
        "and sent the case back to it again.",
    ]
    left = [line(t, 40, 100 + 40 * k, 500) for k, t in enumerate(prose)]
    right = [line(t, 560, 100 + 40 * k, 1020) for k, t in enumerate(reversed(prose))]
    lines = left + right
    assert len(pair_columns(lines, group_lines(lines, range(len(lines))))) == 2


def test_a_figure_full_of_text_gives_its_lines_back() -> None:
    photo = Region("figure", "image", [0, 0, 900, 1600], 0.9, list(range(6)))
    logo = Region("figure", "image", [10, 10, 200, 120], 0.8, [6])
    chart = Region("figure", "chart", [100, 900, 700, 1400], 0.8, [7, 8, 9, 10])
    kept, loose = _text_out_of_figures([photo, logo, chart], [11], 900 * 1600)
    assert kept == [logo, chart]  # the photo was the page; the chart stays where it was, empty
    assert logo.lines == [6] and chart.lines == []
    assert sorted(loose) == [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11]


def _slanted(text: str, x0: float, y0: float, x1: float, slope: float, h: float = 30.0) -> Line:
    y1 = y0 + slope * (x1 - x0)
    box = [[x0, y0], [x1, y1], [x1, y1 + h], [x0, y0 + h]]
    return Line(text, 0.95, box, [x0, min(y0, y1), x1, max(y0, y1) + h])


def test_labels_and_values_of_a_slanted_photo_pair_along_the_slant() -> None:
    """A receipt photographed 3.4 degrees off level: each value, far right of its label, sits lower by more
    than the row step, so level rows paired every label with the value of the row above (`할부기간
    94400327********`, the real pub receipt). The rows follow the page's slant now; a level page is unchanged."""
    from app.features.structure.blocks import line_rows, row_slope
    from app.features.structure.skew import page_slope

    labels = ["카드번호", "할부기간", "부가세액", "공급가액", "승인번호"]
    values = ["94400327****", "일시불", "10,818", "108,182", "76862802"]
    for slope, want_slope in ((0.06, True), (0.0, False)):
        lines = [_slanted(t, 40, 100 + 45 * k, 160, slope) for k, t in enumerate(labels)]
        lines += [_slanted(t, 900, 100 + 45 * k + slope * 860, 1020, slope) for k, t in enumerate(values)]
        s = page_slope(lines)
        assert (abs(s - 0.06) < 0.005) if want_slope else s == 0.0
        (group,) = pair_columns(lines, group_lines(lines, range(len(lines))), s)
        block = Block("text", "lines", [40, 100, 1020, 400], 0.0, [lines[i] for i in group])
        block.slope = row_slope(block.lines, s)
        block.lines = [block.lines[i] for i in line_rows(block.lines, block.slope)]
        rows = md.block_markdown(block, title_level=1).split("  \n")
        assert rows == [f"{a} {b}" for a, b in zip(labels, values, strict=True)], rows
