"""Renewal diagnostic: where a firm stands on Jones & Macpherson's (2006)
renewal path, what a consultant should look at, and the Table 7 actions as a
checklist. Everything here is derived from the study and two data files,
never stored:

- ``resources/renewal/rules.json``: the findings rules. Each rule is an id,
  a condition in a small declarative vocabulary (below), a message, the
  reason it matters, the paper's basis, one plain sentence for a client,
  and what to do about it: the ids of the Table 7 actions that address it
  (``actions``) and/or a plain sentence of advice (``advice``).
  ``docs/renewal.md`` is the consultant's guide to it.
- ``resources/renewal/actions.json``: the Table 7 actions, each with a
  stable id, the phase it belongs to, who leads it (the owner-manager or the
  facilitator) and its text in our words.

An event belongs to the phase its ``phase`` field names. An event without a
phase (or with a phase this workbench does not know) belongs to no phase: it
is listed apart (``Diagnosis.unphased``), counts towards no phase's dates,
sources or routines, and the ``events_without`` rule can point it out.
"Before" and "after" follow the order of the firm's events, which the
format keeps chronological.

Conditions: a condition is a JSON object with exactly one test key and,
optionally, modifiers.

Tests:
    ``missing_phase: P``           no event in phase P (with ``after_phase: Q``:
                                   none after the firm's first event of phase Q;
                                   the rule then only applies when Q happened)
    ``without: WHAT``              the events of ``phase`` (required) have none
                                   with WHAT (or with any of a list of them):
                                   ``source_kind:KIND`` (a source of that kind),
                                   with WHAT: ``external_source``, ``source``,
                                   ``routine``, ``evidence``, ``date``,
                                   ``learning_type``, ``stage``
    ``without_stage: S``           no event of ``phase`` (required) is coded to stage S;
                                   with ``without`` too, no event has either
    ``no_flow: F``                 no link of the firm carries flow F
                                   (``feed_forward``, ``feedback``, ``within``)
    ``single_learning_type: true`` every event with a learning type has the same
                                   single one
    ``events_without: "phase"``    some events have no phase
Modifiers:
    ``phase: P``       the phase the ``without`` tests look at (only applies
                       when the firm has events in P)
    ``after_phase: Q`` see ``missing_phase``
    ``min_events: n``  the rule applies only to firms with at least n events

Messages may use ``{phase}``, ``{after_phase}``, ``{missing_phase}``,
``{stage}``, ``{type}``, ``{flow}``, ``{count}``, ``{events}`` ("3 events")
and ``{links}`` ("1 link").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import InputError, WorkbenchError
from .frameworks import all_stages, resources_dir, vocabulary
from .model import Event, Evidence, Firm, Routine, Source, Study

SEVERITIES = ("concern", "note")
STATUSES = ("done", "planned", "not_relevant")
WHO = ("owner-manager", "facilitator")

_TESTS = ("missing_phase", "without", "without_stage", "no_flow", "single_learning_type",
          "events_without")
_MODIFIERS = ("phase", "after_phase", "min_events")
_WITHOUT = ("external_source", "source", "routine", "evidence", "date", "learning_type", "stage")
_KIND = "source_kind:"  # without: "source_kind:KIND", a source of that kind
_RULE_KEYS = ("id", "severity", "condition", "message", "reason", "citation", "plain", "actions", "advice")


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Rule:
    id: str
    condition: dict
    message: str
    reason: str
    citation: str
    plain: str
    severity: str = "concern"
    actions: tuple[str, ...] = ()  # ids of the Table 7 actions that address the finding
    advice: str = ""  # what to do, in one plain sentence


@dataclass(frozen=True)
class Action:
    """One action of the checklist: of Table 7 (``own`` False) or the
    consultant's own for a firm (``own`` True: no phase, no who)."""

    id: str
    phase: str | None
    who: str | None
    text: str
    own: bool = False
    table7: str | None = None  # the row of Table 7 it comes from


