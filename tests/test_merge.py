"""Three-way merge of *.study.json: the core merge, `workbench merge`, and
the merge driver in a real git repository."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core.merge import CONFLICTS_KEY, merge, resolve
from workbench.io.study_json import check_file

ROOT = Path(__file__).resolve().parent.parent
JM = ROOT / "sample_cases" / "jones-macpherson-2006.study.json"


def base_doc():
    return json.loads(JM.read_text(encoding="utf-8"))


def firm(doc, fid):
    return next(f for f in doc["firms"] if f["id"] == fid)


def event(doc, fid, eid):
    return next(e for e in firm(doc, fid)["events"] if e["id"] == eid)


def ids(doc, fid):
    return [e["id"] for e in firm(doc, fid)["events"]]


# --------------------------------------------------------------------------- core


def test_changes_on_both_sides_combine_field_by_field():
    base = base_doc()
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    event(ours, "dmf", "e1")["title"] = "Ours retitled"
    event(theirs, "dmf", "e1")["learning_types"] = ["normative"]
    event(theirs, "brw", "e2")["phase"] = "opening_up"
    theirs["description"] = "Their description"
    merged, conflicts = merge(base, ours, theirs)
    assert conflicts == []
    assert event(merged, "dmf", "e1")["title"] == "Ours retitled"
    assert event(merged, "dmf", "e1")["learning_types"] == ["normative"]
    assert event(merged, "brw", "e2")["phase"] == "opening_up"
    assert merged["description"] == "Their description"
    # nothing else moved
    assert ids(merged, "dmf") == ids(base, "dmf")
    assert list(merged) == list(ours)


def test_both_sides_new_events_are_kept_in_order():
    base = base_doc()
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    evs_o, evs_t = firm(ours, "rsl")["events"], firm(theirs, "rsl")["events"]
    after_o, after_t = evs_o[1]["id"], evs_t[3]["id"]
    evs_o.insert(2, {"id": "ours1", "title": "Our new event"})
    evs_t.insert(4, {"id": "theirs1", "title": "Their new event"})
    evs_t.append({"id": "theirs2", "title": "Their last event"})
    merged, conflicts = merge(base, ours, theirs)
    assert conflicts == []
    got = ids(merged, "rsl")
    assert got.index("ours1") == got.index(after_o) + 1
    assert got.index("theirs1") == got.index(after_t) + 1
    assert got[-1] == "theirs2"
    assert [i for i in got if i not in ("ours1", "theirs1", "theirs2")] == ids(base, "rsl")


def test_a_field_changed_differently_is_a_conflict_ours_kept():
    base = base_doc()
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    old = event(base, "dmf", "e2")["stages"]
    event(ours, "dmf", "e2")["stages"] = ["integrating"]
    event(theirs, "dmf", "e2")["stages"] = ["interpreting", "integrating"]
    event(theirs, "dmf", "e3")["title"] = "A clean change"
    merged, conflicts = merge(base, ours, theirs)
    assert event(merged, "dmf", "e2")["stages"] == ["integrating"]
    assert event(merged, "dmf", "e3")["title"] == "A clean change"
    assert conflicts == [{"path": "firms[dmf].events[e2].stages",
                          "keys": ["firms", "dmf", "events", "e2", "stages"],
                          "base": old, "ours": ["integrating"], "theirs": ["interpreting", "integrating"]}]


def test_removals():
    base = base_doc()
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    firm(theirs, "brw")["events"] = [e for e in firm(theirs, "brw")["events"] if e["id"] != "e4"]
    # removed on one side, unchanged on the other: removed
    merged, conflicts = merge(base, ours, theirs)
    assert conflicts == [] and "e4" not in ids(merged, "brw")
    # removed by them, changed by us: a conflict, ours kept
    event(ours, "brw", "e4")["title"] = "We changed it"
    merged, conflicts = merge(base, ours, theirs)
    assert event(merged, "brw", "e4")["title"] == "We changed it"
    assert ids(merged, "brw") == ids(base, "brw")
    assert [c["path"] for c in conflicts] == ["firms[brw].events[e4]"] and "theirs" not in conflicts[0]
    # removed by us, changed by them: a conflict, ours (removed) kept
    merged, conflicts = merge(base, theirs, ours)
    assert "e4" not in ids(merged, "brw")
    assert [c["path"] for c in conflicts] == ["firms[brw].events[e4]"] and "ours" not in conflicts[0]


def test_reorder_on_one_side_with_additions_on_the_other():
    base = base_doc()
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    evs = firm(theirs, "dmf")["events"]
    evs[0], evs[1] = evs[1], evs[0]
    firm(ours, "dmf")["events"].append({"id": "new", "title": "New"})
    merged, conflicts = merge(base, ours, theirs)
    assert conflicts == []
    assert ids(merged, "dmf") == [e["id"] for e in evs] + ["new"]


def test_no_common_base_both_added():
    ours = base_doc()
    theirs = copy.deepcopy(ours)
    theirs["title"] = "Other title"
    merged, conflicts = merge(None, ours, theirs)
    assert merged["title"] == ours["title"]
    assert [c["path"] for c in conflicts] == ["title"] and "base" not in conflicts[0]


# --------------------------------------------------------------------------- CLI


def write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def test_cli_clean_merge_rewrites_ours_in_canonical_form(tmp_path, capsys):
    base = base_doc()
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    event(ours, "dmf", "e1")["title"] = "Ours"
    event(theirs, "dmf", "e1")["phase"] = "opening_up"
    b, o, t = write(tmp_path / "b.json", base), write(tmp_path / "o.json", ours), write(tmp_path / "t.json", theirs)
    assert main(["merge", str(b), str(o), str(t)]) == 0
    merged = json.loads(o.read_text(encoding="utf-8"))
    assert event(merged, "dmf", "e1")["title"] == "Ours" and event(merged, "dmf", "e1")["phase"] == "opening_up"
    assert "x-conflicts" not in merged
    # canonical: import + export gives the same bytes
    assert main(["import", str(tmp_path / "m.lpw"), str(o)]) == 0
    assert main(["export", str(tmp_path / "m.lpw"), str(tmp_path / "again.json")]) == 0
    assert (tmp_path / "again.json").read_bytes() == o.read_bytes()


def test_cli_conflicts_exit_1_listed_and_recorded(tmp_path, capsys):
    base = base_doc()
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    event(ours, "rsl", "e2")["level"] = "group"
    event(theirs, "rsl", "e2")["level"] = "organisation"
    event(theirs, "rsl", "e3")["title"] = "Theirs"
    b, o, t = write(tmp_path / "b.json", base), write(tmp_path / "o.json", ours), write(tmp_path / "t.json", theirs)
    out = tmp_path / "out.study.json"
    before = o.read_bytes()
    assert main(["merge", str(b), str(o), str(t), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "firms[rsl].events[e2].level" in err and '"group"' in err and '"organisation"' in err
    assert o.read_bytes() == before  # -o: ours untouched
    assert check_file(out).ok
    merged = json.loads(out.read_text(encoding="utf-8"))
    assert event(merged, "rsl", "e2")["level"] == "group"
    assert event(merged, "rsl", "e3")["title"] == "Theirs"
    assert merged["x-conflicts"] == [{"path": "firms[rsl].events[e2].level",
                                      "keys": ["firms", "rsl", "events", "e2", "level"],
                                      "ours": "group", "theirs": "organisation",
                                      **({"base": event(base, "rsl", "e2")["level"]}
                                         if "level" in event(base, "rsl", "e2") else {})}]


def test_cli_merge_that_breaks_a_reference_keeps_ours(tmp_path, capsys):
    base = base_doc()
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    src = firm(base, "dmf")["sources"][-1]["id"]
    # we remove a source nobody uses any more; they start using it
    for e in firm(ours, "dmf")["events"]:
        if src in e.get("sources", []):
            e["sources"].remove(src)
            if not e["sources"]:
                del e["sources"]
    for r in firm(ours, "dmf").get("routines", []):
        if src in r.get("sources", []):
            r["sources"].remove(src)
            if not r["sources"]:
                del r["sources"]
    firm(ours, "dmf")["sources"] = [s for s in firm(ours, "dmf")["sources"] if s["id"] != src]
    firm(theirs, "dmf")["events"].append({"id": "late", "title": "Late", "sources": [firm(base, "dmf")["sources"][0]["id"], src]})
    # and they name it on an event of the base too, where it was not named
    third = firm(theirs, "dmf")["events"][2]
    assert src not in third.get("sources", [])
    third["sources"] = [src] + third.get("sources", [])
    paths = [write(tmp_path / f"{n}.json", d) for n, d in (("b", base), ("o", ours), ("t", theirs))]
    assert check_file(paths[1]).ok
    assert main(["merge", *map(str, paths)]) == 1
    err = capsys.readouterr().err
    assert f"no source {src!r}" in err
    assert check_file(paths[1]).ok
    # each broken rule is recorded as the other conflicts are: objects by id,
    # with keys (the list of sources named is one field, as the merge treats it)
    written = json.loads(paths[1].read_text(encoding="utf-8"))
    problem = f"no source {src!r} in firm 'dmf'"
    assert written[CONFLICTS_KEY] == [
        {"path": f"firms[dmf].events[{third['id']}].sources",
         "keys": ["firms", "dmf", "events", third["id"], "sources"], "problem": problem},
        {"path": "firms[dmf].events[late].sources", "keys": ["firms", "dmf", "events", "late", "sources"],
         "problem": problem}]
    assert f"firms[dmf].events[late].sources: {problem}" in err and "firms[2]" not in err
    # the file holds ours otherwise; a broken rule is mended by hand, not taken from a side
    assert {k: v for k, v in written.items() if k != CONFLICTS_KEY} == ours
    with pytest.raises(ValueError, match="broken rule"):
        resolve(written, 0, "theirs")


def test_cli_bad_input_changes_nothing(tmp_path, capsys):
    base = base_doc()
    b, o = write(tmp_path / "b.json", base), write(tmp_path / "o.json", base)
    t = tmp_path / "t.json"
    t.write_text('{"format": "lpw-study", "version": 1}', encoding="utf-8")
    before = o.read_bytes()
    assert main(["merge", str(b), str(o), str(t)]) == 2
    err = capsys.readouterr().err
    assert "t.json (theirs)" in err and "nothing was merged" in err and "Traceback" not in err
    assert o.read_bytes() == before
    t.write_text("{", encoding="utf-8")
    assert main(["merge", str(b), str(o), str(t)]) == 2
    err = capsys.readouterr().err
    assert "t.json (theirs): not valid JSON" in err and "nothing was merged" in err
    assert main(["merge", str(b), str(tmp_path / "missing.json"), str(o)]) == 2
    assert "missing.json: no such file; nothing was merged" in capsys.readouterr().err
    assert o.read_bytes() == before


# --------------------------------------------------------------------------- git


def git(repo: Path, *args, check=True):
    env = dict(os.environ, GIT_AUTHOR_NAME="A", GIT_AUTHOR_EMAIL="a@example.org",
               GIT_COMMITTER_NAME="A", GIT_COMMITTER_EMAIL="a@example.org",
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=check)


@pytest.fixture
def repo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    # the README's set-up, with this checkout's workbench
    (repo / ".gitattributes").write_text("*.study.json merge=lpw-study\n")
    git(repo, "config", "merge.lpw-study.name", "Learning Process Workbench study merge")
    git(repo, "config", "merge.lpw-study.driver", f'"{sys.executable}" -m workbench merge %O %A %B')
    shutil.copy(JM, repo / "case.study.json")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    return repo


def edit(repo: Path, fn) -> None:
    doc = json.loads((repo / "case.study.json").read_text(encoding="utf-8"))
    fn(doc)
    (repo / "case.study.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n",
                                          encoding="utf-8")


def test_git_merges_two_branches_through_the_driver(repo):
    git(repo, "checkout", "-qb", "coder-a")

    def a(doc):
        event(doc, "dmf", "e1")["title"] = "Coder A's title"
        firm(doc, "dmf")["events"].append({"id": "a-new", "title": "Added by A"})
    edit(repo, a)
    git(repo, "commit", "-qam", "A's coding")
    git(repo, "checkout", "-q", "main")
    git(repo, "checkout", "-qb", "coder-b")

    def b(doc):
        event(doc, "dmf", "e1")["learning_types"] = ["coercive"]
        firm(doc, "dmf")["events"].append({"id": "b-new", "title": "Added by B"})
    edit(repo, b)
    git(repo, "commit", "-qam", "B's coding")
    result = git(repo, "merge", "coder-a", "-m", "merge A", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    merged = json.loads((repo / "case.study.json").read_text(encoding="utf-8"))
    assert event(merged, "dmf", "e1")["title"] == "Coder A's title"
    assert event(merged, "dmf", "e1")["learning_types"] == ["coercive"]
    assert ids(merged, "dmf")[-2:] == ["b-new", "a-new"]
    assert check_file(repo / "case.study.json").ok
    assert git(repo, "status", "--porcelain").stdout == ""


def test_git_conflict_leaves_ours_and_a_record(repo):
    git(repo, "checkout", "-qb", "coder-a")
    edit(repo, lambda d: event(d, "brw", "e1").__setitem__("phase", "opening_up"))
    git(repo, "commit", "-qam", "A")
    git(repo, "checkout", "-q", "main")
    edit(repo, lambda d: event(d, "brw", "e1").__setitem__("phase", "knowledge_sharing"))
    git(repo, "commit", "-qam", "main")
    result = git(repo, "merge", "coder-a", "-m", "merge A", check=False)
    assert result.returncode != 0
    assert "firms[brw].events[e1].phase" in result.stdout + result.stderr
    merged = json.loads((repo / "case.study.json").read_text(encoding="utf-8"))
    assert event(merged, "brw", "e1")["phase"] == "knowledge_sharing"
    assert [c["theirs"] for c in merged["x-conflicts"]] == ["opening_up"]
    assert check_file(repo / "case.study.json").ok


def test_resolving_conflicts_recorded_in_the_file():
    base = base_doc()
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    event(ours, "dmf", "e2")["stages"] = ["integrating"]
    event(theirs, "dmf", "e2")["stages"] = ["interpreting"]
    event(ours, "brw", "e4")["title"] = "We changed it"
    firm(theirs, "brw")["events"] = [e for e in firm(theirs, "brw")["events"] if e["id"] != "e4"]
    merged, conflicts = merge(base, ours, theirs)
    merged[CONFLICTS_KEY] = conflicts
    paths = [c["path"] for c in conflicts]
    assert paths == ["firms[brw].events[e4]", "firms[dmf].events[e2].stages"]
    taken = resolve(merged, 1, "theirs")
    assert event(taken, "dmf", "e2")["stages"] == ["interpreting"]
    assert [c["path"] for c in taken[CONFLICTS_KEY]] == ["firms[brw].events[e4]"]
    gone = resolve(taken, 0, "theirs")  # theirs removed the event
    assert "e4" not in ids(gone, "brw") and CONFLICTS_KEY not in gone
    kept = resolve(taken, 0, "ours")
    assert event(kept, "brw", "e4")["title"] == "We changed it" and CONFLICTS_KEY not in kept
    assert merged[CONFLICTS_KEY] == conflicts  # the input is left alone
    with pytest.raises(ValueError):
        resolve(merged, 5, "ours")
    with pytest.raises(ValueError):
        resolve(merged, 0, "mine")


def test_broken_rules_are_named_by_id_in_the_merged_study():
    from workbench.core.merge import broken_rules, is_broken_rule, locate
    from workbench.core.validate import Problem

    doc = base_doc()
    fi = [f["id"] for f in doc["firms"]].index("dmf")
    dmf = doc["firms"][fi]
    ei = len(dmf["events"]) - 1
    last = dmf["events"][ei]["id"]
    dmf["links"] = [{"from": dmf["events"][0]["id"], "to": last}]
    # an event's field, the values of a list of plain values, a link's end,
    # a quote of an event, the study itself, and a path that runs off the study
    assert locate(doc, f"firms[{fi}].events[{ei}].sources[1]") == (
        f"firms[dmf].events[{last}].sources", ["firms", "dmf", "events", last, "sources"])
    assert locate(doc, f"firms[{fi}].events[{ei}].stages") == (
        f"firms[dmf].events[{last}].stages", ["firms", "dmf", "events", last, "stages"])
    link = f"{dmf['events'][0]['id']}->{last}"
    assert locate(doc, f"firms[{fi}].links[0].to") == (
        f"firms[dmf].links[{link}].to", ["firms", "dmf", "links", link, "to"])
    assert locate(doc, f"firms[{fi}].events[{ei}].evidence[0].quote")[1] == \
        ["firms", "dmf", "events", last, "evidence"]
    assert locate(doc, f"firms[{fi}].events[{ei}]") == (f"firms[dmf].events[{last}]",
                                                        ["firms", "dmf", "events", last])
    assert locate(doc, "") == ("(the study)", [])
    assert locate(doc, f"firms[{fi}].events[999].title") == ("firms[dmf].events", ["firms", "dmf", "events"])
    records = broken_rules(doc, [Problem(f"firms[{fi}].events[{ei}].sources[0]", "no source 'x' in firm 'dmf'"),
                                 Problem(f"firms[{fi}].events[{ei}].sources[0]", "no source 'x' in firm 'dmf'")])
    assert records == [{"path": f"firms[dmf].events[{last}].sources",
                        "keys": ["firms", "dmf", "events", last, "sources"], "problem": "no source 'x' in firm 'dmf'"}]
    assert is_broken_rule(records[0]) and not is_broken_rule({"path": "title", "keys": ["title"], "ours": "a"})
