"""The grader's in-process parts: its checks, the catalog, the source checks, the report.

Part of the student's suite (python3 -m unittest tests loads this module): nothing
here runs grade.py or a sandbox. The end-to-end tests are in grader/test_grader.py.
"""
import io
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest
import zipfile
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import numpy as np

import compare
from grader import api, catalog, env, outputs, probe, report, runner, runs, settings
from grader.report import Result, why_run_failed
from grader.test_submissions import NAIVE_MISTAKES, REAL_MISTAKES, naive_with
from grader.testing import DATA, HERE, NEURALNET, OUTPUT_NAMES

# ----------------------------------------------------------------------------
# The checks and the catalog, in-process
# ----------------------------------------------------------------------------

class TestGradeChecks(unittest.TestCase):
    """The api and trace checks judge values; the probe only returns them."""

    @classmethod
    def setUpClass(cls):
        cls.checks = api.all_checks(DATA)

    def load(self, source):
        tmp = tempfile.mkdtemp(prefix="grade-test-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "neuralnet.py")
        with open(path, "w") as f:
            f.write(source)
        from grader import probe
        module = probe.load_submission(path)
        self.addCleanup(sys.modules.pop, "submission", None)
        return dict(zip((c.name for c in self.checks), api.run_in_process(module, self.checks)))

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
                                                                                  api.TRACE_NAME])
        self.assertIn("Linear.w after step (w - learning_rate * dw)", failures["api:Linear.step"])
        self.assertRegex(failures[api.TRACE_NAME],
                         r"^step 1 \(training row \d+, label \d\): linear2.w after step differs first at "
                         r"row 0, column 0 \(the bias column\): expected -?0\.\d+, got -?0\.\d+")

    def test_a_missing_name_is_a_failing_check(self):
        failures = self.failures("import numpy as np\n\ndef zero_init(shape):\n    return np.zeros(shape)\n")
        self.assertIsNone(failures["api:zero_init"])
        self.assertEqual(failures["api:Linear.forward"], "missing: Linear")
        self.assertEqual(failures["api:random_init"], "missing: random_init")
        self.assertEqual(failures[api.TRACE_NAME], "before the first step: missing: NN")

    def test_values_that_are_not_numbers(self):
        failures = self.failures("def zero_init(shape):\n    return 'zeros'\n")
        self.assertEqual(failures["api:zero_init"], "3x4: returned str, not numbers")

    def test_forged_values_decide_nothing(self):
        """Values claiming a pass, or the expected keys with wrong numbers, fail."""
        forged = {f"{api.slot(i, c)}/verdict": np.array("passed") for i, c in enumerate(self.checks)}
        self.assertFalse(any(v.passed for v in api.verdicts(self.checks, forged)))
        zeros = {f"{api.slot(i, c)}/{key}": np.zeros(1) for i, c in enumerate(self.checks)
                 for key in ("output", "dw", "w", "y_hat", "loss", "3x4")}
        self.assertFalse(any(v.passed for c, v in zip(self.checks, api.verdicts(self.checks, zeros))
                             if c.name != "api:zero_init"))


