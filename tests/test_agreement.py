"""Intercoder agreement: our kappa and alpha against scikit-learn and the
``krippendorff`` package on random codings, against worked examples from
the literature, and `workbench compare` end to end."""

from __future__ import annotations

import copy
import json
import math
import random
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

krippendorff = pytest.importorskip("krippendorff")
sk_metrics = pytest.importorskip("sklearn.metrics")

from workbench.cli import main  # noqa: E402
from workbench.core.agreement import (cohen_kappa, compare, krippendorff_alpha,  # noqa: E402
                                      masi_distance, nominal_distance)

ROOT = Path(__file__).resolve().parent.parent
JM = ROOT / "sample_cases" / "jones-macpherson-2006.study.json"
STAGES = ["intuiting", "interpreting", "integrating", "institutionalising", "intertwining"]
TYPES = ["normative", "mimetic", "coercive"]
PHASES = ["critical_incident", "opening_up", "knowledge_sharing", "institutionalisation"]
LEVELS = ["individual", "group", "organisation", "inter_organisation"]


# --------------------------------------------------------------------------- references


def label(v):
    return "+".join(sorted(v)) if isinstance(v, frozenset) else str(v)


def sk_kappa(pairs):
    a = [label(x) for x, _ in pairs]
    b = [label(y) for _, y in pairs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = sk_metrics.cohen_kappa_score(a, b)
    return None if math.isnan(k) else float(k)


def ref_alpha(pairs, distance=None):
    """The krippendorff package's alpha: values coded as integers, None as nan;
    with ``distance``, a callable metric over those integers."""
    domain = sorted({v for p in pairs for v in p if v is not None}, key=repr)
    code = {v: i for i, v in enumerate(domain)}
    data = np.array([[np.nan if x is None else code[x] for x, _ in pairs],
                     [np.nan if y is None else code[y] for _, y in pairs]], dtype=float)
    paired = sum(1 for x, y in pairs if x is not None and y is not None)
    if paired == 0 or len({v for p in pairs if None not in p for v in p}) < 2:
        return None  # the package refuses these: one value only, nothing pairable
    kwargs = {"level_of_measurement": "nominal"}
    if distance is not None:
        table = np.array([[distance(a, b) for b in domain] for a in domain])

        def metric(v1, v2, i1, i2, n_v, dtype=np.float64):
            return table[v1.astype(int), v2.astype(int)].astype(dtype)
        kwargs = {"level_of_measurement": metric}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(krippendorff.alpha(reliability_data=data, value_domain=list(range(len(domain))),
                                        **kwargs))


def close(ours, ref, tol=1e-9):
    if ref is None or ours is None:
        return ours is None and ref is None
    return abs(ours - ref) <= tol


values = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d"]))
codings = st.lists(st.tuples(values, values), min_size=0, max_size=40)
sets = st.one_of(st.none(), st.frozensets(st.sampled_from(["w", "x", "y", "z"]), min_size=1, max_size=3))
set_codings = st.lists(st.tuples(sets, sets), min_size=0, max_size=40)


# --------------------------------------------------------------------------- measures


@settings(max_examples=300, deadline=None)
@given(codings)
def test_kappa_matches_scikit_learn(pairs):
    both = [(x, y) for x, y in pairs if x is not None and y is not None]
    ours = cohen_kappa(both)
    if not both:
        assert ours is None
        return
    assert close(ours, sk_kappa(both)), (ours, sk_kappa(both))


@settings(max_examples=300, deadline=None)
@given(codings)
def test_nominal_alpha_matches_krippendorff_package(pairs):
    ours = krippendorff_alpha([[v for v in p if v is not None] for p in pairs], nominal_distance)
    assert close(ours, ref_alpha(pairs)), (ours, ref_alpha(pairs))


@settings(max_examples=300, deadline=None)
@given(set_codings)
def test_masi_alpha_matches_krippendorff_package(pairs):
    ours = krippendorff_alpha([[v for v in p if v is not None] for p in pairs], masi_distance)
    ref = ref_alpha(pairs, masi_distance)
    assert close(ours, ref), (ours, ref)


def test_masi_distance_values():
    # Passonneau (2006): Jaccard times monotonicity (1, 0.67, 0.33, 0)
    assert masi_distance(frozenset("ab"), frozenset("ab")) == 0
    assert masi_distance(frozenset("ab"), frozenset("abc")) == pytest.approx(1 - 2 / 3 * 0.67)
    assert masi_distance(frozenset("ab"), frozenset("bc")) == pytest.approx(1 - 1 / 3 * 0.33)
    assert masi_distance(frozenset("ab"), frozenset("cd")) == 1


def test_worked_example_kappa_wikipedia():
    # Cohen's kappa article (Wikipedia, "Simple example"): 50 grant proposals,
    # 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no: po 0.7, pe 0.5, kappa 0.4
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)


