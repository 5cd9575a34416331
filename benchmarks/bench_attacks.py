"""Issue 37's attacks and issue 35's memory bomb in Gradescope's container stand-in: per attack and way, the
score, the seconds, grade.py's peak memory and what was left; and the disk bound's worst case.

    python3 benchmarks/bench_attacks.py                        # every attack, both ways, --runs 3
    python3 benchmarks/bench_attacks.py --attacks ipc "a memory bomb" --runs 1
    python3 benchmarks/bench_attacks.py --disk-peak --runs 5   # the most a run held before it was stopped
    python3 benchmarks/bench_attacks.py --project /path/to/an/older/checkout --attacks "a memory bomb"

As root on Linux. Each attack is grader/testing_attacks.py's (a correct neuralnet.py plus the attack) or,
"a memory bomb", grader/test_sandbox.py's (60 forked children of 15 MB each), graded by run_autograder in
a fresh stand-in (grader/testing_container.py: 768 MB and half a CPU where a cgroup can be made), either as
on Gradescope (Docker's capabilities and seccomp profile: no namespaces) or with namespaces allowed. The
bundle is built by --project's grade.py (default: this checkout), so that a grader before a change can be
measured the same way. Printed per attack and way: the score out of the bundle's 55, the seconds from the
container's start to run_autograder's end (median of --runs, and the slowest), grade.py's peak resident
memory (VmHWM sampled every 0.05 s: the largest), and the processes, files (in /tmp, /var/tmp, /dev/shm)
and IPC objects left in the container after the grade (the most over the runs).

--disk-peak grades the unseen-disk attack with 1 and with 4 writing processes: each run writes 2 GiB into
files no folder shows, saying on stderr after each MiB how much it holds; the last such line the report
quotes for a run the disk bound stopped is the most that run held. Printed: per way and writers, the median
and the largest of those peaks over every stopped run, against --disk (512 MiB).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
from grader import test_grader as suite  # noqa: E402
from grader import test_sandbox, testing_attacks  # noqa: E402
from grader import testing_container as standin  # noqa: E402

WAYS = (("no namespaces (Gradescope)", True), ("namespaces", False))
DISK = 512 << 20  # grade.py's default --disk
HOLDING = re.compile(r"unseen-disk: holding (\d+) MiB")


def grade(bundle: str, source: str, docker_like: bool) -> standin.Outcome:
    with standin.Container(bundle, suite.Isolation.python, docker_like=docker_like,
                           keep=[suite.Isolation.folder]) as container:
        container.submit({"neuralnet.py": source})
        return container.run(timeout=900)


def attacks_table(bundle: str, names, runs: int) -> None:
    sources = {name: source for name, (source, _) in testing_attacks.ATTACKS.items()}
    sources["a memory bomb"] = test_sandbox.MEMORY_BOMB
    rows = []
    for name in names or list(sources):
        for way, docker_like in WAYS:
            outcomes = [grade(bundle, sources[name], docker_like) for _ in range(runs)]
            scores = sorted({o.results["score"] if o.results and o.results["tests"] else None for o in outcomes},
                            key=str)
            row = (name, way, "/".join(f"{s:g}" if s is not None else "no report" for s in scores),
                   statistics.median(o.seconds for o in outcomes), max(o.seconds for o in outcomes),
                   max(o.grade_peak for o in outcomes) / 2**20, max(len(o.leftovers) for o in outcomes),
                   max(len(o.scratch) for o in outcomes), max(len(o.ipc) for o in outcomes))
            rows.append(row)
            print(f"{name:14} {way:27} score {row[2]:>6}  {row[3]:5.1f} s median of {runs} (slowest {row[4]:.1f})  "
                  f"grade.py {row[5]:4.0f} MiB  left: {row[6]} processes, {row[7]} files, {row[8]} IPC objects",
                  flush=True)
    print("\n| attack | isolation | score | seconds (median; slowest) | grade.py peak (MiB) | left after the grade |")
    print("|---|---|---:|---:|---:|---|")
    for name, way, score, median, slowest, peak, processes, files, ipc in rows:
        left = "nothing" if not (processes or files or ipc) else f"{processes} processes, {files} files, {ipc} IPC"
        print(f"| {name} | {way} | {score} | {median:.1f}; {slowest:.1f} | {peak:.0f} | {left} |")


def disk_peaks(bundle: str, runs: int) -> None:
    print(f"\nthe most a run held before the disk bound stopped it, against --disk ({DISK >> 20} MiB):")
    for writers in (1, 4):
        source = testing_attacks.in_main(testing_attacks.unseen_disk(writers))
        for way, docker_like in WAYS:
            peaks, passed = [], 0
            for _ in range(runs):
                outcome = grade(bundle, source, docker_like)
                for test in outcome.results["tests"] if outcome.results else []:
                    held = [int(n) for n in HOLDING.findall(test["output"])]
                    if "hit the disk limit" in test["output"] and held:
                        peaks.append(held[-1])
                    elif held or "unseen-disk" in test["output"]:
                        passed += 1
            shown = (f"median {statistics.median(peaks):.0f} MiB, largest {max(peaks)} MiB "
                     f"({max(peaks) / (DISK >> 20):.2f} x --disk) over {len(peaks)} stopped runs") if peaks else \
                "no run was stopped"
            print(f"  {writers} writer{'s' * (writers > 1)}, {way}: {shown}"
                  + (f"; {passed} checks quoted its lines without being stopped" if passed else ""), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="grades per attack and way (default 3)")
    parser.add_argument("--attacks", nargs="*", choices=[*testing_attacks.ATTACKS, "a memory bomb"],
                        help="the attacks to grade (default: all, and a memory bomb)")
    parser.add_argument("--disk-peak", action="store_true", help="measure the disk bound's worst case instead")
    parser.add_argument("--project", default=ROOT, help="the checkout whose grade.py builds the bundle")
    args = parser.parse_args()
    reason = standin.unavailable()
    if reason:
        print(f"bench_attacks.py: {reason}", file=sys.stderr)
        return 2
    suite.setUpModule()
    folder = tempfile.mkdtemp(prefix="bench-attacks-")
    try:
        bundle = os.path.join(folder, "autograder.zip")
        subprocess.run([sys.executable, os.path.join(args.project, "grade.py"), "--make-autograder", bundle],
                       check=True, capture_output=True)
        with standin.Container(bundle, suite.Isolation.python) as probe:
            print(f"stand-in: {probe.cgroup.description if probe.cgroup else 'no cgroup'}; bundle from "
                  f"{args.project}; load {os.getloadavg()[0]:.1f}")
        if args.disk_peak:
            disk_peaks(bundle, args.runs)
        else:
            attacks_table(bundle, args.attacks, args.runs)
    finally:
        suite.tearDownModule()
        subprocess.run(["rm", "-rf", folder], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
