"""Offline rule engine: key/value anchoring on OCR lines and their layout.

For each requested field:

1. **Keys.** Every OCR line is tokenised and windows of up to five tokens are compared with the key
   labels (synonyms) of the requested fields and of every known template field, after folding case,
   width, spaces and punctuation. Korean is compared on jamo (``힙계`` ~ ``합계``), Latin after mapping
   common OCR confusions (``T0tal`` ~ ``Total``). Overlapping hits keep the longest, best match, so
   ``Subtotal`` is not ``Total`` and ``Due date`` is not ``Date``. Labels of fields that were not asked
   for still split lines (``담당자 김민수 전화 02-…`` gives ``김민수`` to the contact, not the phone).
2. **Values.** The value of a key is searched in order: the rest of the same line (up to the next key),
   the nearest line to its right on the same row, then the nearest line below that overlaps it
   horizontally (column headers, stacked forms). Typed fields only take text their finder parses
   (dates, amounts, …), so a wrong neighbour is skipped rather than returned.
3. **Fallbacks** for fields whose key is nowhere: template regex ``patterns`` (company names,
   ``INV-…``), then ``scan`` (the first valid value of the type anywhere, e.g. the only business
   registration number), then ``top_line`` (the top-most free line: the vendor on a receipt).

Confidence multiplies the OCR line confidence, the key match score and penalties for how the value
was found (right / below / pattern / scan), for weak shapes (a bare number) and failed checks
(a business number whose check digit is wrong).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from app.features.extraction.checks import check
from app.features.extraction.keys import (
    HAS_LETTER,
    SEP_LEAD,
    SEP_ONLY,
    SEP_TRAIL,
    SIGN_MARK,
    Candidate,
    KeyedLine,
    KeyHit,
    KeyIndex,
    RuleField,
    compact,
    prepare_lines,
    same_row,
)
from app.features.extraction.normalize import find_values, normalize
from app.features.extraction.templates import FieldSpec
from app.features.extraction.values import Found, collapse_spaces
from app.features.ocr.types import DocumentResult


def _yen_as_won(f: Found) -> Found:
    if f.normalized.get("currency") == "JPY" and "¥" in f.raw:
        return replace(f, normalized={**f.normalized, "currency": "KRW"})
    return f


def currency_hint(doc: DocumentResult) -> str | None:
    """The one currency the document's text points at, if it points at exactly one."""
    text = doc.text
    marks = {
        "KRW": len(re.findall(r"\d\s*원|₩|￦|KRW", text)),
        "USD": len(re.findall(r"\$|USD", text)),
        "EUR": len(re.findall(r"€|EUR", text)),
        "JPY": len(re.findall(r"¥|JPY|円", text)),
        "GBP": len(re.findall(r"£|GBP", text)),
    }
    hangul = bool(re.search(r"[가-힣]", text))
    if hangul and marks["JPY"] and not re.search(r"JPY|円|\d\s*엔", text):
        marks["KRW"] += marks.pop("JPY")  # OCR reads ₩ as ¥ on Korean documents
    present = [k for k, v in marks.items() if v]
    if len(present) == 1:
        return present[0]
    if not present and hangul:
        return "KRW"
    return None


