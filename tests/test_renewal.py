"""The renewal diagnostic (workbench.core.renewal): phases, findings from
the rules in resources/renewal/rules.json, the Table 7 checklist and the
firms side by side, on the sample studies and on handmade firms built to
trigger each rule (and not to)."""

import copy
import json

import pytest

from conftest import JM, TRAINING, minimal_study
from workbench.core import renewal as R
from workbench.core.errors import InputError
from workbench.core.frameworks import resources_dir, vocabulary
from workbench.core.model import Study
from workbench.io.study_json import read_study

PHASES = ["critical_incident", "opening_up", "knowledge_sharing", "institutionalisation"]


def jm() -> Study:
    return read_study(JM).study


def training() -> Study:
    return read_study(TRAINING).study


def firm_doc(events, sources=None, routines=None, links=None, actions=None) -> dict:
    """A study (as a format dict) of one firm 'f' with these events."""
    doc = minimal_study()
    firm = {"id": "f", "name": "Handmade Ltd",
            "sources": sources if sources is not None else [
                {"id": "cust", "name": "Main customer", "kind": "customer"},
                {"id": "owner", "name": "Owner", "kind": "owner_manager"},
                {"id": "recruit", "name": "New manager", "kind": "new_recruit"},
                {"id": "college", "name": "College", "kind": "college"}],
            "routines": routines if routines is not None else [{"id": "meet", "name": "Weekly meeting"}],
            "events": events}
    if links is not None:
        firm["links"] = links
    if actions is not None:
        firm["actions"] = actions
    doc["firms"] = [firm]
    return doc


def ev(eid, phase, stages=("interpreting",), types=("normative",), **kw) -> dict:
    out = {"id": eid, "title": f"Event {eid}", "stages": list(stages), "learning_types": list(types)}
    if phase:
        out["phase"] = phase
    out.update(kw)
    return out


def healthy_events() -> list[dict]:
    """A firm through all four phases that no rule finds fault with."""
    return [
        ev("e1", "critical_incident", ["intuiting"], ["coercive"], critical=True, date="2020-01", sources=["cust"]),
        ev("e2", "opening_up", ["interpreting", "intertwining"], ["normative"], date="2020-03",
           sources=["college", "owner"]),
        ev("e3", "knowledge_sharing", ["integrating"], ["mimetic"], date="2020-06", routines=["meet"]),
        ev("e4", "institutionalisation", ["institutionalising"], ["normative"], date="2021-01",
           routines=["meet"]),
        ev("e5", "institutionalisation", ["intertwining"], ["normative"], date="2021-04", sources=["cust"],
           routines=["meet"]),
        ev("e6", "institutionalisation", ["integrating"], ["normative"], date="2021-06", routines=["meet"]),
    ]


def findings(doc: dict) -> dict[str, R.Finding]:
    study = Study.from_dict(copy.deepcopy(doc))
    return {f.id: f for f in R.diagnose(study, "f").findings}


# ---------------------------------------------------------------- data files


def test_rules_and_actions_load_and_cover_the_issue():
    rules = {r.id: r for r in R.load_rules()}
    conds = [r.condition for r in rules.values()]
    # the issue's examples, each a rule of the file
    assert {"after_phase": "critical_incident", "missing_phase": "opening_up"} in conds
    assert any(c.get("phase") == "opening_up" and "external_source" in c.get("without", ()) for c in conds)
    assert {"phase": "knowledge_sharing", "without": "routine"} in conds
    assert any(c.get("phase") == "institutionalisation" and c.get("without_stage") == "intertwining"
               for c in conds)
    assert {"no_flow": "feedback"} in conds
    assert any(c.get("single_learning_type") for c in conds)
    for r in rules.values():
        assert r.reason and r.plain and "Jones & Macpherson" in r.citation
    acts = R.actions()
    assert len(acts) == 15 == len({a.id for a in acts})  # Table 7 has fifteen actions
    assert [a.phase for a in acts] == sorted((a.phase for a in acts), key=PHASES.index)
    assert {a.who for a in acts} == {"owner-manager", "facilitator"}
    # every phase's managerial actions (vocabulary.json) have actions of the checklist
    assert {a.phase for a in acts} == set(vocabulary().ids("phases"))


