"""The language of a response (from `Accept-Language`) and error messages in that language.

Error messages are raised in English (`AppError(ErrorCode.X, "…")`) and translated once, when the
envelope is rendered: a message is looked up by its error code's default text, then matched against the
English templates of `app/core/messages_ko.py` (`{name}` stands for a value the message carries: a
size, a limit, a page, a parameter's name). A value that is itself an English fragment of the table
(`5 pages`, `a GIF image`) is translated too. A message the table does not know keeps its English
text after the code's translated default, so a caller never gets less than today.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from app.core import messages_ko

ENGLISH = "en"
KOREAN = "ko"
SUPPORTED = (ENGLISH, KOREAN)
DEFAULT = ENGLISH

MAX_MATCHED_CHARS = 4000  # longer messages (a huge echoed value) are not matched against the templates
_PLACEHOLDER = re.compile(r"\{(\w+)(:d)?\}")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def parse_accept_language(header: str | None) -> list[tuple[str, float]]:
    """`Accept-Language` as (primary language, q) pairs, best first (ties keep the header's order)."""
    out: list[tuple[int, str, float]] = []
    for i, part in enumerate((header or "").split(",")):
        tag, *params = (p.strip() for p in part.split(";"))
        if not tag:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if q > 0:
            out.append((i, tag.split("-")[0].lower(), min(q, 1.0)))
    out.sort(key=lambda item: (-item[2], item[0]))
    return [(tag, q) for _, tag, q in out]


def negotiate(header: str | None, default: str = DEFAULT) -> str:
    """The supported language the caller prefers most (`ko-KR,ko;q=0.9,en;q=0.8` → `ko`), else `default`."""
    for tag, _q in parse_accept_language(header):
        if tag in SUPPORTED:
            return tag
        if tag == "*":
            return default
    return default


def has_hangul(text: str) -> bool:
    return bool(_HANGUL.search(text))


# ---- templates -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    english: str
    korean: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    literal_chars: int

    def fill(self, values: Mapping[str, str]) -> str:
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), self.korean)


def placeholders(template: str) -> set[str]:
    return {m.group(1) for m in _PLACEHOLDER.finditer(template)}


def compile_template(english: str, korean: str) -> Template:
    parts: list[str] = []
    names: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(english):
        parts.append(re.escape(english[pos : m.start()]))
        name = m.group(1)
        if name in names:
            parts.append(f"(?P={name})")
        else:
            names.append(name)
            parts.append(rf"(?P<{name}>\d+)" if m.group(2) else rf"(?P<{name}>.*?)")
        pos = m.end()
    parts.append(re.escape(english[pos:]))
    literal = len(_PLACEHOLDER.sub("", english))
    return Template(english, korean, re.compile("".join(parts), re.DOTALL), tuple(names), literal)


@cache
def _compiled(table: str) -> tuple[Template, ...]:
    source: Mapping[str, str] = getattr(messages_ko, table)
    # the most specific template first: `The request body is at least {size} MB…` before `… is {size} MB…`
    return tuple(sorted((compile_template(e, k) for e, k in source.items()), key=lambda t: -t.literal_chars))


def find_template(message: str) -> Template | None:
    """The table's template a whole message (or a fragment of one) is an instance of."""
    for table in ("MESSAGES", "FRAGMENTS"):
        for template in _compiled(table):
            if template.pattern.fullmatch(message):
                return template
    return None


def _translate(text: str, depth: int = 0) -> str | None:
    """Korean for an English message or fragment, None when the table has no template for it."""
    for table in ("MESSAGES", "FRAGMENTS"):
        for template in _compiled(table):
            m = template.pattern.fullmatch(text)
            if m is None:
                continue
            values = {name: _value(m.group(name), depth) for name in template.names}
            filled = template.fill(values)
            if filled == text and not has_hangul(template.korean):
                continue  # a bare frame (`{filename}: {message}`) whose parts the table does not know
            return filled
    return None


def _value(value: str, depth: int) -> str:
    if depth >= 3 or not value or not any(c.isalpha() for c in value):
        return value
    return _translate(value, depth + 1) or value


def localize(code: str, message: str, lang: str, default_message: str | None = None) -> str:
    """The envelope's message for error `code` (its slug) in `lang`; English is returned unchanged."""
    if lang != KOREAN:
        return message
    if default_message is not None and message == default_message:
        return messages_ko.CODES.get(code, message)
    translated = _translate(message) if len(message) <= MAX_MATCHED_CHARS else None
    if translated is not None:
        return translated
    fallback = messages_ko.CODES.get(code)
    return f"{fallback} ({message})" if fallback else message


# ---- request validation (FastAPI / pydantic) -----------------------------------------------------------


def validation_problem(location: str, error: Mapping[str, Any], lang: str) -> str:
    """One problem of a 422 `invalid_parameter`: `<field>: <what is wrong>` in `lang`."""
    english = str(error.get("msg", ""))
    if lang != KOREAN:
        return f"{location}: {english}"
    template = messages_ko.VALIDATION.get(str(error.get("type", "")))
    if template is None:
        return f"{location}: {messages_ko.VALIDATION_FALLBACK} ({english})"
    ctx = {k: _ctx_value(v) for k, v in (error.get("ctx") or {}).items()}
    return f"{location}: " + _PLACEHOLDER.sub(lambda m: ctx.get(m.group(1), m.group(0)), template)


def _ctx_value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
