"""The grade as text for a person and as Gradescope's results.json, both bounded and clean.

Whatever the submission writes reaches a person only through here: every check's output
has its control and format characters, line and paragraph separators, private-use, surrogate and
unassigned code points escaped (ESCAPED: a terminal escape reaches nobody's terminal, and no U+2028,
U+2029 or U+202E makes a line of the submission's look like one of the grader's), and is cut
to a fixed number of lines and characters per line; an output that repeats an earlier
check's is shown once and referred back to; and results.json stays under JSON_LIMIT bytes.
"""
import contextlib
import json
import os
import re
import tempfile
import unicodedata
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from grader.runner import RunResult

SECTIONS = ("env", "api", "trace", "cli")
QUOTE_LINES, QUOTE_WIDTH = 6, 200  # of a submission's stderr, quoted under a check
OUTPUT_LINES, OUTPUT_WIDTH = 40, 400  # of any check's output
JSON_LIMIT = 60 * 1024  # bytes of results.json (PrairieLearn takes 100 KiB, Coursera 64 KB)


# How a grade ended, from the first that any check shows, in this order (ENDINGS); a grade none of whose runs
# ended early was GRADED (its score says how well); NOT_GRADED is an upload that cannot be graded, or grade.py failing.
NOT_GRADED, NOT_IMPORTED, TIMED_OUT, CRASHED, GRADED = "not graded", "did not import", "timed out", "crashed", "graded"
ENDINGS = (NOT_GRADED, NOT_IMPORTED, TIMED_OUT, CRASHED, GRADED)


class Result(NamedTuple):
    """One check's verdict."""
    name: str  # "section:what"
    passed: bool
    output: str
    max_score: float
    mistakes: Sequence[str] = ()  # the ids of the mistakes its output names, in order
    visibility: str = "visible"  # Gradescope's: visible, after_due_date, after_published or hidden
    ended: str = ""  # how the check's run ended when it did not run to its end: NOT_IMPORTED, TIMED_OUT or CRASHED


# Unicode's categories escaped: control (Cc), format (Cf: U+202E, U+200B, ...), line and paragraph separators
# (Zl, Zp), private use (Co), surrogates (Cs) and unassigned (Cn): none draws a character a reader can trust.
ESCAPED = frozenset(("Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"))


def escape(text: str) -> str:
    """The characters of ESCAPED's categories, but newline and tab, written as Python writes them ('\\x1b',
    '\\u2028'): what is left draws each character it holds, and breaks lines only at newlines."""
    return "".join(c if c in "\n\t" or unicodedata.category(c) not in ESCAPED else repr(c)[1:-1] for c in text)


def cut(text: str, lines: int, width: int, keep_last: bool = False) -> str:
    """At most `lines` lines (the first, or the last), each at most `width` characters, saying what was left out."""
    rows = text.split("\n")
    left_out = len(rows) - lines
    if left_out > 0:
        rows = rows[-lines:] if keep_last else rows[:lines]
    rows = [row if len(row) <= width else f"{row[:width]}... ({len(row) - width} more characters)" for row in rows]
    if left_out > 0:
        note = f"({left_out} more line{'s' * (left_out > 1)})"
        rows = [note] + rows if keep_last else rows + [note]
    return "\n".join(rows)


def quote(text: str) -> str:
    """The last lines of what a submission wrote (its stderr, an error), escaped and cut, indented under a check."""
    text = text.rstrip()
    if not text:
        return ""
    return "".join(f"\n  | {line}" for line in cut(escape(text), QUOTE_LINES, QUOTE_WIDTH, keep_last=True).split("\n"))


def clean(output: str) -> str:
    """A check's output as it is shown: escaped, and cut to OUTPUT_LINES lines of OUTPUT_WIDTH characters."""
    return cut(escape(output), OUTPUT_LINES, OUTPUT_WIDTH)


def shown_outputs(results: Sequence[Result]) -> List[str]:
    """Each check's output as shown in results.json: clean, and where it repeats an earlier one that quotes
    the submission or is long, a reference to that check (a short line of the grader's own stays whole)."""
    first: Dict[str, str] = {}
    shown = []
    for r in results:
        output = clean(r.output)
        if output in first and ("\n  | " in output or len(output) > QUOTE_WIDTH):
            shown.append(f"(the same as {first[output]})")
        else:
            first.setdefault(output, r.name)
            shown.append(output)
    return shown


