"""A whole class at once: grade.py EXPORT_FOLDER (or A.py B.py ...) [--jobs N] [--csv PATH] [--reports DIR].

What is graded (grader/export.py): each submission_* folder of a Gradescope export, with its
submitters from submission_metadata.yml, and each other path given, as one upload each. An upload
is graded by a GradeUpload: the upload's path in, its results.json (and text report) out.
LocalGrade, the one here, runs grade.py on the upload in a process of its own (its own sandbox,
limits and results.json), finding the upload's neuralnet.py as the bundle does on Gradescope
(grader/upload.py); another way of grading (in the bundle's Docker image) plugs in the same way.

How each grade ended is read from results.json's top-level extra_data, which the grader writes
as data (grader/report.py Ending), never from the report's text: "not graded" (the upload cannot
be graded, with what to fix, or grade.py failed), "did not import", "timed out", "crashed", or
"graded" (every run ran to its end; the score says how well). A grade whose failing checks name
no catalogued mistake carries its first failing check ("unexplained"), and the summary counts
those by check. Points are whole hundredths throughout, as the bundle's settings spread them.

Output: a header (what is graded, and whether it is isolated), a line per upload as it
finishes, then a class summary; --csv writes a row per student (each member of a group
submission), sorted by name, for a gradebook; --reports keeps each upload's text report and
results.json, named by SID or folder.

As root with --user, every parallel grade needs a user of its own, since a grade kills every
process of its user when a run ends: --user takes a comma-separated list, and no more grades
run at once than there are users.
"""
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Dict, List, NamedTuple, Optional, Protocol, Sequence, Tuple

from grader import export
from grader.export import Upload
from grader.report import ENDINGS, GRADED, NOT_GRADED, hundredths, one_line, points_text

REPORT_LIMIT = 1 << 20  # characters of a text report kept with --reports
LINE_DETAIL = 160  # characters of a detail on a batch's line (the CSV keeps it whole)
WHO_WIDTH = 48  # characters of the submitters on a line


class UploadGrade(NamedTuple):
    """What a way of grading gives back for one upload."""
    results: Optional[dict]  # its results.json; None when none was written
    report: str  # its text report ('' when there is none)
    error: str  # why there is no results.json ('' when there is)


class GradeUpload(Protocol):
    """A way of grading one upload: its path (a folder as uploaded, or a file) in, an UploadGrade out.
    parallel: how many grades may run at once (None: as many as --jobs)."""
    parallel: Optional[int]

    def __call__(self, path: str) -> UploadGrade: ...


class LocalGrade:
    """grade.py on each upload in a process of its own, on this machine, as grade.py grades one upload.

    Args:
        grade_py: the grade.py to run (with the interpreter running this one).
        options: the options each grade gets (grade.py's batch_options: --python, --timeout, --config, ...).
        users: as root, the users the submissions run as, one per parallel grade ([]: a uid per grade).
        timeout: seconds a grade.py may take in all, far past its own time budget: a grade.py that hangs is
            interrupted (then killed), and its upload is "not graded", rather than the batch waiting forever.
    """

    def __init__(self, grade_py: str, options: Sequence[str], users: Sequence[str], timeout: float):
        self.grade_py, self.options, self.timeout = grade_py, list(options), timeout
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        self.free = list(users) if as_root else []
        self.parallel = len(self.free) if self.free else None
        self.lock = threading.Lock()

    def __call__(self, path: str) -> UploadGrade:
        with self.lock:
            user = self.free.pop() if self.free else None
        try:
            return self._grade(path, user)
        finally:
            if user:
                with self.lock:
                    self.free.append(user)

    def _grade(self, path: str, user: Optional[str]) -> UploadGrade:
        with tempfile.TemporaryDirectory(prefix="grade-batch-") as folder:
            results_path = os.path.join(folder, "results.json")
            command = [sys.executable, self.grade_py, path, "--json", results_path, *self.options]
            if user:
                command += ["--user", user]
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, errors="replace")
            try:
                stdout, stderr = process.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                try:  # its runner's block ends, and the submission's processes with it
                    process.send_signal(signal.SIGINT)
                except (ValueError, OSError):  # (Windows sends no SIGINT to another process)
                    process.terminate()
                try:
                    process.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.communicate()
                return UploadGrade(None, "", f"grade.py did not finish within {self.timeout:g} s")
            try:
                with open(results_path) as f:
                    results = json.load(f)
            except (OSError, ValueError):
                results = None
        if results is None or not isinstance(results, dict):
            error = (stderr.strip().splitlines() or [f"grade.py exited {process.returncode}"])[-1]
            return UploadGrade(None, stdout[:REPORT_LIMIT], error.replace("grade.py: error: ", ""))
        return UploadGrade(results, stdout[:REPORT_LIMIT], "")