@dataclass
class PhaseView:
    id: str
    label: str
    events: list[Event] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    routines: list[Routine] = field(default_factory=list)
    evidence: list[tuple[str, Evidence]] = field(default_factory=list)
    start: str | None = None  # earliest event date in the phase
    end: str | None = None  # latest event date in the phase

    @property
    def span(self) -> str:
        """The phase's time in words: its dates, else the first and last
        events' 'when' ("late 1990s – year 1"), else ""."""
        if self.start:
            # an undated event at either end (its 'when' only) stretches the span to its words
            first, last = self.events[0], self.events[-1]
            start = first.when if not first.date and first.when else self.start
            end = last.when if not last.date and last.when else self.end
            return start if start == end else f"{start} – {end}"
        whens = [e.when for e in self.events if e.when]
        if not whens:
            return ""
        return whens[0] if whens[0] == whens[-1] else f"{whens[0]} – {whens[-1]}"


@dataclass
class Finding:
    id: str
    severity: str
    message: str
    reason: str
    citation: str
    events: list[str]
    plain: str
    actions: list[str] = field(default_factory=list)  # ids of the Table 7 actions that address it
    advice: str = ""  # what to do, in one plain sentence ("" if the rule gives actions only)


@dataclass
class Diagnosis:
    firm_id: str
    phases: list[PhaseView]
    findings: list[Finding]
    unphased: list[Event] = field(default_factory=list)  # events in no phase, in order
    firm: Firm | None = None  # the firm read

    def phase(self, phase_id: str) -> PhaseView | None:
        return next((p for p in self.phases if p.id == phase_id), None)


@dataclass
class Item:
    action: Action
    entry: dict | None


@dataclass
class FirmRow:
    firm_id: str
    name: str
    phases: dict[str, tuple[str | None, str | None, int]]
    incident: str | None
    findings: list[Finding]
    incident_event: str | None = None  # id of the critical incident's event
    incident_when: str | None = None  # its time label (date or 'when')
    spans: dict[str, str] = field(default_factory=dict)  # phase id -> PhaseView.span


def _read_json(path: Path) -> object:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise WorkbenchError(f"{path}: no such file") from None
    except OSError as exc:
        raise WorkbenchError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON: {exc}") from None


def phase_ids() -> tuple[str, ...]:
    """The renewal phases in order."""
    terms = sorted(vocabulary().phases, key=lambda t: t.extra.get("order", 0))
    return tuple(t.id for t in terms)


def _known_what(what: object) -> bool:
    if not isinstance(what, str):
        return False
    if what.startswith(_KIND):
        return what[len(_KIND):] in vocabulary().ids("source_kinds")
    return what in _WITHOUT


def _check_condition(cond: object, where: str) -> None:
    if not isinstance(cond, dict):
        raise InputError(f"{where}: 'condition' should be an object such as "
                         f'{{"phase": "opening_up", "without": "external_source"}}')
    unknown = [k for k in cond if k not in _TESTS + _MODIFIERS]
    if unknown:
        raise InputError(f"{where}: unknown condition key {unknown[0]!r}; a condition uses "
                         f"one of {', '.join(_TESTS)}, with {', '.join(_MODIFIERS)} as modifiers")
    # without and without_stage together are one test: no event has either
    tests = [k for k in cond if k in _TESTS and not (k == "without_stage" and "without" in cond)]
    if len(tests) != 1:
        raise InputError(f"{where}: a condition needs exactly one test of {', '.join(_TESTS)}"
                         + (f" (it has {', '.join(tests)})" if tests else ""))
    test = tests[0]
    phases = phase_ids()
    for key in ("phase", "after_phase", "missing_phase"):
        if key in cond and cond[key] not in phases:
            raise InputError(f"{where}: {key} {cond[key]!r} is not a phase; the phases are "
                             f"{', '.join(phases)}")
    if test in ("without", "without_stage") and "phase" not in cond:
        raise InputError(f"{where}: {test!r} needs a 'phase' to look at")
    if "after_phase" in cond and test != "missing_phase":
        raise InputError(f"{where}: 'after_phase' goes with 'missing_phase' only")
    if "phase" in cond and test not in ("without", "without_stage"):
        raise InputError(f"{where}: 'phase' goes with 'without' or 'without_stage' only")
    whats = cond.get("without")
    whats = whats if isinstance(whats, list) and whats else [whats]
    bad = next((w for w in whats if not _known_what(w)), None) if "without" in cond else None
    if bad is not None or ("without" in cond and cond["without"] == []):
        raise InputError(f"{where}: without {bad!r} is not known; use one of "
                         f"{', '.join(_WITHOUT)}, or source_kind:KIND (a kind of source)")
    if "without_stage" in cond and not (isinstance(cond["without_stage"], str)
                                        and cond["without_stage"] in all_stages()):
        raise InputError(f"{where}: without_stage {cond['without_stage']!r} is not a stage; the "
                         f"stages are {', '.join(all_stages())}")
    if test == "no_flow" and cond["no_flow"] not in ("feed_forward", "feedback", "within"):
        raise InputError(f"{where}: no_flow {cond['no_flow']!r} is not a flow; use feed_forward, "
                         f"feedback or within")
    if test == "single_learning_type" and cond[test] is not True:
        raise InputError(f"{where}: single_learning_type takes true")
    if test == "events_without" and cond[test] != "phase":
        raise InputError(f"{where}: events_without takes \"phase\"")
    if "min_events" in cond and not (isinstance(cond["min_events"], int)
                                     and not isinstance(cond["min_events"], bool)
                                     and cond["min_events"] >= 0):
        raise InputError(f"{where}: min_events should be a whole number, 0 or more")


