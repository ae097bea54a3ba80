"""Every error the service can answer has a Korean message: each ErrorCode's default, and each message
template raised in app/ (found in the source, so a new raise without a translation fails here)."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core import i18n, messages_ko
from app.core.errors import AppError, ErrorCode
from app.core.languages import get, how_to_enable

APP = Path(__file__).resolve().parents[1] / "app"
SAMPLE = "7"


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(APP.rglob("*.py")):
        if "web" not in path.relative_to(APP).parts:
            yield path, ast.parse(path.read_text(), str(path))


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _message_arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[index] if len(call.args) > index else None


def _wrappers(tree: ast.Module) -> dict[str, int]:
    """Functions that pass one of their parameters on as an AppError's message: {name: its position}."""
    out: dict[str, int] = {}
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        params = [a.arg for a in fn.args.args]
        for call in ast.walk(fn):
            if isinstance(call, ast.Call) and _name(call.func) == "AppError":
                arg = _message_arg(call, 1, "message")
                used = {n.id for n in ast.walk(arg) if isinstance(n, ast.Name)} if arg is not None else set()
                for p in used & set(params):
                    out[fn.name] = params.index(p)
    return out


def _assignments(fn: ast.AST) -> dict[str, list[ast.expr]]:
    out: dict[str, list[ast.expr]] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out.setdefault(node.targets[0].id, []).append(node.value)
    return out


