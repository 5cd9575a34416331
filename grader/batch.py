"""A whole class at once: grade.py A.py B.py ... [--jobs N] [--csv PATH].

Each submission is graded by its own grade.py process (its own sandbox, limits and
results.json), several at a time. A line per submission as it finishes (file, score,
how its grade ended, mistakes), then a class summary: how the grades ended, the score
distribution and each mistake with the number of submissions that make it, to see what
to cover in recitation.

How a grade ended is read from its results.json, in this order: "did not import" (the
file could not be imported: a syntax error, an exception or an exit at import), "timed
out" (a run took its --timeout, hit the CPU-time limit, or the time budget ran out),
"crashed" (a run exited with an error, was killed or hit another limit), else "graded"
(every run ran to its end; the score says how well). Only the grader's own lines of a
check's output are read, never the lines quoting the submission ("  | ...").

As root with --user, every parallel grade needs a user of its own, since a grade kills every
process of its user when a run ends: --user takes a comma-separated list, and no more
grades run at once than there are users.
"""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import List, NamedTuple, Optional, Sequence, Tuple

from grader.report import own_outputs

GRADED, NOT_IMPORTED, TIMED_OUT, CRASHED, NOT_GRADED = "graded", "did not import", "timed out", "crashed", "not graded"
# How a run ended, as the grader's own lines of a check's output begin (grader/report.py why_run_failed,
# grader/runner.py's time budget, grader/api.py): the first kind that any check shows decides, in this order.
ENDINGS: Sequence[Tuple[str, "re.Pattern[str]"]] = (
    (NOT_IMPORTED, re.compile(r"cannot import the submission")),
    (TIMED_OUT, re.compile(r"\(?(timed out|not run: |(exit status -?\d+ |killed by signal \d+ )?\(?hit the CPU-time)")),
    (CRASHED, re.compile(r"\(?(exit status |killed by signal |hit the |used more |the checks stopped before writing|"
                         r"unreadable values from the checks)")),
)
QUOTED = "  | "  # a line quoting what the submission wrote (grader/report.py quote)


class Graded(NamedTuple):
    submission: str
    score: Optional[int]  # None when it could not be graded
    max_score: int
    mistakes: List[str]  # ids, in the order first named
    error: str  # why grade.py could not grade it (score None), else ''
    ended: str = GRADED  # GRADED, NOT_IMPORTED, TIMED_OUT, CRASHED or NOT_GRADED
    detail: str = ""  # the first check that shows how it ended, and what it says (its last quoted line)


def ending(tests: Sequence[dict]) -> Tuple[str, str]:
    """How a grade ended, from its results.json tests: (one of ENDINGS' kinds or GRADED, detail)."""
    outputs = own_outputs(tests)
    for kind, pattern in ENDINGS:
        for test, output in zip(tests, outputs):
            if test.get("score") == test.get("max_score") and test.get("max_score"):
                continue  # a passing check
            lines = output.split("\n")
            said = next((line for line in lines if not line.startswith(QUOTED) and pattern.match(line)), None)
            if said is not None:
                quoted = [line[len(QUOTED):] for line in lines if line.startswith(QUOTED)]
                return kind, f"{test['name']}: {said.rstrip(':')}" + (f": {quoted[-1].strip()}" if quoted else "")
    return GRADED, ""


def grade_one(grade_py: str, submission: str, options: Sequence[str], user: Optional[str]) -> Graded:
    """grade.py on one submission, in its own process; read back from its results.json."""
    with tempfile.TemporaryDirectory(prefix="grade-batch-") as folder:
        results_path = os.path.join(folder, "results.json")
        command = [sys.executable, grade_py, submission, "--json", results_path, *options]
        if user:
            command += ["--user", user]
        result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        try:
            with open(results_path) as f:
                results = json.load(f)
        except (OSError, ValueError):
            results = None
    if result.returncode == 2 or results is None:
        error = (result.stderr.strip().splitlines() or [f"grade.py exited {result.returncode}"])[-1]
        return Graded(submission, None, 0, [], error.replace("grade.py: error: ", ""), NOT_GRADED)
    named = (test.get("extra_data", {}).get("mistakes", []) for test in results["tests"])
    mistakes = list(dict.fromkeys(mistake for ids in named for mistake in ids))
    ended, detail = ending(results["tests"])
    return Graded(submission, results["score"], sum(t["max_score"] for t in results["tests"]), mistakes, "",
                  ended, detail)


