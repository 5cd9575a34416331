"""The grade as text for a person and as Gradescope's results.json, both bounded and clean.

Whatever the submission writes reaches a person only through here: every check's output
has its control and format characters, line and paragraph separators, private-use, surrogate and
unassigned code points escaped (ESCAPED: a terminal escape reaches nobody's terminal, and no U+2028,
U+2029 or U+202E makes a line of the submission's look like one of the grader's), and is cut
to a fixed number of lines and characters per line; an output that repeats an earlier
check's is shown once and referred back to, and a mistake explained under one check is named
in one line under the others (causes_once); and results.json stays under JSON_LIMIT bytes.

Points are kept in hundredths (settings.spread hands them out so) and written by points():
the text report, results.json, the build's line, the batch and its CSV all go through it.

On Gradescope, results.json's top-level output is the first thing a student reads: it opens
with the score and what to fix first (summary). How the submission was isolated is for
staff: it is in the text report, which run_autograder prints to its stdout, which Gradescope
shows to instructors only (stdout_visibility "hidden").
"""
import contextlib
import json
import os
import re
import tempfile
import unicodedata
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

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
    """Each check's output as shown in results.json: clean, and where it repeats an earlier one (of the same
    visibility) that quotes the submission or is long, a reference to that check (a short line of the grader's
    own stays whole)."""
    first: Dict[Tuple[str, str], str] = {}
    shown = []
    for r in causes_once(results):
        output = clean(r.output)
        if (output, r.visibility) in first and ("\n  | " in output or len(output) > QUOTE_WIDTH):
            shown.append(f"(the same as {first[output, r.visibility]})")
        else:
            first.setdefault((output, r.visibility), r.name)
            shown.append(output)
    return shown


MISTAKE_LINE = re.compile(r"mistake: ([a-z0-9-]+): ")  # catalog.mistake_line's first line
OLDER_HANDOUT = "  this follows an older handout's"  # its second line, for a mistake an older handout asked for


def causes_once(results: Sequence[Result]) -> List[Result]:
    """The results with each mistake explained in full under the first check that names it, and named in one line
    under the others: 'mistake: no-shuffle (explained under cli:small 2 4 2 0.1 (...))', the lines of detail of
    each check kept. Checks of another visibility explain it again, so that no student is referred to a check
    held back from them. Only the grader's own lines are shortened: a line is taken for a mistake's only when its
    check names that mistake (Result.mistakes, from the catalog's lines, never from the submission's text)."""
    explained: Dict[Tuple[str, str], str] = {}  # (mistake id, visibility) -> the check that explained it
    told = []
    for r in results:
        lines: List[str] = []
        referred = False
        for line in r.output.split("\n"):
            if referred and line.startswith(OLDER_HANDOUT):
                continue  # part of the explanation, given under the first check
            referred = False
            match = MISTAKE_LINE.match(line)
            if match and match.group(1) in r.mistakes:
                key = (match.group(1), r.visibility)
                if key in explained:
                    lines.append(f"mistake: {match.group(1)} (explained under {explained[key]})")
                    referred = True
                    continue
                explained[key] = r.name
            lines.append(line)
        told.append(r._replace(output="\n".join(lines)))
    return told


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


def hundredths(value: object) -> int:
    """Points as a whole number of hundredths, the unit every grade is kept in (settings.spread hands points out
    in hundredths, so this is exact): 5.47 -> 547, and float noise such as 55.00000000000001 -> 5500; what a batch
    adds and compares."""
    return int(round(float(value) * 100))  # type: ignore[arg-type]


