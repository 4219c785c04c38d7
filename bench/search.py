"""How long does a phrase search across a study's documents take?

50 generated interview transcripts of 10,000 words each (about 3 MB: one
speaker's turn per line, curly apostrophes, dashes, the odd emoji), searched
for a phrase as the window does: ignoring case, tolerant of quotes, dashes and
line breaks, with keyword-in-context hits and a speaker for each. The study's
Corpus is kept between searches, as the window keeps it; the first search,
which folds every document, is reported apart. Prints, last:

    search: S      median seconds of a phrase search (goal: S < 0.2)

    python bench/search.py [--runs 21]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.core.anchor import Corpus
from workbench.core.search import search

VOCABULARY = [
    "we", "the", "a", "and", "to", "of", "it", "was", "that", "in", "they", "had", "so",
    "but", "for", "you", "with", "on", "our", "just", "then", "what", "customer",
    "supplier", "college", "consultant", "meeting", "committee", "training", "quality",
    "system", "audit", "scheduling", "procedure", "idea", "form", "review", "visit",
    "programme", "pressure", "contract", "shop", "floor", "design", "product", "lean",
    "kanban", "team", "manager", "owner", "export", "market", "machine", "order", "staff",
    "really", "know", "think", "said", "came", "started", "bought", "new", "used",
    "problem", "people", "work", "year", "money", "don’t", "didn’t", "couldn’t", "we’d",
    "it’s", "—", "–", "…", "😀", "𝔘"
]


def transcript(rng: random.Random, words: int) -> str:
    lines, n = [], 0
    while n < words:
        k = rng.randint(8, 60)
        speaker = "Interviewer" if len(lines) % 2 == 0 else "Owner"
        turn = " ".join(rng.choice(VOCABULARY) for _ in range(k))
        if rng.random() < 0.05:
            turn += " we bought a new\nmachine for the shop floor"
        lines.append(f"{speaker}: {turn.capitalize()}.")
        n += k
    return "\n".join(lines) + "\n"


def search_line(runs: int = 21, documents: int = 50, words: int = 10_000) -> str:
    """Measure, print the details (as # lines), and return the ``search: S`` line."""
    rng = random.Random(7)
    docs = [(f"d{i}", transcript(rng, words)) for i in range(documents)]
    size = sum(len(t.encode("utf-8")) for _, t in docs)

    corpus = Corpus()
    phrase = "We bought a new machine"
    t0 = time.perf_counter()
    hits = search(docs, phrase, "phrase", corpus=corpus, speaker_at=corpus.speaker_at)
    cold = time.perf_counter() - t0
    times = {"phrase": [], "word": [], "regex": []}
    queries = {"phrase": phrase, "word": "quality system", "regex": r"\bbought (a|the) \w+"}
    counts = {}
    for _ in range(runs):
        for mode, query in queries.items():
            t0 = time.perf_counter()
            found = search(docs, query, mode, corpus=corpus, speaker_at=corpus.speaker_at)
            times[mode].append(time.perf_counter() - t0)
            counts[mode] = len(found)
    print(f"# {documents} documents x {words} words, {size / 1e6:.1f} MB")
    print(f"# first phrase search (folds every document): {cold:.3f} s, {len(hits)} hits")
    for mode, query in queries.items():
        print(f"# {mode} {query!r}: {statistics.median(times[mode]):.4f} s median of "
              f"{runs}, {counts[mode]} hits")
    return f"search: {statistics.median(times['phrase']):.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--words", type=int, default=10_000)
    args = parser.parse_args()
    print(search_line(args.runs, args.documents, args.words))


if __name__ == "__main__":
    main()
