"""Fonts the recognizer trains on: Debian's Korean fonts, minus the ones the evaluation keeps for itself.

Debian packages: fonts-nanum, fonts-nanum-extra, fonts-nanum-coding, fonts-noto-cjk, fonts-noto-cjk-extra, fonts-unfonts-core,
fonts-unfonts-extra, fonts-baekmuk. ``scripts/ocr_eval/pages.py`` renders its Korean pages in
``HELD_OUT_FONTS``; none of them is used here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from scripts.ocr_eval.pages import FONT_ROOT, HELD_OUT_FONTS

# (file under /usr/share/fonts, face index in a .ttc, weight in the sampling, "mono" for receipt-like faces)
TRAINING_FONTS: tuple[tuple[str, int, float, bool], ...] = (
    ("truetype/nanum/NanumGothic.ttf", 0, 3.0, False),
    ("truetype/nanum/NanumGothicBold.ttf", 0, 2.0, False),
    ("truetype/nanum/NanumGothicExtraBold.ttf", 0, 1.0, False),
    ("truetype/nanum/NanumGothicLight.ttf", 0, 1.0, False),
    ("truetype/nanum/NanumGothicEcoR.ttf", 0, 0.5, False),
    ("truetype/nanum/NanumMyeongjo.ttf", 0, 2.0, False),
    ("truetype/nanum/NanumMyeongjoBold.ttf", 0, 1.0, False),
    ("truetype/nanum/NanumMyeongjoExtraBold.ttf", 0, 0.5, False),
    ("truetype/nanum/NanumBarunGothicBold.ttf", 0, 1.0, False),
    ("truetype/nanum/NanumBarunGothicLight.ttf", 0, 0.5, False),
    ("truetype/nanum/NanumSquareR.ttf", 0, 1.0, False),
    ("truetype/nanum/NanumSquareB.ttf", 0, 1.0, False),
    ("truetype/nanum/NanumSquareEB.ttf", 0, 0.5, False),
    ("truetype/nanum/NanumSquareL.ttf", 0, 0.5, False),
    ("truetype/nanum/NanumGothicCoding.ttf", 0, 2.0, True),
    ("truetype/nanum/NanumGothicCodingBold.ttf", 0, 1.5, True),
    ("truetype/nanum/NanumBarunpenR.ttf", 0, 0.3, False),
    ("truetype/baekmuk/gulim.ttf", 0, 3.0, True),
    ("truetype/baekmuk/dotum.ttf", 0, 3.0, True),
    ("truetype/baekmuk/batang.ttf", 0, 1.5, False),
    ("truetype/baekmuk/hline.ttf", 0, 0.5, False),
    ("truetype/unfonts-core/UnDinaru.ttf", 0, 0.5, False),
    ("truetype/unfonts-core/UnDinaruBold.ttf", 0, 0.5, False),
    ("truetype/unfonts-core/UnGungseo.ttf", 0, 0.3, False),
    ("truetype/unfonts-core/UnGraphicBold.ttf", 0, 0.5, False),
    ("truetype/unfonts-core/UnBatangBold.ttf", 0, 0.5, False),
    ("truetype/unfonts-extra/UnShinmun.ttf", 0, 0.5, False),
    ("truetype/unfonts-extra/UnTaza.ttf", 0, 1.0, True),
    ("truetype/unfonts-extra/UnVada.ttf", 0, 0.5, False),
    ("truetype/unfonts-extra/UnJamoDotum.ttf", 0, 0.5, False),
    ("truetype/unfonts-extra/UnJamoBatang.ttf", 0, 0.5, False),
    # Noto CJK collections: face 1 is KR in the Sans/Serif .ttc files (checked by family name below)
    ("opentype/noto/NotoSansCJK-Regular.ttc", 1, 3.0, False),
    ("opentype/noto/NotoSansCJK-Bold.ttc", 1, 2.0, False),
    ("opentype/noto/NotoSansCJK-Medium.ttc", 1, 1.0, False),
    ("opentype/noto/NotoSansCJK-Light.ttc", 1, 1.0, False),
    ("opentype/noto/NotoSansCJK-DemiLight.ttc", 1, 0.5, False),
    ("opentype/noto/NotoSansCJK-Black.ttc", 1, 0.5, False),
    ("opentype/noto/NotoSansCJK-Regular.ttc", 6, 1.5, True),  # Noto Sans Mono CJK KR
    ("opentype/noto/NotoSerifCJK-Regular.ttc", 1, 1.5, False),
    ("opentype/noto/NotoSerifCJK-Bold.ttc", 1, 1.0, False),
    ("opentype/noto/NotoSerifCJK-Light.ttc", 1, 0.5, False),
    ("opentype/noto/NotoSerifCJK-SemiBold.ttc", 1, 0.5, False),
)
# Latin-only faces for English words and codes inside Korean lines are taken from the Korean fonts
# themselves (what a Korean document prints); these add plain Latin lines
LATIN_FONTS: tuple[tuple[str, int, float, bool], ...] = (
    ("truetype/dejavu/DejaVuSans.ttf", 0, 1.0, False),
    ("truetype/dejavu/DejaVuSans-Bold.ttf", 0, 0.5, False),
    ("truetype/dejavu/DejaVuSansMono.ttf", 0, 1.0, True),
    ("truetype/dejavu/DejaVuSerif.ttf", 0, 0.5, False),
)


@dataclass(frozen=True)
class Font:
    path: Path
    index: int
    weight: float
    mono: bool
    name: str
    covers: frozenset[str]

    def supports(self, text: str) -> bool:
        return all(ch == " " or ch in self.covers for ch in text)


def _family(path: Path, index: int) -> str:
    from fontTools.ttLib import TTCollection, TTFont

    font = TTCollection(str(path)).fonts[index] if path.suffix == ".ttc" else TTFont(str(path), lazy=True)
    return str(font["name"].getDebugName(4) or path.stem)


def _cmap(path: Path, index: int) -> frozenset[str]:
    from fontTools.ttLib import TTCollection, TTFont

    font = TTCollection(str(path)).fonts[index] if path.suffix == ".ttc" else TTFont(str(path), lazy=True)
    return frozenset(chr(c) for c in font.getBestCmap())


@functools.cache
def training_fonts(include_latin: bool = True) -> tuple[Font, ...]:
    held = {str(FONT_ROOT / f) for f in HELD_OUT_FONTS}
    out = []
    for rel, index, weight, mono in TRAINING_FONTS + (LATIN_FONTS if include_latin else ()):
        path = FONT_ROOT / rel
        if str(path) in held:
            raise ValueError(f"{rel} is an evaluation font; it must not be trained on")
        if not path.is_file():
            raise FileNotFoundError(f"{path} missing: install the Debian font packages listed in {__name__}")
        name = _family(path, index)
        if path.suffix == ".ttc" and " KR" not in name:
            raise ValueError(f"{rel} face {index} is {name!r}, not the KR face")
        out.append(Font(path, index, weight, mono, name, _cmap(path, index)))
    return tuple(out)


@functools.cache
def held_out_fonts() -> tuple[Font, ...]:
    """The evaluation's fonts (never trained on), for a validation set of lines in unseen type."""
    out = []
    for rel in HELD_OUT_FONTS:
        path = FONT_ROOT / rel
        out.append(Font(path, 0, 1.0, False, _family(path, 0), _cmap(path, 0)))
    return tuple(out)
