"""Every rule of the exchange format, and the path named in its message."""

import copy
import json
import random

import jsonschema
import pytest

from conftest import JM, ROOT, TRAINING
from workbench.core.validate import study_schema, validate


def errors(doc):
    _, report = validate(doc)
    return [str(p) for p in report.errors]


def warnings(doc):
    _, report = validate(doc)
    return [str(p) for p in report.warnings]


def test_samples_are_valid():
    for path in (JM, TRAINING):
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert errors(doc) == []
        assert warnings(doc) == []


def test_minimal_study_is_valid(study_doc):
    assert errors(study_doc) == []


def _extends(v1, ours, path="") -> list[str]:
    """Where ``ours`` is not a compatible extension of ``v1``: it may add
    optional properties and definitions and reword descriptions; anything
    else (a type, an enum, a pattern, what is required) must stay as it was."""
    if isinstance(v1, dict) and isinstance(ours, dict):
        out = []
        for key, value in v1.items():
            if key in ("description", "title"):
                continue
            if key not in ours:
                out.append(f"{path}/{key}: missing")
            else:
                out += _extends(value, ours[key], f"{path}/{key}")
        may_add = path.endswith("/properties") or path.endswith("/$defs")
        out += [f"{path}/{key}: added" for key in ours if key not in v1 and not may_add
                and key not in ("description",)]
        return out
    return [] if v1 == ours else [f"{path}: {v1!r} became {ours!r}"]


def test_shipped_schema_extends_version_1_compatibly():
    shared = ROOT.parent / "shared" / "formats" / "study.schema.json"
    if not shared.exists():
        pytest.skip("shared/ not beside this checkout")
    assert _extends(json.loads(shared.read_text()), study_schema()) == []
    assert _extends({"required": ["a"]}, {"required": ["a", "b"]}) != []  # the check can fail


# ---------------------------------------------------------------- schema-level


def test_missing_required_key_named_by_path(study_doc):
    del study_doc["firms"][0]["events"][1]["title"]
    assert errors(study_doc) == ["firms[0].events[1].title: required, but missing"]


def test_unknown_key_is_an_error_with_suggestion(study_doc):
    study_doc["firms"][0]["events"][0]["learning_type"] = ["normative"]
    (msg,) = errors(study_doc)
    assert msg.startswith("firms[0].events[0].learning_type: unknown key 'learning_type'")
    assert "did you mean 'learning_types'?" in msg


def test_extension_keys_allowed_on_every_object(study_doc):
    firm = study_doc["firms"][0]
    for obj in (study_doc, study_doc["documents"][0], firm, firm["sources"][0], firm["routines"][0],
                firm["events"][0], firm["events"][0]["evidence"][0]):
        obj["x-note"] = {"anything": [1, 2]}
    firm["links"] = [{"from": "e1", "to": "e2", "x-weight": 2}]
    firm["profile"] = {"x-sic": "25620"}
    firm["summary"] = {"x-extra": True}
    assert errors(study_doc) == []


def test_wrong_type(study_doc):
    study_doc["firms"][0]["profile"] = {"employees": "35"}
    assert errors(study_doc) == ["firms[0].profile.employees: expected a whole number, got a string '35'"]


def test_boolean_is_not_an_integer(study_doc):
    study_doc["firms"][0]["profile"] = {"employees": True}
    assert errors(study_doc)[0].startswith("firms[0].profile.employees: expected a whole number")


def test_bad_enum_with_suggestion(study_doc):
    study_doc["firms"][0]["sources"][0]["kind"] = "univeristy"
    assert errors(study_doc) == [
        "firms[0].sources[0].kind: 'univeristy' is not a source kind (did you mean 'university'?)"]


def test_bad_id_and_date_patterns(study_doc):
    study_doc["firms"][0]["events"][0]["id"] = "e 1"
    study_doc["firms"][0]["events"][1]["date"] = "2001-13"
    errs = errors(study_doc)
    assert any(e.startswith("firms[0].events[0].id: 'e 1' is not a valid id") for e in errs)
    assert any(e.startswith("firms[0].events[1].date: '2001-13' is not a date") for e in errs)


