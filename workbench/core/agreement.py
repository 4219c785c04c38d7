"""Intercoder agreement between two codings of the same study.

Pure computation on format dicts (``*.study.json`` as parsed). The units
are the events present in both codings, matched by firm id and event id.
Each coding dimension (primary stage, the set of stages, level with its
default applied, primary learning type, the set of learning types, phase,
critical, and the study's own codes) is measured separately, overall and
per firm, by

- percent agreement: the share (0 to 1) of units coded by both coders on
  which they agree exactly;
- Cohen's (1960) kappa over the same units;
- Krippendorff's alpha (Krippendorff 2004, ch. 11): nominal distance for
  single values, MASI distance (Passonneau 2006, with the weights 0.67 and
  0.33 of NLTK's ``masi_distance``) for sets;
- the confusion table (rows: coder A's value, columns: coder B's).

An event left uncoded on a dimension by either coder is left out of that
dimension's agreement and kappa, and counts as missing for alpha (with two
coders a unit with one value cannot be paired, so it drops out too). A
measure that is undefined (no units; only one category used) is ``None``.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Hashable, Iterable, Sequence

from .frameworks import all_stages, vocabulary

DIMENSIONS = ("primary_stage", "stages", "level", "primary_learning_type", "learning_types",
              "phase", "critical", "codes")
SET_DIMENSIONS = frozenset({"stages", "learning_types", "codes"})
LABELS = {
    "primary_stage": "Primary stage",
    "stages": "Stages (the set)",
    "level": "Level",
    "primary_learning_type": "Primary learning type",
    "learning_types": "Learning types (the set)",
    "phase": "Phase",
    "critical": "Critical incident",
    "codes": "The study's own codes",
}

Value = Hashable


# --------------------------------------------------------------------------- distances


def nominal_distance(a: Value, b: Value) -> float:
    return 0.0 if a == b else 1.0


def masi_distance(a: frozenset, b: frozenset) -> float:
    """MASI distance of two sets: 1 - Jaccard x monotonicity, where the
    monotonicity is 1 for equal sets, 0.67 when one contains the other,
    0.33 when they overlap otherwise, 0 when disjoint (as NLTK computes it)."""
    inter = len(a & b)
    union = len(a | b)
    if union == 0:
        return 0.0
    if len(a) == len(b) == inter:
        m = 1.0
    elif inter == min(len(a), len(b)):
        m = 0.67
    elif inter > 0:
        m = 0.33
    else:
        m = 0.0
    return 1.0 - inter / union * m


# --------------------------------------------------------------------------- measures


def percent_agreement(pairs: Sequence[tuple[Value, Value]]) -> float | None:
    if not pairs:
        return None
    return sum(1 for a, b in pairs if a == b) / len(pairs)


def cohen_kappa(pairs: Sequence[tuple[Value, Value]]) -> float | None:
    """Cohen's kappa of two coders' values on the same units (each pair one
    unit, both values present). None when undefined: no units, or both
    coders used one and the same category throughout."""
    n = len(pairs)
    if n == 0:
        return None
    agree = sum(1 for a, b in pairs if a == b)
    count_a = Counter(a for a, _ in pairs)
    count_b = Counter(b for _, b in pairs)
    pe = sum(c * count_b.get(k, 0) for k, c in count_a.items()) / (n * n)
    po = agree / n
    if pe >= 1.0:
        return None
    return (po - pe) / (1.0 - pe)


def krippendorff_alpha(units: Iterable[Sequence[Value]],
                       distance: Callable[[Value, Value], float] = nominal_distance) -> float | None:
    """Krippendorff's alpha for any number of coders, with missing values.
    Each unit is the list of values it received (missing ones left out);
    units with fewer than two values cannot be paired and drop out. None
    when undefined: fewer than two pairable values, or no expected
    disagreement (one category only)."""
    coincidence: Counter = Counter()
    for values in units:
        m = len(values)
        if m < 2:
            continue
        w = 1.0 / (m - 1)
        for i, vi in enumerate(values):
            for j, vj in enumerate(values):
                if i != j:
                    coincidence[(vi, vj)] += w
    totals: Counter = Counter()
    for (c, _), o in coincidence.items():
        totals[c] += o
    n = sum(totals.values())
    if n <= 1:
        return None
    cache: dict = {}

    def delta(c, k):
        key = (c, k)
        if key not in cache:
            cache[key] = distance(c, k)
        return cache[key]

    observed = sum(o * delta(c, k) for (c, k), o in coincidence.items() if c != k) / n
    cats = list(totals)
    expected = sum(totals[c] * totals[k] * delta(c, k)
                   for c in cats for k in cats if c != k) / (n * (n - 1))
    if expected <= 0.0:
        return None
    return 1.0 - observed / expected


# --------------------------------------------------------------------------- codings


def _order_maps() -> dict[str, dict[str, int]]:
    voc = vocabulary()
    stages = sorted(all_stages().values(), key=lambda s: (s.order, s.id))
    return {
        "stages": {s.id: i for i, s in enumerate(stages)},
        "level": {t: i for i, t in enumerate(voc.ids("levels"))},
        "learning_types": {t: i for i, t in enumerate(voc.ids("learning_types"))},
        "phase": {t: i for i, t in enumerate(voc.ids("phases"))},
    }


_VOCAB_OF = {"primary_stage": "stages", "stages": "stages", "level": "level",
             "primary_learning_type": "learning_types", "learning_types": "learning_types",
             "phase": "phase"}


class Coder:
    """Reads one dimension's value off an event dict (None = uncoded)."""

    def __init__(self):
        self.default_level = {s.id: s.default_level for s in all_stages().values()}

    def value(self, event: dict, dim: str):
        if dim == "primary_stage":
            st = event.get("stages")
            return st[0] if st else None
        if dim == "stages":
            st = event.get("stages")
            return frozenset(st) if st else None
        if dim == "level":
            lv = event.get("level")
            if lv:
                return lv
            st = event.get("stages")
            return self.default_level.get(st[0]) if st else None
        if dim == "primary_learning_type":
            lt = event.get("learning_types")
            return lt[0] if lt else None
        if dim == "learning_types":
            lt = event.get("learning_types")
            return frozenset(lt) if lt else None
        if dim == "phase":
            return event.get("phase") or None
        if dim == "critical":
            return bool(event.get("critical", False))
        if dim == "codes":
            cs = event.get("codes")
            return frozenset(cs) if cs else None
        raise KeyError(dim)