def test_rule_texts_are_ours_not_the_papers():
    root = resources_dir().parent
    paper = next((f for folder in (root.parent, root.parent.parent)
                  for f in (folder / "shared" / "seeds").glob("*.txt")), None)
    text = " ".join(paper.read_text(encoding="utf-8").split()) if paper else ""
    if not text:
        pytest.skip("the paper's text is not beside this checkout")
    for r in R.load_rules():
        for words in (r.message, r.reason, r.plain, r.advice):
            # no run of eight words copied from the paper
            w = words.split()
            assert not any(" ".join(w[i:i + 8]) in text for i in range(max(0, len(w) - 7))), words


@pytest.mark.parametrize("change, complaint", [
    ({"condition": {"phase": "opening_up", "whithout": "routine"}}, "unknown condition key 'whithout'"),
    ({"condition": {"phase": "opening_up"}}, "needs exactly one test"),
    ({"condition": {"missing_phase": "opening"}}, "missing_phase 'opening' is not a phase"),
    ({"condition": {"phase": "opening_up", "without": "money"}}, "without 'money' is not known"),
    ({"condition": {"without": "routine"}}, "'without' needs a 'phase'"),
    ({"condition": {"no_flow": "sideways"}}, "no_flow 'sideways' is not a flow"),
    ({"condition": {"phase": "opening_up", "without_stage": "dreaming"}}, "'dreaming' is not a stage"),
    ({"condition": {"phase": "opening_up", "without": ["routine", "source_kind:alien"]}},
     "without 'source_kind:alien' is not known"),
    ({"condition": {"phase": "opening_up", "without_stage": ["intertwining"]}}, "is not a stage"),
    ({"condition": {"phase": "opening_up", "without_stage": "intertwining", "no_flow": "feedback"}},
     "needs exactly one test"),
    ({"condition": {"no_flow": "feedback", "phase": "opening_up"}}, "'phase' goes with 'without'"),
    ({"condition": {"no_flow": "feedback", "min_events": "3"}}, "min_events should be a whole number"),
    ({"severity": "urgent"}, "severity 'urgent'"),
    ({"message": "50% {of the events"}, "the message cannot be filled in"),
    ({"plain": "see {0}"}, "the plain cannot be filled in"),
    ({"citation": ""}, "'citation' is missing or empty"),
    ({"colour": "red"}, "unknown key 'colour'"),
    ({"actions": ["seek_outside_help", "phone_a_friend"], "advice": None},
     "action 'phone_a_friend' is not a Table 7 action; the actions are recognise_threat, "),
    ({"actions": "seek_outside_help"}, "'actions' should be a list of action ids"),
    ({"actions": ["scan_environment", "scan_environment"]}, "names an action twice"),
    ({"advice": "  "}, "'advice' should be a sentence"),
    ({"advice": "fix {it"}, "the advice cannot be filled in"),
])
def test_a_wrong_rule_is_named_with_its_file(tmp_path, change, complaint):
    rule = {"id": "mine", "condition": {"no_flow": "feedback"}, "message": "m", "reason": "r",
            "citation": "c", "plain": "p", "advice": "a"}
    rule.update(change)
    rule = {k: v for k, v in rule.items() if v is not None}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": [rule]}), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        R.load_rules(path)
    assert str(path) in exc.value.message and "rule 'mine'" in exc.value.message
    assert complaint in exc.value.message


def test_a_rule_of_ones_own_need_not_say_what_to_do(tmp_path):
    """The issue's shape for a rule is condition, message, citation (and why):
    a consultant's rule without actions or advice is read, and its finding
    asks the firm to go through it with its adviser."""
    rule = {"id": "mine", "condition": {"no_flow": "feedback"}, "message": "m", "reason": "r",
            "citation": "c", "plain": "p"}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": [rule]}), encoding="utf-8")
    (read,) = R.load_rules(path)
    assert read.actions == () and read.advice == ""


