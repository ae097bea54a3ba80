"""Scores for OCR output against references: CER on whole texts, and substring scores for labels that
list only some strings of a page (``kind: partial`` in the real-image set).

- ``page_cer``: Levenshtein(hypothesis, reference) / len(reference) after NFC, every whitespace run
  (line breaks included) collapsed to one space: reading order still counts, line-break vs space does not.
- ``substring_distance``: the fewest edits that turn ``pattern`` into *some* substring of ``text``
  (semi-global alignment). A listed string is ``found`` when that is 0 with whitespace collapsed or with
  whitespace removed (the real-dev README's forms a and b); its character errors are counted on the
  whitespace-free form, so partial-label CER ignores word spacing.
- ``codes``: the digit runs and Latin codes of a reference (``123-45-67890``, ``S24``, ``ISO``,
  ``help@hanbit.example``); ``codes_kept`` counts those found verbatim in the hypothesis.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import numpy as np
from rapidfuzz.distance import Levenshtein

_WS = re.compile(r"\s+")
# a run of ASCII letters/digits, possibly joined by the punctuation codes use inside themselves
_CODE = re.compile(r"[A-Za-z0-9]+(?:[-.,:/@_+&][A-Za-z0-9]+)*")


def collapse(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def squash(text: str) -> str:
    return _WS.sub("", unicodedata.normalize("NFC", text))


def edit_distance(a: str, b: str) -> int:
    return int(Levenshtein.distance(a, b))


def page_cer(hypothesis: str, reference: str) -> tuple[int, int]:
    """(errors, reference length) on collapsed text."""
    hyp, ref = collapse(hypothesis), collapse(reference)
    return edit_distance(hyp, ref), len(ref)


def substring_distance(pattern: str, text: str) -> int:
    """min over substrings s of ``text`` of Levenshtein(pattern, s)."""
    m = len(pattern)
    if m == 0:
        return 0
    if not text:
        return m
    t = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    idx = np.arange(len(t) + 1, dtype=np.int64)
    row = np.zeros(len(t) + 1, dtype=np.int64)  # empty pattern prefix matches anywhere for free
    for i, ch in enumerate(pattern, 1):
        cost = (t != ord(ch)).astype(np.int64)
        best = np.empty_like(row)
        best[0] = i
        best[1:] = np.minimum(row[:-1] + cost, row[1:] + 1)  # substitute/match, or skip a pattern char
        # insertion of text chars: best[j] = min_k<=j best[k] + (j - k)
        row = np.minimum.accumulate(best - idx) + idx
    return int(row.min())


def partial_scores(strings: Iterable[str], transcript: str) -> tuple[int, int, int, int, list[str]]:
    """(errors, characters, found, listed, missed strings) of listed strings against a page transcript."""
    spaced, bare = collapse(transcript), squash(transcript)
    errors = chars = found = listed = 0
    missed: list[str] = []
    for s in strings:
        a, b = collapse(s), squash(s)
        if not b:
            continue
        listed += 1
        d = substring_distance(b, bare)
        errors += d
        chars += len(b)
        if a in spaced or b in bare:
            found += 1
        else:
            missed.append(s)
    return errors, chars, found, listed, missed


def codes(reference: str) -> list[str]:
    """Digit runs and Latin codes worth keeping (single letters and lone digits excepted)."""
    out = []
    for m in _CODE.finditer(unicodedata.normalize("NFC", reference)):
        tok = m.group(0)
        if len(tok) >= 2 or tok.isdigit():
            out.append(tok)
    return out


def codes_kept(reference: str, hypothesis: str) -> tuple[int, int, list[str]]:
    """(kept, total, lost) digit runs / Latin codes of ``reference`` found verbatim in ``hypothesis``
    (whitespace ignored, so a code split over two boxes still counts)."""
    bare = squash(hypothesis)
    want = codes(reference)
    lost = [c for c in want if squash(c) not in bare]
    return len(want) - len(lost), len(want), lost
