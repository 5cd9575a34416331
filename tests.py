"""Test suite: python3 -m unittest tests

Tests that need the course data read it from $NEURALNET_DATA, else from
../shared/data beside the project. Without it they skip (they fail under CI,
where CI=true, because there the data must be present).
"""
import contextlib
import io
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import unittest
import warnings
from unittest import mock

import numpy as np

import neuralnet
from neuralnet import (NN, Linear, Sigmoid, SoftMaxCrossEntropy, cross_entropy,
                       d_softmax_cross_entropy, random_init, shuffle, softmax, zero_init)

HERE = os.path.dirname(os.path.abspath(__file__))
NEURALNET = os.path.join(HERE, "neuralnet.py")
sys.path.insert(0, os.path.join(HERE, "benchmarks"))
import naive_neuralnet  # noqa: E402  (the independent oracle)

TOLERANCE = 1e-9  # metrics must match the reference this closely


def data_dir():
    """The course data directory, or None."""
    path = os.environ.get("NEURALNET_DATA") or os.path.join(HERE, "..", "shared", "data")
    return path if os.path.isfile(os.path.join(path, "small_train.csv")) else None


def require_data(test: unittest.TestCase, *names: str) -> str:
    """Return the data directory holding these files; skip (fail under CI) without it."""
    path = data_dir()
    missing = [n for n in names if path is None or not os.path.exists(os.path.join(path, n))]
    if missing:
        message = (f"course data {', '.join(missing)} not found: set NEURALNET_DATA to the "
                   "folder holding small_train.csv etc., or put it at ../shared/data")
        if os.environ.get("CI") == "true":
            test.fail(message)
        test.skipTest(message)
    return path


def unit_data(test: unittest.TestCase) -> dict:
    with open(os.path.join(require_data(test, "unittest_data.pk"), "unittest_data.pk"), "rb") as f:
        return pickle.load(f)


def read_metrics(path):
    """[(key, value)] for each line `key: value` of a metrics file."""
    with open(path, newline="") as f:
        text = f.read()
    assert "\r" not in text and text.endswith("\n"), "metrics need Unix line endings"
    return [(k, float(v)) for k, v in (line.rsplit(": ", 1) for line in text.splitlines())]


def assert_metrics_close(test, mine, theirs, tol=TOLERANCE):
    test.assertEqual([k for k, _ in mine], [k for k, _ in theirs])
    worst = max((abs(a - b) for (_, a), (_, b) in zip(mine, theirs)), default=0.0)
    test.assertLessEqual(worst, tol)
    return worst


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

class TestRandomInit(unittest.TestCase):
    def test_shape(self):
        self.assertEqual(random_init((10, 5)).shape, (10, 5))

    def test_bounds(self):
        w = random_init((10, 5))
        self.assertTrue(np.all((w >= -0.1) & (w <= 0.1)))

    def test_variation_row(self):
        self.assertEqual(np.unique(random_init((10, 1))).size, 10)

    def test_variation_col(self):
        self.assertEqual(np.unique(random_init((1, 10))).size, 10)

    def test_seeded_by_shape(self):
        np.random.seed(6 * 7)
        expected = np.random.uniform(-0.1, 0.1, (6, 7))
        np.testing.assert_array_equal(random_init((6, 7)), expected)

    def test_zero_init(self):
        np.testing.assert_array_equal(zero_init((3, 4)), np.zeros((3, 4)))


class TestLinear(unittest.TestCase):
    def test_forward(self):
        w, x, expected = unit_data(self)["linear_forward"][0]
        layer = Linear(5, 4, zero_init, 0.0)
        layer.w = w
        np.testing.assert_allclose(layer.forward(x[1:]), expected, rtol=1e-12)

    def test_forward_with_assigned_w_of_another_shape(self):
        # (The file's second linear_forward vector multiplies w by x with no
        # bias folded in, which is not this API; the course tests skip it too.)
        w = np.random.RandomState(5).rand(7, 4)
        layer = Linear(1, 1, zero_init, 0.0)  # the assigned w decides the sizes
        layer.w = w
        x = np.array([0.2, 0.5, 0.9])
        np.testing.assert_allclose(layer.forward(x), w[:, 0] + w[:, 1:] @ x, rtol=1e-13)
        layer.backward(np.ones(7))
        self.assertEqual(layer.dw.shape, (7, 4))

    def test_bias_zero_under_both_inits(self):
        for init in (random_init, zero_init):
            layer = Linear(6, 4, init, 0.1)
            self.assertEqual(layer.w.shape, (4, 7))
            np.testing.assert_array_equal(layer.w[:, 0], 0.0)
        layer = Linear(6, 4, random_init, 0.1)  # one call for the whole matrix
        np.testing.assert_array_equal(layer.w[:, 1:], random_init((4, 7))[:, 1:])

    def test_backward(self):
        x, w, expected_dx, expected_dw = unit_data(self)["linear_backward"]
        layer = Linear(7, 3, zero_init, 0.0)
        layer.w = w
        layer.forward(x[1:])
        dx = layer.backward(np.ones(3))
        np.testing.assert_allclose(dx, expected_dx, rtol=1e-12)
        np.testing.assert_allclose(layer.dw, expected_dw, rtol=1e-12)

    def test_step(self):
        x, w, _, expected_dw = unit_data(self)["linear_backward"]
        layer = Linear(7, 3, zero_init, 0.25)
        layer.w = w.copy()
        layer.forward(x[1:])
        layer.backward(np.ones(3))
        layer.step()
        np.testing.assert_allclose(layer.w, w - 0.25 * expected_dw, rtol=1e-12)

    def test_batch_forward_matches_single(self):
        layer = Linear(5, 3, random_init, 0.1)
        layer.w[:, 0] = [0.3, -0.2, 0.1]
        X = np.random.RandomState(1).rand(4, 5)
        batch = layer.forward(X)
        for x, row in zip(X, batch):
            np.testing.assert_allclose(layer.forward(x), row, rtol=1e-13)


