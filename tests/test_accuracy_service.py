"""Accuracy through the path the service runs: every evaluation document is posted to POST /ocr of a real
`python -m app` with the defaults, and scored as `python -m scripts.ocr_eval` scores it (docs/accuracy.md).

Thresholds sit a little above what the shipped defaults measured, so a regression of the reader, the
detector, the pipeline's filtering or reading order fails here. Sets (scripts/ocr_eval/sets.py):
rendered business pages in fonts the Korean reader never trained on, the real scans and photos (dev and
held-out, reported apart), and the public RapidOCR images.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator

import pytest

from scripts.ocr_eval.__main__ import Group, Scored, groups, post_all, score
from scripts.ocr_eval.sets import rapidocr_set, real_set, rendered_set
from tests.conftest import TEST_KEY, LiveServer, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# the RapidOCR set's languages (their Tesseract data comes with INSTALL_TEST_TOOLS=1 scripts/install.sh)
LANGUAGES = "korean,en,ch,latin,eslav,el,th,arabic,cyrillic,hi,ta,te"

# measured with the defaults on 2026-12-03 (docs/accuracy.md) -> thresholds: the targets where the
# measurement is under them (rendered Korean 0.53 %, held-out real Korean 2.47 %, English 0.04 / 0.54 /
# 0.95 %), else the measurement plus a small margin (dev real Korean 3.76 %)
MAX_CER = {
    ("rendered", "korean", "-"): 0.010,
    ("rendered", "en", "-"): 0.002,
    ("real", "korean", "dev"): 0.045,
    ("real", "korean", "held-out"): 0.035,
    ("real", "en", "dev"): 0.015,
    ("real", "en", "held-out"): 0.015,
}
# 20 of 23 measured (ta.png, te.png and one Chinese image fail)
MIN_RAPIDOCR_PASSES = 19


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    data_dir = tempfile.mkdtemp(prefix="ocr-acc-")
    env = {"AUTH_MODE": "api-key", "API_KEY": TEST_KEY, "DATA_DIR": data_dir, "OCR_LANGUAGES": LANGUAGES,
           "REQUEST_TIMEOUT_S": "600", "LOG_LEVEL": "WARNING"}  # fmt: skip
    srv = LiveServer(env, free_port())
    try:
        srv.wait_ready(timeout=300)
        yield srv
    finally:
        srv.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def scored(server: LiveServer) -> list[Scored]:
    docs = rendered_set() + real_set() + rapidocr_set()
    return [score(s) for s in asyncio.run(post_all(server.url, {"x-api-key": TEST_KEY}, docs, 2))]


@pytest.fixture(scope="module")
def scored_auto(server: LiveServer) -> list[Scored]:
    """The rendered Korean and English pages again, every one sent with lang=auto."""
    return [score(s) for s in asyncio.run(post_all(server.url, {"x-api-key": TEST_KEY}, rendered_set(), 2, "auto"))]


def by_group(scored: list[Scored]) -> dict[tuple[str, ...], Group]:
    return groups(scored, lambda s: (s.doc.set, s.doc.lang, s.doc.split))


def test_every_document_is_answered(scored: list[Scored]) -> None:
    bad = [(s.doc.name, s.status, s.error) for s in scored if s.status != 200]
    assert not bad


@pytest.mark.parametrize("key", list(MAX_CER), ids=lambda k: "-".join(k))
def test_cer_within_threshold(scored: list[Scored], key: tuple[str, str, str]) -> None:
    g = by_group(scored)[key]
    cer = g.errors / g.chars
    members = [(s.cer, s.doc.name) for s in scored if (s.doc.set, s.doc.lang, s.doc.split) == key]
    worst = sorted(members, reverse=True)[:3]
    assert cer <= MAX_CER[key], f"{key}: CER {100 * cer:.2f} % > {100 * MAX_CER[key]:.1f} %; worst {worst}"


def test_rendered_pages_keep_every_digit_run_and_latin_code(scored: list[Scored]) -> None:
    for lang in ("korean", "en"):
        g = by_group(scored)[("rendered", lang, "-")]
        lost = [(s.doc.name, s.missed) for s in scored if s.doc.set == "rendered" and s.doc.lang == lang and s.missed]
        assert g.codes == g.codes_total, lost


def test_numbers_standing_alone_are_read(scored: list[Scored]) -> None:
    """The real line-up sheet numbers its rows 1-9 and 1-40, each number alone in a cell: a box taller than
    wide, which was read only turned a quarter (as vertical text) and came back as `~`, `N`, `+` (35 of 49
    read). Each is read standing as well now and the surer reading kept (app/engines/crops.py)."""
    sheet = next(s for s in scored if s.doc.name == "ko_form_lineup_sheet.jpg")
    got = Counter(ln.strip() for ln in sheet.text.splitlines())
    want = Counter([str(i) for i in range(1, 10)] + [str(i) for i in range(1, 41)])
    missing = want - got
    assert not missing, f"{sum(missing.values())} of 49 row numbers not read: {sorted(missing)}"


def test_rapidocr_public_set(scored: list[Scored]) -> None:
    results = [s for s in scored if s.doc.set == "rapidocr"]
    passed = [s.doc.name for s in results if s.passed]
    failed = [(s.doc.name, s.lines[:2]) for s in results if not s.passed]
    assert len(results) == 23
    assert len(passed) >= MIN_RAPIDOCR_PASSES, failed


def test_lang_auto_reads_the_rendered_pages_as_well_as_their_own_language(
    scored: list[Scored], scored_auto: list[Scored]
) -> None:
    """Measured 2026-12-07 on every set (python -m scripts.ocr_eval --lang auto): the same CER as the right
    fixed language on real and rendered, Korean and English, and every page detected right."""
    fixed = {s.doc.name: s for s in scored if s.doc.set == "rendered"}
    assert len(scored_auto) == len(fixed) == 18
    for s in scored_auto:
        assert s.status == 200 and s.page_langs == [s.doc.lang], (s.doc.name, s.page_langs)
        assert s.errors <= fixed[s.doc.name].errors + 1, (s.doc.name, s.errors, fixed[s.doc.name].errors)
        assert s.codes == s.codes_total, (s.doc.name, s.missed)
