"""REFI-QDA exchange: ``.qdpx`` projects and ``.qdc`` codebooks, out and in.

REFI-QDA (www.qdasoftware.org) is the standard NVivo, ATLAS.ti, MAXQDA,
QualCoder and others exchange projects through: a ``.qdpx`` is a zip holding
``project.qde`` (XML, namespace ``urn:QDA-XML:project:1.0``) and the source
texts under ``sources/``; a ``.qdc`` is a codebook alone.

How a study maps onto a project
-------------------------------
* documents -> ``TextSource`` (``sources/<guid>.txt``, UTF-8 without BOM,
  ``\\n`` line ends); a document's kind and date are the source variables
  "Document kind" and "Document date";
* evidence anchored in a document and coded passages -> ``PlainTextSelection``
  (positions in Unicode code points, end exclusive); evidence that quotes no
  document -> a ``Note`` holding the quote, coded as a whole (a selection of
  the note), so it still shows under its event;
* codes: a "Framework: <id>" tree (stages, levels, learning types, phases),
  an "Events" tree (one code per firm, one per event under it) and the
  study's own codes; a selection that is evidence of an event is coded with
  the event's code, its stages, level, learning types and phase, and the
  evidence's own codes;
* firms -> ``Case`` (profile and attributes as ``Variable`` values, the
  firm's memo as its description, a ``CodeRef`` to the firm's code under
  "Events", a ``SourceRef`` to each document about the firm);
* memos (of events, evidence, passages) -> ``Note``; the coder -> ``User``.

GUIDs are UUID5 of the study's title and the object, so exporting a study
twice gives the same ``project.qde``. The zip also holds ``lpw/ids.json``
(the workbench's ids of the objects, by GUID) so that a project exported
and imported again keeps its ids; other tools ignore it, and a project
without it gets ids made from names.

Reading is lenient with what real tools write (GUIDs in braces or upper
case, ``Sources/`` or ``sources/`` or no folder, text inline in
``PlainTextContent``, no ``origin``, notes without dates, CRLF texts counted
either way, characters above U+FFFF counted as two UTF-16 units) and strict
about safety: no entities, no DTD, no network; zip members may not leave the
archive's folder; their number, total size and compression ratio are
bounded. What a study cannot hold is listed as skipped. A malformed file is
named with its part and line, and nothing is written on failure.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from ..core.errors import InputError
from ..core.frameworks import (all_stages, default_framework_id, framework as get_framework,
                               framework_ids, vocabulary)
from ..core.model import Study
from ..core.validate import Problem

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
IDS_MEMBER = "lpw/ids.json"
IDS_FORMAT = "lpw-refiqda-ids"
EVENTS_CODE = "Events"
FRAMEWORK_PREFIX = "Framework: "
DEFAULT_USER = "Learning Process Workbench"
DOC_KIND_VAR = "Document kind"
DOC_DATE_VAR = "Document date"
ATTR_SUFFIX = " (attribute)"

# Safety limits for reading a .qdpx
MAX_MEMBERS = 100_000
MAX_TOTAL_BYTES = 2 * 1024 ** 3       # uncompressed, all members together
MAX_RATIO = 200                        # uncompressed / compressed, for members over 1 MB
RATIO_FLOOR = 1024 * 1024

_LPW_NS = uuid.UUID("6f1f3c52-8d8e-4d5b-9a57-2f1c0c6a4e11")
_GROUPS = (("stages", "Stages"), ("levels", "Levels"), ("learning_types", "Learning types"),
           ("phases", "Phases"))


def _n(count: int, word: str) -> str:
    """``1 code``, ``2 codes``, ``2 links between objects``."""
    if count == 1:
        return f"1 {word}"
    head, _, tail = word.partition(" between")
    return f"{count} {head}s" + (f" between{tail}" if tail else "")


def _origin() -> str:
    try:
        from importlib.metadata import version

        return f"Learning Process Workbench {version('learning-process-workbench')}"
    except Exception:  # not installed: running from a source tree
        return "Learning Process Workbench"


# ==========================================================================
# export


_VARIANT = {h: "89ab"[int(h, 16) & 3] for h in "0123456789abcdef"}


class _Guids:
    """Deterministic GUIDs: UUID5 of the study and the object."""

    def __init__(self, study: Study):
        self.ns = uuid.uuid5(_LPW_NS, f"study\x1f{study.title}").bytes
        self.ids: dict[str, list] = {}

    def __call__(self, *parts: str, record: list | None = None) -> str:
        # uuid.uuid5, without building UUID objects (an export makes hundreds of thousands)
        x = hashlib.sha1(self.ns + "\x1f".join(parts).encode("utf-8")).hexdigest()
        guid = f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"
        if record is not None:
            self.ids[guid] = record
        return guid


def _stamp(when: datetime) -> str:
    return when.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _framework_values(fw_id: str) -> dict[str, list[tuple[str, str]]]:
    """Per group (stages, levels, learning types, phases): (id, label)."""
    fw = get_framework(fw_id)
    voc = vocabulary()
    stages = all_stages()
    return {
        "stages": [(s, stages[s].label if s in stages else s) for s in fw.stage_ids],
        "levels": [(lv, voc.label("levels", lv)) for lv in fw.level_ids],
        "learning_types": [(t, voc.label("learning_types", t)) for t in voc.ids("learning_types")],
        "phases": [(p, voc.label("phases", p)) for p in voc.ids("phases")],
    }


class _Writer:
    def __init__(self, study: Study, when: datetime):
        from lxml import etree

        self.etree = etree
        self.study = study
        self.when = _stamp(when)
        self.g = _Guids(study)
        self.user = self.g("user")
        self.fw = _framework_values(study.framework)
        self.fw_guid: dict[tuple[str, str], str] = {}
        self.code_guid: dict[str, str] = {}
        self.event_guid: dict[tuple[str, str], str] = {}
        self.firm_code_guid: dict[str, str] = {}
        self.notes: list = []  # Note elements, written under <Notes>

    # ---- codes
    def framework_codes(self, parent, ns: str, codebook: bool = False) -> None:
        E = self.etree.SubElement
        top = E(parent, f"{{{ns}}}Code", guid=self.g("code", "framework"),
                name=f"{FRAMEWORK_PREFIX}{self.study.framework}", isCodable="false")
        for group, title in _GROUPS:
            values = self.fw[group]
            if not values:
                continue
            node = E(top, f"{{{ns}}}Code", guid=self.g("code", "framework-part", group), name=title,
                     isCodable="false")
            for vid, label in values:
                guid = self.g("code", group, vid)
                self.fw_guid[(group, vid)] = guid
                E(node, f"{{{ns}}}Code", guid=guid, name=label, isCodable="true")

    def study_codes(self, parent, ns: str) -> None:
        E = self.etree.SubElement
        codes = self.study.code_list
        children: dict[str | None, list] = {}
        for c in codes:
            children.setdefault(c.parent, []).append(c)
        for c in codes:
            self.code_guid[c.id] = self.g("code", "study", c.id, record=["code", c.id])

        def add(node, code) -> None:
            attrs = {"guid": self.code_guid[code.id], "name": code.name, "isCodable": "true"}
            if code.colour:
                attrs["color"] = code.colour
            el = E(node, f"{{{ns}}}Code", attrs)
            if code.description:
                E(el, f"{{{ns}}}Description").text = code.description
            for child in children.get(code.id, ()):
                add(el, child)

        for code in children.get(None, ()):
            add(parent, code)

    def event_codes(self, parent, ns: str) -> None:
        E = self.etree.SubElement
        P = f"{{{ns}}}"
        top = E(parent, f"{P}Code", guid=self.g("code", "events"), name=EVENTS_CODE, isCodable="false")
        for firm in self.study.firms:
            fguid = self.g("code", "firm", firm.id, record=["firm", firm.id])
            self.firm_code_guid[firm.id] = fguid
            fnode = E(top, f"{P}Code", guid=fguid, name=firm.name, isCodable="false")
            for ev in firm.event_list:
                guid = self.g("code", "event", firm.id, ev.id, record=["event", firm.id, ev.id])
                self.event_guid[(firm.id, ev.id)] = guid
                enode = E(fnode, f"{P}Code", guid=guid, name=ev.title, isCodable="true")
                if ev.description:
                    E(enode, f"{P}Description").text = ev.description
                if ev.memo:
                    note = self.note(("event", firm.id, ev.id), f"Memo: {ev.title}", ev.memo)
                    E(enode, f"{P}NoteRef", targetGUID=note)

    # ---- notes
    def note(self, key: tuple, name: str, text: str, record: list | None = None):
        E = self.etree.SubElement
        P = f"{{{NS_PROJECT}}}"
        guid = self.g("note", *key, record=record)
        el = self.etree.Element(f"{P}Note", guid=guid, name=name, creatingUser=self.user,
                                creationDateTime=self.when)
        E(el, f"{P}PlainTextContent").text = text
        self.notes.append(el)
        return guid

    def codings(self, sel, sel_guid: str, code_guids: list[str]) -> None:
        E = self.etree.SubElement
        P = f"{{{NS_PROJECT}}}"
        coding, ref, user = f"{P}Coding", f"{P}CodeRef", self.user
        for cg in dict.fromkeys(code_guids):
            c = E(sel, coding, {"guid": self.g("coding", sel_guid, cg), "creatingUser": user})
            E(c, ref, {"targetGUID": cg})

    def evidence_codes(self, firm_id: str, ev, item) -> list[str]:
        out = [self.event_guid[(firm_id, ev.id)]]
        for s in ev.stages or ():
            if ("stages", s) in self.fw_guid:
                out.append(self.fw_guid[("stages", s)])
        if ev.level and ("levels", ev.level) in self.fw_guid:
            out.append(self.fw_guid[("levels", ev.level)])
        for t in ev.learning_types or ():
            if ("learning_types", t) in self.fw_guid:
                out.append(self.fw_guid[("learning_types", t)])
        if ev.phase and ("phases", ev.phase) in self.fw_guid:
            out.append(self.fw_guid[("phases", ev.phase)])
        out.extend(self.code_guid[c] for c in item.codes or () if c in self.code_guid)
        return out

    @staticmethod
    def describe(speaker: str | None, location: str | None) -> str | None:
        lines = []
        if speaker:
            lines.append(f"Speaker: {speaker}")
        if location:
            lines.append(f"Location: {location}")
        return "\n".join(lines) or None

    # ---- the project
    def project(self) -> tuple[bytes, dict[str, bytes]]:
        etree = self.etree
        E = etree.SubElement
        P = f"{{{NS_PROJECT}}}"
        study = self.study
        root = etree.Element(f"{P}Project", nsmap={None: NS_PROJECT})
        root.set("name", study.title)
        root.set("origin", _origin())
        root.set("creatingUserGUID", self.user)
        root.set("creationDateTime", self.when)
        users = E(root, f"{P}Users")
        E(users, f"{P}User", guid=self.user, name=study.coder or DEFAULT_USER)

        codes = E(E(root, f"{P}CodeBook"), f"{P}Codes")
        self.framework_codes(codes, NS_PROJECT)
        self.event_codes(codes, NS_PROJECT)
        self.study_codes(codes, NS_PROJECT)

        # variables: profile fields (by label), attributes (by name), document kind/date
        voc = vocabulary()
        profile_labels = {k: v.get("label", k) for k, v in (voc_profile_fields(voc)).items()}
        taken = {s.lower() for k, lab in profile_labels.items() for s in (k, lab)}
        taken |= {DOC_KIND_VAR.lower(), DOC_DATE_VAR.lower()}
        variables: dict[tuple[str, str], tuple[str, str, str]] = {}  # (kind,key) -> guid,name,type
        values_of: dict[tuple[str, str], list] = {}
        for firm in study.firms:
            for key, value in (firm.profile or {}).items():
                if not key.startswith("x-"):
                    values_of.setdefault(("profile", key), []).append(value)
            for key, value in (firm.attributes or {}).items():
                values_of.setdefault(("attribute", key), []).append(value)
        for (kind, key), values in values_of.items():
            if kind == "profile":
                name = profile_labels.get(key, key)
            else:
                name = key + ATTR_SUFFIX if key.lower() in taken or key.endswith(ATTR_SUFFIX) else key
            variables[(kind, key)] = (self.g("variable", kind, key, record=["variable", kind, key]),
                                      name, _var_type(values))
        docs = study.document_list
        if any(d.kind for d in docs):
            variables[("doc", "kind")] = (self.g("variable", "doc", "kind"), DOC_KIND_VAR, "Text")
        if any(d.date for d in docs):
            variables[("doc", "date")] = (self.g("variable", "doc", "date"), DOC_DATE_VAR, "Text")
        if variables:
            vs = E(root, f"{P}Variables")
            for guid, name, vtype in variables.values():
                E(vs, f"{P}Variable", guid=guid, name=name, typeOfVariable=vtype)

        doc_guid = {d.id: self.g("source", d.id, record=["document", d.id]) for d in docs}
        if study.firms:
            cases = E(root, f"{P}Cases")
            for firm in study.firms:
                case = E(cases, f"{P}Case", guid=self.g("case", firm.id, record=["firm", firm.id]),
                         name=firm.name)
                if firm.memo:
                    E(case, f"{P}Description").text = firm.memo
                E(case, f"{P}CodeRef", targetGUID=self.firm_code_guid[firm.id])
                for kind, mapping in (("profile", firm.profile), ("attribute", firm.attributes)):
                    for key, value in (mapping or {}).items():
                        if (kind, key) in variables:
                            _variable_value(E, P, case, variables[(kind, key)], value)
                for d in docs:
                    if d.firm == firm.id:
                        E(case, f"{P}SourceRef", targetGUID=doc_guid[d.id])

        # selections per document: passages, then anchored evidence
        anchored: dict[str, list] = {}
        loose: list = []
        for firm in study.firms:
            for ev in firm.event_list:
                for i, item in enumerate(ev.evidence or ()):
                    if item.document is not None and item.start is not None:
                        anchored.setdefault(item.document, []).append((firm.id, ev, i, item))
                    else:
                        loose.append((firm.id, ev, i, item))
        files: dict[str, bytes] = {}
        # The sources and their selections are most of a project: they are
        # written as text (escaped here), which is several times faster than
        # building elements, and put in place of a mark when the rest is
        # serialised.
        sources_xml: list[str] = []
        mark = None
        if docs:
            sources = E(root, f"{P}Sources")
            mark = f"lpw-sources-{uuid.uuid4().hex}"
            sources.text = mark
            out = sources_xml.append
            user, when = self.user, self.when
            sel_open = '<PlainTextSelection guid="{}" startPosition="{}" endPosition="{}" ' \
                       f'creatingUser="{user}" creationDateTime="{when}">'
            coding = '<Coding guid="{}" creatingUser="' + user + '"><CodeRef targetGUID="{}"/></Coding>'

            def selection(sg: str, start: int, end: int, desc: str | None, codes: list[str],
                          memo_key: tuple | None, memo: str | None) -> None:
                out(sel_open.format(sg, start, end))
                if desc:
                    out(f"<Description>{_esc(desc)}</Description>")
                g = self.g
                for cg in dict.fromkeys(codes):
                    out(coding.format(g("coding", sg, cg), cg))
                if memo:
                    out(f'<NoteRef targetGUID="{self.note(memo_key, "Memo", memo)}"/>')
                out("</PlainTextSelection>")

            for d in docs:
                guid = doc_guid[d.id]
                out(f'<TextSource guid="{guid}" name={_attr(d.name)} plainTextPath="internal://{guid}.txt" '
                    f'creatingUser="{user}" creationDateTime="{when}">')
                files[f"sources/{guid}.txt"] = d.text.encode("utf-8")
                for p in d.passage_list:
                    sg = self.g("passage", d.id, p.id, record=["passage", d.id, p.id])
                    selection(sg, p.start, p.end, self.describe(p.speaker, None),
                              [self.code_guid[c] for c in p.codes or () if c in self.code_guid],
                              ("passage", d.id, p.id), p.memo)
                for firm_id, ev, i, item in anchored.get(d.id, ()):
                    sg = self.g("evidence", firm_id, ev.id, str(i), record=["evidence", firm_id, ev.id, i])
                    selection(sg, item.start, item.end, self.describe(item.speaker, item.location),
                              self.evidence_codes(firm_id, ev, item),
                              ("evidence-memo", firm_id, ev.id, str(i)), item.memo)
                for kind, value in (("kind", d.kind), ("date", d.date)):
                    if value and ("doc", kind) in variables:
                        out(f'<VariableValue><VariableRef targetGUID="{variables[("doc", kind)][0]}"/>'
                            f'<TextValue>{_esc(value)}</TextValue></VariableValue>')
                out("</TextSource>")
        # evidence quoting no document: a note holding the quote, coded as a whole
        for firm_id, ev, i, item in loose:
            self.note(("evidence", firm_id, ev.id, str(i)), f"Evidence: {ev.title}", item.quote,
                      record=["evidence", firm_id, ev.id, i])
            note = self.notes[-1]
            sg = self.g("evidence-selection", firm_id, ev.id, str(i))
            sel = E(note, f"{P}PlainTextSelection", guid=sg, startPosition="0",
                    endPosition=str(len(item.quote)), creatingUser=self.user, creationDateTime=self.when)
            desc = self.describe(item.speaker, item.location)
            if desc:
                E(sel, f"{P}Description").text = desc
            self.codings(sel, sg, self.evidence_codes(firm_id, ev, item))
            if item.memo:
                E(sel, f"{P}NoteRef", targetGUID=self.note(("evidence-memo", firm_id, ev.id, str(i)),
                                                           "Memo", item.memo))
        if self.notes:
            notes = E(root, f"{P}Notes")
            notes.extend(self.notes)
        if study.description:
            E(root, f"{P}Description").text = study.description
        xml = etree.tostring(root, xml_declaration=True, encoding="utf-8")
        if mark is not None:
            head, tail = xml.split(mark.encode("ascii"))
            xml = b"".join((head, "".join(sources_xml).encode("utf-8"), tail))
        return xml, files

    def codebook(self) -> bytes:
        etree = self.etree
        root = etree.Element(f"{{{NS_CODEBOOK}}}CodeBook", nsmap={None: NS_CODEBOOK}, origin=_origin())
        codes = etree.SubElement(root, f"{{{NS_CODEBOOK}}}Codes")
        self.framework_codes(codes, NS_CODEBOOK)
        self.study_codes(codes, NS_CODEBOOK)
        return etree.tostring(root, xml_declaration=True, encoding="utf-8")


_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_XML_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;",
                           "\n": "&#10;", "\t": "&#9;"})


# characters XML 1.0 cannot hold (the format's rule 6 replaces them by spaces)
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _esc(text: str) -> str:
    if _BAD_XML.search(text):
        text = _BAD_XML.sub(" ", text)
    return text.translate(_XML_TEXT)


def _attr(text: str) -> str:
    if _BAD_XML.search(text):
        text = _BAD_XML.sub(" ", text)
    return f'"{text.translate(_XML_ATTR)}"'


def voc_profile_fields(voc) -> dict:
    data = getattr(voc, "profile_fields", None)
    if isinstance(data, dict):
        return data
    import json as _json
    from ..core.frameworks import resources_dir

    return _json.loads((resources_dir() / "frameworks" / "vocabulary.json").read_text("utf-8"))["profile_fields"]


def _var_type(values: list) -> str:
    kinds = {("Boolean" if isinstance(v, bool) else "Integer" if isinstance(v, int)
              else "Float" if isinstance(v, float) else "Text") for v in values}
    if kinds == {"Integer", "Float"}:
        return "Float"
    return kinds.pop() if len(kinds) == 1 else "Text"


def _variable_value(E, P: str, parent, var: tuple[str, str, str], value) -> None:
    guid, _, vtype = var
    vv = E(parent, f"{P}VariableValue")
    E(vv, f"{P}VariableRef", targetGUID=guid)
    if vtype == "Boolean":
        E(vv, f"{P}BooleanValue").text = "true" if value else "false"
    elif vtype == "Integer":
        E(vv, f"{P}IntegerValue").text = str(int(value))
    elif vtype == "Float":
        E(vv, f"{P}FloatValue").text = repr(float(value)) if not isinstance(value, int) else str(value)
    else:
        E(vv, f"{P}TextValue").text = value if isinstance(value, str) else json.dumps(value)


def _xml_safe(study: Study) -> Study:
    """The study with characters XML cannot hold replaced by spaces (a study
    read through the format has none; one built otherwise might)."""
    from ..core.validate import sanitise

    return Study.from_dict(sanitise(study.to_dict())[0])


def qdpx_bytes(study: Study, when: datetime) -> bytes:
    """The ``.qdpx`` of a study, as bytes (deterministic for a given ``when``)."""
    w = _Writer(study, when)
    try:
        xml, files = w.project()
    except ValueError:  # lxml refuses a character XML cannot hold
        study = _xml_safe(study)
        w = _Writer(study, when)
        xml, files = w.project()
    ids = {"format": IDS_FORMAT, "version": 1, "framework": study.framework,
           "coder": study.coder, "ids": w.g.ids}
    stamp = when.astimezone(timezone.utc)
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        def put(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data, compresslevel=1)

        put("project.qde", xml)
        for name, data in files.items():
            put(name, data)
        put(IDS_MEMBER, json.dumps(ids, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return buf.getvalue()


def qdc_bytes(study: Study, when: datetime | None = None) -> bytes:
    """The ``.qdc`` codebook of a study: its framework's codes and its own."""
    when = when or datetime(2000, 1, 1, tzinfo=timezone.utc)
    try:
        return _Writer(study, when).codebook()
    except ValueError:  # lxml refuses a character XML cannot hold
        return _Writer(_xml_safe(study), when).codebook()