def _variants(node: ast.expr, names: dict[str, list[ast.expr]], depth: int = 0) -> list[str] | None:
    """The texts a message expression can take, with SAMPLE for values; None when it is not text built here."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        pieces: list[list[str]] = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                pieces.append([str(part.value)])
            else:
                assert isinstance(part, ast.FormattedValue)
                pieces.append(_value_variants(part.value, names, depth))
        return ["".join(combo) for combo in itertools.product(*pieces)]
    if isinstance(node, ast.IfExp):
        a, b = _variants(node.body, names, depth), _variants(node.orelse, names, depth)
        return (a or []) + (b or []) if a is not None or b is not None else None
    if isinstance(node, ast.Name) and depth < 3 and node.id in names:
        found = [v for value in names[node.id] for v in (_variants(value, names, depth + 1) or [])]
        return found or None
    return None


def _value_variants(node: ast.expr, names: dict[str, list[ast.expr]], depth: int) -> list[str]:
    if isinstance(node, ast.IfExp | ast.Name):
        found = _variants(node, names, depth + 1)
        if found is not None:
            return [v if v else "" for v in found]
    return [SAMPLE]


def raised_messages() -> list[tuple[str, str]]:
    """(where, sample message) for every message text passed to AppError, HTTPException or a wrapper."""
    out: list[tuple[str, str]] = []
    sources = list(_sources())
    wrappers = {name: index for _, tree in sources for name, index in _wrappers(tree).items()}
    for path, tree in sources:
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            names = _assignments(fn)
            for call in ast.walk(fn):
                if not isinstance(call, ast.Call):
                    continue
                name = _name(call.func)
                if name == "AppError":
                    arg = _message_arg(call, 1, "message")
                elif name == "HTTPException":
                    arg = _message_arg(call, 1, "detail")
                elif isinstance(call.func, ast.Name) and name in wrappers and name != fn.name:
                    arg = _message_arg(call, wrappers[name], "message")
                else:
                    continue
                for text in (_variants(arg, names) or []) if arg is not None else []:
                    out.append((f"{path.relative_to(APP.parent)}:{call.lineno}", text))
    return out


RAISED = raised_messages()
DEFAULTS = {code.default_message for code in ErrorCode}


def test_the_source_scan_finds_the_raises() -> None:
    assert len(RAISED) > 100
    texts = {t for _, t in RAISED}
    assert "The API key is not valid." in texts  # through a wrapper
    assert f"The file is larger than the {SAMPLE} MB limit (MAX_UPLOAD_MB)." in texts  # through a variable
    assert f"fields: at most {SAMPLE} fields per request, got {SAMPLE}" not in texts  # fragments stay fragments
    assert f"at most {SAMPLE} fields per request, got {SAMPLE}" in texts


@pytest.mark.parametrize("code", list(ErrorCode), ids=lambda c: c.slug)
def test_every_error_code_has_a_korean_default(code: ErrorCode) -> None:
    korean = AppError(code).body(None, "ko")["error"]["message"]
    assert i18n.has_hangul(korean), code
    assert AppError(code).body(None)["error"]["message"] == code.default_message


@pytest.mark.parametrize(("where", "text"), RAISED, ids=[w for w, _ in RAISED])
def test_every_raised_message_has_a_korean_template(where: str, text: str) -> None:
    if not text.strip(SAMPLE + " ."):
        pytest.skip("a message passed through from elsewhere")
    if text in DEFAULTS:
        return  # an error code's default message: its Korean is in CODES
    assert i18n.find_template(text) is not None, f"{where}: no Korean template in app/core/messages_ko.py for {text!r}"


@pytest.mark.parametrize(
    "message",
    [
        # built in other modules from data, not f-strings at the raise
        f"{how_to_enable(get('th'))}.",  # type: ignore[arg-type]
        "The token was not issued by the configured Cognito user pool (iss mismatch).",
        "The token has no exp claim.",
        "/structure is not available: the layout and table engines are not loaded in this service.",
        "task 'structure' is not available: task 'structure' is not available in this build "
        "(app.features.structure.pipeline is missing).",
        "Image size (200000000 pixels) exceeds limit of 100000000 pixels, could be decompression bomb DOS attack.",
    ],
)
def test_messages_built_elsewhere_are_translated_whole(message: str) -> None:
    korean = i18n.localize("invalid_parameter", message, "ko")
    assert i18n.has_hangul(korean) and "(" + message + ")" not in korean, korean
    assert not any(word in korean for word in ("is not", "the ", "could not")), korean


NOT_KOREAN_TEXT = {"PNG, JPEG, TIFF, BMP, WebP or PDF", "{filename}: {message}"}  # a list of names; a bare frame


def test_the_table_is_consistent() -> None:
    assert set(messages_ko.CODES) == {c.slug for c in ErrorCode}
    assert all(i18n.has_hangul(text) for text in messages_ko.CODES.values())
    for table in (messages_ko.MESSAGES, messages_ko.FRAGMENTS):
        for english, korean in table.items():
            # every value the English sentence carries is in the Korean one, and nothing else
            assert i18n.placeholders(english) == i18n.placeholders(korean), english
            assert i18n.has_hangul(korean) or english in NOT_KOREAN_TEXT, english
    for korean in messages_ko.VALIDATION.values():
        assert i18n.has_hangul(korean)


def test_numbers_and_names_stay_in_the_korean_sentence() -> None:
    message = "Page 3 is 9000 x 12000 pixels (108.0 megapixels); the limit is 89.5 megapixels per page."
    korean = i18n.localize("too_many_pixels", message, "ko")
    assert korean == "3페이지는 9000 x 12000픽셀(108.0메가픽셀)입니다. 한도는 페이지당 89.5메가픽셀입니다."
    nested = "fields: 'total' is given twice"
    assert i18n.localize("invalid_parameter", "fields: field 'total' is given twice", "ko") != nested
    assert "'total'" in i18n.localize("invalid_parameter", "fields: field 'total' is given twice", "ko")


def test_a_korean_value_inside_an_english_message_is_still_translated() -> None:
    korean = i18n.localize("invalid_parameter", "fields: field '합계금액' is given twice", "ko")
    assert korean == "fields 값이 올바르지 않습니다: '합계금액' 필드가 두 번 들어 있습니다"


def test_an_unknown_message_keeps_its_english_after_the_codes_korean() -> None:
    korean = i18n.localize("queue_full", "Something new happened.", "ko")
    assert korean == f"{messages_ko.CODES['queue_full']} (Something new happened.)"
    assert i18n.localize("queue_full", "Something new happened.", "en") == "Something new happened."


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("ko", "ko"),
        ("ko-KR,ko;q=0.9,en;q=0.8", "ko"),
        ("en-US,en;q=0.9,ko;q=0.8", "en"),
        ("en;q=0.4, ko;q=0.6", "ko"),
        ("fr-FR, ko;q=0.5", "ko"),  # French is not offered: Korean is the best the caller accepts
        ("ko;q=0, en", "en"),
        ("KO-kr", "ko"),
        ("*", "en"),
        ("de, *;q=0.5", "en"),
        ("ko;q=nonsense, en;q=0.1", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_accept_language_negotiation(header: str | None, lang: str) -> None:
    assert i18n.negotiate(header) == lang