def test_every_shipped_rule_says_what_to_do():
    known = {a.id: a for a in R.actions()}
    for rule in R.load_rules():
        assert rule.actions or rule.advice, rule.id
        assert all(a in known for a in rule.actions), rule.id
        # an action named for a rule about a phase belongs to that phase or to an earlier one
        phase = rule.condition.get("missing_phase") or rule.condition.get("phase")
        if phase:
            order = PHASES.index(phase)
            assert all(PHASES.index(known[a].phase) <= order for a in rule.actions), rule.id


def test_a_finding_carries_its_rules_actions_and_advice(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": [{
        "id": "undated", "condition": {"phase": "opening_up", "without": "date"},
        "message": "m", "reason": "r", "citation": "c", "plain": "p",
        "actions": ["seek_outside_help", "recognise_threat"],
        "advice": "Date the {events} in {phase}."}]}), encoding="utf-8")
    events = healthy_events()
    for e in events:
        e.pop("date")
    study = Study.from_dict(firm_doc(events, actions=[{"id": "recognise_threat", "status": "done"}]))
    [found] = R.diagnose(study, "f", R.load_rules(path)).findings
    assert found.actions == ["seek_outside_help", "recognise_threat"]  # the rule's order
    assert found.advice == "Date the 1 event in Opening up."
    items = R.checklist(study, "f")
    numbered = R.finding_items(found, items)
    assert [(n, it.action.id) for n, it in numbered] == [(5, "seek_outside_help"), (1, "recognise_threat")]
    assert [it.entry for _, it in numbered] == [None, {"id": "recognise_threat", "status": "done"}]
    assert R.action_numbers(items)["scan_environment"] == 15


def test_a_consultants_own_rule_file_is_used(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": [{
        "id": "no_college", "severity": "note", "condition": {"phase": "opening_up", "without": "date"},
        "message": "{events} in {phase} without a time", "reason": "r", "citation": "c", "plain": "p", "advice": "Ask the owner."}]}))
    rules = R.load_rules(path)
    events = healthy_events()
    for e in events:
        e.pop("date")
    found = R.diagnose(Study.from_dict(firm_doc(events)), "f", rules).findings
    assert [(f.id, f.message) for f in found] == [("no_college", "1 event in Opening up without a time")]
    assert R.diagnose(Study.from_dict(firm_doc(healthy_events())), "f", rules).findings == []


def test_without_takes_a_list_kinds_and_a_stage_together():
    rule = {"id": "r", "message": "m", "reason": "r", "citation": "c", "plain": "p", "actions": ["sharing_systems"]}
    rules = R.parse_rules({"rules": [
        {**rule, "id": "college_or_meeting", "condition": {"phase": "knowledge_sharing",
                                                           "without": ["source_kind:college", "routine"]}},
        {**rule, "id": "intertwined", "condition": {"phase": "knowledge_sharing", "without_stage": "intertwining",
                                                    "without": "evidence"}}]}, "test")

    def fired(events):
        return {f.id for f in R.diagnose(Study.from_dict(firm_doc(events)), "f", rules).findings}

    events = healthy_events()
    assert fired(events) == {"intertwined"}  # e3 has a routine; no evidence, not intertwining
    del events[2]["routines"]
    assert fired(events) == {"college_or_meeting", "intertwined"}
    events[2]["sources"] = ["college"]
    events[2]["stages"] = ["integrating", "intertwining"]
    assert fired(events) == set()


# ---------------------------------------------------------------- phases


def test_phases_in_order_with_what_their_events_name():
    study = training()
    d = R.diagnose(study, "kestrel")
    assert [p.id for p in d.phases] == PHASES
    ci, ou, ks, inst = d.phases
    assert [e.id for e in ci.events] == ["e1"] and (ci.start, ci.end) == ("2023-03", "2023-03")
    assert [e.id for e in ou.events] == ["e2", "e3"] and (ou.start, ou.end) == ("2023-04", "2023-05")
    # e10 (2024-05) is a knowledge-sharing event after institutionalisation began
    assert [e.id for e in ks.events] == ["e4", "e5", "e10"] and (ks.start, ks.end) == ("2023-06", "2024-05")
    assert [s.id for s in ou.sources] == ["trade_assoc", "shah", "kerrigan"]  # in the firm's order
    assert [r.id for r in ks.routines] == ["toolbox", "defect_log", "instructions"]
    firm = study.firm("kestrel")
    assert [eid for eid, _ in ci.evidence] == ["e1"] * len(firm.event("e1").evidence)
    assert ci.evidence[0][1].quote == firm.event("e1").evidence[0].quote
    assert d.unphased == []