def dimensions_of(a: dict, b: dict) -> tuple[str, ...]:
    """The dimensions compared: all but ``codes``, which only where either
    study has codes of its own."""
    if a.get("codes") or b.get("codes"):
        return DIMENSIONS
    return DIMENSIONS[:-1]


class Labeller:
    """Stable labels and orders for categories (framework order where known)."""

    def __init__(self):
        self.orders = _order_maps()
        self._lists: dict = {}

    def key(self, dim: str, value) -> tuple:
        if dim == "critical":
            return (0, int(value))
        order = self.orders.get(_VOCAB_OF.get(dim, ""), {})
        if isinstance(value, frozenset):
            return (len(value), sorted((order.get(v, len(order)), v) for v in value))
        return (order.get(value, len(order)), value)

    def items(self, dim: str, value) -> list:
        order = self.orders.get(_VOCAB_OF.get(dim, ""), {})
        return sorted(value, key=lambda v: (order.get(v, len(order)), v))

    def label(self, dim: str, value) -> str:
        if value is None:
            return "(uncoded)"
        if dim == "critical":
            return "true" if value else "false"
        if isinstance(value, frozenset):
            return "+".join(self.items(dim, value))
        return str(value)

    def json_value(self, dim: str, value):
        if isinstance(value, frozenset):
            key = (dim, value)
            found = self._lists.get(key)
            if found is None:
                found = self._lists[key] = self.items(dim, value)
            return list(found)
        return value


def _r(x: float | None) -> float | None:
    if x is None:
        return None
    x = round(x, 4)
    return 0.0 if x == 0 else x


def measure_counts(dim: str, counts: Counter, labeller: Labeller) -> dict:
    """One dimension's numbers from the counts of its (A value, B value)
    pairs, either value possibly None (uncoded)."""
    both = Counter({p: c for p, c in counts.items() if p[0] is not None and p[1] is not None})
    n = sum(both.values())
    distance = masi_distance if dim in SET_DIMENSIONS else nominal_distance
    # with two coders, only units coded by both can be paired for alpha
    alpha = _alpha_two_coders(both, distance)
    agree = sum(c for (x, y), c in both.items() if x == y)
    kappa = None
    if n:
        count_a: Counter = Counter()
        count_b: Counter = Counter()
        for (x, y), c in both.items():
            count_a[x] += c
            count_b[y] += c
        pe = sum(c * count_b.get(k, 0) for k, c in count_a.items()) / (n * n)
        if pe < 1.0:
            kappa = (agree / n - pe) / (1.0 - pe)
    cats = sorted({v for p in both for v in p}, key=lambda v: labeller.key(dim, v))
    labels = [labeller.label(dim, v) for v in cats]
    confusion = {lx: {ly: both.get((x, y), 0) for y, ly in zip(cats, labels)} for x, lx in zip(cats, labels)}
    return {"units": n, "agreement": _r(agree / n if n else None), "cohen_kappa": _r(kappa),
            "krippendorff_alpha": _r(alpha), "confusion": confusion}