def project_xml(study: Study, when: datetime) -> bytes:
    """Just ``project.qde`` (for tests and checks)."""
    return _Writer(study, when).project()[0]


def export_time(path: str | os.PathLike) -> datetime:
    """When the exported project was made: ``SOURCE_DATE_EPOCH`` if set (for
    reproducible builds), else when the study file was last changed, so that
    exporting an unchanged study twice gives the same file."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return datetime.fromtimestamp(int(env), timezone.utc)
    try:
        return datetime.fromtimestamp(int(Path(path).stat().st_mtime), timezone.utc)
    except OSError:
        return datetime.now(timezone.utc).replace(microsecond=0)


def export(study_path: str | os.PathLike, out: str | os.PathLike) -> list:
    """Write the study at ``study_path`` as ``out`` (``.qdpx`` or ``.qdc``)."""
    from .. import services
    from .files import atomic_write_bytes

    if Path(out).resolve() == Path(study_path).resolve():
        raise InputError(f"{out}: export would overwrite the study it reads; choose another file")
    loaded = services.load(study_path)
    when = export_time(study_path)
    suffix = Path(out).suffix.lower()
    data = qdc_bytes(loaded.study, when) if suffix == ".qdc" else qdpx_bytes(loaded.study, when)
    atomic_write_bytes(out, data)
    return loaded.warnings


# ==========================================================================
# import


def _xml_parser():
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True,
                           dtd_validation=False, remove_comments=True, remove_pis=True,
                           huge_tree=True)


def parse_xml(data: bytes, where: str):
    """Parse XML safely (no entities, no DTD, no network): the root element,
    or InputError naming ``where`` and the line."""
    from lxml import etree

    if b"<!ENTITY" in data[:65536] or b"<!DOCTYPE" in data[:65536]:
        # a REFI file has no DTD; one that brings its own is refused outright
        m = re.search(rb"<!(ENTITY|DOCTYPE)", data[:65536])
        line = data[:m.start()].count(b"\n") + 1
        raise InputError(f"{where}, line {line}: declares a DOCTYPE or entities, which a REFI-QDA file "
                         f"never needs; it is not read (entities are a way to attack a reader)")
    try:
        return etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None) or (exc.position[0] if getattr(exc, "position", None) else "?")
        msg = getattr(exc, "msg", None) or str(exc)
        msg = re.sub(r", line \d+, column \d+$", "", msg)
        raise InputError(f"{where}, line {line}: not well-formed XML: {msg}") from None


class _Zip:
    """A .qdpx opened with its members checked before anything is read."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.zf = zipfile.ZipFile(path)
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{path}: is a folder, not a .qdpx project") from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"{path}: not a .qdpx project (a .qdpx is a zip archive, and this file "
                             f"is not one: {exc})") from None
        infos = self.zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise InputError(f"{path}: holds {len(infos)} files; a project may hold at most {MAX_MEMBERS}")
        total = 0
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if (name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts
                    or "\x00" in name):
                raise InputError(f"{path}: the member {name!r} would be written outside the project's "
                                 f"folder; the file is refused")
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise InputError(f"{path}: unpacks to more than {MAX_TOTAL_BYTES // 1024 ** 3} GB; "
                                 f"the file is refused")
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise InputError(f"{path}: the member {name!r} is compressed more than {MAX_RATIO} to 1 "
                                 f"(a zip bomb?); the file is refused")
            if not name.endswith("/"):
                key = "/".join(parts).lower()
                self.members[key] = info

    def close(self) -> None:
        self.zf.close()

    def find(self, ref: str) -> zipfile.ZipInfo | None:
        """A member named by a plainTextPath/path: ``internal://x``, a
        relative path, ``Sources/x``, case-insensitive."""
        ref = ref.replace("\\", "/")
        for prefix in ("internal://", "internal:/", "internal:"):
            if ref.lower().startswith(prefix):
                ref = ref[len(prefix):]
                break
        ref = ref.lstrip("./").lower()
        for cand in (ref, f"sources/{ref}", f"sources/{ref.rsplit('/', 1)[-1]}"):
            if cand in self.members:
                return self.members[cand]
        base = ref.rsplit("/", 1)[-1]
        hits = [i for k, i in self.members.items() if k.rsplit("/", 1)[-1] == base]
        return hits[0] if len(hits) == 1 else None

    def read(self, info: zipfile.ZipInfo) -> bytes:
        try:
            return self.zf.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            raise InputError(f"{self.path}: the member {info.filename!r} cannot be read ({exc})") from None


