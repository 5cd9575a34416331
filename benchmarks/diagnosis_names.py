"""Causes named and wrong names: grade.py --quick on submissions whose causes are known.

    python3 benchmarks/diagnosis_names.py [DEVSET_FOLDER] [--sets tests,devset,fresh] [--devset-tsv TSV]
        [--extra TSV] [--grader CHECKOUT] [--python PYTHON] [--user USER] [--jobs N] [--repeat N]

Three sets, each with the causes written into (or found by hand in) every file:

- tests: the grader's test submissions (below);
- devset: real public files listed in ../shared/corpus/devset.tsv (repository, path, commit, and
  the causes a reader found by hand), read from DEVSET_FOLDER/<id>/neuralnet.py, a folder filled
  by hand outside the repository (the files are other people's code: never copied in). The
  reader's words are translated to mistake ids by CAUSE_WORDS; --extra names a TSV (id, mistake
  id, why) of names checked by hand to be true of a file though the reader did not list them:
  those are counted apart, neither as causes nor as wrong names;
- fresh: complete files written for this project from the handout, in other styles than its own,
  each with planted causes (benchmarks/fresh/, causes in benchmarks/fresh/causes.tsv).

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
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Set, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from grader import test_diagnosis, test_explain  # noqa: E402  (this checkout's submissions, whichever grader grades)
from grader.test_submissions import NAIVE_MISTAKES, REAL_MISTAKES, naive_with, student_source  # noqa: E402

FRESH = os.path.join(ROOT, "benchmarks", "fresh")
DEVSET_TSV = os.path.join(os.path.dirname(ROOT), "shared", "corpus", "devset.tsv")
# The reader's words in devset.tsv, each a cause, and the mistake ids that name it (any one of them names it).
CAUSE_WORDS = [("random_init draws twice", {"random-init-draws-twice"}),
               ("weights under another name", {"weights-attribute-name"}),
               ("backward mutates y_hat", {"backward-modifies-input"}),
               ("metrics format", {"output-spacing"}),
               ("adagrad", {"adagrad-update"}),
               ("no shuffle", {"no-shuffle"}),
               ("unseeded init", {"random-init-unseeded"}),
               ("hard-coded class count", {"class-count-fixed"}),
               ("metrics key typo", {"metrics-key-misspelt"}),
               ("import side effects", {"import-side-effects"}),
               ("epochs numbered from 0", {"epochs-from-zero"}),
               ("tabs and spaces", {"mixed-indentation"}),
               ("hard-coded settings", {"hard-coded-settings"}),
               ("imports pandas", {"module-not-on-autograder"}),
               ("main replaced by experiment code", {"experiment-main"}),
               ("(test) keys", {"metrics-test-keys"}),
               ("bias appended last", {"bias-side-mismatch"}),
               ("python 2 syntax", {"python2-code"}),
               ("main writes no outputs", {"no-outputs-written"}),
               ("labels as floats", {"labels-not-integers"}),
               ("argparse argument renamed", {"misspelt-argument"}),
               ("sigmoid backward as a matrix product", {"sigmoid-backward-not-elementwise"}),
               ("loss computed on the inputs", {"loss-not-from-output"})]

Case = Tuple[str, str, List[Set[str]]]  # (name, source, each cause as the ids that name it)
# Names true of a test submission beyond the cause written into it (checked by reading it): counted apart, as --extra's.
TESTS_TRUE_BEYOND = {"real experiment-main": {"no-outputs-written"},  # its main calls nothing that writes
                     "a plot in main that fails": {"module-not-on-autograder"},  # import matplotlib.pyplot in main
                     **{f"old-style {name}": {"older-handout-api"}  # NNForward and NNBackward
                        for name in ["correct", *test_diagnosis.SUBMISSIONS]}}


def test_submissions() -> List[Case]:
    """The grader's test submissions, each with the causes written into it."""
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
    return [(name, source, [{c} for c in sorted(ids)]) for name, source, ids in found]


