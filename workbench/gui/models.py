"""Qt models over the open study: the firm list, and one table model for a
firm's events, sources or routines.

The events table fetches a chronology a page at a time (1,000 events, by
position) as the view scrolls (``canFetchMore``/``fetchMore``); a search
stops as soon as a page is full, so filtering 100,000 events shows its first
results at once and counts them a moment later. Edits go through
the controller, so each one is saved at once and can be undone.

An edit of one object made through the table (or the event's detail pane,
see ``in_place``) updates its row where it is; anything else reloads the
table, but never under an open editor: the reload waits until the last
editor closes, so a cell being typed in, or the next one after Tab, keeps
its text.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from functools import lru_cache
from typing import NamedTuple

from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QMimeData, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont

from ..core.dates import dates_out_of_order
from ..core.errors import WorkbenchError
from ..core.frameworks import all_stages, vocabulary
from ..core.model import Event
from .controller import StudyController

BATCH = 1000
MIME = "application/x-lpw-row-id"
# The colours of rows and cells: data() gives these (a colour, which the view
# paints as a solid brush; a QBrush would set up PySide's gradient types, with
# hundreds of values, at the first paint).
UNCODED = QColor(vocabulary().colour("uncoded_row"))
WARNING = QColor(vocabulary().colour("attention_row"))
DEFAULT_TEXT = QColor(vocabulary().colour("default_text"))  # a default shown in brackets, not a value chosen
CRITICAL = QColor(vocabulary().colour("critical_marker"))  # apart from the red of "needs attention"
# The roles data() and headerData() answer, as plain numbers: Qt asks cell by
# cell, role by role, and Qt.ItemDataRole.X is two lookups each time.
DISPLAY, EDIT, TOOLTIP, USER = (int(r) for r in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole,
                                                 Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.UserRole))
CHECK, DECORATION, FONT = (int(r) for r in (Qt.ItemDataRole.CheckStateRole, Qt.ItemDataRole.DecorationRole,
                                            Qt.ItemDataRole.FontRole))
FOREGROUND, BACKGROUND = int(Qt.ItemDataRole.ForegroundRole), int(Qt.ItemDataRole.BackgroundRole)
HORIZONTAL = Qt.Orientation.Horizontal
_DATE = re.compile(r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$")


@lru_cache(maxsize=1)
def _bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


@lru_cache(maxsize=1)
def _italic() -> QFont:
    font = QFont()
    font.setItalic(True)
    return font


@lru_cache(maxsize=1)
def critical_icon():
    """The marker of a critical incident: a filled diamond (a shape, so it
    does not rest on colour alone), made at the first paint."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QIcon, QPainter, QPixmap, QPolygonF

    pixmap = QPixmap(14, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(CRITICAL)
    painter.drawPolygon(QPolygonF([QPointF(7, 0.5), QPointF(13.5, 7), QPointF(7, 13.5), QPointF(0.5, 7)]))
    painter.end()
    return QIcon(pixmap)


class Column(NamedTuple):
    """A column of a table: which key of the object it shows and how it is
    edited. (A named tuple: quicker to set up at start-up than a dataclass.)"""

    key: str          # the format's key ("when" is the event's date or free-text time)
    header: str
    kind: str         # text, long, bool, choice, multi, ref, refs, when
    vocab: str = ""   # for choice/multi: a vocabulary (levels, phases, ...) or "stages"
    ref: str = ""     # for ref/refs: "sources" or "routines"
    width: int = 120
    optional: bool = False  # hidden until shown from the heading's right-click menu (events table)


EVENT_COLUMNS = (
    Column("when", "When", "when", width=90),
    Column("title", "Event", "text", width=280),
    Column("critical", "Critical", "bool", width=58),
    Column("phase", "Phase", "choice", "phases", width=140, optional=True),
    Column("stages", "Stages", "multi", "stages", width=170),
    Column("level", "Level", "choice", "levels", width=125),
    Column("learning_types", "Learning types", "multi", "learning_types", width=150),
    Column("sources", "Knowledge sources", "refs", ref="sources", width=240, optional=True),
)
SOURCE_COLUMNS = (
    Column("name", "Name", "text", width=200),
    Column("kind", "Kind", "choice", "source_kinds", width=130),
    Column("external", "External", "bool", width=65),
    Column("scope", "Scope", "choice", "scopes", width=90),
    Column("direction", "Direction", "choice", "directions", width=80),
    Column("strategic", "Strategic", "bool", width=65),
    Column("via", "Via", "ref", ref="sources", width=130),
    Column("notes", "Notes", "long", width=100),
)
ROUTINE_COLUMNS = (
    Column("name", "Routine", "text", width=180),
    Column("activity", "Activity", "long", width=170),
    Column("outcome", "Learning outcome", "long", width=170),
    Column("sources", "Knowledge sources", "refs", ref="sources", width=140),
    Column("stage", "Stage", "choice", "stages", width=125),
    Column("started", "Started", "text", width=70),
)
COLUMNS = {"events": EVENT_COLUMNS, "sources": SOURCE_COLUMNS, "routines": ROUTINE_COLUMNS}


def choices(vocab: str, framework) -> list[tuple[str, str, str]]:
    """(id, label, definition) for a vocabulary; stages are the framework's."""
    if vocab == "stages":
        return [(s.id, s.label, f"{s.definition}\n\nCode here: {s.coding_hint}") for s in framework.stages]
    if vocab == "levels":
        return [(lv.id, lv.label, lv.definition) for lv in framework.levels]
    voc = vocabulary()
    return [(t.id, t.label, t.definition + (("\n\nExamples: " + " ".join(t.extra["examples"]))
                                             if t.extra.get("examples") else ""))
            for t in getattr(voc, vocab)]


def label_of(vocab: str, value: str, framework=None) -> str:
    if vocab == "stages":
        st = all_stages().get(value)
        return st.label if st else value
    return vocabulary().label(vocab, value)


class _DragToReorder:
    """Drag a row to a new place: the model's ``ids`` are in order, and
    ``_move(id, to)`` asks the controller to move it (which reloads)."""

    def supportedDropActions(self):
        return Qt.DropAction.MoveAction

    def mimeTypes(self):
        return [MIME]

    def mimeData(self, indexes):
        data = QMimeData()
        rows = sorted({i.row() for i in indexes})
        data.setData(MIME, json.dumps([self.row_ids()[r] for r in rows[:1]]).encode())
        return data

    def dropMimeData(self, data, action, row, column, parent) -> bool:
        if action != Qt.DropAction.MoveAction or not data.hasFormat(MIME) or not self.can_reorder():
            return False
        (obj_id,) = json.loads(bytes(data.data(MIME)).decode())
        ids = self.row_ids()
        target = row if row >= 0 else (parent.row() if parent.isValid() else len(ids))
        current = ids.index(obj_id) if obj_id in ids else -1
        to = target - 1 if target > current else target
        if current >= 0 and to != current:
            self._move(obj_id, to)
        return False  # the controller's signal reloads the rows; Qt must not remove one itself

    def can_reorder(self) -> bool:
        return True


class FirmListModel(_DragToReorder, QAbstractListModel):
    """The study's firms, in order; drag to reorder."""

    def __init__(self, controller: StudyController):
        super().__init__()
        self.controller = controller
        self.firms: list[dict] = []
        controller.firmsChanged.connect(self.reload)
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self.firms = self.controller.session.firms()
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.firms)

    def data(self, index, role=DISPLAY):
        if not index.isValid():
            return None
        firm = self.firms[index.row()]
        if role == DISPLAY or role == EDIT:
            return firm["name"]
        if role == TOOLTIP:
            return f"{firm['name']} (id {firm['id']})"
        if role == USER:
            return firm["id"]
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not str(value).strip():
            return False
        return self.controller.set_field("firms", None, self.firms[index.row()]["id"], "name",
                                         str(value).strip(), text="Rename firm")

    def flags(self, index):
        base = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
                | Qt.ItemFlag.ItemIsEditable)
        return base if index.isValid() else Qt.ItemFlag.ItemIsDropEnabled

    def row_ids(self) -> list[str]:
        return [f["id"] for f in self.firms]

    def _move(self, firm_id: str, to: int) -> None:
        self.controller.move("firms", None, firm_id, to)

    def row_of(self, firm_id: str) -> int:
        return next((i for i, f in enumerate(self.firms) if f["id"] == firm_id), -1)


