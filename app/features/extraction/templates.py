"""Extraction templates: named sets of fields described in data files (YAML or JSON).

Built-in templates live next to this module in ``templates/``; users add their own by dropping a
``<name>.yaml`` / ``.yml`` / ``.json`` file into ``EXTRACTION_TEMPLATES_DIR`` (a user template with the
name of a built-in one replaces it). The file format is documented in ``docs/extraction.md``::

    name: invoice                 # optional, defaults to the file name
    description: Invoices and 거래명세서
    fields:
      - name: total_amount        # the key in the response
        type: amount              # text | date | amount | biz_number | phone | email | number | id
        description: Grand total including VAT
        synonyms: [합계, 총액, Total, Amount due]   # key labels as printed on documents
        patterns: []              # regexes tried over the text when no key is found (group 1 or match)
        prefer: last              # first | last: which occurrence wins when a key repeats
        scan: false               # when no key is found, take the first value of this type anywhere
        top_line: false           # when nothing else matched, take the top-most free text line
        exclude: []               # regexes; values that match are never taken for this field
        label: {ko: 합계 금액, en: Total amount}   # what the response's `label` shows (or one string)
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from app.features.extraction.labels import Label, LabelError, parse_label
from app.features.extraction.values import FIELD_TYPES

log = logging.getLogger(__name__)

BUILTIN_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json")
BUILTIN_ORDER = ("invoice", "receipt", "business_registration")
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$")
_FIELD_KEYS = {
    "name",
    "type",
    "description",
    "synonyms",
    "patterns",
    "prefer",
    "scan",
    "top_line",
    "exclude",
    "label",
}


class TemplateError(ValueError):
    """A template file is malformed; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: str = "text"
    description: str = ""
    synonyms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    prefer: str = "first"
    scan: bool = False
    top_line: bool = False
    exclude: tuple[str, ...] = ()
    concept: str | None = None  # the field concept it means (concepts.yaml): totals arithmetic, checks
    side: str = "supplier"  # supplier | buyer: which of two same-row values (a tax invoice's two blocks)
    paired: bool = False  # the labels are the supplier's: only the right-hand one of a same-row pair is it
    label: Label = ()  # the human label per language (labels.py), shown as the response's `label`

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "description": self.description,
            "synonyms": list(self.synonyms),
        }


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    description: str
    fields: tuple[FieldSpec, ...]
    source: str = ""  # file it came from

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TemplateError(f"{where}: expected a list of strings")
    return tuple(v for v in value if v.strip())


def parse_field(raw: Any, where: str) -> FieldSpec:
    """One field entry of a template (a mapping) -> FieldSpec, validated."""
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: each field must be a mapping with at least 'name'")
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise TemplateError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(_FIELD_KEYS)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise TemplateError(f"{where}: 'name' must be a non-empty string")
    name = name.strip()
    where = f"{where} ({name})"
    type_ = raw.get("type", "text")
    if type_ not in FIELD_TYPES:
        raise TemplateError(f"{where}: type {type_!r} is not one of {', '.join(FIELD_TYPES)}")
    prefer = raw.get("prefer", "first")
    if prefer not in ("first", "last"):
        raise TemplateError(f"{where}: prefer must be 'first' or 'last'")
    description = raw.get("description") or ""
    if not isinstance(description, str):
        raise TemplateError(f"{where}: description must be a string")
    patterns = _str_list(raw.get("patterns"), f"{where}: patterns")
    exclude = _str_list(raw.get("exclude"), f"{where}: exclude")
    for rx in (*patterns, *exclude):
        try:
            re.compile(rx)
        except re.error as exc:
            raise TemplateError(f"{where}: bad regex {rx!r}: {exc}") from None
    for flag in ("scan", "top_line"):
        if not isinstance(raw.get(flag, False), bool):
            raise TemplateError(f"{where}: {flag} must be true or false")
    try:
        label = parse_label(raw.get("label"), where)
    except LabelError as exc:
        raise TemplateError(str(exc)) from None
    return FieldSpec(
        name=name,
        type=type_,
        description=description.strip(),
        synonyms=_str_list(raw.get("synonyms"), f"{where}: synonyms"),
        patterns=patterns,
        prefer=prefer,
        scan=bool(raw.get("scan", False)),
        top_line=bool(raw.get("top_line", False)),
        exclude=exclude,
        label=label,
    )


