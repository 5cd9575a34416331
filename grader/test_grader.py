"""The grader's suite: python3 -m unittest grader.test_grader

grade.py run as its users run it: end-to-end grades, the sandbox, the Gradescope
bundle, batch grading and hostile submissions. The hostile submissions need root,
where grade.py isolates them, and skip otherwise; CI runs this suite as root.

As root, this module makes once per run what isolation needs, and removes it at
the end: a user of its own for the submissions (a user it did not make may have
processes, and a grade kills every process of its user), and an interpreter with
numpy that this user can run (a venv of the system Python in a world-readable
folder; pip installs numpy into it, from the package index or pip's cache).
The grader's in-process parts are tested with the student's suite, in
grader/test_checks.py.
"""
import atexit
import csv
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import zipfile

from grader import catalog
from grader import test_submissions as submissions
from grader.report import ENDINGS, own_outputs
from grader.runner import Budget
from grader.test_checks import SIMULATIONS
from grader.test_diagnosis import TestEvidence, TestNearMisses  # noqa: F401  (part of this suite)
from grader.test_submissions import REAL_MISTAKES, SHAPES, hanging, naive_variant, naive_with, student_source
from grader.testing import DATA, GRADESCOPE_TOP_LEVEL, HERE, NEURALNET, assert_console_block, console_blocks, runs_grade

GRADE = os.path.join(HERE, "grade.py")
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
TRACE = "trace:first 5 SGD steps (small set, 4 hidden, RANDOM init, lr 0.1)"
NEEDS_ROOT = "isolation needs root (CI runs this suite as root)"


class Isolation:
    """What grading as root needs, made by setUpModule: the submissions' user and an interpreter it can run.
    Not as root, grade.py runs submissions as the caller, with the interpreter running the tests."""
    user = ""  # '' when not root
    group = ""
    python = sys.executable
    folder = ""  # the venv's folder, removed at the end


def setUpModule():
    if not AS_ROOT:
        return
    Isolation.user = Isolation.group = f"nngrade{os.getpid() % 100000}"
    subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    Isolation.user], check=True, capture_output=True, timeout=60)
    system = next((p for p in ("/usr/bin/python3", "/usr/local/bin/python3") if os.access(p, os.X_OK)), None)
    assert system, "no system Python to build the submissions' venv from"
    Isolation.folder = tempfile.mkdtemp(prefix="grade-venv-")
    os.chmod(Isolation.folder, 0o755)
    subprocess.run([system, "-m", "venv", f"{Isolation.folder}/venv"], check=True, capture_output=True, timeout=300)
    subprocess.run([f"{Isolation.folder}/venv/bin/pip", "install", "--quiet", "--disable-pip-version-check",
                    "numpy<3"], check=True, capture_output=True, timeout=600)
    Isolation.python = f"{Isolation.folder}/venv/bin/python"


def tearDownModule():
    if Isolation.folder:
        shutil.rmtree(Isolation.folder, ignore_errors=True)
    if Isolation.user:
        subprocess.run(["userdel", Isolation.user], capture_output=True, timeout=60)


def user_options():
    """--python and, as root, --user: how every grade here runs its submissions."""
    return ["--python", Isolation.python] + (["--user", Isolation.user] if Isolation.user else [])


def private_folder() -> str:
    """A temporary folder only its owner can read, removed at the end of the test run."""
    folder = tempfile.mkdtemp(prefix="grade-test-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


# grade.py run in this wrapper writes its own peak resident memory (KiB) to the file GRADE_PEAK_RSS names.
MEASURED = """import os, resource, runpy, sys
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[0])))
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    with open(os.environ["GRADE_PEAK_RSS"], "w") as f:
        f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
"""


def run_grade(submission_source, *options, timeout=240, env=None, measure=False):
    """grade.py as a subprocess on a submission given as source text: (result, results.json or None, seconds);
    with measure, result.peak_mib is grade.py's own peak resident memory."""
    tmp = private_folder()
    path = os.path.join(tmp, "neuralnet.py")
    with open(path, "w") as f:
        f.write(submission_source)
    report = os.path.join(tmp, "results.json")
    wrapper, peak = [], os.path.join(tmp, "peak")
    if measure:  # grade.py's own peak memory, read as result.peak_mib
        wrapper = [os.path.join(tmp, "measured.py")]
        with open(wrapper[0], "w") as f:
            f.write(MEASURED)
        env = {**(env or {}), "GRADE_PEAK_RSS": peak}
    started = time.monotonic()
    defaults = user_options()[2:] if "--python" in options else user_options()  # (an option is given once)
    result = subprocess.run([sys.executable, *wrapper, GRADE, path, "--json", report, *defaults, *options],
                            capture_output=True, text=True, timeout=timeout,
                            env=None if env is None else {**os.environ, **env})
    seconds = time.monotonic() - started
    if measure:
        with open(peak) as f:
            result.peak_mib = int(f.read()) / 1024
    results = None
    if os.path.exists(report):
        with open(report) as f:
            results = json.load(f)
    return result, results, seconds


def unpacked_grader(test, prefix):
    """The Gradescope bundle unpacked into a fresh folder every user can read: a grade.py outside this checkout."""
    folder = tempfile.mkdtemp(prefix=prefix)
    test.addCleanup(shutil.rmtree, folder, True)
    subprocess.run([sys.executable, GRADE, "--make-autograder", f"{folder}/a.zip"], check=True, capture_output=True,
                   timeout=60)
    with zipfile.ZipFile(f"{folder}/a.zip") as z:
        z.extractall(f"{folder}/source")
    subprocess.run(["chmod", "-R", "a+rX", folder], check=True)
    return folder


def user_processes():
    """Live processes of the submissions' user, as `ps` lists them (grade.py refuses a user that has any)."""
    result = subprocess.run(["ps", "-u", Isolation.user, "-o", "pid=,stat=,args="], capture_output=True, text=True)
    return [line for line in result.stdout.splitlines() if line.split()[1:2] != ["Z"]]


# Gradescope's fields of a test in results.json (its autograder specification, "Output format")
GRADESCOPE_TEST_FIELDS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
                          "tags", "visibility", "extra_data"}