def test_phase_time_falls_back_to_when_words():
    d = R.diagnose(jm(), "brw")
    ou = d.phase("opening_up")
    assert (ou.start, ou.end) == (None, None)
    assert ou.span == "year 1 – later"


def test_phase_span_reaches_an_undated_first_or_last_event():
    # as a consultant logs it: a visit known only by its year, and a last event known only as "late 2024"
    events = [ev("e1", "opening_up", date="2023-05"), ev("e2", "opening_up", date="2023"),
              ev("e3", "opening_up", date="2023-09"), ev("e4", "opening_up", when="late 2024"),
              ev("e5", "institutionalisation", when="early 2024"), ev("e6", "institutionalisation", date="2024"),
              ev("e7", "institutionalisation", date="2024-09")]
    d = R.diagnose(Study.from_dict(firm_doc(events)), "f")
    ou, inst = d.phase("opening_up"), d.phase("institutionalisation")
    assert (ou.start, ou.end) == ("2023", "2023-09")  # the dates alone, as --json gives them
    assert ou.span == "2023 – late 2024"  # not "2023 – 2023-09", which leaves e4 out
    assert (inst.start, inst.end) == ("2024", "2024-09")
    assert inst.span == "early 2024 – 2024-09"


def test_an_event_without_a_phase_is_listed_apart_and_noted():
    events = healthy_events() + [ev("e7", None, date="2021-08")]
    study = Study.from_dict(firm_doc(events))
    d = R.diagnose(study, "f")
    assert [e.id for e in d.unphased] == ["e7"]
    assert all("e7" not in [e.id for e in p.events] for p in d.phases)
    assert d.phase("institutionalisation").end == "2021-06"  # its date counts for no phase
    f = {x.id: x for x in d.findings}["events_without_phase"]
    assert f.events == ["e7"] and f.message.startswith("1 event in no renewal phase")
    assert "events_without_phase" not in findings(firm_doc(healthy_events()))


def test_unknown_firm_is_refused_with_the_firms_named():
    with pytest.raises(InputError, match="no firm 'zz' in this study; its firms are: brw, rsl, dmf"):
        R.diagnose(jm(), "zz")


# ---------------------------------------------------------------- each rule, triggered and not


def test_a_healthy_firm_has_no_findings():
    assert findings(firm_doc(healthy_events())) == {}


def test_incident_without_opening_up():
    events = [e for e in healthy_events() if e["phase"] != "opening_up"]
    f = findings(firm_doc(events))["incident_without_opening_up"]
    assert f.severity == "concern" and f.events == ["e1"] and "Opening up" in f.message
    # opening up listed only before the incident does not count
    before = [ev("e0", "opening_up", sources=["college"])] + events
    assert "incident_without_opening_up" in findings(firm_doc(before))
    # no incident at all: this rule says nothing (no_incident does)
    no_incident = [e for e in events if e["phase"] != "critical_incident"]
    got = findings(firm_doc(no_incident))
    assert "incident_without_opening_up" not in got and "no_incident" in got
    assert "no_incident" not in findings(firm_doc(healthy_events()))


def test_opening_up_without_outside_source():
    events = healthy_events()
    events[1]["sources"] = ["owner"]  # the owner-manager alone: inside the firm
    f = findings(firm_doc(events))["opening_up_without_outside_source"]
    assert f.events == ["e2"] and f.message.startswith("No event in Opening up (1 event) names")
    # a source marked external, whatever its kind, is outside
    doc = firm_doc(events)
    doc["firms"][0]["sources"][1]["external"] = True
    assert "opening_up_without_outside_source" not in findings(doc)
    # a recruit brought in for their know-how counts too (Table 7: recruit new expertise)
    events[1]["sources"] = ["owner", "recruit"]
    assert "opening_up_without_outside_source" not in findings(firm_doc(events))
    # no opening-up event at all is another finding, not this one
    got = findings(firm_doc([e for e in events if e["phase"] != "opening_up"]))
    assert "opening_up_without_outside_source" not in got