class TestGradeDiagnosis(unittest.TestCase):
    """Each catalog mistake recognised, in-process, on a small configuration."""

    @classmethod
    def setUpClass(cls):
        # The small set's first 100 training and 50 validation rows (every letter in both): each mistake is
        # as distinct there, and the catalog's trainings take a fifth of the time.
        cls.folder = tempfile.mkdtemp(prefix="grade-test-")
        for split, rows in (("train", 100), ("validation", 50)):
            with open(os.path.join(DATA, f"small_{split}.csv")) as f, \
                    open(os.path.join(cls.folder, f"small_{split}.csv"), "w") as out:
                out.writelines(f.readlines()[:rows])
        cls.data = runs.load_datasets(cls.folder, ["small"])
        cls.config = runs.Config("small", 3, 5, 1, 0.1)
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
        # Every submission these tests grade, run two at a time (the two cores) while the first tests diagnose.
        wanted = [((mistake,), cls.config) for mistake in NAIVE_MISTAKES] + [
            (("no-shuffle", "loss-summed"), cls.config), (("sigmoid-grad-of-a",), cls.NAN_CONFIG), ((), cls.config)]
        cls.pool = ThreadPoolExecutor(max_workers=2)
        cls.runs = {(mistakes, config): cls.pool.submit(cls.run_submission, naive_with(*mistakes), config)
                    for mistakes, config in wanted}

    NAN_CONFIG = runs.Config("small", 4, 7, 1, 3.0)

    @classmethod
    def tearDownClass(cls):
        cls.pool.shutdown()
        cls.memo.stop()
        shutil.rmtree(cls.folder, ignore_errors=True)

    @classmethod
    def run_submission(cls, source, config):
        """The submission's command line on config: its exit status, stderr and outputs."""
        with tempfile.TemporaryDirectory() as tmp:
            program = os.path.join(tmp, "neuralnet.py")
            with open(program, "w") as f:
                f.write(source)
            paths = [os.path.join(tmp, n) for n in OUTPUT_NAMES]
            result = subprocess.run([sys.executable, program, f"{cls.folder}/small_train.csv",
                                     f"{cls.folder}/small_validation.csv", *paths,
                                     *map(str, config[1:5])], capture_output=True, text=True, timeout=120)
            if result.returncode != 0:
                return result, None
            return result, (compare.read_labels(paths[0]), compare.read_labels(paths[1]),
                            compare.read_metrics(paths[2]))

    def submission_outputs(self, mistakes, config):
        """The outputs of benchmarks/naive_neuralnet.py with these mistakes made, on config."""
        result, outputs = self.runs[(tuple(mistakes), config)].result()
        self.assertEqual(result.returncode, 0, result.stderr)
        return outputs

    def test_catalog_has_the_required_ids(self):
        self.assertEqual(sorted(m.id for m in catalog.CATALOG), sorted(NAIVE_MISTAKES))
        self.assertEqual(sorted(m.id for m in catalog.DIAGNOSED), sorted(REAL_MISTAKES.keys() - NAIVE_MISTAKES.keys()))

    def test_rounded_metrics_are_told_from_values_written_in_full(self):
        ours = [("epoch=1 crossentropy(train)", 2.1415670910950144), ("epoch=1 crossentropy(validation)", 2.15),
                ("error(train)", 0.73), ("error(validation)", 0.72)]
        rounded = [(key, round(value, 4)) for key, value in ours]
        self.assertEqual(catalog.written_decimals(rounded), 4)
        said = catalog.metrics_rounded(rounded, ours, 1e-9)
        self.assertIn("1 of 4 values are this project's rounded to at most 4 decimals (epoch=1 crossentropy(train): "
                      "2.1416, where this project writes 2.1415670910950144)", said)
        self.assertAlmostEqual(catalog.rounding_tolerance(rounded, 1e-9), 5e-5)
        in_full = [(key, value + 1e-7) for key, value in ours]  # differs, but written in full: not rounding
        self.assertIsNone(catalog.written_decimals(in_full))
        self.assertEqual(catalog.metrics_rounded(in_full, ours, 1e-9), "")
        self.assertEqual(catalog.rounding_tolerance(in_full, 1e-9), 1e-9)
        beyond = [(rounded[0][0], 2.1417)] + rounded[1:]  # 4 decimals, but further off than rounding goes
        self.assertEqual(catalog.metrics_rounded(beyond, ours, 1e-9), "")
        self.assertEqual(catalog.metrics_rounded(ours, ours, 1e-9), "")  # nothing differs: nothing to name

    def test_each_mistake_is_named_exactly(self):
        for mistake in NAIVE_MISTAKES:
            with self.subTest(mistake):
                got = self.submission_outputs([mistake], self.config)
                self.assertEqual(catalog.diagnose(self.config, got, self.data, 1e-6), [(mistake,)])

    def test_two_mistakes_together(self):
        got = self.submission_outputs(["no-shuffle", "loss-summed"], self.config)
        self.assertEqual(catalog.diagnose(self.config, got, self.data, 1e-6), [("no-shuffle", "loss-summed")])

    def test_a_mistake_that_goes_to_nan(self):
        config = self.NAN_CONFIG
        got = self.submission_outputs(["sigmoid-grad-of-a"], config)
        self.assertTrue(any(math.isnan(v) for _, v in got[2]))
        self.assertEqual(catalog.diagnose(config, got, self.data, 1e-6), [("sigmoid-grad-of-a",)])

    def test_correct_outputs_get_no_mistake(self):
        for config in runs.CONFIGS:
            if config.dataset == "small":
                with self.subTest(config.describe()):
                    got = runs.expected_outputs(config, self.data)
                    self.assertEqual(catalog.diagnose(config, got, self.data, 1e-6), [])
        got = self.submission_outputs([], self.config)  # an independent correct one
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
                    "from grader import isolation, runner\n"
                    "limits = runner.Limits(10, 50, 1 << 30, 1 << 20, 64, 10, 1 << 20)\n"
                    "with isolation.make_runner(sys.executable, 'nobody', limits, []) as r:\n"
                    "    print(type(r).__name__, type(r.processes).__name__, r.describe_limits())\n"
                    "print(sorted(m for m in ('grader.sandbox', 'fcntl', 'pwd', 'resource') if sys.modules.get(m)))\n")
            with open(os.path.join(tmp, "which.py"), "w") as f:
                f.write(code)
            result = subprocess.run([sys.executable, wrapper, os.path.join(tmp, "which.py"), HERE],
                                    capture_output=True, text=True, timeout=60, cwd=tmp)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), ["Runner PosixProcesses 10 s per run, 50 s for the whole grade",
                                                      "[]"])


# ----------------------------------------------------------------------------
# The source checks, the report and its bounds, the values file, the settings
# ----------------------------------------------------------------------------