def assert_valid_results(test, results):
    """Gradescope's results.json: only its fields; score, execution_time, output_format and tests, each with its
    name, points, status, output and visibility; points in hundredths that add up exactly."""
    test.assertIsNotNone(results, "no results.json")
    test.assertLessEqual({"score", "execution_time", "output_format", "tests"}, set(results))
    test.assertLessEqual(set(results), GRADESCOPE_TOP_LEVEL)  # nothing Gradescope's specification does not name
    if "extra_data" in results:  # how the grade ended, as a class's batch reads it (grader/report.py Ending)
        test.assertIn(results["extra_data"]["ended"], ENDINGS)
    test.assertEqual(results["output_format"], "text")
    test.assertEqual(results.get("stdout_visibility"), "hidden")  # the text report, with the isolation: staff's
    for entry in results["tests"]:
        test.assertLessEqual(set(entry), GRADESCOPE_TEST_FIELDS)
        test.assertEqual(set(entry) - {"extra_data"}, {"name", "score", "max_score", "status", "output", "visibility"})
        if "extra_data" in entry:  # the mistakes its output names, as ids of the catalog
            test.assertEqual(set(entry["extra_data"]), {"mistakes"})
            test.assertLessEqual(set(entry["extra_data"]["mistakes"]), set(catalog.MISTAKES))
        test.assertIn(entry["score"], (0, entry["max_score"]))
        test.assertIn(entry["status"], ("passed", "failed"))  # (a 0-point warning is failed at 0/0)
        if entry["score"] != entry["max_score"]:
            test.assertEqual(entry["status"], "failed")
        for value in (entry["score"], entry["max_score"]):
            test.assertEqual(round(value, 2), value)  # hundredths, no float noise
    test.assertEqual(round(results["score"] * 100), sum(round(t["score"] * 100) for t in results["tests"]))
    test.assertEqual(round(results["score"], 2), results["score"])


# ----------------------------------------------------------------------------
# grade.py as a user runs it
# ----------------------------------------------------------------------------

class TestGradeEndToEnd(unittest.TestCase):
    """grade.py on a handful of honest submissions (isolated when run as root)."""

    def test_this_project_gets_full_marks(self):
        with open(NEURALNET) as f:
            result, results, _ = run_grade(f.read(), "--quick")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertNotIn("mistake:", result.stdout)
        assert_valid_results(self, results)
        self.assertEqual(results["score"], sum(t["max_score"] for t in results["tests"]))
        self.assertEqual(results["score"], 50)
        for test in results["tests"]:
            self.assertRegex(test["name"], r"^(env|api|trace|cli):")
        self.assertRegex(result.stdout, r"\nscore: 50/50 ")
        self.assertEqual(results["output"].splitlines()[0], "score: 50/50 (25 of 25 checks passed)")
        self.assertNotIn("isolated", results["output"])  # how it was isolated is staff's: stdout only
        if AS_ROOT:
            self.assertIn(f"isolated: runs as user {Isolation.user}", result.stdout)
            self.assertIn("network cut", result.stdout)
        else:
            self.assertIn("not isolated", result.stdout)

    def test_a_mistake_is_named_in_the_report(self):
        result, results, _ = run_grade(naive_with("shuffle-seed-offset"), "--quick")
        self.assertEqual(result.returncode, 1)
        named = set(re.findall(r"mistake: ([\w-]+):", result.stdout))
        self.assertEqual(named, {"shuffle-seed-offset"})
        self.assertLess(results["score"], sum(t["max_score"] for t in results["tests"]))

    def test_syntax_error(self):
        result, results, seconds = run_grade("def broken(:\n    pass\n", "--quick")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("SyntaxError", result.stdout)
        self.assertNotIn("Traceback", result.stdout + result.stderr)
        self.assertEqual(results["score"], 0)
        self.assertLess(seconds, 30)

    def test_an_import_that_hangs_costs_one_timeout(self):
        result, results, seconds = run_grade("import time\ntime.sleep(600)\n", "--quick", "--timeout", "2")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertLess(seconds, 15)  # one 2 s timeout, not one per check
        self.assertIn("timed out: importing the submission did not finish within 2 s", result.stdout)
        self.assertIn("not run: importing the submission did not finish within 2 s (see api:shuffle)", result.stdout)
        self.assertNotIn("did not return", result.stdout)
        self.assertEqual(results["score"], 0)

    def test_the_time_budget(self):
        slow = naive_with().replace("def main(argv):", "def main(argv):\n    import time\n    time.sleep(3)")
        result, results, seconds = run_grade(slow, "--quick", "--timeout", "10", "--total-timeout", "5")
        self.assertLess(seconds, 5 * Budget.MAX_STRETCH + 20)  # stretched at most so much on a busy machine
        self.assertRegex(result.stdout, r"timed out: the time budget \(5 s(, stretched to \d+ s for a busy machine)?\) "
                                        r"was spent")
        self.assertIn("not run: time budget spent", result.stdout)
        assert_valid_results(self, results)
        # Runs whose estimates are equal are explained once, then referred to: read each one's own output.
        not_run = [t for t, output in zip(results["tests"], own_outputs(results["tests"]))
                   if output.startswith("not run: time budget spent")]
        self.assertGreaterEqual(len(not_run), 5)
        self.assertTrue(all(t["score"] == 0 for t in not_run))

    def test_a_crash_partway_quotes_its_stderr(self):
        crashing = naive_with().replace("        losses.append((mean_cross_entropy(",
                                        "        if epoch == 1:\n            raise RuntimeError('boom in epoch 2')\n"
                                        "        losses.append((mean_cross_entropy(")
        result, results, _ = run_grade(crashing, "--quick")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("RuntimeError: boom in epoch 2", result.stdout)
        passed = {t["name"].split(" (")[0] for t in results["tests"] if t["score"] == t["max_score"]}
        self.assertIn("cli:small 1 10 1 0.1", passed)  # 0 and 1 epoch runs never reach the crash
        self.assertNotIn("cli:small 2 4 2 0.1", passed)

    def test_a_submission_that_writes_nothing(self):
        silent = naive_with().replace('    main(sys.argv[1:])', '    pass')
        result, _, _ = run_grade(silent, "--quick")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("wrote no train_out.labels, validation_out.labels, metrics_out.txt", result.stdout)

    def test_a_submission_that_writes_garbage(self):
        garbage = "import sys\nif __name__ == '__main__':\n    for path in sys.argv[3:6]:\n" \
                  "        open(path, 'w').write('garbage\\n')\n    print('oops', file=sys.stderr)\n"
        result, _, _ = run_grade(garbage, "--quick")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("unreadable output: train_out.labels: line 1: 'garbage' is not an integer label\n"
                      "          | oops", result.stdout)

    def test_bad_arguments(self):
        result = subprocess.run([sys.executable, GRADE, "no/such/neuralnet.py"],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr.splitlines()[-1], "grade.py: error: 'no/such/neuralnet.py' is not a file")
        self.assertNotIn("Traceback", result.stderr)
        for options, message in ((["--memory", "lots"], "is not a size"), (["--timeout", "0"], "positive"),
                                 (["--python", "/no/such/python"], "no such interpreter")):
            result = subprocess.run([sys.executable, GRADE, NEURALNET, *options],
                                    capture_output=True, text=True, timeout=60)
            self.assertEqual(result.returncode, 2)
            self.assertIn(message, result.stderr.splitlines()[-1])


# ----------------------------------------------------------------------------
# Hostile submissions: each must leave grade.py on time, its results.json valid,
# no point unearned, and a report that says what happened.
# ----------------------------------------------------------------------------

