"""The student's suite: python3 -m unittest tests

Everything a student or a maintainer of neuralnet.py relies on: the modules and the
handout's API (with the handout's own test classes: python -m unittest tests.TestRandomInit),
the command line and its errors, the references and the fuzz test, compare.py,
experiments.py, the handout's incorrect_finder.py and visualizer.py, grade.py's check of
its reference, the README's transcript, and the grader's in-process parts
(grader/test_checks.py, loaded below; what the suites share is in grader/testing.py).
It needs no root, no network and no particular user, and leaves nothing behind. The
grader's end-to-end tests (grade.py runs, the sandbox, the bundle) are a suite of their
own: python3 -m unittest grader.test_grader.

The course data is in data/ (NEURALNET_DATA may point at another folder with
the same files); a test whose file is missing fails, saying which.
"""
import ast
import atexit
import contextlib
import hashlib
import io
import json
import math
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

try:
    import numpy as np
except ImportError:  # a Python without numpy: neuralnet.py's one line on how to set up, not unittest's traceback
    try:
        import neuralnet  # noqa: F401  (its import raises ImportError with that line)
    except ImportError as no_numpy:
        sys.exit(f"tests.py: error: {no_numpy}")
    raise

import compare
import neuralnet
from grader import api as grader_api
from grader.testing import (
    DATA,
    HERE,
    NEURALNET,
    OUTPUT_NAMES,
    assert_console_block,
    console_blocks,
    require_data,
    runs_grade,
)
from neuralnet import (
    NN,
    Linear,
    Sigmoid,
    SoftMaxCrossEntropy,
    cross_entropy,
    d_softmax_cross_entropy,
    random_init,
    shuffle,
    softmax,
    zero_init,
)

sys.path.insert(0, os.path.join(HERE, "benchmarks"))
import naive_neuralnet  # noqa: E402  (the independent oracle)

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import configuration as hypothesis_configuration
    from hypothesis import strategies as st
    HAVE_HYPOTHESIS = True
    # Hypothesis keeps its files in .hypothesis/ of the current folder, the clone: here, a folder of its own
    # that goes when the tests end, and no example database (the fuzz test replays nothing).
    HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="neuralnet-hypothesis-")
    atexit.register(shutil.rmtree, HYPOTHESIS_HOME, True)
    hypothesis_configuration.set_hypothesis_home_dir(HYPOTHESIS_HOME)
except ImportError:  # a test-only dependency: pip install -r requirements-dev.txt
    HAVE_HYPOTHESIS = False
try:
    import matplotlib  # noqa: F401
    HAVE_MATPLOTLIB = True
except ImportError:
    HAVE_MATPLOTLIB = False
try:
    import pty  # POSIX only: the progress line on a terminal
except ImportError:
    pty = None  # type: ignore[assignment]

TOLERANCE = 1e-9  # metrics must match the reference this closely
POSIX_SIGNALS = "needs POSIX signals and process groups (not on Windows)"
NEEDS_PTY = "needs a pseudo-terminal (the pty module: not on Windows)"


def unit_data(test: unittest.TestCase) -> dict:
    with open(os.path.join(require_data(test, "unittest_data.pk"), "unittest_data.pk"), "rb") as f:
        return pickle.load(f)


def read_metrics(path):
    """[(key, value)] for each line `key: value` of a metrics file."""
    with open(path, newline="") as f:
        text = f.read()
    assert "\r" not in text and text.endswith("\n"), "metrics need Unix line endings"
    return compare.parse_metrics(text, path)


def assert_metrics_close(test, mine, theirs, tol=TOLERANCE):
    difference = compare.compare_metrics(mine, theirs, tol)
    test.assertTrue(difference.same, f"metrics: {difference.describe()}")
    return difference.worst


def assert_labels_equal(test, mine_path, theirs_path):
    """Labels files identical line for line; on failure, the count and first difference only
    (a diff of two 9,000-line strings can take unittest minutes to build)."""
    with open(mine_path, newline="") as a, open(theirs_path, newline="") as b:
        mine, theirs = a.read(), b.read()
    if mine != theirs:
        difference = compare.compare_labels(mine.split("\n"), theirs.split("\n"))
        test.fail(f"{os.path.basename(mine_path)} vs {theirs_path}: {difference.describe()}")


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        f.write("".join(",".join(str(v) for v in row) + "\n" for row in rows))


def tiny_rows(n=12, width=6, seed=0):
    """n rows of label + width binary pixels, every label 0..9 present when n >= 10."""
    rng = np.random.RandomState(seed)
    return [[i % 10] + rng.randint(0, 2, width).tolist() for i in range(n)]


# ----------------------------------------------------------------------------
# Handout-style unit tests on the course's vectors
# ----------------------------------------------------------------------------

class TestHandoutAPI(unittest.TestCase):
    """The handout's API on its vectors (data/unittest_data.pk) and against the naive oracle:
    grade.py's api and trace checks (grader/api.py), run here on this project in-process.
    One test per check, named after it."""

    @classmethod
    def add_tests(cls):
        """A test per check, built here from the course data; without it, one test that fails saying which
        file is missing (the import of this file never fails for want of data)."""
        try:
            built = grader_api.all_checks(DATA)
        except (OSError, neuralnet.FileError):
            def test_handout_checks(self):
                require_data(self, "unittest_data.pk", "small_train.csv")
                self.fail(f"the handout's checks could not be built from {DATA}")
            cls.test_handout_checks = test_handout_checks
            return
        for index, check in enumerate(built):
            def test(self, check=check):
                self.assertEqual(grader_api.run_in_process(neuralnet, [check])[0], (True, ""), check.name)
            name = re.sub(r"\W+", "_", check.name.split(" (")[0]).strip("_").lower()
            test.__doc__ = check.name
            setattr(cls, f"test_{index:02d}_{name}", test)


TestHandoutAPI.add_tests()


# The handout's unit-test commands (section 8.4) name these five classes and their methods:
#     python -m unittest tests.TestRandomInit.test_shape
#     python -m unittest tests.TestRandomInit
# Each method asserts this project's modules against the handout's vectors (data/unittest_data.pk).
HANDOUT_RTOL = 1e-10  # the vectors are float64 results of the same formulas


def handout_vectors(test: unittest.TestCase, key: str):
    return unit_data(test)[key]


def linear_holding(w: np.ndarray) -> Linear:
    """A Linear layer whose weights (bias in column 0) are w, shape (output, input + 1)."""
    layer = Linear(w.shape[1] - 1, w.shape[0], zero_init, 0.0)
    layer.w = np.array(w, dtype=np.float64)
    return layer


class TestRandomInit(unittest.TestCase):
    def test_shape(self):
        for shape in ((10, 5), (1, 1), (3, 129)):
            self.assertEqual(random_init(shape).shape, shape)

    def test_bounds(self):
        values = random_init((40, 30))
        self.assertGreaterEqual(values.min(), -0.1)
        self.assertLessEqual(values.max(), 0.1)

    def test_variation_row(self):
        self.assertGreater(len(np.unique(random_init((25, 1)))), 1)  # not one value repeated down a column

    def test_variation_column(self):
        self.assertGreater(len(np.unique(random_init((1, 25)))), 1)  # nor along a row


class TestLinear(unittest.TestCase):
    def test_forward(self):
        # The first vector only, as the course's test: the second is w @ x with no bias folded in, not this API.
        w, x_with_bias, expected = handout_vectors(self, "linear_forward")[0]
        got = linear_holding(w).forward(x_with_bias[1:])  # the vector carries the bias's 1 first
        np.testing.assert_allclose(np.squeeze(got), expected, rtol=HANDOUT_RTOL)

    def test_bias_zeroinit(self):
        layer = Linear(input_size=6, output_size=9, weight_init_fn=zero_init, learning_rate=1.0)
        np.testing.assert_array_equal(layer.forward(np.zeros(6)), np.zeros(9))

    def test_bias_randominit(self):
        layer = Linear(input_size=6, output_size=9, weight_init_fn=random_init, learning_rate=1.0)
        np.testing.assert_array_equal(layer.w[:, 0], 0.0)  # RANDOM init draws every weight but the biases
        np.testing.assert_array_equal(layer.forward(np.zeros(6)), np.zeros(9))

    def test_backward(self):
        x_with_bias, w, expected_dx, expected_dw = handout_vectors(self, "linear_backward")
        layer = linear_holding(w)
        z = layer.forward(x_with_bias[1:])
        dx = layer.backward(np.ones_like(z))  # the vectors' gradient of the output: all ones
        np.testing.assert_allclose(np.squeeze(dx), expected_dx, rtol=HANDOUT_RTOL)
        np.testing.assert_allclose(np.squeeze(layer.dw), expected_dw, rtol=HANDOUT_RTOL)


class TestSigmoid(unittest.TestCase):
    def check_forward(self, which: int):
        a, expected = handout_vectors(self, "sigmoid_forward")[which]
        np.testing.assert_allclose(np.squeeze(Sigmoid().forward(a)), expected, rtol=HANDOUT_RTOL)

    def test_forward_1(self):
        self.check_forward(0)

    def test_forward_2(self):
        self.check_forward(1)

    def test_backward(self):
        a, expected = handout_vectors(self, "sigmoid_backward")
        sigmoid = Sigmoid()
        sigmoid.forward(a)
        np.testing.assert_allclose(np.squeeze(sigmoid.backward(1)), expected, rtol=HANDOUT_RTOL)


class TestSoftmax(unittest.TestCase):
    def check_softmax(self, which: int):
        z, expected = handout_vectors(self, "softmax_forward")[which]
        np.testing.assert_allclose(np.squeeze(SoftMaxCrossEntropy()._softmax(z)), expected, rtol=HANDOUT_RTOL)

    def test_softmax_forward_1(self):
        self.check_softmax(0)

    def test_softmax_forward_2(self):
        self.check_softmax(1)

    def test_crossentropy(self):
        y_hat, y, expected = handout_vectors(self, "ce_forward")
        self.assertAlmostEqual(SoftMaxCrossEntropy()._cross_entropy(y, y_hat), expected, places=12)

    def test_backward(self):
        y, y_hat, expected = handout_vectors(self, "ce_backward")
        np.testing.assert_allclose(SoftMaxCrossEntropy().backward(y, y_hat), expected, rtol=HANDOUT_RTOL)


class TestNN(unittest.TestCase):
    """The handout's two NN tests: 4 hidden units, ZERO init, one example."""

    def network_and_example(self):
        x_with_bias, y, expected_y_hat, expected_dw1, expected_dw2 = handout_vectors(self, "forward_backward")[0]
        nn = NN(input_size=len(x_with_bias) - 1, hidden_size=4, output_size=10, weight_init_fn=zero_init,
                learning_rate=1.0)
        return nn, x_with_bias[1:], int(y), (expected_y_hat, expected_dw1, expected_dw2)

    def test_forward(self):
        nn, x, y, (expected_y_hat, _, _) = self.network_and_example()
        y_hat, loss = nn.forward(x, y)
        np.testing.assert_allclose(np.squeeze(y_hat), expected_y_hat, rtol=HANDOUT_RTOL)
        self.assertAlmostEqual(loss, -math.log(expected_y_hat[y]), places=12)

    def test_backward(self):
        nn, x, y, (_, expected_dw1, expected_dw2) = self.network_and_example()
        y_hat, _ = nn.forward(x, y)
        nn.backward(y, y_hat)
        np.testing.assert_allclose(np.squeeze(nn.linear1.dw), expected_dw1, rtol=HANDOUT_RTOL, atol=1e-15)
        np.testing.assert_allclose(np.squeeze(nn.linear2.dw), expected_dw2, rtol=HANDOUT_RTOL, atol=1e-15)


