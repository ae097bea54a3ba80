"""Key labels on OCR lines: document titles, tokens, the fuzzy key index over every field's synonyms
(jamo for Korean, OCR-confusion folding for Latin) and the hits it finds on each line."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from app.features.extraction.templates import FieldSpec
from app.features.extraction.values import fold_width
from app.features.ocr.types import DocumentResult

# Document titles: they are never values, and they absorb words that are also labels ("TAX INVOICE").
TITLE_WORDS = (
    "invoice",
    "tax invoice",
    "commercial invoice",
    "proforma invoice",
    "receipt",
    "sales receipt",
    "cash receipt",
    "statement",
    "영수증",
    "현금영수증",
    "거래명세서",
    "거래명세표",
    "세금계산서",
    "전자세금계산서",
    "계산서",
    "청구서",
    "견적서",
    "사업자등록증",
    "매출전표",
    # the copy marks under a tax invoice's or statement's title: "(공급받는자 보관용)"
    "공급자 보관용",
    "공급받는자 보관용",
    "보관용",
    "카드매출전표",
    "신용카드매출전표",
)

# penalties per way of finding a value
_KIND_FACTOR = {"same": 1.0, "right": 0.97, "below": 0.92, "pattern": 0.75, "scan": 0.6, "top_line": 0.5}
_OCR_CONFUSIONS = str.maketrans({"0": "o", "1": "l", "5": "s", "8": "b", "|": "l", "!": "l", "$": "s"})
_TOKEN_RE = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣ]+|[A-Za-z][A-Za-z0-9.#&'/\-]*|[^\s:：|가-힣A-Za-z]+")
HAS_LETTER = re.compile(r"[A-Za-z가-힣]")
SEP_LEAD = re.compile(r"^[\s:：\-–—|=>.·,;)\]]+")
SEP_TRAIL = re.compile(r"[\s:：|,;(\[\-–—]+$")
SEP_ONLY = re.compile(r"[\s:：\-–—|=>.·]*")
SIGN_MARK = re.compile(r"\s*\((?:인|서명|印|signature|sign)\)\s*$", re.I)
_MAX_WINDOW_TOKENS = 5
_MAX_KEY_CHARS = 30
_VOCAB_FUZZY_MIN = 86.0


def same_row(a: Sequence[float], b: Sequence[float]) -> bool:
    """Two boxes ``[x0, y0, x1, y1]`` on one text row: they overlap by over half the lower one's height."""
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap > 0.5 * min(max(1.0, a[3] - a[1]), max(1.0, b[3] - b[1]))


def compact(text: str) -> str:
    """Fold for key comparison: NFKC, casefold, only letters and digits."""
    s = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in s if ch.isalnum())


def _fuzzy_form(compacted: str) -> str:
    """Hangul to jamo (so one wrong vowel costs one symbol, not a syllable); OCR digit/letter confusions."""
    if _is_latin(compacted):
        compacted = compacted.translate(_OCR_CONFUSIONS)
    return unicodedata.normalize("NFD", compacted)


def _is_latin(s: str) -> bool:
    return not any("\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e" for ch in s)


def _threshold(key_compact: str) -> float:
    if _is_latin(key_compact):
        n = len(key_compact)
        return 101.0 if n <= 3 else (88.0 if n == 4 else 80.0)  # short Latin labels: exact only
    return 100.0 if len(key_compact) <= 1 else 80.0


def _char_width(ch: str) -> float:
    if ch.isspace():
        return 0.35
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.56


@dataclass(slots=True)
class KeyHit:
    spec: int | None  # index into the requested specs; None: a label of another field or a title
    start: int
    end: int
    score: float  # 0..1
    title: bool = False


@dataclass(slots=True)
class KeyedLine:
    order: int
    page: int
    text: str
    conf: float
    bbox: tuple[float, float, float, float]
    cum: list[float]
    hits: list[KeyHit] = field(default_factory=list)

    @property
    def h(self) -> float:
        return max(1.0, self.bbox[3] - self.bbox[1])

    def x_at(self, i: int) -> float:
        x0, _, x1, _ = self.bbox
        total = self.cum[-1] or 1.0
        return x0 + (x1 - x0) * self.cum[max(0, min(i, len(self.cum) - 1))] / total

    def sub_bbox(self, start: int, end: int) -> list[float]:
        return [
            round(self.x_at(start), 1),
            round(self.bbox[1], 1),
            round(self.x_at(end), 1),
            round(self.bbox[3], 1),
        ]


@dataclass(slots=True)
class Candidate:
    spec: int
    line: KeyedLine
    start: int
    end: int
    raw: str
    normalized: Any
    valid: bool | None
    strong: bool
    kind: str
    key_score: float

    @property
    def confidence(self) -> float:
        c = self.key_score * max(0.0, min(1.0, self.line.conf)) * _KIND_FACTOR[self.kind]
        if self.valid is False:
            c *= 0.6
        if not self.strong:
            c *= 0.7
        return round(c, 3)

    def tier(self) -> tuple[int, int, int]:
        return (int(self.valid is not False), int(self.strong), int(self.key_score >= 0.95))


@dataclass(slots=True)
class RuleField:
    """What the rules found for one field."""

    value: str | None = None
    normalized: Any = None
    confidence: float = 0.0
    page: int | None = None
    bbox: list[float] | None = None
    valid: bool | None = None
    how: str | None = None  # same | right | below | pattern | scan | top_line | arithmetic | largest
    reason: str | None = None  # why ``valid`` is false
    alternatives: list[RuleField] = field(default_factory=list)  # other label-anchored values, in page order


