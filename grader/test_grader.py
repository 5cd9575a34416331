"""Tests of grade.py and its package: the checks, the catalog, the sandbox, the bundle.

Loaded by tests.py (python3 -m unittest tests). The hostile submissions need root,
where grade.py isolates them; CI runs as root. As root the submission runs as
`nobody`, which needs an interpreter it can execute: sandbox_python() builds one (a
venv of the system Python, with numpy, in a world-readable temporary folder).
"""
import atexit
import csv
import json
import math
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

# isort: off
import numpy as np
# isort: on

import compare
import course_data
from grader import catalog, checks

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEURALNET = os.path.join(HERE, "neuralnet.py")
GRADE = os.path.join(HERE, "grade.py")
DATA = course_data.folder()
NAIVE = os.path.join(HERE, "benchmarks", "naive_neuralnet.py")
AS_ROOT = os.geteuid() == 0
NEEDS_ROOT = "isolation needs root (CI runs as root)"
OUTPUT_NAMES = ("train.labels", "validation.labels", "metrics.txt")

# Each classic mistake written into a copy of benchmarks/naive_neuralnet.py as
# (old, new) replacements: a submission carrying just that mistake, made
# independently of grade.py's own catalog.
NAIVE_MISTAKES = {
    "shuffle-cumulative": [
        ("    losses = []\n", "    losses = []\n    X_order, y_order = X_tr, y_tr\n"),
        ("        for x, label in zip(X_tr[order], y_tr[order]):",
         "        X_order, y_order = X_order[order], y_order[order]\n        for x, label in zip(X_order, y_order):")],
    "shuffle-seed-offset": [("np.random.seed(epoch)", "np.random.seed(epoch + 1)")],
    "no-shuffle": [("order = np.random.permutation(len(y_tr))", "order = np.arange(len(y_tr))")],
    "bias-init-random": [("    alpha[:, 0] = 0.0\n", ""), ("    beta[:, 0] = 0.0\n", "")],
    "init-without-bias-column": [
        ("alpha = init((n_hidden, X_tr.shape[1] + 1))",
         "alpha = np.hstack([np.zeros((n_hidden, 1)), init((n_hidden, X_tr.shape[1]))])"),
        ("beta = init((10, n_hidden + 1))", "beta = np.hstack([np.zeros((10, 1)), init((10, n_hidden))])")],
    "update-before-backprop": [
        ("            g_z = beta[:, 1:].T @ g_b",
         "            beta = beta - lr * g_beta\n            g_z = beta[:, 1:].T @ g_b"),
        ("            alpha = alpha - lr * g_alpha\n            beta = beta - lr * g_beta\n",
         "            alpha = alpha - lr * g_alpha\n")],
    "sigmoid-grad-of-a": [("g_a = g_z * z1[1:] * (1.0 - z1[1:])",
                           "a = alpha @ x1\n            g_a = g_z * a * (1.0 - a)")],
    "loss-during-epoch": [
        ("        for x, label in zip(X_tr[order], y_tr[order]):",
         "        seen = []\n        for x, label in zip(X_tr[order], y_tr[order]):"),
        ("            g_b = y_hat.copy()",
         "            seen.append(-np.log(y_hat[label]))\n            g_b = y_hat.copy()"),
        ("        losses.append((mean_cross_entropy(alpha, beta, X_tr, y_tr),",
         "        losses.append((float(np.mean(seen)),")],
    "loss-summed": [("return float(np.mean([-np.log(", "return float(np.sum([-np.log(")],
    "bias-frozen": [("            alpha = alpha - lr * g_alpha",
                     "            g_alpha[:, 0] = 0.0\n            g_beta[:, 0] = 0.0\n"
                     "            alpha = alpha - lr * g_alpha")],
    "loss-before-epoch": [
        ("    for epoch in range(n_epochs):\n",
         "    for epoch in range(n_epochs):\n        losses.append((mean_cross_entropy(alpha, beta, X_tr, y_tr),\n"
         "                       mean_cross_entropy(alpha, beta, X_val, y_val)))\n"),
        ("        losses.append((mean_cross_entropy(alpha, beta, X_tr, y_tr),\n"
         "                       mean_cross_entropy(alpha, beta, X_val, y_val)))\n    return",
         "    return")],
    "backprop-drops-last-column": [("g_z = beta[:, 1:].T @ g_b", "g_z = beta[:, :-1].T @ g_b")],
    "bias-last-column": [
        ("x1 = np.concatenate(([1.0], x))", "x1 = np.concatenate((x, [1.0]))"),
        ("z1 = np.concatenate(([1.0], z))", "z1 = np.concatenate((z, [1.0]))"),
        ("    alpha[:, 0] = 0.0\n", "    alpha[:, -1] = 0.0\n"), ("    beta[:, 0] = 0.0\n", "    beta[:, -1] = 0.0\n"),
        ("g_z = beta[:, 1:].T @ g_b", "g_z = beta[:, :-1].T @ g_b"),
        ("g_a = g_z * z1[1:] * (1.0 - z1[1:])", "g_a = g_z * z1[:-1] * (1.0 - z1[:-1])")],
    "adagrad-update": [
        ("    beta[:, 0] = 0.0\n",
         "    beta[:, 0] = 0.0\n    s_alpha, s_beta = np.zeros_like(alpha), np.zeros_like(beta)\n"),
        ("            alpha = alpha - lr * g_alpha\n            beta = beta - lr * g_beta\n",
         "            s_alpha += g_alpha * g_alpha\n            s_beta += g_beta * g_beta\n"
         "            alpha = alpha - lr / np.sqrt(s_alpha + 1e-5) * g_alpha\n"
         "            beta = beta - lr / np.sqrt(s_beta + 1e-5) * g_beta\n")],
}