def test_line_max_length(study_doc):
    study_doc["firms"][0]["events"][0]["title"] = "x" * 501
    assert errors(study_doc) == ["firms[0].events[0].title: is 501 characters long; at most 500 are allowed here"]


def test_version_and_format(study_doc):
    study_doc["version"] = 2
    study_doc["format"] = "other"
    errs = errors(study_doc)
    assert "version: this file is version 2 of the study format; this workbench reads version 1" in errs
    assert any(e.startswith("format: must be 'lpw-study'") for e in errs)


def test_unique_items(study_doc):
    study_doc["firms"][0]["events"][0]["sources"] = ["cust", "cust"]
    assert errors(study_doc) == ["firms[0].events[0].sources[1]: 'cust' is listed twice (also at [0])"]


def test_top_level_not_an_object():
    _, report = validate([1, 2])
    assert not report.ok and "JSON object" in report.errors[0].message


def _mutations(doc, rng):
    """Random small edits of a valid study, some valid, some not."""
    firm = doc["firms"][rng.randrange(len(doc["firms"]))]
    ev = firm["events"][rng.randrange(len(firm["events"]))]
    choice = rng.randrange(12)
    if choice == 0:
        ev["level"] = rng.choice(["group", "team", 3])
    elif choice == 1:
        ev["critical"] = rng.choice([True, "yes", 1])
    elif choice == 2:
        ev["date"] = rng.choice(["2001", "2001-02-30", "01-2001", "2001-1"])
    elif choice == 3:
        firm["profile"] = {"founded": rng.choice([999, 1000, 2200, 2201, 1950.0, "1950"])}
    elif choice == 4:
        firm["attributes"] = {"a": rng.choice(["x", 1, 1.5, True, None, [1]])}
    elif choice == 5:
        ev["tags"] = rng.choice([["a", "a"], ["a", "b"], [], ["x" * 501]])
    elif choice == 6:
        firm["sources"][0]["country"] = rng.choice(["GB", "gb", "GBR"])
    elif choice == 7:
        ev[rng.choice(["colour", "x-colour"])] = "red"
    elif choice == 8:
        ev["evidence"] = rng.choice([[{"quote": ""}], [{"quote": "q", "start": -1}], [{"quote": "q"}]])
    elif choice == 9:
        doc["framework"] = rng.choice(["5I", "6I", "4I-AE"])
    elif choice == 10:
        firm["sources"][0]["direction"] = rng.choice(["inbound", "in", None])
    else:
        del ev[rng.choice(["id", "title", "date"]) if "date" in ev else "title"]


def test_schema_verdict_agrees_with_jsonschema():
    """Our compiled schema check accepts exactly what a reference JSON Schema
    validator accepts (the format's other rules aside)."""
    from workbench.core.validate import Context, _schema_check

    ref = jsonschema.Draft202012Validator(study_schema())
    rng = random.Random(7)
    base = json.loads(JM.read_text(encoding="utf-8"))
    for _ in range(300):
        doc = copy.deepcopy(base)
        for _ in range(rng.randrange(1, 3)):
            _mutations(doc, rng)
        ours = []
        _schema_check()(doc, (), ours, Context(doc.get("framework")))
        theirs = list(ref.iter_errors(doc))
        assert bool(ours) == bool(theirs), (ours, [e.message for e in theirs])


# ---------------------------------------------------------------- rule 1: ids


def test_duplicate_ids(study_doc):
    study_doc["firms"].append(copy.deepcopy(study_doc["firms"][0]))
    study_doc["documents"].append(dict(study_doc["documents"][0]))
    study_doc["firms"][0]["sources"].append({"id": "cust", "name": "Again", "kind": "customer"})
    errs = errors(study_doc)
    assert "documents[1].id: duplicate document id 'd1' (also documents[0])" in errs
    assert "firms[1].id: duplicate firm id 'f1' (also firms[0])" in errs
    assert "firms[0].sources[2].id: duplicate source id 'cust' (also firms[0].sources[0])" in errs


def test_same_event_id_in_two_firms_is_fine(study_doc):
    other = copy.deepcopy(study_doc["firms"][0])
    other["id"] = "f2"
    study_doc["firms"].append(other)
    assert errors(study_doc) == []