def points(value: float) -> str:
    """Points as every report writes them: the text report, results.json's top-level output, the build's line, and
    the batch's lines and CSV. Whole points bare, others with two decimals (hundredths, never more): 55, 5.47,
    0.50; float noise is rounded away (55.00000000000001 -> 55). Sum points with total_points first."""
    cents = hundredths(value)
    return str(cents // 100) if cents % 100 == 0 else f"{cents / 100:.2f}"


def points_text(cents: Optional[int]) -> str:
    """Hundredths as points are written (points()): '55', '5.47', '27.50'; '' for None."""
    return "" if cents is None else points(cents / 100)


def points_number(value: float) -> Union[int, float]:
    """Points as results.json holds them: an int when whole, else the float of its hundredths (5.47)."""
    cents = hundredths(value)
    return cents // 100 if cents % 100 == 0 else cents / 100


def total_points(values: Iterable[float]) -> Union[int, float]:
    """The exact sum of points given in hundredths, added as whole hundredths: 0.59 + 0.58 + ... never leaves
    float noise; as points_number writes it."""
    return points_number(sum(hundredths(v) for v in values) / 100)


def score(results: Sequence[Result]) -> Union[int, float]:
    """The points of the checks passed, exactly."""
    return total_points(r.max_score for r in results if r.passed)


def max_score(results: Sequence[Result]) -> Union[int, float]:
    """The points of every check, exactly."""
    return total_points(r.max_score for r in results)


def text(submission: str, header: Sequence[str], results: Sequence[Result]) -> str:
    """The report a person reads on a terminal (and staff in run_autograder's stdout): the header, each section's
    checks with the output of those that fail, then the score and what to fix first."""
    lines = [f"grading {escape(submission)} against this project's neuralnet.py", *header, ""]
    first: Dict[str, str] = {}  # each output shown, and the check that showed it first
    told = causes_once(results)
    for section in SECTIONS:
        members = [r for r in told if r.name.startswith(section + ":")]
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
    lines += summary(results)
    return "\n".join(lines)


def score_line(results: Sequence[Result], what: str = "score") -> str:
    """'score: 25/55 (18 of 25 checks passed; 1 warning)'."""
    scored_checks = [r for r in results if r.max_score]
    warnings = sum(not r.passed for r in results if not r.max_score)
    return (f"{what}: {points(score(results))}/{points(max_score(results))} "
            f"({sum(r.passed for r in scored_checks)} of {len(scored_checks)} checks passed"
            + (f"; {warnings} warning{'s' * (warnings > 1)})" if warnings else ")"))


def first_fix(results: Sequence[Result]) -> str:
    """What to fix first, in one line ('' when nothing fails): the first mistake named by a check that fails
    (a warning's too: import-side-effects behind an import that hangs), in the order of the checks, with
    how many checks name it; else the first failing check's first line; else the first warning's."""
    failing = [r for r in results if not r.passed]
    named = [(r, m) for r in failing for m in r.mistakes]
    if named:
        r, mistake = named[0]
        explanation = next((line for line in r.output.split("\n") if line.startswith(f"mistake: {mistake}:")),
                           f"mistake: {mistake}")
        others = sum(mistake in other.mistakes for other in failing) - 1
        where = f"{r.name}" + (f" and {others} other check{'s' * (others > 1)}" if others else "")
        return f"fix first: {explanation} (named under {where})"
    first = next((r for r in failing if r.max_score), failing[0] if failing else None)
    if first is None:
        return ""
    said = next((line for line in first.output.split("\n") if line.strip()), "it fails")
    return f"{'fix first' if first.max_score else 'warning'}: {first.name}: {said}"


def summary(results: Sequence[Result], held_back: bool = False) -> List[str]:
    """The score, then what to fix first (cut to one line's width, escaped). With tests held back, only what the
    visible tests say, so that nothing of a held-back test shows before its time."""
    if held_back:
        results = [r for r in results if r.visibility == "visible"]
    fix = first_fix(causes_once(results))
    line = score_line(results, "score on the tests shown now" if held_back else "score")
    return [line, *([cut(escape(fix), 1, OUTPUT_WIDTH)] if fix else [])]


HELD_BACK = "Some tests are held back until the due date or until grades are published: this score is not final."


def gradescope(notes: Sequence[str], results: Sequence[Result], seconds: float) -> dict:
    """Gradescope's results.json: score, execution_time, output_format, output and one entry per check
    (with status, and the ids of the mistakes it names in extra_data), at most JSON_LIMIT bytes.

    The top-level output opens with the score and what to fix first (of the visible tests alone, when some are
    held back: it is shown at once), then `notes` (the upload's, the limits) and whether tests are held back.
    Every test has its status: a check that fails is "failed" whatever its points, so that a warning (0 points)
    never shows as passed. stdout_visibility "hidden" keeps
    run_autograder's stdout (the text report, with how the submission was isolated) to instructors.
    Outputs are plain text ("text"): Gradescope shows a test's output in a <pre> box, which keeps the
    report's indentation and the submission's quoted lines as written; "md" would read the underscores,
    asterisks and '#' of identifiers and quoted code as markup, and "simple_format" folds the indentation."""
    held_back = any(r.visibility != "visible" for r in results)
    tests = []
    for r, output in zip(results, shown_outputs(results)):
        entry = {"name": r.name, "score": points_number(r.max_score) if r.passed else 0,
                 "max_score": points_number(r.max_score), "status": "passed" if r.passed else "failed",
                 "output": output, "visibility": r.visibility}
        if r.mistakes:
            entry["extra_data"] = {"mistakes": list(r.mistakes)}
        tests.append(entry)
    data = {"score": score(results), "execution_time": round(seconds, 3), "output_format": "text",
            "stdout_visibility": "hidden",
            "output": "\n".join([*summary(results, held_back), *notes, *[HELD_BACK] * held_back]), "tests": tests,
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
    return {"score": 0, "execution_time": round(seconds, 3), "output_format": "text", "stdout_visibility": "hidden",
            "output": f"score: 0 (not graded)\nthe grader failed: {error}",
            "tests": [{"name": "grader", "score": 0, "max_score": 0, "status": "failed", "output": error,
                       "visibility": "visible"}],
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