def naive_with(*mistakes):
    with open(NAIVE) as f:
        source = f.read()
    for mistake in mistakes:
        for old, new in NAIVE_MISTAKES[mistake]:
            assert source.count(old) == 1, (mistake, old)
            source = source.replace(old, new)
    return source


# A module-based implementation written the way many students write it: every vector a
# column (n, 1) or a row (1, n), the loss -log(y_hat[y]). Independent of neuralnet.py;
# the placeholders are filled per shape by student_source().
STUDENT = """import sys

import numpy as np


def random_init(shape):
    M, D = shape
    np.random.seed(M * D)
    return np.random.uniform(-0.1, 0.1, (M, D))


def zero_init(shape):
    return np.zeros(shape)


def shuffle(X, y, epoch):
    np.random.seed(epoch)
    order = np.random.permutation(len(y))
    return X[order], y[order]


def vec(a):
    return np.asarray(a, dtype=float).reshape(SHAPE)


class SoftMaxCrossEntropy:
    def _softmax(self, z):
        e = np.exp(vec(z) - np.max(z))
        return e / np.sum(e)

    def _cross_entropy(self, y, y_hat):
        return float(-np.log(y_hat.reshape(-1)[y]))

    def forward(self, z, y):
        y_hat = self._softmax(z)
        return y_hat, self._cross_entropy(y, y_hat)

    def backward(self, y, y_hat):
        g = vec(y_hat).copy()
        g.reshape(-1)[y] -= 1.0
        return g


class Sigmoid:
    def __init__(self):
        self.cache = {}

    def forward(self, x):
        z = 1.0 / (1.0 + np.exp(-vec(x)))
        self.cache["z"] = z
        return z

    def backward(self, dz):
        z = self.cache["z"]
        return dz * z * (1.0 - z)


class Linear:
    def __init__(self, input_size, output_size, weight_init_fn, learning_rate):
        self.w = weight_init_fn((output_size, input_size + 1))
        self.w[:, 0] = 0.0
        self.dw = np.zeros_like(self.w)
        self.lr = learning_rate
        self.cache = {}

    def forward(self, x):
        x1 = CONCAT([np.ones((1, 1)), vec(x)])
        self.cache["x1"] = x1
        return FORWARD

    def backward(self, dz):
        x1 = self.cache["x1"]
        dz = vec(dz)
        self.dw = DW_PRODUCT
        return DX_PRODUCT

    def step(self):
        self.w = self.w - self.lr * self.dw


class NN:
    def __init__(self, input_size, hidden_size, output_size, weight_init_fn, learning_rate):
        self.linear1 = Linear(input_size, hidden_size, weight_init_fn, learning_rate)
        self.sigmoid = Sigmoid()
        self.linear2 = Linear(hidden_size, output_size, weight_init_fn, learning_rate)
        self.softmax = SoftMaxCrossEntropy()

    def forward(self, x, y):
        return self.softmax.forward(self.linear2.forward(self.sigmoid.forward(self.linear1.forward(x))), y)

    def backward(self, y, y_hat):
        g = self.linear2.backward(self.softmax.backward(y, y_hat))
        self.linear1.backward(self.sigmoid.backward(g))

    def step(self):
        self.linear1.step()
        self.linear2.step()

    def compute_loss(self, X, y):
        return float(np.mean([self.forward(x, label)[1] for x, label in zip(X, y)]))

    def train(self, X_tr, y_tr, X_test, y_test, n_epochs):
        train_losses, test_losses = [], []
        for epoch in range(n_epochs):
            X_s, y_s = shuffle(X_tr, y_tr, epoch)
            for x, label in zip(X_s, y_s):
                y_hat, _ = self.forward(x, label)
                self.backward(label, y_hat)
                self.step()
            train_losses.append(self.compute_loss(X_tr, y_tr))
            test_losses.append(self.compute_loss(X_test, y_test))
        return train_losses, test_losses

    def test(self, X, y):
        labels = np.array([int(np.argmax(self.forward(x, 0)[0])) for x in X])
        return labels, float(np.mean(labels != y))


def main(args):
    train_in, val_in, train_out, val_out, metrics_out = args[:5]
    epochs, hidden, init_flag, lr = int(args[5]), int(args[6]), int(args[7]), float(args[8])
    train, val = np.loadtxt(train_in, delimiter=","), np.loadtxt(val_in, delimiter=",")
    X_tr, y_tr, X_val, y_val = train[:, 1:], train[:, 0].astype(int), val[:, 1:], val[:, 0].astype(int)
    nn = NN(X_tr.shape[1], hidden, 10, random_init if init_flag == 1 else zero_init, lr)
    losses_tr, losses_val = nn.train(X_tr, y_tr, X_val, y_val, epochs)
    labels_tr, error_tr = nn.test(X_tr, y_tr)
    labels_val, error_val = nn.test(X_val, y_val)
    with open(train_out, "w") as f:
        f.write("".join(f"{label}\\n" for label in labels_tr))
    with open(val_out, "w") as f:
        f.write("".join(f"{label}\\n" for label in labels_val))
    with open(metrics_out, "w") as f:
        for epoch, (loss_tr, loss_val) in enumerate(zip(losses_tr, losses_val), start=1):
            f.write(f"epoch={epoch} crossentropy(train): {loss_tr}\\n")
            f.write(f"epoch={epoch} crossentropy(validation): {loss_val}\\n")
        f.write(f"error(train): {error_tr}\\nerror(validation): {error_val}\\n")


if __name__ == "__main__":
    main(sys.argv[1:])
"""
SHAPES = {
    "column": {"SHAPE": "(-1, 1)", "CONCAT": "np.vstack", "FORWARD": "self.w @ x1", "DW_PRODUCT": "dz @ x1.T",
               "DX_PRODUCT": "self.w[:, 1:].T @ dz"},
    "row": {"SHAPE": "(1, -1)", "CONCAT": "np.hstack", "FORWARD": "x1 @ self.w.T", "DW_PRODUCT": "dz.T @ x1",
            "DX_PRODUCT": "dz @ self.w[:, 1:]"},
}


