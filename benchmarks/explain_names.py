"""How often grade.py names a cause, and how often a wrong one, over the grader's test submissions.

    python3 benchmarks/explain_names.py [--quick-only]

Each submission is one whose mistakes are known: the student-style files of grader/test_explain.py
(each crash and each handout-function mistake, two correct files, a plot in main, a crash of no known
cause) and grader/test_submissions.py (each catalogued mistake in the naive oracle, the real students'
mistakes, the student implementation in both shapes). Each is graded as `grade.py --quick` grades it
(env, api, trace, the small set's runs), by the portable runner, and the ids its report names are
compared with the ones it makes: a cause named is an expected id named, a wrong name any other id.
"""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)

import grade  # noqa: E402
from grader.runner import Limits, PosixProcesses, Runner  # noqa: E402
from grader.test_explain import ARGPARSE_STUDENT, CRASHES, FUNCTIONS, PLOT_IN_MAIN, SCRIPT_STUDENT, UNEXPLAINED_CRASH  # noqa: E402
from grader.test_submissions import NAIVE_MISTAKES, REAL_MISTAKES, naive_with, student_source  # noqa: E402


def submissions():
    """(name, source, the ids it makes)."""
    yield "argparse student (correct)", ARGPARSE_STUDENT, set()
    yield "script student (correct)", SCRIPT_STUDENT, set()
    for name, (source, _) in CRASHES.items():
        yield name, source, {name.split(" ")[0]}
    for name, (source, _, _) in FUNCTIONS.items():
        yield name, source, {name.split(" ")[0]}
    yield "a plot in main that fails", PLOT_IN_MAIN, {"experiment-main"}
    yield "a KeyError of no known cause", UNEXPLAINED_CRASH, set()
    for shape in ("column", "row"):
        yield f"student_source {shape} (correct)", student_source(shape), set()
    for mistake in NAIVE_MISTAKES:
        yield f"naive {mistake}", naive_with(mistake), {mistake}
    for mistake, (source, _) in REAL_MISTAKES.items():
        yield f"real {mistake}", source, {mistake}


def named_ids(source: str) -> set:
    folder = tempfile.mkdtemp(prefix="explain-names-")
    path = os.path.join(folder, "neuralnet.py")
    with open(path, "w") as f:
        f.write(source)
    limits = Limits(timeout=60, total=120, memory=4 << 30, file_size=256 << 20, processes=64,
                    cpu=61, disk=512 << 20)
    with Runner(sys.executable, limits, PosixProcesses()) as runner:
        results = grade.grade(path, runner, True, grade.GRADING_TOLERANCE)
    return {m for r in results for m in r.mistakes}


def main() -> int:
    causes = expected = wrong = 0
    for name, source, makes in submissions():
        got = named_ids(source)
        causes += len(got & makes)
        expected += len(makes)
        wrong += len(got - makes)
        print(f"{name:50} makes {sorted(makes) or '-'}; named {sorted(got) or '-'}"
              + (f"  WRONG: {sorted(got - makes)}" if got - makes else ""), flush=True)
    print(f"\ncauses named: {causes} of {expected}; wrong names: {wrong}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
