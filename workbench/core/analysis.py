"""What the study says in numbers: the flow of each link (feed-forward,
feedback, within stage), the stage x learning-type matrix, and counts per
stage, level, phase, learning type and source kind, per firm and across
firms. Everything here is derived, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from .coding import NarrowedFirm
from .errors import WorkbenchError
from .frameworks import Framework, all_stages, vocabulary
from .model import Event, Firm, Study

FEED_FORWARD = "feed_forward"
FEEDBACK = "feedback"
WITHIN = "within"
FLOWS = (FEED_FORWARD, FEEDBACK, WITHIN)


def stage_order(stage_id: str | None) -> int | None:
    stage = all_stages().get(stage_id or "")
    return stage.order if stage else None


def flow_between(source: Event, target: Event) -> str | None:
    """Compare the primary stages' order: higher in the target is
    feed-forward, lower is feedback, equal is within stage. No flow when
    either event has no stage."""
    return stage_flow(source.primary_stage, target.primary_stage)


def stage_flow(source: str | None, target: str | None) -> str | None:
    """The flow from one stage to another (None when either is not a stage)."""
    a, b = stage_order(source), stage_order(target)
    if a is None or b is None:
        return None
    if b > a:
        return FEED_FORWARD
    if b < a:
        return FEEDBACK
    return WITHIN


@dataclass(frozen=True)
class FlowLink:
    source: str  # event id
    target: str  # event id
    flow: str | None
    explicit: bool
    label: str | None = None


def firm_links(firm: Firm) -> list[FlowLink]:
    """The firm's explicit links with their flows; in a firm with no links,
    each listed event leads to the next. A firm narrowed to a code
    (``coding.NarrowedFirm``) keeps to the links of the whole firm."""
    events = {e.id: e for e in firm.event_list}
    out: list[FlowLink] = []
    if firm.link_list or (isinstance(firm, NarrowedFirm) and firm.had_links):
        for ln in firm.link_list:
            a, b = events.get(ln.from_), events.get(ln.to)
            flow = flow_between(a, b) if a and b else None
            out.append(FlowLink(ln.from_, ln.to, flow, True, ln.label))
        return out
    ev = firm.event_list
    for a, b in zip(ev, ev[1:]):
        out.append(FlowLink(a.id, b.id, flow_between(a, b), False))
    return out


def _zeros(keys) -> dict[str, int]:
    return {k: 0 for k in keys}


def firm_counts(firm: Firm, fw: Framework) -> dict:
    """Counts for one firm, in the shape of ``stats --json``."""
    voc = vocabulary()
    stages = _zeros(fw.stage_ids)
    levels = _zeros(fw.level_ids)
    phases = _zeros(voc.ids("phases"))
    types = _zeros(voc.ids("learning_types"))
    kinds = _zeros(voc.ids("source_kinds"))
    matrix = {s: _zeros(voc.ids("learning_types")) for s in fw.stage_ids}
    flows = _zeros(FLOWS)

    for e in firm.event_list:
        for s in e.stages or ():
            stages[s] = stages.get(s, 0) + 1
        for t in e.learning_types or ():
            types[t] = types.get(t, 0) + 1
        level = e.effective_level()
        if level:
            levels[level] = levels.get(level, 0) + 1
        if e.phase:
            phases[e.phase] = phases.get(e.phase, 0) + 1
        ps, pt = e.primary_stage, e.primary_learning_type
        if ps and pt:
            row = matrix.setdefault(ps, _zeros(voc.ids("learning_types")))
            row[pt] = row.get(pt, 0) + 1
    for src in firm.source_list:
        kinds[src.kind] = kinds.get(src.kind, 0) + 1
    for link in firm_links(firm):
        if link.flow:
            flows[link.flow] += 1
    return {
        "events": len(firm.event_list),
        "stages": stages,
        "levels": levels,
        "phases": phases,
        "learning_types": types,
        "source_kinds": kinds,
        "matrix": matrix,
        "flows": flows,
    }


def _add(total: dict, part: dict) -> None:
    for key, value in part.items():
        if isinstance(value, dict):
            _add(total.setdefault(key, {}), value)
        else:
            total[key] = total.get(key, 0) + value


def study_stats(study: Study, firm_ids: list[str] | None = None) -> dict:
    """``{"study": counts over the chosen firms, "firms": {id: counts}}``."""
    fw = study.framework_def()
    chosen = [f for f in study.firms if firm_ids is None or f.id in firm_ids]
    per_firm = {f.id: firm_counts(f, fw) for f in chosen}
    total = firm_counts(Firm(id="", name=""), fw)  # all keys, zeros
    for counts in per_firm.values():
        _add(total, counts)
    return {"study": total, "firms": per_firm}


def dominant_learning_type(firm: Firm) -> str | None:
    """The learning type the firm's events name most often (primary types
    weigh double); None when no event names one."""
    score: dict[str, int] = {}
    order = vocabulary().ids("learning_types")
    for e in firm.event_list:
        for i, t in enumerate(e.learning_types or ()):
            score[t] = score.get(t, 0) + (2 if i == 0 else 1)
    if not score:
        return None
    return max(score, key=lambda t: (score[t], -order.index(t) if t in order else 0))



# --------------------------------------------------------------------------- derived summary


def _top(counts: dict[str, int], n: int = 3) -> list[str]:
    return [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], list(counts).index(kv[0])))[:n]]


def _names(firm: Firm, source_ids: list[str]) -> list[str]:
    return [firm.source(s).name for s in source_ids if firm.source(s)]


def _period(firm: Firm) -> str | None:
    dated = [e.date for e in firm.event_list if e.date]
    if len(dated) >= 2:
        # a bare year ("2023") says less than a full date in the same year: the full one bounds the period
        first = min(dated, key=lambda d: d.ljust(10, "~"))
        last = max(dated, key=lambda d: d.ljust(10, "!"))
        if first[:4] != last[:4] or len(first) > 4:
            y0, y1 = int(first[:4]), int(last[:4])
            m0 = int(first[5:7]) if len(first) >= 7 else None
            m1 = int(last[5:7]) if len(last) >= 7 else None
            if m0 and m1:
                months = (y1 - y0) * 12 + (m1 - m0)
                span = f"about {months} months" if months < 24 else f"about {round(months / 12)} years"
            else:
                span = f"about {y1 - y0} year{'s' if y1 - y0 != 1 else ''}"
            return f"{first} to {last} ({span})"
        return first[:4]
    whens = [e.when for e in firm.event_list if e.when]
    if whens:
        return whens[0] if len(whens) == 1 or whens[0] == whens[-1] else f"{whens[0]} to {whens[-1]}"
    return None


def _count(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


def _selected(events: list[Event], rule: dict) -> list[Event]:
    """The events a rule looks at: those that are critical (``critical``),
    or in one of its ``phases``, or coded with one of its ``stages`` or
    ``learning_types``; every event when it names none of these."""
    phases, stages, types = (set(rule.get(k, ())) for k in ("phases", "stages", "learning_types"))
    critical = rule.get("critical", False)
    if not (critical or phases or stages or types):
        return list(events)
    return [e for e in events
            if (critical and e.is_critical) or e.phase in phases
            or stages.intersection(e.stages or ()) or types.intersection(e.learning_types or ())]


def _summary_events(firm: Firm, rule: dict) -> str | None:
    """The titles of the critical events; without any, the first event of
    the rule's ``otherwise_phases`` (the critical-incident phase)."""
    events = firm.event_list
    titles = [e.title for e in events if e.is_critical] or \
        [e.title for e in events if e.phase in rule.get("otherwise_phases", ())][:1]
    return "; ".join(titles) or None