class TestModules(unittest.TestCase):
    """This implementation beyond the handout's API."""

    def test_module_level_functions_of_an_older_handout(self):
        _, y, expected = unit_data(self)["ce_forward"]
        y_hat = unit_data(self)["ce_forward"][0]
        self.assertAlmostEqual(cross_entropy(y, y_hat), expected, places=12)
        for z, expected_softmax in unit_data(self)["softmax_forward"]:
            np.testing.assert_allclose(softmax(z), expected_softmax, rtol=1e-12)
        y, y_hat, expected_grad = unit_data(self)["ce_backward"]
        np.testing.assert_allclose(d_softmax_cross_entropy(y, y_hat), expected_grad, rtol=1e-12)

    def test_cross_entropy_of_a_zero_probability_is_infinite(self):
        y_hat = np.array([0.0, 0.25, 0.75])
        for loss in (SoftMaxCrossEntropy()._cross_entropy(0, y_hat), cross_entropy(0, y_hat)):
            self.assertEqual(loss, math.inf)
        self.assertAlmostEqual(cross_entropy(2, y_hat), -math.log(0.75), places=15)

    def test_batch_forward_matches_single(self):
        layer = Linear(5, 3, random_init, 0.1)
        layer.w[:, 0] = [0.3, -0.2, 0.1]
        X = np.random.RandomState(1).rand(4, 5)
        batch = layer.forward(X)
        for x, row in zip(X, batch):
            np.testing.assert_allclose(layer.forward(x), row, rtol=1e-13)

    def test_sigmoid_extreme_inputs_saturate_without_warnings(self):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            z = Sigmoid().forward(np.array([-1e6, -800.0, 0.0, 800.0, 1e6]))
        np.testing.assert_allclose(z, [0, 0, 0.5, 1, 1], atol=1e-300)

    def test_huge_logits_stay_finite_without_warnings(self):
        z = np.array([1e6, -1e6, 3e5])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y_hat, loss = SoftMaxCrossEntropy().forward(z, 1)
            batch_y_hat, batch_loss = SoftMaxCrossEntropy().forward(z[None, :], np.array([1]))
        np.testing.assert_allclose(y_hat, [1, 0, 0])
        self.assertEqual(loss, 2e6)
        self.assertEqual(batch_loss[0], 2e6)


class TestNetwork(unittest.TestCase):
    """NN beyond the handout's two tests (TestNN)."""

    def test_shapes_and_layers(self):
        nn = NN(input_size=128, hidden_size=4, output_size=10, weight_init_fn=random_init, learning_rate=0.1)
        self.assertEqual(nn.linear1.w.shape, (4, 129))
        self.assertEqual(nn.linear2.w.shape, (10, 5))
        self.assertIsInstance(nn.sigmoid, Sigmoid)
        self.assertIsInstance(nn.softmax, SoftMaxCrossEntropy)

    def test_ties_go_to_smallest_index(self):
        nn = NN(input_size=3, hidden_size=2, output_size=10, weight_init_fn=zero_init, learning_rate=0.1)
        X = np.random.RandomState(0).rand(5, 3)
        labels, _ = nn.test(X, np.zeros(5, dtype=int))
        np.testing.assert_array_equal(labels, 0)  # all ten classes tie
        nn.linear2.w[3, 0] = nn.linear2.w[7, 0] = 2.0  # classes 3 and 7 tie on top
        labels, error = nn.test(X, np.full(5, 7))
        np.testing.assert_array_equal(labels, 3)
        self.assertEqual(error, 1.0)

    def test_compute_loss_is_mean_of_per_example_losses(self):
        nn = NN(input_size=4, hidden_size=3, output_size=10, weight_init_fn=random_init, learning_rate=0.1)
        rng = np.random.RandomState(2)
        X, y = rng.rand(7, 4), rng.randint(0, 10, 7)
        per_example = [nn.forward(x, label)[1] for x, label in zip(X, y)]
        self.assertAlmostEqual(nn.compute_loss(X, y), np.mean(per_example), places=14)

    def test_evaluating_a_dataset_between_forward_and_backward_changes_nothing(self):
        rng = np.random.RandomState(4)
        X, y = rng.rand(8, 5), rng.randint(0, 10, 8)
        gradients = []
        for evaluate in (False, True):
            nn = NN(input_size=5, hidden_size=[4, 3], output_size=10, weight_init_fn=random_init, learning_rate=0.1)
            y_hat, _ = nn.forward(X[0], int(y[0]))
            if evaluate:
                nn.compute_loss(X, y)
                nn.test(X, y)
            nn.backward(int(y[0]), y_hat)
            gradients.append([layer.dw.copy() for layer in nn.linears])
        for a, b in zip(*gradients):
            np.testing.assert_array_equal(a, b)

    def test_each_epoch_shuffles_the_original_order(self):
        rng = np.random.RandomState(3)
        X, y = rng.rand(9, 4), np.arange(9) % 10
        nn = NN(input_size=4, hidden_size=3, output_size=10, weight_init_fn=random_init, learning_rate=0.1)
        seen_orders, real_forward = [], nn.forward

        def recording_forward(x, label):
            seen_orders.append(int(np.flatnonzero((X == x).all(axis=1))[0]))
            return real_forward(x, label)

        with mock.patch.object(neuralnet, "shuffle", wraps=neuralnet.shuffle) as spy, \
                mock.patch.object(nn, "forward", side_effect=recording_forward):
            nn.train(X, y, X, y, 3)
        self.assertEqual([c.args[2] for c in spy.call_args_list], [0, 1, 2])
        for c in spy.call_args_list:
            self.assertIs(c.args[0], X)  # the original, never last epoch's order
            self.assertIs(c.args[1], y)
        expected = []
        for epoch in range(3):
            np.random.seed(epoch)
            expected += np.random.permutation(9).tolist()
        self.assertEqual(seen_orders, expected)

    def test_shuffle(self):
        X, y = np.arange(20).reshape(10, 2), np.arange(10)
        Xs, ys = shuffle(X, y, 4)
        np.random.seed(4)
        order = np.random.permutation(10)
        np.testing.assert_array_equal(Xs, X[order])
        np.testing.assert_array_equal(ys, y[order])


class TestGradientCheck(unittest.TestCase):
    """Central finite differences against backprop for every weight."""

    def check(self, hidden_size, init, sgd_steps):
        rng = np.random.RandomState(7)
        X, y = rng.rand(6, 5), rng.randint(0, 10, 6)
        nn = NN(input_size=5, hidden_size=hidden_size, output_size=10,
                weight_init_fn=init, learning_rate=0.5)
        for x, label in zip(X[:sgd_steps], y[:sgd_steps]):  # move off the initial point
            nn.backward(label, nn.forward(x, label)[0].copy())
            nn.step()
        x, label = X[-1], int(y[-1])
        nn.backward(label, nn.forward(x, label)[0].copy())
        analytic = [layer.dw.copy() for layer in nn.linears]
        h = 1e-5
        for layer, grad in zip(nn.linears, analytic):
            numeric = np.zeros_like(grad)
            for index in np.ndindex(*layer.w.shape):
                saved = layer.w[index]
                layer.w[index] = saved + h
                up = nn.forward(x, label)[1]
                layer.w[index] = saved - h
                down = nn.forward(x, label)[1]
                layer.w[index] = saved
                numeric[index] = (up - down) / (2 * h)
            scale = np.linalg.norm(numeric) + np.linalg.norm(grad)
            if scale > 0:
                self.assertLess(np.linalg.norm(numeric - grad) / scale, 1e-6)
            else:
                np.testing.assert_array_equal(grad, 0.0)
        return analytic

    def test_random_init(self):
        self.check(4, random_init, 0)
        self.check(4, random_init, 5)

    def test_zero_init(self):
        at_start = self.check(4, zero_init, 0)
        self.assertTrue(np.all(at_start[0] == 0))  # no signal reaches alpha through zero beta
        after = self.check(4, zero_init, 5)
        self.assertGreater(np.abs(after[0]).max(), 0)

    def test_two_hidden_layers(self):
        self.check([4, 3], random_init, 3)
        self.check([4, 3], zero_init, 3)


# ----------------------------------------------------------------------------
# End-to-end runs of the command line
# ----------------------------------------------------------------------------