class RuleEngine:
    def __init__(self, specs: Sequence[FieldSpec], vocabulary: Sequence[FieldSpec] = ()) -> None:
        self.specs = list(specs)
        self.index = KeyIndex(self.specs, vocabulary)
        self._exclude = [[re.compile(rx) for rx in s.exclude] for s in self.specs]
        self._patterns = [[re.compile(rx) for rx in s.patterns] for s in self.specs]
        self._currency: str | None = None

    # ----------------------------------------------------------------------------- value search

    def _find(self, type_: str, text: str) -> list[Found]:
        found = find_values(type_, text, default_currency=self._currency)
        if type_ == "amount" and self._currency == "KRW":
            found = [_yen_as_won(f) for f in found]
        return found

    def _excluded(self, si: int, raw: str) -> bool:
        return any(rx.search(raw) for rx in self._exclude[si])

    def _value_in(
        self, si: int, line: KeyedLine, start: int, end: int, kind: str, score: float, near_x: float | None
    ) -> Candidate | None:
        """The field's value inside line.text[start:end], if there is one."""
        spec = self.specs[si]
        seg = line.text[start:end]
        if spec.type == "text":
            lead = SEP_LEAD.match(seg)
            a = start + (lead.end() if lead else 0)
            body = line.text[a:end]
            body = SIGN_MARK.sub("", body)
            if spec.concept not in _WRAPPING:
                # a name glued to its business number or phone ("이안식당/295-08-02470"): the name ends there
                glued = [f.start for t in ("biz_number", "phone") for f in find_values(t, body) if f.start > 0]
                if glued:
                    body = body[: min(glued)].rstrip(" /·,;:-")
            trail = SEP_TRAIL.search(body)
            if trail:
                body = body[: trail.start()]
            if not body.strip() or not HAS_LETTER.search(body) or len(body) > 120:
                return None
            if self._excluded(si, body):
                return None
            body_start = a + (len(body) - len(body.lstrip()))
            raw = body.strip()
            norm, valid = normalize("text", raw)
            return Candidate(si, line, body_start, body_start + len(raw), raw, norm, valid, True, kind, score)
        found = [f for f in self._find(spec.type, seg) if not self._excluded(si, f.raw)]
        if not found:
            return None
        pool = [f for f in found if f.strong] or found
        if near_x is not None and len(pool) > 1:
            best = min(pool, key=lambda f: abs((line.x_at(start + f.start) + line.x_at(start + f.end)) / 2 - near_x))
        else:
            best = pool[0]
        return self._cand(si, line, start, best, kind, score)

    def _cand(self, si: int, line: KeyedLine, offset: int, f: Found, kind: str, score: float) -> Candidate:
        return Candidate(
            si, line, offset + f.start, offset + f.end, f.raw, f.normalized, f.valid, f.strong, kind, score
        )

    @staticmethod
    def _own_segment(line: KeyedLine) -> tuple[int, int] | None:
        """The part of a neighbour line before its first key; None when the line starts with a key."""
        if not line.hits:
            return 0, len(line.text)
        first = line.hits[0]
        if not line.text[: first.start].strip():
            return None if not first.title else (first.end, len(line.text))
        return 0, first.start

    def _anchored(self, lines: list[KeyedLine], by_page: dict[int, list[KeyedLine]]) -> list[list[Candidate]]:
        out: list[list[Candidate]] = [[] for _ in self.specs]
        for line in lines:
            for k, hit in enumerate(line.hits):
                if hit.spec is None:
                    continue
                si = hit.spec
                if re.match(r"\s*[,、]", line.text[hit.end :]):
                    continue  # a list of labels in a sentence ("가맹점명, 가맹점주소가 … 다른 경우"): no value follows
                before = line.text[: hit.start]
                at_start = not HAS_LETTER.search(before) or any(h.end <= hit.start for h in line.hits[:k])
                at_start = at_start or bool(re.search(r"(?:[:：|]|\s{2,})\s*$", before))
                seg_end = line.hits[k + 1].start if k + 1 < len(line.hits) else len(line.text)
                cand = self._value_in(si, line, hit.end, seg_end, "same", hit.score, None)
                if not at_start:
                    # a label in running text ("... from us", "pay the total by ...") anchors only a
                    # value that follows it directly
                    typed = self.specs[si].type != "text"
                    if cand is not None and typed and SEP_ONLY.fullmatch(line.text[hit.end : cand.start]):
                        out[si].append(cand)
                    continue
                if cand is None and k + 1 == len(line.hits):
                    cand = self._right_of(si, line, hit, by_page[line.page])
                if cand is None:
                    cand = self._below(si, line, hit, by_page[line.page])
                if cand is not None:
                    out[si].append(cand)
        return out

    def _right_of(self, si: int, line: KeyedLine, hit: KeyHit, page_lines: list[KeyedLine]) -> Candidate | None:
        kx1 = line.x_at(hit.end)
        _x0, y0, x1, y1 = line.bbox
        h = line.h
        row = []
        for other in page_lines:
            if other is line:
                continue
            ox0, oy0, _ox1, oy1 = other.bbox
            overlap = min(y1, oy1) - max(y0, oy0)
            if overlap < 0.5 * min(h, other.h) or ox0 < x1 - 0.5 * h:
                continue
            row.append((ox0 - kx1, other))
        row.sort(key=lambda t: t[0])
        for _, other in row[:3]:
            seg = self._own_segment(other)
            if seg is None:
                return None  # the next thing to the right is another key
            cand = self._value_in(si, other, seg[0], seg[1], "right", hit.score, None)
            if cand is not None:
                return cand
            if self.specs[si].type == "text":
                return None
        return None

    def _below(self, si: int, line: KeyedLine, hit: KeyHit, page_lines: list[KeyedLine]) -> Candidate | None:
        kx0, kx1 = line.x_at(hit.start), line.x_at(hit.end)
        _, y0, _, y1 = line.bbox
        h = line.h
        below = []
        for other in page_lines:
            if other is line:
                continue
            ox0, oy0, ox1, _oy1 = other.bbox
            if oy0 < y0 + 0.6 * h or oy0 - y1 > 2.5 * h:
                continue
            horiz = min(kx1 + h, ox1) - max(kx0 - h, ox0)
            if horiz <= 0 and abs(ox0 - kx0) > 1.5 * h:
                continue
            below.append((oy0, abs((ox0 + ox1) / 2 - (kx0 + kx1) / 2), other))
        if not below:
            return None
        below.sort(key=lambda t: (t[0], t[1]))
        top = below[0][0]
        row = sorted((t for t in below if t[0] - top < 0.5 * h), key=lambda t: t[1])
        for _, _, other in row[:2]:
            seg = self._own_segment(other)
            if seg is None:
                continue
            cand = self._value_in(si, other, seg[0], seg[1], "below", hit.score, (kx0 + kx1) / 2)
            if cand is not None:
                return cand
        return None

    # ----------------------------------------------------------------------------------- fallbacks

    def _preceded_by_other_key(self, si: int, line: KeyedLine, pos: int) -> bool:
        """Whether the text at ``pos`` reads as the value of another field's label just before it."""
        before = [h for h in line.hits if h.end <= pos and not h.title]
        if not before:
            return False
        last = before[-1]
        return last.spec != si and not HAS_LETTER.search(line.text[last.end : pos])

    def _pattern_cands(self, si: int, lines: list[KeyedLine]) -> list[Candidate]:
        spec = self.specs[si]
        out = []
        for line in lines:
            for rx in self._patterns[si]:
                for m in rx.finditer(line.text):
                    g = 1 if m.re.groups else 0
                    if m.start(g) < 0:
                        continue
                    s, e = m.start(g), m.end(g)
                    if self._preceded_by_other_key(si, line, s):
                        continue
                    # a match runs up to the next label or title at most ("주식회사 한 빛 거 래 명세서")
                    e = min([e, *(h.start for h in line.hits if s < h.start < e and h.spec != si)])
                    raw = line.text[s:e].strip()
                    if not raw or self._excluded(si, raw):
                        continue
                    norm, valid = normalize(spec.type, raw, default_currency=self._currency)
                    if norm is None:
                        continue
                    out.append(Candidate(si, line, s, s + len(raw), raw, norm, valid, True, "pattern", 1.0))
        return out

    def _scan_cands(self, si: int, lines: list[KeyedLine]) -> list[Candidate]:
        spec = self.specs[si]
        out = []
        for line in lines:
            for f in self._find(spec.type, line.text):
                if not f.strong or self._excluded(si, f.raw) or self._preceded_by_other_key(si, line, f.start):
                    continue
                if spec.concept == "document_date" and not _TIME_AFTER.match(line.text, f.end):
                    # a receipt's own date carries its time; a date in a notice ("2012년 7월 1일부터") does not
                    f = replace(f, strong=False)
                out.append(self._cand(si, line, 0, f, "scan", 1.0))
        return out

    def _top_line_cands(self, si: int, lines: list[KeyedLine]) -> list[Candidate]:
        if not lines:
            return []
        first_page = lines[0].page
        for line in lines:
            if line.page != first_page:
                break
            if any(not h.title for h in line.hits) or re.search(r"\d", line.text) or line.conf < 0.6:
                continue
            letters = sum(ch.isalpha() for ch in line.text)
            if letters < 0.6 * len(line.text.replace(" ", "")) or _ODD_MARKS.search(line.text):
                continue  # mostly symbols, or marks no shop name has: noise, a logo read as text, a banner
            # the line without its title words ("주식회사 한빛 영수증" -> "주식회사 한빛")
            text = line.text
            spans = [(0, len(text))]
            for h in line.hits:
                spans = [p for s, e in spans for p in ((s, min(e, h.start)), (max(s, h.end), e)) if p[1] > p[0]]
            for s, e in spans:
                cand = self._value_in(si, line, s, e, "top_line", 1.0, None)
                if cand is not None and len(compact(cand.raw)) >= 2:
                    return [cand]
        return []

    @staticmethod
    def _plausible(spec: FieldSpec, c: Candidate) -> bool:
        return check(spec.type, spec.concept, c.raw, c.normalized, c.valid)[0] is not False

    # ---------------------------------------------------------------------------------------- run

    def run(self, doc: DocumentResult) -> dict[str, RuleField]:
        self._currency = currency_hint(doc)
        lines = prepare_lines(doc, self.index)
        by_page: dict[int, list[KeyedLine]] = {}
        for line in lines:
            by_page.setdefault(line.page, []).append(line)
        anchored = self._anchored(lines, by_page)
        claimed: list[tuple[int, int, int]] = []
        result: dict[int, Candidate] = {}

        def free(c: Candidate) -> bool:
            return all(not (o == c.line.order and c.start < e and s < c.end) for o, s, e in claimed)

        def pick(si: int, cands: list[Candidate]) -> Candidate | None:
            cands = [c for c in cands if free(c)]
            if not cands:
                return None
            spec = self.specs[si]
            # the plausibility checks (a date decades away, malformed digit groups) rank like validity
            tiers = {id(c): (int(self._plausible(spec, c)), *c.tier()) for c in cands}
            best_tier = max(tiers.values())
            top = [c for c in cands if tiers[id(c)] == best_tier]
            top.sort(key=lambda c: (c.line.page, c.line.bbox[1], c.line.bbox[0], c.start))
            chosen = top[-1] if spec.prefer == "last" else top[0]
            # two values on one row (a tax invoice's supplier and buyer blocks): the supplier's is the
            # left one, the buyer's the right one
            # (the side decides before validity: the buyer's valid number is not the supplier's)
            row = [c for c in cands if c.line.page == chosen.line.page and same_row(c.line.bbox, chosen.line.bbox)]
            if len(row) > 1:
                xs = sorted(row, key=lambda c: c.line.x_at(c.start))
                chosen = xs[-1] if spec.side == "buyer" else xs[0]
            return chosen

        # key-anchored values first, most confident first, so that fallbacks cannot take their text
        order = sorted(range(len(self.specs)), key=lambda i: -max((c.confidence for c in anchored[i]), default=0))
        for si in order:
            chosen = pick(si, anchored[si])
            if chosen is not None:
                result[si] = chosen
                claimed.append((chosen.line.order, chosen.start, chosen.end))
        for stage in ("pattern", "scan", "top_line"):
            for si, spec in enumerate(self.specs):
                if si in result:
                    continue
                if stage == "pattern" and self._patterns[si]:
                    cands = self._pattern_cands(si, lines)
                elif stage == "scan" and spec.scan and spec.type != "text":
                    cands = self._scan_cands(si, lines)
                elif stage == "top_line" and spec.top_line and spec.type == "text":
                    cands = self._top_line_cands(si, lines)
                else:
                    continue
                chosen = pick(si, cands)
                if chosen is not None:
                    result[si] = chosen
                    claimed.append((chosen.line.order, chosen.start, chosen.end))

        out: dict[str, RuleField] = {}
        for si, spec in enumerate(self.specs):
            c = result.get(si)
            others = sorted(
                (o for o in anchored[si] if o is not c),
                key=lambda o: (o.line.page, o.line.bbox[1], o.line.bbox[0]),
            )
            alternatives = [_field(o) for o in others[:_MAX_ALTERNATIVES]]
            if c is None:
                out[spec.name] = RuleField(alternatives=alternatives)
                continue
            found = _field(c, alternatives)
            if spec.concept in _WRAPPING and c.kind in ("same", "right"):
                claimed_lines = {o for o, _, _ in claimed}
                found = _with_continuation(found, c, by_page[c.line.page], claimed_lines)
            out[spec.name] = found
        return out


