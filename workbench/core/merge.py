"""Three-way merge of study format dicts, field by field.

``merge(base, ours, theirs)`` merges what two people changed since a common
version. Objects are matched by what identifies them: a key of an object;
an ``id`` in the lists of firms, documents, codes, passages, sources,
routines and events; ``from`` and ``to`` in a firm's links. Other lists
(stages, learning types, evidence, ...) are single values: their order
means something (the first stage is the primary one).

- A field changed on one side only takes that side's value.
- A field changed alike on both sides takes it.
- A field changed differently on both sides is a **conflict**: the merged
  study keeps ours, and the conflict is recorded.
- An object added on either side is kept, where that side put it (after
  the object before it there), so both sides' new events stay in order.
- An object removed on one side and unchanged on the other is removed; one
  removed on one side and changed on the other is a conflict (ours kept,
  present or not).
- A list reordered on one side only takes that side's order.

The conflicts are returned as records ``{"path", "keys", "base", "ours",
"theirs"}`` (a version in which the field is absent has no key), for the
merged file's top-level ``x-conflicts`` list.
"""

from __future__ import annotations

from typing import Any

CONFLICTS_KEY = "x-conflicts"
_ABSENT = object()

# list fields whose items are objects with an identity
_ID_LISTS = {"firms", "documents", "codes", "passages", "sources", "routines", "events", "links", "actions"}


def _ident(field: str, item: Any):
    if not isinstance(item, dict):
        return None
    if field == "links":
        if "from" in item and "to" in item:
            return f"{item['from']}->{item['to']}"
        return None
    return item.get("id") if isinstance(item.get("id"), str) else None


def _keyed(field: str, items: Any) -> dict | None:
    """{identity: item} of a list whose items all have distinct identities,
    else None (merged as a single value)."""
    if not isinstance(items, list):
        return None
    out = {}
    for item in items:
        k = _ident(field, item)
        if k is None or k in out:
            return None
        out[k] = item
    return out


def _path(keys: list) -> str:
    text = ""
    for k in keys:
        if isinstance(k, tuple):  # (list field, identity)
            text += f".{k[0]}[{k[1]}]" if text else f"{k[0]}[{k[1]}]"
        else:
            text += f".{k}" if text else str(k)
    return text or "(the study)"


class _Merger:
    def __init__(self):
        self.conflicts: list[dict] = []

    def conflict(self, keys: list, base, ours, theirs) -> None:
        flat = []
        for k in keys:
            flat.extend(k if isinstance(k, tuple) else (k,))
        record: dict = {"path": _path(keys), "keys": flat}
        for name, value in (("base", base), ("ours", ours), ("theirs", theirs)):
            if value is not _ABSENT:
                record[name] = value
        self.conflicts.append(record)

    def value(self, keys: list, field: str | None, base, ours, theirs):
        """The merged value (``_ABSENT`` for none) of one field."""
        if ours == theirs and (ours is _ABSENT) == (theirs is _ABSENT):
            return ours
        if _same(ours, base):
            return theirs
        if _same(theirs, base):
            return ours
        if isinstance(ours, dict) and isinstance(theirs, dict):
            return self.obj(keys, ours if base is _ABSENT or not isinstance(base, dict) else base,
                            ours, theirs, fresh=base is _ABSENT or not isinstance(base, dict))
        if field in _ID_LISTS:
            merged = self.id_list(keys, field, base, ours, theirs)
            if merged is not None:
                return merged
        self.conflict(keys, base, ours, theirs)
        return ours

    def obj(self, keys: list, base: dict, ours: dict, theirs: dict, fresh: bool = False) -> dict:
        out = {}
        order = list(ours) + [k for k in theirs if k not in ours]
        for k in order:
            b = _ABSENT if fresh else base.get(k, _ABSENT)
            v = self.value(keys + [k], k, b, ours.get(k, _ABSENT), theirs.get(k, _ABSENT))
            if v is not _ABSENT:
                out[k] = v
        return out

    def id_list(self, keys: list, field: str, base, ours, theirs) -> list | None:
        kb = _keyed(field, base if base is not _ABSENT else [])
        ko = _keyed(field, ours if ours is not _ABSENT else [])
        kt = _keyed(field, theirs if theirs is not _ABSENT else [])
        if kb is None or ko is None or kt is None:
            return None
        order_b, order_o, order_t = list(kb), list(ko), list(kt)

        def common(seq, other):
            return [k for k in seq if k in other]

        # the backbone: theirs' order when only theirs reordered what both kept
        shared = set(kb) & set(ko) & set(kt)
        if common(order_o, shared) == common(order_b, shared) and \
                common(order_t, shared) != common(order_b, shared):
            backbone, other, other_map = order_t, order_o, ko
        else:
            backbone, other, other_map = order_o, order_t, kt
        result = list(backbone)
        in_result = set(result)
        other_set = set(other)

        def place(k, seq):
            i = seq.index(k)
            j = i - 1
            while j >= 0 and seq[j] not in in_result:
                j -= 1
            at = result.index(seq[j]) + 1 if j >= 0 else 0
            # after the backbone side's own new items there: ours first, then theirs
            while at < len(result) and result[at] not in kb and result[at] not in other_set:
                at += 1
            result.insert(at, k)
            in_result.add(k)

        # new items of the other side, after the item before them there
        for k in other:
            if k not in in_result and k not in kb:
                place(k, other)
        # items the backbone's side removed and the other side changed: a conflict
        ours_is_other = other_map is ko
        kept_ours: set = set()
        for k in other:
            if k not in in_result and k in kb and not _same(other_map[k], kb[k]):
                if ours_is_other:  # theirs removed it, we changed it: keep ours
                    self.conflict(keys[:-1] + [(field, k)], kb[k], ko[k], _ABSENT)
                    place(k, other)
                    kept_ours.add(k)
                else:  # we removed it, theirs changed it: ours (removed) stays
                    self.conflict(keys[:-1] + [(field, k)], kb[k], _ABSENT, kt[k])
        merged = []
        for k in result:
            b, o, t = kb.get(k, _ABSENT), ko.get(k, _ABSENT), kt.get(k, _ABSENT)
            if k in kept_ours:
                merged.append(o)
                continue
            v = self.value(keys[:-1] + [(field, k)], None, b, o, t)
            if v is not _ABSENT:
                merged.append(v)
        return merged


