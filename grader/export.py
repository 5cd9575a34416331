"""Gradescope's "Export Submissions": the uploads of a class, and who submitted each.

    found = export.collect(["assignment_123_export", "late/neuralnet.py"])   # what a batch grades
    for upload in found.uploads:
        upload.path, upload.label, upload.submitters        # (name, sid, email) of each submitter

Gradescope's export (an assignment's "Review Grades", then "Export Submissions") is a zip of one
folder, assignment_<id>_export/, holding submission_metadata.yml and a folder submission_<id>/ per
submission, with the student's files as uploaded (a zip the student uploaded comes unpacked, as the
autograder gets it). The yml is written by Ruby, so its keys are symbols with a leading colon:

    submission_271828:
      :submitters:
      - :name: Ada Example
        :sid: '1815'
        :email: ada@example.edu
      :created_at: 2026-11-30 14:22:32.365935000 -05:00
      :score: 55.0
      :history: []

A group submission lists each member under :submitters. Each submission_* folder is graded as the
bundle grades that upload on Gradescope (grader/upload.py finds its neuralnet.py); the yml is read,
never graded. A folder the yml does not name is graded under its folder name; a folder it names
that is not there is reported, not graded.

Reading the yml: with PyYAML installed (the staff tools' one optional dependency), its BaseLoader,
which reads every value as text and builds no object from a tag; without it, read_yaml_subset,
which reads the block YAML that Gradescope writes (mappings, lists, quoted and plain one-line
values) and refuses anything else in one line saying to install PyYAML. Either way the file is
read only when it is a regular file of at most MAX_METADATA bytes, and every name, SID and e-mail
is escaped and cut to FIELD_WIDTH characters before anything shows it.
"""
import os
import re
import stat
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

from grader.report import escape

METADATA = "submission_metadata.yml"
FOLDER_PREFIX = "submission_"
MAX_METADATA = 16 << 20  # bytes of the yml read: a class of 2000 with long histories writes under 2 MiB
MAX_SUBMISSIONS = 10000  # folders of an export
MAX_SUBMITTERS = 50  # per submission: a group is a handful
FIELD_WIDTH = 120  # characters kept of a name, SID or e-mail
PYYAML = "install PyYAML to read it (python3 -m pip install pyyaml)"


class ExportError(ValueError):
    """An export that cannot be read: the batch stops with this one line, exit 2, nothing written."""


class Submitter(NamedTuple):
    name: str
    sid: str
    email: str


class Upload(NamedTuple):
    """One upload to grade: a submission_* folder of an export, or a path given as it is."""
    path: str  # what grade.py grades: a folder as uploaded, or a file
    label: str  # how the batch's lines and the CSV name it: the folder's name in an export, else the path given
    submitters: Tuple[Submitter, ...] = ()  # from the export's yml; () when there is none
    missing: str = ""  # why there is nothing to grade (a folder the yml names that is not there), else ''


class Collected(NamedTuple):
    uploads: List[Upload]
    notes: List[str]  # lines for the batch's header: what the exports held


def field(value: object) -> str:
    """A name, SID or e-mail as the yml gave it, made safe to show: text only, control characters escaped
    (newlines too: it is one cell), cut to FIELD_WIDTH characters."""
    text = value if isinstance(value, str) else ""
    text = escape(text).replace("\n", "\\n").replace("\t", "\\t").strip()
    return text if len(text) <= FIELD_WIDTH else text[:FIELD_WIDTH] + "..."


# ----------------------------------------------------------------------------
# The yml: PyYAML's BaseLoader where it is installed, else the subset Gradescope writes
# ----------------------------------------------------------------------------

class YamlSubsetError(ValueError):
    """YAML outside the subset read_yaml_subset reads: (line, what)."""

    def __init__(self, line: int, what: str):
        super().__init__(f"line {line}: {what}")
        self.line = line


class _Line(NamedTuple):
    number: int  # counted from 1, as editors count
    indent: int
    text: str  # without its indentation and its comment


_KEY = re.compile(r"""(?:'(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|[^'"\s#][^#]*?)(?=:(?:\s|$))""")
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
            "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028",
            "P": "\u2029"}
_HEX = {"x": 2, "u": 4, "U": 8}


def _lines(text: str) -> List[_Line]:
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        if number == 1 and raw.startswith("\ufeff"):
            raw = raw[1:]
        body = raw.lstrip(" ")
        if body.startswith("\t") or (body and raw[:len(raw) - len(body)].count("\t")):
            raise YamlSubsetError(number, "a tab in the indentation")
        if not body or body.startswith("#"):
            continue
        if body.rstrip() == "---" and not lines:
            continue
        if body.rstrip() == "...":
            break
        if body.startswith(("---", "%")):
            raise YamlSubsetError(number, "a second document or a directive")
        lines.append(_Line(number, len(raw) - len(body), _uncomment(body, number)))
    return lines