def wait_for_cpu_seconds(pid, seconds, limit=60.0):
    """Wait until a process has used this much CPU time (on a busy machine, wall
    time says little about how far it got); where /proc is missing, sleep instead."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            time.sleep(seconds * 2)
            return
        if (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") >= seconds:
            return
        time.sleep(0.05)


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, NEURALNET, *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


def compare_with_oracle(test, train, validation, runs):
    """Run neuralnet.py and the naive oracle on each run = (epochs, hidden, init, lr), two processes at a
    time (the two cores); assert equal labels and metrics within 1e-9, a subtest per run."""
    with tempfile.TemporaryDirectory() as tmp:
        jobs = []
        for index, run in enumerate(runs):
            for name, program in (("mine", NEURALNET), ("oracle", naive_neuralnet.__file__)):
                paths = [os.path.join(tmp, f"{index}.{name}.{ext}") for ext in ("tr", "va", "m")]
                jobs.append(([sys.executable, program, train, validation, *paths, *map(str, run)], paths))
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda job: subprocess.run(job[0], capture_output=True, text=True, timeout=600),
                                    jobs))
        for index, run in enumerate(runs):
            (mine, result_mine), (theirs, result_theirs) = [(jobs[i][1], results[i])
                                                            for i in (2 * index, 2 * index + 1)]
            with test.subTest(epochs=run[0], hidden=run[1], init=run[2], lr=run[3]):
                test.assertEqual(result_mine.returncode, 0, result_mine.stderr)
                test.assertEqual(result_theirs.returncode, 0, result_theirs.stderr)
                for a, b in zip(mine[:2], theirs[:2]):
                    assert_labels_equal(test, a, b)
                assert_metrics_close(test, read_metrics(mine[2]), read_metrics(theirs[2]))


class TestAgainstReference(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def check_reference(self, dataset, run, reference):
        """Run the CLI as `run` = (epochs, hidden, init, lr) on a dataset; compare with
        the reference files (train labels, validation labels, metrics) in data/."""
        d = require_data(self, f"{dataset}_train.csv", *reference)
        out = [os.path.join(self.tmp, n) for n in ("tr.labels", "va.labels", "metrics.txt")]
        result = run_cli(f"{d}/{dataset}_train.csv", f"{d}/{dataset}_validation.csv", *out, *run)
        self.assertEqual(result.returncode, 0, result.stderr)
        for mine, ref in zip(out[:2], reference[:2]):
            assert_labels_equal(self, mine, os.path.join(d, ref))
        assert_metrics_close(self, read_metrics(out[2]), read_metrics(os.path.join(d, reference[2])))

    def test_handout_reference_small_2_4_2_0_1(self):
        self.check_reference("small", (2, 4, 2, 0.1), ("small_out/small_train_output.labels",
                                                       "small_out/small_validation_out.labels",
                                                       "small_out/small_metrics_out.txt"))

    def test_independent_random_init_references(self):
        # RANDOM init checked against two independent full-marks solutions (data/independent/).
        folders = sorted(os.listdir(os.path.join(require_data(self, "independent"), "independent")))
        runs = [name for name in folders if name.count("_") == 4]
        self.assertEqual(len(runs), 3, folders)
        for name in runs:
            dataset, *run = name.split("_")
            with self.subTest(name):
                self.check_reference(dataset, run, [f"independent/{name}/{f}" for f in
                                                    ("train.labels", "validation.labels", "metrics.txt")])

    def test_small_against_oracle(self):
        d = require_data(self, "small_train.csv")
        compare_with_oracle(self, f"{d}/small_train.csv", f"{d}/small_validation.csv",
                            [(3, 7, 1, 0.1), (2, 1, 2, 0.5), (0, 5, 1, 0.1), (4, 50, 1, 0.001), (2, 20, 2, 0.03),
                             (20, 4, 2, 0.1)])

    def test_medium_against_oracle(self):
        d = require_data(self, "medium_train.csv")
        compare_with_oracle(self, f"{d}/medium_train.csv", f"{d}/medium_validation.csv",
                            [(1, 10, 1, 0.01), (1, 10, 2, 0.01)])

    def test_large_against_oracle(self):
        d = require_data(self, "large_train.csv")
        compare_with_oracle(self, f"{d}/large_train.csv", f"{d}/large_validation.csv", [(1, 8, 1, 0.05)])

    def test_zero_epochs_writes_only_error_rates(self):
        d = require_data(self, "small_train.csv")
        out = [os.path.join(self.tmp, n) for n in ("tr", "va", "m")]
        result = run_cli(f"{d}/small_train.csv", f"{d}/small_validation.csv", *out, 0, 4, 2, 0.1)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([k for k, _ in read_metrics(out[2])], ["error(train)", "error(validation)"])
        with open(out[0]) as f:
            self.assertEqual(set(f.read().split()), {"0"})  # all-zero weights: every class ties

    def test_output_format(self):
        # The handout's exact lines, each number written as Python writes that float
        # ('0.73', never '0.72999999999999998' or '7.300e-01').
        d = require_data(self, "small_train.csv")
        out = [os.path.join(self.tmp, n) for n in ("tr", "va", "m")]
        result = run_cli(f"{d}/small_train.csv", f"{d}/small_validation.csv", *out, 2, 4, 1, 0.1)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(out[2], newline="") as f:
            lines = f.read().split("\n")
        self.assertEqual(lines.pop(), "")  # the file ends in one newline
        keys = [f"epoch={e} crossentropy({s})" for e in (1, 2) for s in ("train", "validation")]
        keys += ["error(train)", "error(validation)"]
        self.assertEqual([line.split(": ")[0] for line in lines], keys)
        for line in lines:
            number = line.split(": ")[1]
            self.assertEqual(number, repr(float(number)), line)
        for path, labels_path, line in ((f"{d}/small_train.csv", out[0], lines[4]),
                                        (f"{d}/small_validation.csv", out[1], lines[5])):
            with open(labels_path, newline="") as f:
                labels = f.read()
            truth = np.loadtxt(path, delimiter=",", usecols=0).astype(int)
            self.assertRegex(labels, rf"^(\d\n){{{len(truth)}}}$")
            error = float(np.mean(np.array(labels.split(), dtype=int) != truth))
            self.assertEqual(line.split(": ")[1], repr(error))


class TestFormats(unittest.TestCase):
    def test_metrics_numbers_are_written_as_python_writes_floats(self):
        # Values whose shortest form differs from fixed-digit formats (0.73 is
        # 0.72999999999999998 to 17 digits, 0.1 is 0.10000000000000001).
        text = neuralnet.format_metrics([0.1, 1 / 3], [2.0, 1e-20], 0.73, 0.0)
        self.assertEqual(text, "epoch=1 crossentropy(train): 0.1\n"
                               "epoch=1 crossentropy(validation): 2.0\n"
                               "epoch=2 crossentropy(train): 0.3333333333333333\n"
                               "epoch=2 crossentropy(validation): 1e-20\n"
                               "error(train): 0.73\n"
                               "error(validation): 0.0\n")

    def test_labels_one_integer_per_line(self):
        self.assertEqual(neuralnet.format_labels(np.array([3, 0, 9])), "3\n0\n9\n")

    def test_unix_line_endings_where_text_mode_writes_crlf(self):
        # Windows simulated: a text file opened without newline= writes \r\n, as Python does there.
        real_open, real_fdopen = io.open, os.fdopen

        def windows(opener):
            def opened(file, mode="r", *args, **kwargs):
                if "b" not in mode and len(args) < 3 and kwargs.get("newline") is None:
                    kwargs["newline"] = "\r\n"
                return opener(file, mode, *args, **kwargs)
            return opened

        with tempfile.TemporaryDirectory() as tmp:
            train, validation = os.path.join(tmp, "t.csv"), os.path.join(tmp, "v.csv")
            write_csv(train, tiny_rows(12, 6, seed=1))
            write_csv(validation, tiny_rows(5, 6, seed=2))
            outputs = [os.path.join(tmp, n) for n in OUTPUT_NAMES]
            with mock.patch("builtins.open", windows(real_open)), mock.patch("os.fdopen", windows(real_fdopen)):
                with open(os.path.join(tmp, "control.txt"), "w") as f:  # the simulation is in force
                    f.write("a\n")
                self.assertEqual(run_main([train, validation, *outputs, 2, 3, 1, 0.1]), (0, ""))
            with real_open(os.path.join(tmp, "control.txt"), "rb") as f:
                self.assertEqual(f.read(), b"a\r\n")
            for path in outputs:
                with real_open(path, "rb") as f:
                    data = f.read()
                self.assertNotIn(b"\r", data, path)
                self.assertTrue(data.endswith(b"\n"), path)


class TestSymmetry(unittest.TestCase):
    def test_zero_init_hidden_units_stay_bit_identical(self):
        # Exact arithmetic keeps them equal forever; in floats any asymmetric
        # rounding grows exponentially, so this checks the products' form.
        d = require_data(self, "small_train.csv")
        X_tr, y_tr = neuralnet.load_csv(f"{d}/small_train.csv", "train")
        nn = NN(input_size=128, hidden_size=4, output_size=10, weight_init_fn=zero_init, learning_rate=0.1)
        nn.train(X_tr, y_tr, X_tr[:10], y_tr[:10], 10)
        alpha, beta = nn.linear1.w, nn.linear2.w
        self.assertGreater(np.abs(alpha).max(), 0)
        np.testing.assert_array_equal(alpha, np.broadcast_to(alpha[0], alpha.shape))
        np.testing.assert_array_equal(beta[:, 1:], np.broadcast_to(beta[:, 1:2], beta[:, 1:].shape))


# ----------------------------------------------------------------------------
# The README's shown outputs
# ----------------------------------------------------------------------------

def readme_setup():
    """The README's set-up section: its ```sh commands (set up, test, run) and its text."""
    with open(os.path.join(HERE, "README.md")) as f:
        section = f.read().split("\n## Set-up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```$", section, re.M | re.S)
    commands = [line for block in blocks for line in block.splitlines()]
    return commands, section


class TestReadme(unittest.TestCase):
    def test_the_readme_is_a_students_first_five_minutes(self):
        # Course staff's material is docs/staff.md's, the grader's internals docs/grading.md's.
        with open(os.path.join(HERE, "README.md")) as f:
            lines = f.read().splitlines()
        self.assertLessEqual(len(lines), 250)
        self.assertIn("- [docs/staff.md](docs/staff.md): course staff: the Gradescope bundle, and a class graded from "
                      "its export;", lines)

    def test_setup_is_a_venv_in_two_commands_and_windows_spells_the_same(self):
        # CI runs these commands as printed, as an unprivileged user (.ci/run); Windows cannot be run here,
        # so its line is checked to be the same commands in Windows's spelling.
        commands, section = readme_setup()
        self.assertEqual(len(commands), 3, commands)  # set up, test, and the plain run
        setup, test, run = commands
        self.assertRegex(setup, r"^python3 -m venv \.venv && \.venv/bin/pip install -r requirements-dev\.txt$")
        self.assertEqual(test, ".venv/bin/python -m unittest tests")
        self.assertTrue(run.startswith(".venv/bin/python neuralnet.py "), run)

        def windows(command):
            return re.sub(r"^python3 ", "py ", command).replace(".venv/bin/", ".venv\\Scripts\\")
        self.assertIn(f"On Windows: `{windows(setup)}`, then `{windows(test)}`.", section)
        with open(os.path.join(HERE, ".gitignore")) as f:
            self.assertIn("/.venv*/", f.read().split())

    def test_shown_outputs_are_what_the_commands_print(self):
        # Each console block of the README and docs/ in a fresh folder holding the project's programs and data;
        # `python3` there is the interpreter running the tests. (Blocks that run grade.py are the grader's suite's.)
        blocks = [(document, steps) for document, steps in console_blocks() if not runs_grade(steps)
                  and (HAVE_MATPLOTLIB or not any("visualizer.py" in command for command, _ in steps))]
        self.assertGreaterEqual(len(blocks), 1)
        for document, steps in blocks:
            with self.subTest(document), tempfile.TemporaryDirectory() as tmp:
                for name in ("neuralnet.py", "compare.py", "incorrect_finder.py", "visualizer.py", "data"):
                    os.symlink(os.path.join(HERE, name), os.path.join(tmp, name))
                assert_console_block(self, steps, tmp, [sys.executable])

    def test_the_catalog_tables_are_the_catalogs_own(self):
        from grader import catalog
        with open(os.path.join(HERE, "docs", "grading.md")) as f:
            text = f.read()
        for mistakes in (catalog.CATALOG, catalog.DIAGNOSED):
            self.assertIn(catalog.markdown_table(mistakes), text)


# ----------------------------------------------------------------------------
# Deeper networks and experiments.py
# ----------------------------------------------------------------------------

class TestDepth(unittest.TestCase):
    def test_layers_from_a_list_of_sizes(self):
        nn = NN(input_size=6, hidden_size=[5, 4], output_size=10, weight_init_fn=random_init, learning_rate=0.1)
        self.assertEqual([layer.w.shape for layer in nn.linears], [(5, 7), (4, 6), (10, 5)])
        self.assertIs(nn.linear3, nn.linears[2])
        self.assertEqual(len(nn.sigmoids), 2)
        for layer in nn.linears:
            np.testing.assert_array_equal(layer.w[:, 0], 0.0)

    def test_one_layer_list_equals_plain_int(self):
        rows = tiny_rows(20, 6, seed=6)
        X, y = np.array([r[1:] for r in rows], dtype=float), np.array([r[0] for r in rows])
        results = []
        for hidden in (4, [4]):
            nn = NN(input_size=6, hidden_size=hidden, output_size=10, weight_init_fn=random_init, learning_rate=0.3)
            results.append((nn.train(X, y, X, y, 3), nn.linear1.w.copy(), nn.linear2.w.copy()))
        self.assertEqual(results[0][0], results[1][0])
        np.testing.assert_array_equal(results[0][1], results[1][1])
        np.testing.assert_array_equal(results[0][2], results[1][2])

    def test_cli_accepts_a_list_of_hidden_sizes(self):
        with tempfile.TemporaryDirectory() as tmp:
            train, validation = os.path.join(tmp, "t.csv"), os.path.join(tmp, "v.csv")
            write_csv(train, tiny_rows(15, 6, seed=1))
            write_csv(validation, tiny_rows(5, 6, seed=2))
            out = [os.path.join(tmp, n) for n in OUTPUT_NAMES]
            status, err = run_main([train, validation, *out, 3, "5,4", 1, 0.1])
            self.assertEqual(status, 0, err)
            self.assertEqual(len(read_metrics(out[2])), 3 * 2 + 2)


