"""The Compare window's agreement summary follows the study: after each
choice, undo and redo it is the agreement of the study as it now stands
with the other coding (the numbers of `workbench compare` on the file as
stored then)."""

from PySide6.QtCore import Qt

from keys import key
from test_gui_compare import _alt, _decision, _stored, compared  # noqa: F401 (a fixture)
from workbench import coders
from workbench.core.agreement import LABELS


def shown(dlg) -> dict:
    """The summary as the window shows it: dimension label -> its four cells."""
    t = dlg.summary
    return {t.horizontalHeaderItem(c).text().replace("\n", " "): [t.item(r, c).text() for r in range(4)]
            for c in range(t.columnCount())}


def measured(path, theirs) -> dict:
    """What `workbench compare` says of the stored study and theirs, as the summary words it."""
    result = coders.compare_files(path, theirs)

    def num(x):
        return "–" if x is None else f"{x:.3f}"
    return {LABELS[d]: [str(m["units"]), coders._pct(m["agreement"]), num(m["cohen_kappa"]),
                        num(m["krippendorff_alpha"])] for d, m in result["dimensions"].items()}


def test_the_summary_follows_take_theirs_undo_and_redo(compared, qtbot):
    window, dlg, theirs = compared
    path = window.session.path
    before = measured(path, theirs)
    assert shown(dlg) == before
    dlg._stale_all = True  # as after an edit of the firms: every firm read again through the session
    dlg.refresh_summary()
    assert shown(dlg) == before
    # take theirs on e1's primary stage: the study now agrees with theirs there
    _alt(qtbot, Qt.Key.Key_T, lambda: _decision(dlg, 0) == "Took theirs")
    assert _stored(window, "e1")["stages"] == ["interpreting", "intuiting"]
    after = measured(path, theirs)
    assert after["Primary stage"][1] != before["Primary stage"][1]  # the fixture moves the agreement
    qtbot.waitUntil(lambda: shown(dlg) == after)
    assert "as it now stands" in dlg.header.text()
    # the counts kept per firm give compare's numbers to the last cell of the confusion tables
    full = coders.compare_files(path, theirs)
    kept = dlg.standing.result()
    assert kept["dimensions"] == full["dimensions"] and kept["units"] == full["units"]
    assert (kept["only_in_a"], kept["only_in_b"]) == (len(full["only_in_a"]), len(full["only_in_b"]))
    # Ctrl+Z: back to the agreement at opening
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _stored(window, "e1")["stages"] == ["intuiting"]
    qtbot.waitUntil(lambda: shown(dlg) == before)
    # redo: forward again
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: shown(dlg) == after)


def test_quick_choices_are_measured_once_they_pause_reading_their_firm_only(compared, qtbot, monkeypatch):
    window, dlg, theirs = compared
    assert len(window.session.firms()) == 3
    calls = []
    real = dlg.firm_coding
    monkeypatch.setattr(dlg, "firm_coding", lambda fid: calls.append(fid) or real(fid))
    # two choices in a row (e1's primary stage, then its set of stages), then the pause
    qtbot.mouseClick(dlg.buttons["theirs"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dlg.buttons["theirs"], Qt.MouseButton.LeftButton)
    assert (_decision(dlg, 0), _decision(dlg, 1)) == ("Took theirs", "Took theirs")
    assert calls == []
    qtbot.waitUntil(lambda: shown(dlg) == measured(window.session.path, theirs))
    qtbot.wait(300)
    assert calls == ["brw"]  # measured once, for both, reading the firm they changed only
    # the events only in one coding count too: bringing theirs in adds a unit to every dimension
    units = {k: int(v[0]) for k, v in shown(dlg).items()}
    dlg.only.setFocus()
    dlg.only.setCurrentRow(next(i for i in range(dlg.only.count()) if "e99" in dlg.only.item(i).text()))
    qtbot.mouseClick(dlg.only_buttons["bring"], Qt.MouseButton.LeftButton)
    assert "1 only in theirs" in dlg.header.text()
    qtbot.waitUntil(lambda: "0 only in theirs" in dlg.header.text())
    assert shown(dlg) == measured(window.session.path, theirs)
    assert shown(dlg)["Primary stage"][0] == str(units["Primary stage"] + 1)
    # an edit in the main window (another firm's event) counts too
    calls.clear()
    phase = shown(dlg)["Phase"]
    assert window.session.get("events", "rsl", "e1").get("phase")
    window.controller.set_field("events", "rsl", "e1", "phase", None)
    qtbot.waitUntil(lambda: calls == ["rsl"])
    qtbot.waitUntil(lambda: shown(dlg) == measured(window.session.path, theirs))
    assert shown(dlg)["Phase"] != phase