# Where a submission might look for the reference and the verdicts: the real paths,
# and the command lines and working folders of every process it can see.
FIND_PATHS = f'''
import os, sys
def visible_paths():
    paths = [{NEURALNET!r}, {os.path.join(DATA, "unittest_data.pk")!r}, "/autograder/source/neuralnet.py"]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                paths += [p.decode(errors="ignore") for p in open(f"/proc/{{pid}}/cmdline", "rb").read().split(b"\\0")]
            except OSError:
                pass
            try:
                paths.append(os.readlink(f"/proc/{{pid}}/cwd"))
            except OSError:
                pass
    return [p for p in paths if p.startswith("/")]
'''

HOSTILE = {
    # Finds this project's neuralnet.py through /proc (or its known path) and hands every call to it.
    "delegate": FIND_PATHS + '''
import importlib.util
def find_reference():
    for path in visible_paths():
        for folder in (path, os.path.dirname(path)):
            candidate = os.path.join(folder, "neuralnet.py")
            if os.path.abspath(candidate) != os.path.abspath(__file__) and os.path.isfile(candidate) \\
                    and os.path.isfile(os.path.join(folder, "grade.py")):
                return candidate
    raise SystemExit("delegate: found no reference neuralnet.py")
spec = importlib.util.spec_from_file_location("reference", find_reference())
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)
globals().update({k: v for k, v in vars(reference).items() if not k.startswith("__")})
if __name__ == "__main__":
    sys.exit(reference.main(sys.argv[1:]))
''',
    # Overwrites the probe's values at exit with a claimed pass, and any results.json it can find.
    "forge": FIND_PATHS + '''
import atexit, json
import numpy as np
def forge():
    if os.path.exists("inputs.npz"):
        with np.load("inputs.npz") as f:
            slots = {k.split("/")[0] for k in f.files}
        np.savez("values.npz", **{f"{s}/verdict": np.array("passed") for s in slots})
    for path in visible_paths():
        if path.endswith(".json"):
            try:
                with open(path, "w") as f:
                    json.dump({"score": 999, "tests": []}, f)
            except OSError as e:
                print(f"forge: {e}", file=sys.stderr)
    for name in sys.argv[3:6]:
        with open(name, "w") as f:
            f.write("0\\n")
atexit.register(forge)
''',
    "sys.exit(0) at import": "import sys\nsys.exit(0)\n",
    "os._exit(0) at import": "import os\nos._exit(0)\n",
    # Signals its parent and every process it can see, then fails.
    "signal the parent": '''
import os, signal, sys
for sig in (signal.SIGTERM, signal.SIGKILL):
    for pid in [os.getppid()] + [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]:
        try:
            os.kill(pid, sig)
        except OSError as e:
            if pid == os.getppid():
                print(f"kill parent: {e}", file=sys.stderr)
sys.exit(1)
''',
    # Leaves a detached grandchild that holds stderr open and rewrites results.json later.
    "detached child": FIND_PATHS + '''
import time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(4)
        for path in visible_paths():
            if path.endswith(".json"):
                try:
                    open(path, "w").write('{"score": 999}')
                except OSError:
                    pass
        os._exit(0)
    os._exit(0)
print("detached: left a child behind", file=sys.stderr)
sys.exit(1)
''',
    # Forks until it can't (bounded at 400), each child sleeping.
    "fork loop": '''
import os, sys, time
children = 0
for _ in range(400):
    try:
        pid = os.fork()
    except OSError as e:
        print(f"fork failed after {children} children: {e}", file=sys.stderr)
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    children += 1
sys.exit(1)
''',
    "allocate 64 GiB": "import numpy as np\nblock = np.ones(8 * 2**30)\nblock[::4096] = 2.0\n",
    "write 4 GiB": "with open('big.bin', 'wb') as f:\n    for _ in range(4096):\n        f.write(bytes(2**20))\n",
    # Reads the reference and runs it as its own code.
    "read outside its folder": FIND_PATHS + '''
for path in visible_paths():
    if path.endswith("neuralnet.py") and os.path.abspath(path) != os.path.abspath(__file__):
        try:
            source = open(path).read()
        except OSError as e:
            print(f"read outside: {e}", file=sys.stderr)
            continue
        exec(compile(source, path, "exec"), globals())
        break
else:
    sys.exit("read outside: nothing readable")
''',
}
# What each report says (a fragment of the first failing check's output).
SAYS = {
    "delegate": "delegate: found no reference neuralnet.py",
    "forge": "no value for",
    "sys.exit(0) at import": "cannot import the submission",
    "os._exit(0) at import": "the checks stopped before writing their values",
    "signal the parent": "kill parent: [Errno 1] Operation not permitted",
    "detached child": "detached: left a child behind",
    "fork loop": "hit the process limit (64 processes)",
    "allocate 64 GiB": "hit the memory limit (4 GiB of address space)",
    "write 4 GiB": "hit the file-size limit (256 MiB per file)",
    # Nothing readable, whatever the reason each path gives (ENOENT where a mount covers it; EACCES on the
    # way through a 0700 folder such as /root, where the clone may be).
    "read outside its folder": "read outside: nothing readable",
}
BUDGET = ("--quick", "--timeout", "10", "--total-timeout", "40")

# Submissions that write too much, or what is not a file: each must leave grade.py small (its own
# memory), results.json small and clean, and a report that names what happened.
BOUNDS = {
    # In the api/trace probe, a values.npz whose one member inflates to 3 GiB.
    "values that inflate to 3 GiB": ("""import atexit, io, zipfile
import numpy as np
def write():
    header = io.BytesIO()
    count = 3 * 2**30 // 8
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (count,)})
    with zipfile.ZipFile("values.npz", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("0-random_init/10x5.npy", "w", force_zip64=True) as f:
            f.write(header.getvalue())
            block = bytes(2**24)
            for _ in range(count * 8 // len(block)):
                f.write(block)
if __name__ == "submission":
    atexit.register(write)
""", "refused unread: its values declare 3.0 GiB in all"),
    "1 GB to stderr, with escapes": ("""import sys
line = ("\\x1b[31mRED\\x1b]0;title\\x07" + "x" * 100) * 8192
for _ in range(1000):
    sys.stderr.write(line)
sys.stderr.write("\\n")
sys.exit(1)
""", "hit the file-size limit (256 MiB per file) writing to stderr"),
    "outputs that are FIFOs": ("""import os, sys
if __name__ == "__main__":
    for path in sys.argv[3:6]:
        os.mkfifo(path)
""", "train_out.labels is a FIFO; validation_out.labels is a FIFO; metrics_out.txt is a FIFO"),
    "outputs that are links to /etc/shadow": ("""import os, sys
if __name__ == "__main__":
    for path in sys.argv[3:6]:
        os.symlink("/etc/shadow", path)
""", "train_out.labels is a symbolic link (not followed)"),
    "outputs that are folders": ("""import os, sys
if __name__ == "__main__":
    for path in sys.argv[3:6]:
        os.mkdir(path)
""", "metrics_out.txt is a folder"),
    "8 million labels and an escape": ("""import sys
if __name__ == "__main__":
    for path in sys.argv[3:5]:
        with open(path, "w") as f:
            f.write("0\\n" * (8 * 2**20 - 10))
    with open(sys.argv[5], "w") as f:
        f.write("\\x1b[2J" + "epoch=1 crossentropy(train): 1.0" * 400000 + "\\n")
""", "unreadable output: train_out.labels: 8388598 lines, where 500 are expected"),
    "a different flood of stderr in every run": ("""import os, sys
for i in range(20):
    print(os.urandom(3000).hex() + "\\x1b[0m", file=sys.stderr)
sys.exit(1)
""", "exit status 1"),
}



