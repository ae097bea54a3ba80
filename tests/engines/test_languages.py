"""The language catalogue (app/core/languages.py) against the installed PaddleOCR, its settings, the package
list script, and the engines that read the languages Tesseract serves (built lazily, one per engine set)."""

from __future__ import annotations

import ast
import inspect
import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from app.core import languages
from app.core.config import SettingsError, load_settings
from app.core.languages import CATALOGUE, TESSERACT
from tests.engines.helpers import RAPIDOCR, REPO, load_rgb, models_with_stand_in, rapidocr_labels

FAMILY_CODES = {"latin", "eslav", "cyrillic", "arabic", "devanagari"}


# ---------------------------------------------------------------- PaddleOCR's own lists


def _paddleocr_model_names() -> Any:
    from paddleocr._pipelines.ocr import PaddleOCR

    return lambda lang, version=None: PaddleOCR._get_ocr_model_names(None, lang, version)


def _strings_compared_with(func: Any, names: set[str], *, lists: bool = False) -> set[str]:
    """Every string literal ``func`` compares one of ``names`` with (``lang == "th"``, ``lang in (...)``)
    or assigns to one of them (``rec_lang = "eslav"``); with ``lists``, also those of its ``*_LANGS`` lists."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    found: set[str] = set()

    def literals(node: ast.AST) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
        if isinstance(node, ast.BinOp):
            return literals(node.left) | literals(node.right)
        return set()

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id in names:
            for comp in node.comparators:
                found |= literals(comp)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in names for t in node.targets):
            found |= literals(node.value)
        targets = node.targets if isinstance(node, ast.Assign) else []
        if lists and any(isinstance(t, ast.Name) and t.id.endswith("LANGS") for t in targets):
            assert isinstance(node, ast.Assign)
            found |= literals(node.value)
    return found


def paddleocr_codes() -> set[str]:
    """The `lang` codes PaddleOCR itself accepts: its language groups and the codes _get_ocr_model_names names."""
    from paddleocr._pipelines import ocr as pipeline
    from paddleocr._utils import langs

    groups = set()
    for name in dir(langs):
        if name.endswith("_LANGS"):
            groups |= set(getattr(langs, name))
    named = _strings_compared_with(pipeline.PaddleOCR._get_ocr_model_names, {"lang"}, lists=True)
    named = {c for c in named if not c.startswith("PP-OCR")}
    return groups | named | set(getattr(pipeline, "_PPOCRV6_LANGS", ()))


def paddleocr_families() -> set[str]:
    """The recognizer families _get_ocr_model_names builds model names from (``rec_lang``)."""
    from paddleocr._pipelines import ocr as pipeline

    return _strings_compared_with(pipeline.PaddleOCR._get_ocr_model_names, {"rec_lang"}) - {"ch"}


def test_the_catalogue_has_every_paddleocr_code() -> None:
    codes = paddleocr_codes()
    assert len(codes) > 100, sorted(codes)  # the groups were found (PaddleOCR 3.7: 112 codes)
    assert {"th", "el", "ta", "te", "ka", "korean", "ru", "ar", "hi", "fr", "pi"} <= codes
    missing = codes - set(CATALOGUE)
    assert not missing, f"PaddleOCR knows languages the catalogue lacks: {sorted(missing)}"
    assert set(CATALOGUE) - codes == FAMILY_CODES  # and nothing else


def test_the_catalogue_has_every_recognizer_family_as_a_code() -> None:
    families = paddleocr_families()
    assert {"latin", "eslav", "cyrillic", "arabic", "devanagari", "th", "el", "te", "ta", "korean"} <= families
    assert families <= set(CATALOGUE), sorted(families - set(CATALOGUE))
    # the RapidOCR set and PaddleOCR 2.x clients send these
    for code in ("latin", "eslav", "cyrillic", "arabic", "hi", "ta", "te", "th", "el", "devanagari"):
        assert code in CATALOGUE


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_paddle_model_is_what_paddleocr_loads(code: str) -> None:
    names = _paddleocr_model_names()
    entry = CATALOGUE[code]
    if code in FAMILY_CODES:
        # PaddleOCR 3.x no longer takes the family codes: the family's PP-OCRv5 model
        members = [c for c, e in CATALOGUE.items() if e.family == entry.family and c not in FAMILY_CODES]
        models = {names(c, "PP-OCRv5")[1] for c in members}
        assert entry.paddle_model in models, (entry.paddle_model, models)
    else:
        assert entry.paddle_model == names(code)[1]


def test_every_entry_is_complete_and_consistent() -> None:
    by_data: dict[str, languages.Language] = {}
    for code, e in CATALOGUE.items():
        assert e.code == code and e.name and e.script and e.family and e.paddle_model
        if e.reader == TESSERACT:
            assert e.tesseract and e.package and e.package.startswith("tesseract-ocr-"), code
            # language data: tesseract-ocr-<data>; script data (Cyrillic, ...): tesseract-ocr-script-<x>
            if e.tesseract.islower():
                assert e.package == f"tesseract-ocr-{e.tesseract}", code
            else:
                assert e.package.startswith("tesseract-ocr-script-"), code
            assert e.rtl == (e.script == "Arabic"), code
            first = by_data.setdefault(e.tesseract, e)
            assert (first.package, first.rtl, first.fixes) == (e.package, e.rtl, e.fixes), code  # one reader per data
            assert not e.always_enabled
        else:
            assert e.tesseract is None and e.always_enabled, code
    # what the bundled model reads: CJK, English, Latin script (Vietnamese excepted: its letters are not in it)
    general = {c for c, e in CATALOGUE.items() if e.reader == languages.GENERAL}
    assert {"en", "ch", "chinese_cht", "japan", "latin", "fr", "de", "pl", "tr", "rs_latin"} <= general
    assert {e.script for c, e in CATALOGUE.items() if c in general} == {"Latin", "Han", "Japanese"}
    assert CATALOGUE["korean"].reader == languages.KOREAN_READER
    expected = {"eslav": "Cyrillic", "cyrillic": "Cyrillic", "rs_cyrillic": "srp", "ru": "rus", "el": "ell",
                "th": "tha", "arabic": "Arabic", "fa": "fas", "ar": "ara", "hi": "hin", "ta": "tam", "te": "tel",
                "ka": "kan", "vi": "vie"}  # fmt: skip
    assert {c: CATALOGUE[c].tesseract for c in expected} == expected


def test_the_catalogue_module_needs_only_the_standard_library() -> None:
    """scripts/install.sh runs it with the system python3 before any environment exists."""
    tree = ast.parse((REPO / "app" / "core" / "languages.py").read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


# ---------------------------------------------------------------- parsing, messages, settings


def test_parse_languages() -> None:
    assert languages.parse_languages("korean, en,th,th") == ["korean", "en", "th"]
    assert languages.parse_languages(" all ") == list(CATALOGUE)
    assert languages.parse_languages("") == []
    with pytest.raises(ValueError, match=r"unknown language code\(s\) 'thai' \(did you mean th\?\), 'xx'"):
        languages.parse_languages("thai,xx")


def test_enabled_codes_and_how_to_enable() -> None:
    default = languages.enabled_codes(languages.DEFAULT_ENABLED)
    assert "korean" in default and "en" in default and "fr" in default and "latin" in default
    assert "th" not in default and "ru" not in default and "eslav" not in default
    assert "th" in languages.enabled_codes(["th"])
    assert languages.how_to_enable(CATALOGUE["th"]) == (
        "Thai (th) is read with Tesseract's `tha` data: add th to OCR_LANGUAGES and run scripts/install.sh "
        "(it installs tesseract-ocr-tha)"
    )
    assert languages.packages_for(languages.DEFAULT_ENABLED) == ["tesseract-ocr-kor"]
    assert languages.packages_for(["eslav", "cyrillic", "th"]) == [
        "tesseract-ocr-kor",
        "tesseract-ocr-script-cyrl",
        "tesseract-ocr-tha",
    ]


def test_settings_validate_the_languages() -> None:
    s = load_settings(auth_mode="none")
    assert s.ocr_languages == ["korean", "en"]
    assert s.enabled_languages == languages.enabled_codes(["korean", "en"])
    assert load_settings(auth_mode="none", ocr_languages="all").enabled_languages == list(CATALOGUE)
    assert load_settings(auth_mode="none", ocr_languages="th,el").ocr_languages == ["th", "el"]
    with pytest.raises(SettingsError) as err:
        load_settings(auth_mode="none", ocr_languages="thai,xx")
    assert str(err.value).startswith("invalid configuration: OCR_LANGUAGES: unknown language code(s) 'thai'")
    assert "did you mean th?" in str(err.value) and "`all`" in str(err.value)
    with pytest.raises(SettingsError) as err:
        load_settings(auth_mode="none", ocr_default_lang="th")
    assert "OCR_DEFAULT_LANG: Thai (th) is not enabled: add th to OCR_LANGUAGES" in str(err.value)
    assert "tesseract-ocr-tha" in str(err.value)
    assert load_settings(auth_mode="none", ocr_default_lang="th", ocr_languages="th").ocr_default_lang == "th"
    with pytest.raises(SettingsError, match=r"OCR_DEFAULT_LANG: unsupported language 'russian' \(did you mean ru\?\)"):
        load_settings(auth_mode="none", ocr_default_lang="russian")


# ---------------------------------------------------------------- scripts/lang_packages.py


def run_packages(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    # -I -S: isolated, no site-packages: what the system python3 of a fresh machine has
    return subprocess.run(
        [sys.executable, "-I", "-S", str(REPO / "scripts" / "lang_packages.py"), *args],
        cwd=cwd,
        env=env or {},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_lang_packages_script(tmp_path: Path) -> None:
    empty = tmp_path / "none.env"
    r = run_packages("--env-file", str(empty))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["tesseract-ocr-kor"]
    r = run_packages("--env-file", str(empty), env={"OCR_LANGUAGES": "th, ru,eslav"})
    assert r.stdout.split() == [
        "tesseract-ocr-kor",
        "tesseract-ocr-rus",
        "tesseract-ocr-script-cyrl",
        "tesseract-ocr-tha",
    ]
    dotenv = tmp_path / ".env"
    dotenv.write_text('# languages\nAPI_KEY=x\nexport OCR_LANGUAGES="el, hi"  # Greek, Hindi\n', encoding="utf-8")
    r = run_packages("--env-file", str(dotenv))
    assert r.stdout.split() == ["tesseract-ocr-ell", "tesseract-ocr-hin", "tesseract-ocr-kor"]
    # the environment wins over .env, as it does for the service's settings
    r = run_packages("--env-file", str(dotenv), env={"OCR_LANGUAGES": "ta"})
    assert r.stdout.split() == ["tesseract-ocr-kor", "tesseract-ocr-tam"]
    r = run_packages("--env-file", str(empty), env={"OCR_LANGUAGES": "all"})
    assert r.stdout.split() == languages.packages_for(CATALOGUE)
    r = run_packages("--languages", "thai")
    assert r.returncode == 2 and "OCR_LANGUAGES: unknown language code(s) 'thai' (did you mean th?)" in r.stderr


def test_lang_packages_for_the_tests_cover_the_rapidocr_set(tmp_path: Path) -> None:
    r = run_packages("--tests", "--env-file", str(tmp_path / "none.env"))
    assert r.returncode == 0, r.stderr
    wanted = languages.packages_for([lab["lang"] for lab in rapidocr_labels()])
    assert r.stdout.split() == wanted
    assert {"tesseract-ocr-tha", "tesseract-ocr-ell", "tesseract-ocr-script-cyrl", "tesseract-ocr-script-arab",
            "tesseract-ocr-hin", "tesseract-ocr-tam", "tesseract-ocr-tel"} <= set(wanted)  # fmt: skip


def test_install_script_installs_the_computed_packages() -> None:
    text = (REPO / "scripts" / "install.sh").read_text(encoding="utf-8")
    assert 'scripts/lang_packages.py "${lang_args[@]}"' in text and "lang_args+=(--tests)" in text
    for name in ("Dockerfile", "Dockerfile.gpu"):
        docker = (REPO / "docker" / name).read_text(encoding="utf-8")
        # install.sh runs in both stages before app/ is copied: the catalogue must be there
        assert docker.count("COPY app/core/languages.py app/core/languages.py") == 2, name
        assert "ARG OCR_LANGUAGES=" in docker and "OCR_LANGUAGES=${OCR_LANGUAGES}" in docker, name


# ---------------------------------------------------------------- engines


def hide_system_tessdata(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only TESSDATA_DIR is searched: as on a machine without the language packages."""
    import app.engines.tesseract as tesseract

    monkeypatch.setattr(tesseract, "TESSDATA_CANDIDATES", ())
    monkeypatch.delenv("TESSDATA_PREFIX", raising=False)


