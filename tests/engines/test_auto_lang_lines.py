"""lang=auto line by line (app/engines/auto_lang.py read_auto): a line whose script its page's reader does
not write is read by the other reader, and only such a line moves; fake readers that say what they read."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.engines.auto_lang import read_auto
from app.engines.base import EngineInfo, Recognized


class Reader:
    """Reads crop ``i`` (its first pixel) as ``readings[i]``; records which crops it was given."""

    def __init__(self, readings: dict[int, tuple[str, float]]) -> None:
        self.readings = readings
        self.seen: list[int] = []
        self.info = EngineInfo("fake", "none", "cpu", {})

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Recognized]:
        out = []
        for c in crops:
            i = int(c[0, 0, 0])
            self.seen.append(i)
            out.append(Recognized(*self.readings.get(i, ("", 0.0))))
        return out


def crops(n: int) -> list[np.ndarray]:
    return [np.full((32, 400 - i, 3), i, dtype=np.uint8) for i in range(n)]


def test_an_english_page_takes_its_korean_lines_from_the_korean_reader() -> None:
    english = {0: ("INVOICE INV-7", 0.97), 2: ("Bill to Bright Data Systems", 0.96), 3: ("Total 1,320.00", 0.95)}
    general = Reader({**english, 1: ("Ol~lAt 6l@", 0.41)})
    korean = Reader({**english, 1: ("주식회사 한빛", 0.96)})
    out = read_auto(korean, general, crops(4))
    assert [(r.text, r.lang) for r in out] == [
        ("INVOICE INV-7", "en"),
        ("주식회사 한빛", "korean"),
        ("Bill to Bright Data Systems", "en"),
        ("Total 1,320.00", "en"),
    ]


def test_a_korean_page_takes_a_chinese_line_from_the_general_reader_but_keeps_its_latin_lines() -> None:
    korean = Reader(
        {
            0: ("주식회사 한빛소프트 거래명세서", 0.97),
            1: ("1O0 3", 0.35),
            2: ("Ship to London", 0.62),
            3: ("합계 110,000원", 0.95),
        }
    )
    general = Reader({1: ("北京市朝阳区", 0.93), 2: ("Ship to: London", 0.9)})
    out = read_auto(korean, general, crops(4))
    assert [(r.text, r.lang) for r in out] == [
        ("주식회사 한빛소프트 거래명세서", "korean"),
        ("北京市朝阳区", "ch"),
        ("Ship to London", "korean"),  # Latin never moves a line: both readers write it
        ("합계 110,000원", "korean"),
    ]
    assert sorted(general.seen) == [1, 2]  # only the doubtful lines without Hangul were read again


def test_a_sure_line_is_never_read_twice_and_a_less_sure_other_reading_never_wins() -> None:
    english = {0: ("Invoice number INV-2025-0042", 0.99), 2: ("Total amount due", 0.98)}
    general = Reader({**english, 1: ("Ol~lAt", 0.70)})
    korean = Reader({**english, 1: ("주식회사", 0.72)})
    out = read_auto(korean, general, crops(3))
    assert out[1].text == "Ol~lAt" and out[1].lang == "en"  # 0.72 is not 0.05 surer than 0.70
    # the Korean reader saw the probe lines only (all three here, the page's widest), nothing more
    assert sorted(korean.seen) == [0, 1, 2]