_MAX_ALTERNATIVES = 8
_TIME_AFTER = re.compile(r"\s*(?:[(\[][^)\]]{1,4}[)\]])?\s*\d{1,2}:\d{2}")
_ODD_MARKS = re.compile(r"[●▶◀◆■□◇○◎★☆※!|\[\]<>{}=_~^]")
_WRAPPING = {"address"}  # text values that wrap onto a second line under themselves


def _with_continuation(found: RuleField, c: Candidate, page_lines: list[KeyedLine], claimed: set[int]) -> RuleField:
    """An address that goes on in the line just below it, starting where it starts ("… 342," / "8층")."""
    x0 = c.line.x_at(c.start)
    h = c.line.h
    for other in page_lines:
        gap = other.bbox[1] - c.line.bbox[3]
        if other is c.line or not -0.25 * h <= gap <= 0.8 * h or abs(other.bbox[0] - x0) > 0.8 * h:
            continue
        left_of_it = any(
            o is not other and o is not c.line and same_row(o.bbox, other.bbox) and o.bbox[2] <= other.bbox[0] + 0.5 * h
            for o in page_lines
        )
        if (
            other.hits
            or left_of_it  # the row has its own label on the left: "본점 소재지 | : 서울…"
            or other.order in claimed
            or SEP_LEAD.match(other.text)
            or not HAS_LETTER.search(other.text)
            or len(other.text) > 60
        ):
            return found  # a labelled line, another field's value: the address ended
        text = collapse_spaces(other.text)
        bbox = found.bbox or list(other.bbox)
        merged = [min(bbox[0], other.bbox[0]), bbox[1], max(bbox[2], other.bbox[2]), other.bbox[3]]
        value = f"{found.value} {text}"
        return replace(found, value=value, normalized=normalize("text", value)[0], bbox=[round(v, 1) for v in merged])
    return found