class TestExperimentsWithoutMatplotlib(unittest.TestCase):
    def test_one_line_says_what_to_install(self):
        import experiments
        err = io.StringIO()
        with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(sys.modules, {"matplotlib": None}), \
                contextlib.redirect_stderr(err):
            status = experiments.main(["depth", "--epochs", "0", "--out", tmp, "--jobs", "1"])
        self.assertEqual(status, 1)
        self.assertEqual(err.getvalue().splitlines()[-1],
                         "experiments.py: error: matplotlib is not installed: python3 -m pip install matplotlib "
                         "(or -r requirements-dev.txt)")
        self.assertNotIn("Traceback", err.getvalue())


@unittest.skipUnless(HAVE_MATPLOTLIB, "matplotlib not installed: pip install -r requirements-dev.txt")
class TestExperiments(unittest.TestCase):
    EXPECTED = {
        "hidden-units": ["hidden_units.png", "hidden_units.csv"],
        "learning-rates": ["lr_0.03.png", "lr_0.003.png", "lr_0.0003.png", "lr_0.03.csv"],
        "zero-init": ["zero_init_weights.txt"],
        "depth": ["one_vs_two_layers.png", "one_vs_two_layers.csv"],
        "misclassified": ["misclassified.csv", "misclassified.png"],
        "weights": ["weights.png", "weights.csv"],
        "confusion": ["confusion.png", "confusion.csv"],
    }

    @classmethod
    def setUpClass(cls):
        import experiments
        cls.experiments = experiments
        cls.tmp = tempfile.mkdtemp()
        # The first 40 and 10 rows of the course small set: every letter, and fast.
        cls.train, cls.validation = os.path.join(cls.tmp, "t.csv"), os.path.join(cls.tmp, "v.csv")
        for path, source, rows in ((cls.train, "small_train.csv", 40), (cls.validation, "small_validation.csv", 10)):
            with open(os.path.join(DATA, source)) as f, open(path, "w") as out:
                out.writelines(f.readlines()[:rows])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def run_experiment(self, command, *extra, jobs=1):
        out = tempfile.mkdtemp(dir=self.tmp)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            status = self.experiments.main([command, "--train", self.train, "--validation", self.validation,
                                            "--out", out, "--epochs", "2", "--jobs", str(jobs), *extra])
        self.assertEqual(status, 0, err.getvalue())
        return out, err.getvalue()

    def test_each_subcommand_writes_its_files(self):
        for command, names in self.EXPECTED.items():
            with self.subTest(command):
                out, _ = self.run_experiment(command)
                for name in names:
                    self.assertGreater(os.path.getsize(os.path.join(out, name)), 0, name)

    def test_all_in_parallel_writes_everything_and_reports_progress(self):
        out = tempfile.mkdtemp(dir=self.tmp)  # a real process: workers print to its stderr
        result = subprocess.run([sys.executable, os.path.join(HERE, "experiments.py"), "all", "--train", self.train,
                                 "--validation", self.validation, "--out", out, "--epochs", "2", "--jobs", "2"],
                                capture_output=True, text=True, timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr)
        err = result.stderr
        for names in [*self.EXPECTED.values(), ["curves.png", "curves.csv"]]:
            for name in names:
                self.assertTrue(os.path.exists(os.path.join(out, name)), name)
        with open(os.path.join(out, "curves.csv")) as f:
            files = {line.split(",")[0] for line in f.read().splitlines()[1:]}
        self.assertEqual(files, {f"metrics_2_50_1_{lr}.txt" for lr in (0.03, 0.003, 0.0003)})
        self.assertIn("epoch 2 of 2", err)
        self.assertIn("[hidden 50,50, lr 0.003, init RANDOM]", err)

    def test_curves_match_the_command_line(self):
        out, _ = self.run_experiment("learning-rates")
        with open(os.path.join(out, "lr_0.03.csv")) as f:
            rows = [line.split(",") for line in f.read().splitlines()[1:]]
        with tempfile.TemporaryDirectory() as tmp:
            paths = [os.path.join(tmp, n) for n in OUTPUT_NAMES]
            self.assertEqual(run_main([self.train, self.validation, *paths, 2, 50, 1, 0.03])[0], 0)
            metrics = read_metrics(paths[2])
        train_losses = [v for k, v in metrics if "(train)" in k and k.startswith("epoch")]
        self.assertEqual([float(r[1]) for r in rows], train_losses)

    def test_curves_of_command_line_metrics_files(self):
        paths = []
        with tempfile.TemporaryDirectory() as tmp:
            for epochs, hidden in ((3, 4), (2, 8)):
                outputs = [os.path.join(tmp, f"{epochs}.{n}") for n in OUTPUT_NAMES]
                self.assertEqual(run_main([self.train, self.validation, *outputs, epochs, hidden, 1, 0.1])[0], 0)
                paths.append(outputs[2])
            out, _ = self.run_experiment("curves", *paths)
        with open(os.path.join(out, "curves.csv")) as f:
            header, *rows = [line.split(",") for line in f.read().splitlines()]
        self.assertEqual(header, ["file", "epoch", "train", "validation"])
        self.assertEqual([(r[0], int(r[1])) for r in rows],
                         [("3.metrics.txt", 1), ("3.metrics.txt", 2), ("3.metrics.txt", 3),
                          ("2.metrics.txt", 1), ("2.metrics.txt", 2)])
        self.assertGreater(os.path.getsize(os.path.join(out, "curves.png")), 0)

    def test_curves_of_a_file_that_is_not_metrics(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = os.path.join(tmp, "notes.txt")
            with open(bad, "w") as f:
                f.write("epoch=1 crossentropy(train): 2.1\nhello world\n")
            result = subprocess.run([sys.executable, os.path.join(HERE, "experiments.py"), "curves", bad,
                                     "--out", tmp], capture_output=True, text=True, timeout=120)
            self.assertEqual(result.returncode, 1)
            self.assertEqual(result.stderr, f"experiments.py: error: {bad}: line 2: 'hello world' is not a metrics "
                                            "line such as 'epoch=1 crossentropy(train): 2.14'\n")
            self.assertFalse(os.path.exists(os.path.join(tmp, "curves.png")))

    def test_weights_grid_and_confusion_counts(self):
        out, err = self.run_experiment("confusion", "--hidden", "6", "--lr", "0.1")
        with open(os.path.join(out, "confusion.csv")) as f:
            header, *rows = [line.split(",") for line in f.read().splitlines()]
        self.assertEqual(header[1:], neuralnet.LETTERS)
        matrix = np.array([[int(v) for v in row[1:]] for row in rows])
        truth = np.loadtxt(self.validation, delimiter=",", usecols=0).astype(int)
        np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(truth, minlength=10))
        self.assertIn("most confused pairs", err)
        out, _ = self.run_experiment("weights", "--hidden", "6")
        with open(os.path.join(out, "weights.csv")) as f:
            header, *rows = f.read().splitlines()
        self.assertEqual(header.split(",")[:3], ["unit", "bias", "p1"])
        self.assertEqual(len(rows), 6)

    def test_zero_init_text_ends_with_its_conclusion(self):
        out, _ = self.run_experiment("zero-init")
        with open(os.path.join(out, "zero_init_weights.txt")) as f:
            last = f.read().splitlines()[-1]
        self.assertTrue(last.startswith("Conclusion: after every update all rows of alpha are equal"), last)

    def test_misclassified_rows_on_request(self):
        figures = []
        with mock.patch.object(self.experiments, "save_figure", side_effect=lambda fig, path: figures.append(fig)):
            out, _ = self.run_experiment("misclassified", "--rows", "0", "4")
        titles = [ax.get_title().split("\n")[0] for ax in figures[0].axes]
        self.assertEqual(titles, ["row 0", "row 4"])  # the rows asked for, in order
        with open(os.path.join(out, "misclassified.csv")) as f:
            header, *rows = f.read().splitlines()
        self.assertEqual(header, "index,true_label,true_letter,predicted_label,predicted_letter")
        # The rows listed are exactly those the command line's run (2 4 2 0.1) gets wrong.
        with tempfile.TemporaryDirectory() as tmp:
            paths = [os.path.join(tmp, n) for n in OUTPUT_NAMES]
            self.assertEqual(run_main([self.train, self.validation, *paths, 2, 4, 2, 0.1])[0], 0)
            with open(paths[0]) as f:
                predicted = [int(v) for v in f.read().split()]
        truth = np.loadtxt(self.train, delimiter=",", usecols=0).astype(int)
        wrong = [i for i, (p, t) in enumerate(zip(predicted, truth)) if p != t]
        self.assertEqual([int(row.split(",")[0]) for row in rows], wrong)
        for row in rows:
            index, true_label, true_letter, predicted_label, predicted_letter = row.split(",")
            self.assertEqual((int(true_label), int(predicted_label)), (truth[int(index)], predicted[int(index)]))
            self.assertEqual((true_letter, predicted_letter),
                             (neuralnet.LETTERS[int(true_label)], neuralnet.LETTERS[int(predicted_label)]))


# ----------------------------------------------------------------------------
# Bad input and failure safety
# ----------------------------------------------------------------------------

def run_main(argv):
    """Run neuralnet.main in-process; return (exit status, stderr text)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = neuralnet.main([str(a) for a in argv])
    return status, err.getvalue()


class CliTestCase(unittest.TestCase):
    """A temporary folder with a small valid train and validation file."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.train = self.path("train.csv")
        self.validation = self.path("validation.csv")
        write_csv(self.train, tiny_rows(12, 6, seed=1))
        write_csv(self.validation, tiny_rows(5, 6, seed=2))
        self.outputs = [self.path(n) for n in OUTPUT_NAMES]

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, text, mode="w"):
        with open(self.path(name), mode, **({} if "b" in mode else {"newline": ""})) as f:
            f.write(text)
        return self.path(name)

    def argv(self, train=None, validation=None, outputs=None, numbers=(2, 3, 1, 0.1)):
        return [train or self.train, validation or self.validation, *(outputs or self.outputs), *numbers]

    def snapshot(self):
        """Every file in the folder and its bytes; for a file this user cannot read (a test made it
        so), its size, modification time and inode instead."""
        result = {}
        for name in sorted(os.listdir(self.tmp)):
            path = self.path(name)
            if os.path.isfile(path):
                try:
                    with io.open(path, "rb") as f:  # io.open: not the one tests patch
                        result[name] = f.read()
                except PermissionError:
                    info = os.stat(path)
                    result[name] = (info.st_size, info.st_mtime_ns, info.st_ino)
        return result

    def assert_clean_failure(self, argv, status, fragment):
        """Exit status, one error line naming the problem, no file created or changed."""
        before = self.snapshot()
        got_status, err = run_main(argv)
        self.assertEqual(got_status, status, err)
        self.assertEqual(err.count("\n"), 1, err)
        self.assertTrue(err.startswith("neuralnet.py: error: "), err)
        self.assertIn(fragment, err)
        self.assertEqual(self.snapshot(), before)
        return err

    def assert_success(self, argv):
        status, err = run_main(argv)
        self.assertEqual(status, 0, err)
        self.assertEqual(err, "")
        with open(self.outputs[2]) as f:
            lines = f.read().splitlines()
        self.assertTrue(lines[-1].startswith("error(validation): "))
        self.assertTrue(all(np.isfinite(float(line.rsplit(": ", 1)[1])) for line in lines))
        return lines


