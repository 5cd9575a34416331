"""grade.py --docker against grade.py on the host: seconds per submission, a correct file and a one-mistake file.

    python3 benchmarks/bench_docker.py --host unix:///run/docker.sock --image grade-base:bookworm --runs 3

As root on Linux, with a Docker daemon (--host, else DOCKER_HOST). Per kind (this project's neuralnet.py; the
same with its shuffle seeded epoch + 1, a one-line mistake), two copies are graded at once (--jobs 2), in the
bundle's image (each in a container with Gradescope's 768 MB and half a CPU) and on the host (grade.py as root,
isolated, no CPU quota, the submission run by a venv of the system Python); the seconds of the whole command over
the two submissions, median of --runs. The bundle's image is built first (once), so no run below includes the build.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GRADE = os.path.join(ROOT, "grade.py")


def timed(command, env) -> float:
    started = time.monotonic()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("DOCKER_HOST", ""), help="the Docker daemon")
    parser.add_argument("--image", default="grade-base:bookworm", help="the base image")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, **({"DOCKER_HOST": args.host} if args.host else {})}
    folder = tempfile.mkdtemp(prefix="bench-docker-")
    os.chmod(folder, 0o755)
    try:
        with open(os.path.join(ROOT, "neuralnet.py")) as f:
            source = f.read()
        kinds = {"correct": source, "one mistake": source.replace("np.random.seed(epoch)", "np.random.seed(epoch + 1)")}
        files = {}
        for kind, text in kinds.items():
            files[kind] = []
            for copy in (1, 2):
                path = os.path.join(folder, f"{kind.replace(' ', '_')}_{copy}.py")
                with open(path, "w") as f:
                    f.write(text)
                files[kind].append(path)
        # The host's grades run the submission as a uid of their own, which needs an interpreter with numpy that
        # it can run: a venv of the system Python in this world-readable folder, as the grader's suite makes one.
        subprocess.run(["/usr/bin/python3", "-m", "venv", os.path.join(folder, "venv")], check=True)
        subprocess.run([os.path.join(folder, "venv", "bin", "pip"), "install", "--quiet", "numpy<3"], check=True)
        python = os.path.join(folder, "venv", "bin", "python")
        bundle = os.path.join(folder, "autograder.zip")
        subprocess.run([sys.executable, GRADE, "--make-autograder", bundle], check=True, capture_output=True)
        build = timed([sys.executable, GRADE, "--docker", "--bundle", bundle, "--image", args.image,
                       files["correct"][0]], env)
        print(f"the image built (or found) and one grade: {build:.1f} s", flush=True)
        for kind, paths in files.items():
            docker, host = [], []
            for _ in range(args.runs):
                docker.append(timed([sys.executable, GRADE, "--docker", "--bundle", bundle, "--image", args.image,
                                     *paths, "--jobs", "2"], env))
                host.append(timed([sys.executable, GRADE, *paths, "--jobs", "2", "--config", settings(folder),
                                   "--python", python], env))
                print(f"{kind}: docker {docker[-1]:.1f} s, host {host[-1]:.1f} s (2 submissions)", flush=True)
            d, h = statistics.median(docker) / 2, statistics.median(host) / 2
            print(f"{kind}: {d:.1f} s per submission in the bundle's image, {h:.1f} s on the host "
                  f"(median of {args.runs}, --jobs 2; ratio {d / h:.2f})", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def settings(folder: str) -> str:
    """The bundle's default settings.json (55 points), so that the host grades as the bundle does."""
    path = os.path.join(folder, "settings.json")
    if not os.path.exists(path):
        sys.path.insert(0, ROOT)
        from grader import settings as course
        with open(path, "w") as f:
            f.write(course.Settings(course.parse_points(None), course.parse_visibility(None),
                                    course.parse_numpy(None)).as_json())
    return path


if __name__ == "__main__":
    sys.exit(main())
