"""What a caller's own field name means: the field concepts of ``concepts.yaml`` and the name matcher.

A concept (``total``, ``document_date``, ``business_number``, …) gathers template fields that mean the
same thing on different documents (the invoice's ``total_amount`` and the receipt's), the names callers
give it (``total``, ``amountDue``, ``합계금액``) and extra printed labels. :func:`match_concept` maps a
requested name to a concept; :func:`concept_spec` builds the field spec the rule engine searches with,
under the caller's name: the members' labels, patterns and fallbacks united, the first member's type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml

from app.features.extraction.keys import compact
from app.features.extraction.labels import Label, parse_label
from app.features.extraction.templates import FieldSpec, TemplateSet

CONCEPTS_FILE = Path(__file__).resolve().parent / "concepts.yaml"

# abbreviations callers write in field names, expanded before matching (``biz_reg_no``, ``invoiceNum``)
_ABBREVIATIONS = {
    "no": "number",
    "nr": "number",
    "nbr": "number",
    "num": "number",
    "amt": "amount",
    "biz": "business",
    "reg": "registration",
    "addr": "address",
    "tel": "telephone",
    "ph": "phone",
    "dt": "date",
    "ref": "reference",
    "inv": "invoice",
    "txn": "transaction",
    "trx": "transaction",
    "tx": "transaction",
    "cust": "customer",
    "co": "company",
    "corp": "corporate",
    "tot": "total",
    "auth": "authorization",
}
# words that add nothing to what a field is (``vendor_name_value``, ``the_total``, ``get_date``)
_FILLER = {"the", "a", "of", "value", "field", "text", "info", "get", "printed", "document"}


@dataclass(frozen=True, slots=True)
class Concept:
    name: str
    members: tuple[tuple[str, str], ...]  # (template, field)
    names: tuple[str, ...]
    labels: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    prefer: str | None = None
    label: Label = ()


@lru_cache(maxsize=1)
def load_concepts(path: Path = CONCEPTS_FILE) -> tuple[Concept, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for name, raw in data["concepts"].items():
        members = tuple(tuple(m.split(".", 1)) for m in raw["members"])
        out.append(
            Concept(
                name,
                members,
                tuple(raw.get("names", ())),
                tuple(raw.get("labels", ())),
                tuple(raw.get("patterns", ())),
                tuple(raw.get("exclude", ())),
                raw.get("prefer"),
                parse_label(raw.get("label"), f"{path.name}: {name}"),
            )
        )
    return tuple(out)


def name_words(name: str) -> list[str]:
    """``invoiceNo`` / ``invoice_no`` / ``Invoice No.`` -> ``['invoice', 'no']``; Korean words kept whole."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w for w in re.split(r"[^0-9A-Za-z가-힣]+", spaced.lower()) if w]


def _forms(name: str) -> list[str]:
    """The folded forms a name is compared in: as written, abbreviations expanded, filler words dropped."""
    words = name_words(name)
    expanded = [_ABBREVIATIONS.get(w, w) for w in words]
    kept = [w for w in expanded if w not in _FILLER] or expanded
    forms = ["".join(words), "".join(expanded), "".join(kept)]
    if "#" in name:
        forms.append("".join(kept) + "number")
    return [f for f in dict.fromkeys(forms) if f]


def _member(templates: TemplateSet, template: str, field: str) -> FieldSpec | None:
    tpl = templates.get(template)
    return tpl.field(field) if tpl is not None else None


class ConceptIndex:
    """Caller names and printed labels of every concept, folded, over one set of templates."""

    def __init__(self, templates: TemplateSet) -> None:
        self.templates = templates
        self.concepts = {c.name: c for c in load_concepts()}
        self.by_name: dict[str, str] = {}  # folded caller name -> concept
        self.by_label: dict[str, str] = {}  # folded printed label -> concept (the first concept wins)
        for c in self.concepts.values():
            for n in c.names:
                for f in _forms(n):
                    self.by_name.setdefault(f, c.name)
            for tpl, fname in c.members:
                self.by_name.setdefault(compact(fname), c.name)
                spec = _member(templates, tpl, fname)
                for label in spec.synonyms if spec else ():
                    self.by_label.setdefault(compact(label), c.name)
            for label in c.labels:
                self.by_label.setdefault(compact(label), c.name)

    def match(self, name: str, description: str = "") -> Concept | None:
        """The concept a requested field means, or None.

        Tried in order: the name as a caller name of a concept (``amountDue``, ``biz_reg_no``); a short
        description, as a caller name or a printed label (when the caller describes the field and the
        description names no concept, the name's own labels are not guessed at: ``contact: 담당자`` is
        a person, not the phone); the name as a printed label of a member (``사업자등록번호``,
        ``Invoice No``); the name without a leading party word (``supplier_phone`` is the phone).
        """
        hit = self._lookup(name, (self.by_name,))
        if hit is None and description:
            if len(description) > 40:
                return None
            return self._lookup(description, (self.by_name, self.by_label))
        if hit is None:
            hit = self._lookup(name, (self.by_label,))
        if hit is None:
            words = name_words(name)
            if len(words) > 1 and words[0] in _PARTY_WORDS:
                hit = self.match(" ".join(words[1:]))
        return hit

    def _lookup(self, text: str, tables: tuple[dict[str, str], ...]) -> Concept | None:
        for table in tables:
            for form in _forms(text):
                if form in table:
                    return self.concepts[table[form]]
        return None

    def spec(self, concept: Concept, name: str) -> FieldSpec | None:
        return concept_spec(concept, self.templates, name)

    def of_member(self, template: str, field: str) -> str | None:
        """The concept a template's field belongs to (a template's own fields get the checks too)."""
        return next((c.name for c in self.concepts.values() if (template, field) in c.members), None)


def concept_index(templates: TemplateSet) -> ConceptIndex:
    """The index of ``templates``, built once per template set (they are cached by load_templates)."""
    index = getattr(templates, "_concept_index", None)
    if not isinstance(index, ConceptIndex) or index.templates is not templates:
        index = ConceptIndex(templates)
        setattr(templates, "_concept_index", index)  # noqa: B010 (TemplateSet knows nothing of concepts)
    return index


_PARTY_WORDS = {"vendor", "supplier", "seller", "merchant", "store", "shop", "company", "issuer"}


def concept_spec(concept: Concept, templates: TemplateSet, name: str) -> FieldSpec | None:
    """The rule engine's spec for ``concept`` under the caller's ``name``; None when no member exists."""
    members = [s for t, f in concept.members if (s := _member(templates, t, f)) is not None]
    if not members:
        return None
    first = members[0]
    same_type = [m for m in members if m.type == first.type]

    def union(attr: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for m in same_type for v in getattr(m, attr)))

    synonyms = tuple(dict.fromkeys([*union("synonyms"), *concept.labels]))
    return replace(
        first,
        name=name,
        concept=concept.name,
        synonyms=synonyms,
        patterns=tuple(dict.fromkeys([*union("patterns"), *concept.patterns])),
        exclude=tuple(dict.fromkeys([*union("exclude"), *concept.exclude])),
        prefer=concept.prefer or first.prefer,
        label=concept.label or first.label,
        scan=any(m.scan for m in same_type),
        top_line=any(m.top_line for m in same_type),
    )