class TestSigmoid(unittest.TestCase):
    def test_forward(self):
        for x, expected in unit_data(self)["sigmoid_forward"]:
            np.testing.assert_allclose(Sigmoid().forward(x), expected, rtol=1e-12)

    def test_backward(self):
        x, expected = unit_data(self)["sigmoid_backward"]
        sigmoid = Sigmoid()
        sigmoid.forward(x)
        np.testing.assert_allclose(sigmoid.backward(1), expected, rtol=1e-12)

    def test_extreme_inputs_saturate_without_warnings(self):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            z = Sigmoid().forward(np.array([-1e6, -800.0, 0.0, 800.0, 1e6]))
        np.testing.assert_allclose(z, [0, 0, 0.5, 1, 1], atol=1e-300)


class TestSoftmaxCrossEntropy(unittest.TestCase):
    def test_softmax(self):
        for z, expected in unit_data(self)["softmax_forward"]:
            np.testing.assert_allclose(SoftMaxCrossEntropy()._softmax(z), expected, rtol=1e-12)
            np.testing.assert_allclose(softmax(z), expected, rtol=1e-12)

    def test_cross_entropy(self):
        y_hat, y, expected = unit_data(self)["ce_forward"]
        self.assertAlmostEqual(SoftMaxCrossEntropy()._cross_entropy(y, y_hat), expected, places=12)
        self.assertAlmostEqual(cross_entropy(y, y_hat), expected, places=12)

    def test_forward_gives_probabilities_and_loss(self):
        z = np.array([0.5, -1.0, 2.0])
        y_hat, loss = SoftMaxCrossEntropy().forward(z, 2)
        np.testing.assert_allclose(y_hat, np.exp(z) / np.exp(z).sum(), rtol=1e-14)
        self.assertAlmostEqual(loss, -np.log(y_hat[2]), places=14)

    def test_backward(self):
        y, y_hat, expected = unit_data(self)["ce_backward"]
        np.testing.assert_allclose(SoftMaxCrossEntropy().backward(y, y_hat), expected, rtol=1e-12)
        np.testing.assert_allclose(d_softmax_cross_entropy(y, y_hat), expected, rtol=1e-12)

    def test_huge_logits_stay_finite_without_warnings(self):
        z = np.array([1e6, -1e6, 3e5])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y_hat, loss = SoftMaxCrossEntropy().forward(z, 1)
            batch_y_hat, batch_loss = SoftMaxCrossEntropy().forward(z[None, :], np.array([1]))
        np.testing.assert_allclose(y_hat, [1, 0, 0])
        self.assertEqual(loss, 2e6)
        self.assertEqual(batch_loss[0], 2e6)


class TestNN(unittest.TestCase):
    def test_forward_backward_zero_init(self):
        x, y, y_hat_expected, dalpha, dbeta = unit_data(self)["forward_backward"][0]
        nn = NN(input_size=5, hidden_size=4, output_size=10, weight_init_fn=zero_init, learning_rate=1)
        y_hat, loss = nn.forward(x[1:], y)
        np.testing.assert_allclose(y_hat, y_hat_expected, rtol=1e-12)
        self.assertAlmostEqual(loss, np.log(10), places=12)
        nn.backward(y, y_hat)
        np.testing.assert_allclose(nn.linear1.dw, dalpha, atol=1e-12)
        np.testing.assert_allclose(nn.linear2.dw, dbeta, rtol=1e-12)

    def test_second_vector_gradient_structure(self):
        # Its weights are not in the file; its gradients must still have the
        # shape backprop gives: dbeta's bias column is y_hat - onehot(y), and
        # dalpha = outer(g_a, [1, x]) is zero where x is zero.
        x, y, y_hat, dalpha, dbeta = unit_data(self)["forward_backward"][1]
        np.testing.assert_allclose(dbeta[:, 0], d_softmax_cross_entropy(y, y_hat), atol=1e-12)
        np.testing.assert_allclose(dalpha, np.outer(dalpha[:, 0], x), atol=1e-12)

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