def test_missing_language_data_stops_the_engines_naming_setting_and_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.engines.base import EngineLoadError
    from app.engines.registry import build_engines

    hide_system_tessdata(monkeypatch)
    settings = load_settings(auth_mode="none", ocr_languages="th,ru,eslav", tessdata_dir=tmp_path)
    with pytest.raises(EngineLoadError) as err:
        build_engines(settings, part="rec")
    msg = str(err.value)
    assert msg.startswith(f"OCR_LANGUAGES enables languages whose Tesseract data is not in TESSDATA_DIR={tmp_path}")
    for part in ("tesseract-ocr-tha (tha.traineddata: Thai (th))", "tesseract-ocr-rus", "tesseract-ocr-script-cyrl",
                 "scripts/install.sh", "remove eslav, ru, th from OCR_LANGUAGES"):  # fmt: skip
        assert part in msg, msg


def test_languages_not_enabled_are_refused_by_the_engines(engines: Any) -> None:
    with pytest.raises(ValueError, match=r"language 'th' is not enabled: Thai \(th\) is read with Tesseract's `tha`"):
        engines.recognizer_for("th")
    with pytest.raises(ValueError, match="not enabled"):
        engines.describe("ru")
    assert engines.recognizer_for("fr") is engines.recognizer_for("en")  # Latin script: the bundled model


