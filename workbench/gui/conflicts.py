"""Settle merge conflicts: a study merged by ``workbench merge`` (git's
merge driver for ``*.study.json``) keeps ours where both sides changed a
field differently and records each conflict in ``x-conflicts``. When such a
study is opened or imported, the window offers this list: each conflict
with its base, ours and theirs, settled by taking one of them (one step of
the study's history, through the Session: Ctrl+Z puts the conflict back).
A rule the merge broke (``{path, keys, problem}``) is shown with its problem and
marked settled once mended. The record goes when the last is settled."""

from __future__ import annotations

import html
import json
from pathlib import Path

from PySide6 import QtWidgets
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QSplitter,
                               QTextBrowser, QVBoxLayout)

from .. import coders
from ..core.errors import WorkbenchError
from ..core.merge import is_broken_rule
from .dialogs import add_undo_keys, fit_to_screen

SIDES = (("ours", "Take &ours", "Alt+O"), ("theirs", "Take &theirs", "Alt+T"), ("base", "Take &base", "Alt+B"))
# the dimension whose labels a field's values are shown with
_VOCAB_FIELDS = {"stages": "stages", "learning_types": "learning_types", "level": "level", "phase": "phase"}


def offer(window) -> bool:
    """After a study is opened or imported: if it holds a merge's conflicts,
    ask whether to settle them now (and show the list if so)."""
    session = window.session
    if session is None or session.read_only:
        return False
    records = session.conflicts()
    if not records:
        return False
    n = len(records)
    answer = QtWidgets.QMessageBox.question(
        window, "Settle the merge conflicts?",
        f"This study was merged with 'workbench merge' and holds {n} conflict{'s' if n != 1 else ''}: "
        f"fields both sides changed differently (the study keeps ours there until you choose)"
        f"{' or rules the merge broke' if any(is_broken_rule(r) for r in records) else ''}.\n\n"
        f"Settle them now? (Later: File → Settle merge conflicts.)",
        QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No,
        QtWidgets.QMessageBox.StandardButton.Yes)
    if answer != QtWidgets.QMessageBox.StandardButton.Yes:
        window.statusBar().showMessage(f"{n} merge conflict{'s' if n != 1 else ''} left: "
                                       f"File → Settle merge conflicts")
        return False
    show(window)
    return True


def show(window) -> "ConflictsDialog":
    old = getattr(window, "conflicts_dialog", None)
    if old is not None:
        old.close()
        old.deleteLater()
    dlg = ConflictsDialog(window.controller, window)
    window.conflicts_dialog = dlg
    dlg.show()
    dlg.raise_()
    dlg.activateWindow()
    dlg.list.setFocus()
    return dlg


