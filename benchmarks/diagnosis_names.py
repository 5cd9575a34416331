"""Causes named and wrong names: grade.py --quick on the grader's test submissions, each with its known causes.

    python3 benchmarks/diagnosis_names.py [--grader CHECKOUT] [--python PYTHON] [--user USER] [--jobs N]

Every submission of grader/test_submissions.py (each catalog mistake written into the naive
baseline, the real students' mistakes, the student-style module code correct and unseeded), of
grader/test_diagnosis.py (a whole file in an earlier semester's shape, correct and with each new
diagnosis) and of grader/test_explain.py (student-style files that crash, or get a handout function
wrong, two correct ones, a plot in main, a crash of no known cause) is graded by CHECKOUT's grade.py
(default: this one; another checkout's, to compare), --jobs grade.py processes at a time, as its
users run it. For each, the mistake ids the report names (results.json's extra_data) are compared
with the causes written into it: a cause named counts once per submission; a name that is not one of
its causes is a wrong name. Prints a row per submission and the totals.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Set, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from grader import test_diagnosis, test_explain  # noqa: E402  (this checkout's submissions, whichever grader grades)
from grader.test_submissions import NAIVE_MISTAKES, REAL_MISTAKES, naive_with, student_source  # noqa: E402


def submissions() -> List[Tuple[str, str, Set[str]]]:
    """(name, source, the causes written into it)."""
    found = [(f"naive {m}", naive_with(m), {m}) for m in NAIVE_MISTAKES]
    found += [(f"real {m}", source, {m}) for m, (source, _) in REAL_MISTAKES.items() if m not in NAIVE_MISTAKES]
    found += [("student column", student_source("column"), set()), ("student row", student_source("row"), set()),
              ("student unseeded init", student_source("column", ("    np.random.seed(M * D)\n", "")),
               {"random-init-unseeded"})]
    causes = {"near miss": {"epochs-from-zero", "metrics-test-keys", "output-spacing", "no-shuffle"},
              "adagrad": {"adagrad-update", "metrics-key-misspelt", "output-extra-lines", "labels-not-integers"},
              "rounded no shuffle": {"metrics-rounded", "no-shuffle"},
              "unseeded init": {"random-init-unseeded"}, "unseeded shuffle": {"shuffle-unseeded"},
              "init without bias column": {"init-without-bias-column"}}
    found.append(("old-style correct", test_diagnosis.OLD_STYLE, set()))
    found += [(f"old-style {name}", test_diagnosis.submission(name).decode(), causes[name])
              for name in test_diagnosis.SUBMISSIONS]
    found += [("argparse student (correct)", test_explain.ARGPARSE_STUDENT, set()),
              ("script student (correct)", test_explain.SCRIPT_STUDENT, set()),
              ("a plot in main that fails", test_explain.PLOT_IN_MAIN, {"experiment-main"}),
              ("a KeyError of no known cause", test_explain.UNEXPLAINED_CRASH, set())]
    found += [(name, source, {name.split(" ")[0]}) for name, (source, _) in test_explain.CRASHES.items()]
    found += [(name, source, {name.split(" ")[0]}) for name, (source, _, _) in test_explain.FUNCTIONS.items()]
    return found


def named(grader: str, options: List[str], source: str) -> Tuple[Set[str], int]:
    """The mistake ids a --quick grade names, and grade.py's exit status."""
    folder = tempfile.mkdtemp(prefix="diagnosis-names-")
    os.chmod(folder, 0o755)
    path, report = os.path.join(folder, "neuralnet.py"), os.path.join(folder, "results.json")
    with open(path, "w") as f:
        f.write(source)
    result = subprocess.run([sys.executable, os.path.join(grader, "grade.py"), path, "--quick", "--json", report,
                             *options], capture_output=True, text=True)
    with open(report) as f:
        tests = json.load(f)["tests"]
    shutil.rmtree(folder, ignore_errors=True)
    return {m for t in tests for m in t.get("extra_data", {}).get("mistakes", [])}, result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grader", default=ROOT, help="the checkout whose grade.py grades (default: this one)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter that runs the submissions")
    parser.add_argument("--user", default="", 
                        help="as root, the user the submissions run as (default: a uid per grade)")
    parser.add_argument("--jobs", type=int, default=2, help="grades at once (default 2)")
    args = parser.parse_args()
    totals: Dict[str, int] = {"causes": 0, "named": 0, "wrong": 0}
    options = ["--python", args.python] + (["--user", args.user] if args.user else [])
    cases = submissions()
    with ThreadPoolExecutor(args.jobs) as pool:
        graded = pool.map(lambda case: named(args.grader, options, case[1]), cases)
    print(f"{'submission':34} {'causes':>6} {'named':>5} {'wrong':>5}  wrong names")
    for (name, _, causes), (ids, _) in zip(cases, graded):
        right, wrong = causes & ids, ids - causes
        totals["causes"] += len(causes)
        totals["named"] += len(right)
        totals["wrong"] += len(wrong)
        print(f"{name:34} {len(causes):6} {len(right):5} {len(wrong):5}  {' '.join(sorted(wrong))}", flush=True)
    print(f"{'total':34} {totals['causes']:6} {totals['named']:5} {totals['wrong']:5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
