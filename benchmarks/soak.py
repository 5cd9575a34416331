"""A soak: N consecutive grades of one file through the Gradescope bundle, every score recorded.

    python3 benchmarks/soak.py -n 200                          # this project's neuralnet.py, real Docker
    python3 benchmarks/soak.py -n 100 --file delegate           # the hostile file that delegates to the reference
    python3 benchmarks/soak.py -n 50 --where standin --load 2   # in the container stand-in, 2 CPU burners beside
    python3 benchmarks/soak.py -n 20 --host unix:///run/docker.sock --image gradescope/autograder-base:ubuntu-22.04

As root on Linux. --where docker grades each in a fresh container of the bundle's image (grader/docker.py:
768 MB, half a CPU, Docker's default capabilities and seccomp), on the daemon --host names, or on a dockerd of
its own (grader/testing_docker.py) with a mmdebstrap base where --host is not given; --where standin grades in
grader/testing_container.py's stand-in. Each grade prints its score, its seconds (the container's start to its
end), what was left in the container, and every check whose output says a run was killed by a signal with no
limit named (a "bare" kill, the defect of issue 35): its name and line. At the end: the scores counted, the
median and the largest seconds per grade, and the bare kills counted. --csv writes a row per grade.
"""
import argparse
import csv
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
from grader import docker, testing_docker  # noqa: E402
from grader import test_grader as suite  # noqa: E402
from grader import testing_container as standin  # noqa: E402

BARE_KILL = re.compile(r"killed by signal (\d+)(?! \()")  # a signal, and no limit named after it
FILES = {"reference": os.path.join(ROOT, "neuralnet.py"), "delegate": None}


def source_of(name: str) -> bytes:
    if name == "delegate":
        return suite.HOSTILE["delegate"].encode()
    with open(FILES.get(name) or name, "rb") as f:
        return f.read()


def bare_kills(results) -> list:
    """(check, line) of every check whose output says a run was killed by a signal with no limit named."""
    found = []
    for test in (results or {}).get("tests", []):
        for line in test.get("output", "").splitlines():
            if BARE_KILL.search(line) and not line.startswith("  | "):
                found.append((test["name"], line.strip()[:160]))
    return found


def burners(count: int) -> list:
    """CPU-bound processes beside the grades (the load of a shared host)."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="grades (default 200)")
    parser.add_argument("--file", default="reference",
                        help="reference (this project's neuralnet.py), delegate, or a path (default reference)")
    parser.add_argument("--where", choices=("docker", "standin"), default="docker")
    parser.add_argument("--host", help="the Docker daemon (DOCKER_HOST's form); default: a dockerd of its own")
    parser.add_argument("--image", default=testing_docker.BASE_TAG,
                        help="the base image (default: the mmdebstrap one, made when missing)")
    parser.add_argument("--load", type=int, default=0, help="CPU burners beside the grades (default 0)")
    parser.add_argument("--csv", help="a row per grade here")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stopped by its pid: its daemon and folder go too
    reason = testing_docker.unavailable() if args.where == "docker" and not args.host else standin.unavailable()
    if reason:
        print(f"soak.py: {reason}", file=sys.stderr)
        return 2
    folder = tempfile.mkdtemp(prefix="soak-")
    os.chmod(folder, 0o755)
    upload = os.path.join(folder, "upload")
    os.mkdir(upload, 0o755)
    with open(os.path.join(upload, "neuralnet.py"), "wb") as f:
        f.write(source_of(args.file))
    bundle = os.path.join(folder, "autograder.zip")
    subprocess.run([sys.executable, os.path.join(ROOT, "grade.py"), "--make-autograder", bundle], check=True,
                   capture_output=True)
    daemon = None
    load = []
    rows = []
    try:
        if args.where == "docker":
            if args.host:
                client = docker.Docker(args.host)
            else:
                daemon = testing_docker.Daemon()
                daemon.start()
                assert daemon.docker is not None
                client = daemon.docker
            if not client.has_image(args.image) and args.image == testing_docker.BASE_TAG:
                testing_docker.debian_base(client)
            image = docker.AutograderImage(client, bundle, args.image)
            image.ensure(print)
            print(f"{docker.CPUS} CPU, {docker.MEMORY} per container; image {image.tag}; daemon "
                  f"{client.check_daemon()}", flush=True)
        else:
            suite.setUpModule()
        load = burners(args.load)
        for number in range(1, args.n + 1):
            started = time.monotonic()
            if args.where == "docker":
                outcome = docker.grade(client, image.tag, upload)
                results, left = outcome.results, (len(outcome.leftovers), len(outcome.scratch))
                extra = " OOMKilled" if outcome.oom_killed else ""
            else:
                with standin.Container(bundle, suite.Isolation.python, keep=[suite.Isolation.folder]) as container:
                    with open(os.path.join(upload, "neuralnet.py"), "rb") as f:
                        container.submit({"neuralnet.py": f.read()})
                    found = container.run()
                results, left, extra = found.results, (len(found.leftovers), len(found.scratch)), ""
            seconds = time.monotonic() - started
            score = results.get("score") if results else None
            kills = bare_kills(results)
            rows.append((number, score, seconds, left[0], left[1], len(kills), kills[0][1] if kills else ""))
            print(f"grade {number:3}: score {score}  {seconds:5.1f} s  left {left[0]} processes, {left[1]} files"
                  f"{extra}" + "".join(f"\n    bare kill: {name}: {line}" for name, line in kills), flush=True)
    finally:
        for process in load:
            process.kill()
            process.wait()
        if daemon is not None:
            daemon.stop()
        if args.where == "standin":
            suite.tearDownModule()
        subprocess.run(["rm", "-rf", folder], check=False)
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["grade", "score", "seconds", "processes_left", "files_left", "bare_kills", "first"])
            writer.writerows(rows)
    scores = Counter(row[1] for row in rows)
    seconds = [row[2] for row in rows]
    print(f"\n{len(rows)} grades of {args.file} ({args.where}, load {args.load}): scores "
          + ", ".join(f"{score}: {count}" for score, count in scores.most_common())
          + f"; seconds per grade median {statistics.median(seconds):.1f}, max {max(seconds):.1f}; "
          f"grades with a bare kill: {sum(1 for row in rows if row[5])}; "
          f"grades that left something: {sum(1 for row in rows if row[3] or row[4])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