class TestHangs(unittest.TestCase):
    """A correct file with one function that never returns, graded end to end: only the checks that call it
    lose their points, each says which function did not return, and the grade takes about one timeout.
    (--timeout 6: each call has 1.5 s and each run 3 s once something has hung; Budget.shortened.)"""

    @classmethod
    def setUpClass(cls):
        with open(NEURALNET) as f:
            cls.reference = f.read()

    def grade(self, function, *options):
        result, results, seconds = run_grade(hanging(self.reference, function), "--quick", "--timeout", "6", *options)
        self.assertEqual(result.returncode, 1, result.stderr)
        assert_valid_results(self, results)
        by_name = {t["name"]: (t, output) for t, output in zip(results["tests"], own_outputs(results["tests"]))}
        return result, results, seconds, by_name

    def test_nn_train_that_never_returns_costs_only_the_checks_that_train(self):
        result, results, seconds, by_name = self.grade("NN.train")
        api_checks = [name for name in by_name if name.startswith("api:")]
        for name in api_checks + [TRACE]:
            test, output = by_name[name]
            with self.subTest(name):
                if name == "api:NN.train":
                    self.assertEqual((test["score"], test["status"]), (0, "failed"))
                    self.assertRegex(output, r"^timed out: `NN.train` did not return within [56] s$")
                else:  # random_init, Linear, Sigmoid, SoftMaxCrossEntropy, NN.forward/backward, NN.test, the trace
                    self.assertEqual((test["score"], test["status"]), (test["max_score"], "passed"), output)
        self.assertEqual(results["score"], 16 + 5)  # every api point but NN.train's, and the trace's
        cli = [(t, output) for name, (t, output) in by_name.items() if name.startswith("cli:")]
        self.assertEqual(len(cli), 7)
        self.assertRegex(cli[0][1], r"^timed out after \d(\.\d)? s\nshortened: `NN.train` did not return under "
                                    r"api:NN.train, so each run since has 3 s")
        for _, output in cli[1:]:  # the cli runs all train: each refers to the first, in one line
            self.assertRegex(output, r"^timed out after \d(\.\d)? s: the same cause as cli:small 2 4 2 0.1 ")
        self.assertNotIn("importing the submission", result.stdout)  # the import took well under a second
        self.assertEqual(results["output"].splitlines()[:2], [
            "score: 21/50 (17 of 25 checks passed)",
            next(line for line in results["output"].splitlines() if line.startswith("fix first: "))])
        self.assertRegex(results["output"], r"\nfix first: api:NN.train: timed out: `NN.train` did not return")
        self.assertLess(seconds, 6 + 2 * 6 + 7 * 3 + 25)  # the first timeout, one more probe run, 7 short runs

    def test_linear_forward_that_never_returns_is_named_in_every_check_that_calls_it(self):
        _, results, seconds, by_name = self.grade("Linear.forward", "--total-timeout", "30")
        keeps = ["api:random_init", "api:zero_init", "api:Linear.w", "api:Sigmoid.forward", "api:Sigmoid.backward",
                 "api:SoftMaxCrossEntropy._softmax", "api:SoftMaxCrossEntropy._cross_entropy",
                 "api:SoftMaxCrossEntropy.forward", "api:SoftMaxCrossEntropy.backward"]
        for name in keeps:
            self.assertEqual(by_name[name][0]["score"], 1, by_name[name][1])
        self.assertEqual(results["score"], len(keeps))
        test, output = by_name["api:Linear.forward"]
        self.assertRegex(output, r"^timed out: `Linear.forward` did not return within [56] s$")
        for name in ("api:Linear.w assignable", "api:Linear.backward", "api:Linear.step", "api:NN.train",
                     "api:NN.test", "api:NN.forward and NN.backward", TRACE):
            with self.subTest(name):
                test, output = by_name[name]
                self.assertEqual(test["status"], "failed")
                # the function the check called, and, where the alarm in the probe saw it, where it was
                self.assertRegex(output, r"^timed out: `(Linear\.forward|NN\.\w+)` did not return within [\d.]+ s"
                                         r"( \(it was at neuralnet\.py line \d+: while True:  # a hang, in "
                                         r"`Linear\.forward`\))?(: the same cause as api:[\w .,]+)?$")
        self.assertLess(seconds, 30 + 25)

    def test_shuffle_that_never_returns_costs_only_what_shuffles(self):
        _, results, _, by_name = self.grade("shuffle")
        test, output = by_name["api:shuffle"]
        self.assertEqual((test["max_score"], test["status"]), (0, "failed"))  # a warning, shown as failed
        self.assertRegex(output, r"^timed out: `shuffle` did not return within [56] s$")
        test, output = by_name["api:NN.train"]  # it shuffles: interrupted in the probe, where it was is said
        self.assertEqual(test["score"], 0)
        self.assertRegex(output, r"^timed out: `NN.train` did not return within 1.5 s \(it was at neuralnet\.py line "
                                 r"\d+: while True:  # a hang, in `shuffle`\): the same cause as api:shuffle$")
        zero_epochs = by_name["cli:small 0 4 1 0.1 (0 epochs)"][0]  # no epoch, no shuffle: it runs in its short time
        self.assertEqual(zero_epochs["score"], zero_epochs["max_score"])
        self.assertEqual(results["score"], 16 + 5 + 4)  # every scored api check but NN.train, the trace, 0 epochs


class TestGradeBounds(unittest.TestCase):
    """grade.py's memory, results.json and report stay bounded whatever the submission writes."""

    def test_each_flood_is_bounded_and_named(self):
        peaks = []
        for name, (source, says) in BOUNDS.items():
            with self.subTest(name):
                result, results, seconds = run_grade(source, *BUDGET, measure=True)
                self.assertLess(seconds, 40 + 15, f"{name}: took {seconds:.0f} s")
                assert_valid_results(self, results)
                self.assertEqual(results["score"], 0)
                self.assertIn(says, result.stdout)
                self.assertLess(len(json.dumps(results, indent=1).encode()), 64 * 1024)
                for shown in (result.stdout, json.dumps(results, ensure_ascii=False)):
                    self.assertNotIn("\x1b", shown)
                    self.assertNotIn("\x07", shown)
                self.assertLess(result.peak_mib, 300, name)
                peaks.append(f"{name}: {result.peak_mib:.0f} MiB")
        print("\n[grade.py's peak memory: " + "; ".join(peaks) + "]", file=sys.stderr)