@pytest.mark.slow
def test_script_readers_are_built_lazily_once_per_engine_set(script_engines: Any) -> None:
    from app.core.config import load_settings
    from app.engines.registry import build_engines
    from app.engines.tesseract import TesseractRecognizer

    before = script_engines.describe("th")
    other = build_engines(load_settings(auth_mode="none", ocr_languages="th,eslav,cyrillic"), part="rec")
    try:
        assert len(other.recognizers()) == 2  # general + Korean: nothing else is built up front
        th = other.recognizer_for("th")
        assert isinstance(th, TesseractRecognizer) and th.lang == "tha" and th.psm == 7
        assert other.recognizer_for("th") is th  # cached on the engine set
        assert script_engines.recognizer_for("th") is not th  # never shared between engine sets (threads)
        assert other.recognizer_for("eslav") is other.recognizer_for("cyrillic")  # both read with Cyrillic data
        assert len(other.recognizers()) == 4
        assert other.describe("th") == before  # the same before and after building
        assert before["name"] == "paddleocr+tesseract"
        assert before["models"]["rec"] == th.info.models["rec"] and before["models"]["rec"].endswith(":tha")
    finally:
        other.close()


@pytest.mark.slow
def test_hub_source_loads_the_languages_paddleocr_model(tmp_path: Path, engine_settings: Any) -> None:
    """OCR_MODEL_SOURCE=hub: Thai is read by th_PP-OCRv5_mobile_rec, loaded by name on first use.

    No network here: a stand-in dir of that name (PP-OCRv6 tiny rec renamed, as the PaddleX cache or a
    production image would hold the real one) checks the wiring, not Thai accuracy.
    """
    from app.engines.paddle import PaddleTextRecognizer
    from app.engines.registry import build_engines

    name = CATALOGUE["th"].paddle_model
    assert name == "th_PP-OCRv5_mobile_rec"
    models_with_stand_in(Path(engine_settings.models_dir), tmp_path, name)
    settings = load_settings(auth_mode="none", models_dir=tmp_path, ocr_model_source="hub", ocr_languages="th")
    rec = build_engines(settings, part="rec")
    try:
        assert rec.describe("th")["models"]["rec"] == name
        assert isinstance(rec.recognizer_for("th"), PaddleTextRecognizer)
        assert rec.describe("th") == {
            "name": "paddleocr",
            "backend": "openvino",
            "device": "cpu",
            "models": {"det": settings.ocr_det_model, "rec": name},
        }
    finally:
        rec.close()