def _norm_guid(value: str | None) -> str:
    return (value or "").strip().strip("{}").lower()


def _decode(data: bytes) -> tuple[str, str | None]:
    """Text of a source file: UTF-8 (BOM or not), UTF-16 with a BOM, else
    Windows-1252 (with a note)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "not UTF-8; read as Windows-1252"


_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")
_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _slug(name: str, fallback: str) -> str:
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    s = _SLUG.sub("-", s).strip("-._")[:48].rstrip("-._")
    return s if s and s[0].isalnum() else fallback


class _Ids:
    """Unique ids in one space, from the exported ids or from names."""

    def __init__(self, taken=()):
        self.taken = set(taken)

    def make(self, wanted: str | None, name: str, fallback: str) -> str:
        base = wanted if wanted and _ID_OK.match(wanted) else _slug(name, fallback)
        out, n = base, 2
        while out in self.taken:
            suffix = f"-{n}"
            out = base[:64 - len(suffix)] + suffix
            n += 1
        self.taken.add(out)
        return out


def _line(text: str | None, limit: int = 500) -> str:
    """A name or short field: as written, without surrounding whitespace,
    cut to the format's 500 characters."""
    return (text or "").strip()[:limit]


@dataclass
class _Text:
    """One text source: its raw text and what it became."""
    guid: str
    name: str
    raw: str
    text: str = ""
    doc_id: str | None = None       # None: a note (evidence quoting no document)
    breaks: list = field(default_factory=list)  # raw positions of removed "\r"
    sel_parent: object = None       # the element holding its selections
    whole: list = field(default_factory=list)   # codings of the whole source