@unittest.skipUnless(AS_ROOT, NEEDS_ROOT)
class TestGradeHostile(unittest.TestCase):
    def test_each_attack_earns_nothing(self):
        for name, source in HOSTILE.items():
            with self.subTest(name):
                result, results, seconds = run_grade(source, *BUDGET)
                self.assertLess(seconds, 40 + 15, f"{name}: took {seconds:.0f} s")
                self.assertIn(result.returncode, (1,), result.stderr)
                if name == "detached child":
                    time.sleep(5)  # past the moment its grandchild would have written
                    with open(self.results_path(result)) as f:
                        results = json.load(f)
                assert_valid_results(self, results)
                self.assertEqual(results["score"], 0, f"{name}: {result.stdout}")
                self.assertIn(SAYS[name], result.stdout)
                self.assertEqual(user_processes(), [], f"{name}: processes left behind")

    @staticmethod
    def results_path(result):
        return result.args[result.args.index("--json") + 1]

    def test_two_grades_as_one_user_take_turns(self):
        """Each grade kills every process of its user: a second grade waits for the first."""
        folder = private_folder()
        slow = os.path.join(folder, "slow.py")
        with open(slow, "w") as f:
            f.write("import time\ntime.sleep(2)\n")
        first = subprocess.Popen([sys.executable, GRADE, slow, "--quick", *user_options(), "--timeout", "10"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        with open(NEURALNET) as f:
            result, results, _ = run_grade(f.read(), "--quick")
        first_out, _ = first.communicate(timeout=300)
        self.assertIn(f"grade.py: waiting for another grade that runs submissions as {Isolation.user}", result.stderr)
        self.assertEqual(results["score"], 50, result.stdout)
        self.assertNotIn("killed by signal", first_out)

    def test_an_interpreter_the_user_cannot_run(self):
        private = private_folder()  # like a Python under /root: 0700 on the way to it
        os.symlink(sys.executable, os.path.join(private, "python3"))
        with open(NEURALNET) as f:
            result, results, _ = run_grade(f.read(), "--quick", "--python", os.path.join(private, "python3"))
        self.assertEqual(result.returncode, 2)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertRegex(result.stderr, rf"^grade.py: error: the user {Isolation.user} cannot run .*python3 with "
                                        r"numpy .*pass --python an interpreter it can run")
        self.assertEqual(results["score"], 0)
        self.assertEqual(result.stdout, "")

    def test_without_namespaces_the_grader_is_made_unreadable(self):
        """Where mount namespaces are refused, grade.py hides a world-readable grader itself, and restores its modes."""
        folder = unpacked_grader(self, "grade-bundle-")
        submission = os.path.join(private_folder(), "neuralnet.py")
        shutil.copyfile(NEURALNET, submission)
        command = [sys.executable, f"{folder}/source/grade.py", submission, "--quick", *user_options()]
        env = {**os.environ, "GRADE_NO_NAMESPACES": "1", "NEURALNET_DATA": ""}
        graded = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(graded.returncode, 0, graded.stdout + graded.stderr)
        self.assertIn("without a mount namespace (refused here), the grader's files made unreadable to it",
                      graded.stdout)
        self.assertIn("score: 50/50", graded.stdout)
        self.assertEqual(stat.S_IMODE(os.stat(f"{folder}/source").st_mode), 0o755)


# ----------------------------------------------------------------------------
# The Gradescope bundle, unpacked into a temporary AUTOGRADER_ROOT
# ----------------------------------------------------------------------------

class TestGradescopeBundle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="grade-zip-")
        cls.zip = cls.build("autograder.zip")
        cls.custom = cls.build("custom.zip", "--points", "api=10,trace=10,cli=35", "--visibility",
                               "cli-medium=after_due_date")

    @classmethod
    def build(cls, name, *options):
        path = os.path.join(cls.folder, name)
        result = subprocess.run([sys.executable, GRADE, "--make-autograder", path, *options], capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return path

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.folder, ignore_errors=True)

    def test_contents(self):
        with zipfile.ZipFile(self.zip) as z:
            names = set(z.namelist())
            modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
            setup = z.read("setup.sh").decode()
        self.assertLessEqual({"setup.sh", "run_autograder", "settings.json", "grade.py", "neuralnet.py", "compare.py",
                              "grader/probe.py", "grader/seccomp.py", "data/small_train.csv",
                              "data/unittest_data.pk", "benchmarks/naive_neuralnet.py"}, names)
        package = os.path.join(HERE, "grader", "sandbox")  # a subpackage goes in whole
        self.assertLessEqual({f"grader/sandbox/{n}" for n in os.listdir(package) if n.endswith(".py")}, names)
        self.assertFalse(any(n.startswith("grader/test") or n == "tests.py" for n in names))
        self.assertTrue(modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR)
        self.assertIn("--only-binary=:all:", setup)  # the course's numpy, or the nearest newer wheel
        with zipfile.ZipFile(self.zip) as z:
            self.assertEqual(json.loads(z.read("settings.json"))["numpy"], "1.23.0")
        self.assertIn("useradd", setup)
        for script in ("setup.sh", "run_autograder"):
            self.assertEqual(subprocess.run(["bash", "-n", os.path.join(HERE, "grader", "gradescope", script)]
                                            ).returncode, 0, script)

    def test_a_bad_setting_fails_the_build_with_one_line(self):
        for options, message in ((["--points", "api=10,tests=5"], "--points: unknown section 'tests'"),
                                 (["--points", "api=-3"], "--points: api='-3': expected a number of points"),
                                 (["--visibility", "cli=soon"], "--visibility: cli='soon': expected one of"),
                                 (["--total-points", "60", "--points", "api=10,trace=10,cli=35"],
                                  "--points: the sections add up to 55 points, not --total-points 60"),
                                 (["--points", "api=10,cli=45"], "--points: no points given for trace"),
                                 (["--points", "api=10,trace=10,cli=35", "--points", "api=5,trace=5,cli=45"],
                                  "--points is given twice (api=10,trace=10,cli=35 and api=5,trace=5,cli=45)"),
                                 (["--numpy", "1.26.4", "--numpy", "1.23.5"], "--numpy is given twice"),
                                 (["--timeout", "30", "--timeout", "60"], "--timeout is given twice"),
                                 (["--visibility", "api=hidden", "--visibility", "api=visible"],
                                  "--visibility: api is set twice, by api=hidden and api=visible"),
                                 (["--numpy", "9.9.9"], "--numpy 9.9.9: not a numpy release this grader knows"),
                                 (["--image-python", "3.12", "--numpy", "1.23.0"],
                                  "--numpy 1.23.0: no wheel for the image's Python 3.12"),
                                 (["--image-python", "3.8"], "--image-python 3.8: grade.py runs on Python 3.9"),
                                 (["--timeout", "60", "--total-timeout", "20"],
                                  "--total-timeout 20 is less than --timeout 60")):
            with self.subTest(options=options):
                path = os.path.join(self.folder, "bad.zip")
                result = subprocess.run([sys.executable, GRADE, "--make-autograder", path, *options],
                                        capture_output=True, text=True, timeout=60)
                self.assertEqual(result.returncode, 2)
                self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
                self.assertIn(message, result.stderr)
                self.assertFalse(os.path.exists(path))

    def test_settings_that_merge_or_give_way_build_and_say_so(self):
        path = os.path.join(self.folder, "merged.zip")
        result = subprocess.run([sys.executable, GRADE, "--make-autograder", path, "--visibility", "api=hidden",
                                 "--visibility", "cli-medium=after_due_date", "--image-python", "3.12", "--timeout",
                                 "20"], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("held back: api hidden, cli-medium after_due_date; Python 3.12 with numpy 1.26.4; 20 s per run, "
                      "150 s for the whole grade", result.stdout)
        warnings = result.stderr.splitlines()
        self.assertEqual(len(warnings), 2, result.stderr)
        self.assertTrue(warnings[0].startswith("grade.py: warning: the image runs Python 3.12, not the handout's 3.9"))
        self.assertEqual(warnings[1], "grade.py: warning: numpy 1.26.4 for Python 3.12: the handout's 1.23.0 has no "
                                      "wheel for it")
        with zipfile.ZipFile(path) as z:
            bundled = json.loads(z.read("settings.json"))
            run_autograder = z.read("run_autograder").decode()
        self.assertEqual((bundled["python"], bundled["numpy"], bundled["timeout"], bundled["total_timeout"]),
                         ("3.12", "1.26.4", 20, 150))
        self.assertNotIn("--timeout", run_autograder)  # the time is the bundle's setting, read with --config
        os.remove(path)

    def autograde(self, source, bundle=None):
        """run_autograder on a submission, in a fresh AUTOGRADER_ROOT: (its results.json, seconds)."""
        root = tempfile.mkdtemp(prefix="autograder-")
        self.addCleanup(shutil.rmtree, root, True)
        with zipfile.ZipFile(bundle or self.zip) as z:
            z.extractall(os.path.join(root, "source"))
        shutil.copyfile(os.path.join(root, "source", "run_autograder"), os.path.join(root, "run_autograder"))
        os.makedirs(os.path.join(root, "submission"))
        os.makedirs(os.path.join(root, "results"))
        with open(os.path.join(root, "submission", "neuralnet.py"), "w") as f:
            f.write(source)
        env = {**os.environ, "AUTOGRADER_ROOT": root, "SUBMISSION_PYTHON": Isolation.python,
               "GRADER_USER": Isolation.user, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
               "NEURALNET_DATA": ""}
        started = time.monotonic()
        result = subprocess.run(["bash", os.path.join(root, "run_autograder")], capture_output=True, text=True,
                                timeout=400, env=env, cwd=root)
        self.assertEqual(result.returncode, 0, result.stderr)
        seconds = time.monotonic() - started
        if AS_ROOT:
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(root, "source")).st_mode) & 0o077, 0)
        time.sleep(0.5)
        with open(os.path.join(root, "results", "results.json")) as f:
            results = json.load(f)
        assert_valid_results(self, results)
        return results, seconds

    def test_this_project_gets_full_marks(self):
        with open(NEURALNET) as f:
            results, _ = self.autograde(f.read())
        self.assertEqual(results["score"], 55)  # the handout's programming points
        self.assertEqual(round(sum(t["max_score"] for t in results["tests"]), 6), 55)
        self.assertTrue(all(t["visibility"] == "visible" for t in results["tests"]))
        self.assertNotIn("held back", results["output"])

    def test_custom_points_and_visibility(self):
        with open(NEURALNET) as f:
            results, _ = self.autograde(f.read(), self.custom)
        by_section = {}
        for test in results["tests"]:
            section = test["name"].split(":")[0]
            by_section[section] = round(by_section.get(section, 0) + test["max_score"], 6)
        self.assertEqual(by_section, {"env": 0, "api": 10, "trace": 10, "cli": 35})
        self.assertEqual(results["score"], 55)
        cli = {t["name"].split()[0]: t["visibility"] for t in results["tests"] if t["name"].startswith("cli")}
        self.assertEqual(cli, {"cli:small": "visible", "cli:medium": "after_due_date"})
        self.assertIn("this score is not final", results["output"])
        self.assertTrue(results["output"].startswith("score on the tests shown now: 45.76/45.76 ("))  # not medium

    def test_a_catalogued_mistake_is_named(self):
        results, _ = self.autograde(naive_with("no-shuffle"))
        self.assertLess(results["score"], 55)
        outputs = "\n".join(t["output"] for t in results["tests"])
        self.assertEqual(set(re.findall(r"mistake: ([\w-]+):", outputs)), {"no-shuffle"})
        named = {m for t in results["tests"] for m in t.get("extra_data", {}).get("mistakes", [])}
        self.assertEqual(named, {"no-shuffle"})

    @unittest.skipUnless(AS_ROOT, NEEDS_ROOT)
    def test_a_hostile_submission(self):
        results, _ = self.autograde(HOSTILE["forge"])
        self.assertEqual(results["score"], 0)
        self.assertIn("no value for", "\n".join(t["output"] for t in results["tests"]))