def _uncomment(text: str, number: int) -> str:
    """The text without a trailing comment (' #...'), quotes respected."""
    quote = ""
    i = 0
    while i < len(text):
        c = text[i]
        if quote == "'" and text.startswith("''", i):
            i += 1  # an escaped quote inside single quotes
        elif quote == '"' and c == "\\":
            i += 1  # an escaped character inside double quotes
        elif quote and c == quote:
            quote = ""
        elif not quote and c in "'\"" and _value_starts(text[:i]):
            quote = c
        elif not quote and c == "#" and i > 0 and text[i - 1] == " ":
            return text[:i].rstrip(" \t")
        i += 1
    if quote:
        raise YamlSubsetError(number, "a quoted value that does not end on its line")
    return text.rstrip(" \t")


def _value_starts(before: str) -> bool:
    """Whether a value (or a key) starts after this text of its line, so that a quote there opens a quoted value:
    at the line's start, after '- ', or after 'key: ' (not inside a word, as in O'Brien)."""
    stripped = before.rstrip(" ")
    if before and len(stripped) == len(before):
        return False
    return not stripped.strip("- ") or stripped.endswith(":")


def _scalar(text: str, number: int) -> Union[str, list, dict]:
    """One line's value: a quoted or plain string, or an empty [] or {}."""
    if text in ("[]", "{}"):
        return [] if text == "[]" else {}
    if text.startswith("'"):
        return _single_quoted(text, number)
    if text.startswith('"'):
        return _double_quoted(text, number)
    if text[0] in "&*!|>%@`[{" or text.startswith(("? ", "- ")) or text in ("?", "-"):
        raise YamlSubsetError(number, f"YAML this reader does not read ({text[0]!r}: an anchor, alias, tag, block "
                                      "text or flow collection)")
    if re.search(r":(\s|$)", text):
        raise YamlSubsetError(number, "a second 'key: value' on one line")
    return text


def _single_quoted(text: str, number: int) -> str:
    i = 1
    while i < len(text):
        if text.startswith("''", i):
            i += 2
        elif text[i] == "'":
            if i != len(text) - 1:
                raise YamlSubsetError(number, "text after a quoted value")
            return text[1:-1].replace("''", "'")
        else:
            i += 1
    raise YamlSubsetError(number, "a quoted value that does not end on its line")


def _double_quoted(text: str, number: int) -> str:
    out = []
    i = 1
    while i < len(text):
        c = text[i]
        if c == '"':
            if i != len(text) - 1:
                raise YamlSubsetError(number, "text after a quoted value")
            return "".join(out)
        if c == "\\":
            code = text[i + 1:i + 2]
            if code in _ESCAPES:
                out.append(_ESCAPES[code])
                i += 2
                continue
            digits = text[i + 2:i + 2 + _HEX.get(code, 0)]
            if code in _HEX and len(digits) == _HEX[code] and re.fullmatch(r"[0-9a-fA-F]+", digits):
                out.append(chr(int(digits, 16)))
                i += 2 + len(digits)
                continue
            raise YamlSubsetError(number, f"an escape this reader does not read (\\{code})")
        out.append(c)
        i += 1
    raise YamlSubsetError(number, "a quoted value that does not end on its line")


def _key(text: str, number: int) -> Tuple[str, str]:
    """A 'key: value' line as (key, the value's text), or YamlSubsetError."""
    match = _KEY.match(text)
    if not match:
        raise YamlSubsetError(number, "a line that is neither 'key: value' nor a list item")
    key = match.group(0)
    value = text[match.end() + 1:].strip(" \t")
    if key[0] in "'\"":
        parsed = _scalar(key, number)
        assert isinstance(parsed, str)
        return parsed, value
    if key[0] in "&*!|>%@`[{?":
        raise YamlSubsetError(number, "a key this reader does not read")
    return key.rstrip(" \t"), value


def _node(lines: List[_Line], i: int, indent: int) -> Tuple[object, int]:
    """The block node starting at lines[i], indented at least `indent`: (value, index after it)."""
    if i >= len(lines) or lines[i].indent < indent:
        return "", i  # an empty value: BaseLoader's ''
    line = lines[i]
    if line.text == "-" or line.text.startswith("- "):
        return _sequence(lines, i, line.indent)
    return _mapping(lines, i, line.indent)


