"""Drawing whatever the text and whichever the engine: attribute strings
bounded and escaped (text.py), hostile studies drawn by the system dot and
the WebAssembly engine alike, the other engine tried when one fails, the
compiled WebAssembly module cached between processes, and file names that
contradict the format refused."""

import os
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import JM, ROOT, minimal_study
from workbench.cli import main
from workbench.core.errors import WorkbenchError
from workbench.core.model import Study
from workbench.render import engine, text
from workbench.render.diagram import framework_graph, process_graph

SVG = "{http://www.w3.org/2000/svg}"
HAS_DOT = engine.dot_version() is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="no system dot")
ENGINES = [pytest.param("dot", marks=needs_dot), "wasm"]
DOT_LIMIT = 16384  # Graphviz 2.43 rejects a longer quoted string


# ----------------------------------------------------------------- text.py: bounded and escaped


def quoted_strings(dot_source: str) -> list[str]:
    """The quoted strings of DOT text, as the DOT scanner reads them."""
    out, i, n = [], 0, len(dot_source)
    while i < n:
        if dot_source[i] != '"':
            i += 1
            continue
        j = i + 1
        while j < n and dot_source[j] != '"':
            j += 2 if dot_source[j] == "\\" else 1
        assert j < n, f"unterminated string starting {dot_source[i:i + 60]!r}"
        out.append(dot_source[i + 1:j])
        i = j + 1
    return out


LONG = ["x" * 20_000, "word " * 5_000, 'é"\\' * 7_000, "\\" * 20_000, '"' * 20_000, "😀" * 20_000,
        "a\\\n" * 6_000, "<<TABLE>>{{[" * 2_000]


@pytest.mark.parametrize("raw", LONG)
def test_attribute_strings_are_bounded_after_escaping(raw):
    tip = str(text.attr_text(raw))
    lab = str(text.label(raw, raw, raw))
    one = text.esc(raw)
    for value, limit in ((tip, text.TOOLTIP_BYTES), (lab, text.LABEL_BYTES + 8), (one, text.LABEL_BYTES)):
        quoted = value.replace('"', '\\"')  # as the DOT writer quotes it
        assert len(quoted.encode("utf-8")) <= limit < DOT_LIMIT
        # never a lone backslash at the end, which would escape the closing quote
        assert (len(quoted) - len(quoted.rstrip("\\"))) % 2 == 0
        assert value.endswith("…")


def test_short_text_is_kept_whole_and_escaped():
    assert str(text.attr_text('a "b" \\N')) == 'a "b" \\\\N'
    assert str(text.label("one", "two\\")) == "one\\ntwo\\\\"
    assert text.bound("short", 10) == "short"
    assert text.bound("x" * 20, 10) == "xxxxxxx…" and text.dot_bytes("xxxxxxx…") == 10


# ----------------------------------------------------------------- hostile studies, both engines


def study_with(value: str) -> Study:
    """A study holding ``value`` in every text a diagram shows or puts in a tooltip."""
    doc = minimal_study()
    doc["title"] = value
    doc["description"] = value
    firm = doc["firms"][0]
    firm["name"] = value
    for e in firm["events"]:
        e["title"] = value
        e["description"] = value
        e["when"] = value
    for s in firm["sources"]:
        s["name"] = value
        s["notes"] = value
    for r in firm["routines"]:
        r["name"] = value
        r["activity"] = value
        r["outcome"] = value
    firm["links"] = [{"from": "e1", "to": "e2", "label": value}]
    # Not validated: the format caps titles at 500 characters, but a diagram
    # must survive whatever reaches it (raw control characters included).
    return Study.from_dict(doc)


def graphs(study):
    firm = study.firms[0]
    return [process_graph(study, firm), framework_graph(study), framework_graph(study, firm)]


