"""A whole class at once: grade.py A.py B.py ... [--jobs N] [--csv PATH].

Each submission is graded by its own grade.py process (its own sandbox, limits and
results.json), several at a time. A line per submission as it finishes (file, score,
mistakes), then a class summary: the score distribution and each mistake with the
number of submissions that make it, to see what to cover in recitation.

As root with --user, every parallel grade needs a user of its own, since a grade kills every
process of its user when a run ends: --user takes a comma-separated list, and no more
grades run at once than there are users.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import List, NamedTuple, Optional, Sequence


class Graded(NamedTuple):
    submission: str
    score: Optional[int]  # None when it could not be graded
    max_score: int
    mistakes: List[str]  # ids, in the order first named
    error: str


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
        return Graded(submission, None, 0, [], error.replace("grade.py: error: ", ""))
    named = (test.get("extra_data", {}).get("mistakes", []) for test in results["tests"])
    mistakes = list(dict.fromkeys(mistake for ids in named for mistake in ids))
    return Graded(submission, results["score"], sum(t["max_score"] for t in results["tests"]), mistakes, "")


def line(graded: Graded, width: int) -> str:
    if graded.score is None:
        return f"{graded.submission:<{width}}  not graded: {graded.error}"
    mistakes = ", ".join(graded.mistakes) if graded.mistakes else "-"
    return f"{graded.submission:<{width}}  {graded.score:>3}/{graded.max_score}  mistakes: {mistakes}"


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
    lines = ["", f"class summary: {len(graded)} submissions, {len(done)} graded"
             + (f", {len(graded) - len(done)} not graded" if len(done) < len(graded) else "")]
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
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "score", "max_score", "mistakes", "error"])
        for g in graded:
            writer.writerow([g.submission, "" if g.score is None else g.score, g.max_score, " ".join(g.mistakes),
                             g.error])


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