def test_sharing_without_routine():
    events = healthy_events()
    del events[2]["routines"]
    f = findings(firm_doc(events))["sharing_without_routine"]
    assert f.events == ["e3"]
    events.append(ev("e7", "knowledge_sharing", routines=["meet"]))
    assert "sharing_without_routine" not in findings(firm_doc(events))


def test_opening_up_without_sharing_and_sharing_without_institutionalisation():
    events = [e for e in healthy_events() if e["phase"] in ("critical_incident", "opening_up")]
    got = findings(firm_doc(events))
    assert got["opening_up_without_sharing"].events == ["e2"]
    assert "sharing_without_institutionalisation" not in got  # no sharing, nothing to embed
    events = [e for e in healthy_events() if e["phase"] != "institutionalisation"]
    got = findings(firm_doc(events))
    assert got["sharing_without_institutionalisation"].severity == "note"
    assert "opening_up_without_sharing" not in got


def test_institutionalisation_without_intertwining():
    events = healthy_events()
    events[4]["stages"] = ["institutionalising"]
    events[4]["sources"] = ["owner"]
    f = findings(firm_doc(events))["institutionalisation_without_intertwining"]
    assert f.events == ["e4", "e5", "e6"] and "Intertwining" in f.message
    # intertwining as a later (not primary) stage counts
    events[4]["stages"] = ["institutionalising", "intertwining"]
    assert "institutionalisation_without_intertwining" not in findings(firm_doc(events))
    # so does an outside organisation named on the event, coded to intertwining or not (a 4I
    # study has no intertwining stage); RSL's KTP associate helped embed its new routines
    events[4]["stages"] = ["institutionalising"]
    events[4]["sources"] = ["college"]
    assert "institutionalisation_without_intertwining" not in findings(firm_doc(events))
    assert "institutionalisation_without_intertwining" not in {f.id for f in R.diagnose(jm(), "rsl").findings}


def test_institutionalisation_without_routine():
    events = healthy_events()
    for e in events[3:]:
        e.pop("routines")
    assert findings(firm_doc(events))["institutionalisation_without_routine"].events == ["e4", "e5", "e6"]


def test_no_feedback():
    # stages only ever rise or stay: no feedback between consecutive events
    events = [ev("e1", "critical_incident", ["intuiting"], critical=True, sources=["cust"]),
              ev("e2", "opening_up", ["interpreting", "intertwining"], sources=["college"]),
              ev("e3", "knowledge_sharing", ["integrating"], ["mimetic"], routines=["meet"]),
              ev("e4", "institutionalisation", ["institutionalising", "intertwining"], routines=["meet"])]
    f = findings(firm_doc(events))["no_feedback"]
    assert "3 links" in f.message and "Feedback" in f.message
    # one feedback link (institutionalising -> integrating) is enough
    fed = findings(firm_doc(events + [ev("e5", "institutionalisation", ["integrating"], routines=["meet"])]))
    assert "no_feedback" not in fed
    # explicit links decide where there are some
    links = [{"from": "e4", "to": "e2"}]
    assert "no_feedback" not in findings(firm_doc(events, links=links))
    assert "no_feedback" in findings(firm_doc(events, links=[{"from": "e1", "to": "e4"}]))
    # a firm of one event has no flows at all: nothing to say
    assert "no_feedback" not in findings(firm_doc(events[:1]))


def test_single_learning_type():
    events = healthy_events()
    for e in events:
        e["learning_types"] = ["coercive"]
    f = findings(firm_doc(events))["single_learning_type"]
    assert f.severity == "note" and f.message == "All 6 events with a learning type are Coercive."
    assert "single_learning_type" not in findings(firm_doc(healthy_events()))
    # too few events to say (min_events 3)
    assert "single_learning_type" not in findings(firm_doc(events[:2]))
    # on the paper's cases: RSL learned mimetically throughout, DMF did not only learn coercively
    assert "single_learning_type" in {f.id for f in R.diagnose(jm(), "rsl").findings}
    assert "single_learning_type" not in {f.id for f in R.diagnose(jm(), "dmf").findings}