def _normalise_line_ends(raw: str) -> tuple[str, list[int]]:
    removed = [m.start() for m in re.finditer("\r\n", raw)]
    return raw.replace("\r\n", "\n").replace("\r", "\n"), removed


_WS = re.compile(r"\s+")


class _Positions:
    """Maps a selection's positions to the stored text, in one of the ways
    tools count: code points or UTF-16 units, CRLF as two or as one."""

    MODES = (("cp", 2), ("cp", 1), ("u16", 2), ("u16", 1))

    def __init__(self, t: _Text):
        from bisect import bisect_left

        from ..core.textpos import Offsets

        self.t = t
        self.bisect = bisect_left
        self.text_off = Offsets(t.text)
        self.raw_off = Offsets(t.raw)
        self.astral = self.text_off.u16_length != self.text_off.length
        self.cr = bool(t.breaks)

    def map(self, mode: tuple[str, int], pos: int) -> int | None:
        unit, crlf = mode
        if crlf == 2:
            off = self.raw_off
            length = off.length
        else:
            off = self.text_off
            length = off.length
        try:
            cp = off.to_cp(pos) if unit == "u16" else pos
        except ValueError:
            return None
        if not 0 <= cp <= length:
            return None
        if crlf == 2:
            k = self.bisect(self.t.breaks, cp)
            if k and self.t.breaks[k - 1] + 1 == cp:
                return None  # between "\r" and "\n"
            cp -= k
        return cp

    def choose(self, sels: list[tuple[int, int, str | None]], utf16_first: bool = False) -> tuple[str, int]:
        """The way of counting under which the most selections name the
        text they are named by, then the most are whole stretches of the
        text; on a tie the standard's (code points, on the file's text),
        or UTF-16 first for a tool known to count so (NVivo)."""
        order = self.MODES if not utf16_first else self.MODES[2:] + self.MODES[:2]
        modes = [m for m in order if (self.astral or m[0] == "cp") and (self.cr or m[1] == 2)]
        if len(modes) == 1:
            return modes[0]
        text = self.t.text
        n = len(text)

        def whole_words(a: int, b: int) -> bool:
            return (a == 0 or not (text[a - 1].isalnum() and text[a].isalnum())) and \
                (b == n or not (text[b - 1].isalnum() and text[b].isalnum()))

        scored = []
        for mode in modes:
            valid = matched = words = 0
            for s, e, name in sels:
                a, b = self.map(mode, s), self.map(mode, e)
                if a is None or b is None or a >= b:
                    continue
                valid += 1
                words += whole_words(a, b)
                if name and len(name.strip()) >= 3:
                    # a tool that names a selection by its text: exact, or cut short with "..."
                    frag = _WS.sub(" ", text[a:b])
                    nm = _WS.sub(" ", name)
                    cut = nm.rstrip(".…")
                    if frag == nm or (cut != nm and len(cut) >= 3 and frag.startswith(cut)):
                        matched += 1
            scored.append(((matched, valid), words, mode))
        top = max(k for k, _, _ in scored)
        tied = [(w, m) for k, w, m in scored if k == top]
        # with nothing else to go on, selections that begin and end at word
        # boundaries tell the right count from a shifted one; the preferred
        # way is kept unless another is clearly better so
        best_words = max(w for w, _ in tied)
        first_words, first = tied[0]
        if first_words * 10 >= best_words * 9:
            return first
        return next(m for w, m in tied if w == best_words)


@dataclass
class Imported:
    """A project read into a format dict: the doc, and what was skipped."""
    doc: dict
    warnings: list[Problem] = field(default_factory=list)
    counts: dict = field(default_factory=dict)


_SIDECAR_SHAPES = {"document": 2, "code": 2, "firm": 2, "event": 3, "passage": 3, "evidence": 4, "variable": 3}


def _sidecar_ok(rec) -> bool:
    return (isinstance(rec, list) and rec and rec[0] in _SIDECAR_SHAPES
            and len(rec) == _SIDECAR_SHAPES[rec[0]]
            and all(isinstance(x, str) for x in rec[1:3])
            and (rec[0] != "evidence" or (isinstance(rec[3], int) and not isinstance(rec[3], bool))))