class TestGradeFailures(unittest.TestCase):
    """grade.py's own failures still leave a results.json, and nothing else written by it."""

    def test_an_error_of_the_grader_still_writes_results(self):
        empty = private_folder()  # NEURALNET_DATA naming a folder without the data
        with open(NEURALNET) as f:
            result, results, _ = run_grade(f.read(), "--quick", env={"NEURALNET_DATA": empty})
        self.assertEqual(result.returncode, 2)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("grade.py: error:", result.stderr)
        self.assertIn("small_train.csv", result.stderr)
        assert_valid_results(self, results)
        self.assertEqual(results["score"], 0)
        self.assertIn("the grader failed", results["output"])
        if AS_ROOT:  # (not as root, the submissions' user is the one running these tests)
            self.assertEqual(user_processes(), [])

    def test_not_as_root_a_detached_child_is_still_killed(self):
        """Run as an ordinary user, grade.py is not isolated, but orphans come back to it and are killed."""
        if not AS_ROOT:
            result, results, seconds = run_grade(HOSTILE["detached child"], *BUDGET)
        else:  # become an ordinary user: grade.py unpacked where that user can read it
            folder = unpacked_grader(self, "grade-user-")
            os.chmod(folder, 0o777)  # the ordinary user writes results.json there
            with open(f"{folder}/neuralnet_submitted.py", "w") as f:
                f.write(HOSTILE["detached child"])
            os.chmod(f"{folder}/neuralnet_submitted.py", 0o644)
            started = time.monotonic()
            result = subprocess.run(["setpriv", f"--reuid={Isolation.user}", f"--regid={Isolation.group}",
                                     "--clear-groups", Isolation.python, f"{folder}/source/grade.py",
                                     f"{folder}/neuralnet_submitted.py", "--json", f"{folder}/results.json", *BUDGET],
                                    capture_output=True, text=True, timeout=120, cwd=folder,
                                    env={"PATH": os.environ["PATH"], "HOME": folder})
            seconds = time.monotonic() - started
            with open(f"{folder}/results.json") as f:
                results = json.load(f)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("not isolated: grade.py is not running as root", result.stdout)
        self.assertLess(seconds, 30)
        assert_valid_results(self, results)
        self.assertEqual(results["score"], 0)
        if AS_ROOT:  # (as another user, the test's own processes would be listed too)
            time.sleep(0.5)
            self.assertEqual(user_processes(), [])



