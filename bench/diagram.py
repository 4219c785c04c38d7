"""Diagram speed: a synthetic firm of 100 events and 20 sources.

Prints, in the same run: our ``diagram`` call (build the graph, draw SVG
with the system dot) against running dot on the same DOT text (goal: at most
1.3x), and the in-process WebAssembly engine against the system dot.

Then what a user waits for: a whole ``workbench diagram --firm X`` process
with ``--engine wasm`` divided by the same with ``--engine dot``, as
``wasm-vs-dot-cold: R`` (the first run: an empty cache, so the WebAssembly
module is compiled) and ``wasm-vs-dot-warm: R`` (the second run: the
compiled module read from the cache; goal: at most 2). Each round runs the
four processes in turn with a cache folder of its own; R is the median of
the rounds' ratios.

Our DOT text pins every node and is drawn with Graphviz's ``nop2`` layout,
so the like-for-like baseline is ``dot -Knop2 -Tsvg`` on that text: the
ratio is then our overhead (building the graph, the subprocess). Plain
``dot -Tsvg`` throws the positions away and lays the graph out from
scratch; it is timed once, for the record (a minute or more at 100 events).

    python bench/diagram.py [--repeat 5] [--processes-only]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402
from timing import interleaved  # noqa: E402

from workbench.core.model import Study  # noqa: E402
from workbench.render import engine  # noqa: E402
from workbench.render.diagram import process_graph  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--events", type=int, default=100)
    ap.add_argument("--sources", type=int, default=20)
    ap.add_argument("--skip-full-layout", action="store_true", help="do not time plain dot -Tsvg")
    ap.add_argument("--processes-only", action="store_true", help="only the whole-process wasm/dot ratios")
    args = ap.parse_args()
    if not shutil.which("dot"):
        sys.exit("this bench needs the system 'dot' program as its baseline (apt-get install graphviz)")

    study = Study.from_dict(synthetic.study(firms=1, events=args.events, sources=args.sources, routines=6))
    firm = study.firms[0]
    source = process_graph(study, firm).source
    dot = shutil.which("dot")
    print(f"synthetic firm: {len(firm.events)} events, {len(firm.sources)} sources, "
          f"{len(firm.routines)} routines; DOT text {len(source) / 1000:.0f} kB")
    if args.processes_only:
        processes(study, firm.id, args.repeat)
        return

    def ours():
        engine.svg(process_graph(study, firm).source, "dot")

    def dot_nop2():
        subprocess.run([dot, "-Knop2", "-Tsvg"], input=source.encode(), capture_output=True, check=True)

    def wasm():
        engine.svg(source, "wasm")

    wasm()  # the first call compiles the WebAssembly module: not what a user waits for twice
    t_ours, t_nop2, t_wasm = interleaved(args.repeat, ours, dot_nop2, wasm)
    print(f"dot -Knop2 -Tsvg on the same DOT text: {t_nop2:.3f} s")
    print(f"our diagram call (build + draw):       {t_ours:.3f} s")
    print(f"in-process WebAssembly (draw):         {t_wasm:.3f} s")
    print(f"ours / dot on the same text:  {t_ours / t_nop2:.2f}x (goal: at most 1.3x)")
    print(f"wasm / system dot:            {t_wasm / t_nop2:.2f}x")
    if not args.skip_full_layout:
        t0 = time.perf_counter()
        try:
            subprocess.run([dot, "-Tsvg"], input=source.encode(), capture_output=True, timeout=300)
            t_dot = time.perf_counter() - t0
            print(f"plain dot -Tsvg (full layout, once): {t_dot:.1f} s; ours is {t_ours / t_dot:.4f}x of it")
        except subprocess.TimeoutExpired:
            print("plain dot -Tsvg (full layout, once): over 300 s, stopped")
    processes(study, firm.id, args.repeat)


def processes(study, firm_id: str, repeat: int) -> None:
    """Whole ``workbench diagram`` processes, wasm against dot, cold and warm."""
    import compileall

    import workbench
    from workbench.io.study_json import write_study
    from workbench import services

    # an installed workbench has its bytecode compiled (pip does it on install)
    compileall.compile_dir(Path(workbench.__file__).parent, quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="lpw-diagram-bench-"))
    try:
        doc = tmp / "firm.study.json"
        write_study(study, doc)
        lpw = tmp / "firm.lpw"
        services.import_file(lpw, doc)
        root = str(Path(workbench.__file__).resolve().parent.parent)
        base_env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))

        def run(which: str, cache: Path) -> float:
            env = dict(base_env, WORKBENCH_CACHE_DIR=str(cache))
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "workbench", "diagram", str(lpw), "--firm", firm_id,
                                   "--engine", which, "-o", str(tmp / f"{which}.svg")],
                                  capture_output=True, text=True, env=env)
            took = time.perf_counter() - t0
            if proc.returncode != 0 or "failed" in proc.stderr:
                sys.exit(f"workbench diagram --engine {which} did not draw by itself: {proc.stderr}")
            return took

        cold, warm, times = [], [], {"dot-cold": [], "wasm-cold": [], "dot-warm": [], "wasm-warm": []}
        for i in range(repeat):
            cache = tmp / f"cache-{i}"  # empty: the first run compiles the module
            d1, w1 = run("dot", cache), run("wasm", cache)
            d2, w2 = run("dot", cache), run("wasm", cache)
            for key, t in zip(times, (d1, w1, d2, w2)):
                times[key].append(t)
            cold.append(w1 / d1)
            warm.append(w2 / d2)
        print(f"\nwhole processes ({repeat} rounds, median): "
              + ", ".join(f"{k} {statistics.median(v):.3f} s" for k, v in times.items()))
        print(f"wasm-vs-dot-cold: {statistics.median(cold):.2f}")
        print(f"wasm-vs-dot-warm: {statistics.median(warm):.2f}  (goal: at most 2)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