def own_outputs(tests: Sequence[dict]) -> List[str]:
    """Each results.json test's output, in order, with a reference that shown_outputs made ("(the same as
    api:random_init)") replaced by the output it refers to: what a reader of results.json compares."""
    by_name = {test["name"]: test.get("output", "") for test in tests}
    own = []
    for test in tests:
        output = test.get("output", "")
        match = re.fullmatch(r"\(the same as (.+)\)", output)
        own.append(by_name.get(match.group(1), output) if match else output)
    return own


def points(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def hundredths(points: object) -> int:
    """Points as a whole number of hundredths (a course's settings spread points in hundredths, so this is exact):
    what a batch adds and compares, free of float noise."""
    return int(round(float(points) * 100))  # type: ignore[arg-type]


def points_text(cents: Optional[int]) -> str:
    """Hundredths as points are written: '55', '5.47', '27.50'; '' for None."""
    if cents is None:
        return ""
    whole, part = divmod(abs(cents), 100)
    return ("-" if cents < 0 else "") + (str(whole) if not part else f"{whole}.{part:02d}")


def score(results: Sequence[Result]) -> float:
    total = round(sum(r.max_score for r in results if r.passed), 6)
    return int(total) if total == int(total) else total


def text(submission: str, header: Sequence[str], results: Sequence[Result]) -> str:
    lines = [f"grading {escape(submission)} against this project's neuralnet.py", *header, ""]
    first: Dict[str, str] = {}  # each output shown, and the check that showed it first
    for section in SECTIONS:
        members = [r for r in results if r.name.startswith(section + ":")]
        if not members:
            continue
        lines.append(f"{section} ({sum(r.passed for r in members)} of {len(members)} passed)")
        shown = None  # the last output shown: one that repeats it is not written out again
        for r in members:
            verdict = "PASS" if r.passed else "WARN" if r.max_score == 0 else "FAIL"
            scored = f"[{points(r.max_score) if r.passed else 0}/{points(r.max_score)}]" if r.max_score \
                else "[no points]"
            lines.append(f"  {verdict}  {r.name}  {scored}")
            if r.output and (not r.passed or r.output.startswith("note:")):
                output = clean(r.output)
                if output == shown:
                    lines.append("        (the same as above)")
                elif output in first:
                    lines.append(f"        (the same as {first[output]})")
                else:
                    lines += [f"        {line}" for line in output.splitlines()]
                    first[output] = r.name
                shown = output
        lines.append("")
    scored_checks = [r for r in results if r.max_score]
    warnings = sum(not r.passed for r in results if not r.max_score)
    lines.append(f"score: {points(score(results))}/{points(sum(r.max_score for r in scored_checks))} "
                 f"({sum(r.passed for r in scored_checks)} of {len(scored_checks)} checks passed"
                 + (f"; {warnings} warning{'s' * (warnings > 1)})" if warnings else ")"))
    return "\n".join(lines)


HELD_BACK = "Some tests are held back until the due date or until grades are published: this score is not final."


def gradescope(header: Sequence[str], results: Sequence[Result], seconds: float) -> dict:
    """Gradescope's results.json: score, execution_time, output_format, output and one entry per check
    (with the ids of the mistakes it names in extra_data), at most JSON_LIMIT bytes."""
    held_back = any(r.visibility != "visible" for r in results)
    tests = []
    for r, output in zip(results, shown_outputs(results)):
        entry = {"name": r.name, "score": r.max_score if r.passed else 0, "max_score": r.max_score,
                 "output": output, "visibility": r.visibility}
        if r.mistakes:
            entry["extra_data"] = {"mistakes": list(r.mistakes)}
        tests.append(entry)
    data = {"score": score(results), "execution_time": round(seconds, 3), "output_format": "text",
            "output": "\n".join([*header, *[HELD_BACK] * held_back]), "tests": tests,
            "extra_data": ending(results).as_json()}
    return bounded(data)


def from_gradescope(results: dict) -> Tuple[List[str], List[Result]]:
    """A results.json read back as Gradescope reads it (a container's, grader/docker.py): its header lines and
    its checks, for text(). A check without points passed where it says nothing."""
    header = [line for line in str(results.get("output", "")).splitlines() if line != HELD_BACK]
    checks = []
    for test in results.get("tests", []):
        max_score = float(test.get("max_score") or 0)
        output = str(test.get("output", ""))
        passed = float(test.get("score") or 0) >= max_score if max_score else not output
        mistakes = tuple(str(m) for m in (test.get("extra_data") or {}).get("mistakes", []))
        checks.append(Result(str(test.get("name", "")), passed, output, max_score, mistakes,
                             str(test.get("visibility", "visible"))))
    return header, checks


def bounded(data: dict) -> dict:
    """results.json cut to JSON_LIMIT bytes: the longest outputs shortened first, to an equal share each."""
    share = OUTPUT_LINES * OUTPUT_WIDTH
    while len(json.dumps(data, indent=1).encode()) > JSON_LIMIT and share > 40:
        share //= 2
        for test in data["tests"]:
            if len(test["output"]) > share:
                test["output"] = f"{test['output'][:share]}... (cut: results.json is kept under {JSON_LIMIT >> 10} KiB)"
    return data


def failure(error: str, seconds: float, max_score: Optional[float] = None) -> dict:
    """results.json when grading itself failed: score 0, and why; max_score: what the grade would have been out of."""
    return {"score": 0, "execution_time": round(seconds, 3), "output_format": "text",
            "output": f"the grader failed: {error}",
            "tests": [{"name": "grader", "score": 0, "max_score": 0, "output": error, "visibility": "visible"}],
            "extra_data": Ending(NOT_GRADED, f"the grader failed: {one_line(error)}", max_score=max_score).as_json()}


class Ending(NamedTuple):
    """How a grade ended, as results.json's top-level extra_data carries it to a batch (grader/batch.py), which
    never reads it back from the report's text."""
    kind: str  # one of ENDINGS
    detail: str  # why, on one line: the check that shows how it ended and what it says; what to fix; or ''
    unexplained: str = ""  # GRADED with a failing check but no mistake named anywhere: the first failing check
    max_score: Optional[float] = None  # for NOT_GRADED: the points it would have been out of (None: not known)

    def as_json(self) -> dict:
        data = {"ended": self.kind, "detail": self.detail}
        if self.unexplained:
            data["unexplained"] = self.unexplained
        if self.max_score is not None:
            data["max_score"] = self.max_score
        return data


DETAIL_WIDTH = 300  # characters of an ending's detail


def one_line(text: str) -> str:
    """Text on one line, escaped and cut to DETAIL_WIDTH characters: for an ending's detail, a CSV cell."""
    text = " ".join(escape(text).split())
    return text if len(text) <= DETAIL_WIDTH else text[:DETAIL_WIDTH] + "..."


def said(result: Result) -> str:
    """A failing check on one line: its name, the grader's first line, and the last line it quotes of the
    submission ('cli:small 2 4 2 0.1 (...): exit status 1: ValueError: boom')."""
    lines = result.output.split("\n")
    own = next((line for line in lines if line.strip() and not line.startswith("  | ")), "")
    quoted = [line[4:] for line in lines if line.startswith("  | ")]
    return one_line(f"{result.name}: {own.rstrip(':')}" + (f": {quoted[-1].strip()}" if quoted else ""))


def ending(results: Sequence[Result]) -> Ending:
    """How the grade ended: the first kind of early end (ENDINGS' order) that a failing check shows, with that
    check; else GRADED, with the first mistake named, or where none is, the first failing check that has points
    (marked unexplained); else GRADED with every check passed."""
    for kind in (NOT_IMPORTED, TIMED_OUT, CRASHED):
        first = next((r for r in results if r.ended == kind and not r.passed), None)
        if first is not None:
            return Ending(kind, said(first))
    failing = next((r for r in results if r.max_score and not r.passed), None)
    if failing is None:
        return Ending(GRADED, "every check passed")
    named = next((r for r in results if r.mistakes and not r.passed), None)
    if named is None:
        return Ending(GRADED, said(failing), failing.name)
    mistake = next((line.strip() for line in named.output.split("\n") if line.strip().startswith("mistake: ")), "")
    return Ending(GRADED, one_line(f"{named.name}: {mistake}") if mistake else said(named))


def write_json(path: str, data: dict) -> None:
    """Write atomically: a temporary file in the same folder, then renamed over the path."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".results-", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def run_ending(run: RunResult) -> str:
    """How a run that did not run to its end ended, for Result.ended: TIMED_OUT (not run, stopped by its time,
    or the CPU-time limit), CRASHED (an exit status other than 0, a signal, another limit: a run the sandbox
    stopped for its memory, disk or folders too); '' for a run that ended by itself with 0."""
    if "CPU-time" in run.problem or (run.status is None and run.problem.startswith(("timed out", "not run"))):
        return TIMED_OUT
    return CRASHED if run.status != 0 or run.problem else ""


def why_run_failed(run: RunResult) -> str:
    """A run that was not run, was stopped, hit a limit or exited non-zero: what happened."""
    if run.status is None:
        return f"{run.problem}{quote(run.stderr)}"
    status = f"exit status {run.status}" if run.status >= 0 else f"killed by signal {-run.status}"
    return f"{status}{f' ({run.problem})' if run.problem else ''}{quote(run.stderr)}"