# ---------------------------------------------------------------- rule 2: references


def test_broken_references(study_doc):
    firm = study_doc["firms"][0]
    firm["events"][0]["sources"] = ["cust", "custo"]
    firm["events"][1]["routines"] = ["r2"]
    firm["routines"][0]["sources"] = ["rda"]
    firm["sources"][0]["via"] = "nobody"
    firm["links"] = [{"from": "e1", "to": "e9"}, {"from": "e2", "to": "e2"}]
    errs = errors(study_doc)
    assert "firms[0].events[0].sources[1]: no source 'custo' in firm 'f1' (did you mean 'cust'?)" in errs
    assert any(e.startswith("firms[0].events[1].routines[0]: no routine 'r2' in firm 'f1'") for e in errs)
    assert "firms[0].routines[0].sources[0]: no source 'rda' in firm 'f1'" in errs
    assert "firms[0].sources[0].via: no source 'nobody' in firm 'f1'" in errs
    assert any(e.startswith("firms[0].links[0].to: no event 'e9' in firm 'f1'") for e in errs)
    assert "firms[0].links[1]: a link cannot lead from event 'e2' to itself" in errs


def test_reference_to_another_firms_source(study_doc):
    other = copy.deepcopy(study_doc["firms"][0])
    other["id"] = "f2"
    other["sources"].append({"id": "college", "name": "College", "kind": "college"})
    study_doc["firms"].append(other)
    study_doc["firms"][0]["events"][2]["sources"] = ["college"]
    assert errors(study_doc) == ["firms[0].events[2].sources[0]: no source 'college' in firm 'f1'"]


def test_source_brokered_by_itself(study_doc):
    srcs = study_doc["firms"][0]["sources"]
    srcs[0]["via"] = "cust"
    assert errors(study_doc) == ["firms[0].sources[0].via: source 'cust' cannot be brokered by itself"]
    srcs[0]["via"] = "staff"
    srcs[1]["via"] = "cust"
    errs = errors(study_doc)
    assert "firms[0].sources[0].via: source 'cust' is brokered by itself through the chain cust -> staff -> cust" in errs
    assert len(errs) == 2  # both members of the cycle


def test_via_chain_without_cycle_is_fine(study_doc):
    srcs = study_doc["firms"][0]["sources"]
    srcs.append({"id": "agency", "name": "Agency", "kind": "intermediary"})
    srcs[0]["via"] = "agency"
    assert errors(study_doc) == []


# ---------------------------------------------------------------- rule 3: framework


def test_stage_outside_framework(study_doc):
    study_doc["framework"] = "4I"
    assert errors(study_doc) == [
        "firms[0].events[2].stages[0]: 'intertwining' is not a stage of framework 4I "
        "(its stages: intuiting, interpreting, integrating, institutionalising); it belongs to 5I"]


def test_misspelt_stage_message_matches_the_format_doc(study_doc):
    study_doc["firms"][0]["events"][1]["stages"] = ["institutionalizing"]
    assert errors(study_doc) == [
        "firms[0].events[1].stages[0]: 'institutionalizing' is not a stage of framework 5I "
        "(did you mean 'institutionalising'?)"]


def test_4i_ae_stages(study_doc):
    study_doc["firms"][0]["events"][0]["stages"] = ["attending", "experimenting"]
    assert len(errors(study_doc)) == 2  # not in 5I
    study_doc["framework"] = "4I-AE"
    study_doc["firms"][0]["events"][2]["stages"] = ["institutionalising"]
    assert errors(study_doc) == []


# ---------------------------------------------------------------- rule 4: evidence


def _evidence(doc):
    return doc["firms"][0]["events"][0]["evidence"][0]


def test_evidence_unknown_document(study_doc):
    _evidence(study_doc)["document"] = "d2"
    assert errors(study_doc) == ["firms[0].events[0].evidence[0].document: no document 'd2' in the study (did you mean 'd1'?)"]


def test_evidence_start_without_end(study_doc):
    del _evidence(study_doc)["end"]
    assert errors(study_doc) == ["firms[0].events[0].evidence[0].end: start and end must be given together"]


