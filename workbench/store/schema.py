"""The ``.lpw`` schema and its migrations.

The schema version lives in ``PRAGMA user_version``; ``PRAGMA
application_id`` marks the file as a workbench study. ``MIGRATIONS[n]``
brings a file from version n-1 to version n; a new file runs them all, so the
path from the first version on is the one every file takes. See
``docs/schema.md`` for a reader's guide.
"""

from __future__ import annotations

import sqlite3

APPLICATION_ID = 0x4C505721  # "LPW!"
SCHEMA_VERSION = 4

_V1 = """
CREATE TABLE study (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    title        TEXT NOT NULL,
    description  TEXT,
    authors      TEXT CHECK (authors IS NULL OR json_valid(authors)),
    coder        TEXT,
    framework    TEXT NOT NULL CHECK (framework IN ('4I', '5I', '4I-AE')),
    extra        TEXT CHECK (extra IS NULL OR json_valid(extra)),
    empty_lists  TEXT CHECK (empty_lists IS NULL OR json_valid(empty_lists))
);

CREATE TABLE documents (
    id        TEXT PRIMARY KEY,
    position  INTEGER NOT NULL,
    name      TEXT NOT NULL,
    kind      TEXT,
    date      TEXT,
    firm      TEXT,
    text      TEXT NOT NULL,
    extra     TEXT CHECK (extra IS NULL OR json_valid(extra))
);

CREATE TABLE firms (
    id          TEXT PRIMARY KEY,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    profile     TEXT CHECK (profile IS NULL OR json_valid(profile)),
    attributes  TEXT CHECK (attributes IS NULL OR json_valid(attributes)),
    summary     TEXT CHECK (summary IS NULL OR json_valid(summary)),
    memo        TEXT,
    extra       TEXT CHECK (extra IS NULL OR json_valid(extra)),
    empty_lists TEXT CHECK (empty_lists IS NULL OR json_valid(empty_lists))
);

CREATE TABLE sources (
    firm       TEXT NOT NULL REFERENCES firms (id) ON DELETE CASCADE ON UPDATE CASCADE,
    id         TEXT NOT NULL,
    position   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    external   INTEGER CHECK (external IN (0, 1)),
    country    TEXT,
    location   TEXT,
    scope      TEXT,
    direction  TEXT,
    strategic  INTEGER CHECK (strategic IN (0, 1)),
    via        TEXT,
    notes      TEXT,
    extra      TEXT CHECK (extra IS NULL OR json_valid(extra)),
    PRIMARY KEY (firm, id)
);

CREATE TABLE routines (
    firm      TEXT NOT NULL REFERENCES firms (id) ON DELETE CASCADE ON UPDATE CASCADE,
    id        TEXT NOT NULL,
    position  INTEGER NOT NULL,
    name      TEXT NOT NULL,
    activity  TEXT,
    outcome   TEXT,
    sources   TEXT CHECK (sources IS NULL OR json_valid(sources)),
    stage     TEXT,
    started   TEXT,
    notes     TEXT,
    extra     TEXT CHECK (extra IS NULL OR json_valid(extra)),
    PRIMARY KEY (firm, id)
);

CREATE TABLE events (
    firm             TEXT NOT NULL REFERENCES firms (id) ON DELETE CASCADE ON UPDATE CASCADE,
    id               TEXT NOT NULL,
    position         INTEGER NOT NULL,
    title            TEXT NOT NULL,
    description      TEXT,
    date             TEXT,
    when_text        TEXT,
    critical         INTEGER CHECK (critical IN (0, 1)),
    phase            TEXT,
    stages           TEXT CHECK (stages IS NULL OR json_valid(stages)),
    level            TEXT,
    learning_types   TEXT CHECK (learning_types IS NULL OR json_valid(learning_types)),
    knowledge_types  TEXT CHECK (knowledge_types IS NULL OR json_valid(knowledge_types)),
    sources          TEXT CHECK (sources IS NULL OR json_valid(sources)),
    routines         TEXT CHECK (routines IS NULL OR json_valid(routines)),
    actors           TEXT CHECK (actors IS NULL OR json_valid(actors)),
    tags             TEXT CHECK (tags IS NULL OR json_valid(tags)),
    memo             TEXT,
    extra            TEXT CHECK (extra IS NULL OR json_valid(extra)),
    empty_lists      TEXT CHECK (empty_lists IS NULL OR json_valid(empty_lists)),
    PRIMARY KEY (firm, id)
);

CREATE TABLE evidence (
    firm          TEXT NOT NULL,
    event         TEXT NOT NULL,
    position      INTEGER NOT NULL,
    quote         TEXT NOT NULL,
    speaker       TEXT,
    document      TEXT REFERENCES documents (id) ON UPDATE CASCADE,
    start_offset  INTEGER,
    end_offset    INTEGER,
    location      TEXT,
    extra         TEXT CHECK (extra IS NULL OR json_valid(extra)),
    PRIMARY KEY (firm, event, position),
    FOREIGN KEY (firm, event) REFERENCES events (firm, id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE links (
    firm        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    from_event  TEXT NOT NULL,
    to_event    TEXT NOT NULL,
    label       TEXT,
    extra       TEXT CHECK (extra IS NULL OR json_valid(extra)),
    PRIMARY KEY (firm, position),
    FOREIGN KEY (firm) REFERENCES firms (id) ON DELETE CASCADE ON UPDATE CASCADE,
    FOREIGN KEY (firm, from_event) REFERENCES events (firm, id) ON DELETE CASCADE ON UPDATE CASCADE,
    FOREIGN KEY (firm, to_event) REFERENCES events (firm, id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX events_by_position ON events (firm, position);
CREATE INDEX sources_by_position ON sources (firm, position);
CREATE INDEX routines_by_position ON routines (firm, position);
CREATE INDEX evidence_by_document ON evidence (document);
CREATE INDEX links_from ON links (firm, from_event);
CREATE INDEX links_to ON links (firm, to_event);

-- For people browsing the file in sqlite-utils or Datasette: one row per
-- event with its primary codes pulled out of the JSON lists.
CREATE VIEW event_codes AS
SELECT firm, id, position, title, date, when_text, critical, phase,
       json_extract(stages, '$[0]') AS primary_stage,
       level,
       json_extract(learning_types, '$[0]') AS primary_learning_type,
       stages, learning_types, sources, routines
FROM events;
"""


