"""The language catalogue: every PaddleOCR ``lang`` code the service accepts, and what reads each one.

Pure data and small functions on the standard library only: app/core/config.py validates
OCR_DEFAULT_LANG and OCR_LANGUAGES against it without importing an engine, and scripts/lang_packages.py
loads this file by its path with the system python3 (before the project's environment exists) to
compute the Debian packages scripts/install.sh installs. Keep it free of imports from ``app`` and of
third-party packages.

The codes are PaddleOCR's own (``paddleocr/_utils/langs.py`` and ``PaddleOCR._get_ocr_model_names``),
plus the recognizer-family codes clients send (``latin``, ``eslav``, ``cyrillic``, ``arabic``,
``devanagari``: PaddleOCR 2.x and RapidOCR). Each code has one reader:

- ``general``: the bundled PP-OCR model (OCR_REC_MODEL, PP-OCRv6 small by default), whose dictionary
  covers Chinese, Japanese kana, English and accented Latin. Always enabled.
- ``korean``: the Korean recognizer of app/engines/registry.py (OCR_KOREAN_REC_MODEL). Always enabled.
- ``tesseract``: offline, Tesseract LSTM with Debian's language data (``tesseract-ocr-<x>``), for the
  scripts the bundled model cannot read. Enabled by OCR_LANGUAGES (the data must be installed). With
  OCR_MODEL_SOURCE=hub the PaddleOCR model of the code (``paddle_model``) is loaded by name instead,
  Tesseract remaining the fallback when it cannot load.

``paddle_model`` is what PaddleOCR 3.x itself would load for the code (for the family codes, which
PaddleOCR 3.x no longer accepts, the family's PP-OCRv5 model); tests/engines/test_languages.py checks it
against the installed paddleocr, so an upgrade that adds or moves a language fails a test.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

GENERAL = "general"
KOREAN_READER = "korean"
TESSERACT = "tesseract"
ALL = "all"
DEFAULT_ENABLED = ("korean", "en")
# lang=auto: each page read as the language its text turns out to be in (app/engines/auto_lang.py)
AUTO = "auto"
AUTO_NAME = "Automatic (Korean, English, Chinese, Japanese: per page)"
SETTING = "OCR_LANGUAGES"
INSTALL_SCRIPT = "scripts/install.sh"

_V6 = "PP-OCRv6_medium_rec"  # PaddleOCR 3.x's model for ch, chinese_cht, japan, en and the Latin ISO codes
_MICRO_SIGN_AS_MU = (("\u00b5", "\u03bc"),)  # Tesseract's ell data writes some μ as the micro sign µ


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # the PaddleOCR `lang` code
    name: str
    script: str
    family: str  # PaddleOCR's recognizer family (latin, eslav, cyrillic, arabic, devanagari, th, …)
    paddle_model: str  # PaddleOCR's recognition model for the code (OCR_MODEL_SOURCE=hub loads it by name)
    reader: str = GENERAL  # general | korean | tesseract (offline)
    tesseract: str | None = None  # traineddata name (reader tesseract; Debian puts script data as e.g. Cyrillic)
    package: str | None = None  # the Debian package holding that traineddata
    rtl: bool = False  # right-to-left script
    fixes: tuple[tuple[str, str], ...] = ()  # characters of Tesseract's output replaced (data quirks)

    @property
    def engine(self) -> str:
        """What reads it offline: ``paddleocr`` or ``tesseract`` (Korean: see :func:`korean_engine`)."""
        return TESSERACT if self.reader == TESSERACT else "paddleocr"

    @property
    def always_enabled(self) -> bool:
        """Served without any optional package (the bundled model, or the Korean recognizer)."""
        return self.reader != TESSERACT


def _general(code: str, name: str, script: str, family: str, model: str = _V6) -> Language:
    return Language(code, name, script, family, model)


def _tess(
    code: str, name: str, script: str, family: str, data: str, package: str, *, model: str | None = None
) -> Language:
    return Language(
        code,
        name,
        script,
        family,
        model or f"{family}_PP-OCRv5_mobile_rec",
        TESSERACT,
        data,
        package,
        rtl=script == "Arabic",
        fixes=_MICRO_SIGN_AS_MU if data == "ell" else (),
    )


# Debian 12 script data: the whole script in one model (tessdata/<Script>.traineddata)
_SCRIPT_DATA = {
    "Cyrillic": ("Cyrillic", "tesseract-ocr-script-cyrl"),
    "Arabic": ("Arabic", "tesseract-ocr-script-arab"),
    "Devanagari": ("Devanagari", "tesseract-ocr-script-deva"),
}

# Latin-script codes in PaddleOCR's LATIN_LANGS: the bundled model (its dictionary has accented Latin).
# PaddleOCR 3.x reads them with PP-OCRv6_medium_rec, except Pali (latin_PP-OCRv5_mobile_rec).
_LATIN = {
    "af": "Afrikaans",
    "az": "Azerbaijani",
    "bs": "Bosnian",
    "ca": "Catalan",
    "cs": "Czech",
    "cy": "Welsh",
    "da": "Danish",
    "de": "German",
    "es": "Spanish",
    "et": "Estonian",
    "eu": "Basque",
    "fi": "Finnish",
    "fr": "French",
    "french": "French (PaddleOCR 2.x code)",
    "ga": "Irish",
    "german": "German (PaddleOCR 2.x code)",
    "gl": "Galician",
    "hr": "Croatian",
    "hu": "Hungarian",
    "id": "Indonesian",
    "is": "Icelandic",
    "it": "Italian",
    "ku": "Kurdish (Latin script)",
    "la": "Latin",
    "lb": "Luxembourgish",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "mi": "Maori",
    "ms": "Malay",
    "mt": "Maltese",
    "nl": "Dutch",
    "no": "Norwegian",
    "oc": "Occitan",
    "pi": "Pali (Latin script)",
    "pl": "Polish",
    "pt": "Portuguese",
    "qu": "Quechua",
    "rm": "Romansh",
    "ro": "Romanian",
    "rs_latin": "Serbian (Latin script)",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sq": "Albanian",
    "sv": "Swedish",
    "sw": "Swahili",
    "tl": "Tagalog",
    "tr": "Turkish",
    "uz": "Uzbek (Latin script)",
}
_LATIN_V5 = {"pi"}  # PaddleOCR 3.x has no PP-OCRv6 model for these

# code -> (name, Tesseract language data or None for the script data)
_CYRILLIC = {
    "ru": ("Russian", "rus"),
    "uk": ("Ukrainian", "ukr"),
    "be": ("Belarusian", "bel"),
    "bg": ("Bulgarian", "bul"),
    "rs_cyrillic": ("Serbian (Cyrillic script)", "srp"),
    "mk": ("Macedonian", "mkd"),
    "mn": ("Mongolian (Cyrillic script)", "mon"),
    "kk": ("Kazakh", "kaz"),
    "ky": ("Kyrgyz", "kir"),
    "tg": ("Tajik", "tgk"),
    "tt": ("Tatar", "tat"),
    "abq": ("Abaza", None),
    "ady": ("Adyghe", None),
    "kbd": ("Kabardian", None),
    "ava": ("Avar", None),
    "dar": ("Dargwa", None),
    "inh": ("Ingush", None),
    "che": ("Chechen", None),
    "lbe": ("Lak", None),
    "lez": ("Lezgian", None),
    "tab": ("Tabasaran", None),
    "cv": ("Chuvash", None),
    "ba": ("Bashkir", None),
    "mhr": ("Meadow Mari", None),
    "mo": ("Moldovan (Cyrillic script)", None),
    "udm": ("Udmurt", None),
    "kv": ("Komi", None),
    "os": ("Ossetian", None),
    "bua": ("Buryat", None),
    "xal": ("Kalmyk", None),
    "tyv": ("Tuvan", None),
    "sah": ("Yakut (Sakha)", None),
    "kaa": ("Karakalpak (Cyrillic script)", None),
}
_ESLAV = {"ru", "uk", "be"}  # PaddleOCR reads these with eslav_PP-OCRv5_mobile_rec (checked before cyrillic)
_ARABIC = {
    "ar": ("Arabic", "ara"),
    "fa": ("Persian", "fas"),
    "ug": ("Uyghur", "uig"),
    "ur": ("Urdu", "urd"),
    "ps": ("Pashto", "pus"),
    "sd": ("Sindhi", "snd"),
    "bal": ("Balochi", None),
}
_DEVANAGARI = {
    "hi": ("Hindi", "hin"),
    "mr": ("Marathi", "mar"),
    "ne": ("Nepali", "nep"),
    "sa": ("Sanskrit", "san"),
    "bh": ("Bihari", None),
    "mai": ("Maithili", None),
    "ang": ("Angika", None),
    "bho": ("Bhojpuri", None),
    "mah": ("Magahi", None),
    "sck": ("Sadri", None),
    "new": ("Newari (Nepal Bhasa)", None),
    "gom": ("Konkani (Goan)", None),
    "bgc": ("Haryanvi", None),
}


def _script_group(group: dict[str, tuple[str, str | None]], script: str, family_of: dict[str, str]) -> list[Language]:
    out = []
    script_data, script_package = _SCRIPT_DATA[script]
    for code, (name, data) in group.items():
        family = family_of.get(code, script.lower())
        if data is None:
            out.append(_tess(code, name, script, family, script_data, script_package))
        else:
            out.append(_tess(code, name, script, family, data, f"tesseract-ocr-{data}"))
    return out


def _build() -> dict[str, Language]:
    entries: list[Language] = [
        # Korean: the Korean recognizer of app/engines/registry.py (OCR_KOREAN_REC_MODEL), Tesseract kor its fallback
        Language(
            "korean",
            "Korean (Hangul + Latin digits)",
            "Hangul",
            "korean",
            "korean_PP-OCRv5_mobile_rec",
            KOREAN_READER,
            package="tesseract-ocr-kor",
        ),
        _general("en", "English", "Latin", "en"),
        _general("ch", "Chinese (simplified) + English", "Han", "ch"),
        _general("chinese_cht", "Chinese (traditional) + English", "Han", "ch"),
        _general("japan", "Japanese + English", "Japanese", "japan"),
        _general("latin", "Latin-script languages", "Latin", "latin", "latin_PP-OCRv5_mobile_rec"),
    ]
    for code, name in _LATIN.items():
        model = "latin_PP-OCRv5_mobile_rec" if code in _LATIN_V5 else _V6
        entries.append(_general(code, name, "Latin", "latin", model))
    entries += [
        # families (PaddleOCR 2.x / RapidOCR codes): the script data, which reads every language of the script
        # (measured on Russian, Ukrainian, Belarusian and Serbian lines: as good as each language's own data)
        _tess("eslav", "East Slavic (Russian, Ukrainian, Belarusian)", "Cyrillic", "eslav", *_SCRIPT_DATA["Cyrillic"]),
        _tess("cyrillic", "Cyrillic-script languages", "Cyrillic", "cyrillic", *_SCRIPT_DATA["Cyrillic"]),
        _tess("arabic", "Arabic-script languages", "Arabic", "arabic", *_SCRIPT_DATA["Arabic"]),
        _tess("devanagari", "Devanagari-script languages", "Devanagari", "devanagari", *_SCRIPT_DATA["Devanagari"]),
    ]
    entries += _script_group(_CYRILLIC, "Cyrillic", {c: "eslav" for c in _ESLAV})
    entries += _script_group(_ARABIC, "Arabic", {})
    entries += _script_group(_DEVANAGARI, "Devanagari", {})
    entries += [
        _tess("th", "Thai", "Thai", "th", "tha", "tesseract-ocr-tha"),
        _tess("el", "Greek", "Greek", "el", "ell", "tesseract-ocr-ell"),
        _tess("ta", "Tamil", "Tamil", "ta", "tam", "tesseract-ocr-tam"),
        _tess("te", "Telugu", "Telugu", "te", "tel", "tesseract-ocr-tel"),
        # PaddleOCR's `ka` is Kannada (its ka_ model and dictionary), not ISO 639-1 Georgian
        _tess("ka", "Kannada", "Kannada", "ka", "kan", "tesseract-ocr-kan", model="ka_PP-OCRv3_mobile_rec"),
    ]
    # Vietnamese is Latin script, but the bundled model's dictionary lacks most of its letters (ạ ả ấ ầ ẩ
    # ẫ ậ …, measured: CER 10 % on clean lines where Tesseract's vie data reads them exactly)
    entries.append(_tess("vi", "Vietnamese", "Latin", "latin", "vie", "tesseract-ocr-vie", model=_V6))
    out: dict[str, Language] = {}
    for entry in entries:
        if entry.code in out:
            raise AssertionError(f"language code {entry.code!r} is listed twice")
        out[entry.code] = entry
    return out


CATALOGUE: dict[str, Language] = _build()


# ---------------------------------------------------------------- look-ups


def get(code: str) -> Language | None:
    return CATALOGUE.get(code)


def codes() -> list[str]:
    return list(CATALOGUE)


def suggest(code: str) -> list[str]:
    """Known codes close to an unknown one (by code, or by name: ``thai`` -> ``th``)."""
    by_name = {e.name.split(" (")[0].lower(): e.code for e in CATALOGUE.values()}
    low = code.strip().lower()
    found = [c for c in difflib.get_close_matches(low, list(CATALOGUE), n=3, cutoff=0.75)]
    found += [by_name[n] for n in difflib.get_close_matches(low, list(by_name), n=2, cutoff=0.75)]
    return list(dict.fromkeys(found))


def parse_languages(value: str | Iterable[str]) -> list[str]:
    """OCR_LANGUAGES (comma-separated codes, or ``all``) as a list of codes; ValueError names unknown ones."""
    items = [s.strip() for s in value.split(",")] if isinstance(value, str) else [str(s).strip() for s in value]
    items = [s for s in items if s]
    if ALL in items:
        return codes()
    unknown = [s for s in items if s not in CATALOGUE]
    if unknown:
        hints = []
        for s in unknown:
            close = suggest(s)
            hints.append(f"{s!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
        raise ValueError(
            f"unknown language code(s) {', '.join(hints)}: use PaddleOCR `lang` codes, comma-separated, or `all` "
            "(GET /languages and docs/models.md list them)"
        )
    return list(dict.fromkeys(items))


def enabled_codes(configured: Iterable[str]) -> list[str]:
    """The codes a service with OCR_LANGUAGES=``configured`` accepts, in catalogue order."""
    chosen = set(configured)
    return [c for c, e in CATALOGUE.items() if e.always_enabled or c in chosen]


def is_enabled(entry: Language, configured: Iterable[str]) -> bool:
    return entry.always_enabled or entry.code in set(configured)


def how_to_enable(entry: Language) -> str:
    """What an operator does to serve a language that is not enabled."""
    return (
        f"{entry.name} ({entry.code}) is read with Tesseract's `{entry.tesseract}` data: add {entry.code} to "
        f"{SETTING} and run {INSTALL_SCRIPT} (it installs {entry.package})"
    )


def tesseract_entries(configured: Iterable[str]) -> list[Language]:
    """The enabled languages Tesseract reads (offline, or as the fallback of a hub model)."""
    chosen = set(configured)
    return [e for e in CATALOGUE.values() if e.reader == TESSERACT and e.code in chosen]


def packages_for(configured: Iterable[str]) -> list[str]:
    """Debian packages the enabled languages need beyond the bundled model (Korean's included), sorted."""
    chosen = set(configured)
    found = {e.package for e in CATALOGUE.values() if e.package and (e.code in chosen or e.code == "korean")}
    return sorted(found)


def tesseract_model(data: str) -> str:
    """How /languages names a Tesseract reader."""
    return f"tesseract:{data}"


def served_by(entry: Language, *, rec_model: str, hub: bool, korean_model: str | None) -> tuple[str, str]:
    """``(engine, model)`` that reads ``entry`` under these settings (OCR_REC_MODEL, OCR_MODEL_SOURCE=hub,
    OCR_KOREAN_REC_MODEL), before any engine is built: hub models are assumed to load."""
    if entry.reader == KOREAN_READER:
        if not korean_model or korean_model == TESSERACT:
            return TESSERACT, tesseract_model("kor+eng")
        return "paddleocr", korean_model
    if entry.reader == TESSERACT:
        if hub:
            return "paddleocr", entry.paddle_model
        return TESSERACT, tesseract_model(str(entry.tesseract))
    return "paddleocr", rec_model
