"""grade.py's reference, known by its content: the SHA-256 of the neuralnet.py it grades against.

The handout requires a student's file to be named neuralnet.py, and a student may copy it into
this clone under that name, over the reference; grade.py would then grade their file against
itself. So grade.py checks, before it imports neuralnet, that the neuralnet.py beside it is the
one whose digest is below, and otherwise stops in one line saying what to do (check). A
submission that is the reference itself gets a one-line note on a terminal: it scores full
marks without being anyone's work.

After changing neuralnet.py on purpose, record its new digest (tests.py fails until then):

    python3 -m grader.reference --update

Standard library only, and neuralnet is never imported here: the file beside grade.py may be
a student's or the starter code, which must not run in the grader's process.
"""
import hashlib
import json
import os
import re
import sys
import tempfile
from typing import Optional, Sequence, TextIO

SHA256 = "e2c37d5fc6b9176993052190973db493bb38d9b7afacdab170561891aaaf2044"

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the project: grade.py and neuralnet.py
REFERENCE = os.path.join(HERE, "neuralnet.py")
UPDATE = "python3 -m grader.reference --update"
GRADE_YOURS = "python3 grade.py ~/hw5/neuralnet.py"


def digest(path: str) -> str:
    """SHA-256 of a file's bytes, CRLF read as LF (a Windows checkout's line endings change no digest)."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read().replace(b"\r\n", b"\n")).hexdigest()


def is_reference(path: str) -> bool:
    """Whether the file at path is the reference, by content; False for a path that is not a readable file."""
    try:
        return os.path.isfile(path) and digest(path) == SHA256
    except OSError:
        return False


def problem(project: str = HERE) -> Optional[str]:
    """Why the neuralnet.py beside grade.py (in the project's folder) cannot be its reference, or None when it is."""
    path = os.path.join(project, "neuralnet.py")
    if is_reference(path):
        return None
    state = "is missing" if not os.path.exists(path) else "is not grade.py's reference (its SHA-256 differs)"
    return (f"the neuralnet.py beside grade.py {state}: keep your own file elsewhere, restore the reference "
            f"(git checkout -- neuralnet.py) and grade yours by its path: {GRADE_YOURS}")
    # No word here of `--update`: a student who ran it would be graded against their own file. A maintainer who
    # changed neuralnet.py on purpose learns it from tests.py, which fails until the digest is recorded.


def json_path(argv: Sequence[str]) -> Optional[str]:
    """The value of --json in grade.py's arguments, read without its parser (which needs neuralnet)."""
    for i, word in enumerate(argv):
        if word == "--json" and i + 1 < len(argv):
            return argv[i + 1]
        if word.startswith("--json="):
            return word[len("--json="):]
    return None


def write_failure_json(path: str, error: str) -> None:
    """A results.json of score 0 saying why, as grade.py writes when grading fails (grader/report.py's
    failure, which cannot be imported here: it imports neuralnet). Nothing when it cannot be written."""
    data = {"score": 0, "execution_time": 0, "output_format": "text", "output": f"the grader failed: {error}",
            "tests": [{"name": "grader", "score": 0, "max_score": 0, "output": error, "visibility": "visible"}]}
    try:
        fd, temporary = tempfile.mkstemp(prefix=".results-", dir=os.path.dirname(os.path.abspath(path)))
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError:
        pass


def check(argv: Sequence[str], stderr: TextIO) -> Optional[int]:
    """grade.py's first step: exit status 2 (after one line on stderr, and results.json with --json) when
    the neuralnet.py beside it is not the reference; otherwise None, with a note on a terminal for each
    argument that is the reference itself."""
    error = problem()
    if error:
        print(f"grade.py: error: {error}", file=stderr)
        path = json_path(argv)
        if path:
            write_failure_json(path, error)
        return 2
    if _isatty(stderr):
        for word in argv:
            if not word.startswith("-") and is_reference(word):
                print(f"grade.py: note: {word!r} is grade.py's own reference, which scores full marks; to grade "
                      f"yours, give its path: {GRADE_YOURS}", file=stderr)
    return None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def update() -> str:
    """Record the digest of the neuralnet.py beside grade.py in this file; return it."""
    new = digest(REFERENCE)
    with open(__file__) as f:
        source = f.read()
    source, count = re.subn(r'^SHA256 = "[0-9a-f]{64}"$', f'SHA256 = "{new}"', source, count=1, flags=re.M)
    if count != 1:
        raise SystemExit("grader/reference.py: its SHA256 line is missing; restore it: SHA256 = \"<64 hex digits>\"")
    with open(__file__, "w") as f:
        f.write(source)
    return new


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(f"usage: {UPDATE}")
    print(f"grader/reference.py: SHA256 = {update()} (neuralnet.py)")