# ----------------------------------------------------------------------------
# The README's and docs/' console blocks that run grade.py, as a student runs them
# ----------------------------------------------------------------------------

def project_copy(test: unittest.TestCase, prefix: str) -> str:
    """A temporary folder holding what grade.py needs of the project (removed after the test), for the docs' blocks."""
    folder = tempfile.mkdtemp(prefix=prefix)
    test.addCleanup(shutil.rmtree, folder, True)
    for name in ("neuralnet.py", "compare.py", "course_data.py", "grade.py", "data", "grader", "benchmarks"):
        source = os.path.join(HERE, name)
        (shutil.copytree if os.path.isdir(source) else shutil.copyfile)(source, os.path.join(folder, name))
    return folder


class TestDocumentedGrades(unittest.TestCase):
    """Each shown grade.py output is what grade.py prints, for a normal user (as root: the one made here)."""

    def test_shown_outputs_are_what_grade_py_prints(self):
        blocks = [(document, steps) for document, steps in console_blocks() if runs_grade(steps)]
        self.assertGreaterEqual(len(blocks), 3)
        for document, steps in blocks:
            with self.subTest(document, command=steps[-1][0]):
                folder = project_copy(self, "grade-docs-")
                os.chmod(folder, 0o777)  # the user writes its outputs there
                subprocess.run(["chmod", "-R", "a+rX", folder], check=True)
                python = [Isolation.python]
                if AS_ROOT:
                    python = ["setpriv", f"--reuid={Isolation.user}", f"--regid={Isolation.group}", "--clear-groups",
                              *python]
                assert_console_block(self, steps, folder, python)


class TestStaffGuide(unittest.TestCase):
    """docs/staff.md's ```sh blocks run as printed, each as one bash script, in a folder holding the project, as root
    as its reader runs them; each leaves nothing behind. (Its ```console blocks are TestDocumentedGrades'.)"""

    @unittest.skipUnless(AS_ROOT, "the staff guide's commands try the bundle as root, as its reader does (CI runs "
                                  "this suite as root)")
    def test_every_sh_block_runs_as_printed(self):
        with open(os.path.join(HERE, "docs", "staff.md")) as f:
            blocks = re.findall(r"^```sh\n(.*?)^```$", f.read(), re.M | re.S)
        self.assertGreaterEqual(len(blocks), 1)
        for block in blocks:
            with self.subTest(block=block.splitlines()[0]):
                folder = project_copy(self, "grade-staff-")
                before = sorted(os.listdir(folder))
                result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=folder, capture_output=True,
                                        text=True, timeout=1800)
                self.assertEqual(result.returncode, 0, result.stdout[-3000:] + result.stderr[-3000:])
                self.assertEqual(sorted(os.listdir(folder)), before, "left behind")
                if "run_autograder" in block:  # the bundle tried: full marks, the ending carried as data
                    self.assertRegex(result.stdout, r"setup\.sh: numpy \d+\.\d+\.\d+")
                    self.assertEqual(result.stdout.splitlines()[-1],
                                     "55 {'ended': 'graded', 'detail': 'every check passed'}")


# ----------------------------------------------------------------------------
# Students' platforms, simulated (grader/test_checks.py has the wrappers)
# ----------------------------------------------------------------------------

class TestGradePlatforms(unittest.TestCase):
    """A --quick grade as a normal user, on Linux and under each simulation: the same report but its header."""

    def grade_as_a_student(self, folder, submission, simulation=None):
        """grade.py (unpacked in folder) on a submission, as a normal user: the report without its header."""
        command = [Isolation.python]
        if simulation:
            wrapper = os.path.join(folder, f"{simulation}.py")
            with open(wrapper, "w") as f:
                f.write(SIMULATIONS[simulation])
            os.chmod(wrapper, 0o644)
            command.append(wrapper)
        command += [f"{folder}/source/grade.py", submission, "--quick"]
        if AS_ROOT:  # a normal user: the one made for these tests
            command = ["setpriv", f"--reuid={Isolation.user}", f"--regid={Isolation.group}", "--clear-groups",
                       *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=folder,
                                env={"PATH": os.environ["PATH"], "HOME": folder})
        self.assertIn(result.returncode, (0, 1), result.stdout + result.stderr)
        lines = result.stdout.splitlines()
        self.assertTrue(lines[1].startswith("not isolated: grade.py is not running as root"), lines[1])
        self.assertTrue(lines[2].startswith("limits: "), lines[2])
        return lines[0:1] + lines[3:], lines[1:3]

    def test_the_report_is_the_same_on_each_platform(self):
        folder = unpacked_grader(self, "grade-platforms-")
        for name, source in (("correct", NEURALNET), ("mistake", None)):
            submission = os.path.join(folder, f"{name}.py")
            if source:
                shutil.copyfile(source, submission)
            else:
                with open(submission, "w") as f:
                    f.write(naive_with("shuffle-seed-offset"))
            os.chmod(submission, 0o644)
            linux, _ = self.grade_as_a_student(folder, submission)
            self.assertIn("score: 50/50" if name == "correct" else "mistake: shuffle-seed-offset:", "\n".join(linux))
            for simulation in SIMULATIONS:
                with self.subTest(name, simulation=simulation):
                    report, header = self.grade_as_a_student(folder, submission, simulation)
                    self.assertEqual(report, linux)
                    if simulation == "Windows":  # the portable runner: a time limit only
                        self.assertEqual(header[1], "limits: 60 s per run, 50 s for the whole grade")


# ----------------------------------------------------------------------------
# Real students' code: accepted as the course accepts it, its mistakes named
# ----------------------------------------------------------------------------

