"""Totals by arithmetic: subtotal + tax = total, used to find, repair and check the three amounts.

The labels find them first (rules.py). Then, over every well-formed amount printed on the document:

* all three found and they add up: each is confirmed (confidence raised);
* they do not add up: the one that can be replaced by a printed amount that makes the sum hold is
  replaced (the total first, since the grand total is what callers need most); if none can, the three
  are marked ``valid: false`` with the sum in the ``reason``;
* the total missing: the printed sum of the subtotal and tax found, else the largest ``a + b = c``
  among printed amounts with ``b`` a plausible tax on ``a`` (3–30 %), else the largest printed amount
  (low confidence: a guess);
* the subtotal or tax missing beside a total: the printed pair that sums to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import combinations

from app.features.extraction.keys import RuleField, prepare_lines
from app.features.extraction.normalize import find_values
from app.features.ocr.types import DocumentResult

ROLES = ("total", "subtotal", "tax")
_TAX_SHARE = (0.03, 0.3)
_MAX_AMOUNTS = 80
_CONFIRMED_BOOST = 0.1
_ARITHMETIC_FACTOR = 0.8
_LARGEST_CONFIDENCE = 0.4
_UNCONFIRMED_CAP = 0.85


@dataclass(frozen=True, slots=True)
class Printed:
    value: float
    currency: str | None
    raw: str
    page: int
    bbox: list[float]
    conf: float


def printed_amounts(doc: DocumentResult, currency: str | None) -> list[Printed]:
    """Every well-formed money amount on the document (currency mark or thousands grouping), positive."""
    out = []
    for line in prepare_lines(doc, None):
        for f in find_values("amount", line.text, default_currency=currency):
            if not f.strong or f.valid is False or float(f.normalized["amount"]) <= 0:
                continue
            out.append(
                Printed(
                    float(f.normalized["amount"]),
                    f.normalized.get("currency"),
                    f.raw,
                    line.page,
                    line.sub_bbox(f.start, f.end),
                    line.conf,
                )
            )
    return out[:_MAX_AMOUNTS] if len(out) <= _MAX_AMOUNTS else sorted(out, key=lambda p: -p.value)[:_MAX_AMOUNTS]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.011, 0.0005 * max(abs(a), abs(b)))


def _amount(r: RuleField | None) -> float | None:
    if r is None or r.value is None or not isinstance(r.normalized, dict):
        return None
    try:
        return float(r.normalized["amount"])
    except (KeyError, TypeError, ValueError):
        return None


def _from_printed(p: Printed, how: str, confidence: float) -> RuleField:
    return RuleField(
        value=p.raw,
        normalized={"amount": p.value, "currency": p.currency},
        confidence=round(confidence, 3),
        page=p.page,
        bbox=p.bbox,
        valid=True,
        how=how,
    )


def _find(printed: list[Printed], value: float) -> Printed | None:
    hits = [p for p in printed if _close(p.value, value)]
    return max(hits, key=lambda p: (p.page, p.bbox[1])) if hits else None


def _plausible_tax(base: float, tax: float) -> bool:
    return base > 0 and _TAX_SHARE[0] <= tax / base <= _TAX_SHARE[1]


def reconcile(doc: DocumentResult, fields: dict[str, RuleField], roles: dict[str, str], currency: str | None) -> None:
    """Find, repair and check the total, subtotal and tax in ``fields`` (in place).

    ``roles`` maps ``total`` / ``subtotal`` / ``tax`` to the field names that play them.
    """
    if "total" not in roles and not ("subtotal" in roles and "tax" in roles):
        return
    got = {role: fields.get(name) for role, name in roles.items()}
    t, s, x = (_amount(got.get(role)) for role in ROLES)
    printed = printed_amounts(doc, currency)

    def put(role: str, field: RuleField) -> None:
        if role in roles:
            fields[roles[role]] = field

    if t is not None and s is not None and x is not None:
        if _close(s + x, t):
            _confirm(got, put, currency)
            return
        combo = _labelled_combo(got)
        if combo is not None:
            _confirm(dict(zip(ROLES, combo, strict=True)), put, currency)
            return
        for role, want in (("total", s + x), ("subtotal", t - x), ("tax", t - s)):
            p = _find(printed, want)
            r = got[role]
            if p is not None and r is not None:
                put(role, _from_printed(p, "arithmetic", _ARITHMETIC_FACTOR * p.conf))
                return
        pair = _best_pair(printed, t)
        if pair is not None:  # the total's label is the surest: the printed subtotal and tax that make it
            put("subtotal", _from_printed(pair[0], "arithmetic", _ARITHMETIC_FACTOR * pair[0].conf))
            put("tax", _from_printed(pair[1], "arithmetic", _ARITHMETIC_FACTOR * pair[1].conf))
            return
        reason = f"subtotal {s:,.2f} + tax {x:,.2f} = {s + x:,.2f}, not the total {t:,.2f}"
        for role in ROLES:
            r = got[role]
            assert r is not None
            put(role, replace(r, valid=False, reason=reason))
        return

    if t is None:
        if s is not None and x is not None and (p := _find(printed, s + x)) is not None:
            put("total", _from_printed(p, "arithmetic", _ARITHMETIC_FACTOR * p.conf))
            return
        triple = _best_triple(printed)
        if triple is not None:
            a, b, c = triple
            put("total", _from_printed(c, "arithmetic", 0.75 * c.conf))
            if s is None:
                put("subtotal", _from_printed(a, "arithmetic", 0.7 * a.conf))
            if x is None:
                put("tax", _from_printed(b, "arithmetic", 0.7 * b.conf))
            return
        if printed and "total" in roles:
            biggest = max(printed, key=lambda p: (p.value, p.page, p.bbox[1]))
            put("total", _from_printed(biggest, "largest", _LARGEST_CONFIDENCE * biggest.conf))
        return

    # the total is known: the subtotal and tax it is made of
    if s is None and x is not None and (p := _find(printed, t - x)) is not None:
        put("subtotal", _from_printed(p, "arithmetic", _ARITHMETIC_FACTOR * p.conf))
    elif x is None and s is not None and (p := _find(printed, t - s)) is not None:
        put("tax", _from_printed(p, "arithmetic", _ARITHMETIC_FACTOR * p.conf))
    elif s is None and x is None:
        pair = _best_pair(printed, t)
        if pair is not None:
            put("subtotal", _from_printed(pair[0], "arithmetic", 0.7 * pair[0].conf))
            put("tax", _from_printed(pair[1], "arithmetic", 0.7 * pair[1].conf))


_KR_VAT = 0.1


def _vat_ok(s: float, x: float) -> bool:
    return abs(x - _KR_VAT * s) <= max(1.0, 0.001 * s)


def _without_lead_one(r: RuleField) -> tuple[float, str] | None:
    """``13,610,000`` read from ``\\3,610,000``: the won sign (a backslash in Korean fonts) read as 1."""
    raw = (r.value or "").strip()
    m = re.fullmatch(r"1(\d{1,3}(?:,\d{3})+)(\s*원)?", raw)
    if m is None:
        return None
    rest = m.group(1)
    return float(rest.replace(",", "")), rest + (m.group(2) or "")


def _confirm(got: dict[str, RuleField | None], put: Callable[[str, RuleField], None], currency: str | None) -> None:
    """Three amounts that add up. On a won document the tax is 10 % VAT: when it is not, a won sign
    misread as a leading 1 is undone if that makes it so, else the three are not confirmed (a sum can
    hold with a digit misread in two places) and stay below 0.9."""
    t_r, s_r, x_r = (got[role] for role in ROLES)
    assert t_r is not None and s_r is not None and x_r is not None
    s, x = _amount(s_r), _amount(x_r)
    assert s is not None and x is not None
    boosted = {role: r for role, r in zip(ROLES, (t_r, s_r, x_r), strict=True)}
    if currency == "KRW" and not _vat_ok(s, x):
        fixed_s, fixed_t = _without_lead_one(s_r), _without_lead_one(t_r)
        if fixed_s and fixed_t and _vat_ok(fixed_s[0], x) and _close(fixed_s[0] + x, fixed_t[0]):
            for role, r, (value, raw) in (("subtotal", s_r, fixed_s), ("total", t_r, fixed_t)):
                normalized = {"amount": value, "currency": "KRW"}
                put(role, replace(r, value=raw, normalized=normalized, how="arithmetic", valid=True))
            return
        for role, r in boosted.items():
            put(role, replace(r, confidence=round(min(r.confidence, _UNCONFIRMED_CAP), 3)))
        return
    for role, r in boosted.items():
        put(role, replace(r, confidence=round(min(0.99, r.confidence + _CONFIRMED_BOOST), 3), valid=True))


def _labelled_combo(got: dict[str, RuleField | None]) -> tuple[RuleField, RuleField, RuleField] | None:
    """Other label-anchored values that add up (a statement's 공급가액 column header above the items and
    its 공급가액 in the totals box): the combination that changes the fewest chosen values, the total last."""
    options = []
    for role in ROLES:
        r = got[role]
        assert r is not None
        options.append([(r, 0)] + [(a, 1) for a in r.alternatives if _amount(a) is not None])
    best: tuple[tuple[int, int], tuple[RuleField, RuleField, RuleField]] | None = None
    for tc, tcost in options[0]:
        for sc, scost in options[1]:
            for xc, xcost in options[2]:
                t, s, x = _amount(tc), _amount(sc), _amount(xc)
                if t is None or s is None or x is None or not _close(s + x, t) or not _plausible_tax(s, x):
                    continue
                cost = (tcost + scost + xcost, tcost)
                if best is None or cost < best[0]:
                    best = (cost, (tc, sc, xc))
    return best[1] if best is not None else None


def _distinct(printed: list[Printed]) -> list[Printed]:
    """One printed amount per value: the lowest on the page (totals sit below the items)."""
    best: dict[float, Printed] = {}
    for p in printed:
        key = round(p.value, 2)
        if key not in best or (p.page, p.bbox[1]) > (best[key].page, best[key].bbox[1]):
            best[key] = p
    return list(best.values())


def _best_triple(printed: list[Printed]) -> tuple[Printed, Printed, Printed] | None:
    """The largest ``a + b = c`` with ``b`` a plausible tax on ``a``."""
    values = sorted(_distinct(printed), key=lambda p: p.value)
    by_value = {round(p.value, 2): p for p in values}
    best = None
    for a, b in combinations(values, 2):
        base, tax = (b, a) if a.value < b.value else (a, b)
        if not _plausible_tax(base.value, tax.value):
            continue
        c = by_value.get(round(base.value + tax.value, 2)) or _find(values, base.value + tax.value)
        if c is not None and (best is None or c.value > best[2].value):
            best = (base, tax, c)
    return best


def _best_pair(printed: list[Printed], total: float) -> tuple[Printed, Printed] | None:
    values = _distinct(printed)
    for a, b in combinations(values, 2):
        base, tax = (b, a) if a.value < b.value else (a, b)
        if _close(base.value + tax.value, total) and _plausible_tax(base.value, tax.value):
            return base, tax
    return None