def assert_drawn(svg_bytes: bytes, study: Study) -> None:
    root = ET.fromstring(svg_bytes)  # well-formed XML
    ids = {g.get("id") for g in root.iter(f"{SVG}g")}
    firm = study.firms[0]
    if f"diagram-{firm.id}" in ids:  # the process diagram: every event and source
        for e in firm.events:
            assert f"event-{firm.id}-{e.id}" in ids
        for s in firm.sources:
            assert f"source-{firm.id}-{s.id}" in ids


HANDMADE = ['"quoted" \\ back\\slash \\N \\l \\G ends\\', "line1\nline2\r\n\tend",
            "ctrl \x01\x02\x07\x1b\x7f end", "x" * 20_000, "word " * 4_000, 'é"\\' * 7_000,
            "<b>html</b> <<TABLE>> &amp; &lt; <script>x</script>", "{ unmatched { braces }} ]]] [[ ;->",
            "\\" * 20_000, '"] ; injected [label="owned"', "\u202e\u200b\ufeff 😀 " * 3_000]


@pytest.mark.parametrize("which", ENGINES)
@pytest.mark.parametrize("value", HANDMADE, ids=range(len(HANDMADE)))
def test_hostile_study_is_drawn_by_each_engine_itself(which, value):
    study = study_with(value)
    for graph in graphs(study):
        for s in quoted_strings(graph.source):
            assert len(s.encode("utf-8")) < DOT_LIMIT // 2
        drawn = engine.svg(graph.source, which)
        assert "failed" not in drawn.engine  # no fallback needed
        assert ("WebAssembly" in drawn.engine) == (which == "wasm")
        assert_drawn(drawn.data, study)


texts = st.one_of(
    st.text(max_size=60),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=8), st.integers(1, 5000)),
    st.text(alphabet=st.sampled_from('\\"{}<>[];\n\r\t\x00\x01\x1b é😀-'), max_size=300),
)


@needs_dot
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=texts)
def test_any_text_is_drawn_by_both_engines(value):
    study = study_with(value)
    for graph in graphs(study)[:2]:
        a = engine.svg(graph.source, "dot")
        b = engine.svg(graph.source, "wasm")
        assert "failed" not in a.engine and "failed" not in b.engine
        assert_drawn(a.data, study)
        assert_drawn(b.data, study)


# ----------------------------------------------------------------- one engine fails: the other draws


