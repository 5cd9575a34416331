"""What isolation costs: `grade.py --quick` on this project's neuralnet.py, isolated and not.

    sudo python3 benchmarks/bench_grade.py --python /opt/grader-venv/bin/python [--runs 5] [--user nobody]

As root, grade.py isolates every run of the submission (the package grader/sandbox); as any
other user it does not. Both are timed here on one copy of the grader (the Gradescope
bundle, unpacked into a world-readable temporary folder), with one interpreter that
the unprivileged user can run (--python: a venv of the system Python with numpy), the
not-isolated grade run as --user itself. The runs alternate, so that noise on a shared
machine hits both alike; the medians and their difference are printed.
"""
import argparse
import os
import pwd
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(command, env) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if result.returncode != 0 or "score: 50/50" not in result.stdout:
        sys.exit(f"bench_grade.py: error: {' '.join(command)} did not give 50/50: "
                 f"{(result.stderr or result.stdout).strip().splitlines()[-1:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", required=True, help="an interpreter with numpy that --user can run")
    parser.add_argument("--user", default="nobody", help="the unprivileged user (default nobody)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each (default 5)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench_grade.py: error: run as root: only root's grades are isolated")
    folder = tempfile.mkdtemp(prefix="bench-grade-")
    try:
        os.chmod(folder, 0o755)
        subprocess.run([sys.executable, os.path.join(ROOT, "grade.py"), "--make-autograder", f"{folder}/a.zip"],
                       check=True, capture_output=True)
        with zipfile.ZipFile(f"{folder}/a.zip") as z:
            z.extractall(f"{folder}/source")
        shutil.copyfile(os.path.join(ROOT, "neuralnet.py"), f"{folder}/submitted.py")
        subprocess.run(["chmod", "-R", "a+rX", folder], check=True)
        grade = [f"{folder}/source/grade.py", f"{folder}/submitted.py", "--quick", "--python", args.python]
        env = {"PATH": os.environ["PATH"], "HOME": folder}
        group = pwd.getpwnam(args.user).pw_gid
        commands = {"isolated (as root)": [args.python, *grade, "--user", args.user],
                    f"not isolated (as {args.user})": ["setpriv", f"--reuid={args.user}", f"--regid={group}",
                                                       "--clear-groups", args.python, *grade]}
        times = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(timed(command, env))
        medians = {name: statistics.median(values) for name, values in times.items()}
        for name, median in medians.items():
            print(f"{name:28} median {median:.3f} s  (runs: {', '.join(f'{t:.2f}' for t in times[name])})")
        isolated, plain = medians.values()
        print(f"isolation adds {isolated - plain:+.3f} s to a --quick grade ({isolated / plain:.2f}x)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
