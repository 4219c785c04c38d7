"""Blind copies, `workbench practice` and `workbench check`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workbench import coders, services
from workbench.cli import main
from workbench.io.study_json import check_file
from workbench.session import Session

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_cases"
CODING = ("stages", "level", "learning_types", "phase", "critical", "codes")


def load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["jones-macpherson-2006", "training-case"])
def test_blind_copy_keeps_the_material_and_drops_the_coding(tmp_path, name, capsys):
    src = SAMPLES / f"{name}.study.json"
    out = tmp_path / "blind.study.json"
    assert main(["blind", str(src), "-o", str(out)]) == 0
    assert check_file(out).ok
    orig, copy = load(src), load(out)
    assert "coder" not in copy
    assert copy.get("documents") == [{k: v for k, v in d.items() if k != "passages"}
                                     for d in orig.get("documents", [])] or "documents" not in orig
    assert copy.get("codes") == orig.get("codes")
    for fo, fc in zip(orig["firms"], copy["firms"], strict=True):
        assert fc.get("sources") == fo.get("sources") and fc.get("routines") == fo.get("routines")
        assert "summary" not in fc
        for eo, ec in zip(fo["events"], fc["events"], strict=True):
            for key in ("id", "title", "description", "date", "when", "sources", "routines"):
                assert ec.get(key) == eo.get(key)
            assert [q["quote"] for q in ec.get("evidence", [])] == [q["quote"] for q in eo.get("evidence", [])]
            assert not any(k in ec for k in CODING + ("memo", "tags"))
            assert not any("codes" in q or "memo" in q for q in ec.get("evidence", []))


def test_blind_keep_and_firm(tmp_path, capsys):
    src = SAMPLES / "jones-macpherson-2006.study.json"
    out = tmp_path / "b.study.json"
    assert main(["blind", str(src), "-o", str(out), "--firm", "rsl", "--keep", "stages", "phase"]) == 0
    copy, orig = load(out), load(src)
    assert [f["id"] for f in copy["firms"]] == ["rsl"]
    rsl = next(f for f in orig["firms"] if f["id"] == "rsl")
    assert [e.get("stages") for e in copy["firms"][0]["events"]] == [e.get("stages") for e in rsl["events"]]
    assert [e.get("phase") for e in copy["firms"][0]["events"]] == [e.get("phase") for e in rsl["events"]]
    assert not any("learning_types" in e for e in copy["firms"][0]["events"])
    assert main(["blind", str(src), "-o", str(out), "--firm", "xyz"]) == 2
    assert "no firm 'xyz'" in capsys.readouterr().err
    assert main(["blind", str(src), "-o", str(src)]) == 2
    assert load(src) == orig


def test_examples_found_in_an_installed_layout(tmp_path, monkeypatch):
    # a wheel holds the samples under workbench/_resources/sample_cases
    res = tmp_path / "_resources"
    shutil.copytree(SAMPLES, res / "sample_cases")
    monkeypatch.setattr("workbench.core.frameworks.resources_dir", lambda: res)
    assert set(coders.examples()) == {"jones-macpherson-2006", "training-case"}
    assert coders.example_path("training-case").parent == res / "sample_cases"


def code_like(session: Session, firm: str, event: dict) -> None:
    for key in ("stages", "level", "learning_types", "phase", "critical"):
        if key in event:
            session.set_field("events", firm, event["id"], key, event[key])


@pytest.mark.parametrize("name", ["jones-macpherson-2006", "training-case"])
def test_practice_then_check(tmp_path, name, capsys):
    my = tmp_path / "my.lpw"
    assert main(["practice", name, "-o", str(my)]) == 0
    assert "workbench check" in capsys.readouterr().out
    ref = load(SAMPLES / f"{name}.study.json")
    mine = services.load(my).study.to_dict()
    assert [e["id"] for f in mine["firms"] for e in f["events"]] == \
        [e["id"] for f in ref["firms"] for e in f["events"]]
    assert not any(k in e for f in mine["firms"] for e in f["events"] for k in CODING)
    assert mine["x-practice"] == name

    # nothing coded yet: nothing given away
    assert main(["check", str(my)]) == 0
    out = capsys.readouterr().out
    assert f"coded 0 of its {sum(len(f['events']) for f in ref['firms'])} events" in out
    first = ref["firms"][0]["events"][0]
    assert first.get("evidence", [{}])[0].get("quote", "@@") not in out

    # code two events as the authors did and one differently
    firm = ref["firms"][0]
    ev_same, ev_other, ev_diff = firm["events"][0], firm["events"][1], firm["events"][2]
    other_stage = next(s for s in ("integrating", "interpreting") if s != ev_diff["stages"][0])
    s = Session(my)
    try:
        code_like(s, firm["id"], ev_same)
        code_like(s, firm["id"], ev_other)
        s.set_field("events", firm["id"], ev_diff["id"], "stages", [other_stage])
    finally:
        s.close()
    assert main(["check", str(my)]) == 0
    out = capsys.readouterr().out
    assert "You have coded 3 of its" in out
    assert f"event {ev_diff['id']}: {ev_diff['title']}" in out
    assert f"event {ev_same['id']}:" not in out and f"event {ev_other['id']}:" not in out
    from workbench.core.frameworks import all_stages

    stages = all_stages()
    ref_stage, my_stage = stages[ev_diff["stages"][0]], stages[other_stage]
    assert f"Primary stage: the authors {ref_stage.label}; you {my_stage.label}" in out
    assert ref_stage.definition.split()[3] in out and my_stage.definition.split()[3] in out
    assert ev_diff["evidence"][0]["quote"][:40] in " ".join(out.split())
    assert "Not coded yet: " in out  # the learning types etc. of that event
    # the numbers: primary stage 2 of 3 alike
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("Primary stage") and "%" in ln)
    assert line.split()[2:4] == ["3", "66.7%"]


def test_practice_and_check_refusals(tmp_path, capsys):
    assert main(["practice", "no-such", "-o", str(tmp_path / "x.lpw")]) == 2
    assert "jones-macpherson-2006" in capsys.readouterr().err
    assert not (tmp_path / "x.lpw").exists()
    my = tmp_path / "my.lpw"
    assert main(["practice", "training-case", "-o", str(my)]) == 0
    before = my.read_bytes()
    assert main(["practice", "training-case", "-o", str(my)]) == 2
    assert "already exists" in capsys.readouterr().err and my.read_bytes() == before
    # a study not made by practice: the example named, or found by its title
    plain = tmp_path / "plain.lpw"
    assert main(["import", str(plain), str(SAMPLES / "training-case.study.json")]) == 0
    capsys.readouterr()
    assert main(["check", str(plain)]) == 0
    assert "coded as the authors did" in capsys.readouterr().out
    assert main(["check", str(plain), "--example", "jones-macpherson-2006"]) == 2
    assert "none of the events" in capsys.readouterr().err