class ObjectTableModel(_DragToReorder, QAbstractTableModel):
    """A firm's events, sources or routines as a table, fetched lazily."""

    countChanged = Signal()

    def __init__(self, controller: StudyController, table: str):
        super().__init__()
        self.controller = controller
        self.table = table
        self.columns = COLUMNS[table]
        self.firm_id: str | None = None
        self.filter_text = ""
        self.ids: list[str] = []
        self.rows: dict[str, dict] = {}
        self.fetched = 0
        self.source_names: dict[str, str] = {}
        self.routine_names: dict[str, str] = {}
        self.warnings: dict[str, str] = {}
        self.exhausted = True
        self.total: int | None = 0
        self._last_position = -1
        self._in_place: list[str] = []   # ids being edited through this table or its detail pane
        self._open_editors = 0            # editors open on the table (the delegate counts them)
        self._reload_pending = False
        controller.changed.connect(self._on_changed)

    # ------------------------------------------------------------------ loading

    def set_firm(self, firm_id: str | None) -> None:
        if firm_id == self.firm_id:  # the same firm again (after a refused edit, say): as any change
            self.reload_when_free()
            return
        self.firm_id = firm_id
        self.reload()

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip()
        self.reload(warnings=False)

    def _on_changed(self, firm_id: str, table: str) -> None:
        if firm_id != (self.firm_id or ""):
            return
        if table == self.table and self._in_place:
            self._refresh(self._in_place[-1])
        elif table in (self.table, "sources", "firms"):  # the tables show source names, no routine's
            self.reload_when_free()

    @contextmanager
    def in_place(self, obj_id: str):
        """Within this block, a change to this table is an edit of ``obj_id``
        alone: its row is read again where it is, instead of the whole table
        (which would close the editors, reset the selection and scroll)."""
        self._in_place.append(obj_id)
        try:
            yield
        finally:
            self._in_place.pop()

    def _refresh(self, obj_id: str) -> None:
        row = self.loaded_row(obj_id)
        if row < 0:
            return
        try:
            obj = self.controller.session.get(self.table, self.firm_id, obj_id)
        except WorkbenchError:
            self.reload_when_free()
            return
        obj.pop("evidence", None)  # the table shows none; rows fetched by page have none either
        self.rows[obj_id] = obj
        if self.table == "sources":
            self.source_names[obj_id] = obj["name"]
        elif self.table == "routines":
            self.routine_names[obj_id] = obj["name"]
        if self.table == "events":
            self.warnings = self._warnings()  # a date can put later events out of order
        # other rows can show this one (a source's Via, a warning): repaint them all
        self.dataChanged.emit(self.index(0, 0), self.index(max(self.fetched - 1, 0), len(self.columns) - 1))

    def editor_opened(self) -> None:
        self._open_editors += 1

    def editor_closed(self) -> None:
        self._open_editors = max(0, self._open_editors - 1)
        if self._reload_pending and not self._open_editors:
            # after Tab, the next cell's editor opens right after this one closes: wait for the event loop
            QTimer.singleShot(0, self, self._reload_if_free)

    def _reload_if_free(self) -> None:
        if self._reload_pending and not self._open_editors:
            self.reload()

    def reload_when_free(self) -> None:
        """Reload now, or, while an editor is open on the table, once it closes."""
        if self._open_editors:
            self._reload_pending = True
        else:
            self.reload()

    def reload(self, warnings: bool = True) -> None:
        self._reload_pending = False
        self.beginResetModel()
        session = self.controller.session
        self.rows = {}
        self.ids = []
        self.fetched = 0
        self.exhausted = True
        self.total = 0
        self._last_position = -1
        if self.firm_id is not None and self.firm_id in {f["id"] for f in self.controller.session.firms()}:
            self.source_names = {s["id"]: s["name"] for s in session.objects("sources", self.firm_id)}
            self.routine_names = {r["id"]: r["name"] for r in session.objects("routines", self.firm_id)}
            if self.table == "events":
                if warnings:
                    self.warnings = self._warnings()
                self.exhausted = False
                self._take(session.event_page(self.firm_id, self.filter_text or None, -1, BATCH))
                # the exact count of a search over a long chronology comes a moment later
                self.total = len(self.ids) if self.exhausted else None
                if self.total is None:
                    QTimer.singleShot(0, self._count)
            else:
                for obj in session.objects(self.table, self.firm_id):
                    self.ids.append(obj["id"])
                    self.rows[obj["id"]] = obj
                self.fetched = self.total = len(self.ids)
        self.endResetModel()

    def _take(self, page: list[tuple[int, dict]]) -> None:
        for position, obj in page:
            self.ids.append(obj["id"])
            self.rows[obj["id"]] = obj
            self._last_position = position
        self.fetched = len(self.ids)
        self.exhausted = len(page) < BATCH

    def _count(self) -> None:
        if self.firm_id is None or self.controller.session.closed:
            return
        self.total = self.controller.session.event_count(self.firm_id, self.filter_text or None)
        self.countChanged.emit()

    def _warnings(self) -> dict[str, str]:
        """Per event: names of sources that no longer exist, and dates that
        run backwards (earlier than an event listed before it)."""
        out: dict[str, list[str]] = {}
        missing, dates = self.controller.session.event_warnings_data(self.firm_id)
        for ev_id, sid in missing:
            out.setdefault(ev_id, []).append(f"names a source that no longer exists: {sid!r}")
        for ev_id, date, _, top in dates_out_of_order(dates):
            out.setdefault(ev_id, []).append(f"dated {date}, earlier than {top} listed before it")
        return {k: "; ".join(v) for k, v in out.items()}

    def canFetchMore(self, parent=QModelIndex()) -> bool:
        return not parent.isValid() and self.table == "events" and not self.exhausted

    def fetchMore(self, parent=QModelIndex()) -> None:
        if not self.canFetchMore(parent):
            return
        page = self.controller.session.event_page(self.firm_id, self.filter_text or None,
                                                     self._last_position, BATCH)
        if not page:
            self.exhausted = True
            return
        self.beginInsertRows(QModelIndex(), len(self.ids), len(self.ids) + len(page) - 1)
        self._take(page)
        self.endInsertRows()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self.fetched

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def object_at(self, row: int) -> dict:
        return self.rows[self.ids[row]]

    def loaded_row(self, obj_id: str) -> int:
        """The row of an object among those fetched so far, or -1."""
        return self.ids.index(obj_id) if obj_id in self.rows else -1

    def row_of(self, obj_id: str) -> int:
        """The row of an object, fetching further pages until it appears."""
        while True:
            try:
                return self.ids.index(obj_id)
            except ValueError:
                if not self.canFetchMore():
                    return -1
                self.fetchMore()

    # ------------------------------------------------------------------ display

    def headerData(self, section, orientation, role=DISPLAY):
        if role != DISPLAY and role != TOOLTIP:  # the header asks for every role, section by section
            return None
        if orientation == HORIZONTAL and role == DISPLAY:
            return self.columns[section].header
        if orientation == HORIZONTAL and role == TOOLTIP:
            col = self.columns[section]
            tips = []
            if col.kind in ("choice", "multi"):
                fw = self.controller.session.framework
                tips.append("\n".join(f"{label}: {definition.splitlines()[0]}"
                                       for _, label, definition in choices(col.vocab, fw)))
            if (self.table, col.key) in (("events", "level"), ("routines", "stage")):
                what = "the default level of the event's primary stage" if col.key == "level" \
                    else "the stage a routine is taken to be at"
                tips.append(f"In brackets and grey: not chosen, but {what}.")
            if self.table == "events":
                tips.append("Right-click a heading to show or hide columns.")
            return "\n\n".join(tips) or None
        if orientation != HORIZONTAL and role == DISPLAY:
            return str(section + 1)
        return None

    def display(self, obj: dict, col: Column) -> str:
        value = obj.get(col.key)
        if col.kind == "when":
            return Event(id="", title="", date=obj.get("date"), when=obj.get("when")).time_label()
        if col.key == "level" and not value and self.table == "events":
            default = Event.from_dict({"id": "", "title": "", **{k: obj[k] for k in ("stages",) if k in obj}})
            level = default.effective_level()
            return f"({vocabulary().label('levels', level)})" if level else ""
        if col.key == "stage" and not value:
            return "(Institutionalising)"
        if value is None:
            return ""
        if col.kind == "choice":
            return label_of(col.vocab, value)
        if col.kind == "multi":
            return ", ".join(label_of(col.vocab, v) for v in value)
        if col.kind in ("ref", "refs"):
            names = self.source_names if col.ref == "sources" else self.routine_names
            values = value if isinstance(value, list) else [value]
            return ", ".join(names.get(v, f"⚠ {v}") for v in values)
        if col.kind == "bool":
            return ""
        return str(value)

    def is_default(self, obj: dict, col: Column) -> bool:
        """Whether the cell shows, in brackets, a default rather than a value
        chosen: an event's level (its primary stage's), a routine's stage."""
        return (not obj.get(col.key) and ((self.table == "events" and col.key == "level")
                                          or (self.table == "routines" and col.key == "stage"))
                and bool(self.display(obj, col)))

    def tooltip(self, obj: dict, col: Column) -> str | None:
        """The cell's whole text (a narrow column cuts it short), what a
        value means, and what the row's colour says."""
        tips = []
        text = self.display(obj, col)
        if self.is_default(obj, col):
            shown = text.strip("()")
            if col.key == "level":
                stage = all_stages().get((obj.get("stages") or [""])[0])
                tips.append(f"{shown}, in brackets: no level is chosen for this event; {shown} is the "
                            f"default level of its primary stage, {stage.label if stage else '?'}. "
                            "Double-click to choose a level.")
            else:
                tips.append(f"{shown}, in brackets: no stage is chosen for this routine; a routine is "
                            f"taken to be {shown} unless you choose another. Double-click to choose.")
        elif col.kind in ("choice", "multi") and obj.get(col.key):
            fw = self.controller.session.framework
            defs = {i: (label, d) for i, label, d in choices(col.vocab, fw)}
            values = obj[col.key] if isinstance(obj[col.key], list) else [obj[col.key]]
            tips += [f"{defs[v][0]}: {defs[v][1].splitlines()[0]}" if v in defs else str(v) for v in values]
        elif text and col.kind != "bool":
            tips.append(text)  # the whole of it: the cell may show it cut short (…)
        if self.table == "events":
            if col.key == "title" and obj.get("critical"):
                tips.append("◆ A critical incident")
            if col.key == "title" and obj.get("description"):
                tips.append(obj["description"])
            warning = self.warnings.get(obj["id"])
            if warning:
                tips.append("Needs attention: " + warning)
            if not obj.get("stages") or not obj.get("learning_types"):
                n = min(len(self.controller.session.framework.stages), 9)
                keys = "/".join(vocabulary().term_values("learning_types", "key").values())
                tips.append(f"Not yet coded: give it a stage and a learning type (keys 1-{n}, {keys})")
        return "\n\n".join(tips) or None

    def data(self, index, role=DISPLAY):
        if not index.isValid():
            return None
        obj = self.rows[self.ids[index.row()]]
        col = self.columns[index.column()]
        if role == DISPLAY:
            return self.display(obj, col)
        if role == EDIT:
            if col.kind == "when":
                return obj.get("date") or obj.get("when") or ""
            return obj.get(col.key)
        if role == CHECK and col.kind == "bool":
            value = obj.get(col.key)
            if col.key == "external" and value is None:
                value = vocabulary().source_is_external(obj.get("kind"))
            return Qt.CheckState.Checked if value else Qt.CheckState.Unchecked
        if role == USER:
            return obj["id"]
        if role == TOOLTIP:
            return self.tooltip(obj, col)
        if (role == FOREGROUND or role == FONT) and self.is_default(obj, col):
            return DEFAULT_TEXT if role == FOREGROUND else _italic()
        if self.table == "events":
            if role == BACKGROUND:
                if self.warnings.get(obj["id"]):
                    return WARNING
                if not obj.get("stages") or not obj.get("learning_types"):
                    return UNCODED
            if col.key == "title" and obj.get("critical"):
                if role == DECORATION:
                    return critical_icon()
                if role == FONT:
                    return _bold()
        return None

    def flags(self, index):
        if not index.isValid():
            droppable = self.table == "events" and not self.filter_text
            return Qt.ItemFlag.ItemIsDropEnabled if droppable else Qt.ItemFlag.NoItemFlags
        col = self.columns[index.column()]
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        if col.kind == "bool":
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base | Qt.ItemFlag.ItemIsEditable

    # ------------------------------------------------------------------ editing

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or self.firm_id is None:
            return False
        with self.in_place(self.ids[index.row()]):
            return self._set_data(index, value, role)

    def _set_data(self, index, value, role) -> bool:
        obj = self.object_at(index.row())
        col = self.columns[index.column()]
        c = self.controller
        if col.kind == "bool" and role == Qt.ItemDataRole.CheckStateRole:
            checked = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
            return c.set_field(self.table, self.firm_id, obj["id"], col.key, True if checked else
                               (False if col.key == "external" else None))
        if role != Qt.ItemDataRole.EditRole:
            return False
        if col.kind == "when":
            text = str(value or "").strip()
            if _DATE.match(text):
                ok = c.set_field("events", self.firm_id, obj["id"], "date", text, text="Edit date")
                if ok and obj.get("when") and obj.get("when") == obj.get("date"):
                    c.set_field("events", self.firm_id, obj["id"], "when", None)
                return ok
            if obj.get("date") and not text:
                return c.set_field("events", self.firm_id, obj["id"], "date", None, text="Clear date")
            return c.set_field("events", self.firm_id, obj["id"], "when", text or None, text="Edit time")
        if col.kind in ("text", "long"):
            value = str(value or "").replace("\t", " ")  # a tab character has no place in a cell (nor in the report)
            if col.key in ("title", "name") and not value.strip():
                return False
            value = value if value.strip() or col.key in ("title", "name") else None
        if col.kind in ("choice", "ref") and value == "":
            value = None
        if value == obj.get(col.key):
            return True  # nothing changed: no write, no undo step
        return c.set_field(self.table, self.firm_id, obj["id"], col.key, value)

    # ------------------------------------------------------------------ drag to reorder

    def row_ids(self) -> list[str]:
        return self.ids

    def can_reorder(self) -> bool:
        return not self.filter_text  # a filtered table shows only some rows: their order is not the firm's

    def _move(self, obj_id: str, to: int) -> None:
        self.controller.move(self.table, self.firm_id, obj_id, to)