def _same(a, b) -> bool:
    if a is _ABSENT or b is _ABSENT:
        return a is b
    return a == b and type(a) is type(b)


def merge(base: dict | None, ours: dict, theirs: dict) -> tuple[dict, list[dict]]:
    """The merged study dict and its conflicts (empty when clean). ``base``
    None: no common version (both sides added the file)."""
    m = _Merger()
    merged = m.obj([], base if base is not None else {}, ours, theirs, fresh=base is None)
    return merged, m.conflicts


def resolve(doc: dict, index: int, side: str) -> dict:
    """A copy of a merged study dict with its ``index``-th conflict settled
    by taking ``side`` ("ours", "theirs" or "base") and the record removed
    from ``x-conflicts`` (the key goes when the list empties). A side with
    no value there removes the field or object. For the window's "resolve"
    and for scripts; ValueError names what does not fit."""
    import copy

    records = doc.get(CONFLICTS_KEY) or []
    if not 0 <= index < len(records):
        raise ValueError(f"no conflict number {index + 1}; the study has {len(records)}")
    if side not in ("ours", "theirs", "base"):
        raise ValueError(f"choose ours, theirs or base, not {side!r}")
    record = records[index]
    if "keys" not in record:
        raise ValueError(f"conflict {record.get('path')!r} is a broken rule, not a choice between "
                         f"versions: edit the study to mend it")
    out = copy.deepcopy(doc)
    keys = record["keys"]
    parent, i = out, 0
    last = None  # (container, key-or-index) of the value to replace
    while i < len(keys):
        key = keys[i]
        if isinstance(parent, dict) and key in _ID_LISTS and i + 1 < len(keys) and \
                isinstance(parent.get(key, []), list):
            items = parent.setdefault(key, [])
            ident = keys[i + 1]
            pos = next((n for n, item in enumerate(items) if _ident(key, item) == ident), None)
            if i + 2 == len(keys):  # the object itself
                last = (items, pos, key, ident)
                break
            if pos is None:
                raise ValueError(f"{record['path']}: the object is no longer in the study")
            parent = items[pos]
            i += 2
            continue
        if i + 1 == len(keys):
            last = (parent, key, None, None)
            break
        if not isinstance(parent, dict) or not isinstance(parent.get(key), (dict, list)):
            raise ValueError(f"{record['path']}: no longer in the study")
        parent = parent[key]
        i += 1
    container, where, list_field, ident = last
    if list_field is not None:  # a whole object, in a list matched by id
        if side in record:
            if where is None:
                container.append(copy.deepcopy(record[side]))
            else:
                container[where] = copy.deepcopy(record[side])
        elif where is not None:
            del container[where]
    elif side in record:
        container[where] = copy.deepcopy(record[side])
    else:
        container.pop(where, None)
    rest = out[CONFLICTS_KEY][:index] + out[CONFLICTS_KEY][index + 1:]
    if rest:
        out[CONFLICTS_KEY] = rest
    else:
        del out[CONFLICTS_KEY]
    return out


__all__ = ["merge", "resolve", "CONFLICTS_KEY"]