def reader_causes(text: str) -> List[Set[str]]:
    """devset.tsv's causes column, each cause translated to the ids that name it (an unknown one says so)."""
    causes = []
    for part in text.split(";"):
        words = part.strip().lower()
        ids = next((ids for phrase, ids in CAUSE_WORDS if phrase in words), None)
        if ids is None:
            sys.exit(f"diagnosis_names.py: error: no mistake id for the cause {part.strip()!r}: add it to CAUSE_WORDS")
        causes.append(ids)
    return causes


def devset_submissions(folder: str, tsv: str) -> Tuple[List[Case], List[str]]:
    """The development set's files found in folder, with their causes; and the ids listed but not found."""
    with open(tsv, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    found, missing = [], []
    for row in rows:
        path = os.path.join(folder, row["id"], "neuralnet.py")
        if not os.path.isfile(path):
            missing.append(row["id"])
            continue
        causes = row[next(k for k in row if k.startswith("causes"))]
        with open(path, encoding="utf-8", errors="replace") as f:
            found.append((f"dev {row['id']}", f.read(), reader_causes(causes)))
    return found, missing


def fresh_submissions() -> List[Case]:
    """The files written fresh from the handout (benchmarks/fresh/), with their planted causes."""
    with open(os.path.join(FRESH, "causes.tsv"), newline="") as f:
        rows = [row for row in csv.reader(f, delimiter="\t") if row and not row[0].startswith("#")]
    found = []
    for name, causes, *_ in rows:
        with open(os.path.join(FRESH, name)) as f:
            found.append((f"fresh {name}", f.read(), [{c} for c in causes.split()]))
    return found


def extras(path: Optional[str]) -> Dict[str, Set[str]]:
    """--extra's names checked by hand to be true of a file: file name -> ids."""
    found: Dict[str, Set[str]] = {}
    if path:
        with open(path, newline="") as f:
            for row in csv.reader(f, delimiter="\t"):
                if row and not row[0].startswith("#"):
                    found.setdefault(f"dev {row[0]}", set()).add(row[1])
    return found


def named(grader: str, options: List[str], source: str) -> Tuple[Set[str], int]:
    """The mistake ids a --quick grade names, and grade.py's exit status."""
    folder = tempfile.mkdtemp(prefix="diagnosis-names-")
    try:
        os.chmod(folder, 0o755)
        path, report = os.path.join(folder, "neuralnet.py"), os.path.join(folder, "results.json")
        with open(path, "w") as f:
            f.write(source)
        result = subprocess.run([sys.executable, os.path.join(grader, "grade.py"), path, "--quick", "--json", report,
                                 *options], capture_output=True, text=True)
        with open(report) as f:
            tests = json.load(f)["tests"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {m for t in tests for m in t.get("extra_data", {}).get("mistakes", [])}, result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("devset", nargs="?", default="", help="the folder holding <id>/neuralnet.py of the "
                        "development set (filled by hand, outside the repository)")
    parser.add_argument("--sets", default="", help="comma-separated: tests, devset, fresh (default: tests and "
                        "fresh, and devset when DEVSET_FOLDER is given)")
    parser.add_argument("--devset-tsv", default=DEVSET_TSV, help="the development set's list (default: %(default)s)")
    parser.add_argument("--extra", default="", help="a TSV of (id, mistake id, why): names checked by hand to be "
                        "true of a development-set file that its reader did not list")
    parser.add_argument("--grader", default=ROOT, help="the checkout whose grade.py grades (default: this one)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter that runs the submissions")
    parser.add_argument("--user", default="",
                        help="as root, the user the submissions run as (default: a uid per grade)")
    parser.add_argument("--jobs", type=int, default=2, help="grades at once (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="grade each file this many times; a file whose "
                        "grades name different ids is marked UNSTABLE (default 1)")
    parser.add_argument("--save", default="", help="write the ids each file's first grade named to this JSON file")
    parser.add_argument("--compare", default="", help="a JSON file --save wrote (another grade, another machine "
                        "load): list every file whose names differ from it")
    args = parser.parse_args()
    sets = set(filter(None, args.sets.split(","))) or ({"tests", "fresh"} | ({"devset"} if args.devset else set()))
    cases: List[Case] = []
    group_of: Dict[str, str] = {}  # each case's set
    if "tests" in sets:
        cases += test_submissions()
        group_of.update((case[0], "tests") for case in cases)
    if "fresh" in sets:
        cases += fresh_submissions()
    if "devset" in sets:
        if not args.devset or not os.path.isdir(args.devset):
            print(f"diagnosis_names.py: error: the development set's folder {args.devset!r} does not exist: fill "
                  "DEVSET_FOLDER/<id>/neuralnet.py by hand from the repositories devset.tsv lists", file=sys.stderr)
            return 2
        found, missing = devset_submissions(args.devset, args.devset_tsv)
        if not found:
            print(f"diagnosis_names.py: the development set's folder {args.devset!r} holds none of the "
                  f"{len(missing)} files devset.tsv lists (<id>/neuralnet.py): nothing to grade there", file=sys.stderr)
        elif missing:
            print(f"development set: {len(found)} files found, not found: {', '.join(missing)}")
        cases += found
    checked = {**extras(args.extra), **TESTS_TRUE_BEYOND}
    options = ["--python", args.python] + (["--user", args.user] if args.user else [])
    with ThreadPoolExecutor(args.jobs) as pool:
        graded = list(pool.map(lambda case: [named(args.grader, options, case[1]) for _ in range(args.repeat)],
                               cases))
    totals: Dict[str, Dict[str, int]] = {}
    print(f"{'submission':34} {'causes':>6} {'named':>5} {'wrong':>5} {'true+':>5}  missed / wrong / true beyond")
    for (name, _, causes), grades in zip(cases, graded):
        ids = grades[0][0]
        right = [c for c in causes if c & ids]
        accepted = set().union(*causes) if causes else set()
        beyond = ids - accepted
        true_beyond = beyond & checked.get(name, set())
        wrong = beyond - true_beyond
        group = totals.setdefault(group_of.get(name, name.split(" ")[0]),
                                  {"files": 0, "causes": 0, "named": 0, "wrong": 0, "true+": 0, "unstable": 0})
        unstable = len({frozenset(g[0]) for g in grades}) > 1
        for key, value in (("files", 1), ("causes", len(causes)), ("named", len(right)), ("wrong", len(wrong)),
                           ("true+", len(true_beyond)), ("unstable", int(unstable))):
            group[key] += value
        missed = [" or ".join(sorted(c)) for c in causes if not c & ids]
        print(f"{name:34} {len(causes):6} {len(right):5} {len(wrong):5} {len(true_beyond):5}  "
              f"{' '.join(missed) or '-'} / {' '.join(sorted(wrong)) or '-'} / {' '.join(sorted(true_beyond)) or '-'}"
              + ("  UNSTABLE: " + " | ".join(" ".join(sorted(g[0])) for g in grades) if unstable else ""), flush=True)
    names = {name: sorted(grades[0][0]) for (name, _, _), grades in zip(cases, graded)}
    if args.save:
        with open(args.save, "w") as f:
            json.dump(names, f, indent=1)
    if args.compare:
        with open(args.compare) as f:
            other = json.load(f)
        differ = [name for name in names if name in other and other[name] != names[name]]
        print(f"against {args.compare}: {len(differ)} of {sum(1 for n in names if n in other)} files name other ids"
              + "".join(f"\n  {n}: {' '.join(other[n])} | {' '.join(names[n])}" for n in differ))
    for group, t in totals.items():
        share = f"{100 * t['named'] / t['causes']:.0f}%" if t["causes"] else "-"
        print(f"total {group:28} {t['causes']:6} {t['named']:5} {t['wrong']:5} {t['true+']:5}  {t['files']} files, "
              f"{share} of the causes named" + (f", {t['unstable']} UNSTABLE" if args.repeat > 1 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