def line(graded: Graded, width: int) -> str:
    if graded.score is None:
        return f"{graded.submission:<{width}}  not graded: {graded.error}"
    mistakes = ", ".join(graded.mistakes) if graded.mistakes else "-"
    return (f"{graded.submission:<{width}}  {graded.score:>3}/{graded.max_score}  {graded.ended:<{ENDED_WIDTH}}  "
            f"mistakes: {mistakes}")


ENDED_WIDTH = max(len(kind) for kind in (GRADED, NOT_IMPORTED, TIMED_OUT, CRASHED))


def distribution(scores: Sequence[int], max_score: int) -> str:
    """Counts by tenths of the maximum, full marks apart: '50: 4 | 40-49: 2 | ...'."""
    step = max(1, max_score // 10)
    counts = Counter(max_score if s == max_score else min(s // step * step, max_score - step) for s in scores)
    parts = [f"{max_score}: {counts.get(max_score, 0)}"]
    for low in range((max_score - 1) // step * step, -1, -step):
        parts.append(f"{low}-{min(low + step - 1, max_score - 1)}: {counts.get(low, 0)}")
    return " | ".join(parts)


def summary(graded: Sequence[Graded]) -> str:
    done = [g for g in graded if g.score is not None]
    endings = Counter(g.ended for g in graded)
    lines = ["", f"class summary: {len(graded)} submissions: "
             + ", ".join(f"{endings[kind]} {kind}" for kind in (GRADED, NOT_IMPORTED, CRASHED, TIMED_OUT, NOT_GRADED)
                         if endings[kind] or kind == GRADED)]
    if done:
        max_score = max(g.max_score for g in done)
        mean = sum(g.score for g in done) / len(done)
        lines.append(f"scores out of {max_score} (mean {mean:.1f}): "
                     f"{distribution([g.score for g in done], max_score)}")
        counts = Counter(m for g in done for m in g.mistakes)
        lines.append("mistakes (submissions that make each):" if counts else "mistakes: none named")
        lines += [f"  {mistake:<28} {count}" for mistake, count in counts.most_common()]
    return "\n".join(lines)


def write_csv(path: str, graded: Sequence[Graded]) -> None:
    """A row per submission; detail: why it was not graded, or the check that shows how it ended."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["submission", "score", "max_score", "ended", "mistakes", "detail"])
        for g in graded:
            writer.writerow([g.submission, "" if g.score is None else g.score, g.max_score, g.ended,
                             " ".join(g.mistakes), g.error or g.detail])


def run(grade_py: str, submissions: Sequence[str], options: Sequence[str], jobs: int, users: Sequence[str],
        csv_path: Optional[str]) -> int:
    """Grade every submission; print a line each as it finishes, then the summary. 0 if all were graded."""
    as_root = os.geteuid() == 0
    # As root with --user, one user per parallel grade; without, each grade chooses a uid of its own.
    jobs = max(1, min(jobs, len(submissions), len(users) if as_root and users else jobs))
    free = list(users) if as_root else []
    lock = threading.Lock()
    width = max(len(s) for s in submissions)

    def task(submission: str) -> Graded:
        with lock:
            user = free.pop() if free else None
        try:
            return grade_one(grade_py, submission, options, user)
        finally:
            if user:
                with lock:
                    free.append(user)

    graded = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(task, s): i for i, s in enumerate(submissions)}
        for future in as_completed(futures):
            graded[futures[future]] = future.result()
            print(line(graded[futures[future]], width), flush=True)
    ordered = [graded[i] for i in range(len(submissions))]
    print(summary(ordered))
    if csv_path:
        write_csv(csv_path, ordered)
    return 0 if all(g.score is not None for g in ordered) else 2