def test_findings_on_the_sample_studies():
    got = {f.id: {x.id for x in R.diagnose(jm(), f.id).findings} for f in jm().firms}
    # the paper's three renewals: only RSL's one kind of learning is worth a note
    assert got == {"brw": set(), "rsl": {"single_learning_type"}, "dmf": set()}
    assert {f.id for f in R.diagnose(training(), "kestrel").findings} == set()


# ---------------------------------------------------------------- checklist


def test_checklist_holds_table7_then_own_actions():
    actions = [{"id": "own_review", "status": "planned", "date": "2021-09", "owner": "Jo",
                "text": "Quarterly review with the customer"},
               {"id": "seek_outside_help", "status": "done", "event": "e2", "note": "the college"},
               {"id": "scan_environment", "status": "not_relevant", "note": "too early"}]
    study = Study.from_dict(firm_doc(healthy_events(), actions=actions))
    items = R.checklist(study, "f")
    assert [it.action.id for it in items[:15]] == [a.id for a in R.actions()]
    by_id = {it.action.id: it for it in items}
    assert by_id["seek_outside_help"].entry == actions[1]
    assert by_id["scan_environment"].entry["status"] == "not_relevant"
    assert by_id["recognise_threat"].entry is None
    own = items[-1]
    assert len(items) == 16 and own.action.own and own.action.text == "Quarterly review with the customer"
    assert own.action.phase is None and own.entry["owner"] == "Jo"
    assert not any(it.action.own for it in items[:15])


# ---------------------------------------------------------------- firms side by side


def test_cross_firm_rows():
    rows = {r.firm_id: r for r in R.cross_firm(jm())}
    assert list(rows) == ["brw", "rsl", "dmf"]
    assert rows["brw"].phases["institutionalisation"] == (None, None, 5)
    assert rows["dmf"].incident_event == "e3" and rows["dmf"].incident_when == "year 1"  # flagged critical
    assert rows["rsl"].incident is None  # no dates in the paper's cases
    assert [f.id for f in rows["rsl"].findings] == ["single_learning_type"]
    kestrel = R.cross_firm(training())[0]
    assert kestrel.incident == "2023-03" and kestrel.phases["opening_up"] == ("2023-04", "2023-05", 2)


def test_incident_without_a_flag_is_the_first_of_its_phase():
    events = healthy_events()
    events[0].pop("critical")
    events.insert(0, ev("e0", "critical_incident", date="2019-11"))
    row = R.cross_firm(Study.from_dict(firm_doc(events)))[0]
    assert (row.incident_event, row.incident) == ("e0", "2019-11")
    events[1]["critical"] = True
    row = R.cross_firm(Study.from_dict(firm_doc(events)))[0]
    assert (row.incident_event, row.incident) == ("e1", "2020-01")


def test_cross_firm_table_cells():
    header, rows = R.cross_firm_table(R.cross_firm(jm()))
    assert header == ["Firm", "Critical incident", "Opening up", "Knowledge-sharing structures",
                      "Institutionalisation", "Findings"]
    assert rows[0][:3] == ["BRW", "late 1990s (2 events)", "year 1 – later (2 events)"]
    assert rows[0][-1] == "none"
    assert rows[1][-1] == "Note: All 11 events with a learning type are Mimetic."
    # no incident (a note, first in the rules file) and sharing without a routine (a concern)
    events = [e for e in healthy_events() if e["phase"] != "critical_incident"]
    del events[1]["routines"]
    row = R.cross_firm(Study.from_dict(firm_doc(events)))
    assert [f.id for f in row[0].findings] == ["no_incident", "sharing_without_routine"]
    _, rows = R.cross_firm_table(row)
    assert rows[0][1] == "–"
    assert [line.split(": ")[0] for line in rows[0][-1].split("\n")] == ["Concern", "Note"]  # concerns first

