"""What a student uploaded: the one neuralnet.py in it, read without following a link.

    found = locate("/autograder/submission")     # a folder (Gradescope's) or the file itself
    source = read_submission(found.path)         # its bytes
    found.notes                                  # what the report says about the upload

Students upload as they work: a zipped folder (hw5/neuralnet.py), a macOS zip with __MACOSX/
and ._ files, a file their browser renamed (neuralnet (1).py), or a helper module beside it.
The course grades one file named neuralnet.py and deletes the rest. locate finds it at any
depth, skipping hidden files and folders and __MACOSX/; when it cannot, UploadError says in
one line what was uploaded and what to fix. That is the student's grade (0), not the grader
failing.

An archive inside the upload (hw5.zip within the folder Gradescope unpacked) is never opened: it
is named as the thing to fix, so that nothing a student packed is unpacked where the grader runs.

A link is never followed: folders are walked and the file opened with O_NOFOLLOW at every
step (each folder opened relative to the last), and only a regular file is read, at most
MAX_SIZE bytes. A link named neuralnet.py is named as a link and gets 0; nothing it points
at is read, and its target is not quoted.
"""
import ast
import errno
import os
import re
import stat
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

from grader.report import NOT_GRADED, Ending, escape, one_line

NAME = "neuralnet.py"
MAX_SIZE = 1 << 20  # bytes: the reference is 30 KB; a larger neuralnet.py is refused, not read
MAX_ENTRIES = 2000  # files and folders looked at in an upload
MAX_DEPTH = 8
NAMES_SHOWN = 8  # uploaded names listed in a message
NAME_WIDTH = 60  # characters of a name shown
SKIPPED_FOLDERS = ("__MACOSX",)
ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".gz", ".7z", ".rar")  # named as the thing to fix, never opened
FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
REQUIRED = f"upload one file named {NAME} (the course keeps only that file; other files are deleted)"


class UploadError(Exception):
    """What was uploaded cannot be graded: one line for the student, who gets 0."""


class Found(NamedTuple):
    root: str  # the folder uploaded (or the file's folder), as given: the harness's path, followed as it is
    parts: Tuple[str, ...]  # the neuralnet.py's path inside it, each step opened without following a link
    notes: Tuple[str, ...]  # lines for the report's header about the upload

    @property
    def path(self) -> str:
        return os.path.join(self.root, *self.parts)

    @property
    def shown(self) -> str:
        """Its path within the upload, as the report names it."""
        return "/".join(self.parts)


def shown_name(name: str) -> str:
    """A name from the upload as a message shows it: escaped, quoted and cut."""
    text = escape(name)
    if len(text) > NAME_WIDTH:
        text = text[:NAME_WIDTH] + "..."
    return repr(text)


def near_miss(name: str) -> bool:
    """A file name that was meant to be neuralnet.py: another case, a browser's copy number, an extra
    extension, separators (NeuralNet.py, neuralnet (1).py, neuralnet.py.txt, neural_net.py)."""
    key = re.sub(r"\(\d+\)|\bcopy\b|[\s_.\-]", "", name.lower())
    return key.startswith("neuralnet") and name != NAME


# Where the system opens a path relative to a folder without following links (Linux, macOS, the BSDs), each step
# of a path inside the upload is opened that way; elsewhere (Windows) each step is checked with lstat first.
RELATIVE_OPEN = all(hasattr(os, flag) for flag in ("O_NOFOLLOW", "O_DIRECTORY")) and \
    os.open in os.supports_dir_fd and os.scandir in os.supports_fd


class _Entry(NamedTuple):
    parts: Tuple[str, ...]  # path within the upload
    mode: int  # from lstat