class TestGradeSource(unittest.TestCase):
    """The env: checks and the source diagnoses, read from the syntax tree."""

    def test_imports_syntax_and_side_effects(self):
        text = ("import sys\nimport numpy as np\nimport matplotlib.pyplot as plt\nfrom torch import nn\n"
                "from turtle import update\nimport distutils.log\n\n"
                "def zero_init(shape: tuple | None):\n    return np.zeros(shape)\n\nmain(sys.argv[1:])\n")
        tree = env.parse(text)
        only = "the autograder has only Python 3.9's standard library and numpy, not"
        self.assertEqual([f.text for f in env.outside_imports(tree)],
                         [f"imports matplotlib (line 3): {only} matplotlib", f"imports torch (line 4): {only} torch",
                          "imports turtle (line 5): turtle needs Tk (tkinter), which the autograder's Python lacks"])
        self.assertEqual(env.env_checks(text.encode())[0].mistakes, ("module-not-on-autograder",))
        self.assertIn("a type written X | Y", "\n".join(f.text for f in env.newer_syntax(text, tree)))
        self.assertIn("reads sys.argv (line 11)", catalog.import_side_effects(tree).text)
        self.assertIsNone(env.parse("def broken(:\n"))

    def test_this_project_reads_clean(self):
        with open(NEURALNET) as f:
            text = f.read()
        tree = env.parse(text)
        self.assertEqual((env.outside_imports(tree), env.newer_syntax(text, tree),
                          catalog.import_side_effects(tree), catalog.experiment_main(tree)), ([], [], None, []))


class TestGradeReport(unittest.TestCase):
    """What the submission writes reaches a person only escaped, cut, shown once, and within bounds."""

    def test_control_characters_are_escaped(self):
        self.assertEqual(report.escape("red \x1b[31m\x07 bell\r\n\ttab \x9b"),
                         "red \\x1b[31m\\x07 bell\\r\n\ttab \\x9b")

    def test_what_could_forge_a_line_is_escaped(self):
        """Line and paragraph separators, format characters (a right-to-left override), private-use and unassigned
        code points: escaped, in the text report and in results.json; letters of any script stay."""
        forged = "ValueError\u2028  PASS  cli:medium  [5/5]\u2029score: 55/55\u202e\u200b\ue000\U000e0080 é 中"
        escaped = report.escape(forged)
        self.assertEqual(escaped, "ValueError\\u2028  PASS  cli:medium  [5/5]\\u2029score: 55/55\\u202e\\u200b"
                                  "\\ue000\\U000e0080 é 中")
        self.assertEqual(escaped.splitlines(), [escaped])
        result = report.Result("cli:small", False, f"exit status 1{report.quote(forged)}", 4)
        shown = json.dumps(report.gradescope([], [result], 1.0), ensure_ascii=False) + report.text("x.py", [], [result])
        self.assertFalse(set(shown) & set("\u2028\u2029\u202e\u200b\ue000"))

    def test_a_quote_keeps_the_last_lines_each_cut(self):
        quoted = report.quote("\n".join(f"line {i} " + "x" * 500 for i in range(50)))
        lines = quoted.split("\n")[1:]
        self.assertEqual(len(lines), report.QUOTE_LINES + 1)
        self.assertEqual(lines[0], "  | (44 more lines)")
        self.assertTrue(lines[-1].startswith("  | line 49 xxx") and lines[-1].endswith("(308 more characters)"))

    def test_repeats_are_shown_once_and_referred_back(self):
        boom = "exit status 1" + report.quote("boom")
        results = [Result("api:a", False, boom, 1), Result("api:b", False, boom, 1),
                   Result("cli:small 1", False, "not run: time budget spent", 4),
                   Result("cli:small 2", False, boom, 4), Result("cli:small 3", False, "not run: time budget spent", 4)]
        text = report.text("s.py", [], results)
        self.assertEqual(text.count("boom"), 1)
        self.assertIn("(the same as above)", text)
        self.assertIn("(the same as api:a)", text)
        tests = report.gradescope([], results, 1.0)["tests"]
        self.assertEqual([t["output"] for t in tests], [boom, "(the same as api:a)", "not run: time budget spent",
                                                        "(the same as api:a)", "not run: time budget spent"])
        # a short line of the grader's own stays whole
        self.assertEqual(report.own_outputs(tests), [report.clean(r.output) for r in results])  # read back whole

    def test_results_json_stays_under_its_limit_whatever_the_outputs(self):
        flood = [Result(f"cli:small {i}", False, f"run {i}\n" + ("\x1b" + "y" * 999) * 100, 4) for i in range(40)]
        data = report.gradescope(["header"], flood, 1.0)
        size = len(json.dumps(data, indent=1).encode())
        self.assertLess(size, 64 * 1024)
        self.assertNotIn("\x1b", json.dumps(data, ensure_ascii=False))
        self.assertTrue(all(t["output"].startswith(f"run {i}") for i, t in enumerate(data["tests"])))

    def test_mistakes_and_held_back_tests_travel_as_data(self):
        line = catalog.mistake_line("no-shuffle")
        results = [Result("cli:small 1", False, line, 4, catalog.mistake_ids([line, "other"])),
                   Result("cli:medium 1", True, "", 5, (), "after_due_date")]
        data = report.gradescope(["header"], results, 1.0)
        self.assertEqual(data["tests"][0]["extra_data"], {"mistakes": ["no-shuffle"]})
        self.assertNotIn("extra_data", data["tests"][1])
        self.assertEqual(data["tests"][1]["visibility"], "after_due_date")
        self.assertEqual(data["output"].splitlines(), [
            "score on the tests shown now: 0/4 (0 of 1 checks passed)",
            f"fix first: {line.splitlines()[0]} (named under cli:small 1)", "header", report.HELD_BACK])
        hidden = [results[0]._replace(visibility="after_due_date"), results[1]._replace(visibility="visible")]
        self.assertEqual(report.gradescope([], hidden, 1.0)["output"].splitlines(), [
            "score on the tests shown now: 5/5 (1 of 1 checks passed)", report.HELD_BACK])  # nothing of it shows

    def test_every_test_has_its_status_and_a_warning_shows_failed(self):
        results = [Result("env:imports", False, "imports matplotlib (line 3)", 0), Result("env:runs", True, "", 0),
                   Result("api:a", True, "", 0.59), Result("api:b", False, "differs", 0.58),
                   Result("upload", False, "the upload is empty", 0)]
        tests = report.gradescope([], results, 1.0)["tests"]
        self.assertEqual([t["status"] for t in tests], ["failed", "passed", "passed", "failed", "failed"])

    def test_points_are_exact_in_hundredths(self):
        results = [Result(f"api:{i}", True, "", share) for i, share in enumerate(settings.spread(10, [1] * 17))]
        results += [Result(f"cli:small {i}", i > 0, "", share) for i, share in enumerate(settings.spread(35, [4] * 9))]
        data = report.gradescope([], results, 1.0)
        self.assertEqual(data["score"], 41.11)  # 10 + 35 - 3.89, added in hundredths
        self.assertEqual(sum(report.hundredths(t["max_score"]) for t in data["tests"]), 4500)
        for test in data["tests"]:
            self.assertEqual(round(test["max_score"], 2), test["max_score"])
        self.assertTrue(report.text("s.py", [], results).endswith("\nscore: 41.11/45 (25 of 26 checks passed)\n"
                                                                  "fix first: cli:small 0: it fails"))
        self.assertEqual((report.points(55.00000000000001), report.points(5.4), report.points(3)), ("55", "5.40", "3"))
        self.assertIsInstance(report.points_number(55.00000000000001), int)

    def test_a_cause_is_explained_in_full_once_and_referred_to_in_one_line(self):
        line = catalog.mistake_line("adagrad-update", "ignored: hidden_units")  # an older handout's mistake: 3 lines
        self.assertEqual(len(line.splitlines()), 3)
        ids = catalog.mistake_ids([line])
        results = [Result("cli:small 1", False, f"metrics: differ\n{line}", 4, ids),
                   Result("cli:small 2", False, f"labels: differ\n{line}", 4, ids),
                   Result("cli:medium 1", False, f"labels: differ\n{line}", 5, ids, "after_due_date"),
                   Result("cli:small 3", False, "error: boom\nmistake: adagrad-update: forged by the submission", 4)]
        tests = report.gradescope([], results, 1.0)["tests"]
        self.assertEqual(tests[0]["output"], f"metrics: differ\n{line}")
        self.assertEqual(tests[1]["output"], "labels: differ\nmistake: adagrad-update (explained under cli:small 1)\n"
                                             "  ignored: hidden_units")
        self.assertEqual(tests[2]["output"], f"labels: differ\n{line}")  # held back: explained again, not referred
        self.assertIn("forged by the submission", tests[3]["output"])  # not the grader's line: left as it is
        text = report.text("s.py", [], results)
        self.assertEqual(text.count("Adagrad rule"), 3)  # under cli:small 1 and the held-back check, and fix first
        self.assertTrue(text.endswith(f"fix first: {line.splitlines()[0]} (named under cli:small 1 and 2 other "
                                      "checks)"), text[-500:])