class TestBadInputFiles(CliTestCase):
    def test_missing(self):
        self.assert_clean_failure(self.argv(train=self.path("nope.csv")), 1, "nope.csv': no such file")

    def test_directory(self):
        os.mkdir(self.path("folder"))
        self.assert_clean_failure(self.argv(validation=self.path("folder")), 1,
                                  "validation_input")

    def test_unreadable(self):
        real_open = open

        def guarded_open(path, *args, **kwargs):
            if path == self.train:
                raise PermissionError(13, "Permission denied", path)
            return real_open(path, *args, **kwargs)

        with mock.patch("builtins.open", guarded_open):
            self.assert_clean_failure(self.argv(), 1, "train.csv': permission denied")
        os.chmod(self.train, 0)
        try:
            if not os.access(self.train, os.R_OK):  # root reads it still: for root, the mock above is the test
                self.assert_clean_failure(self.argv(), 1, "train.csv': permission denied")
        finally:
            os.chmod(self.train, 0o644)

    def test_bad_contents(self):
        good = tiny_rows(4, 3, seed=3)
        body = "".join(",".join(map(str, r)) + "\n" for r in good)
        cases = {
            "empty": ("", "the file is empty"),
            "only blank lines": ("\n \n\r\n", "the file is empty"),
            "header row": ("label,p1,p2,p3\n" + body,
                           "line 1, column 1: 'label' is not a number (a header row? the file must have none)"),
            "bad first cell, no header": ("x,0,1,0\n" + body, "line 1, column 1: 'x' is not a number\n"),
            "semicolons": (body.replace(",", ";"), "not comma-separated: line 1 seems to use semicolons between"),
            "semicolons, decimal commas": (body.replace(",", ";").replace("1;", "0,5;"),
                                           "not comma-separated: line 1 seems to use semicolons"),
            "tabs": (body.replace(",", "\t"), "not comma-separated: line 1 seems to use tabs between values"),
            "spaces": (body.replace(",", " "), "not comma-separated: line 1 seems to use spaces between values"),
            "trailing commas": (body.replace("\n", ",\n"),
                                "line 1, column 5: empty cell: every line ends in a comma; remove the trailing commas"),
            "one trailing comma": (body + "1,0,1,1,\n", "line 5 has 5 columns; line 1 has 4"),
            "trailing comma, same width": (body + "1,0,1,\n", "line 5, column 4: empty cell: the line ends in a comma"),
            "long cell": (body + "1,0," + "y" * 500 + ",1\n",
                          "line 5, column 3: 'yyyyyyyyyyyyyyyyyyyy...' is not a number"),
            "ragged row": (body + "1,0,1\n", "line 5 has 3 columns; line 1 has 4"),
            "empty cell": (body + "1,0,,1\n", "line 5, column 3: empty cell\n"),
            "non-numeric": (body.replace("\n", "\n2,0,x,1\n", 1), "line 2, column 3: 'x' is not a number"),
            "NaN": (body + "2,0,nan,1\n", "line 5, column 3: 'nan' is not a finite number"),
            "infinity": (body + "2,0,1,-inf\n", "line 5, column 4: '-inf' is not a finite number"),
            "overflow": (body + "2,1e400,1,0\n", "line 5, column 2: '1e400' is not a finite number"),
            "label 10": (body + "10,0,1,0\n", "line 5, column 1: label '10' is not an integer in 0..9"),
            "label -1": (body + "-1,0,1,0\n", "line 5, column 1: label '-1' is not an integer in 0..9"),
            "label 2.5": (body + "2.5,0,1,0\n", "line 5, column 1: label '2.5' is not an integer in 0..9"),
            "pixel 255": (body + "3,0,255,0\n", "line 5, column 3: pixel '255' is outside [0, 1]"),
            "pixel -0.5": (body + "3,0,1,-0.5\n", "line 5, column 4: pixel '-0.5' is outside [0, 1]"),
            "one column": ("3\n4\n", "rows have 1 column; expected a label and pixels"),
        }
        for name, (text, fragment) in cases.items():
            with self.subTest(name):
                path = self.write("bad.csv", text)
                err = self.assert_clean_failure(self.argv(train=path), 1, f"train_input '{path}': {fragment}")
                self.assertLess(len(err.replace(path, "")), 200, err)
                self.assert_clean_failure(self.argv(validation=path), 1, f"validation_input '{path}'")

    def test_not_text(self):
        path = self.write("bin.csv", b"\xff\xfe\x00\x01garbage", "wb")
        self.assert_clean_failure(self.argv(train=path), 1, "not a text file")

    def test_validation_width_differs(self):
        path = self.write("narrow.csv", "1,0,1,0\n2,1,1,1\n")
        self.assert_clean_failure(self.argv(validation=path), 1,
                                  "rows have 4 columns; train_input rows have 7")

    def test_accepted_variants(self):
        rows = tiny_rows(6, 6, seed=4)
        body = "".join(",".join(map(str, r)) + "\n" for r in rows)
        variants = {
            "CRLF line endings": body.replace("\n", "\r\n"),
            "trailing blank lines": body + "\n\n  \n",
            "a single row": body.splitlines()[0] + "\n",
            "no final newline": body.rstrip("\n"),
            "byte-order mark": "\ufeff" + body,
            "grey pixels": body.replace(",1", ",0.25"),
        }
        for name, text in variants.items():
            with self.subTest(name):
                path = self.write("variant.csv", text)
                self.assert_success(self.argv(train=path))
                self.assert_success(self.argv(validation=path))

    def test_a_crlf_file_trains_exactly_like_its_lf_twin(self):
        with open(self.train) as f:
            path = self.write("crlf.csv", f.read().replace("\n", "\r\n"))
        self.assert_success(self.argv())
        lf = self.snapshot()
        self.assert_success(self.argv(train=path))
        crlf = self.snapshot()
        for name in OUTPUT_NAMES:
            self.assertEqual(lf[name], crlf[name])


class TestBadArguments(CliTestCase):
    def test_bad_numbers(self):
        cases = [
            ((-1, 3, 1, 0.1), "argument num_epoch: expected a non-negative integer, got '-1'"),
            (("1.5", 3, 1, 0.1), "argument num_epoch"),
            (("abc", 3, 1, 0.1), "argument num_epoch"),
            ((2, 0, 1, 0.1), "argument hidden_units: expected a positive integer"),
            ((2, -3, 1, 0.1), "argument hidden_units"),
            ((2, "x", 1, 0.1), "argument hidden_units"),
            ((2, "50,0", 1, 0.1), "argument hidden_units"),
            ((2, "4,", 1, 0.1), "argument hidden_units"),
            ((2, 3, 0, 0.1), "argument init_flag: expected 1 (RANDOM) or 2 (ZERO), got '0'"),
            ((2, 3, 3, 0.1), "argument init_flag"),
            ((2, 3, "one", 0.1), "argument init_flag"),
            ((2, 3, 1, 0), "argument learning_rate: expected a finite positive number, got '0'"),
            ((2, 3, 1, -0.5), "argument learning_rate"),
            ((2, 3, 1, "nan"), "argument learning_rate"),
            ((2, 3, 1, "inf"), "argument learning_rate"),
            ((2, 3, 1, "fast"), "argument learning_rate"),
        ]
        for numbers, fragment in cases:
            with self.subTest(numbers=numbers):
                self.assert_clean_failure(self.argv(numbers=numbers), 2, fragment)

    def test_missing_and_extra_arguments(self):
        self.assert_clean_failure(self.argv()[:-1], 2, "the following arguments are required: learning_rate")
        self.assert_clean_failure([], 2, "the following arguments are required")
        self.assert_clean_failure(self.argv() + ["extra"], 2, "unrecognized arguments: extra")


class TestOutputSafety(CliTestCase):
    def test_output_equal_to_input_is_refused(self):
        spelled_otherwise = os.path.join(self.tmp, ".", "x", "..", "train.csv")
        os.symlink(self.validation, self.path("link.csv"))
        for outputs, fragment in (
                ([self.train, *self.outputs[1:]], "train_out"),
                ([self.outputs[0], self.validation, self.outputs[2]], "validation_out"),
                ([*self.outputs[:2], spelled_otherwise], "metrics_out"),
                ([*self.outputs[:2], self.path("link.csv")], "metrics_out")):
            with self.subTest(outputs=outputs):
                err = self.assert_clean_failure(self.argv(outputs=outputs), 2, fragment)
                self.assertIn("refusing to overwrite an input", err)

    def test_output_paths_are_checked_before_any_input_is_read(self):
        missing = self.path("missing.csv")
        self.assert_clean_failure(self.argv(train=missing, outputs=[self.validation, *self.outputs[1:]]), 2,
                                  "refusing to overwrite an input")
        with mock.patch.object(neuralnet, "load_csv", side_effect=AssertionError("read an input")):
            self.assert_clean_failure(self.argv(outputs=[*self.outputs[:2], self.outputs[0]]), 2,
                                      "is the same file as train_out")

    def test_two_outputs_the_same_file(self):
        a = self.outputs[0]
        self.assert_clean_failure(self.argv(outputs=[a, a, self.outputs[2]]), 2,
                                  "validation_out")
        with open(a, "w") as f:
            f.write("old\n")
        os.link(a, self.path("hardlink"))
        self.assert_clean_failure(self.argv(outputs=[a, self.outputs[1], self.path("hardlink")]), 2,
                                  "is the same file as train_out")

    def test_missing_output_directory(self):
        out = os.path.join(self.tmp, "no", "such", "dir", "m.txt")
        self.assert_clean_failure(self.argv(outputs=[*self.outputs[:2], out]), 1, "does not exist")

    def test_output_is_a_directory(self):
        os.mkdir(self.path("folder"))
        self.assert_clean_failure(self.argv(outputs=[self.path("folder"), *self.outputs[1:]]), 1,
                                  "is a directory")

    def test_failed_run_leaves_earlier_outputs_identical(self):
        self.assert_success(self.argv())
        bad = self.write("bad.csv", "1,0,x\n")
        self.assert_clean_failure(self.argv(train=bad), 1, "not a number")
        self.assert_clean_failure(self.argv(numbers=(2, 3, 1, 1e308)), 1, "training diverged")

    def test_failure_while_writing_leaves_outputs_identical(self):
        # Run B's outputs differ from run A's in all three files, so renaming any
        # file before all are written would show when B fails at its third file.
        first, second = (1, 3, 2, 0.1), (30, 8, 1, 0.5)
        other = [self.path(f"b.{name}") for name in OUTPUT_NAMES]
        self.assert_success(self.argv(numbers=first))
        self.assertEqual(run_main(self.argv(outputs=other, numbers=second)), (0, ""))
        for a, b in zip(self.outputs, other):
            with open(a) as f_a, open(b) as f_b:
                self.assertNotEqual(f_a.read(), f_b.read(), os.path.basename(a))
        real_mkstemp, calls = tempfile.mkstemp, []

        def failing_third(*args, **kwargs):
            calls.append(1)
            if len(calls) == 3:
                raise OSError(28, "No space left on device", kwargs.get("dir"))
            return real_mkstemp(*args, **kwargs)

        with mock.patch("tempfile.mkstemp", failing_third):
            self.assert_clean_failure(self.argv(numbers=second), 1, "No space left on device")
        self.assertEqual(len(calls), 3)

    def test_unwritable_output_directory(self):
        # Root may write anywhere, so the check is exercised through os.access.
        real_access = os.access

        def no_write(path, mode, *args, **kwargs):
            return False if mode & os.W_OK else real_access(path, mode, *args, **kwargs)

        with mock.patch("os.access", no_write):
            self.assert_clean_failure(self.argv(), 1, f"directory '{self.tmp}' is not writable")

    def test_outputs_are_replaced_not_rewritten_in_place(self):
        self.assert_success(self.argv())
        inode = os.stat(self.outputs[2]).st_ino
        self.assert_success(self.argv(numbers=(1, 2, 1, 0.1)))
        self.assertNotEqual(os.stat(self.outputs[2]).st_ino, inode)
        self.assertEqual(sorted(os.listdir(self.tmp)), sorted(["train.csv", "validation.csv", *OUTPUT_NAMES]))
        self.assertEqual(os.stat(self.outputs[0]).st_mode & 0o777, 0o666 & ~self.umask())

    @staticmethod
    def umask():
        mask = os.umask(0)
        os.umask(mask)
        return mask

    @unittest.skipIf(os.name == "nt", POSIX_SIGNALS)
    def test_interrupted_run_leaves_outputs_identical(self):
        self.assert_success(self.argv())
        before = self.snapshot()
        # SIGINT back to its default in the child: a shell's background job starts
        # with it ignored, and then Python would never raise KeyboardInterrupt.
        process = subprocess.Popen([sys.executable, NEURALNET, *map(str, self.argv(numbers=(10 ** 7, 4, 1, 0.1)))],
                                   stderr=subprocess.PIPE, text=True,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            wait_for_cpu_seconds(process.pid, 0.8)  # past start-up, well into training
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=60)
        finally:
            process.kill()
            process.wait()
        self.assertEqual(process.returncode, 130)
        self.assertEqual(err, "neuralnet.py: interrupted; no output written\n")
        self.assertEqual(self.snapshot(), before)

    def test_no_traceback_from_the_command_line(self):
        for argv, status in ((self.argv(train=self.path("missing.csv")), 1),
                             (self.argv(numbers=(2, 3, 9, 0.1)), 2),
                             (self.argv(outputs=[self.train, *self.outputs[1:]]), 2)):
            result = run_cli(*argv)
            self.assertEqual(result.returncode, status)
            self.assertNotIn("Traceback", result.stderr)
            self.assertEqual(result.stderr.count("\n"), 1, result.stderr)


