"""A class from Gradescope's export, graded locally and in the bundle: wall time, and each score compared.

    python3 benchmarks/bench_class.py                 # the batch once, then each upload in the bundle
    python3 benchmarks/bench_class.py --runs 3        # the batch three times (median), then the bundle
    python3 benchmarks/bench_class.py --no-bundle     # the batch alone (no root needed)

The class is grader/test_submissions.py's export_class(): 21 uploads laid out as Gradescope's
"Export Submissions" (submission_metadata.yml with group submissions, a zipped folder, misnamed and
empty uploads, an archive inside an upload, crashes, hangs, catalogued, found and uncatalogued
mistakes), written for this project. The bundle is built with the default settings (55 points).

1. The batch: `grade.py EXPORT --config settings.json --jobs 2 --csv --reports`, the bundle's own
   settings.json, timed from start to end (wall clock; the median of --runs).
2. The bundle, as root: each upload graded by run_autograder in Gradescope's container stand-in
   (grader/testing_container.py: Docker's capabilities and seccomp profile, 768 MB, half a CPU),
   one at a time, as grader/test_container.py runs it.
Then per upload: how it ended locally, the local score (the CSV's) and the bundle's, and whether they
are equal; the exit status is 1 when any differs.
"""
import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
from grader import report  # noqa: E402
from grader import test_grader as suite  # noqa: E402
from grader import test_submissions as submissions  # noqa: E402
from grader import testing_container as standin  # noqa: E402


def grade_locally(export: str, settings: str, python: str, folder: str) -> tuple:
    """The batch on the export: (seconds, {folder: CSV row of its first submitter}, stdout)."""
    table = os.path.join(folder, "class.csv")
    reports = os.path.join(folder, "reports")
    shutil.rmtree(reports, ignore_errors=True)
    started = time.monotonic()
    result = subprocess.run([sys.executable, os.path.join(ROOT, "grade.py"), export, "--config", settings, "--jobs",
                             "2", "--python", python, "--csv", table, "--reports", reports],
                            capture_output=True, text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"bench_class.py: the batch exited {result.returncode}: {result.stderr[-2000:]}")
    with open(table, newline="") as f:
        rows = {}
        for row in csv.DictReader(f):
            rows.setdefault(row["submission"], row)
    return seconds, rows, result.stdout


def grade_in_bundle(bundle: str, files: dict) -> tuple:
    """run_autograder on the upload in a fresh stand-in: (score in hundredths, seconds)."""
    with standin.Container(bundle, suite.Isolation.python, keep=[suite.Isolation.folder]) as container:
        container.submit(files)
        outcome = container.run()
    if outcome.results is None:
        return None, outcome.seconds
    return report.hundredths(outcome.results["score"]), outcome.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1, help="runs of the batch (default 1)")
    parser.add_argument("--no-bundle", action="store_true", help="leave out the bundle's grades (no root needed)")
    args = parser.parse_args()
    reason = "" if args.no_bundle else standin.unavailable()
    if reason:
        print(f"bench_class.py: {reason} (or --no-bundle)", file=sys.stderr)
        return 2
    suite.setUpModule()  # as root: an interpreter with numpy that any uid can run
    folder = tempfile.mkdtemp(prefix="bench-class-")
    os.chmod(folder, 0o700)
    try:
        folders, described = submissions.export_class()
        export = os.path.join(folder, "assignment_31415_export")
        submissions.write_export(export, folders)
        bundle = os.path.join(folder, "autograder.zip")
        made = subprocess.run([sys.executable, os.path.join(ROOT, "grade.py"), "--make-autograder", bundle],
                              check=True, capture_output=True, text=True)
        print(made.stdout.strip())
        settings = os.path.join(folder, "settings.json")
        with zipfile.ZipFile(bundle) as archive, open(settings, "wb") as f:
            f.write(archive.read("settings.json"))
        times = []
        for run in range(args.runs):
            seconds, rows, stdout = grade_locally(export, settings, suite.Isolation.python, folder)
            times.append(seconds)
            print(f"batch run {run + 1}: {seconds:.1f} s")
        print(stdout)
        print(f"the batch, {len(folders)} uploads with --jobs 2: median {statistics.median(times):.1f} s "
              f"of {len(times)} ({', '.join(f'{t:.1f}' for t in times)})")
        differ = 0
        table = ["| upload | expected | ended (local) | local | bundle | equal | bundle s |",
                 "|---|---|---|---:|---:|---|---:|"]
        for (name, (kind, files, _)), what in zip(folders.items(), described):
            local = rows[name]
            if args.no_bundle:
                table.append(f"| {what} | {kind} | {local['ended']} | {local['score']} | | | |")
                continue
            score, seconds = grade_in_bundle(bundle, files)
            equal = report.points_text(score) == local["score"]
            differ += not equal
            table.append(f"| {what} | {kind} | {local['ended']} | {local['score']} | {report.points_text(score)} | "
                         f"{'yes' if equal else 'NO'} | {seconds:.1f} |")
            print(table[-1], flush=True)
        print("\n".join(table))
        if not args.no_bundle:
            print(f"{len(folders) - differ} of {len(folders)} local scores equal the bundle's")
        return 1 if differ else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        suite.tearDownModule()


if __name__ == "__main__":
    sys.exit(main())