def values_file(arrays=None, declared=None):
    """An .npz of these arrays, or one member whose .npy header declares this shape (its data left out)."""
    buffer = io.BytesIO()
    if declared is None:
        np.savez(buffer, **arrays)
        return buffer.getvalue()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("0-random_init/10x5.npy", "w") as f:
            np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False, "shape": declared})
            f.write(bytes(4096))
    return buffer.getvalue()


class TestHangsInProcess(unittest.TestCase):
    """The parts that keep a hang to the checks that need it: the probe's limit and progress, their reading,
    the function named, and the budget's shortened times."""

    def test_a_probe_past_its_limit_is_interrupted_and_said_to_not_return(self):
        module = type(sys)("submission")
        exec(compile("def zero_init(shape):\n    while True:\n        pass\n", "neuralnet.py", "exec"),
             module.__dict__)
        module.__file__ = "neuralnet.py"
        with tempfile.TemporaryDirectory() as tmp:
            progress = probe.Progress(os.path.join(tmp, "progress.txt"), "neuralnet.py")
            values = probe.run_probe(module, "zero_init", {}, 0.3, progress, "2-zero_init")
            progress.file.close()
            with open(os.path.join(tmp, "progress.txt"), "rb") as f:
                read = api.read_progress(f.read())
        self.assertEqual(str(values[probe.ERROR]), "did not return within 0.3 s")
        self.assertEqual(list(read.hung), ["2-zero_init"])
        seconds, function, line = read.hung["2-zero_init"]
        self.assertEqual((seconds, function), (0.3, "zero_init"))
        self.assertIn(line, (2, 3))  # interrupted in the loop

    def test_progress_is_read_leniently(self):
        raw = (b"imported\nprobe 16-nn_train 0.5\ncall __init__ 269 0.5\ncall train 340 0.51\ngarbage \xff line\n"
               b"call x notaline 1\ndone 15-nn_forward_backward\nhung 17-nn_test 5 forward 230\n")
        read = api.read_progress(raw)
        self.assertTrue(read.imported)
        self.assertEqual(read.started, {"16-nn_train": 0.5})
        self.assertEqual(read.calls, {"16-nn_train": [("__init__", 269, 0.5), ("train", 340, 0.51)]})
        self.assertEqual(read.hung, {"17-nn_test": (5.0, "forward", 230)})
        self.assertEqual(read.done, {"15-nn_forward_backward"})
        self.assertFalse(api.read_progress(None).imported)

    def test_the_function_is_named_by_its_class(self):
        source = api.Source("class NN:\n    @staticmethod\n    def train(x):\n        while True:\n            pass\n"
                            "def train():\n    pass\n")
        self.assertEqual(api.function_at(source, "train", 2), "NN.train")  # its decorator's line, as Python says
        self.assertEqual(api.function_at(source, "train", 5), "NN.train")  # a line of its body
        self.assertEqual(api.function_at(source, "train", 6), "train")
        self.assertEqual(api.function_at(source, "gone", 9), "gone")

    def test_after_a_hang_runs_are_shortened_and_an_import_hang_stops_them(self):
        budget = runner.Budget(60, 150)
        self.assertEqual(budget.next_run()[0], 60)
        self.assertEqual(budget.timed_out(60, "the api checks"), "timed out after 60 s")
        self.assertEqual(budget.next_run()[0], 60)  # a timeout alone stops nothing: its cause is the caller's
        budget.hung("`NN.train` did not return", "api:NN.train")
        budget.hung("the run small 2 4 2 0.1 did not finish within 60 s", "cli:small 2 4 2 0.1")
        self.assertEqual(budget.hang, runner.Hang("`NN.train` did not return", "api:NN.train"))  # the first kept
        self.assertEqual((budget.shortened(0.1), budget.shortened(100), budget.shortened(call=True)), (4, 30, 5))
        self.assertEqual(budget.next_run(4)[0], 4)
        self.assertEqual(budget.timed_out(4, "the run"), "timed out after 4 s")
        budget.hung("importing the submission did not finish within 60 s", "api:shuffle", stop=True)
        self.assertEqual(budget.next_run(), (None, "not run: importing the submission did not finish within 60 s "
                                                 "(see api:shuffle)"))
        short = runner.Budget(6, 50)
        self.assertEqual((short.shortened(0.5), short.shortened(call=True)), (3, 1.5))

    def test_a_run_out_of_its_time_by_the_clock_or_by_its_cpu_limit(self):
        self.assertTrue(runner.RunResult(None, "", "timed out after 6 s", {}).out_of_time())
        self.assertTrue(runner.RunResult(-24, "", "hit the CPU-time limit (6 s)", {}).out_of_time())  # SIGXCPU
        self.assertTrue(runner.RunResult(-9, "", "hit the CPU-time limit (6 s)", {}).out_of_time())
        for other in (runner.RunResult(None, "", "not run: time budget spent", {}),
                      runner.RunResult(None, "", "timed out: the time budget (50 s) was spent", {}),
                      runner.RunResult(-9, "", "hit the memory limit (4 GiB of address space)", {}),
                      runner.RunResult(1, "ValueError", "", {})):
            self.assertFalse(other.out_of_time(), other)

    def test_the_whole_grades_time_follows_the_machine_and_each_runs_does_not(self):
        budget = runner.Budget(60, 150)
        quiet = budget.whole
        budget.observe(0.1, 0.05)  # too little work to judge the machine by
        self.assertEqual((budget.stretch, budget.whole), (1, quiet))
        budget.observe(0.5, 0.25)  # half a CPU
        self.assertAlmostEqual(budget.stretch, 2)
        self.assertAlmostEqual(budget.whole, 300)
        self.assertAlmostEqual(budget.deadline, budget.started + 300)
        self.assertEqual(budget.next_run()[0], 60)  # the course's time per run stays
        self.assertEqual(budget.described_total(), "150 s, stretched to 300 s for a busy machine")
        budget.observe(30, 0.2)  # a tenth of a CPU: stretched at most MAX_STRETCH times, under the ceiling
        self.assertEqual(budget.stretch, runner.Budget.MAX_STRETCH)
        self.assertEqual(budget.whole, runner.Budget.STRETCHED_CEILING)
        more = runner.Budget(60, 500)  # a course's own longer budget is never cut by the ceiling, nor stretched past it
        more.observe(2, 1)
        self.assertEqual(more.whole, 500)
        fast = runner.Budget(60, 50)  # more CPU than wall (threads): never less than --total-timeout
        fast.observe(1, 2)
        self.assertEqual((fast.stretch, fast.described_total()), (1, "50 s"))
        with fast.observing():
            sum(i * i for i in range(200000))
        self.assertGreater(fast.observed_cpu, 2)


