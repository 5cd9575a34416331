"""The bundle in Gradescope's container stand-in: per case, the score, the time and grade.py's peak memory.

    python3 benchmarks/bench_container.py                  # every case once, both ways; this project 3 times
    python3 benchmarks/bench_container.py --runs 5 --cases "this project" "a memory bomb"
    python3 benchmarks/bench_container.py --full-cpu       # no half-CPU quota (the cgroup keeps 768 MB)

As root on Linux. Each case is an upload of grader/test_container.py (the same the tests grade),
graded by run_autograder in a fresh stand-in (grader/testing_container.py): 768 MB and half a CPU
where a cgroup can be made, and either Gradescope's case (Docker's capabilities and seccomp
profile: no namespaces) or namespaces allowed (every capability). Printed per case and way:
  - the score in results.json (with the first line of its output when it is 0);
  - the seconds from the container's start to run_autograder's end (median of --runs);
  - grade.py's peak resident memory (VmHWM, sampled every 0.05 s: the largest over the runs);
  - the cgroup's peak (grade.py, the submission and everything else in the container).
Then a markdown table of the same, for docs/grading.md.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
from grader import test_container as cases_module  # noqa: E402
from grader import test_grader as suite  # noqa: E402
from grader import testing_container as standin  # noqa: E402

WAYS = (("no namespaces (Gradescope)", True), ("namespaces", False))


def first_line(results) -> str:
    """What a 0 says first: the upload's reason, or the first failing check's output."""
    if not results:
        return "no results.json"
    if results.get("output", "").startswith("score: 0 (not graded)"):
        text = results["output"].split("\n", 1)[-1].replace("fix first: ", "", 1)
    else:
        text = next((t["output"] for t in results["tests"] if t["max_score"] and t["output"]), "")
    return text.splitlines()[0][:90] if text else ""


def measure(bundle: str, upload: dict, docker_like: bool, cpu) -> standin.Outcome:
    with standin.Container(bundle, suite.Isolation.python, docker_like=docker_like, keep=[suite.Isolation.folder],
                           cpu=cpu) as container:
        container.submit(upload)
        return container.run()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1, help="runs per case and way (default 1; this project: 3)")
    parser.add_argument("--cases", nargs="*", help="the cases to run (default: all)")
    parser.add_argument("--full-cpu", action="store_true", help="no CPU quota")
    args = parser.parse_args()
    reason = standin.unavailable()
    if reason:
        print(f"bench_container.py: {reason}", file=sys.stderr)
        return 2
    listener = cases_module.Listener()
    uploads = cases_module.cases(listener.port)
    unknown = [c for c in args.cases or [] if c not in uploads]
    if unknown:
        print(f"bench_container.py: no such case: {unknown} (cases: {', '.join(uploads)})", file=sys.stderr)
        return 2
    suite.setUpModule()
    folder = tempfile.mkdtemp(prefix="bench-container-")
    rows = []
    try:
        bundle = os.path.join(folder, "autograder.zip")
        subprocess.run([sys.executable, os.path.join(ROOT, "grade.py"), "--make-autograder", bundle], check=True,
                       capture_output=True)
        cpu = (100000, 100000) if args.full_cpu else standin.CPU_MAX
        with standin.Container(bundle, suite.Isolation.python) as probe:
            assert probe.cgroup is not None
            print(f"stand-in: {probe.cgroup.description}; connections reached before: {listener.connections}")
        for case in args.cases or list(uploads):
            for way, docker_like in WAYS:
                runs = max(args.runs, 3 if case == "this project" else 1)
                outcomes = [measure(bundle, uploads[case], docker_like, cpu) for _ in range(runs)]
                last = outcomes[-1]
                score = last.results["score"] if last.results else None
                row = (case, way, score, statistics.median(o.seconds for o in outcomes),
                       max(o.grade_peak for o in outcomes) / 2**20, max(o.cgroup_peak for o in outcomes) / 2**20,
                       len(last.leftovers), len(last.scratch), first_line(last.results) if not score else "")
                rows.append(row)
                print(f"{case:28} {way:27} score {score!s:>5}  {row[3]:6.1f} s (median of {runs})  grade.py "
                      f"{row[4]:5.0f} MiB  cgroup {row[5]:5.0f} MiB  left: {row[6]} processes, {row[7]} files  "
                      f"{row[8]}", flush=True)
    finally:
        suite.tearDownModule()
        subprocess.run(["rm", "-rf", folder], check=False)
        listener.close()
    print(f"\nconnections that reached this host's listener: {listener.connections}\n")
    print("| case | isolation | score | seconds | grade.py peak (MiB) | container peak (MiB) | first line when 0 |")
    print("|---|---|---:|---:|---:|---:|---|")
    for case, way, score, seconds, grade_peak, cgroup_peak, _, _, line in rows:
        print(f"| {case} | {way} | {score} | {seconds:.1f} | {grade_peak:.0f} | {cgroup_peak:.0f} | "
              f"{line.replace('|', '/')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
