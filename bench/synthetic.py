"""A seeded synthetic study in the exchange format, for the bench scripts."""

from __future__ import annotations

import random

STAGES = ["intuiting", "interpreting", "integrating", "institutionalising", "intertwining"]
TYPES = ["normative", "mimetic", "coercive"]
PHASES = ["critical_incident", "opening_up", "knowledge_sharing", "institutionalisation"]
KINDS = ["customer", "supplier", "college", "consultant", "university", "government_agency",
         "new_recruit", "internal_staff", "owner_manager"]
WORDS = ("audit customer supplier college consultant meeting committee training quality "
         "scheduling procedure idea form review visit programme pressure contract shop floor "
         "design product lean kanban team manager owner").split()


def _month(e: int, events: int) -> str:
    """Dates from 1900 on, never decreasing, over at most a century."""
    index = e * 1200 // max(events, 1)
    return f"{1900 + index // 12:04d}-{index % 12 + 1:02d}"


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def study(firms: int = 200, events: int = 50, sources: int = 10, routines: int = 5,
          seed: int = 1) -> dict:
    rng = random.Random(seed)
    doc_text = " ".join(words(rng, 12) + "." for _ in range(200))
    out_firms = []
    for f in range(firms):
        srcs = [{"id": f"s{i}", "name": f"Source {i} {words(rng, 2)}", "kind": rng.choice(KINDS)}
                for i in range(sources)]
        rts = [{"id": f"r{i}", "name": f"Routine {i}", "activity": words(rng, 10),
                "outcome": words(rng, 8), "sources": rng.sample([s["id"] for s in srcs], 2)}
               for i in range(routines)]
        evs = []
        for e in range(events):
            st = rng.sample(STAGES, rng.randint(1, 2))
            start = rng.randrange(0, len(doc_text) - 40)
            ev = {"id": f"e{e}", "title": words(rng, 5).capitalize(),
                  "description": words(rng, 30), "date": _month(e, events),
                  "phase": PHASES[min(3, e * 4 // events)], "stages": st,
                  "learning_types": rng.sample(TYPES, rng.randint(1, 2)),
                  "sources": rng.sample([s["id"] for s in srcs], 2),
                  "routines": rng.sample([r["id"] for r in rts], 1),
                  "evidence": [{"quote": doc_text[start:start + 40], "speaker": "Owner",
                                "document": "d1", "start": start, "end": start + 40}]}
            if e == 0:
                ev["critical"] = True
            evs.append(ev)
        out_firms.append({"id": f"firm{f}", "name": f"Firm {f}", "profile": {"employees": rng.randint(5, 250)},
                          "sources": srcs, "routines": rts, "events": evs})
    return {"format": "lpw-study", "version": 1, "title": "Synthetic study", "framework": "5I",
            "documents": [{"id": "d1", "name": "Interview", "text": doc_text}], "firms": out_firms}