def student_source(shape="column", *replacements):
    """The student implementation with every vector of this shape, then (old, new) replacements."""
    source = STUDENT
    for placeholder, code in SHAPES[shape].items():
        source = source.replace(placeholder, code)
    for old, new in replacements:
        assert source.count(old) >= 1, old
        source = source.replace(old, new)
    return source


_python = {}


def sandbox_python() -> str:
    """An interpreter with numpy that the unprivileged user can run (as root), else this one."""
    if not AS_ROOT:
        return sys.executable
    if "path" not in _python:
        system = next((p for p in ("/usr/bin/python3", "/usr/local/bin/python3") if os.access(p, os.X_OK)), None)
        assert system, "no system Python to build the unprivileged user's venv from"
        folder = tempfile.mkdtemp(prefix="grade-venv-")
        atexit.register(shutil.rmtree, folder, True)
        os.chmod(folder, 0o755)
        subprocess.run([system, "-m", "venv", f"{folder}/venv"], check=True, capture_output=True, timeout=300)
        subprocess.run([f"{folder}/venv/bin/pip", "install", "--quiet", "--disable-pip-version-check",
                        "numpy<3"], check=True, capture_output=True, timeout=600)
        _python["path"] = f"{folder}/venv/bin/python"
    return _python["path"]