def _field(c: Candidate, alternatives: list[RuleField] | None = None) -> RuleField:
    return RuleField(
        value=c.raw,
        normalized=c.normalized,
        confidence=c.confidence,
        page=c.line.page,
        bbox=c.line.sub_bbox(c.start, c.end),
        valid=c.valid,
        how=c.kind,
        alternatives=alternatives or [],
    )


def run_rules(
    doc: DocumentResult, specs: Sequence[FieldSpec], vocabulary: Sequence[FieldSpec] = ()
) -> dict[str, RuleField]:
    return RuleEngine(specs, vocabulary).run(doc)


@dataclass(slots=True)
class Located:
    page: int
    bbox: list[float]
    raw: str
    line_confidence: float


def locate(
    doc: DocumentResult, type_: str, value: str, normalized: Any, *, default_currency: str | None = None
) -> Located | None:
    """Where a value (e.g. from an LLM answer) is printed in the OCR lines, if it is.

    Typed values match on their normalised form (``2025-03-04`` is found as ``2025년 3월 4일``); text
    matches case-, width- and space-blind inside a line.
    """
    lines = prepare_lines(doc, None)
    want = compact(value)
    for line in lines:
        if type_ == "text":
            if not want or want not in compact(line.text):
                continue
            span = _span_of(line.text, value)
            s, e = span if span else (0, len(line.text))
            return Located(line.page, line.sub_bbox(s, e), line.text[s:e].strip(), line.conf)
        for f in find_values(type_, line.text, default_currency=default_currency):
            if _same_value(type_, f.normalized, normalized):
                return Located(line.page, line.sub_bbox(f.start, f.end), f.raw, line.conf)
        if type_ == "id" and want and want in compact(line.text):
            span = _span_of(line.text, value)
            s, e = span if span else (0, len(line.text))
            return Located(line.page, line.sub_bbox(s, e), line.text[s:e].strip(), line.conf)
    return None


def _same_value(type_: str, a: Any, b: Any) -> bool:
    if type_ == "amount" and isinstance(a, dict) and isinstance(b, dict):
        same_amount = abs(float(a["amount"]) - float(b["amount"])) < 0.005
        return same_amount and (a.get("currency") is None or b.get("currency") in (None, a.get("currency")))
    if type_ == "id":
        return compact(str(a)) == compact(str(b))
    return bool(a == b)


def _span_of(text: str, value: str) -> tuple[int, int] | None:
    """Character span of ``value`` in ``text`` ignoring case and runs of spaces."""
    parts = [re.escape(p) for p in value.split()]
    if not parts:
        return None
    m = re.search(r"\s*".join(parts), text, re.I)
    return (m.start(), m.end()) if m else None