def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, NEURALNET, *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


class TestAgainstReference(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_both(self, train, validation, epochs, hidden, init, lr):
        """Run neuralnet.py and the naive oracle; compare labels and metrics."""
        outputs = {}
        for name, program in (("mine", NEURALNET), ("oracle", naive_neuralnet.__file__)):
            paths = [os.path.join(self.tmp, f"{name}.{ext}") for ext in ("tr", "va", "m")]
            result = subprocess.run([sys.executable, program, train, validation, *paths,
                                     str(epochs), str(hidden), str(init), str(lr)],
                                    capture_output=True, text=True, timeout=600)
            self.assertEqual(result.returncode, 0, result.stderr)
            outputs[name] = paths
        for mine, theirs in zip(outputs["mine"][:2], outputs["oracle"][:2]):
            with open(mine) as a, open(theirs) as b:
                self.assertEqual(a.read(), b.read())
        return assert_metrics_close(self, read_metrics(outputs["mine"][2]),
                                    read_metrics(outputs["oracle"][2]))

    def test_handout_reference_small_2_4_2_0_1(self):
        d = require_data(self, "small_train.csv", "reference/small_metrics_out.txt")
        out = [os.path.join(self.tmp, n) for n in ("tr.labels", "va.labels", "metrics.txt")]
        result = run_cli(f"{d}/small_train.csv", f"{d}/small_validation.csv", *out, 2, 4, 2, 0.1)
        self.assertEqual(result.returncode, 0, result.stderr)
        for mine, ref in zip(out, ("small_train_out.labels", "small_validation_out.labels")):
            with open(mine, newline="") as a, open(os.path.join(d, "reference", ref), newline="") as b:
                self.assertEqual(a.read(), b.read())
        assert_metrics_close(self, read_metrics(out[2]),
                             read_metrics(os.path.join(d, "reference", "small_metrics_out.txt")))

    def test_small_against_oracle(self):
        d = require_data(self, "small_train.csv")
        for epochs, hidden, init, lr in ((3, 7, 1, 0.1), (2, 1, 2, 0.5), (0, 5, 1, 0.1),
                                         (4, 50, 1, 0.001), (2, 20, 2, 0.03)):
            with self.subTest(epochs=epochs, hidden=hidden, init=init, lr=lr):
                self.run_both(f"{d}/small_train.csv", f"{d}/small_validation.csv",
                              epochs, hidden, init, lr)

    def test_medium_against_oracle(self):
        d = require_data(self, "medium_train.csv")
        for init in (1, 2):
            with self.subTest(init=init):
                self.run_both(f"{d}/medium_train.csv", f"{d}/medium_validation.csv", 1, 10, init, 0.01)

    def test_large_against_oracle(self):
        d = require_data(self, "large_train.csv")
        self.run_both(f"{d}/large_train.csv", f"{d}/large_validation.csv", 1, 8, 1, 0.05)

    def test_zero_epochs_writes_only_error_rates(self):
        d = require_data(self, "small_train.csv")
        out = [os.path.join(self.tmp, n) for n in ("tr", "va", "m")]
        result = run_cli(f"{d}/small_train.csv", f"{d}/small_validation.csv", *out, 0, 4, 2, 0.1)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([k for k, _ in read_metrics(out[2])], ["error(train)", "error(validation)"])
        with open(out[0]) as f:
            self.assertEqual(set(f.read().split()), {"0"})  # all-zero weights: every class ties

    def test_output_format(self):
        d = require_data(self, "small_train.csv")
        out = [os.path.join(self.tmp, n) for n in ("tr", "va", "m")]
        result = run_cli(f"{d}/small_train.csv", f"{d}/small_validation.csv", *out, 2, 4, 1, 0.1)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(out[2], newline="") as f:
            lines = f.read().split("\n")
        self.assertEqual(lines[-1], "")
        self.assertRegex(lines[0], r"^epoch=1 crossentropy\(train\): \d+\.\d+$")
        self.assertRegex(lines[1], r"^epoch=1 crossentropy\(validation\): \d+\.\d+$")
        self.assertRegex(lines[4], r"^error\(train\): [01]\.?\d*$")
        with open(out[1], newline="") as f:
            labels = f.read()
        self.assertRegex(labels, r"^(\d\n){100}$")


if __name__ == "__main__":
    unittest.main()