def _mapping(lines: List[_Line], i: int, indent: int) -> Tuple[dict, int]:
    mapping: Dict[str, object] = {}
    while i < len(lines) and lines[i].indent == indent and not (lines[i].text == "-" or
                                                                   lines[i].text.startswith("- ")):
        line = lines[i]
        key, value = _key(line.text, line.number)
        i += 1
        if value:
            mapping[key] = _scalar(value, line.number)
            if i < len(lines) and lines[i].indent > indent:
                raise YamlSubsetError(lines[i].number, "a value continued on the next line")
            continue
        child_is_list = i < len(lines) and lines[i].indent == indent and (lines[i].text == "-" or
                                                                          lines[i].text.startswith("- "))
        mapping[key], i = _node(lines, i, indent if child_is_list else indent + 1)
    if i < len(lines) and lines[i].indent > indent:
        raise YamlSubsetError(lines[i].number, "indentation that does not match the lines above")
    return mapping, i


def _sequence(lines: List[_Line], i: int, indent: int) -> Tuple[list, int]:
    items: List[object] = []
    while i < len(lines) and lines[i].indent == indent and (lines[i].text == "-" or lines[i].text.startswith("- ")):
        line = lines[i]
        rest = line.text[1:].lstrip(" ")
        if not rest:
            item, i = _node(lines, i + 1, indent + 1)
        elif rest == "-" or rest.startswith("- ") or _KEY.match(rest):
            # "- key: value" or "- - item": a mapping or list that starts on the item's line
            inner = line.indent + len(line.text) - len(rest)
            lines = [*lines[:i], _Line(line.number, inner, rest), *lines[i + 1:]]
            item, i = _node(lines, i, inner)
        else:
            item = _scalar(rest, line.number)
            i += 1
            if i < len(lines) and lines[i].indent > indent:
                raise YamlSubsetError(lines[i].number, "a value continued on the next line")
        items.append(item)
    return items, i


def read_yaml_subset(text: str) -> object:
    """The block YAML Gradescope's export writes, read as PyYAML's BaseLoader reads it (every value text, an
    empty value ''); YamlSubsetError (with the line) for anything else."""
    lines = _lines(text)
    if not lines:
        return ""
    value, i = _node(lines, 0, lines[0].indent)
    if i < len(lines):
        raise YamlSubsetError(lines[i].number, "indentation that does not match the lines above")
    return value


def load_yaml(text: str) -> object:
    """PyYAML's BaseLoader (its C version where built) where PyYAML is installed, else read_yaml_subset."""
    try:
        import yaml
    except ImportError:
        return read_yaml_subset(text)
    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506  (BaseLoader: every value text, no object built from a tag)


def _yaml_errors() -> Tuple[type, ...]:
    try:
        import yaml
    except ImportError:
        return ()
    return (yaml.YAMLError,)


# ----------------------------------------------------------------------------
# An export folder
# ----------------------------------------------------------------------------

def read_metadata(path: str) -> Dict[str, Tuple[Submitter, ...]]:
    """submission_metadata.yml: each folder it names, with its submitters. ExportError, one line, when it
    cannot be read: a link or not a file, too large, not UTF-8, not YAML, or not a mapping of folders."""
    shown = escape(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise ExportError(f"{shown}: {e.strerror} (a link is not followed)") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise ExportError(f"{shown}: not a regular file")
        raw = f.read(MAX_METADATA + 1)
    if len(raw) > MAX_METADATA:
        raise ExportError(f"{shown}: larger than {MAX_METADATA >> 20} MiB, more than an export's yml holds")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ExportError(f"{shown}: not UTF-8 (byte {e.start})") from None
    try:
        data = load_yaml(text)
    except YamlSubsetError as e:
        raise ExportError(f"{shown}: {e}: this reader takes the YAML Gradescope writes; {PYYAML}") from None
    except _yaml_errors() as e:
        where = getattr(e, "problem_mark", None)
        line = f"line {where.line + 1}: " if where is not None else ""
        raise ExportError(f"{shown}: not YAML: {line}{escape(str(getattr(e, 'problem', '') or e))[:200]}") from None
    except RecursionError:
        raise ExportError(f"{shown}: nested too deeply to be an export's yml") from None
    if data == "":
        return {}
    if not isinstance(data, dict):
        raise ExportError(f"{shown}: expected a mapping of submission folders (submission_<id>: ...)")
    if len(data) > MAX_SUBMISSIONS:
        raise ExportError(f"{shown}: names {len(data)} submissions, more than the {MAX_SUBMISSIONS} read")
    submissions = {}
    for folder, entry in data.items():
        people = entry.get(":submitters", entry.get("submitters", [])) if isinstance(entry, dict) else []
        people = people if isinstance(people, list) else []
        submissions[folder] = tuple(
            Submitter(*(field(person.get(f":{key}", person.get(key))) for key in ("name", "sid", "email")))
            for person in people[:MAX_SUBMITTERS] if isinstance(person, dict))
    return submissions


def _children(folder: str) -> List[Tuple[str, bool]]:
    """The export's entries other than hidden ones and __MACOSX: (name, whether it is a folder, not a link)."""
    with os.scandir(folder) as entries:
        found = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries
                 if not e.name.startswith(".") and e.name != "__MACOSX"]
    return sorted(found)