@pytest.mark.slow
def test_hub_model_that_cannot_load_falls_back_to_tesseract(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, engine_settings: Any
) -> None:
    """The hub unreachable (simulated: the loader raises as PaddleX does offline): Tesseract reads Thai,
    logged once, and describe says so."""
    from app.engines import script_readers
    from app.engines.base import EngineLoadError
    from app.engines.registry import build_engines

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise EngineLoadError("cannot load text recognition model 'th_PP-OCRv5_mobile_rec': no model hoster")

    monkeypatch.setattr(script_readers, "_HUB_UNAVAILABLE", {})
    monkeypatch.setattr(script_readers, "PaddleTextRecognizer", unreachable)
    settings = load_settings(auth_mode="none", ocr_model_source="hub", ocr_languages="th")
    rec = build_engines(settings, part="rec")
    try:
        assert rec.describe("th")["models"]["rec"] == "th_PP-OCRv5_mobile_rec"  # not tried yet
        with caplog.at_level(logging.WARNING, logger="app.engines.script_readers"):
            got = rec.recognizer_for("th").recognize([load_rgb(RAPIDOCR / "th_rec.jpg")])[0]
        assert got.text == "การแพทย์แผนจีนช่วยให้เด็กสมองพิการในคาซัคสถานกลับมาเดินได้"
        assert "th_PP-OCRv5_mobile_rec is not available" in caplog.text and "Tesseract tha reads it" in caplog.text
        assert rec.describe("th")["models"]["rec"].endswith(":tha")
    finally:
        rec.close()
