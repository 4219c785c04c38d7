"""The analysis numbers on a small case worked out by hand."""

from workbench.core.analysis import FlowLink, derive_summary, dominant_learning_type, firm_links, study_stats
from workbench.core.model import Study


def case(links=None):
    # Hand-made firm: five events, one uncoded.
    #  e1 intuiting      (order 1) coercive
    #  e2 interpreting   (2)       coercive, normative
    #  e3 institutionalising (4)   normative
    #  e4 intertwining   (5)       normative          level given: organisation
    #  e5 (no stage)
    firm = {
        "id": "f", "name": "F",
        "sources": [{"id": "c", "name": "C", "kind": "customer"},
                    {"id": "s", "name": "S", "kind": "internal_staff"},
                    {"id": "k", "name": "K", "kind": "customer"}],
        "events": [
            {"id": "e1", "title": "1", "stages": ["intuiting"], "learning_types": ["coercive"],
             "phase": "critical_incident"},
            {"id": "e2", "title": "2", "stages": ["interpreting", "integrating"],
             "learning_types": ["coercive", "normative"], "phase": "opening_up"},
            {"id": "e3", "title": "3", "stages": ["institutionalising"], "learning_types": ["normative"]},
            {"id": "e4", "title": "4", "stages": ["intertwining"], "learning_types": ["normative"],
             "level": "organisation", "phase": "institutionalisation"},
            {"id": "e5", "title": "5"},
        ],
    }
    if links is not None:
        firm["links"] = links
    return Study.from_dict({"format": "lpw-study", "version": 1, "title": "t", "framework": "5I",
                            "firms": [firm]})


def test_implicit_links_follow_the_list():
    links = firm_links(case().firms[0])
    assert [(l.source, l.target, l.flow) for l in links] == [
        ("e1", "e2", "feed_forward"),
        ("e2", "e3", "feed_forward"),
        ("e3", "e4", "feed_forward"),
        ("e4", "e5", None),  # e5 has no stage: no flow
    ]
    assert not any(l.explicit for l in links)


def test_explicit_links_replace_the_list_order():
    links = firm_links(case([{"from": "e4", "to": "e3", "label": "embed"},
                             {"from": "e3", "to": "e1"},
                             {"from": "e2", "to": "e4"},
                             {"from": "e1", "to": "e5"}]).firms[0])
    assert links == [
        FlowLink("e4", "e3", "feedback", True, "embed"),  # intertwining -> institutionalising
        FlowLink("e3", "e1", "feedback", True),
        FlowLink("e2", "e4", "feed_forward", True),
        FlowLink("e1", "e5", None, True),
    ]


def test_within_stage():
    study = case([{"from": "e1", "to": "e2"}])
    study.firms[0].events[1].stages = ["intuiting"]
    assert firm_links(study.firms[0])[0].flow == "within"


def test_counts_by_hand():
    stats = study_stats(case())
    f = stats["firms"]["f"]
    assert f["events"] == 5
    # every stage an event names counts; e2 names two
    assert f["stages"] == {"intuiting": 1, "interpreting": 1, "integrating": 1,
                           "institutionalising": 1, "intertwining": 1}
    assert f["learning_types"] == {"normative": 3, "mimetic": 0, "coercive": 2}
    # own level or the primary stage's default; e5 has neither
    assert f["levels"] == {"individual": 1, "group": 1, "organisation": 2, "inter_organisation": 0}
    assert f["phases"] == {"critical_incident": 1, "opening_up": 1, "knowledge_sharing": 0,
                           "institutionalisation": 1}
    assert f["source_kinds"]["customer"] == 2 and f["source_kinds"]["internal_staff"] == 1
    assert sum(f["source_kinds"].values()) == 3
    assert f["flows"] == {"feed_forward": 3, "feedback": 0, "within": 0}
    # matrix: primary stage x primary type, each event once; e5 left out
    m = f["matrix"]
    assert m["intuiting"] == {"normative": 0, "mimetic": 0, "coercive": 1}
    assert m["interpreting"] == {"normative": 0, "mimetic": 0, "coercive": 1}
    assert m["integrating"] == {"normative": 0, "mimetic": 0, "coercive": 0}
    assert m["institutionalising"]["normative"] == 1 and m["intertwining"]["normative"] == 1
    assert sum(sum(r.values()) for r in m.values()) == 4


def test_study_totals_add_firms():
    study = case()
    second = Study.from_dict(study.to_dict()).firms[0]
    second.id = "g"
    study.firms.append(second)
    stats = study_stats(study)
    assert stats["study"]["events"] == 10
    assert stats["study"]["flows"]["feed_forward"] == 6
    assert stats["study"]["matrix"]["intuiting"]["coercive"] == 2
    assert set(stats["firms"]) == {"f", "g"}


def test_matrix_has_every_stage_and_type_of_the_framework():
    study = case()
    study.framework = "4I-AE"
    for e in study.firms[0].events:
        e.stages = ["attending"] if e.stages else None
    m = study_stats(study)["firms"]["f"]["matrix"]
    assert list(m) == ["intuiting", "interpreting", "integrating", "institutionalising",
                       "attending", "experimenting"]
    assert m["attending"] == {"normative": 2, "mimetic": 0, "coercive": 2}


def test_dominant_learning_type():
    assert dominant_learning_type(case().firms[0]) == "normative"


def test_time_period_bounded_by_full_dates_where_a_bare_year_shares_their_year():
    """A log with one event known only by its year ("2023") among dated ones: the period runs from the
    first full date to the last (19 months), not from "2023" ("about 1 year")."""
    events = [{"id": f"e{i}", "title": str(i), "date": d}
              for i, d in enumerate(["2023-02-14", "2023-05", "2023", "2024-02", "2024", "2024-09"], 1)]
    study = Study.from_dict({"format": "lpw-study", "version": 1, "title": "t", "framework": "5I",
                             "firms": [{"id": "f", "name": "F", "events": events}]})
    assert derive_summary(study.firm("f"))["time_period"] == "2023-02-14 to 2024-09 (about 19 months)"
    events[0]["date"], events[1]["date"] = "2022", "2023"  # bare years alone: as before, by the years
    study = Study.from_dict({"format": "lpw-study", "version": 1, "title": "t", "framework": "5I",
                             "firms": [{"id": "f", "name": "F", "events": events}]})
    assert derive_summary(study.firm("f"))["time_period"] == "2022 to 2024-09 (about 2 years)"