def _value_text(field: str, value, base=None) -> str:
    """A version's value as HTML a person reads: labels for coding values,
    an object's fields one per line (those changed from ``base`` marked)."""
    e = html.escape
    if isinstance(value, str):
        if field in _VOCAB_FIELDS:
            return e(coders.meaning(_VOCAB_FIELDS[field], value)[0])
        return e(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if field in _VOCAB_FIELDS:
            return e(" + ".join(coders.meaning(_VOCAB_FIELDS[field], v)[0] for v in value)) or "(none)"
        return e(", ".join(value)) or "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict) and value.get("id") is not None:
        base = base if isinstance(base, dict) else {}
        lines = []
        for k, v in value.items():
            text = e(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
            if base and base.get(k) != v:  # what this side changed
                text = f"<span style='background:#fff0a8'>{text}</span> <i>(changed)</i>"
            lines.append(f"<b>{e(str(k))}</b>: {text}")
        return "<br/>".join(lines[:14]) + ("<br/>…" if len(lines) > 14 else "")
    return f"<pre>{e(json.dumps(value, ensure_ascii=False, indent=1))[:2000]}</pre>"


class ConflictsDialog(QDialog):
    """The merge conflicts of the open study, settled one at a time."""

    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.session = controller.session
        self.records: list[dict] = []
        self.had_conflicts = bool(self.session.conflicts())
        self.setWindowTitle(f"Settle merge conflicts — {Path(self.session.path).name}")
        layout = QVBoxLayout(self)
        intro = QLabel("Both sides of the merge changed these differently; the study holds <b>ours</b> at each "
                       "until you choose. ↑/↓ to move, then Alt+O takes ours, Alt+T theirs, Alt+B the common "
                       "base; each choice is one step of Edit → Undo (Ctrl+Z here).")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.list = QListWidget()
        self.list.setAccessibleName("Merge conflicts")
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentRowChanged.connect(lambda _row: self._show_detail())
        split.addWidget(self.list)
        self.detail = QTextBrowser()
        self.detail.setAccessibleName("Base, ours and theirs")
        split.addWidget(self.detail)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout.addWidget(split, 1)
        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for side, text, keys in SIDES:
            b = QPushButton(text)
            b.setToolTip(f"Keep the {side} version of this field ({keys})")
            b.setAutoDefault(False)
            b.clicked.connect(lambda _=False, s=side: self.choose(s))
            self.buttons[side] = b
            row.addWidget(b)
        b = QPushButton("&Mark settled")
        b.setToolTip("Drop this conflict and keep the study as it is now (Alt+M): for a broken rule you have "
                     "mended, or a field you have edited yourself")
        b.setAutoDefault(False)
        b.clicked.connect(lambda: self.choose(None))
        self.buttons["settled"] = b
        row.addWidget(b)
        row.addStretch()
        undo = QPushButton("&Undo")
        undo.setToolTip("Take back the last choice (Ctrl+Z)")
        undo.setAutoDefault(False)
        undo.clicked.connect(lambda: self.controller.undo_stack.undo())
        row.addWidget(undo)
        close = QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.close)
        row.addWidget(close)
        layout.addLayout(row)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        add_undo_keys(self, self.controller)
        controller.undo_stack.indexChanged.connect(self.refresh)
        self.finished.connect(lambda _=0: self._detach())
        self.resize(*fit_to_screen(1100, 620))
        self.refresh()

    def _detach(self) -> None:
        try:
            self.controller.undo_stack.indexChanged.disconnect(self.refresh)
        except (RuntimeError, TypeError):
            pass

    # ------------------------------------------------------------------ the list

    def _where(self, record: dict) -> str:
        """A conflict's place in words: firm and event names, then the field."""
        keys = record.get("keys")
        if not isinstance(keys, list) or not keys:
            return str(record.get("path", "?"))
        if keys[0] != "firms" or len(keys) < 2:
            if len(keys) == 1:
                return f"The study's {keys[0]}"
            return str(record.get("path"))
        names = {f["id"]: f.get("name", f["id"]) for f in self.session.firms()}
        text = f"{names.get(keys[1], keys[1])}"
        # a rule broken in the merged study: what the study lacks is theirs (the file kept ours)
        missing = "theirs, not in the study" if is_broken_rule(record) else "not in the study now"
        rest = keys[2:]
        kind = "firm"
        if len(rest) >= 2 and rest[0] in ("events", "sources", "routines"):
            title = ""
            if rest[0] == "events":
                found = self.session.events_by_id(keys[1], [rest[1]]) if keys[1] in names else {}
                title = found.get(rest[1], {}).get("title", "")
                if rest[1] not in found:
                    title = missing
            else:
                there = {o["id"] for o in self.session.objects(rest[0], keys[1])} if keys[1] in names else set()
                title = "" if rest[1] in there else missing
            text += f", {rest[0][:-1]} {rest[1]}" + (f" ({title})" if title else "")
            kind, rest = rest[0][:-1], rest[2:]
        elif len(rest) >= 2 and rest[0] == "links":
            text += f", link {rest[1]}"
            kind, rest = "link", rest[2:]
        field = ".".join(str(k) for k in rest)
        return f"{text}: {field}" if field else f"{text} (the whole {kind})"

    def refresh(self, _index: int = 0) -> None:
        """Show what the study holds now (after a choice, an undo or a redo)."""
        if self.session.closed:
            return
        row = max(0, self.list.currentRow())
        self.records = self.session.conflicts()
        self.list.blockSignals(True)
        self.list.clear()
        for record in self.records:
            if not is_broken_rule(record):
                item = QListWidgetItem(self._where(record))
            else:  # a broken rule: where in words, then the problem
                item = QListWidgetItem(f"⚠ {self._where(record)}: {record.get('problem', '')}")
            item.setToolTip(str(record.get("path")))
            self.list.addItem(item)
        self.list.blockSignals(False)
        if self.records:
            self.list.setCurrentRow(min(row, len(self.records) - 1))
        n = len(self.records)
        self.had_conflicts = self.had_conflicts or bool(n)
        if n:
            self.status.setText(f"{n} conflict{'s' if n != 1 else ''} left to settle.")
        elif not self.had_conflicts:
            self.status.setText("This study holds no merge conflicts: nothing to settle.")
        else:
            self.status.setText("All the merge's conflicts are settled: the study is merged, and its "
                                "conflicts record is gone. Ctrl+Z takes back the last choice.")
        self._show_detail()

    def _show_detail(self) -> None:
        row = self.list.currentRow()
        record = self.records[row] if 0 <= row < len(self.records) else None
        keyed = record is not None and not is_broken_rule(record)
        for side, _, _ in SIDES:
            self.buttons[side].setEnabled(keyed and not self.session.read_only)
        self.buttons["settled"].setEnabled(record is not None and not self.session.read_only)
        if record is None:
            self.detail.setHtml("<p>No conflicts left.</p>")
            return
        e = html.escape
        parts = [f"<h3>{e(self._where(record))}</h3><p><code>{e(str(record.get('path')))}</code></p>"]
        if not keyed:
            parts.append(f"<p><b>A rule the merge broke:</b> {e(str(record.get('problem', '')))}</p>"
                         "<p>Each side's changes fit on their own, but together they break this rule, so the "
                         "file holds our version unchanged. Mend it in the study (for instance add back what "
                         "it names, or take the name off), then press <b>Mark settled</b>. An event of theirs "
                         "left out can be brought in, with the sources it names, from their version of the file "
                         "through File → Compare with another coding.</p>")
        else:
            field = next((k for k in reversed(record["keys"]) if isinstance(k, str)), "")
            parts.append("<table cellspacing='0' cellpadding='5' border='1' style='border-collapse:collapse'>")
            for side, label in (("base", "Base (the common version)"), ("ours", "Ours (in the study now)"),
                                ("theirs", "Theirs")):
                value = _value_text(field, record[side], record.get("base") if side != "base" else None) \
                    if side in record else \
                    "<i>(not there: absent or removed on this side)</i>"
                parts.append(f"<tr><th align='left' valign='top'>{label}</th><td>{value}</td></tr>")
            parts.append("</table>")
        self.detail.setHtml("".join(parts))

    # ------------------------------------------------------------------ choosing

    def choose(self, side: str | None) -> bool:
        """Take ``side`` for the current conflict (None: mark it settled)."""
        row = self.list.currentRow()
        if self.session.closed:
            self.close()
            return False
        if not 0 <= row < len(self.records):
            return False
        try:
            if side is None:
                self.controller.call(lambda s: s.settle_conflict(row))
            else:
                self.controller.call(lambda s: s.resolve_conflict(row, side))
        except WorkbenchError as exc:
            QtWidgets.QMessageBox.warning(self, "Could not settle that conflict", exc.message)
            return False
        self.refresh()
        self.list.setFocus()
        return True