class Graded(NamedTuple):
    """One upload's grade, as the batch's line, summary, CSV rows and reports show it."""
    upload: Upload
    score: Optional[int]  # hundredths; None when there is no results.json
    max_score: Optional[int]  # hundredths; None when not known
    ended: str  # one of ENDINGS
    detail: str  # why, on one line (report.Ending's detail), or why it could not be graded
    mistakes: Tuple[str, ...] = ()  # ids, in the order first named
    unexplained: str = ""  # the first failing check, where no check names a mistake


def read(upload: Upload, grade: UploadGrade) -> Graded:
    """An upload's grade from its results.json: the score and points, and how it ended as the grader said it."""
    if grade.results is None:
        return Graded(upload, None, None, NOT_GRADED, one_line(grade.error))
    results = grade.results
    try:
        tests = [t for t in results.get("tests", []) if isinstance(t, dict)]
        extra = results.get("extra_data") if isinstance(results.get("extra_data"), dict) else {}
        ended = extra.get("ended") if extra.get("ended") in ENDINGS else NOT_GRADED
        detail = one_line(str(extra.get("detail", "")) if extra else str(results.get("output", "")))
        total = extra.get("max_score", sum(float(t.get("max_score", 0)) for t in tests))
        named = (t.get("extra_data", {}).get("mistakes", []) for t in tests if isinstance(t.get("extra_data"), dict))
        mistakes = tuple(dict.fromkeys(one_line(str(m)) for ids in named for m in ids))
        return Graded(upload, hundredths(results.get("score", 0)), None if total is None else hundredths(total),
                      ended, detail, mistakes, one_line(str(extra.get("unexplained", ""))))
    except (TypeError, ValueError, AttributeError) as e:
        return Graded(upload, None, None, NOT_GRADED, f"unreadable results.json ({type(e).__name__})")


def who(upload: Upload) -> str:
    return export.described(upload.submitters, WHO_WIDTH) if upload.submitters else ""


def line(graded: Graded, width: int, who_width: int) -> str:
    """An upload's line: its name, who submitted it, score, how it ended, and the mistakes named or why."""
    score = f"{points_text(graded.score) or '-'}/{points_text(graded.max_score) or '?'}"
    text = f"{graded.upload.label:<{width}}  "
    if who_width:
        text += f"{who(graded.upload):<{who_width}}  "
    text += f"{score:>11}  {graded.ended:<{ENDED_WIDTH}}  mistakes: {', '.join(graded.mistakes) or '-'}"
    if graded.ended != GRADED or graded.unexplained:
        why = graded.detail if len(graded.detail) <= LINE_DETAIL else graded.detail[:LINE_DETAIL] + "..."
        text += f"  ({why})"
    return text


ENDED_WIDTH = max(len(kind) for kind in ENDINGS)