class _Reader:
    def __init__(self, where: str, root, framework_id: str | None, existing: dict | None,
                 ids: dict | None):
        self.where = where
        self.root = root
        tag = root.tag
        self.ns = tag[1:].split("}")[0] if tag.startswith("{") else ""
        self.P = f"{{{self.ns}}}" if self.ns else ""
        self.warnings: list[Problem] = []
        self.existing = existing or {}
        # lpw/ids.json as the workbench writes it; anything else in it is ignored
        records = ids.get("ids") if isinstance(ids, dict) else None
        self.sidecar = {_norm_guid(k): v for k, v in records.items()
                        if isinstance(k, str) and _sidecar_ok(v)} if isinstance(records, dict) else {}
        self.sidecar_meta = {k: v for k, v in ids.items() if k in ("framework", "coder") and isinstance(v, str)} \
            if isinstance(ids, dict) else {}
        self.codes: dict[str, dict] = {}       # guid -> {name, parent, el, ...}
        self.code_order: list[str] = []
        self.notes: dict[str, dict] = {}       # guid -> {name, text, el}
        self.framework_id = framework_id
        self._fw_cache: dict = {}

    def skip(self, path: str, message: str) -> None:
        self.warnings.append(Problem(f"{self.where}: {path}" if path else self.where,
                                     f"skipped: {message}", "warning"))

    def kids(self, el, name: str):
        return el.findall(f"{self.P}{name}")

    def kid(self, el, name: str):
        return el.find(f"{self.P}{name}")

    def text_of(self, el, name: str) -> str | None:
        k = self.kid(el, name)
        return k.text if k is not None else None

    # ---- codes
    def read_codes(self, codes_el) -> None:
        code_tag, desc_tag, note_tag = f"{self.P}Code", f"{self.P}Description", f"{self.P}NoteRef"

        def walk(el, parent: str | None, depth: int) -> None:
            for c in el:
                if c.tag != code_tag:
                    continue
                guid = _norm_guid(c.get("guid")) or f"nog-{len(self.codes)}"
                if guid in self.codes:  # a GUID used twice: the second code is kept too
                    guid = f"{guid}#{len(self.codes)}"
                desc, notes, inner = None, [], False
                for k in c:
                    if k.tag == desc_tag:
                        desc = k.text
                    elif k.tag == note_tag:
                        notes.append(_norm_guid(k.get("targetGUID")))
                    elif k.tag == code_tag:
                        inner = True
                self.codes[guid] = {"name": c.get("name") or "", "parent": parent, "el": c,
                                    "colour": c.get("color"), "description": desc, "notes": notes,
                                    "depth": depth, "children": []}
                self.code_order.append(guid)
                if parent:
                    self.codes[parent]["children"].append(guid)
                if inner:
                    walk(c, guid, depth + 1)
        if codes_el is not None:
            walk(codes_el, None, 0)

    def classify_codes(self, case_codes: set[str]) -> None:
        """Find the Framework and Events trees as the workbench writes them
        (an "Events" code that is not codable, each code under it a firm's,
        named by a case), so that another tool's own "Events" theme stays
        a theme; choose the framework."""
        self.events_root = self.framework_root = None
        for guid in self.code_order:
            c = self.codes[guid]
            if c["parent"] is not None or c["el"].get("isCodable", "").strip().lower() in ("true", "1"):
                continue
            if c["name"].strip().lower() == EVENTS_CODE.lower() and c["children"] and all(
                    k in case_codes or (self.sidecar.get(k) or [""])[0] == "firm" for k in c["children"]):
                self.events_root = self.events_root or guid
            if c["name"].startswith(FRAMEWORK_PREFIX):
                self.framework_root = self.framework_root or guid
        if self.framework_id is None:
            wanted = self.sidecar_meta.get("framework")
            if self.framework_root and not wanted:
                wanted = self.codes[self.framework_root]["name"][len(FRAMEWORK_PREFIX):].strip()
            self.framework_id = wanted if wanted in framework_ids() else default_framework_id()
        # framework values by name (id or label, any case)
        self.fw_names: dict[str, tuple[str, str]] = {}
        for group, values in _framework_values(self.framework_id).items():
            for vid, label in values:
                for n in (vid, label, vid.replace("_", " ")):
                    self.fw_names.setdefault(n.strip().lower(), (group, vid))
        self.event_of: dict[str, tuple[str, str]] = {}  # code guid -> (firm code guid, event code guid)
        if self.events_root:
            for fguid in self.codes[self.events_root]["children"]:
                for eguid in self.codes[fguid]["children"]:
                    self.event_of[eguid] = (fguid, eguid)
        self.in_framework = set()
        if self.framework_root:
            stack = [self.framework_root]
            while stack:
                g = stack.pop()
                self.in_framework.add(g)
                stack.extend(self.codes[g]["children"])
        self.in_events = set()
        if self.events_root:
            stack = [self.events_root]
            while stack:
                g = stack.pop()
                self.in_events.add(g)
                stack.extend(self.codes[g]["children"])

    def fw_value(self, guid: str) -> tuple[str, str] | None:
        """The framework term a code names (group, id), if it names one."""
        try:
            return self._fw_cache[guid]
        except KeyError:
            c = self.codes.get(guid)
            value = None if c is None else self.fw_names.get(c["name"].strip().lower())
            self._fw_cache[guid] = value
            return value


def _read_text_source(rd: _Reader, z: _Zip | None, src, path: str) -> tuple[str | None, str | None]:
    """The raw text of a TextSource and, if none, why."""
    inline = rd.kid(src, "PlainTextContent")
    if inline is not None and inline.text is not None:
        return inline.text, None
    ref = src.get("plainTextPath")
    rich = src.get("richTextPath")
    raw = None
    if ref:
        if ref.lower().startswith(("absolute:", "relative:")) or re.match(r"^[a-z]+://", ref.lower()) \
                and not ref.lower().startswith("internal:"):
            return None, f"its text is outside the project ({ref})"
        info = z.find(ref) if z else None
        if info is None:
            if not rich:
                return None, f"its text file {ref} is not in the project"
        else:
            raw, note = _decode(z.read(info))
            if note:
                rd.warnings.append(Problem(f"{rd.where}: {path}", f"{info.filename}: {note}", "warning"))
    if (raw is None or not raw.strip()) and rich and z is not None:
        info = z.find(rich)
        if info is not None and info.filename.lower().endswith((".docx", ".odt", ".rtf", ".txt")):
            import tempfile

            from .documents import DocumentError, EmptyDocument, read_document

            suffix = Path(info.filename).suffix
            with tempfile.TemporaryDirectory(prefix="lpw-qdpx-") as tmp:
                f = Path(tmp) / f"source{suffix}"
                f.write_bytes(z.read(info))
                try:
                    return read_document(f).text, None
                except EmptyDocument:
                    return None, "it holds no text (its plain text and its rich text are both empty)"
                except DocumentError as exc:
                    return None, f"its rich text {rich} cannot be read ({exc.message.split(': ', 1)[-1]})"
        if raw is None:
            return None, f"its text ({rich}) is not in the project"
    if raw is None:
        return None, "it holds no text"
    return raw, None