def private_folder() -> str:
    """A temporary folder only its owner can read, removed at the end of the test run."""
    folder = tempfile.mkdtemp(prefix="grade-test-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def run_grade(submission_source, *options, timeout=240, env=None):
    """grade.py as a subprocess on a submission given as source text: (result, results.json or None, seconds)."""
    tmp = private_folder()
    path = os.path.join(tmp, "neuralnet.py")
    with open(path, "w") as f:
        f.write(submission_source)
    report = os.path.join(tmp, "results.json")
    started = time.monotonic()
    result = subprocess.run([sys.executable, GRADE, path, "--json", report, "--python", sandbox_python(),
                             *options], capture_output=True, text=True, timeout=timeout,
                            env=None if env is None else {**os.environ, **env})
    seconds = time.monotonic() - started
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


def user_processes(user="nobody"):
    """Live processes of a user, as `ps` lists them (grade.py refuses a user that has any)."""
    result = subprocess.run(["ps", "-u", user, "-o", "pid=,stat=,args="], capture_output=True, text=True)
    return [line for line in result.stdout.splitlines() if line.split()[1:2] != ["Z"]]


def assert_valid_results(test, results):
    """Gradescope's results.json: score, execution_time, output_format and tests with their five fields."""
    test.assertIsNotNone(results, "no results.json")
    test.assertLessEqual({"score", "execution_time", "output_format", "tests"}, set(results))
    test.assertEqual(results["output_format"], "text")
    for entry in results["tests"]:
        test.assertEqual(set(entry), {"name", "score", "max_score", "output", "visibility"})
        test.assertIn(entry["score"], (0, entry["max_score"]))
    test.assertEqual(results["score"], sum(t["score"] for t in results["tests"]))


# ----------------------------------------------------------------------------
# The checks and the catalog, in-process
# ----------------------------------------------------------------------------

class TestGradeChecks(unittest.TestCase):
    """The api and trace checks judge values; the probe only returns them."""

    @classmethod
    def setUpClass(cls):
        cls.checks = checks.all_checks(DATA)

    def load(self, source):
        tmp = private_folder()
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
        if AS_ROOT:
            self.assertIn("isolated: runs as user nobody", result.stdout)
            self.assertIn("network cut", result.stdout)
            self.assertIn("isolated: runs as user nobody", results["output"])
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

    def test_a_hang_costs_one_timeout(self):
        result, results, seconds = run_grade("import time\ntime.sleep(600)\n", "--quick", "--timeout", "2")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertLess(seconds, 15)  # one 2 s timeout, not one per check
        self.assertIn("timed out after 2 s", result.stdout)
        self.assertIn("not run: importing the submission timed out", result.stdout)
        self.assertEqual(results["score"], 0)

    def test_the_time_budget(self):
        slow = naive_with().replace("def main(argv):", "def main(argv):\n    import time\n    time.sleep(3)")
        result, results, seconds = run_grade(slow, "--quick", "--timeout", "10", "--total-timeout", "5")
        self.assertLess(seconds, 20)
        self.assertIn("timed out: the time budget (5 s) was spent", result.stdout)
        self.assertIn("not run: time budget spent", result.stdout)
        assert_valid_results(self, results)
        not_run = [t for t in results["tests"] if t["output"].startswith("not run: time budget spent")]
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
    "read outside its folder": "read outside: [Errno 2] No such file or directory",
}
BUDGET = ("--quick", "--timeout", "10", "--total-timeout", "40")


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
        first = subprocess.Popen([sys.executable, GRADE, slow, "--quick", "--python", sandbox_python(), "--timeout",
                                  "10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        with open(NEURALNET) as f:
            result, results, _ = run_grade(f.read(), "--quick")
        first_out, _ = first.communicate(timeout=300)
        self.assertIn("grade.py: waiting for another grade that runs submissions as nobody", result.stderr)
        self.assertEqual(results["score"], 50, result.stdout)
        self.assertNotIn("killed by signal", first_out)

    def test_an_interpreter_the_user_cannot_run(self):
        private = private_folder()  # like a Python under /root: 0700 on the way to it
        os.symlink(sys.executable, os.path.join(private, "python3"))
        with open(NEURALNET) as f:
            result, results, _ = run_grade(f.read(), "--quick", "--python", os.path.join(private, "python3"))
        self.assertEqual(result.returncode, 2)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertRegex(result.stderr, r"^grade.py: error: the user nobody cannot run .*python3 with numpy .*"
                                        r"pass --python an interpreter it can run")
        self.assertEqual(results["score"], 0)
        self.assertEqual(result.stdout, "")

    def test_without_namespaces_the_grader_must_be_unreadable(self):
        """Where mount namespaces are refused, a world-readable grader is refused; a private one grades."""
        folder = unpacked_grader(self, "grade-bundle-")
        submission = os.path.join(private_folder(), "neuralnet.py")
        shutil.copyfile(NEURALNET, submission)
        command = [sys.executable, f"{folder}/source/grade.py", submission, "--quick", "--python", sandbox_python()]
        env = {**os.environ, "GRADE_NO_NAMESPACES": "1", "NEURALNET_DATA": ""}
        refused = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(refused.returncode, 2, refused.stdout)
        self.assertIn(f"the user nobody could read {folder}/source", refused.stderr)
        self.assertIn("refuses mount namespaces", refused.stderr)
        os.chmod(f"{folder}/source", 0o700)
        graded = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(graded.returncode, 0, graded.stdout + graded.stderr)
        self.assertIn("without a mount namespace (refused here), the grader's files unreadable to it", graded.stdout)
        self.assertIn("score: 50/50", graded.stdout)


# ----------------------------------------------------------------------------
# The Gradescope bundle, unpacked into a temporary AUTOGRADER_ROOT
# ----------------------------------------------------------------------------

class TestGradescopeBundle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="grade-zip-")
        cls.zip = os.path.join(cls.folder, "autograder.zip")
        result = subprocess.run([sys.executable, GRADE, "--make-autograder", cls.zip], capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.folder, ignore_errors=True)

    def test_contents(self):
        with zipfile.ZipFile(self.zip) as z:
            names = set(z.namelist())
            modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
            setup = z.read("setup.sh").decode()
        self.assertLessEqual({"setup.sh", "run_autograder", "grade.py", "neuralnet.py", "compare.py",
                              "grader/probe.py", "grader/sandbox.py", "data/small_train.csv",
                              "data/unittest_data.pk", "benchmarks/naive_neuralnet.py"}, names)
        self.assertFalse(any(n.startswith("grader/test") or n == "tests.py" for n in names))
        self.assertTrue(modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR)
        self.assertIn("numpy==1.23.0", setup)
        self.assertIn("useradd", setup)
        for script in ("setup.sh", "run_autograder"):
            self.assertEqual(subprocess.run(["bash", "-n", os.path.join(HERE, "grader", "gradescope", script)]
                                            ).returncode, 0, script)

    def autograde(self, source):
        """run_autograder on a submission, in a fresh AUTOGRADER_ROOT: (its results.json, seconds)."""
        root = tempfile.mkdtemp(prefix="autograder-")
        self.addCleanup(shutil.rmtree, root, True)
        with zipfile.ZipFile(self.zip) as z:
            z.extractall(os.path.join(root, "source"))
        shutil.copyfile(os.path.join(root, "source", "run_autograder"), os.path.join(root, "run_autograder"))
        os.makedirs(os.path.join(root, "submission"))
        os.makedirs(os.path.join(root, "results"))
        with open(os.path.join(root, "submission", "neuralnet.py"), "w") as f:
            f.write(source)
        env = {**os.environ, "AUTOGRADER_ROOT": root, "SUBMISSION_PYTHON": sandbox_python(),
               "GRADER_USER": "nobody", "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
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
        self.assertEqual(results["score"], 60)
        self.assertTrue(all(t["visibility"] == "visible" for t in results["tests"]))

    def test_a_catalogued_mistake_is_named(self):
        results, _ = self.autograde(naive_with("no-shuffle"))
        self.assertLess(results["score"], 60)
        outputs = "\n".join(t["output"] for t in results["tests"])
        self.assertEqual(set(re.findall(r"mistake: ([\w-]+):", outputs)), {"no-shuffle"})

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
        self.assertEqual(user_processes(), [])

    def test_not_as_root_a_detached_child_is_still_killed(self):
        """Run as an ordinary user, grade.py is not isolated, but orphans come back to it and are killed."""
        if not AS_ROOT:
            result, results, seconds = run_grade(HOSTILE["detached child"], *BUDGET)
        else:  # become an ordinary user: grade.py unpacked where nobody can read it
            folder = unpacked_grader(self, "grade-user-")
            os.chmod(folder, 0o777)  # the ordinary user writes results.json there
            with open(f"{folder}/neuralnet_submitted.py", "w") as f:
                f.write(HOSTILE["detached child"])
            os.chmod(f"{folder}/neuralnet_submitted.py", 0o644)
            started = time.monotonic()
            result = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                     sandbox_python(), f"{folder}/source/grade.py", f"{folder}/neuralnet_submitted.py",
                                     "--json", f"{folder}/results.json", *BUDGET],
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
# Real students' code: accepted as the course accepts it, its mistakes named
# ----------------------------------------------------------------------------

def naive_variant(*replacements):
    """benchmarks/naive_neuralnet.py with (old, new) replacements, each found exactly once."""
    with open(NAIVE) as f:
        source = f.read()
    for old, new in replacements:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


MAIN_CALL = '''if __name__ == "__main__":
    main(sys.argv[1:])'''
REAL_MISTAKES = {  # id: (submission, what its report must say)
    "hard-coded-settings": (naive_variant(("float(argv[8])", "0.1")),
                            "ignored: learning_rate (runs small 2 5 1 0.1 and small 2 5 1 0.3 wrote the same bytes)"),
    "experiment-main": (naive_variant((MAIN_CALL, '''if __name__ == "__main__":
    data = np.loadtxt("small_train.csv", delimiter=",")
    X, y = data[:, 1:], data[:, 0].astype(int)
    for hidden in [5, 20]:
        print(hidden, train(X, y, X, y, 1, hidden, 1, 0.1)[2])''')),
                        "its main block loops over fixed settings, never reads sys.argv"),
    "labels-not-integers": (naive_variant(('f.writelines(f"{label}\\n" for label in labels)',
                                           'f.writelines(f"{float(label)}\\n" for label in labels)')),
                            "labels such as '6.0'; read as integers, they match the expected ones: only their format "
                            "is wrong"),
    "metrics-lines-missing": (naive_variant(
        ('        lines.append(f"error({name}): {float(np.mean(np.array(labels) != y))}")\n', "")),
                              "missing error(train), error(validation)"),
    "bias-last-column": (naive_with("bias-last-column"), "mistake: bias-last-column"),
    "adagrad-update": (naive_with("adagrad-update"), "mistake: adagrad-update"),
    "weights-attribute-name": (student_source("column", ("self.w", "self.weights")),
                               "Linear(6, 4, ...) has no w, but a 4 x 7 matrix named weights"),
    "import-side-effects": (naive_variant((MAIN_CALL, "main(sys.argv[1:])")),
                            "importing the file runs code that reads sys.argv (line 97): put the command-line code "
                            "under if __name__ == \"__main__\":"),
}


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
        self.assertIn("imports matplotlib (line 3): the autograder has only the standard library and numpy",
                      result.stdout)
        self.assertIn("a type written X | Y", result.stdout)
        env = [t for t in results["tests"] if t["name"].startswith("env:")]
        self.assertEqual({t["max_score"] for t in env}, {0})


class TestGradeBatch(unittest.TestCase):
    def test_a_class_of_variants_gets_a_line_each_and_a_summary(self):
        folder = private_folder()
        sources = {"correct.py": student_source("column"), "offset.py": naive_with("shuffle-seed-offset"),
                   "offset_too.py": student_source("row", ("np.random.seed(epoch)", "np.random.seed(epoch + 1)")),
                   "unshuffled.py": naive_with("no-shuffle"), "broken.py": "def broken(:\n"}
        paths = []
        for name, text in sources.items():
            paths.append(os.path.join(folder, name))
            with open(paths[-1], "w") as f:
                f.write(text)
        table = os.path.join(folder, "class.csv")
        result = subprocess.run([sys.executable, GRADE, *paths, "--quick", "--python", sandbox_python(), "--jobs", "2",
                                 "--csv", table], capture_output=True, text=True, timeout=600)
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith(folder)}
        self.assertEqual(set(lines), set(paths))
        self.assertRegex(lines[paths[1]], r"\d+/50  mistakes: shuffle-seed-offset$")
        self.assertRegex(lines[paths[3]], r"\d+/50  mistakes: no-shuffle$")
        self.assertRegex(lines[paths[4]], r" 0/50  mistakes: -$")
        summary = result.stdout.split("class summary:")[1]
        self.assertIn("5 submissions, 5 graded", summary)
        self.assertRegex(summary, r"scores out of 50 \(mean \d+\.\d\): 50: 1 \|")
        self.assertRegex(summary, r"\n  shuffle-seed-offset +2\n")
        self.assertRegex(summary, r"\n  no-shuffle +1\n?")
        with open(table) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual([row["submission"] for row in rows], paths)
        self.assertEqual(rows[1]["mistakes"], "shuffle-seed-offset")
