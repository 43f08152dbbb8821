"""A .po catalogue compiled to .mo bytes for `gettext.GNUTranslations`, with the standard library only.

Babel (`read_po` + `write_mo`) did this in every server process at start-up and left about 3.5 MB behind
in each: its message and locale-data objects. This reads the subset of the format that `make messages`
writes (msgctxt, msgid, msgid_plural, msgstr, msgstr[N], continued strings, comments and flags) and
writes what Babel's `write_mo` writes: fuzzy and untranslated messages left out, an empty plural form
falling back to the English text; obsolete (#~) entries are comments here. tests/test_i18n.py compares
the result with Babel's for the shipped catalogues.
"""

from __future__ import annotations

import re
import struct

_ESCAPE = re.compile(r'\\([\\trn"])')
_UNESCAPED = {"\\": "\\", "t": "\t", "r": "\r", "n": "\n", '"': '"'}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"\s*$')


def _unquote(text: str) -> str:
    return _ESCAPE.sub(lambda match: _UNESCAPED[match.group(1)], text)


def _entries(text: str):
    """(context, msgid, msgid_plural, {index: msgstr}, fuzzy) for each entry of the catalogue."""
    entry: dict = {}
    fuzzy = False
    target = None

    def finish():
        nonlocal entry, fuzzy, target
        if "msgid" in entry:
            yield (entry.get("msgctxt"), entry["msgid"], entry.get("msgid_plural"), entry.get("msgstr", {}), fuzzy)
        entry, fuzzy, target = {}, False, None

    for line in text.splitlines():
        line = line.strip()
        if not line:
            yield from finish()
        elif line.startswith("#"):
            if "msgid" in entry and "msgstr" in entry:  # a comment starts the next entry
                yield from finish()
            if line.startswith("#,") and "fuzzy" in (flag.strip() for flag in line[2:].split(",")):
                fuzzy = True
        elif line.startswith('"'):
            if target is None:
                raise ValueError(f"continued string outside an entry: {line[:60]}")
            kind, index = target
            if kind == "msgstr":
                entry["msgstr"][index] += _unquote(line[1:-1])
            else:
                entry[kind] += _unquote(line[1:-1])
        else:
            match = _KEYWORD.match(line)
            if not match:
                raise ValueError(f"not a catalogue line: {line[:60]}")
            keyword, index, value = match.groups()
            if keyword in ("msgctxt", "msgid") and "msgstr" in entry:
                yield from finish()
            if keyword.startswith("msgstr"):
                entry.setdefault("msgstr", {})[int(index or 0)] = _unquote(value)
                target = ("msgstr", int(index or 0))
            else:
                entry[keyword] = _unquote(value)
                target = (keyword, None)
    yield from finish()


def compile_po(text: str) -> bytes:
    """The .mo file for a catalogue's text."""
    pairs = []
    for context, msgid, plural, strings, fuzzy in _entries(text):
        header = msgid == "" and context is None
        if not header and (fuzzy or not (strings if plural is not None else strings.get(0))):
            continue  # as Babel: a plural entry counts as translated with any msgstr[N] line
        if plural is None:
            key, value = msgid, strings.get(0, "")
        else:
            forms = [strings[index] or (msgid if index == 0 else plural) for index in sorted(strings)]
            key, value = f"{msgid}\0{plural}", "\0".join(forms)
        if context is not None:
            key = f"{context}\x04{key}"
        pairs.append((key.encode(), value.encode()))
    pairs.sort()
    ids = strs = b""
    offsets = []
    for key, value in pairs:
        offsets.append((len(ids), len(key), len(strs), len(value)))
        ids += key + b"\0"
        strs += value + b"\0"
    keys_start = 7 * 4 + 16 * len(pairs)
    values_start = keys_start + len(ids)
    table = [number for o1, l1, _o2, _l2 in offsets for number in (l1, o1 + keys_start)]
    table += [number for _o1, _l1, o2, l2 in offsets for number in (l2, o2 + values_start)]
    head = struct.pack("<Iiiiiii", 0x950412DE, 0, len(pairs), 7 * 4, 7 * 4 + len(pairs) * 8, 0, 0)
    return head + struct.pack(f"<{len(table)}i", *table) + ids + strs