def run_on_terminal(argv, interrupt_after_cpu_seconds=None):
    """Run the CLI with stderr on a pseudo-terminal; return (status, stdout, terminal text)."""
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, NEURALNET, *map(str, argv)], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=slave,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(slave)
    chunks = []

    def read_terminal():  # drain it all along: a full terminal buffer would block the child
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    try:
        if interrupt_after_cpu_seconds is not None:
            wait_for_cpu_seconds(process.pid, interrupt_after_cpu_seconds)
            process.send_signal(signal.SIGINT)
        stdout = process.stdout.read()
        process.wait(timeout=60)
        reader.join(timeout=10)
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
        os.close(master)
    return process.returncode, stdout.decode(), b"".join(chunks).decode()


class TestProgress(CliTestCase):
    @unittest.skipIf(pty is None, NEEDS_PTY)
    def test_progress_line_on_a_terminal(self):
        status, stdout, screen = run_on_terminal(self.argv(numbers=(3, 4, 1, 0.1)))
        self.assertEqual(status, 0, screen)
        self.assertEqual(stdout, "")
        self.assertTrue(screen.endswith("\r\n") or screen.endswith("\n"), repr(screen))  # the line is finished
        updates = screen.rstrip("\r\n").split("\r")
        self.assertEqual(updates.pop(0), "")  # every update rewrites the line from its start
        with open(self.outputs[2]) as f:
            metrics = [line.rsplit(": ", 1)[1] for line in f.read().splitlines()]
        epochs = [int(re.match(r"epoch (\d+)/", update).group(1)) for update in updates]
        self.assertEqual((epochs[0], epochs[-1]), (1, 3))  # the first and last always; fast ones between may not be
        for epoch, update in zip(epochs, updates):
            self.assertRegex(update.rstrip(), rf"^epoch {epoch}/3  crossentropy train \d\.\d{{4}}  "
                                              r"validation \d\.\d{4}  elapsed \d+\.\ds  left \d+\.\ds$")
            shown = re.findall(r"(?:train|validation) (\d\.\d{4})", update)
            self.assertEqual(shown, [f"{float(v):.4f}" for v in metrics[2 * epoch - 2:2 * epoch]])
        self.assertRegex(updates[-1], r"left 0\.0s")

    @unittest.skipIf(pty is None, NEEDS_PTY)
    def test_interrupted_on_a_terminal_finishes_the_line(self):
        status, stdout, screen = run_on_terminal(self.argv(numbers=(10 ** 7, 4, 1, 0.1)),
                                                 interrupt_after_cpu_seconds=0.8)
        self.assertEqual(status, 130, screen)
        self.assertEqual(stdout, "")
        progress, message = screen.replace("\r\n", "\n").rstrip("\n").rsplit("\n", 1)
        self.assertIn("epoch 1/10000000", progress)
        self.assertEqual(message, "neuralnet.py: interrupted; no output written")

    def test_silent_off_a_terminal(self):
        result = run_cli(*self.argv(numbers=(3, 4, 1, 0.1)))
        self.assertEqual((result.returncode, result.stdout, result.stderr), (0, "", ""))