def read_project(data: bytes, where: str, z: _Zip | None, *, framework_id: str | None = None,
                 existing: dict | None = None, ids: dict | None = None,
                 title: str = "Imported project") -> Imported:
    """A parsed REFI-QDA project as a format dict (not yet validated)."""
    root = parse_xml(data, where)
    rd = _Reader(where, root, framework_id, existing, ids)
    local = root.tag.split("}")[-1]
    if local != "Project":
        raise InputError(f"{where}: not a REFI-QDA project (its root element is <{local}>, "
                         f"not <Project>)")
    P = rd.P
    book = rd.kid(root, "CodeBook")
    rd.read_codes(rd.kid(book, "Codes") if book is not None else None)
    case_codes = {_norm_guid(ref.get("targetGUID")) for case in root.iter(f"{rd.P}Case")
                  for ref in case.iterchildren(f"{rd.P}CodeRef")}
    rd.classify_codes(case_codes)

    users = {_norm_guid(u.get("guid")): u.get("name") or "" for u in root.iter(f"{P}User")}

    # notes first (selections refer to them)
    notes_el = rd.kid(root, "Notes")
    note_list = list(rd.kids(notes_el, "Note")) if notes_el is not None else []
    for n in note_list:
        guid = _norm_guid(n.get("guid"))
        text, why = _read_text_source(rd, z, n, f"Notes/Note {n.get('name') or guid!r}")
        rd.notes[guid] = {"name": n.get("name") or "", "text": text, "el": n, "used": False}
    def note_text(refs) -> str | None:
        parts = []
        for r in refs:
            g = _norm_guid(r.get("targetGUID"))
            note = rd.notes.get(g)
            if note and note["text"] and note["text"].strip():
                note["used"] = True
                parts.append(note["text"].strip())
        return "\n\n".join(parts) or None

    # variables
    variables = {}
    vars_el = rd.kid(root, "Variables")
    for v in rd.kids(vars_el, "Variable") if vars_el is not None else ():
        variables[_norm_guid(v.get("guid"))] = {"name": v.get("name") or "", "type": v.get("typeOfVariable")}

    def values_of(el) -> list[tuple[str, object]]:
        out = []
        for vv in rd.kids(el, "VariableValue"):
            ref = rd.kid(vv, "VariableRef")
            var = variables.get(_norm_guid(ref.get("targetGUID")) if ref is not None else "")
            if var is None:
                continue
            value = None
            for child in vv:
                tag = child.tag.split("}")[-1]
                t = (child.text or "").strip()
                if tag == "TextValue":
                    value = child.text or ""
                elif tag == "BooleanValue":
                    value = t.lower() in ("true", "1")
                elif tag == "IntegerValue":
                    value = int(t) if re.fullmatch(r"[+-]?\d+", t) else t
                elif tag == "FloatValue":
                    try:
                        value = float(t)
                        if value.is_integer() and "." not in t and "e" not in t.lower():
                            value = int(value)
                    except ValueError:
                        value = t
                elif tag in ("DateValue", "DateTimeValue"):
                    value = t
            if value is not None:
                out.append((var["name"], value))
        return out

    existing = rd.existing
    doc_ids = _Ids(d for d in existing.get("documents", {}))
    firm_ids = _Ids()
    code_ids = _Ids(existing.get("codes", {}))

    # ---- sources
    texts: dict[str, _Text] = {}
    documents: list[dict] = []
    doc_variables: dict[str, int] = {}
    sources_el = rd.kid(root, "Sources")
    text_sources = []
    for src in (list(sources_el) if sources_el is not None else []):
        tag = src.tag.split("}")[-1]
        name = src.get("name") or src.get("guid") or "?"
        if tag == "TextSource":
            text_sources.append((src, f"Sources/TextSource {name!r}"))
        elif tag == "PDFSource":
            rep = rd.kid(src, "Representation")
            if rep is not None:
                if rep.get("name") is None:
                    rep.set("name", name)
                text_sources.append((rep, f"Sources/PDFSource {name!r}/Representation"))
                n_sel = len(list(rd.kids(src, "PDFSelection")))
                if n_sel:
                    rd.skip(f"Sources/PDFSource {name!r}", f"{n_sel} selection{'s' if n_sel > 1 else ''} "
                                                           f"on PDF pages (the study keeps the PDF's text only)")
            else:
                rd.skip(f"Sources/PDFSource {name!r}", "a PDF without a text representation "
                                                       "(add the PDF as a document instead)")
        else:
            kind = {"PictureSource": "a picture", "AudioSource": "an audio recording",
                    "VideoSource": "a video"}.get(tag, f"a {tag}")
            rd.skip(f"Sources/{tag} {name!r}", f"{kind}: a study holds text documents only")
    for src, path in text_sources:
        guid = _norm_guid(src.get("guid"))
        raw, why = _read_text_source(rd, z, src, path)
        if raw is None:
            rd.skip(path, why)
            continue
        if not raw.strip() and not len(rd.kids(src, "PlainTextSelection")):
            rd.skip(path, "it holds no text")
            continue
        name = src.get("name") or Path((src.get("plainTextPath") or "").replace("\\", "/")).stem or guid
        t = _Text(guid, name, raw)
        t.text, t.breaks = _normalise_line_ends(raw.lstrip("\ufeff") if raw.startswith("\ufeff") else raw)
        if raw.startswith("\ufeff"):
            t.raw = raw[1:]
            t.text, t.breaks = _normalise_line_ends(t.raw)
        rec = rd.sidecar.get(guid)
        wanted = rec[1] if rec and rec[0] == "document" else None
        doc = {"id": None, "name": _line(name) or guid, "text": t.text}
        same = existing.get("documents", {}).get(wanted) if wanted else None
        if same is not None and same.get("text") == t.text:
            t.doc_id = wanted  # the document is there already: evidence points at it
            doc_ids.taken.add(wanted)
        else:
            t.doc_id = doc_ids.make(wanted, name, f"doc{len(documents) + 1}")
        doc["id"] = t.doc_id
        for vname, value in values_of(src):
            if vname == DOC_KIND_VAR and value in ("interview", "observation", "company_document",
                                                   "survey", "other"):
                doc["kind"] = value
            elif vname == DOC_DATE_VAR and isinstance(value, str) and re.fullmatch(
                    r"[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?", value):
                doc["date"] = value
            elif vname not in (DOC_KIND_VAR, DOC_DATE_VAR):
                doc_variables.setdefault(vname, 0)
                doc_variables[vname] += 1
        t.sel_parent = src
        texts[guid] = t
        documents.append(doc)
        for c in rd.kids(src, "Coding"):
            t.whole.append(c)

    # notes holding selections (evidence quoting no document)
    for guid, note in rd.notes.items():
        if note["text"] and any(True for _ in rd.kids(note["el"], "PlainTextSelection")):
            t = _Text(guid, note["name"], note["text"].lstrip("\ufeff"))
            t.text, t.breaks = _normalise_line_ends(t.raw)
            t.sel_parent = note["el"]
            texts[guid] = t
            note["used"] = True

    # ---- selections
    desc_tag, noteref_tag = f"{P}Description", f"{P}NoteRef"
    from lxml import etree

    coderefs = etree.XPath("p:Coding/p:CodeRef/@targetGUID", namespaces={"p": rd.ns}, smart_strings=False) \
        if rd.ns else etree.XPath("Coding/CodeRef/@targetGUID", smart_strings=False)
    codes = rd.codes
    study_code_use: dict[str, int] = {}
    selections = []  # dicts: text, start, end, codes(guids), memo, speaker, location, guid
    for guid, t in texts.items():
        parent = t.sel_parent
        sels = list(rd.kids(parent, "PlainTextSelection"))
        if not sels and not t.whole:
            continue
        where = f"{'Notes/Note' if t.doc_id is None else 'Sources/TextSource'} {t.name!r}"
        spans = []
        for s in sels:
            try:
                a, b = int(s.get("startPosition")), int(s.get("endPosition"))
                spans.append((min(a, b), max(a, b), s.get("name")))  # some tools write them reversed
            except (TypeError, ValueError):
                spans.append((-1, -1, None))
        pos = _Positions(t)
        mode = pos.choose(spans, utf16_first="nvivo" in (root.get("origin") or "").lower())
        if mode != ("cp", 2) and (pos.cr or pos.astral):
            how = []
            if mode[0] == "u16":
                how.append("counts characters above U+FFFF as two (UTF-16)")
            if mode[1] == 1 and pos.cr:
                how.append("counts a CRLF line end as one character")
            if how:
                rd.warnings.append(Problem(f"{rd.where}: {where}",
                                           f"its selections' positions {' and '.join(how)}; "
                                           f"they were converted", "warning"))
        for s, (a, b, _) in zip(sels, spans):
            sguid = _norm_guid(s.get("guid"))
            start, end = pos.map(mode, a) if a >= 0 else None, pos.map(mode, b) if b >= 0 else None
            if start is None or end is None or start >= end:
                rd.skip(f"{where}/PlainTextSelection {sguid}",
                        f"its positions {s.get('startPosition')}-{s.get('endPosition')} are not a "
                        f"stretch of the text (length {len(t.text)})")
                continue
            code_guids = []
            refs = coderefs(s)
            for cg in refs:
                if cg not in codes:
                    cg = _norm_guid(cg)
                    if cg not in codes:
                        rd.skip(f"{where}/PlainTextSelection {sguid}", f"a coding with the unknown code {cg!r}")
                        continue
                if cg not in code_guids:
                    code_guids.append(cg)
            desc, note_refs = None, ()
            if len(s) > len(refs):  # something besides codings
                d_el = s.find(desc_tag)
                desc = d_el.text if d_el is not None else None
                note_refs = s.findall(noteref_tag)
            memo_parts = []
            speaker = location = None
            for line in (desc or "").replace("\r\n", "\n").split("\n"):
                if line.startswith("Speaker: ") and speaker is None:
                    speaker = _line(line[9:])
                elif line.startswith("Location: ") and location is None:
                    location = _line(line[10:])
                elif line.strip():
                    memo_parts.append(line)
            memo = note_text(note_refs) if note_refs else None
            if memo_parts:
                memo = "\n".join(memo_parts) + (f"\n\n{memo}" if memo else "")
            selections.append({"t": t, "start": start, "end": end, "codes": code_guids, "memo": memo,
                               "speaker": speaker or None, "location": location, "guid": sguid})
        for c in t.whole:
            ref = rd.kid(c, "CodeRef")
            cg = _norm_guid(ref.get("targetGUID")) if ref is not None else ""
            if cg in rd.codes and t.text:
                selections.append({"t": t, "start": 0, "end": len(t.text), "codes": [cg], "memo": None,
                                   "speaker": None, "location": None, "guid": f"whole-{t.guid}-{cg}"})

    # which selections are evidence of an event
    for sel in selections:
        ev = next((rd.event_of[c] for c in sel["codes"] if c in rd.event_of), None)
        sel["event"] = ev
        if ev is None:
            for c in sel["codes"]:
                study_code_use[c] = study_code_use.get(c, 0) + 1
        else:
            for c in sel["codes"]:
                if c not in rd.event_of and (c in rd.in_events or rd.fw_value(c) is None) \
                        and c not in rd.in_framework:
                    study_code_use[c] = study_code_use.get(c, 0) + 1
    for t in texts.values():
        if t.doc_id is None and not any(s["t"] is t and s["event"] for s in selections):
            rd.notes[t.guid]["used"] = False  # a coded note that is not evidence: reported below

    # ---- codes kept as the study's own
    keep: dict[str, bool] = {}

    def kept(g: str) -> bool:
        if g in keep:
            return keep[g]
        c = rd.codes[g]
        if g in rd.in_events:
            result = False
        elif g in rd.in_framework:
            result = g in study_code_use or any(kept(k) for k in c["children"])
        else:
            result = True
        keep[g] = result
        return result

    code_id: dict[str, str] = {}
    codes_out: list[dict] = []
    existing_codes = existing.get("codes", {})
    by_name_parent = {(c["name"], c.get("parent")): cid for cid, c in existing_codes.items()}
    for g in rd.code_order:
        if not kept(g):
            continue
        c = rd.codes[g]
        parent = code_id.get(c["parent"]) if c["parent"] else None
        name = _line(c["name"]) or "(unnamed code)"
        reuse = by_name_parent.get((name, parent))
        if reuse is not None:
            code_id[g] = reuse
            codes_out.append(dict(existing_codes[reuse]))
            continue
        rec = rd.sidecar.get(g)
        cid = code_ids.make(rec[1] if rec and rec[0] == "code" else None, name, f"code{len(codes_out) + 1}")
        code_id[g] = cid
        out = {"id": cid, "name": name}
        desc = c["description"]
        extra = [rd.notes[n]["text"].strip() for n in c["notes"] if n in rd.notes and rd.notes[n]["text"]]
        for n in c["notes"]:
            if n in rd.notes:
                rd.notes[n]["used"] = True
        desc = "\n\n".join([d for d in [desc and desc.strip()] + extra if d])
        if desc:
            out["description"] = desc
        colour = (c["colour"] or "").strip()
        if re.fullmatch(r"#[0-9A-Fa-f]{6}", colour):
            out["colour"] = colour.upper()
        elif re.fullmatch(r"#[0-9A-Fa-f]{3}", colour):
            out["colour"] = "#" + "".join(ch * 2 for ch in colour[1:]).upper()
        if parent:
            out["parent"] = parent
        codes_out.append(out)

    # ---- passages
    passage_ids: dict[str, _Ids] = {}
    doc_by_id = {d["id"]: d for d in documents}
    for sel in selections:
        t = sel["t"]
        if sel["event"] is not None:
            continue
        if t.doc_id is None:
            continue
        d = doc_by_id[t.doc_id]
        ids = passage_ids.setdefault(t.doc_id, _Ids())
        rec = rd.sidecar.get(sel["guid"])
        pid = ids.make(rec[2] if rec and rec[0] == "passage" else None, "", f"p{len(ids.taken) + 1}")
        p = {"id": pid, "start": sel["start"], "end": sel["end"]}
        if sel["speaker"]:
            p["speaker"] = sel["speaker"]
        codes = [code_id[c] for c in sel["codes"] if c in code_id]
        codes = list(dict.fromkeys(codes))
        if codes:
            p["codes"] = codes
        if sel["memo"]:
            p["memo"] = sel["memo"]
        d.setdefault("passages", []).append(p)

    # ---- firms: from cases and from the Events tree
    firms: list[dict] = []
    firm_of_code: dict[str, dict] = {}
    cases_el = rd.kid(root, "Cases")
    profile_fields = voc_profile_fields(vocabulary())
    profile_by_name = {}
    for key, body in profile_fields.items():
        profile_by_name[key.lower()] = key
        profile_by_name[str(body.get("label", key)).lower()] = key
    doc_cases: dict[str, list[str]] = {}
    for case in (rd.kids(cases_el, "Case") if cases_el is not None else ()):
        guid = _norm_guid(case.get("guid"))
        rec = rd.sidecar.get(guid)
        name = _line(case.get("name")) or guid
        fid = firm_ids.make(rec[1] if rec and rec[0] == "firm" else None, name, f"firm{len(firms) + 1}")
        firm = {"id": fid, "name": name}
        profile, attributes = {}, {}
        for vname, value in values_of(case):
            key = profile_by_name.get(vname.strip().lower())
            if key and _fits_profile(key, value):
                profile[key] = value if key in ("founded", "employees") or not isinstance(value, str) \
                    else _line(value)
                if key in ("founded", "employees") and isinstance(value, str):
                    profile[key] = int(value)
                if key not in ("founded", "employees") and not isinstance(value, str):
                    profile[key] = str(value)
            else:
                aname = vname[:-len(ATTR_SUFFIX)] if vname.endswith(ATTR_SUFFIX) else vname
                attributes[aname] = value
        if profile:
            firm["profile"] = profile
        if attributes:
            firm["attributes"] = attributes
        desc = rd.text_of(case, "Description")
        if desc and desc.strip():
            firm["memo"] = desc.replace("\r\n", "\n").strip()
        for ref in rd.kids(case, "CodeRef"):
            cg = _norm_guid(ref.get("targetGUID"))
            if rd.events_root and rd.codes.get(cg, {}).get("parent") == rd.events_root:
                firm_of_code[cg] = firm
        for ref in rd.kids(case, "SourceRef"):
            doc_cases.setdefault(_norm_guid(ref.get("targetGUID")), []).append(fid)
        firms.append(firm)
    for guid, t in texts.items():
        owners = doc_cases.get(guid, [])
        if t.doc_id is not None and len(owners) == 1:
            doc_by_id[t.doc_id]["firm"] = owners[0]

    # events
    if rd.events_root:
        by_name = {f["name"]: f for f in firms}
        for fguid in rd.codes[rd.events_root]["children"]:
            firm = firm_of_code.get(fguid) or by_name.get(_line(rd.codes[fguid]["name"]))
            if firm is None:
                rec = rd.sidecar.get(fguid)
                name = _line(rd.codes[fguid]["name"]) or "Firm"
                firm = {"id": firm_ids.make(rec[1] if rec and rec[0] == "firm" else None, name,
                                            f"firm{len(firms) + 1}"), "name": name}
                firms.append(firm)
            firm_of_code[fguid] = firm
            ev_ids = _Ids(e["id"] for e in firm.get("events", ()))
            for eguid in rd.codes[fguid]["children"]:
                c = rd.codes[eguid]
                rec = rd.sidecar.get(eguid)
                ev = {"id": ev_ids.make(rec[2] if rec and rec[0] == "event" else None, c["name"],
                                        f"e{len(firm.get('events', ())) + 1}"),
                      "title": _line(c["name"]) or "(untitled event)"}
                if c["description"] and c["description"].strip():
                    ev["description"] = c["description"].replace("\r\n", "\n").strip()
                memo = note_text(rd.kids(c["el"], "NoteRef"))
                if memo:
                    ev["memo"] = memo
                c["event"] = ev
                firm.setdefault("events", []).append(ev)
        # evidence, in the order the export gave it, else as found
        per_event: dict[str, list] = {}
        for sel in selections:
            if sel["event"] is not None:
                per_event.setdefault(sel["event"][1], []).append(sel)
        for eguid, sels in per_event.items():
            ev = rd.codes[eguid]["event"]

            def order(sel):
                rec = rd.sidecar.get(sel["guid"])
                if sel["t"].doc_id is None:
                    rec = rec or rd.sidecar.get(sel["t"].guid)
                return rec[3] if rec and rec[0] == "evidence" and isinstance(rec[3], int) else 10 ** 9
            sels.sort(key=order)
            fw: dict[str, list] = {"stages": [], "levels": [], "learning_types": [], "phases": []}
            evidence = []
            for sel in sels:
                t = sel["t"]
                item = {"quote": t.text[sel["start"]:sel["end"]]}
                if sel["speaker"]:
                    item["speaker"] = sel["speaker"]
                if t.doc_id is not None:
                    item.update(document=t.doc_id, start=sel["start"], end=sel["end"])
                if sel["location"]:
                    item["location"] = sel["location"]
                own = []
                for cg in sel["codes"]:
                    if cg in rd.event_of:
                        continue
                    v = rd.fw_value(cg)
                    if v is not None and cg not in study_code_use:
                        if v[1] not in fw[v[0]]:
                            fw[v[0]].append(v[1])
                    elif cg in code_id:
                        own.append(code_id[cg])
                if own:
                    item["codes"] = list(dict.fromkeys(own))
                if sel["memo"]:
                    item["memo"] = sel["memo"]
                evidence.append(item)
            ev["evidence"] = evidence
            if fw["phases"]:
                ev["phase"] = fw["phases"][0]
            if fw["stages"]:
                ev["stages"] = fw["stages"]
            if fw["levels"]:
                ev["level"] = fw["levels"][0]
            if fw["learning_types"]:
                ev["learning_types"] = fw["learning_types"]
        # keys in the format's order
        order_keys = ("id", "title", "description", "date", "when", "critical", "phase", "stages", "level",
                      "learning_types", "knowledge_types", "sources", "routines", "actors", "evidence",
                      "tags", "memo", "codes")
        for firm in firms:
            firm["events"] = [{k: e[k] for k in order_keys if k in e} for e in firm.get("events", ())]
            if not firm["events"]:
                del firm["events"]

    # ---- what is left over
    for guid, note in rd.notes.items():
        if not note["used"]:
            rd.skip(f"Notes/Note {note['name'] or guid!r}", "a note attached to nothing the study keeps")
    if doc_variables:
        rd.skip("Sources", "the document variables " + ", ".join(f"{n!r}" for n in doc_variables)
                + " (a study's documents hold a kind and a date only)")
    for tag, what in (("Links", "link between objects"), ("Sets", "set"), ("Graphs", "graph")):
        el = rd.kid(root, tag)
        if el is not None and len(el):
            rd.skip(tag, f"{_n(len(el), what)} (a study has no place for these)")

    for d in documents:
        if d.get("passages"):
            d["passages"].sort(key=lambda p: (p["start"], p["end"]))
    doc_out: dict = {"format": "lpw-study", "version": 1, "title": _line(root.get("name")) or title}
    desc = rd.text_of(root, "Description")
    pnote = note_text(rd.kids(root, "NoteRef"))
    desc = "\n\n".join(x for x in (desc and desc.strip(), pnote) if x)
    if desc:
        doc_out["description"] = desc
    coder = rd.sidecar_meta.get("coder") if rd.sidecar_meta else None
    if coder is None and not rd.sidecar_meta and len(users) == 1:
        name = next(iter(users.values()))
        coder = name if name and name != DEFAULT_USER else None
    if coder:
        doc_out["coder"] = _line(coder)
    doc_out["framework"] = rd.framework_id
    if codes_out:
        doc_out["codes"] = codes_out
    if documents:
        doc_out["documents"] = documents
    doc_out["firms"] = firms
    counts = {"documents": len(documents), "codes": len(codes_out), "firms": len(firms),
              "passages": sum(len(d.get("passages", ())) for d in documents),
              "evidence": sum(len(e.get("evidence", ())) for f in firms for e in f.get("events", ()))}
    return Imported(doc_out, rd.warnings, counts)