def is_export(path: str) -> bool:
    """A folder holding submission_metadata.yml, or only submission_* folders (an export without its yml)."""
    if not os.path.isdir(path) or os.path.islink(path):
        return False
    if os.path.lexists(os.path.join(path, METADATA)):
        return True
    try:
        children = _children(path)
    except OSError:
        return False
    return bool(children) and all(is_folder and name.startswith(FOLDER_PREFIX) for name, is_folder in children)


def export_within(path: str) -> Optional[str]:
    """The export a folder holds as its one entry (the folder an export's zip was unzipped into: hw5/ holding
    assignment_<id>_export/), or None."""
    if not os.path.isdir(path) or os.path.islink(path) or is_export(path):
        return None
    try:
        children = _children(path)
    except OSError:
        return None
    if len(children) != 1 or not children[0][1]:
        return None
    inside = os.path.join(path, children[0][0])
    return inside if is_export(inside) else None


def read_export(folder: str) -> Collected:
    """The uploads of an export folder, in the order of their folders' names, each with its submitters."""
    shown = repr(escape(folder))
    metadata_path = os.path.join(folder, METADATA)
    notes = []
    if os.path.lexists(metadata_path):
        metadata = read_metadata(metadata_path)
    else:
        metadata = {}
        notes.append(f"export {shown}: no {METADATA}, so rows carry folder names only (no names, SIDs or e-mails)")
    try:
        children = _children(folder)
    except OSError as e:
        raise ExportError(f"{escape(folder)}: {e.strerror}") from None
    if len(children) > MAX_SUBMISSIONS:
        raise ExportError(f"{escape(folder)}: {len(children)} entries, more than the {MAX_SUBMISSIONS} read")
    on_disk = {name for name, _ in children}
    uploads = []
    for name, _ in children:
        if name == METADATA or (not name.startswith(FOLDER_PREFIX) and name not in metadata):
            continue
        uploads.append(Upload(os.path.join(folder, name), field(name), metadata.get(name, ())))
    unnamed = [u for u in uploads if not u.submitters and metadata]
    if unnamed:
        notes.append(f"export {shown}: {len(unnamed)} folder{'s' * (len(unnamed) > 1)} not in {METADATA} (graded "
                     f"under the folder's name): {', '.join(u.label for u in unnamed[:8])}")
    for name, people in metadata.items():
        if name not in on_disk:  # (a name that is no folder here, such as '../x', is never opened)
            uploads.append(Upload("", field(name), people, f"{METADATA} names a folder {field(name)!r} that is not "
                                                           "in the export"))
    others = [name for name, is_folder in children if name != METADATA and not name.startswith(FOLDER_PREFIX)
              and name not in metadata]
    if others:
        notes.append(f"export {shown}: left out, as neither {METADATA} nor a submission folder: "
                     + ", ".join(repr(field(n)) for n in others[:8]) + (" ..." if len(others) > 8 else ""))
    return Collected(uploads, notes)


def open_to_others(path: str) -> bool:
    """Whether a user with no group of the path's (as each grade's uid) can reach the folder: every folder above it
    searchable by others, and it searchable too. Without namespaces (Gradescope's kind of machine), a submission
    could then read the other uploads of an export, which each grade hides only its own of."""
    path = os.path.abspath(path)
    while True:
        try:
            if not os.stat(path).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def collect(paths: Sequence[str]) -> Collected:
    """What a batch grades: each export's uploads, and each other path as one upload named as given."""
    uploads: List[Upload] = []
    notes: List[str] = []
    for path in paths:
        path = export_within(path) or path
        if is_export(path):
            found = read_export(path)
            uploads += found.uploads
            notes += found.notes
        else:
            uploads.append(Upload(path, field(path)))
    return Collected(uploads, notes)


def described(submitters: Sequence[Submitter], width: Optional[int] = None) -> str:
    """'Ada Example (1815), Alan Example (1912)': who submitted, for a line of the batch."""
    text = ", ".join(f"{s.name or s.email or '?'}" + (f" ({s.sid})" if s.sid else "") for s in submitters)
    return text if width is None or len(text) <= width else text[:width - 3] + "..."