def test_worked_examples_krippendorff_2011():
    # Krippendorff (2011) "Computing Krippendorff's alpha-reliability", example A:
    # binary data, two observers, no missing data: alpha = 0.095
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert round(krippendorff_alpha(list(zip(a, b))), 3) == 0.095
    # example C: nominal data, four observers, missing data: alpha = 0.743
    n = None
    obs = [[1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
           [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
           [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
           [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n]]
    units = [[o[u] for o in obs if o[u] is not None] for u in range(12)]
    assert round(krippendorff_alpha(units), 3) == 0.743


def test_undefined_measures_are_none():
    assert cohen_kappa([]) is None
    assert cohen_kappa([("x", "x")] * 5) is None  # one category only
    assert krippendorff_alpha([["x", "x"]] * 5) is None
    assert krippendorff_alpha([["x"], ["y"]]) is None  # nothing pairable


# --------------------------------------------------------------------------- compare on studies


def study_pair(seed: int, firms: int = 2, events: int = 30):
    rng = random.Random(seed)

    def coding():
        ev = {}
        if rng.random() > 0.15:
            ev["stages"] = rng.sample(STAGES, rng.randint(1, 2))
        if rng.random() > 0.5:
            ev["level"] = rng.choice(LEVELS)
        if rng.random() > 0.15:
            ev["learning_types"] = rng.sample(TYPES, rng.randint(1, 2))
        if rng.random() > 0.3:
            ev["phase"] = rng.choice(PHASES)
        if rng.random() > 0.6:
            ev["critical"] = rng.random() > 0.5
        if rng.random() > 0.3:
            ev["codes"] = rng.sample(["c1", "c2", "c3"], rng.randint(1, 2))
        return ev

    def study(drop: int):
        out = {"format": "lpw-study", "version": 1, "title": "T", "framework": "5I",
               "codes": [{"id": c, "name": c} for c in ("c1", "c2", "c3")], "firms": []}
        for f in range(firms):
            evs = [dict({"id": f"e{i}", "title": f"Event {i}"}, **coding()) for i in range(events)]
            if drop:
                del evs[drop]
            out["firms"].append({"id": f"f{f}", "name": f"Firm {f}", "events": evs})
        return out

    return study(0), study(3)


def dim_value(ev, dim):
    stages, types = ev.get("stages") or [], ev.get("learning_types") or []
    default = {"intuiting": "individual", "interpreting": "group", "integrating": "organisation",
               "institutionalising": "organisation", "intertwining": "inter_organisation"}
    return {
        "primary_stage": stages[0] if stages else None,
        "stages": frozenset(stages) or None,
        "level": ev.get("level") or (default[stages[0]] if stages else None),
        "primary_learning_type": types[0] if types else None,
        "learning_types": frozenset(types) or None,
        "phase": ev.get("phase"),
        "critical": bool(ev.get("critical", False)),
        "codes": frozenset(ev.get("codes") or []) or None,
    }[dim]


@pytest.mark.parametrize("seed", range(8))
def test_compare_numbers_match_reference_packages(seed):
    a, b = study_pair(seed)
    result = compare(a, b)
    assert result["units"] == 2 * 29
    assert result["only_in_a"] == [{"firm": "f0", "event": "e3"}, {"firm": "f1", "event": "e3"}]
    assert result["only_in_b"] == []
    for scope, firm_ids in [("all", ["f0", "f1"]), ("f0", ["f0"]), ("f1", ["f1"])]:
        dims = result["dimensions"] if scope == "all" else result["firms"][scope]["dimensions"]
        assert set(dims) == {"primary_stage", "stages", "level", "primary_learning_type",
                             "learning_types", "phase", "critical", "codes"}
        for dim, m in dims.items():
            pairs = []
            for fid in firm_ids:
                fa = next(f for f in a["firms"] if f["id"] == fid)
                fb = {e["id"]: e for e in next(f for f in b["firms"] if f["id"] == fid)["events"]}
                pairs += [(dim_value(e, dim), dim_value(fb[e["id"]], dim)) for e in fa["events"]
                          if e["id"] in fb]
            both = [(x, y) for x, y in pairs if x is not None and y is not None]
            assert m["units"] == len(both)
            assert m["agreement"] == round(sum(x == y for x, y in both) / len(both), 4)
            k = sk_kappa(both)
            assert m["cohen_kappa"] == (None if k is None else round(k, 4)), dim
            distance = masi_distance if dim in ("stages", "learning_types", "codes") else None
            ref = ref_alpha(pairs, distance)
            assert m["krippendorff_alpha"] is not None and ref is not None
            assert abs(m["krippendorff_alpha"] - ref) <= 0.00005 + 1e-12, (dim, m, ref)
            assert sum(sum(row.values()) for row in m["confusion"].values()) == len(both)
    # every disagreement is a pair coded by both, differently
    for d in result["disagreements"]:
        ea = next(e for e in next(f for f in a["firms"] if f["id"] == d["firm"])["events"]
                  if e["id"] == d["event"])
        x = dim_value(ea, d["dimension"])
        assert x is not None and (sorted(x) if isinstance(x, frozenset) else x) == \
            (sorted(d["a"]) if isinstance(d["a"], list) else d["a"])
        assert d["a"] != d["b"] and d["b"] is not None


def test_confusion_table_and_disagreements_are_exact():
    a, _ = study_pair(1, firms=1, events=4)
    b = copy.deepcopy(a)
    evs_a, evs_b = a["firms"][0]["events"], b["firms"][0]["events"]
    for e in evs_a + evs_b:
        for k in ("stages", "level", "learning_types", "phase", "critical", "codes"):
            e.pop(k, None)
    for e, s in zip(evs_a, ["intuiting", "interpreting", "interpreting", "integrating"]):
        e["stages"] = [s]
    for e, s in zip(evs_b, ["intuiting", "integrating", "interpreting", None]):
        if s:
            e["stages"] = [s]
    m = compare(a, b)["dimensions"]["primary_stage"]
    assert m["units"] == 3 and m["agreement"] == round(2 / 3, 4)
    assert m["confusion"] == {"intuiting": {"intuiting": 1, "interpreting": 0, "integrating": 0},
                              "interpreting": {"intuiting": 0, "interpreting": 1, "integrating": 1},
                              "integrating": {"intuiting": 0, "interpreting": 0, "integrating": 0}}
    dis = [d for d in compare(a, b)["disagreements"] if d["dimension"] == "primary_stage"]
    assert dis == [{"firm": "f0", "event": "e1", "dimension": "primary_stage",
                    "a": "interpreting", "b": "integrating"}]
    # codes are compared only where a study has codes of its own
    assert "codes" in compare(a, b)["dimensions"]
    del a["codes"], b["codes"]
    assert list(compare(a, b)["dimensions"]) == ["primary_stage", "stages", "level", "primary_learning_type",
                                                 "learning_types", "phase", "critical"]


def test_compare_cli_json_shape(tmp_path, capsys):
    a, b = study_pair(5)
    pa, pb = tmp_path / "a.study.json", tmp_path / "b.study.json"
    pa.write_text(json.dumps(a)), pb.write_text(json.dumps(b))
    assert main(["compare", str(pa), str(pb), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["units", "only_in_a", "only_in_b", "dimensions", "firms", "disagreements"]
    assert out == json.loads(json.dumps(compare(a, b)))
    for m in out["dimensions"].values():
        assert list(m) == ["units", "agreement", "cohen_kappa", "krippendorff_alpha", "confusion"]
        for key in ("agreement", "cohen_kappa", "krippendorff_alpha"):
            assert m[key] is None or round(m[key], 4) == m[key]
    assert main(["compare", str(pa), str(pb), "--firm", "f1", "--json"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert list(one["firms"]) == ["f1"] and one["units"] == 29
    # text output, and the Word document
    docx = tmp_path / "agreement.docx"
    assert main(["compare", str(pa), str(pb), "-o", str(docx)]) == 0
    text = capsys.readouterr().out
    assert "Primary stage" in text and "Disagreements" in text
    from docx import Document

    cells = [c.text for t in Document(str(docx)).tables for r in t.rows for c in r.cells]
    assert "Cohen's kappa" in cells and f"{out['dimensions']['phase']['cohen_kappa']:.3f}" in cells


def test_compare_lpw_and_json_agree(tmp_path, capsys):
    assert main(["import", str(tmp_path / "jm.lpw"), str(JM)]) == 0
    assert main(["blind", str(JM), "-o", str(tmp_path / "blind.study.json"), "--keep", "stages"]) == 0
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "jm.lpw"), str(tmp_path / "blind.study.json"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dimensions"]["stages"]["agreement"] == 1.0
    assert out["dimensions"]["primary_learning_type"]["units"] == 0
    assert out["dimensions"]["primary_learning_type"]["cohen_kappa"] is None


def test_compare_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad.study.json"
    bad.write_text('{"format": "lpw-study"}')
    assert main(["compare", str(JM), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.study.json" in err and "Traceback" not in err
    assert main(["compare", str(JM), str(JM), "--firm", "nope"]) == 2
    assert "no firm 'nope'" in capsys.readouterr().err


def test_lpw_coding_reader_gives_the_same_comparison(tmp_path, capsys):
    from workbench import coders
    from workbench.session import Session

    a, b = study_pair(7)
    pa, pb = tmp_path / "a.study.json", tmp_path / "b.study.json"
    pa.write_text(json.dumps(a)), pb.write_text(json.dumps(b))
    assert main(["import", str(tmp_path / "a.lpw"), str(pa)]) == 0
    assert main(["import", str(tmp_path / "b.lpw"), str(pb)]) == 0
    s = Session(tmp_path / "b.lpw")
    try:  # an edit made in the study file, not in the JSON
        for e in b["firms"][1]["events"]:
            s.set_field("events", "f1", e["id"], "stages", ["intertwining"])
    finally:
        s.close()
    full = compare(coders.read_format(tmp_path / "a.lpw"), coders.read_format(tmp_path / "b.lpw"))
    assert coders.compare_files(tmp_path / "a.lpw", tmp_path / "b.lpw") == full
    # the edits made in the study file count
    assert full["firms"]["f1"]["dimensions"]["primary_stage"]["confusion"] != \
        compare(a, b)["firms"]["f1"]["dimensions"]["primary_stage"]["confusion"]
    table = full["firms"]["f1"]["dimensions"]["primary_stage"]["confusion"]
    assert all(n == 0 for row in table.values() for col, n in row.items() if col != "intertwining")
    assert sum(row["intertwining"] for row in table.values()) == \
        full["firms"]["f1"]["dimensions"]["primary_stage"]["units"] > 0
    same = coders.compare_files(tmp_path / "a.lpw", pa)
    assert same["disagreements"] == [] and same["units"] == 60
    assert all(m["agreement"] == 1.0 for m in same["dimensions"].values())
    assert coders.compare_files(pa, tmp_path / "a.lpw") == compare(a, coders.read_format(tmp_path / "a.lpw"))