class KeyIndex:
    """All key labels, folded, with the field they belong to."""

    def __init__(self, specs: Sequence[FieldSpec], vocabulary: Sequence[FieldSpec]) -> None:
        self.exact: dict[str, tuple[int | None, bool]] = {}
        for title in TITLE_WORDS:
            self.exact.setdefault(compact(title), (None, True))
        for i, spec in enumerate(specs):
            for label in (*spec.synonyms, spec.name):
                c = compact(label)
                # a title stays a title ("Receipt #" folds to "receipt": the heading is not its label)
                if c and self.exact.get(c, (None, False)) == (None, False):
                    self.exact[c] = (i, False)
        for spec in vocabulary:
            for label in spec.synonyms:
                c = compact(label)
                if c and c not in self.exact:
                    self.exact[c] = (None, False)
        # fuzzy candidates: titles only absorb exact words, so they are left out
        self._fuzzy_keys = [k for k, (_, title) in self.exact.items() if not title]
        self._by_len: dict[int, tuple[list[str], list[str]]] = {}
        self._memo: dict[str, tuple[str, float] | None] = {}

    def _candidates(self, n: int) -> tuple[list[str], list[str]]:
        """Keys whose length is close enough to a window of length ``n`` (and their fuzzy forms)."""
        got = self._by_len.get(n)
        if got is None:
            keys = [k for k in self._fuzzy_keys if abs(n - len(k)) <= _allowed_len_diff(k)]
            got = (keys, [_fuzzy_form(k) for k in keys])
            self._by_len[n] = got
        return got

    def match(self, window: str) -> tuple[str, float] | None:
        if window in self.exact:
            return window, 1.0
        if len(window) < 2:
            return None
        if window in self._memo:
            return self._memo[window]
        result: tuple[str, float] | None = None
        keys, forms = self._candidates(len(window))
        if keys:
            form = _fuzzy_form(window)
            for _, score, idx in process.extract(form, forms, scorer=fuzz.ratio, score_cutoff=78.0, limit=4):
                key = keys[idx]
                if score < _threshold(key) or score < _threshold(window):
                    continue
                if self.exact[key][0] is None and score < _VOCAB_FUZZY_MIN:
                    continue  # a label nobody asked for needs a closer match to cut a line
                result = (key, score / 100.0)
                break
        if len(self._memo) < 100_000:
            self._memo[window] = result
        return result


def _allowed_len_diff(key: str) -> int:
    """How many characters a fuzzy window may differ in length from a label: a label with the start
    of its value glued on ("approvalcode0a12b3") is not that label."""
    return max(1, len(key) // 4) if _is_latin(key) else len(key) // 4


_ADDRESS_LIKE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+|(?:https?://|www\.)\S+", re.I)


def find_hits(text: str, index: KeyIndex) -> list[KeyHit]:
    # words inside an e-mail address or a URL are never labels ("contact@…" is not the label Contact)
    inside = [(m.start(), m.end()) for m in _ADDRESS_LIKE.finditer(text)]
    tokens = [(m.start(), m.end()) for m in _TOKEN_RE.finditer(text) if not any(s <= m.start() < e for s, e in inside)]
    found: list[tuple[float, float, KeyHit]] = []
    for i, (s0, _) in enumerate(tokens):
        if not HAS_LETTER.search(text[s0 : tokens[i][1]]):
            continue
        for j in range(i, min(len(tokens), i + _MAX_WINDOW_TOKENS)):
            e = tokens[j][1]
            if not HAS_LETTER.search(text[tokens[j][0] : e]):
                continue
            window = compact(text[s0:e])
            if len(window) > _MAX_KEY_CHARS:
                break
            m = index.match(window)
            if m is None:
                continue
            key, score = m
            spec, title = index.exact[key]
            found.append((score * len(key), score, KeyHit(spec, s0, e, score, title)))
    exact = [(h.start, h.end, len(compact(text[h.start : h.end]))) for _, sc, h in found if sc >= 1.0]

    def swallows_exact(hit: KeyHit) -> bool:
        # a fuzzy window mostly made of an exact label is two labels read as one ("Invoice No. Total")
        inner = sum(n for s, e, n in exact if hit.start <= s and e <= hit.end and (s, e) != (hit.start, hit.end))
        return inner * 2 >= len(compact(text[hit.start : hit.end]))

    found = [t for t in found if t[1] >= 1.0 or not swallows_exact(t[2])]
    found.sort(key=lambda t: (-t[0], -t[1], t[2].start))
    chosen: list[KeyHit] = []
    for _, _, hit in found:
        if all(hit.end <= h.start or hit.start >= h.end for h in chosen):
            chosen.append(hit)
    chosen.sort(key=lambda h: h.start)
    return chosen


def prepare_lines(doc: DocumentResult, index: KeyIndex | None) -> list[KeyedLine]:
    lines: list[KeyedLine] = []
    for page in doc.pages:
        page_lines = sorted(page.lines, key=lambda ln: ((ln.bbox[1] + ln.bbox[3]) / 2, ln.bbox[0]))
        for ln in page_lines:
            text = fold_width(ln.text)
            if not text.strip():
                continue
            cum = [0.0]
            for ch in text:
                cum.append(cum[-1] + _char_width(ch))
            bbox = (float(ln.bbox[0]), float(ln.bbox[1]), float(ln.bbox[2]), float(ln.bbox[3]))
            lines.append(KeyedLine(len(lines), page.page, text, float(ln.confidence), bbox, cum))
    if index is not None:
        for line in lines:
            line.hits = find_hits(line.text, index)
    return lines