def test_evidence_offsets_need_document(study_doc):
    del _evidence(study_doc)["document"]
    assert errors(study_doc) == ["firms[0].events[0].evidence[0].document: start and end need the document they point into"]


def test_evidence_start_not_before_end(study_doc):
    _evidence(study_doc).update(start=16, end=16)
    assert errors(study_doc) == ["firms[0].events[0].evidence[0].start: start 16 must be less than end 16"]


def test_evidence_end_beyond_text(study_doc):
    _evidence(study_doc).update(end=500)
    assert errors(study_doc) == [
        "firms[0].events[0].evidence[0].end: 500 is beyond the end of document 'd1' (38 characters)"]


def test_evidence_quote_mismatch_says_where_it_is(study_doc):
    _evidence(study_doc).update(quote="the college came", start=0, end=16)
    (msg,) = errors(study_doc)
    assert msg.startswith("firms[0].events[0].evidence[0].quote: does not match document 'd1' at 0-16")
    assert "the quote is found at 21-37" in msg


def test_evidence_offsets_count_code_points(study_doc):
    text = "Tea ☕ and a 🦉 owl: \U0001F600 smile"
    study_doc["documents"][0]["text"] = text
    start = text.index("\U0001F600")
    _evidence(study_doc).update(quote="\U0001F600 smile", start=start, end=start + 7)
    assert errors(study_doc) == []
    # UTF-16 counting would put the smile two units later
    _evidence(study_doc).update(start=start + 2, end=start + 9)
    assert errors(study_doc)


# ---------------------------------------------------------------- rule 5: order


def test_dates_out_of_order_warn_but_do_not_fail(study_doc):
    study_doc["firms"][0]["events"][2]["date"] = "2000-12"
    assert errors(study_doc) == []
    (w,) = warnings(study_doc)
    assert w.startswith("firms[0].events[2].date: '2000-12' is earlier than")


def test_year_equals_any_date_in_it(study_doc):
    evs = study_doc["firms"][0]["events"]
    evs[0]["date"], evs[1]["date"], evs[2]["date"] = "2001-05-20", "2001", "2001-05"
    assert warnings(study_doc) == []
    evs[2]["date"] = "2001-04"
    assert warnings(study_doc) == [
        "firms[0].events[2].date: '2001-04' is earlier than '2001-05-20' of firms[0].events[0], "
        "listed before it; events should be in chronological order"]


def test_order_compares_every_earlier_event(study_doc):
    evs = study_doc["firms"][0]["events"]
    evs[0]["date"], evs[1]["date"], evs[2]["date"] = "2003-06", "2003", "2003-02-01"
    assert len(warnings(study_doc)) == 1  # 2003-02 < 2003-06, although 2003 == 2003


# ---------------------------------------------------------------- rule 6: text


def test_control_characters_replaced_with_warning(study_doc):
    study_doc["firms"][0]["events"][1]["title"] = "Meeting\x00set\x1bup"
    study_doc["documents"][0]["text"] = "We had\x07no idea. Then the college came."
    _evidence(study_doc)["quote"] = "We had\x07no idea."
    clean, report = validate(study_doc)
    assert report.ok
    paths = {w.path for w in report.warnings}
    assert {"firms[0].events[1].title", "documents[0].text", "firms[0].events[0].evidence[0].quote"} <= paths
    assert clean["firms"][0]["events"][1]["title"] == "Meeting set up"
    assert clean["documents"][0]["text"][:16] == "We had no idea. "


def test_lone_surrogates_and_nonchars_replaced(study_doc):
    study_doc["title"] = "a\ud800b\ufffec"
    clean, report = validate(study_doc)
    assert clean["title"] == "a b c" and report.ok and report.warnings


# ---------------------------------------------------------------- one pass


def test_all_problems_in_one_pass(study_doc):
    firm = study_doc["firms"][0]
    firm["events"][0]["sources"] = ["nope"]
    firm["events"][1]["stages"] = ["institutionalizing"]
    firm["events"][2]["colour"] = "red"
    errs = errors(study_doc)
    assert len(errs) == 3
    assert {e.split(":")[0] for e in errs} == {
        "firms[0].events[0].sources[0]", "firms[0].events[1].stages[0]", "firms[0].events[2].colour"}