class TestGradeRealCode(unittest.TestCase):
    """What public student solutions do, graded as the course grades them."""

    def test_row_and_column_vectors_get_full_marks(self):
        for shape in SHAPES:
            with self.subTest(shape):
                result, results, _ = run_grade(student_source(shape), "--quick")
                self.assertEqual(result.returncode, 0, result.stdout)
                self.assertEqual(results["score"], 50)
                self.assertNotIn("mistake:", result.stdout)
                self.assertNotIn("WARN", result.stdout)

    def test_a_loss_within_the_course_tolerance_passes_with_a_note(self):
        source = student_source("row", ("float(-np.log(y_hat.reshape(-1)[y]))",
                                        "float(-np.log(y_hat.reshape(-1)[y] + 1e-10))"))
        result, results, _ = run_grade(source, "--quick")
        self.assertEqual(results["score"], 50, result.stdout)
        forward = next(t for t in results["tests"] if t["name"] == "api:SoftMaxCrossEntropy.forward")
        self.assertRegex(forward["output"], r"^note: SoftMaxCrossEntropy.forward loss: within the course's "
                                            r"tolerance \(rtol 1e-07\), but up to \d\.?\d*e-10 relative from this "
                                            r"project's values$")

    def test_failures_show_the_digits_that_differ(self):
        source = student_source("row", ("float(-np.log(y_hat.reshape(-1)[y]))",
                                        "float(-np.log(y_hat.reshape(-1)[y] + 1e-6))"))
        result, results, _ = run_grade(source, "--quick")
        forward = next(t for t in results["tests"] if t["name"] == "api:SoftMaxCrossEntropy.forward")
        expected, got = re.search(r"expected (\S+), got (\S+) ", forward["output"]).groups()
        self.assertNotEqual(expected, got)

    def test_each_real_mistake_is_named(self):
        for mistake, (source, says) in REAL_MISTAKES.items():
            with self.subTest(mistake):
                result, results, _ = run_grade(source, "--quick")
                self.assertIn(f"mistake: {mistake}:", result.stdout)
                self.assertIn(says, result.stdout)
                assert_valid_results(self, results)
                if mistake == "import-side-effects":  # and the import fails saying why
                    self.assertIn("'(no argument: the grader imported the file, it did not run it)'", result.stdout)

    def test_random_init_failures_say_what_differs(self):
        unseeded = student_source("column", ("    np.random.seed(M * D)\n", ""))
        result, _, _ = run_grade(unseeded, "--quick")
        self.assertIn("random_init((6, 7)): two calls give different values: it is not seeded", result.stdout)

    def test_a_cross_entropy_identical_in_every_epoch(self):
        frozen = naive_variant(("            alpha = alpha - lr * g_alpha\n            beta = beta - lr * g_beta\n",
                                ""))
        result, _, _ = run_grade(frozen, "--quick")
        self.assertRegex(result.stdout, r"the training cross-entropy is \S+ in every epoch: the weights never change")

    def test_env_warnings_cost_no_points(self):
        source = student_source("column", ("import sys\n", "import sys\n\nimport matplotlib\n"),
                                ("def zero_init(shape):", "def zero_init(shape: tuple | None):"))
        result, results, _ = run_grade(source, "--quick")
        self.assertIn("WARN  env:imports only the standard library and numpy, in Python 3.9 syntax  [no points]",
                      result.stdout)
        self.assertIn("imports matplotlib (line 3): the autograder has only Python 3.9's standard library and numpy, "
                      "not matplotlib", result.stdout)
        self.assertIn("a type written X | Y", result.stdout)
        env = [t for t in results["tests"] if t["name"].startswith("env:")]
        self.assertEqual({t["max_score"] for t in env}, {0})


class TestGradeExport(unittest.TestCase):
    """A class as Gradescope's export lays it out (grader/test_submissions.py export_class, 10 of its 21 uploads),
    graded at once: a line each saying how its grade ended, a summary, a CSV row per student and the reports."""

    CHOSEN = ("student code, column vectors, a group of two", "catalogued: shuffle-seed-offset, a group of three",
              "uncatalogued: the sigmoid's derivative without (1 - z)", "misnamed: neuralnet (1).py",
              "an empty upload", "a zip inside the upload", "a syntax error",
              "a crash: the shuffle seeded with epoch - 1", "a hang at import",
              "a zipped folder, unpacked by Gradescope")

    def test_an_export_gets_a_row_per_student_and_says_how_each_ended(self):
        everyone, described = submissions.export_class()
        folders = {folder: entry for (folder, entry), what in zip(everyone.items(), described) if what in self.CHOSEN}
        self.assertEqual(len(folders), len(self.CHOSEN))
        root = private_folder()
        exported = os.path.join(root, "assignment_31415_export")
        submissions.write_export(exported, folders)
        table, reports = os.path.join(root, "class.csv"), os.path.join(root, "reports")
        # (as root, no --user: each grade runs its submission as a uid of its own, so two run at once)
        # (5 s per run for the hang, and time enough for the diagnoses, two at once on a busy machine)
        result = subprocess.run([sys.executable, GRADE, exported, "--quick", "--timeout", "5", "--total-timeout",
                                 "300", "--python", Isolation.python, "--jobs", "2", "--csv", table, "--reports",
                                 reports],
                                capture_output=True, text=True, timeout=900)
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        header, _, rest = result.stdout.partition("\nsubmission_")
        self.assertTrue(header.startswith("grading 10 uploads, 2 at a time"), header)
        self.assertEqual("not isolated: grade.py is not running as root" in header, not AS_ROOT)
        lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("submission_")}
        for folder, (kind, _, people) in folders.items():
            with self.subTest(folder=folder, kind=kind):
                self.assertRegex(lines[folder], rf"^{folder}  {re.escape(people[0][0])} .* {kind} +mistakes: ")
        summary = result.stdout.split("class summary:")[1]
        self.assertIn("10 uploads (13 students): 4 graded, 1 crashed, 1 timed out, 1 did not import, 3 not graded",
                      summary)
        self.assertRegex(summary, r"\n  shuffle-seed-offset +1\n")
        self.assertRegex(summary, r"failures no catalogued mistake explains \(uploads, by first failing check\):"
                                  r"\n  api:Sigmoid.backward +1\n")
        self.assertIn("is an archive, which is not unpacked here: upload neuralnet.py itself", summary)
        with open(table, newline="") as f:
            rows = list(csv.DictReader(f))
        expected = sorted((name, sid, email, folder, kind) for folder, (kind, _, people) in folders.items()
                          for name, sid, email in people)
        self.assertEqual([(r["name"], r["sid"], r["email"], r["submission"], r["ended"]) for r in rows], expected)
        self.assertTrue(all(r["detail"] for r in rows), "every row says why")
        self.assertEqual({r["max_score"] for r in rows}, {"50"})
        self.assertEqual(sorted(os.listdir(reports)), sorted(f"{sid}.{kind}" for _, (_, _, people) in folders.items()
                                                            for _, sid, _ in people for kind in ("txt", "json")))


def load_tests(loader, standard_tests, pattern):
    """This file's tests, and those of the explanations of crashes and of the handout's functions, which live beside
    it (grader/test_explain.py): both are the grader's suite."""
    from grader import test_explain
    standard_tests.addTests(loader.loadTestsFromModule(test_explain))
    return standard_tests