def parse_template(data: Any, *, default_name: str, source: str = "") -> Template:
    where = source or default_name
    if not isinstance(data, dict):
        raise TemplateError(f"{where}: a template must be a mapping with 'fields'")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise TemplateError(f"{where}: name {name!r} must be letters, digits, '_', '-' or '.' (max 64)")
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise TemplateError(f"{where}: 'fields' must be a non-empty list")
    fields = tuple(parse_field(f, f"{where}: fields[{i}]") for i, f in enumerate(raw_fields))
    names = [f.name for f in fields]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise TemplateError(f"{where}: duplicate field names {dupes}")
    description = data.get("description") or ""
    return Template(name=name, description=str(description), fields=fields, source=source)


def load_template_file(path: Path) -> Template:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}") from None
    return parse_template(data, default_name=path.stem, source=str(path))


def _dir_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in TEMPLATE_SUFFIXES and p.is_file())


@dataclass
class TemplateSet:
    templates: dict[str, Template]
    errors: list[str] = field(default_factory=list)  # user files that were skipped, with why

    def names(self) -> list[str]:
        return sorted(self.templates)

    def get(self, name: str) -> Template | None:
        return self.templates.get(name)

    def known_field(self, name: str) -> FieldSpec | None:
        """A field of that name in the templates, to give a custom field its type and labels.

        The first definition wins (built-ins in BUILTIN_ORDER, then the others by name); labels of
        same-named, same-typed fields of other templates are added to it.
        """
        order = [n for n in BUILTIN_ORDER if n in self.templates]
        order += sorted(n for n in self.templates if n not in BUILTIN_ORDER)
        found = [s for n in order if (s := self.templates[n].field(name)) is not None]
        if not found:
            return None
        first = found[0]
        extra = [syn for s in found[1:] if s.type == first.type for syn in s.synonyms]
        return with_extra_synonyms(first, extra) if extra else first

    def vocabulary(self) -> list[FieldSpec]:
        """Every field of every template: their key labels segment lines even when not requested."""
        return [f for t in self.templates.values() for f in t.fields]


_cache_lock = threading.Lock()
_cache: dict[tuple[Any, ...], TemplateSet] = {}


def _signature(dirs: list[Path]) -> tuple[Any, ...]:
    sig: list[Any] = [str(d) for d in dirs]
    for d in dirs:
        for p in _dir_files(d):
            try:
                st = p.stat()
            except OSError:
                continue
            sig.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(sig)


def load_templates(user_dir: Path | None = None) -> TemplateSet:
    """Built-in templates plus those in ``user_dir``; reloaded when a file there changes.

    A malformed built-in template is a bug and raises; a malformed user template is skipped, logged,
    and listed in ``TemplateSet.errors`` so that one bad file does not take extraction down.
    """
    dirs = [BUILTIN_DIR] + ([Path(user_dir)] if user_dir else [])
    sig = _signature(dirs)
    with _cache_lock:
        cached = _cache.get(sig)
        if cached is not None:
            return cached
    templates: dict[str, Template] = {}
    errors: list[str] = []
    for p in _dir_files(BUILTIN_DIR):
        t = load_template_file(p)
        templates[t.name] = t
    if user_dir is not None:
        if not Path(user_dir).is_dir():
            errors.append(f"{user_dir}: EXTRACTION_TEMPLATES_DIR is not a directory")
            log.warning("extraction templates dir missing", extra={"templates_dir": str(user_dir)})
        for p in _dir_files(Path(user_dir)):
            try:
                t = load_template_file(p)
            except TemplateError as exc:
                errors.append(str(exc))
                log.warning("skipping invalid extraction template", extra={"error": str(exc)})
                continue
            templates[t.name] = t
    result = TemplateSet(templates=templates, errors=errors)
    with _cache_lock:
        if len(_cache) > 16:
            _cache.clear()
        _cache[sig] = result
    return result


def with_extra_synonyms(spec: FieldSpec, extra: list[str]) -> FieldSpec:
    merged = list(spec.synonyms)
    for s in extra:
        if s and s not in merged:
            merged.append(s)
    return replace(spec, synonyms=tuple(merged))