def _alpha_two_coders(both: Counter, distance) -> float | None:
    """Krippendorff's alpha from the counts of pairs coded by both of two
    coders (the same as ``krippendorff_alpha`` on those units)."""
    coincidence: Counter = Counter()
    for (x, y), c in both.items():
        coincidence[(x, y)] += c
        coincidence[(y, x)] += c
    totals: Counter = Counter()
    for (x, _), o in coincidence.items():
        totals[x] += o
    n = sum(totals.values())
    if n <= 1:
        return None
    observed = sum(o * distance(x, y) for (x, y), o in coincidence.items() if x != y) / n
    cats = list(totals)
    expected = sum(totals[c] * totals[k] * distance(c, k) for c in cats for k in cats if c != k) / (n * (n - 1))
    if expected <= 0.0:
        return None
    return 1.0 - observed / expected


def measure(dim: str, pairs: list[tuple], labeller: Labeller | None = None) -> dict:
    """One dimension's numbers over a list of (A value, B value) pairs, either
    value possibly None (uncoded)."""
    return measure_counts(dim, Counter(pairs), labeller or Labeller())


def _firms(doc: dict) -> dict[str, dict]:
    return {f["id"]: f for f in doc.get("firms", ())}


def values_fn(dims: tuple[str, ...]):
    """A function from an event dict to its values on ``dims``, as a tuple."""
    default_level = Coder().default_level

    def values(e: dict) -> tuple:
        st = e.get("stages")
        lt = e.get("learning_types")
        lv = e.get("level") or (default_level.get(st[0]) if st else None)
        cs = e.get("codes")
        row = (st[0] if st else None, frozenset(st) if st else None, lv,
               lt[0] if lt else None, frozenset(lt) if lt else None, e.get("phase") or None,
               bool(e.get("critical", False)), frozenset(cs) if cs else None)
        return row if len(dims) == 8 else row[:len(dims)]
    return values


def compare(a: dict, b: dict, firm: str | None = None) -> dict:
    """Compare two codings (format dicts). The result has the shape of
    ``workbench compare --json``: units, only_in_a, only_in_b, dimensions
    (overall), firms (per firm present in both), disagreements."""
    labeller = Labeller()
    dims = dimensions_of(a, b)
    values = values_fn(dims)
    firms_a, firms_b = _firms(a), _firms(b)
    if firm is not None:
        firms_a = {k: v for k, v in firms_a.items() if k == firm}
        firms_b = {k: v for k, v in firms_b.items() if k == firm}
    only_a: list[dict] = []
    only_b: list[dict] = []
    per_firm: dict[str, list[Counter]] = {}
    disagreements: list[dict] = []
    units = 0
    json_value = labeller.json_value
    for fid, fa in firms_a.items():
        fb = firms_b.get(fid)
        if fb is None:
            only_a += [{"firm": fid, "event": e["id"]} for e in fa.get("events", ())]
            continue
        events_b = {e["id"]: e for e in fb.get("events", ())}
        rows: Counter = Counter()
        seen = set()
        for ea in fa.get("events", ()):
            eb = events_b.get(ea["id"])
            if eb is None:
                only_a.append({"firm": fid, "event": ea["id"]})
                continue
            seen.add(ea["id"])
            units += 1
            va, vb = values(ea), values(eb)
            rows[(va, vb)] += 1
            if va != vb:
                for d, x, y in zip(dims, va, vb):
                    if x != y and x is not None and y is not None:
                        disagreements.append({"firm": fid, "event": ea["id"], "dimension": d,
                                              "a": json_value(d, x), "b": json_value(d, y)})
        counts = [Counter() for _ in dims]
        for (va, vb), c in rows.items():
            for i in range(len(dims)):
                counts[i][(va[i], vb[i])] += c
        per_firm[fid] = counts
        only_b += [{"firm": fid, "event": e["id"]} for e in fb.get("events", ()) if e["id"] not in seen]
    for fid, fb in firms_b.items():
        if fid not in firms_a:
            only_b += [{"firm": fid, "event": e["id"]} for e in fb.get("events", ())]
    overall = [sum((c[i] for c in per_firm.values()), Counter()) for i in range(len(dims))]
    return {
        "units": units,
        "only_in_a": only_a,
        "only_in_b": only_b,
        "dimensions": {d: measure_counts(d, overall[i], labeller) for i, d in enumerate(dims)},
        "firms": {fid: {"dimensions": {d: measure_counts(d, counts[i], labeller) for i, d in enumerate(dims)}}
                  for fid, counts in per_firm.items()},
        "disagreements": disagreements,
    }


__all__ = ["DIMENSIONS", "SET_DIMENSIONS", "LABELS", "Coder", "Labeller", "measure_counts", "values_fn",
           "compare", "measure", "cohen_kappa",
           "krippendorff_alpha", "percent_agreement", "masi_distance", "nominal_distance",
           "dimensions_of"]