_EVENT_KEYS = ("id", "title", "description", "date", "when", "critical", "phase", "stages", "level",
               "learning_types", "knowledge_types", "sources", "routines", "actors", "evidence",
               "tags", "memo", "codes")


def _merge_firm(old: dict, new: dict) -> dict:
    """A firm of the study updated from a project (``--replace``): what a
    project carries (profile, attributes, memo; an event's title,
    description, memo, framework coding and evidence) is taken from it;
    what it does not (sources, routines, links, summary, an event's date,
    sources and the rest, events the project does not name) is kept."""
    out = dict(old)
    for key in ("profile", "attributes", "memo"):
        if key in new:
            out[key] = new[key]
    new_events = {e["id"]: e for e in new.get("events", ())}
    events = []
    for e in old.get("events", ()):
        n = new_events.pop(e["id"], None)
        if n is None:
            events.append(e)
            continue
        m = dict(e)
        for key in ("title", "description", "memo"):
            if key in n:
                m[key] = n[key]
        if n.get("evidence"):  # the framework coding travels on the evidence
            m["evidence"] = n["evidence"]
            for key in ("stages", "level", "learning_types", "phase"):
                if key in n:
                    m[key] = n[key]
        events.append({k: m[k] for k in _EVENT_KEYS if k in m} | {k: v for k, v in m.items() if k.startswith("x-")})
    events.extend(new_events.values())
    if events:
        out["events"] = events
    return out