class TestGradeValues(unittest.TestCase):
    """The probe's values file is loaded only within what the checks can return."""

    @classmethod
    def setUpClass(cls):
        cls.sent = api.inputs_of(api.all_checks(DATA))

    def test_honest_values_load(self):
        values = api.load_values(values_file({"0-zero_init/3x4": np.zeros((3, 4))}), self.sent)
        np.testing.assert_array_equal(values["0-zero_init/3x4"], np.zeros((3, 4)))

    def test_a_member_declaring_gigabytes_is_refused_unread(self):
        with mock.patch("numpy.ndarray", side_effect=AssertionError("allocated")):
            with self.assertRaisesRegex(ValueError, r"refused unread: 0-random_init/10x5\.npy declares 3\.0 GiB "
                                                    r"\(float64, shape \(402653184,\)\)"):
                api.load_values(values_file(declared=(3 * 2 ** 30 // 8,)), self.sent)

    def test_a_zip_entry_larger_than_any_value_is_refused(self):
        raw = values_file({"0-zero_init/3x4": np.zeros(api.value_budget(self.sent)[0] // 8 + 1024)})
        with self.assertRaisesRegex(ValueError, r"refused unread: 0-zero_init/3x4\.npy declares"):
            api.load_values(raw, self.sent)

    def test_objects_are_refused(self):
        raw = values_file({"0-zero_init/3x4": np.array([{"a": 1}], dtype=object)})
        with self.assertRaisesRegex(ValueError, r"holds Python objects \(a pickle\)"):
            api.load_values(raw, self.sent)


class TestGradeSettings(unittest.TestCase):
    """Points per section and visibility per group, as --make-autograder and --config take them."""

    def test_defaults_total_the_handouts_55_points(self):
        self.assertEqual(settings.parse_points(None), {"api": 15, "trace": 5, "cli": 35})
        self.assertEqual(settings.parse_points(None, 100), {"api": 27.27, "trace": 9.09, "cli": 63.64})
        self.assertEqual(settings.parse_points("api=25,trace=25,cli=50", 100), {"api": 25, "trace": 25, "cli": 50})
        self.assertEqual(set(settings.parse_visibility(None).values()), {"visible"})

    def test_points_spread_within_a_section_as_the_weights_sum_exactly(self):
        shares = settings.spread(35, [4] * 7 + [5] * 2)
        self.assertEqual(shares, [3.68] * 7 + [4.62] * 2)  # equal checks, equal points: the total allows it
        self.assertEqual(sum(round(s * 100) for s in shares), 3500)
        results = [Result("api:a", True, "", 1), Result("api:b", True, "", 1), Result("trace:t", True, "", 5),
                   Result("cli:small 1", True, "", 4), Result("cli:medium 1", False, "", 5)]
        course = settings.Settings(settings.parse_points("api=10,trace=10,cli=35"),
                                   settings.parse_visibility("cli-medium=after_due_date,env=hidden"))
        applied = settings.apply(course, results)
        self.assertEqual([r.max_score for r in applied], [5, 5, 10, 15.56, 19.44])
        self.assertEqual([r.visibility for r in applied], ["visible"] * 4 + ["after_due_date"])

    def test_equal_checks_differ_by_a_hundredth_at_most_where_the_total_does_not_divide(self):
        shares = settings.spread(10, [0] + [1] * 17)  # api=10 over 17 scored checks and shuffle's 0
        self.assertEqual(shares, [0.0] + [0.59] * 14 + [0.58] * 3)
        for total, weights in ((55, [1] * 17 + [5]), (35, [4] * 7), (0.07, [1] * 9), (1000, [3, 1, 1]), (0, [1, 1])):
            with self.subTest(total=total, weights=weights):
                shares = settings.spread(total, weights)
                self.assertEqual(sum(round(s * 100) for s in shares), round(total * 100))
                for weight in set(weights):
                    equal = {round(s * 100) for s, w in zip(shares, weights) if w == weight}
                    self.assertLessEqual(max(equal) - min(equal), 1)

    def test_points_must_add_up_and_name_every_section_once(self):
        for points, total, message in (
                ("api=10,trace=10,cli=35", 60, "--points: the sections add up to 55 points, not --total-points 60"),
                ("api=10,cli=45", None, "--points: no points given for trace: give every section (api, trace, cli), "
                                        "trace=0 to give it none"),
                ("api=10,trace=5,cli=35,api=5", None, "--points: api is given twice (10 and 5)"),
                ("api=10.555,trace=5,cli=35", None, "points are kept in hundredths"),
                (None, -3, "--total-points -3: expected a number of points, 0 or more")):
            with self.subTest(points=points, total=total):
                with self.assertRaises(settings.SettingsError) as caught:
                    settings.parse_points(points, total)
                self.assertIn(message, str(caught.exception))
                self.assertNotIn("\n", str(caught.exception))
        self.assertEqual(settings.parse_points("api=10,trace=0,cli=50", 60), {"api": 10, "trace": 0, "cli": 50})

    def test_repeated_visibility_flags_merge_and_a_group_set_two_ways_is_refused(self):
        merged = settings.parse_visibility(["api=hidden", "cli-medium=after_due_date", "api=hidden"])
        self.assertEqual((merged["api"], merged["cli-medium"], merged["cli-small"]), ("hidden", "after_due_date",
                                                                                     "visible"))
        for texts in (["api=hidden", "api=visible"], ["cli=hidden,cli-small=visible"]):
            with self.subTest(texts=texts), self.assertRaises(settings.SettingsError) as caught:
                settings.parse_visibility(texts)
            self.assertRegex(str(caught.exception), r"^--visibility: (api|cli-small) is set twice, by \S+ and \S+: "
                                                     r"set each group once$")

    def test_numpy_is_checked_against_the_wheels_of_the_images_python(self):
        self.assertEqual(settings.parse_numpy(None), ("1.23.0", []))
        self.assertEqual(settings.parse_numpy("1.26.4", "3.12"), ("1.26.4", []))
        release, notes = settings.parse_numpy(None, "3.12")  # the handout's 1.23.0 has no wheel for Python 3.12
        self.assertEqual(release, "1.26.4")
        self.assertEqual(notes, ["numpy 1.26.4 for Python 3.12: the handout's 1.23.0 has no wheel for it"])
        for numpy, python, message in (
                ("9.9.9", "3.9", "--numpy 9.9.9: not a numpy release this grader knows (its table: 1.23.0 to "),
                ("1.23.6", "3.9", "--numpy 1.23.6: not a numpy release this grader knows"),
                ("1.22.4", "3.9", "--numpy 1.22.4: grade.py needs numpy 1.23.0 or newer"),
                ("2.4.0", "3.12", "--numpy 2.4.0: this release was withdrawn (yanked) on PyPI; 2.4.6 is the nearest"),
                ("1.23.0", "3.12", "--numpy 1.23.0: no wheel for the image's Python 3.12 (its wheels: Python 3.8 to "
                                   "3.10), so setup.sh could not install it; 1.26.4 is the nearest that has one"),
                ("2.1.0", "3.9", "--numpy 2.1.0: no wheel for the image's Python 3.9 (its wheels: Python 3.10 to "
                                 "3.13)")):
            with self.subTest(numpy=numpy, python=python), self.assertRaises(settings.SettingsError) as caught:
                settings.parse_numpy(numpy, python)
            self.assertIn(message, str(caught.exception))

    def test_the_images_python_is_said_and_warned_about_when_not_the_handouts(self):
        self.assertEqual(settings.parse_python(None), ("3.9", []))
        self.assertEqual(settings.parse_python("3.9.12"), ("3.9", []))
        python, warnings = settings.parse_python("3.12")
        self.assertEqual(python, "3.12")
        self.assertEqual(len(warnings), 1)
        self.assertIn("the image runs Python 3.12, not the handout's 3.9", warnings[0])
        for bad, message in (("3.8", "grade.py runs on Python 3.9 or newer"), ("python3", "expected a Python version")):
            with self.subTest(bad), self.assertRaises(settings.SettingsError) as caught:
                settings.parse_python(bad)
            self.assertIn("--image-python", str(caught.exception))
            self.assertIn(message, str(caught.exception))

    def test_the_time_per_run_and_per_grade_are_checked_against_gradescopes_limits(self):
        self.assertEqual(settings.parse_time(None, None), (60, 150, []))
        self.assertEqual(settings.parse_time(10, None), (10, 100, []))
        per_run, whole, warnings = settings.parse_time(120, 900)
        self.assertEqual((per_run, whole), (120, 900))
        self.assertIn("raise the assignment's autograder timeout in Gradescope above its default 10 minutes",
                      warnings[0])
        for timeout, total, message in ((60, 30, "--total-timeout 30 is less than --timeout 60"),
                                        (60, 2400, "could pass Gradescope's largest timeout (40 minutes)")):
            with self.subTest(total=total), self.assertRaises(settings.SettingsError) as caught:
                settings.parse_time(timeout, total)
            self.assertIn(message, str(caught.exception))

    def test_bad_settings_are_one_line(self):
        for points, visibility, message in (
                ("apx=3", None, "--points: unknown section 'apx' (sections: api, trace, cli)"),
                ("api=-1", None, "--points: api='-1': expected a number of points, 0 or more"),
                ("api", None, "--points: expected name=value pairs separated by commas, got 'api'"),
                (None, "cli-large=hidden", "--visibility: unknown group 'cli-large'"),
                (None, "cli=later", "--visibility: cli='later': expected one of visible, after_due_date")):
            with self.subTest(points=points, visibility=visibility):
                with self.assertRaises(settings.SettingsError) as caught:
                    settings.parse_points(points)
                    settings.parse_visibility(visibility)
                self.assertIn(message, str(caught.exception))
                self.assertNotIn("\n", str(caught.exception))

    def test_a_config_file_round_trips(self):
        course, _ = settings.build(points="api=10,trace=10,cli=35", visibility=["cli=hidden"], numpy="1.26.4",
                                   python="3.11", timeout=20)
        self.assertEqual((course.timeout, course.total_timeout, course.python, course.numpy), (20, 150, "3.11",
                                                                                               "1.26.4"))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "settings.json")
            with open(path, "w") as f:
                f.write(course.as_json())
            self.assertEqual(settings.load(path), course)
            with open(path, "w") as f:  # an older bundle's settings: no python, numpy or times
                f.write('{"points": {"api": 15, "trace": 5, "cli": 35}, "visibility": {}}')
            self.assertEqual(settings.load(path), settings.Settings({"api": 15, "trace": 5, "cli": 35},
                                                                    settings.parse_visibility(None)))
            with open(path, "w") as f:
                f.write('{"points": {"api": 1, "trace": 1, "cli": 1}, "visibility": {"api": "sometimes"}}')
            with self.assertRaisesRegex(settings.SettingsError, r"^--config '.*': --visibility: api='sometimes'"):
                settings.load(path)


class TestOutputLines(unittest.TestCase):
    """An output's lines are counted and split at \\n alone, and any other line break is named (grader/outputs.py)."""

    def read(self, train: bytes):
        with open(os.path.join(DATA, "small_out", "small_validation_out.labels"), "rb") as f:
            validation = f.read()
        with open(os.path.join(DATA, "small_out", "small_metrics_out.txt"), "rb") as f:
            metrics = f.read()
        run = runner.RunResult(0, "", "", dict(zip(runs.OUTPUT_NAMES, (train, validation, metrics))))
        return outputs.read(run, (500, 100, 6))

    def labels(self) -> bytes:
        with open(os.path.join(DATA, "small_out", "small_train_output.labels"), "rb") as f:
            return f.read()

    def test_other_line_breaks_are_named_unparsed(self):
        for separator, named in ((b"\r", "a bare \\r (U+000D"), ("\u2028".encode(), "U+2028"),
                                 ("\u2029".encode(), "U+2029"), (b"\x0c", "\\f"), ("\x85".encode(), "U+0085")):
            with self.subTest(named=named):
                reading = self.read(self.labels().replace(b"\n", separator))
                self.assertIsNone(reading.outputs)
                self.assertIn(f"train_out.labels: line 1 holds {named}", reading.problem)
        reading = self.read(b"\r" * (16 << 20))  # 16 MiB of them: named, never split into lines
        self.assertIn("line 1 holds a bare \\r", reading.problem)

    def test_deviations_are_kept_to_a_few_of_each_kind_and_the_rest_counted(self):
        reading = self.read(self.labels() + b"debug\n" * 400)
        self.assertEqual(len(reading.deviations), outputs.KEPT)
        self.assertEqual(reading.left_out, {catalog.EXTRA_LINES.id: 400 - outputs.KEPT})
        self.assertEqual(self.read(self.labels() + b"debug\n" * 2000).problem,
                         "unreadable output: train_out.labels: 2500 lines, where 500 are expected")


class TestRunnerOutputs(unittest.TestCase):
    """The runner reads back only regular files, and names what else it found."""

    def test_links_fifos_and_folders_are_named_not_read(self):
        limits = runner.Limits(30, 60, 1 << 30, 1 << 26, 64, 30, 1 << 26)
        processes = runner.PosixProcesses() if hasattr(os, "killpg") else runner.WindowsProcesses()
        code = ("import os\nos.mkdir('folder')\nopen('file', 'w').write('ok')\n"
                "if hasattr(os, 'mkfifo'):\n    os.mkfifo('fifo')\n"
                "try:\n    os.symlink('file', 'link')\nexcept OSError:\n    pass\n")  # (Windows: privileged)
        with runner.Runner(sys.executable, limits, processes) as r:
            result = r.run(["-c", code], {}, ["link", "fifo", "folder", "file", "missing"], "a test")
        self.assertEqual(result.status, 0, result.stderr)
        self.assertEqual(result.outputs, {"link": None, "fifo": None, "folder": None, "file": b"ok", "missing": None})
        expected = {"link": "a symbolic link (not followed)", "fifo": "a FIFO", "folder": "a folder"}
        self.assertEqual(result.kinds, {name: kind for name, kind in expected.items() if name in result.kinds})
        self.assertEqual(result.kinds["folder"], "a folder")
        if os.name == "posix":
            self.assertEqual(result.kinds, expected)


@unittest.skipUnless(hasattr(signal, "SIGKILL"), "SIGKILL is POSIX's")
class TestKilledFromOutside(unittest.TestCase):
    """A run killed by SIGKILL with none of its limits named is run once more, and named if it is killed again."""

    # Killed by SIGKILL (here by itself, as a cleanup racing a run would kill it) the first `times` times it runs.
    CODE = ("import os, signal, sys\nmarks = sys.argv[1]\nseen = len(os.listdir(marks))\n"
            "open(os.path.join(marks, str(seen)), 'w').close()\n"
            "if seen < int(sys.argv[2]):\n    os.kill(os.getpid(), signal.SIGKILL)\nprint('ran', file=sys.stderr)\n")

    def run_killed(self, times: int):
        limits = runner.Limits(30, 60, 1 << 30, 1 << 26, 64, 30, 1 << 26)
        with tempfile.TemporaryDirectory() as marks, \
                runner.Runner(sys.executable, limits, runner.PosixProcesses()) as r:
            os.chmod(marks, 0o777)
            result = r.run(["-c", self.CODE, marks, str(times)], {}, [], "a test")
            return result, r.retried, len(os.listdir(marks))

    def test_killed_once_it_is_run_again(self):
        result, retried, runs = self.run_killed(1)
        self.assertEqual((result.status, result.problem, retried, runs), (0, "", ["a test"], 2))
        self.assertIn("ran", result.stderr)

    def test_killed_twice_it_is_named(self):
        result, retried, runs = self.run_killed(2)
        self.assertEqual((result.status, retried, runs), (-signal.SIGKILL, ["a test"], 2))
        self.assertEqual(result.problem, runner.KILLED_FROM_OUTSIDE)
        self.assertIn("killed by signal 9 (killed by SIGKILL from outside the run, twice", why_run_failed(result))

    def test_a_run_that_ends_otherwise_is_run_once(self):
        result, retried, runs = self.run_killed(0)
        self.assertEqual((result.status, retried, runs), (0, [], 1))