def statements(script: str) -> list[str]:
    """Split a script into statements, so that migrations can run them one by
    one inside the caller's transaction (``executescript`` would commit)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not buf.strip():
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def _migrate_to_1(conn: sqlite3.Connection) -> None:
    for stmt in statements(_V1):
        conn.execute(stmt)


# Version 2: the study's framework is any framework of the frameworks folder,
# so the table no longer lists them in a CHECK. SQLite cannot drop a CHECK:
# the table is built again under a new name, filled, and put in its place.
_V2_STUDY = """
CREATE TABLE study_v2 (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    title        TEXT NOT NULL,
    description  TEXT,
    authors      TEXT CHECK (authors IS NULL OR json_valid(authors)),
    coder        TEXT,
    framework    TEXT NOT NULL,
    extra        TEXT CHECK (extra IS NULL OR json_valid(extra)),
    empty_lists  TEXT CHECK (empty_lists IS NULL OR json_valid(empty_lists))
);

INSERT INTO study_v2 (id, title, description, authors, coder, framework, extra, empty_lists)
SELECT id, title, description, authors, coder, framework, extra, empty_lists FROM study;

DROP TABLE study;

ALTER TABLE study_v2 RENAME TO study;
"""


def _migrate_to_2(conn: sqlite3.Connection) -> None:
    for stmt in statements(_V2_STUDY):
        conn.execute(stmt)


# Version 3: the study's own codes, codes on events and evidence, memos on
# evidence, and coded passages of documents (the format's compatible extension).
_V3 = """
CREATE TABLE codes (
    id           TEXT PRIMARY KEY,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    colour       TEXT,
    parent       TEXT,
    extra        TEXT CHECK (extra IS NULL OR json_valid(extra))
);

CREATE TABLE passages (
    document      TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE ON UPDATE CASCADE,
    id            TEXT NOT NULL,
    position      INTEGER NOT NULL,
    start_offset  INTEGER NOT NULL,
    end_offset    INTEGER NOT NULL,
    speaker       TEXT,
    codes         TEXT CHECK (codes IS NULL OR json_valid(codes)),
    memo          TEXT,
    extra         TEXT CHECK (extra IS NULL OR json_valid(extra)),
    PRIMARY KEY (document, id)
);

CREATE INDEX passages_by_position ON passages (document, position);

ALTER TABLE documents ADD COLUMN empty_lists TEXT CHECK (empty_lists IS NULL OR json_valid(empty_lists));

ALTER TABLE events ADD COLUMN codes TEXT CHECK (codes IS NULL OR json_valid(codes));

ALTER TABLE evidence ADD COLUMN codes TEXT CHECK (codes IS NULL OR json_valid(codes));

ALTER TABLE evidence ADD COLUMN memo TEXT;
"""


def _migrate_to_3(conn: sqlite3.Connection) -> None:
    for stmt in statements(_V3):
        conn.execute(stmt)


# Version 4: each firm's renewal checklist (the format's firm key
# ``actions``): where the firm stands on each action of
# resources/renewal/actions.json, or on an action of the consultant's own.
# ``event`` follows a renamed event (ON UPDATE CASCADE); an event an action
# names cannot be deleted until the action no longer names it (the session
# clears it first, as an edit of its own that undo restores). The check is
# deferred to the end of the transaction, so that the format's rules, checked
# before it, explain a wrong event in words.
_V4 = """
CREATE TABLE actions (
    firm      TEXT NOT NULL REFERENCES firms (id) ON DELETE CASCADE ON UPDATE CASCADE,
    id        TEXT NOT NULL,
    position  INTEGER NOT NULL,
    status    TEXT NOT NULL,
    event     TEXT,
    date      TEXT,
    owner     TEXT,
    note      TEXT,
    text      TEXT,
    extra     TEXT CHECK (extra IS NULL OR json_valid(extra)),
    PRIMARY KEY (firm, id),
    FOREIGN KEY (firm, event) REFERENCES events (firm, id) ON UPDATE CASCADE
        DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX actions_by_position ON actions (firm, position);
"""


def _migrate_to_4(conn: sqlite3.Connection) -> None:
    for stmt in statements(_V4):
        conn.execute(stmt)


# version -> function that brings a file from version-1 to version
MIGRATIONS = {1: _migrate_to_1, 2: _migrate_to_2, 3: _migrate_to_3, 4: _migrate_to_4}

assert max(MIGRATIONS) == SCHEMA_VERSION
