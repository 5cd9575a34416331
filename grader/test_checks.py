"""The grader's in-process parts: its checks, the catalog, the source checks, the report.

Part of the student's suite (python3 -m unittest tests loads this module): nothing
here runs grade.py or a sandbox. The end-to-end tests are in grader/test_grader.py.
"""
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

import numpy as np

import compare
from grader import catalog, checks
from grader.test_submissions import NAIVE_MISTAKES, REAL_MISTAKES, naive_with
from tests import DATA, HERE, NEURALNET, OUTPUT_NAMES

# ----------------------------------------------------------------------------
# The checks and the catalog, in-process
# ----------------------------------------------------------------------------

class TestGradeChecks(unittest.TestCase):
    """The api and trace checks judge values; the probe only returns them."""

    @classmethod
    def setUpClass(cls):
        cls.checks = checks.all_checks(DATA)

    def load(self, source):
        tmp = tempfile.mkdtemp(prefix="grade-test-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "neuralnet.py")
        with open(path, "w") as f:
            f.write(source)
        from grader import probe
        module = probe.load_submission(path)
        self.addCleanup(sys.modules.pop, "submission", None)
        return dict(zip((c.name for c in self.checks), checks.run_in_process(module, self.checks)))

    def failures(self, source):
        """{check name: why it fails}, None for a pass."""
        return {name: None if v.passed else v.text for name, v in self.load(source).items()}

    def test_this_project_passes_every_check(self):
        with open(NEURALNET) as f:
            self.assertEqual(set(self.load(f.read()).values()), {(True, "")})

    def test_api_and_trace_locate_a_sign_error_in_step(self):
        with open(NEURALNET) as f:  # Linear.step replaced after the class: w += lr * dw
            source = f.read() + "\n\ndef _ascent(self):\n    self.w = self.w + self.lr * self.dw\n\n\n" \
                                "Linear.step = _ascent\n"
        failures = self.failures(source)
        self.assertEqual(sorted(name for name, why in failures.items() if why), ["api:Linear.step", "api:NN.train",
                                                                                  checks.TRACE_NAME])
        self.assertIn("Linear.w after step (w - learning_rate * dw)", failures["api:Linear.step"])
        self.assertRegex(failures[checks.TRACE_NAME],
                         r"^step 1 \(training row \d+, label \d\): linear2.w after step differs first at "
                         r"row 0, column 0 \(the bias column\): expected -?0\.\d+, got -?0\.\d+")

    def test_a_missing_name_is_a_failing_check(self):
        failures = self.failures("import numpy as np\n\ndef zero_init(shape):\n    return np.zeros(shape)\n")
        self.assertIsNone(failures["api:zero_init"])
        self.assertEqual(failures["api:Linear.forward"], "missing: Linear")
        self.assertEqual(failures["api:random_init"], "missing: random_init")
        self.assertEqual(failures[checks.TRACE_NAME], "before the first step: missing: NN")

    def test_values_that_are_not_numbers(self):
        failures = self.failures("def zero_init(shape):\n    return 'zeros'\n")
        self.assertEqual(failures["api:zero_init"], "3x4: returned str, not numbers")

    def test_forged_values_decide_nothing(self):
        """Values claiming a pass, or the expected keys with wrong numbers, fail."""
        forged = {f"{checks.slot(i, c)}/verdict": np.array("passed") for i, c in enumerate(self.checks)}
        self.assertFalse(any(v.passed for v in checks.verdicts(self.checks, forged)))
        zeros = {f"{checks.slot(i, c)}/{key}": np.zeros(1) for i, c in enumerate(self.checks)
                 for key in ("output", "dw", "w", "y_hat", "loss", "3x4")}
        self.assertFalse(any(v.passed for c, v in zip(self.checks, checks.verdicts(self.checks, zeros))
                             if c.name != "api:zero_init"))


class TestGradeDiagnosis(unittest.TestCase):
    """Each catalog mistake recognised, in-process, on a small configuration."""

    @classmethod
    def setUpClass(cls):
        cls.data = checks.load_datasets(DATA, ["small"])
        cls.config = checks.Config("small", 3, 5, 1, 0.1)
        # What this project writes with a given set of mistakes depends on nothing else: each set is
        # trained once for the whole class, not once per diagnosis that tries it.
        trained = {}
        real_outputs_with = catalog.outputs_with

        def outputs_with(config, data, mistakes=()):
            key = (config, tuple(m.id for m in mistakes))
            if key not in trained:
                trained[key] = real_outputs_with(config, data, mistakes)
            return trained[key]
        cls.memo = mock.patch.object(catalog, "outputs_with", outputs_with)
        cls.memo.start()

    @classmethod
    def tearDownClass(cls):
        cls.memo.stop()

    def submission_outputs(self, source, config):
        with tempfile.TemporaryDirectory() as tmp:
            program = os.path.join(tmp, "neuralnet.py")
            with open(program, "w") as f:
                f.write(source)
            paths = [os.path.join(tmp, n) for n in OUTPUT_NAMES]
            result = subprocess.run([sys.executable, program, f"{DATA}/small_train.csv",
                                     f"{DATA}/small_validation.csv", *paths,
                                     *map(str, config[1:5])], capture_output=True, text=True, timeout=120)
            self.assertEqual(result.returncode, 0, result.stderr)
            return (compare.read_labels(paths[0]), compare.read_labels(paths[1]), compare.read_metrics(paths[2]))

    def test_catalog_has_the_required_ids(self):
        self.assertEqual(sorted(m.id for m in catalog.CATALOG), sorted(NAIVE_MISTAKES))
        self.assertEqual(sorted(m.id for m in catalog.DIAGNOSED), sorted(REAL_MISTAKES.keys() - NAIVE_MISTAKES.keys()))

    def test_each_mistake_is_named_exactly(self):
        for mistake in NAIVE_MISTAKES:
            with self.subTest(mistake):
                got = self.submission_outputs(naive_with(mistake), self.config)
                self.assertEqual(catalog.diagnose(self.config, got, self.data, 1e-6), [(mistake,)])

    def test_two_mistakes_together(self):
        got = self.submission_outputs(naive_with("no-shuffle", "loss-summed"), self.config)
        self.assertEqual(catalog.diagnose(self.config, got, self.data, 1e-6), [("no-shuffle", "loss-summed")])

    def test_a_mistake_that_goes_to_nan(self):
        config = checks.Config("small", 4, 7, 1, 3.0)
        got = self.submission_outputs(naive_with("sigmoid-grad-of-a"), config)
        self.assertTrue(any(math.isnan(v) for _, v in got[2]))
        self.assertEqual(catalog.diagnose(config, got, self.data, 1e-6), [("sigmoid-grad-of-a",)])

    def test_correct_outputs_get_no_mistake(self):
        for config in checks.CONFIGS:
            if config.dataset == "small":
                with self.subTest(config.describe()):
                    got = checks.expected_outputs(config, self.data)
                    self.assertEqual(catalog.diagnose(config, got, self.data, 1e-6), [])
        got = self.submission_outputs(naive_with(), self.config)  # an independent correct one
        self.assertEqual(catalog.diagnose(self.config, got, self.data, 1e-6), [])


# ----------------------------------------------------------------------------
# Students' platforms, simulated: no macOS or Windows machine is here
# ----------------------------------------------------------------------------

# Each runs the script named by its first argument (with the rest as its arguments) as
# that platform would, in what matters to the grader: macOS's libc has no prctl, unshare,
# setns or mount and macOS has no /proc; Windows's Python has no resource, fcntl, pwd,
# grp, termios or pty. Neither simulates the other platform's kernel.
_RUN_SCRIPT = '''
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[0])))
runpy.run_path(sys.argv[0], run_name="__main__")
'''
SIMULATIONS = {
    "macOS": '''import ctypes, os, runpy, sys
LINUX_ONLY = ("prctl", "unshare", "setns", "mount")
real_cdll, real_listdir = ctypes.CDLL, os.listdir


class LibcWithoutLinux:
    def __init__(self, lib):
        self._lib = lib

    def __getattr__(self, name):
        if name in LINUX_ONLY:
            raise AttributeError(f"dlsym(RTLD_DEFAULT, {name}): symbol not found")
        return getattr(self._lib, name)


def cdll(name, *args, **kwargs):
    lib = real_cdll(name, *args, **kwargs)
    return LibcWithoutLinux(lib) if name is None else lib


def listdir(path="."):
    if str(path).rstrip("/") == "/proc" or str(path).startswith("/proc/"):
        raise FileNotFoundError(2, "No such file or directory", path)
    return real_listdir(path)


ctypes.CDLL, os.listdir = cdll, listdir
''' + _RUN_SCRIPT,
    "Windows": '''import os, runpy, sys
for name in ("resource", "fcntl", "pwd", "grp", "termios", "pty"):
    sys.modules[name] = None  # import name raises ImportError
''' + _RUN_SCRIPT,
}


class TestPlatforms(unittest.TestCase):
    """grade.py where the Linux-only modules are missing (the end-to-end grades: grader/test_grader.py)."""

    def test_import_grade_without_the_posix_only_modules(self):
        with tempfile.TemporaryDirectory() as tmp:
            wrapper = os.path.join(tmp, "windows.py")
            with open(wrapper, "w") as f:
                f.write(SIMULATIONS["Windows"])
            code = ("import sys; sys.path.insert(0, sys.argv[1]); import grade\n"
                    "from grader import runner\n"
                    "limits = runner.Limits(10, 50, 1 << 30, 1 << 20, 64, 10, 1 << 20)\n"
                    "with runner.make_runner(sys.executable, 'nobody', limits, []) as r:\n"
                    "    print(type(r).__name__, type(r.processes).__name__, r.describe_limits())\n"
                    "print(sorted(m for m in ('grader.sandbox', 'fcntl', 'pwd', 'resource') if sys.modules.get(m)))\n")
            with open(os.path.join(tmp, "which.py"), "w") as f:
                f.write(code)
            result = subprocess.run([sys.executable, wrapper, os.path.join(tmp, "which.py"), HERE],
                                    capture_output=True, text=True, timeout=60, cwd=tmp)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), ["Runner PosixProcesses 10 s per run, 50 s for the whole grade",
                                                      "[]"])