def _walk(folder: str) -> Tuple[List[_Entry], bool]:
    """Every file and folder of the upload (lstat, links not followed), hidden ones and __MACOSX/ left out;
    whether the walk stopped at MAX_ENTRIES or MAX_DEPTH."""
    found: List[_Entry] = []
    cut_short = False

    def visit(where: Union[int, str], parts: Tuple[str, ...]) -> None:
        nonlocal cut_short
        with os.scandir(where) as entries:
            listed = sorted(entries, key=lambda e: e.name)
        for entry in listed:
            if entry.name.startswith(".") or entry.name in SKIPPED_FOLDERS:
                continue
            if len(found) >= MAX_ENTRIES:
                cut_short = True
                return
            mode = entry.stat(follow_symlinks=False).st_mode
            found.append(_Entry(parts + (entry.name,), mode))
            if not stat.S_ISDIR(mode):
                continue
            if len(parts) + 1 >= MAX_DEPTH:
                cut_short = True
            elif isinstance(where, int):
                child = _open(entry.name, FOLDER_FLAGS, dir_fd=where)
                try:
                    visit(child, parts + (entry.name,))
                finally:
                    os.close(child)
            else:
                visit(os.path.join(where, entry.name), parts + (entry.name,))

    if RELATIVE_OPEN:
        top = _open(folder, FOLDER_FLAGS)
        try:
            visit(top, ())
        finally:
            os.close(top)
    else:
        visit(folder, ())
    return found, cut_short