def parse_rules(data: object, path: str) -> list[Rule]:
    """Rules from the decoded content of a rules file (``{"rules": [...]}``);
    ``InputError`` naming the file and the rule for anything wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise InputError(f"{path}: should hold an object with a list 'rules'")
    out: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["rules"]):
        rid = raw.get("id") if isinstance(raw, dict) else None
        where = f"{path}: rule {rid!r}" if isinstance(rid, str) else f"{path}: rules[{i}]"
        if not isinstance(raw, dict):
            raise InputError(f"{where}: should be an object")
        unknown = [k for k in raw if k not in _RULE_KEYS and not k.startswith("x-")]
        if unknown:
            raise InputError(f"{where}: unknown key {unknown[0]!r}; a rule has "
                             f"{', '.join(_RULE_KEYS)}")
        for key in ("id", "message", "reason", "citation", "plain"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise InputError(f"{where}: {key!r} is missing or empty")
        if rid in seen:
            raise InputError(f"{where}: the id is used twice")
        seen.add(rid)
        severity = raw.get("severity", "concern")
        if severity not in SEVERITIES:
            raise InputError(f"{where}: severity {severity!r} should be 'concern' or 'note'")
        _check_condition(raw.get("condition"), where)
        todo = raw.get("actions", [])
        if not isinstance(todo, list) or not all(isinstance(a, str) for a in todo):
            raise InputError(f"{where}: 'actions' should be a list of action ids such as "
                             f'["seek_outside_help"] (the ids of resources/renewal/actions.json)')
        known = [a.id for a in actions()]
        bad = next((a for a in todo if a not in known), None)
        if bad is not None:
            raise InputError(f"{where}: action {bad!r} is not a Table 7 action; the actions are "
                             f"{', '.join(known)}")
        if len(set(todo)) != len(todo):
            raise InputError(f"{where}: 'actions' names an action twice")
        advice = raw.get("advice", "")
        if not isinstance(advice, str) or ("advice" in raw and not advice.strip()):
            raise InputError(f"{where}: 'advice' should be a sentence saying what to do")
        sample = _Values({"phase": "P", "after_phase": "P", "missing_phase": "P", "stage": "S",
                          "type": "T", "flow": "F", "count": 2})
        for key in ("message", "reason", "plain") + (("advice",) if advice else ()):
            try:
                raw[key].format_map(sample)
            except (ValueError, IndexError, KeyError, AttributeError, TypeError) as exc:
                raise InputError(f"{where}: the {key} cannot be filled in ({exc}); placeholders are "
                                 f"written {{phase}}, {{events}} ...; write {{{{ and }}}} for a brace")
        out.append(Rule(rid, dict(raw["condition"]), raw["message"], raw["reason"],
                        raw["citation"], raw["plain"], severity, tuple(todo), advice.strip()))
    return out


def load_rules(path: str | Path | None = None) -> list[Rule]:
    """The rules of a rules file (the workbench's own by default)."""
    if path is None:
        return list(_default_rules(str(resources_dir())))
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such rules file")
    return parse_rules(_read_json(path), str(path))


@lru_cache(maxsize=2)
def _default_rules(folder: str) -> tuple[Rule, ...]:
    path = Path(folder) / "renewal" / "rules.json"
    return tuple(parse_rules(_read_json(path), str(path)))


def parse_actions(data: object, path: str) -> list[Action]:
    if not isinstance(data, dict) or not isinstance(data.get("actions"), list):
        raise InputError(f"{path}: should hold an object with a list 'actions'")
    out, seen, phases = [], set(), phase_ids()
    for i, raw in enumerate(data["actions"]):
        where = f"{path}: actions[{i}]"
        if not isinstance(raw, dict):
            raise InputError(f"{where}: should be an object")
        for key in ("id", "phase", "who", "text"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise InputError(f"{where}: {key!r} is missing or empty")
        if raw["id"] in seen:
            raise InputError(f"{where}: the id {raw['id']!r} is used twice")
        seen.add(raw["id"])
        if raw["phase"] not in phases:
            raise InputError(f"{where}: phase {raw['phase']!r} is not one of {', '.join(phases)}")
        if raw["who"] not in WHO:
            raise InputError(f"{where}: who {raw['who']!r} should be one of {', '.join(WHO)}")
        out.append(Action(raw["id"], raw["phase"], raw["who"], raw["text"], False, raw.get("table7")))
    order = {p: n for n, p in enumerate(phases)}
    out.sort(key=lambda a: order[a.phase])  # stable: file order within a phase
    return out


def actions() -> list[Action]:
    """The Table 7 actions, phase by phase."""
    return list(_actions(str(resources_dir())))


@lru_cache(maxsize=2)
def _actions(folder: str) -> tuple[Action, ...]:
    path = Path(folder) / "renewal" / "actions.json"
    return tuple(parse_actions(_read_json(path), str(path)))


def action_ids() -> set[str]:
    return {a.id for a in actions()}


# ---------------------------------------------------------------- diagnosis


def _phase_of(event: Event, known: tuple[str, ...]) -> str | None:
    return event.phase if event.phase in known else None


def phase_views(firm: Firm) -> tuple[list[PhaseView], list[Event]]:
    """The firm's phases in order, each with its events and what they name;
    and the events that belong to no phase."""
    voc = vocabulary()
    known = phase_ids()
    views = {p: PhaseView(p, voc.label("phases", p)) for p in known}
    unphased: list[Event] = []
    for ev in firm.event_list:
        phase = _phase_of(ev, known)
        if phase is None:
            unphased.append(ev)
            continue
        view = views[phase]
        view.events.append(ev)
        for evi in ev.evidence or ():
            view.evidence.append((ev.id, evi))
    for view in views.values():
        named_s = {s for e in view.events for s in (e.sources or ())}
        named_r = {r for e in view.events for r in (e.routines or ())}
        view.sources = [s for s in firm.source_list if s.id in named_s]
        view.routines = [r for r in firm.routine_list if r.id in named_r]
        dates = sorted(e.date for e in view.events if e.date)
        if dates:
            view.start, view.end = dates[0], dates[-1]
    return [views[p] for p in known], unphased


def _has(firm: Firm, ev: Event, what: str) -> bool:
    if what.startswith(_KIND):
        kind = what[len(_KIND):]
        return any((s := firm.source(sid)) is not None and s.kind == kind for sid in ev.sources or ())
    if what == "external_source":
        return any((s := firm.source(sid)) is not None and s.is_external for sid in ev.sources or ())
    if what == "source":
        return bool(ev.sources)
    if what == "routine":
        return bool(ev.routines)
    if what == "evidence":
        return bool(ev.evidence)
    if what == "date":
        return bool(ev.date or ev.when)
    if what == "learning_type":
        return bool(ev.learning_types)
    if what == "stage":
        return bool(ev.stages)
    raise ValueError(what)


class _Values(dict):
    """Placeholders of a message; an unknown one stays as written.
    ``{events}`` and ``{links}`` say the count with its noun."""

    def __missing__(self, key: str) -> str:
        if key in ("events", "links") and "count" in self:
            n = self["count"]
            return f"{n} {key[:-1]}" + ("" if n == 1 else "s")
        return "{" + key + "}"


def _test(rule: Rule, firm: Firm, views: dict[str, PhaseView], unphased: list[Event]
          ) -> tuple[bool, list[str], dict]:
    """Whether the rule fires for the firm, the events it concerns and the
    values for its message."""
    from .analysis import firm_links  # the flows of the firm's links

    cond = rule.condition
    voc = vocabulary()
    events = firm.event_list
    values: dict = {k: voc.label("phases", cond[k]) for k in ("phase", "after_phase", "missing_phase")
                    if k in cond}
    if len(events) < cond.get("min_events", 1):
        return False, [], values
    if "missing_phase" in cond:
        target = cond["missing_phase"]
        if "after_phase" in cond:
            first = next((i for i, e in enumerate(events) if e.phase == cond["after_phase"]), None)
            if first is None:
                return False, [], values
            later = [e for e in events[first + 1:] if e.phase == target]
            trigger = [e.id for e in events if e.phase == cond["after_phase"]]
            return not later, trigger, values
        return not views[target].events, [], values
    if "without" in cond or "without_stage" in cond:
        view = views[cond["phase"]]
        if not view.events:
            return False, [], values
        whats = cond.get("without", [])
        whats = whats if isinstance(whats, list) else [whats]
        stage = cond.get("without_stage")
        if stage is not None:
            values["stage"] = all_stages()[stage].label if stage in all_stages() else stage
        hit = not any(any(_has(firm, e, w) for w in whats) or (stage is not None and stage in (e.stages or ()))
                      for e in view.events)
        values["count"] = len(view.events)
        return hit, [e.id for e in view.events], values
    if "no_flow" in cond:
        flows = [ln.flow for ln in firm_links(firm) if ln.flow]
        values["flow"] = voc.label("flows", cond["no_flow"])
        values["count"] = len(flows)
        return bool(flows) and cond["no_flow"] not in flows, [], values
    if "single_learning_type" in cond:
        typed = [e for e in events if e.learning_types]
        kinds = {t for e in typed for t in e.learning_types}
        if len(kinds) == 1:
            kind = next(iter(kinds))
            values["type"] = voc.label("learning_types", kind)
            values["count"] = len(typed)
            return True, [e.id for e in typed], values
        return False, [], values
    if "events_without" in cond:
        values["count"] = len(unphased)
        return bool(unphased), [e.id for e in unphased], values
    raise ValueError(f"rule {rule.id!r}: no test")  # parse_rules lets none through


def findings_for(firm: Firm, views: list[PhaseView], unphased: list[Event],
                 rules: list[Rule] | None = None) -> list[Finding]:
    by_id = {v.id: v for v in views}
    out = []
    for rule in load_rules() if rules is None else rules:
        hit, events, values = _test(rule, firm, by_id, unphased)
        if hit:
            fill = _Values(values)
            out.append(Finding(rule.id, rule.severity, rule.message.format_map(fill),
                               rule.reason.format_map(fill), rule.citation, events,
                               rule.plain.format_map(fill), list(rule.actions),
                               rule.advice.format_map(fill)))
    return out


def _firm(study: Study, firm: str | Firm) -> Firm:
    if isinstance(firm, Firm):
        return firm
    found = study.firm(firm)
    if found is None:
        known = ", ".join(f.id for f in study.firms) or "(none)"
        raise InputError(f"no firm {firm!r} in this study; its firms are: {known}")
    return found


def diagnose(study: Study, firm: str | Firm, rules: list[Rule] | None = None) -> Diagnosis:
    """The firm's phases in order and the findings of the rules
    (``rules.json`` unless given)."""
    f = _firm(study, firm)
    views, unphased = phase_views(f)
    return Diagnosis(f.id, views, findings_for(f, views, unphased, rules), unphased, f)


def checklist(study: Study, firm: str | Firm) -> list[Item]:
    """The Table 7 actions phase by phase, each with what the firm's
    ``actions`` say of it (None: not yet set), then the consultant's own
    actions for the firm in the order they were added."""
    f = _firm(study, firm)
    entries = {a.id: a.to_dict() for a in f.action_list}
    out = [Item(a, entries.pop(a.id, None)) for a in actions()]
    for aid, entry in entries.items():
        out.append(Item(Action(aid, None, None, entry.get("text") or "", True), entry))
    return out


def action_numbers(items: list[Item]) -> dict[str, int]:
    """The checklist's numbers, from 1 in its order (Table 7 phase by
    phase, then the firm's own actions): how the command line, the window
    and the client report name an action."""
    return {it.action.id: n for n, it in enumerate(items, 1)}


def finding_items(finding: Finding, items: list[Item]) -> list[tuple[int, Item]]:
    """The checklist items of the actions a finding's rule names, in the
    rule's order, each with its number in the checklist."""
    numbers = action_numbers(items)
    by_id = {it.action.id: it for it in items}
    return [(numbers[a], by_id[a]) for a in finding.actions if a in by_id]


def incident_event(firm: Firm) -> Event | None:
    """The event that set the renewal going: the first event of the
    critical-incident phase (the first phase of the vocabulary) flagged
    critical, else the first of that phase, else the first event flagged
    critical."""
    first = phase_ids()[0]
    phase = [e for e in firm.event_list if e.phase == first]
    return (next((e for e in phase if e.is_critical), None) or (phase[0] if phase else None)
            or next((e for e in firm.event_list if e.is_critical), None))


def cross_firm(study: Study, rules: list[Rule] | None = None) -> list[FirmRow]:
    """One row per firm: each phase's dates and number of events, the
    critical incident and the findings."""
    rows = []
    rules = load_rules() if rules is None else rules
    for f in study.firms:
        d = diagnose(study, f, rules)
        inc = incident_event(f)
        rows.append(FirmRow(
            f.id, f.name, {p.id: (p.start, p.end, len(p.events)) for p in d.phases},
            inc.date if inc else None, d.findings, inc.id if inc else None,
            inc.time_label() if inc else None, {p.id: p.span for p in d.phases}))
    return rows


# ---------------------------------------------------------------- JSON shape


def diagnosis_json(firm: Firm, diagnosis: Diagnosis, items: list[Item]) -> dict:
    """The shape of ``workbench renewal --json`` (docs/renewal.md)."""
    def event(e: Event) -> dict:
        return {"id": e.id, "title": e.title, "date": e.date, "when": e.when,
                "critical": e.is_critical}

    def todo(f: Finding) -> list[dict]:
        return [{"id": it.action.id, "number": n, "text": it.action.text,
                 "status": (it.entry or {}).get("status")} for n, it in finding_items(f, items)]

    return {
        "firm": {"id": firm.id, "name": firm.name},
        "phases": [{
            "id": p.id, "label": p.label, "start": p.start, "end": p.end, "span": p.span,
            "events": [event(e) for e in p.events],
            "sources": [{"id": s.id, "name": s.name, "kind": s.kind, "external": s.is_external}
                        for s in p.sources],
            "routines": [{"id": r.id, "name": r.name} for r in p.routines],
            "evidence": [{"event": eid, "quote": ev.quote, "speaker": ev.speaker,
                          "document": ev.document} for eid, ev in p.evidence],
        } for p in diagnosis.phases],
        "unphased": [event(e) for e in diagnosis.unphased],
        "findings": [{"id": f.id, "severity": f.severity, "message": f.message,
                      "reason": f.reason, "citation": f.citation, "events": f.events,
                      "plain": f.plain, "advice": f.advice or None, "actions": todo(f)}
                     for f in diagnosis.findings],
        "checklist": [{"number": n, "id": it.action.id, "phase": it.action.phase, "who": it.action.who,
                       "text": it.action.text, "own": it.action.own,
                       "status": (it.entry or {}).get("status"),
                       "entry": it.entry} for n, it in enumerate(items, 1)],
    }


def cross_firm_table(rows: list[FirmRow]) -> tuple[list[str], list[list[str]]]:
    """The firms side by side as text cells, for the command line, the
    window and the Word tables: a header (Firm, the phases, Findings) and
    one row per firm. A phase cell holds its time (dates, else the events'
    'when') and its number of events, or "–" when the firm has none in it;
    the findings cell lists the findings' messages, concerns first."""
    voc = vocabulary()
    header = ["Firm"] + [voc.label("phases", p) for p in phase_ids()] + ["Findings"]
    out = []
    for row in rows:
        cells = [row.name]
        for p in phase_ids():
            n = row.phases.get(p, (None, None, 0))[2]
            span = row.spans.get(p, "")
            cells.append("–" if not n else f"{span} ({n} event{'s' if n != 1 else ''})" if span
                         else f"{n} event{'s' if n != 1 else ''}")
        ordered = sorted(row.findings, key=lambda f: SEVERITIES.index(f.severity))
        cells.append("\n".join(("Concern: " if f.severity == "concern" else "Note: ") + f.message
                               for f in ordered) or "none")
        out.append(cells)
    return header, out