def distribution(scores: Sequence[int], max_score: int) -> str:
    """Counts by tenths of the maximum, full marks apart: '55: 4 | 90-99%: 2 | ... | 0-9%: 3'."""
    counts = Counter(10 if s >= max_score else max(0, s) * 10 // max_score for s in scores)
    return " | ".join([f"{points_text(max_score)}: {counts.get(10, 0)}"] +
                      [f"{10 * k}-{10 * k + 9}%: {counts.get(k, 0)}" for k in range(9, -1, -1)])


def summary(graded: Sequence[Graded]) -> str:
    """How the grades ended, the scores' spread, each mistake and each unexplained failing check with the number
    of uploads that show it."""
    endings = Counter(g.ended for g in graded)
    students = sum(max(1, len(g.upload.submitters)) for g in graded)
    lines = ["", f"class summary: {len(graded)} uploads ({students} students): "
             + ", ".join(f"{endings[kind]} {kind}" for kind in ENDINGS[::-1] if endings[kind] or kind == GRADED)]
    scored = [g for g in graded if g.score is not None]
    maxima = [g.max_score for g in graded if g.max_score]
    if scored and maxima:
        max_score = Counter(maxima).most_common(1)[0][0]
        mean = round(sum(g.score for g in scored) / len(scored))  # type: ignore[misc]
        lines.append(f"scores out of {points_text(max_score)} (mean {points_text(mean)}): "
                     f"{distribution([g.score for g in scored], max_score)}")  # type: ignore[misc]
    counts = Counter(m for g in graded for m in g.mistakes)
    lines.append("mistakes (uploads that make each):" if counts else "mistakes: none named")
    lines += [f"  {mistake:<28} {count}" for mistake, count in counts.most_common()]
    unexplained = Counter(g.unexplained for g in graded if g.unexplained)
    if unexplained:
        lines.append("failures no catalogued mistake explains (uploads, by first failing check):")
        lines += [f"  {check:<60} {count}" for check, count in unexplained.most_common()]
    not_graded = [g for g in graded if g.ended == NOT_GRADED]
    if not_graded:
        lines.append("not graded (what to fix):")
        lines += [f"  {g.upload.label}: {g.detail[:LINE_DETAIL]}" for g in not_graded]
    return "\n".join(lines)


CSV_COLUMNS = ("name", "sid", "email", "submission", "score", "max_score", "ended", "mistakes", "detail")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a cell a spreadsheet would run as a formula


def cell(text: str) -> str:
    """A text cell that a spreadsheet shows as text: one starting like a formula gets a leading quote."""
    return "'" + text if text.startswith(FORMULA_START) else text


def rows(graded: Sequence[Graded]) -> List[List[str]]:
    """A row per student (each member of a group upload; an upload without submitters, one row), sorted by name,
    SID and upload; those without a name last."""
    table = []
    for g in graded:
        for person in g.upload.submitters or (export.Submitter("", "", ""),):
            score = points_text(g.score)
            table.append([person.name, person.sid, person.email, g.upload.label, score, points_text(g.max_score),
                          g.ended, " ".join(g.mistakes), g.detail])
    table.sort(key=lambda r: (r[0] == "", r[0].casefold(), r[1], r[3]))
    return [[cell(c) for c in row] for row in table]


def write_csv(path: str, graded: Sequence[Graded]) -> None:
    """The gradebook's CSV, written whole to a temporary file beside it, then renamed over it."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".class-", suffix=".csv", dir=folder)
    try:
        with os.fdopen(fd, "w", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(CSV_COLUMNS)
            writer.writerows(rows(graded))
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


WINDOWS_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM\d|LPT\d)(\..*)?", re.I)


def safe_name(text: str) -> str:
    """A file name made of text from an upload or the yml: letters, digits, '.', '_' and '-' only, never hidden,
    never a name Windows reserves, at most 80 characters."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")[:80] or "upload"
    return f"_{name}" if WINDOWS_RESERVED.fullmatch(name) else name


class Reports:
    """--reports DIR: each upload's text report (NAME.txt) and results.json (NAME.json), NAME being each
    submitter's SID (a group upload is written once per member), else the upload's folder or file name."""

    def __init__(self, folder: str):
        self.folder = folder
        self.taken: Dict[str, str] = {}  # name given -> the upload it was given to
        self.lock = threading.Lock()

    def names(self, upload: Upload) -> List[str]:
        wanted = [safe_name(p.sid) for p in upload.submitters if p.sid] or \
            [safe_name(os.path.basename(upload.label.rstrip("/\\")))]
        names = []
        with self.lock:
            for name in wanted:
                unique, n = name, 1
                while self.taken.get(unique, upload.label) != upload.label:
                    n += 1
                    unique = f"{name}-{n}"
                self.taken[unique] = upload.label
                names.append(unique)
        return names

    def write(self, upload: Upload, grade: UploadGrade) -> None:
        for name in self.names(upload):
            with open(os.path.join(self.folder, f"{name}.txt"), "w") as f:
                f.write(grade.report or f"not graded: {grade.error}\n")
            if grade.results is not None:
                with open(os.path.join(self.folder, f"{name}.json"), "w") as f:
                    json.dump(grade.results, f, indent=1)


def run(uploads: Sequence[Upload], grade: GradeUpload, jobs: int, header: Sequence[str],
        csv_path: Optional[str] = None, reports: Optional[Reports] = None) -> int:
    """Grade every upload: print the header, a line each as it finishes, then the summary; write the CSV and the
    reports. 0 when every upload has a results.json (a student's "not graded" included), else 2."""
    jobs = max(1, min(jobs, len(uploads), grade.parallel or jobs))
    print("\n".join([f"grading {len(uploads)} upload{'s' * (len(uploads) != 1)}, {jobs} at a time", *header]),
          flush=True)
    width = max(len(u.label) for u in uploads)
    who_width = max((len(who(u)) for u in uploads), default=0)

    def task(upload: Upload) -> Graded:
        if upload.missing:
            return Graded(upload, None, None, NOT_GRADED, upload.missing)
        graded = grade(upload.path)
        if reports is not None:
            reports.write(upload, graded)
        return read(upload, graded)

    done: Dict[int, Graded] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(task, u): i for i, u in enumerate(uploads)}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            print(line(done[futures[future]], width, who_width), flush=True)
    ordered = [done[i] for i in range(len(uploads))]
    print(summary(ordered))
    if csv_path:
        write_csv(csv_path, ordered)
    missing_results = any(g.score is None and not g.upload.missing for g in ordered)
    return 2 if missing_results else 0