def _summary_sources(firm: Firm, rule: dict) -> str | None:
    """The sources most often involved in the rule's events, external ones
    only (``external``) or those of the rule's ``source_kinds``."""
    kinds = set(rule.get("source_kinds", ()))
    counts: dict[str, int] = {}
    for e in _selected(firm.event_list, rule):
        for sid in e.sources or ():
            src = firm.source(sid)
            if src is None or (rule.get("external") and not src.is_external) or (kinds and src.kind not in kinds):
                continue
            _count(counts, sid)
    return ", ".join(_names(firm, _top(counts, rule.get("top", 3)))) or None


def _summary_routines(firm: Firm, rule: dict) -> str | None:
    """The routines the rule's events built most often."""
    counts: dict[str, int] = {}
    for e in _selected(firm.event_list, rule):
        for rid in e.routines or ():
            if firm.routine(rid):
                _count(counts, rid)
    return "; ".join(firm.routine(r).name for r in _top(counts, rule.get("top", 3))) or None


def _summary_knowledge_types(firm: Firm, rule: dict) -> str | None:
    """The kinds of knowledge the rule's events name most often."""
    counts: dict[str, int] = {}
    for e in _selected(firm.event_list, rule):
        for k in e.knowledge_types or ():
            _count(counts, k)
    voc = vocabulary()
    return ", ".join(voc.label("knowledge_types", k) for k in _top(counts, rule.get("top", 3))) or None


def _summary_period(firm: Firm, rule: dict) -> str | None:
    return _period(firm)


def _summary_learning_type(firm: Firm, rule: dict) -> str | None:
    """The dominant learning type, with the others the events name."""
    dominant = dominant_learning_type(firm)
    if not dominant:
        return None
    voc = vocabulary()
    term = voc.term("learning_types", dominant)
    others = sorted({t for e in firm.event_list for t in e.learning_types or () if t != dominant},
                    key=voc.ids("learning_types").index)
    text = f"{term.label} ({term.extra.get('short', '')})"
    if others:
        text += ", with " + " and ".join(voc.label("learning_types", t).lower() for t in others)
    return text


# The rules a summary field's "derived_from" (vocabulary.json) can name.
_SUMMARY_RULES = {
    "events": _summary_events,
    "sources": _summary_sources,
    "routines": _summary_routines,
    "knowledge_types": _summary_knowledge_types,
    "period": _summary_period,
    "learning_type": _summary_learning_type,
}


def derive_summary(firm: Firm) -> dict[str, str]:
    """Suggestions for the researcher's cross-case summary, read from the
    coded events: for each summary field that the data can speak to, a
    short text. Which events, sources and routines speak to a field is the
    field's ``derived_from`` in vocabulary.json. Shown beside empty fields in
    the GUI and used, marked as derived, in reports."""
    out: dict[str, str] = {}
    for term in vocabulary().summary_fields:
        rule = term.extra.get("derived_from")
        if rule is None:
            continue
        derive = _SUMMARY_RULES.get(rule.get("rule"))
        if derive is None:
            raise WorkbenchError(f"vocabulary.json: summary field {term.id!r} is derived by rule "
                                 f"{rule.get('rule')!r}, which the workbench does not have "
                                 f"(it has {', '.join(_SUMMARY_RULES)})")
        text = derive(firm, rule)
        if text:
            out[term.id] = text
    return out