@pytest.fixture
def failing_dot(tmp_path, monkeypatch):
    """A ``dot`` on PATH that tells its version and then fails to draw, as
    dot 2.43 did on long strings."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text("#!/bin/sh\n"
                    'if [ "$1" = "-V" ]; then echo "dot - graphviz version 2.43.0 (0)" >&2; exit 0; fi\n'
                    "cat >/dev/null\n"
                    'echo "Error: <stdin>: syntax error in line 2 scanning a quoted string" >&2\n'
                    "exit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    engine.dot_version.cache_clear()
    yield fake
    engine.dot_version.cache_clear()


@pytest.fixture
def failing_wasm(monkeypatch):
    class Broken:
        def render(self, *a, **k):
            raise RuntimeError("out of memory (made to fail by the test)")

        def _create_session(self):
            return None

    monkeypatch.setattr(engine, "_wasm_backend", lambda: Broken())


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script as dot")
def test_when_dot_fails_webassembly_draws_and_says_so(failing_dot):
    study = study_with("Plain text")
    drawn = engine.svg(process_graph(study, study.firms[0]).source, "dot")
    assert drawn.engine.startswith("Graphviz (WebAssembly, in-process) after the system dot failed: ")
    assert "syntax error in line 2" in drawn.engine
    assert_drawn(drawn.data, study)


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script as dot")
def test_cli_says_which_engine_drew_after_dot_failed(failing_dot, capsys, tmp_path):
    out = tmp_path / "brw.svg"
    code = main(["diagram", str(JM), "--firm", "brw", "--engine", "dot", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "drawn with Graphviz (WebAssembly, in-process) after the system dot failed: " in err
    ET.parse(out)


@needs_dot
def test_when_webassembly_fails_dot_draws_and_says_so(failing_wasm):
    study = study_with("Plain text")
    drawn = engine.svg(process_graph(study, study.firms[0]).source, "wasm")
    assert drawn.engine.startswith("Graphviz dot ")
    assert "after the in-process Graphviz failed: " in drawn.engine and "out of memory" in drawn.engine
    assert_drawn(drawn.data, study)


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script as dot")
def test_both_engines_failing_is_one_clear_error(failing_dot, failing_wasm, capsys, tmp_path):
    study = study_with("Plain text")
    with pytest.raises(WorkbenchError) as info:
        engine.svg(process_graph(study, study.firms[0]).source, "auto")
    assert "syntax error" in info.value.message and "failed too" in info.value.message
    out = tmp_path / "brw.png"
    code = main(["diagram", str(JM), "--firm", "brw", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "out of memory" in err and "Traceback" not in err and "internal error" not in err
    assert not out.exists()


# ----------------------------------------------------------------- the compiled module, cached


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(cache))
    engine._wasm_backend.cache_clear()
    yield cache
    engine._wasm_backend.cache_clear()


def draw_once() -> str:
    """Draw with a new backend (as a new process would); where its module came from."""
    engine._wasm_backend.cache_clear()
    drawn = engine.svg(process_graph(study_with("cache"), study_with("cache").firms[0]).source, "wasm")
    assert drawn.engine == "Graphviz (WebAssembly, in-process)"
    return engine._wasm_backend().module_from


def test_compiled_module_is_cached_and_reused(fresh_cache):
    assert draw_once() == "compiled"
    files = list(fresh_cache.iterdir())
    assert len(files) == 1 and files[0].suffix == ".cwasm"
    import wasmtime
    from importlib.metadata import version
    assert f"wasmtime{version('wasmtime')}" in files[0].name
    before = files[0].stat().st_mtime_ns
    assert draw_once() == "cache"
    assert files[0].stat().st_mtime_ns == before
    assert wasmtime  # the name tells the version the file was made by


@pytest.fixture(scope="module")
def sound_cache(tmp_path_factory):
    """(file name, bytes) of a sound cached module, made once for the module."""
    folder = tmp_path_factory.mktemp("sound-cache")
    old = os.environ.get("WORKBENCH_CACHE_DIR")
    os.environ["WORKBENCH_CACHE_DIR"] = str(folder)
    try:
        engine._wasm_backend.cache_clear()
        engine._wasm_backend()
        (path,) = folder.iterdir()
        return path.name, path.read_bytes()
    finally:
        engine._wasm_backend.cache_clear()
        if old is None:
            os.environ.pop("WORKBENCH_CACHE_DIR")
        else:
            os.environ["WORKBENCH_CACHE_DIR"] = old


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage-with-good-digest"])
def test_damaged_cache_is_ignored_and_rebuilt(fresh_cache, sound_cache, damage):
    import hashlib

    name, blob = sound_cache
    fresh_cache.mkdir()
    path = fresh_cache / name
    if damage == "truncate":
        path.write_bytes(blob[: len(blob) // 2])
    elif damage == "flip":
        path.write_bytes(blob[:-100] + bytes([blob[-100] ^ 0xFF]) + blob[-99:])
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # sound framing around what wasmtime will not take
        payload = b"\x7fELF not a module" * 100
        path.write_bytes(engine._MAGIC + hashlib.sha256(payload).digest() + payload)
    assert draw_once() == "compiled"
    assert draw_once() == "cache"  # rebuilt sound
    assert [p.name for p in fresh_cache.iterdir()] == [name]  # no temporary files left


def test_a_sound_cache_is_used(fresh_cache, sound_cache):
    name, blob = sound_cache
    fresh_cache.mkdir()
    (fresh_cache / name).write_bytes(blob)
    assert draw_once() == "cache"


def test_unusable_cache_only_costs_time(fresh_cache):
    fresh_cache.write_text("a file where the cache folder should be")
    assert draw_once() == "compiled"
    assert draw_once() == "compiled"
    assert fresh_cache.read_text() == "a file where the cache folder should be"


def test_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "x"))
    assert engine.cache_dir() == tmp_path / "x"
    monkeypatch.delenv("WORKBENCH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert engine.cache_dir().is_relative_to(tmp_path / "xdg") or "platformdirs" in sys.modules


def test_a_second_process_uses_the_cache(tmp_path):
    env = dict(os.environ, WORKBENCH_CACHE_DIR=str(tmp_path / "cache"), QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=str(ROOT))
    for i in range(2):
        proc = subprocess.run([sys.executable, "-m", "workbench", "diagram", str(JM), "--firm", "rsl",
                               "--engine", "wasm", "-o", str(tmp_path / f"{i}.svg")],
                              capture_output=True, text=True, env=env, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        if i == 0:
            (cached,) = (tmp_path / "cache").iterdir()
            made = cached.stat().st_mtime_ns
    assert cached.stat().st_mtime_ns == made
    assert (tmp_path / "0.svg").read_bytes() == (tmp_path / "1.svg").read_bytes()


# ----------------------------------------------------------------- the file name says the format


@pytest.mark.parametrize("args, said", [
    (["-o", "z.jpg"], "cannot be written as .jpg"),
    (["--format", "svg", "-o", "z.jpg"], "cannot be written as .jpg"),
    (["--format", "svg", "-o", "z.png"], "the name says PNG but the format asked for is SVG"),
    (["--format", "png", "-o", "z.pdf"], "the name says PDF but the format asked for is PNG"),
    (["--format", "dot", "-o", "z.svg"], "the name says SVG but the format asked for is DOT"),
    (["-o", "z.final"], "cannot be written as .final"),
])
def test_a_name_that_contradicts_the_format_is_refused(capsys, tmp_path, args, said):
    out = tmp_path / args[-1]
    code = main(["diagram", str(JM), "--firm", "brw", *args[:-1], str(out)])
    err = capsys.readouterr().err
    assert code == 2 and said in err and str(out) in err
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("name, head", [("z.png", b"\x89PNG"), ("Z.PDF", b"%PDF"), ("z.svg", b"<?xml"),
                                        ("z.dot", b"digraph")])
def test_the_suffix_says_what_is_written(capsys, tmp_path, name, head):
    code = main(["diagram", str(JM), "--firm", "brw", "--dpi", "40", "-o", str(tmp_path / name)])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / name).read_bytes().startswith(head)


def test_a_label_with_empty_lines_draws_again_and_again():
    """A label whose first line is empty ("\\nI") made the WebAssembly Graphviz
    trap ("out of bounds table access") on its 7th drawing in one instance."""
    assert str(text.label("", "I")) == " \\nI"
    source = 'digraph { a [label="%s" pos="10,10!"] }' % text.label("", "I", "")
    engine._wasm_backend.cache_clear()
    backend = engine._wasm_backend()
    for _ in range(20):  # one instance, no retry: it must not crash
        backend.render(source, format="svg", engine=engine.LAYOUT)


def test_a_crashed_webassembly_instance_is_replaced(monkeypatch):
    """Even a label that makes it crash is drawn: a fresh instance draws it."""
    crasher = 'digraph { a [label="\\nI" pos="10,10!"] }'
    engine._wasm_backend.cache_clear()
    monkeypatch.setattr(engine, "dot_version", lambda: None)  # no fallback: the retry must do it
    for _ in range(20):
        assert engine.svg(crasher, "wasm").engine == "Graphviz (WebAssembly, in-process)"


def test_every_line_of_a_label_has_text():
    assert text.esc("") == " " and text.esc("\n\t") == " "
    from workbench.render.diagram import _esc_lines
    source = 'digraph { a [label="%s" pos="10,10!"] }' % _esc_lines(["", "I", ""])
    engine._wasm_backend.cache_clear()
    backend = engine._wasm_backend()
    for _ in range(12):  # one instance, no retry: it must not crash
        backend.render(source, format="svg", engine=engine.LAYOUT)
