"""Tesseract (through tesserocr) as a TextRecognizer for text-line crops: the offline Korean reader.

No PyPI wheel ships a Korean PP-OCR recognition model, so offline Korean text lines found by the
PP-OCR detector are read by Tesseract's LSTM with Debian's ``tesseract-ocr-kor`` data (see
docs/accuracy.md for the measurements behind this choice).

One ``PyTessBaseAPI`` per instance: it is not thread-safe; the runtime gives each instance one owner
thread. Crops are RGB uint8; each gets a white margin and is scaled to a comfortable x-height first.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from app.engines.base import EngineInfo, EngineLoadError, Recognized
from app.engines.crops import has_ink, read_either_way_up

TESSDATA_CANDIDATES = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)
# line crops are scaled so the line box is this tall (Tesseract's LSTM likes ~30-40 px glyphs)
TARGET_LINE_HEIGHT = 48
MAX_UPSCALE = 4.0
PAD_RATIO = 0.25  # white margin around the crop, as a fraction of its height
RETRY_BELOW = 0.5  # a line read with less confidence (or not at all) is read again at another scale
RETRY_PSM = 13  # PSM.RAW_LINE


def find_tessdata(langs: Sequence[str], configured: str | os.PathLike[str] | None = None) -> Path:
    """The tessdata dir holding ``<lang>.traineddata`` for every lang.

    Order: ``configured`` (settings.tessdata_dir), $TESSDATA_PREFIX (the dir itself or its tessdata/),
    then the usual system locations. Raises EngineLoadError naming what to install.
    """
    candidates: list[Path] = []
    if configured:
        candidates.append(Path(configured))
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        candidates += [Path(prefix), Path(prefix) / "tessdata"]
    candidates += [Path(p) for p in TESSDATA_CANDIDATES]
    for d in candidates:
        if all((d / f"{lang}.traineddata").is_file() for lang in langs):
            return d
    if configured:
        raise EngineLoadError(f"TESSDATA_DIR={configured} has no {' / '.join(f'{lang}.traineddata' for lang in langs)}")
    raise EngineLoadError(
        f"Tesseract language data {', '.join(f'{lang}.traineddata' for lang in langs)} not found "
        f"(looked in {', '.join(str(c) for c in candidates)}). Install Debian/Ubuntu packages "
        "tesseract-ocr-kor tesseract-ocr-eng, or set TESSDATA_DIR / TESSDATA_PREFIX."
    )


def prepare_line(crop: np.ndarray, target_height: int = TARGET_LINE_HEIGHT) -> Image.Image:
    """Gray, scaled so the line is about ``target_height`` px tall, with a margin of the border colour."""
    if crop.ndim == 3:
        gray = cv2.cvtColor(crop[:, :, :3], cv2.COLOR_RGB2GRAY)
    else:
        gray = crop
    h, w = gray.shape[:2]
    scale = min(MAX_UPSCALE, target_height / max(h, 1))
    if abs(scale - 1.0) > 0.1:
        interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        gray = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp)
    pad = max(4, round(gray.shape[0] * PAD_RATIO))
    # pad with the border's typical colour (white pages stay white, inverted crops stay dark)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    value = int(np.median(border))
    gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(value,))
    return Image.fromarray(gray)


def has_hangul(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e" for ch in text)


class TesseractRecognizer:
    """TextRecognizer on Tesseract LSTM. ``psm=7`` treats every crop as a single text line.

    With ``lang="kor+eng"`` Tesseract reads Latin words (e-mail addresses, codes, "OCR") far better than
    ``kor`` alone, but now and then reads a Hangul word as Latin garbage ("내용을" -> "USS", always at low
    confidence). ``recheck_below``: such words (recognised in a language other than the first one, with
    confidence below this) are read again with a first-language-only model on the same columns, and
    replaced when that reading is more confident and (for Korean) contains Hangul. 0 disables it.

    ``rtl`` (right-to-left scripts: Arabic, Persian, Urdu, ...): the line is taken as Tesseract orders it
    (``GetUTF8Text``), without preserved inter-word spaces: its word iterator hands RTL words over in
    visual order, letters reversed, and the preserved spacing loses the space between some words.
    """

    def __init__(
        self,
        lang: str = "kor+eng",
        *,
        psm: int = 7,
        tessdata_dir: str | os.PathLike[str] | None = None,
        recheck_below: float = 85.0,
        dpi: int = 300,
        rtl: bool = False,
    ) -> None:
        try:
            import tesserocr
        except ImportError as exc:  # pragma: no cover - dependency is part of the lock file
            raise EngineLoadError(f"tesserocr is not installed: {exc}") from exc
        self._tesserocr = tesserocr
        langs = lang.split("+")
        self.tessdata = find_tessdata(langs, tessdata_dir)
        self._api = self._open(lang, psm)
        self._rtl = rtl
        if rtl:
            self._api.SetVariable("preserve_interword_spaces", "0")
        self._primary = langs[0]
        self._recheck_api = self._open(self._primary, 7) if recheck_below > 0 and len(langs) > 1 else None
        self._recheck_below = recheck_below
        self._dpi = dpi
        self.lang = lang
        self.psm = psm
        version = tesserocr.tesseract_version().split()[1] if tesserocr.tesseract_version() else "?"
        self.info = EngineInfo(
            name="tesseract", backend="tesseract", device="cpu", models={"rec": f"tesseract-{version}:{lang}"}
        )

    def _open(self, lang: str, psm: int) -> Any:
        try:
            api = self._tesserocr.PyTessBaseAPI(
                path=str(self.tessdata) + os.sep, lang=lang, psm=psm, oem=self._tesserocr.OEM.LSTM_ONLY
            )
        except RuntimeError as exc:
            raise EngineLoadError(f"Tesseract failed to load {lang!r} from {self.tessdata}: {exc}") from exc
        api.SetVariable("preserve_interword_spaces", "1")
        return api

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Recognized]:
        return read_either_way_up(self._recognize, crops)

    def _recognize(self, crops: Sequence[np.ndarray]) -> list[Recognized]:
        out: list[Recognized] = []
        for crop in crops:
            if crop.ndim < 2 or min(crop.shape[:2]) < 2 or not has_ink(crop):
                out.append(Recognized("", 0.0))
                continue
            image = prepare_line(crop)
            result = self._read_line(image)
            if result.confidence < RETRY_BELOW:
                # psm 7 now and then returns nothing for a clean line (its line finder rejects the
                # blob at some scales); psm 13 (raw line, no layout heuristics) reads those
                self._api.SetPageSegMode(RETRY_PSM)
                try:
                    retry = self._read_line(image)
                finally:
                    self._api.SetPageSegMode(self.psm)
                if retry.confidence > result.confidence:
                    result = retry
            out.append(result)
        return out

    def _read_line(self, image: Image.Image) -> Recognized:
        api = self._api
        api.SetImage(image)
        api.SetSourceResolution(self._dpi)
        api.Recognize()
        if self._rtl:
            return self._line_text()
        level = self._tesserocr.RIL.WORD
        it = api.GetIterator()
        parts: list[str] = []
        confs: list[float] = []
        gray: np.ndarray | None = None
        while it is not None:
            try:
                word = it.GetUTF8Text(level)
            except RuntimeError:  # an element without text (e.g. an empty line image)
                word = ""
            conf = float(it.Confidence(level)) if word else 0.0
            if word and conf >= 1.0:  # conf 0: Tesseract's own "rejected" (noise, blank crops)
                if (
                    self._recheck_api is not None
                    and conf < self._recheck_below
                    and it.WordRecognitionLanguage() != self._primary
                ):
                    if gray is None:
                        gray = np.asarray(image)
                    word, conf = self._recheck(gray, it.BoundingBox(level), word, conf)
                if parts and it.BlanksBeforeWord():
                    parts.append(" ")
                parts.append(word)
                confs.append(conf)
            if not it.Next(level):
                break
        text = " ".join("".join(parts).split())
        conf = sum(confs) / len(confs) if confs and text else 0.0
        return Recognized(text, min(1.0, max(0.0, conf / 100.0)))

    def _line_text(self) -> Recognized:
        """The recognised line in Tesseract's own (logical) order, with its mean word confidence."""
        text = " ".join(self._api.GetUTF8Text().split())
        conf = float(self._api.MeanTextConf()) if text else 0.0
        return Recognized(text, min(1.0, max(0.0, conf / 100.0)))

    def _recheck(self, gray: np.ndarray, box: tuple[int, int, int, int], word: str, conf: float) -> tuple[str, float]:
        """Read the columns of ``box`` (full line height) with the first-language-only model."""
        assert self._recheck_api is not None
        x0, y0, x1, y1 = box
        pad = max(2, round(0.15 * (y1 - y0)))
        columns = gray[:, max(0, x0 - pad) : min(gray.shape[1], x1 + pad)]
        if columns.size == 0:
            return word, conf
        self._recheck_api.SetImage(Image.fromarray(np.ascontiguousarray(columns)))
        self._recheck_api.SetSourceResolution(self._dpi)
        alt = " ".join(self._recheck_api.GetUTF8Text().split())
        alt_conf = float(self._recheck_api.MeanTextConf())
        if alt and alt_conf > conf and (self._primary != "kor" or has_hangul(alt)):
            return alt, alt_conf
        return word, conf

    def read_page(self, image: np.ndarray, psm: int = 6) -> str:
        """Whole-page Tesseract (no PP-OCR detection); used by the accuracy evaluation for comparison."""
        self._api.SetPageSegMode(psm)
        try:
            self._api.SetImage(Image.fromarray(image))
            self._api.SetSourceResolution(self._dpi)
            text: str = self._api.GetUTF8Text()
        finally:
            self._api.SetPageSegMode(self.psm)
        return text

    def close(self) -> None:
        self._api.End()
        if self._recheck_api is not None:
            self._recheck_api.End()