def _fits_profile(key: str, value) -> bool:
    if key in ("founded", "employees"):
        if isinstance(value, bool):
            return False
        if isinstance(value, str) and re.fullmatch(r"\d+", value.strip()):
            value = int(value)
        if not isinstance(value, int):
            return False
        return 1000 <= value <= 2200 if key == "founded" else value >= 0
    if key == "country":
        return isinstance(value, str) and re.fullmatch(r"[A-Z]{2}", value) is not None
    return isinstance(value, (str, int, float)) and not isinstance(value, bool) and \
        "\n" not in str(value) and len(str(value)) <= 500


def read_codebook(data: bytes, where: str, *, framework_id: str | None = None,
                  existing: dict | None = None) -> Imported:
    """A ``.qdc`` (or a ``.qde``'s CodeBook) as a format dict holding codes."""
    root = parse_xml(data, where)
    local = root.tag.split("}")[-1]
    if local == "Project":
        book = next((c for c in root if c.tag.split("}")[-1] == "CodeBook"), None)
        if book is None:
            raise InputError(f"{where}: the project has no codebook")
        root = book
    elif local != "CodeBook":
        raise InputError(f"{where}: not a REFI-QDA codebook (its root element is <{local}>, "
                         f"not <CodeBook>)")
    wrapper = root.makeelement(f"{root.tag.split('}')[0]}}}Project" if root.tag.startswith("{")
                               else "Project", {"name": Path(where).stem})
    from copy import deepcopy

    wrapper.append(deepcopy(root))
    from lxml import etree

    imported = read_project(etree.tostring(wrapper), where, None, framework_id=framework_id,
                            existing=existing, title=Path(where).stem)
    sets = next((c for c in root if c.tag.split("}")[-1] == "Sets"), None)
    if sets is not None and len(sets):
        imported.warnings.append(Problem(where, f"skipped: {_n(len(sets), 'code set')} (a study has no "
                                                f"place for these)", "warning"))
    imported.doc["firms"] = []
    return imported


def read_file(path: str | os.PathLike, *, framework_id: str | None = None,
              existing: dict | None = None) -> Imported:
    """Read a ``.qdpx`` or ``.qdc`` (or a bare ``.qde``) into a format dict."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".qdc" or suffix == ".qde":
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if suffix == ".qdc":
            return read_codebook(data, str(path), framework_id=framework_id, existing=existing)
        return read_project(data, str(path), None, framework_id=framework_id, existing=existing,
                            title=path.stem)
    z = _Zip(path)
    try:
        qde = z.members.get("project.qde")
        if qde is None:
            roots = [i for k, i in z.members.items() if k.endswith(".qde") and "/" not in k] or \
                [i for k, i in z.members.items() if k.endswith(".qde")]  # a project zipped in its folder
            if len(roots) != 1:
                raise InputError(f"{path}: no project.qde in the archive; is this a .qdpx project?")
            qde = roots[0]
        ids = None
        side = z.members.get(IDS_MEMBER)
        if side is not None:
            try:
                ids = json.loads(z.read(side).decode("utf-8"))
                if not isinstance(ids, dict) or ids.get("format") != IDS_FORMAT:
                    ids = None
            except (ValueError, UnicodeDecodeError):
                ids = None
        return read_project(z.read(qde), f"{path}: {qde.filename}", z, framework_id=framework_id,
                            existing=existing, ids=ids, title=path.stem)
    finally:
        z.close()


def import_file(study_path: str | os.PathLike, in_path: str | os.PathLike,
                replace: bool = False) -> tuple[list[str], list]:
    """As :func:`import_into`, without the counts (``services.import_file``'s shape)."""
    firm_ids, warnings, _ = import_into(study_path, in_path, replace)
    return firm_ids, warnings


def cli_import(args, warn) -> int:
    firm_ids, warnings, counts = import_into(args.study, args.file, replace=args.replace)
    warn(warnings)
    print(f"imported from {args.file} into {args.study}: {_n(counts['documents'], 'document')}, "
          f"{_n(counts['passages'], 'coded passage')}, {_n(counts['codes'], 'code')}, "
          f"{_n(counts['firms'], 'firm')}" + (f" ({', '.join(firm_ids)})" if firm_ids else "")
          + f", {counts['evidence']} {'piece' if counts['evidence'] == 1 else 'pieces'} of evidence")
    return 0


def import_into(study_path: str | os.PathLike, in_path: str | os.PathLike,
                replace: bool = False, session=None) -> tuple[list[str], list, dict]:
    """Import a ``.qdpx``/``.qdc`` into a new or existing ``.lpw`` (one step
    of its history; nothing written on any problem), through ``session``
    where the study is already open for editing. Returns the firm ids, the
    warnings (what was skipped, among them) and the counts."""
    from .. import services
    from ..session import Session
    from .study_json import parse_doc

    study_path = Path(study_path)
    exists = study_path.exists() and study_path.stat().st_size > 0
    existing = None
    framework_id = None
    if exists:
        loaded = services.load(study_path)
        st = loaded.study
        framework_id = st.framework
        existing = {"documents": {d.id: d.to_dict() for d in st.document_list},
                    "codes": {c.id: c.to_dict() for c in st.code_list}}
    imported = read_file(in_path, framework_id=framework_id, existing=existing)
    doc = imported.doc
    if exists:
        # only the study's framework and title matter when adding to it
        doc["framework"] = framework_id
        if replace:
            # a firm replaced from a project keeps what a project does not carry
            old = {f.id: f.to_dict() for f in st.firms}
            doc["firms"] = [_merge_firm(old[f["id"]], f) if f["id"] in old else f for f in doc["firms"]]
        # the study's documents and codes, for the rules (import_doc skips those it has)
        for key in ("documents", "codes"):
            listed = {x["id"] for x in doc.get(key, ())}
            extra = [x for xid, x in existing[key].items() if xid not in listed]
            if extra:
                doc[key] = list(doc.get(key, ())) + extra
    doc, warnings = parse_doc(doc, str(in_path))
    warnings = imported.warnings + warnings
    if session is not None:  # the study open in the window: its session, one step of its history
        return session.import_doc(doc, replace=replace,
                                  label=f"Import {Path(in_path).name}"), warnings, imported.counts
    if exists:
        session = Session(study_path)
        try:
            return session.import_doc(doc, replace=replace,
                                      label=f"Import {Path(in_path).name}"), warnings, imported.counts
        finally:
            session.close()
    firm_ids = services.build_study(study_path, doc)
    return firm_ids, warnings, imported.counts