class TestBlasThreads(unittest.TestCase):
    def thread_variables(self, code, **env):
        clean = {k: v for k, v in os.environ.items() if k not in neuralnet.BLAS_THREAD_VARIABLES}
        result = subprocess.run([sys.executable, "-c", code + "; import os; print(sorted((k, v) for k, v in "
                                 "os.environ.items() if k in neuralnet.BLAS_THREAD_VARIABLES))"],
                                cwd=HERE, env={**clean, **env}, capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        return ast.literal_eval(result.stdout)  # a printed list of pairs

    def test_one_thread_unless_the_user_chose(self):
        ones = sorted((name, "1") for name in neuralnet.BLAS_THREAD_VARIABLES)
        self.assertEqual(self.thread_variables("import neuralnet"), ones)
        self.assertEqual(self.thread_variables("import neuralnet", OMP_NUM_THREADS="3"), [("OMP_NUM_THREADS", "3")])
        # numpy already loaded: setting them would change nothing here, so they are left alone
        self.assertEqual(self.thread_variables("import numpy, neuralnet"), [])


class TestRunToRun(unittest.TestCase):
    def test_cli_outputs_identical_quiet_and_beside_a_busy_process(self):
        d = require_data(self, "medium_train.csv")
        runs = []
        with tempfile.TemporaryDirectory() as tmp:
            for busy in (False, True):
                spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
                try:
                    paths = [os.path.join(tmp, f"{busy}.{name}") for name in OUTPUT_NAMES]
                    result = run_cli(f"{d}/medium_train.csv", f"{d}/medium_validation.csv", *paths, 2, 30, 1, 0.02)
                finally:
                    if spinner:
                        spinner.kill()
                        spinner.wait()
                self.assertEqual(result.returncode, 0, result.stderr)
                outputs = []
                for path in paths:
                    with open(path, "rb") as f:
                        outputs.append(f.read())
                runs.append(outputs)
        for name, quiet, busy in zip(OUTPUT_NAMES, *runs):
            self.assertTrue(quiet == busy, f"{name} differs between the quiet and the busy run")


class TestNumerics(CliTestCase):
    def test_huge_learning_rate_trains_without_warnings(self):
        rows = tiny_rows(30, 6, seed=5)
        X = np.array([r[1:] for r in rows], dtype=float)
        y = np.array([r[0] for r in rows])
        for lr, scale in ((1000.0, 1.0), (1000.0, 1e3), (0.1, 1e6)):
            with self.subTest(lr=lr, scale=scale), warnings.catch_warnings():
                warnings.simplefilter("error")  # any overflow or invalid-value warning fails
                nn = NN(input_size=6, hidden_size=5, output_size=10, weight_init_fn=random_init,
                        learning_rate=lr)
                start = [layer.w.copy() for layer in nn.linears]
                losses = nn.train(X * scale, y, X * scale, y, 5)
                labels, error = nn.test(X * scale, y)
                one_by_one = [int(np.argmax(nn.forward(x, 0)[0])) for x in X * scale]
            self.assertTrue(np.isfinite(losses).all())
            for before, layer in zip(start, nn.linears):
                self.assertTrue(np.isfinite(layer.w).all())
                self.assertFalse(np.array_equal(before, layer.w))  # it did train
            np.testing.assert_array_equal(labels, one_by_one)  # batch and single paths agree
            self.assertEqual(error, np.mean(labels != y))

    def test_huge_learning_rate_from_the_command_line(self):
        result = subprocess.run([sys.executable, "-W", "error", NEURALNET,
                                 *map(str, self.argv(numbers=(5, 4, 1, 1000)))],
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        for _, value in read_metrics(self.outputs[2]):
            self.assertTrue(np.isfinite(value))


if HAVE_HYPOTHESIS:
    _TOKENS = st.sampled_from([",", "\n", "\r\n", "\r", "", " ", "0", "1", "9", "10", "-1", "0.5",
                               "2.5", "nan", "inf", "1e400", "x", "label", "\x00", "\u00e9", "\ufeff"])
    MUTATION = st.tuples(st.sampled_from(["insert", "delete", "replace", "truncate", "duplicate"]),
                         st.integers(0, 10 ** 6), _TOKENS)
    _JUNK = st.text(alphabet=" -.,abxe", max_size=5)  # no digits: never a huge epoch count
    _VALID = (["0", "1", "2"], ["1", "3", "2,2"], ["1", "2"], ["0.1", "1", "1000"])
    _INVALID = (["-1", "1.5"], ["0", "-2", "3,"], ["0", "3"], ["0", "-1", "nan", "inf", "1e308"])
    # Half the examples have valid numbers, so that the mutated files get read.
    NUMBER_ARGS = st.one_of(
        st.tuples(*[st.sampled_from(v) for v in _VALID]),
        st.tuples(*[st.one_of(st.sampled_from(v + i), _JUNK) for v, i in zip(_VALID, _INVALID)]))


class TestFuzzContract(unittest.TestCase):
    """Mutated CSV files and random arguments: success, or a clean error with nothing written."""

    FUZZ_EXAMPLES = int(os.environ.get("NEURALNET_FUZZ_EXAMPLES", "500"))
    outcomes = {0: 0, 1: 0, 2: 0}  # exit status: examples

    if HAVE_HYPOTHESIS:
        @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(target=st.sampled_from(["train", "validation"]), mutations=st.lists(MUTATION, max_size=4),
               numbers=NUMBER_ARGS, arity=st.sampled_from([9] * 8 + [8, 10]))
        def test_contract(self, target, mutations, numbers, arity):
            tmp = tempfile.mkdtemp()
            try:
                files = {}
                for name, rows in (("train", tiny_rows(12, 5, seed=8)), ("validation", tiny_rows(4, 5, seed=9))):
                    text = "".join(",".join(map(str, r)) + "\n" for r in rows)
                    if name == target:
                        for kind, position, token in mutations:
                            i = position % (len(text) + 1)
                            if kind == "insert":
                                text = text[:i] + token + text[i:]
                            elif kind == "delete":
                                text = text[:i] + text[i + 1:]
                            elif kind == "replace":
                                text = text[:i] + token + text[i + len(token):]
                            elif kind == "truncate":
                                text = text[:i]
                            else:
                                text = text + text[i:]
                    files[name] = os.path.join(tmp, f"{name}.csv")
                    with open(files[name], "w", encoding="utf-8", newline="") as f:
                        f.write(text)
                outputs = [os.path.join(tmp, n) for n in OUTPUT_NAMES]
                argv = [files["train"], files["validation"], *outputs, *numbers, "extra"][:arity]
                status, err = run_main(argv)
                self.outcomes[status] = self.outcomes.get(status, 0) + 1
                left = sorted(set(os.listdir(tmp)) - {"train.csv", "validation.csv"})
                if status == 0:
                    self.assertEqual(err, "")
                    self.assertEqual(left, sorted(OUTPUT_NAMES))
                    with open(outputs[2]) as f:
                        values = [float(line.rsplit(": ", 1)[1]) for line in f.read().splitlines()]
                    self.assertTrue(np.isfinite(values).all())
                    with open(outputs[0]) as f:
                        self.assertRegex(f.read(), r"^(\d\n)+$")
                else:
                    self.assertIn(status, (1, 2))
                    self.assertEqual(err.count("\n"), 1, err)
                    self.assertTrue(err.startswith("neuralnet.py: error: "), err)
                    self.assertEqual(left, [])  # nothing written, not even a temporary file
            finally:
                shutil.rmtree(tmp)
    else:
        def test_contract(self):
            self.skipTest("hypothesis not installed: pip install -r requirements-dev.txt")

    @classmethod
    def tearDownClass(cls):
        if sum(cls.outcomes.values()):
            print(f"\n[fuzz: {sum(cls.outcomes.values())} examples ran: {cls.outcomes[0]} succeeded, "
                  f"{cls.outcomes[1]} bad input, {cls.outcomes[2]} bad arguments]", file=sys.stderr)


# ----------------------------------------------------------------------------
# The handout's workflow: its unit-test commands, incorrect_finder.py, visualizer.py, its paths
# ----------------------------------------------------------------------------

HANDOUT_TESTS = {  # section 8.4's classes, with the method names of the course's tests.py
    "TestRandomInit": ["test_shape", "test_bounds", "test_variation_row", "test_variation_column"],
    "TestLinear": ["test_forward", "test_bias_zeroinit", "test_bias_randominit", "test_backward"],
    "TestSigmoid": ["test_forward_1", "test_forward_2", "test_backward"],
    "TestSoftmax": ["test_softmax_forward_1", "test_softmax_forward_2", "test_crossentropy", "test_backward"],
    "TestNN": ["test_forward", "test_backward"],
}


def run_script(main, argv):
    """Run a script's main in-process; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        status = main([str(a) for a in argv])
    return status, out.getvalue(), err.getvalue()


class TestHandoutCommands(CliTestCase):
    def test_the_unit_test_commands_of_section_8_4(self):
        # `python -m unittest tests.TestRandomInit.test_shape` runs as a subprocess in TestLeftovers (one for both)
        loader = unittest.TestLoader()
        for name, methods in HANDOUT_TESTS.items():  # `python -m unittest tests.TestX` loads each of these
            loaded = [test._testMethodName for test in loader.loadTestsFromName(f"tests.{name}")]
            self.assertEqual(sorted(loaded), sorted(methods), name)

    def copy_small_train(self):
        shutil.copy(os.path.join(require_data(self, "small_train.csv"), "small_train.csv"), self.tmp)

    def handout_run(self):
        """The handout's files and run in the test's folder: small_train.csv and the labels neuralnet.py writes."""
        self.copy_small_train()
        status, err = run_main([self.path("small_train.csv"), self.path("small_train.csv"),
                                self.path("small_train_out.labels"), self.path("v.labels"), self.path("m.txt"),
                                2, 4, 2, 0.1])
        self.assertEqual(status, 0, err)
        _, y = neuralnet.load_csv(self.path("small_train.csv"), "train")
        with open(self.path("small_train_out.labels")) as f:
            return y, np.array([int(line) for line in f])

    def test_incorrect_finder_writes_the_course_csv(self):
        import incorrect_finder
        y, predicted = self.handout_run()
        status, out, err = run_script(incorrect_finder.main, [self.path("small_train.csv"),
                                                             self.path("small_train_out.labels"),
                                                             self.path("incorrect_label.csv")])
        self.assertEqual((status, err), (0, ""))
        with open(self.path("incorrect_label.csv"), newline="") as f:
            lines = f.read().split("\n")
        self.assertEqual(lines[0], "Index,Input Label,Output Label")
        self.assertEqual(lines[-1], "")  # the last line ends in a newline
        wrong = np.flatnonzero(y != predicted)
        self.assertGreater(len(wrong), 0)
        self.assertEqual(lines[1:-1], [f"{i},{y[i]},{predicted[i]}" for i in wrong])  # rows from 0
        below_10 = ", ".join(str(i) for i in wrong if i < 10)
        self.assertEqual(out, f"wrote {self.path('incorrect_label.csv')}: {len(wrong)} of {len(y)} rows "
                              f"misclassified; those below 10 (rows from 0): {below_10}\n")

    def test_incorrect_finder_refuses_bad_input_in_one_line(self):
        import incorrect_finder
        self.handout_run()
        self.write("short.labels", "1\n2\n")
        self.write("bad.labels", "1\nx\n")
        cases = [
            ([self.train, "short.labels"], 1, "short.labels': 2 labels, but input"),
            ([self.train, "bad.labels"], 1, "bad.labels': line 2: 'x' is not a label 0..9"),
            ([self.train, "none.labels"], 1, "labels 'none.labels': no such file; neuralnet.py writes it (its "
                                             "train_out or validation_out argument): run neuralnet.py first"),
            (["small_train.csv", self.path("small_train_out.labels")], 1,
             "input 'small_train.csv': no such file; did you mean "),
        ]
        for (csv_path, labels), status, fragment in cases:
            with self.subTest(fragment):
                labels = labels if os.path.isabs(labels) or labels == "none.labels" else self.path(labels)
                before = self.snapshot()
                got, out, err = run_script(incorrect_finder.main, [csv_path, labels, self.path("out.csv")])
                self.assertEqual((got, out, err.count("\n")), (status, "", 1), err)
                self.assertTrue(err.startswith("incorrect_finder.py: error: "), err)
                self.assertIn(fragment, err)
                self.assertEqual(self.snapshot(), before)
        got, _, err = run_script(incorrect_finder.main, [self.train, self.path("small_train_out.labels"), self.train])
        self.assertEqual(got, 2)
        self.assertIn("is the same file as input; refusing to overwrite an input", err)

    @unittest.skipUnless(HAVE_MATPLOTLIB, "matplotlib not installed: pip install -r requirements-dev.txt")
    def test_visualizer_draws_the_rows_with_their_labels(self):
        import visualizer
        self.copy_small_train()
        X, y = neuralnet.load_csv(self.path("small_train.csv"), "train")
        for name, magic in (("graph.jpg", b"\xff\xd8\xff"), ("graph.png", b"\x89PNG")):
            status, out, err = run_script(visualizer.main, [self.path("small_train.csv"), 1, 2, 3, self.path(name)])
            self.assertEqual((status, err), (0, ""))
            self.assertIn("(rows from 0)", out)
            with open(self.path(name), "rb") as f:
                self.assertTrue(f.read().startswith(magic), name)
        plt = visualizer.pyplot()
        fig = visualizer.figure(plt, X, y, [3, 0], "small_train.csv")
        self.addCleanup(plt.close, fig)
        self.assertIn("(rows numbered from 0)", fig._suptitle.get_text())
        for ax, row in zip(fig.axes, [3, 0]):
            self.assertEqual(ax.get_title(), f"row {row}")
            self.assertEqual(ax.get_xlabel(), f"label {y[row]} ('{neuralnet.LETTERS[y[row]]}')")
            np.testing.assert_array_equal(ax.images[0].get_array(), X[row].reshape(16, 8))

    @unittest.skipUnless(HAVE_MATPLOTLIB, "matplotlib not installed: pip install -r requirements-dev.txt")
    def test_visualizer_refuses_bad_input_in_one_line(self):
        import visualizer
        self.copy_small_train()
        small = self.path("small_train.csv")
        cases = [
            ([small, 1, 500, "graph.jpg"], 2, "argument rows: row 500 is not in 0..499"),
            ([small, 1, "x", "graph.jpg"], 2, "argument rows: expected a row index"),
            ([small, 1, "graph.gif"], 2, "argument output: "),
            ([self.train, 1, "graph.png"], 1, "rows have 6 pixels; a 16x8 image needs 128"),
            (["small_train.csv", 1, "graph.png"], 1, "input 'small_train.csv': no such file; did you mean "),
        ]
        for argv, status, fragment in cases:
            with self.subTest(fragment):
                before = self.snapshot()
                got, out, err = run_script(visualizer.main, [*argv[:-1], self.path(argv[-1])])
                self.assertEqual((got, out, err.count("\n")), (status, "", 1), err)
                self.assertTrue(err.startswith("visualizer.py: error: "), err)
                self.assertIn(fragment, err)
                self.assertEqual(self.snapshot(), before)
        with mock.patch.dict(sys.modules, {"matplotlib": None}):  # import matplotlib raises ImportError
            got, _, err = run_script(visualizer.main, [small, 1, self.path("graph.png")])
        self.assertEqual((got, err), (1, "visualizer.py: error: matplotlib is not installed: python3 -m pip install "
                                         "matplotlib (or -r requirements-dev.txt)\n"))

    def test_help_says_how_rows_are_numbered(self):
        import incorrect_finder
        import visualizer
        for module in (incorrect_finder, visualizer):
            with self.subTest(module.PROG), self.assertRaises(SystemExit):
                run_script(module.main, ["--help"])
            self.assertIn("numbered from 0", " ".join(module.build_parser().format_help().split()))
        self.assertIn("counted from 1", " ".join(neuralnet.build_parser().format_help().split()))

    def test_handout_paths_without_data_get_a_hint(self):
        for_data = os.path.join("data", "small_train.csv")
        err = self.assert_clean_failure(self.argv(train="small_train.csv"), 1, "train_input 'small_train.csv': no such "
                                        "file; did you mean '")
        self.assertTrue(err.rstrip().endswith(f"{for_data}'?"), err)
        self.assert_clean_failure(self.argv(train="nothing_like_it.csv"), 1, "'nothing_like_it.csv': no such file\n")

    def test_a_pandas_index_column_is_named(self):
        rows = [[i, *row] for i, row in enumerate(tiny_rows(12, 6, seed=1))]  # pandas' to_csv(header=False)
        write_csv(self.train, rows)
        self.assert_clean_failure(self.argv(), 1, "line 11, column 1: label '10' is not an integer in 0..9; column 1 "
                                                  "counts the rows 0, 1, 2, ...: an index column")
        write_csv(self.train, [["", *range(7)], *rows])  # pandas' to_csv() with its defaults: a header row too
        self.assert_clean_failure(self.argv(), 1, "line 1, column 1: empty cell: a header row of column numbers over "
                                                  "an index column, as pandas writes by default? save with "
                                                  "to_csv(..., header=False, index=False)")
        write_csv(self.train, [[9 - row[0], *row[1:]] + [0] for row in tiny_rows(12, 5, seed=1)] + [[10] * 7])
        err = self.assert_clean_failure(self.argv(), 1, "label '10' is not an integer in 0..9")
        self.assertNotIn("index column", err)


class TestLimits(CliTestCase):
    def test_hidden_units_that_would_not_fit_are_refused_before_anything_is_allocated(self):
        needed = neuralnet.run_bytes([(100000, 7), (10, 100001)], 12)
        with mock.patch.object(neuralnet, "available_memory", return_value=needed - 1), \
                mock.patch.object(neuralnet, "NN", side_effect=AssertionError("built a network")):
            self.assert_clean_failure(self.argv(numbers=(2, 100000, 1, 0.1)), 2,
                                      "argument hidden_units: 100000 hidden units would need about "
                                      f"{needed / 2**20:.1f} MB of memory; {(needed - 1) / 2**20:.1f} MB is available")
        with mock.patch.object(neuralnet, "available_memory", return_value=needed):
            neuralnet.check_network_fits(6, 100000, 10, 12, init_flag=1)  # exactly enough: accepted

    def test_the_estimate_covers_what_a_run_allocates(self):
        nn = NN(input_size=128, hidden_size=[30, 20], output_size=10, weight_init_fn=random_init, learning_rate=0.1)
        weights = sum(layer.w.nbytes for layer in nn.linears)
        dataset = 500 * 30 * 8  # the widest layer's outputs for a whole dataset
        self.assertGreaterEqual(neuralnet.run_bytes([layer.w.shape for layer in nn.linears], 500),
                                3 * weights + 2 * dataset)

    def test_random_init_past_the_seed_range_is_refused(self):
        hidden = 2**32 // 7 + 1  # linear1's w is hidden x 7 for 6 pixels: rows x cols passes 2**32
        with mock.patch.object(neuralnet, "available_memory", return_value=1 << 62), \
                mock.patch.object(neuralnet, "NN", side_effect=AssertionError("built a network")):
            self.assert_clean_failure(self.argv(numbers=(2, hidden, 1, 0.1)), 2,
                                      f"argument hidden_units: {hidden} hidden units: RANDOM init seeds numpy with "
                                      "rows x cols of each weight matrix, which must stay below 2**32 (the run would "
                                      "need about ")
            neuralnet.check_network_fits(6, hidden, 10, 12, init_flag=2)  # ZERO init seeds nothing

    def test_a_python_without_numpy_says_how_to_set_up(self):
        # -S: no site-packages, so no numpy; -E and -s: nor PYTHONPATH or the user's site
        commands = {"neuralnet.py": self.argv(), "incorrect_finder.py": [self.train, "x.labels", self.path("i.csv")],
                    "visualizer.py": [self.train, 1, self.path("g.png")], "grade.py": [NEURALNET, "--quick"]}
        commands = {program: [os.path.join(HERE, program), *map(str, argv)] for program, argv in commands.items()}
        commands["tests.py"] = ["-m", "unittest", "tests.TestRandomInit.test_shape"]  # the handout's command
        for program, argv in commands.items():
            with self.subTest(program):
                command = [sys.executable, "-S", "-E", "-s", *argv]
                result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=HERE)
                self.assertEqual((result.returncode, result.stdout), (1, ""))
                self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
                self.assertRegex(result.stderr, rf"^{program}: error: numpy is not installed for .*; set up as the "
                                                r"README says: python3 -m venv \.venv && \.venv/bin/pip install -r "
                                                r"requirements\.txt, then run with \.venv/bin/python$")
                self.assertEqual(sorted(os.listdir(self.tmp)), ["train.csv", "validation.csv"])


class TestLeftovers(unittest.TestCase):
    def test_the_handout_s_unit_test_command_and_the_fuzz_test_leave_nothing_in_the_current_folder(self):
        # One process for both (importing tests takes a second or two): the handout's command for one test, and
        # the fuzz test, from a current folder of their own, where hypothesis would write .hypothesis/ by default.
        with tempfile.TemporaryDirectory() as folder:
            env = dict(os.environ, NEURALNET_FUZZ_EXAMPLES="3",
                       PYTHONPATH=os.pathsep.join(filter(None, [HERE, os.environ.get("PYTHONPATH")])))
            result = subprocess.run([sys.executable, "-m", "unittest", "tests.TestRandomInit.test_shape",
                                     "tests.TestFuzzContract"], cwd=folder, capture_output=True, text=True,
                                    timeout=120, env=env)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("Ran 2 tests", result.stderr)
            self.assertEqual(os.listdir(folder), [])

    def test_the_suites_share_a_helper_module_and_do_not_import_each_other(self):
        def imported(path):
            with open(os.path.join(HERE, path)) as f:
                tree = ast.parse(f.read())
            names = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom):
                    names.add(node.module or "")
                    names.update(f"{node.module}.{alias.name}" for alias in node.names)
            return names
        # tests.py loads grader/test_checks.py's tests (load_tests); none of the grader's suites imports tests.py
        for path in ("grader/test_checks.py", "grader/test_batch.py", "grader/test_submissions.py",
                     "grader/test_grader.py"):
            self.assertFalse({name for name in imported(path) if name.split(".")[0] == "tests"}, path)
            self.assertIn("grader.testing", imported(path), path)
        self.assertIn("grader.testing", imported("tests.py"))


# ----------------------------------------------------------------------------
# grade.py's reference is its own (grader/reference.py)
# ----------------------------------------------------------------------------

class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


class TestGradeReference(unittest.TestCase):
    """grade.py knows its reference by its SHA-256: a student's file or the starter code copied over the clone's
    neuralnet.py stops it in one line, before neuralnet is imported."""

    def test_the_recorded_digest_is_neuralnet_py_s(self):
        from grader import reference
        self.assertEqual(reference.digest(NEURALNET), reference.SHA256,
                         f"neuralnet.py changed without its digest: if on purpose, run {reference.UPDATE}")

    def project_copy(self, neuralnet_source):
        """grade.py and the grader beside a neuralnet.py of this source (None: no neuralnet.py at all)."""
        folder = tempfile.mkdtemp(prefix="grade-reference-")
        self.addCleanup(shutil.rmtree, folder, True)
        shutil.copytree(os.path.join(HERE, "grader"), os.path.join(folder, "grader"),
                        ignore=shutil.ignore_patterns("__pycache__", "test*"))
        for name in ("grade.py", "compare.py", "course_data.py"):
            shutil.copy(os.path.join(HERE, name), folder)
        if neuralnet_source is not None:
            with open(os.path.join(folder, "neuralnet.py"), "w") as f:
                f.write(neuralnet_source)
        return folder

    def test_a_student_file_or_the_starter_code_beside_grade_py_stops_it_in_one_line(self):
        from grader import reference
        with open(NEURALNET) as f:
            ours = f.read()
        summed_loss = ours.replace("return float(np.mean(losses))", "return float(np.sum(losses))")
        self.assertNotEqual(summed_loss, ours)
        starter = ("import numpy as np\n\n\ndef random_init(shape):\n    raise NotImplementedError\n\n\n"
                   "class Linear:\n    pass\n")
        for what, source in (("a student's file", summed_loss), ("the starter code", starter), ("none", None)):
            folder = self.project_copy(source)
            for options in (["neuralnet.py", "--quick", "--json", "results.json"], ["--make-autograder", "b.zip"]):
                with self.subTest(what, options=options):
                    result = subprocess.run([sys.executable, "grade.py", *options], cwd=folder, capture_output=True,
                                            text=True, timeout=60)
                    self.assertEqual(result.returncode, 2)
                    self.assertEqual(result.stdout, "")
                    self.assertEqual(result.stderr, f"grade.py: error: {reference.problem(folder)}\n")
                    self.assertIn("git checkout -- neuralnet.py", result.stderr)
                    self.assertIn(reference.GRADE_YOURS, result.stderr)
                    self.assertFalse(os.path.exists(os.path.join(folder, "b.zip")))
            with open(os.path.join(folder, "results.json")) as f:
                results = json.load(f)
            self.assertEqual(results["score"], 0)
            self.assertIn(reference.problem(folder), results["output"])

    def test_the_reference_as_the_submission_gets_a_note_on_a_terminal(self):
        from grader import reference
        terminal, pipe = FakeTerminal(), io.StringIO()
        self.assertIsNone(reference.check([NEURALNET, "--quick"], terminal))
        self.assertIsNone(reference.check([NEURALNET, "--quick"], pipe))
        self.assertEqual(terminal.getvalue(), f"grade.py: note: {NEURALNET!r} is grade.py's own reference, which "
                                              f"scores full marks; to grade yours, give its path: "
                                              f"{reference.GRADE_YOURS}\n")
        self.assertEqual(pipe.getvalue(), "")  # off a terminal (Gradescope, a batch, a pipe) it grades as ever
        with tempfile.TemporaryDirectory() as folder:
            student = os.path.join(folder, "neuralnet.py")
            with open(NEURALNET, "rb") as f, open(student, "wb") as g:
                g.write(f.read().replace(b"np.random.seed(epoch)", b"np.random.seed(epoch + 1)"))
            terminal = FakeTerminal()
            self.assertIsNone(reference.check([student], terminal))
            self.assertEqual(terminal.getvalue(), "")
            with open(NEURALNET, "rb") as f, open(student, "wb") as g:  # a Windows checkout: CRLF
                g.write(f.read().replace(b"\n", b"\r\n"))
            self.assertTrue(reference.is_reference(student))

    def test_the_bundle_carries_the_digest(self):
        import zipfile

        from grader import bundle, reference
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "autograder.zip")
            bundle.make(path, HERE, DATA, "{}")
            with zipfile.ZipFile(path) as z:
                shipped = z.read("grader/reference.py").decode()
                shipped_digest = hashlib.sha256(z.read("neuralnet.py").replace(b"\r\n", b"\n")).hexdigest()
        self.assertIn(f'SHA256 = "{shipped_digest}"', shipped)
        self.assertIn(f'SHA256 = "{reference.SHA256}"', shipped)


def load_tests(loader, standard_tests, pattern):
    """This file's tests, and the grader's in-process ones, which live beside it (grader/test_checks.py,
    grader/test_batch.py)."""
    from grader import test_batch, test_checks
    standard_tests.addTests(loader.loadTestsFromModule(test_checks))
    standard_tests.addTests(loader.loadTestsFromModule(test_batch))  # a class graded at once, in-process
    standard_tests.addTests(loader.loadTestsFromName("test_tools"))  # experiments, batch, bench, advice, docs
    return standard_tests


if __name__ == "__main__":
    unittest.main()