def _listing(entries: Sequence[_Entry]) -> str:
    files = ["/".join(e.parts) + ("/" if stat.S_ISDIR(e.mode) else "") for e in entries
             if not stat.S_ISDIR(e.mode) or not any(f.parts[:len(e.parts)] == e.parts and f != e for f in entries)]
    shown = ", ".join(shown_name(f) for f in files[:NAMES_SHOWN])
    more = len(files) - NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def locate(path: str) -> Found:
    """The neuralnet.py to grade: `path` itself when it is not a folder, else the one file named neuralnet.py
    at any depth of the folder. UploadError, one line, when there is none, several, or a link."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as e:
        raise UploadError(f"{shown_name(path)}: {e.strerror}") from None
    if not stat.S_ISDIR(mode):
        _check_kind(os.path.basename(path), mode)
        return Found(os.path.dirname(path) or os.curdir, (os.path.basename(path),), ())
    try:
        entries, cut_short = _walk(path)
    except OSError as e:
        raise UploadError(f"the upload could not be read ({e.strerror}): {REQUIRED}") from None
    candidates = [e for e in entries if e.parts[-1] == NAME]
    if len(candidates) > 1:
        names = ", ".join(shown_name("/".join(e.parts)) for e in candidates[:NAMES_SHOWN])
        raise UploadError(f"the upload holds {len(candidates)} files named {NAME} ({names}): upload only one")
    if not candidates:
        if not entries:
            raise UploadError(f"the upload is empty: {REQUIRED}")
        near = [e for e in entries if near_miss(e.parts[-1]) and not stat.S_ISDIR(e.mode)]
        archives = [e for e in entries if e.parts[-1].lower().endswith(ARCHIVES) and stat.S_ISREG(e.mode)]
        hint = ""
        if near:
            hint = f"; {shown_name('/'.join(near[0].parts))} is not named {NAME}: rename it to {NAME}"
        elif archives:  # never opened: what is inside a student's archive is theirs to upload unpacked
            hint = (f"; {shown_name('/'.join(archives[0].parts))} is an archive, which is not unpacked here: upload "
                    f"{NAME} itself")
        scope = " (listing cut short)" if cut_short else ""
        raise UploadError(f"no file named {NAME} in the upload (uploaded{scope}: {_listing(entries)}){hint}; "
                          f"{REQUIRED}")
    found = candidates[0]
    shown = "/".join(found.parts)
    _check_kind(shown, found.mode)
    notes = []
    if len(found.parts) > 1:
        notes.append(f"upload: graded {shown_name(shown)}")
    return Found(path, found.parts, tuple(notes))


def _check_kind(shown: str, mode: int) -> None:
    if stat.S_ISLNK(mode):
        raise UploadError(f"{shown_name(shown)} is a symbolic link, not a file: nothing it points to is read; "
                          f"upload the file itself")
    if not stat.S_ISREG(mode):
        raise UploadError(f"{shown_name(shown)} is not a regular file: {REQUIRED}")


def read_submission(found: Found, limit: int = MAX_SIZE) -> bytes:
    """The found file's bytes: the upload's folder opened as given (the harness's or the caller's path), each
    step inside it without following a link, a regular file only, at most `limit` bytes; else UploadError."""
    name = shown_name(found.shown)
    try:
        fd = _open_inside(found)
    except OSError as e:
        raise UploadError(f"{name}: {e.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UploadError(f"{name} is not a regular file: {REQUIRED}")
        if info.st_size > limit:
            raise UploadError(f"{name} has {info.st_size} bytes, more than the {limit >> 10} KiB a {NAME} may have")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UploadError(f"{name} grew past {limit >> 10} KiB while it was read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _link(found: Found, steps: int) -> UploadError:
    last = steps == len(found.parts)
    return UploadError(f"{shown_name('/'.join(found.parts[:steps]))} is a symbolic link, not a "
                       f"{'file' if last else 'folder'}: nothing it points to is read; upload the file itself")


def _open_inside(found: Found) -> int:
    """The found file opened for reading, no step inside the upload followed if it is a link (UploadError)."""
    if not RELATIVE_OPEN:  # check each step, then open; the file's identity checked against what lstat saw
        for steps in range(1, len(found.parts) + 1):
            seen = os.lstat(os.path.join(found.root, *found.parts[:steps]))
            if stat.S_ISLNK(seen.st_mode):
                raise _link(found, steps)
        fd = _open(found.path, os.O_RDONLY)
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (seen.st_dev, seen.st_ino):
            os.close(fd)
            raise UploadError(f"{shown_name(found.shown)} changed while it was opened")
        return fd
    fd = _open(found.root, os.O_RDONLY | os.O_DIRECTORY)
    for steps, part in enumerate(found.parts, 1):
        last = steps == len(found.parts)
        try:
            child = _open(part, os.O_RDONLY | os.O_NOFOLLOW | (os.O_NONBLOCK if last else os.O_DIRECTORY), dir_fd=fd)
        except OSError as e:
            if e.errno in (errno.ELOOP, errno.ENOTDIR):
                raise _link(found, steps) from None
            raise
        finally:
            os.close(fd)
        fd = child
    return fd


def _open(path: str, flags: int, dir_fd: Optional[int] = None) -> int:
    return os.open(path, flags | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0), dir_fd=dir_fd)


def helper_imports(source: bytes, found: Found) -> List[str]:
    """The modules neuralnet.py imports that were uploaded beside it (helper.py, or a package folder): only
    neuralnet.py is kept, so those imports fail where it is graded. [] when the source does not parse."""
    folder = os.path.join(found.root, *found.parts[:-1])
    try:
        tree = ast.parse(source)
        with os.scandir(folder) as entries:
            siblings: Dict[str, str] = {}
            for entry in entries:
                stem, extension = os.path.splitext(entry.name)
                if entry.is_dir(follow_symlinks=False) or extension == ".py":
                    siblings.setdefault(stem if extension == ".py" else entry.name, entry.name)
    except (SyntaxError, ValueError, OSError):
        return []
    imported = []
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        imported += [name.split(".")[0] for name in names if name]
    return [siblings[name] for name in dict.fromkeys(imported) if name in siblings and siblings[name] != NAME]


def helper_note(helpers: Sequence[str]) -> str:
    """The report's line about uploaded helper modules, or ''."""
    if not helpers:
        return ""
    names = ", ".join(shown_name(h) for h in helpers[:NAMES_SHOWN])
    return (f"upload: {NAME} imports {names}, uploaded beside it: only {NAME} is kept, so that import fails "
            f"here; put its code into {NAME}")


def results(reason: str, seconds: float, max_score: Optional[float] = None) -> dict:
    """Gradescope's results.json for an upload that cannot be graded: 0, and what to fix (first, as every top-level
    output opens: report.summary); max_score: the points the grade would have been out of, for a batch's row
    (Gradescope takes the assignment's own)."""
    return {"score": 0, "execution_time": round(seconds, 3), "output_format": "text", "stdout_visibility": "hidden",
            "output": f"score: 0 (not graded)\nfix first: {reason}",
            "tests": [{"name": "upload", "score": 0, "max_score": 0, "status": "failed", "output": reason,
                       "visibility": "visible"}],
            "extra_data": Ending(NOT_GRADED, one_line(reason), max_score=max_score).as_json()}
