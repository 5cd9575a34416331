"""The diagnosis on code it has never seen: names only from evidence, outputs read leniently.

Part of the grader's suite (python3 -m unittest grader.test_diagnosis); no root needed: the
submissions run as the caller, in the portable runner (grader/runner.py), and each test grades
only the configurations it is about, in-process (grader/cli.py's Grading, as grader/pipeline.py
uses it). The submissions are written the way students of earlier semesters wrote theirs:
functions over alpha and beta, argparse, no module classes (OLD_STYLE), with each mistake
written as such code writes it. Every expected value is computed from this project's objects.
"""
import os
import re
import sys
import unittest
from concurrent.futures import ProcessPoolExecutor
from unittest import mock

import compare
from grader import catalog, cli, outputs, pipeline, runs, test_explain, test_submissions
from grader.runner import Limits, PosixProcesses, Runner, WindowsProcesses
from grader.testing import HERE

# A whole neuralnet.py in an earlier semester's shape (functions, argparse), correct for this handout.
OLD_STYLE = '''import argparse

import numpy as np


def load(path):
    data = np.genfromtxt(path, delimiter=",")
    return data[:, 1:], data[:, 0].astype(int)


def init_weights(rows, cols, flag):
    if flag == 2:
        return np.zeros((rows, cols + 1))
    np.random.seed(rows * (cols + 1))
    w = np.random.uniform(-0.1, 0.1, (rows, cols + 1))
    w[:, 0] = 0
    return w


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def softmax(b):
    e = np.exp(b - b.max())
    return e / e.sum()


def NNForward(x, y, alpha, beta):
    x = np.insert(x, 0, 1)
    a = alpha.dot(x)
    z = np.insert(sigmoid(a), 0, 1)
    b = beta.dot(z)
    y_hat = softmax(b)
    J = -np.log(y_hat[y])
    return x, a, z, b, y_hat, J


def NNBackward(x, y, beta, z, y_hat):
    g_b = y_hat.copy()
    g_b[y] -= 1
    g_beta = np.outer(g_b, z)
    g_z = beta[:, 1:].T.dot(g_b)
    g_a = g_z * z[1:] * (1 - z[1:])
    g_alpha = np.outer(g_a, x)
    return g_alpha, g_beta


def mean_loss(X, Y, alpha, beta):
    return np.mean([NNForward(x, y, alpha, beta)[5] for x, y in zip(X, Y)])


def SGD(Xtr, Ytr, Xva, Yva, hidden, epochs, flag, lr):
    alpha = init_weights(hidden, Xtr.shape[1], flag)
    beta = init_weights(10, hidden, flag)
    history = []
    for e in range(epochs):
        np.random.seed(e)
        idx = np.random.permutation(len(Ytr))
        for i in idx:
            x, a, z, b, y_hat, J = NNForward(Xtr[i], Ytr[i], alpha, beta)
            g_alpha, g_beta = NNBackward(x, Ytr[i], beta, z, y_hat)
            alpha = alpha - lr * g_alpha
            beta = beta - lr * g_beta
        history.append((mean_loss(Xtr, Ytr, alpha, beta), mean_loss(Xva, Yva, alpha, beta)))
    return alpha, beta, history


def predict(X, Y, alpha, beta):
    labels = np.array([np.argmax(NNForward(x, y, alpha, beta)[4]) for x, y in zip(X, Y)])
    return labels, np.mean(labels != Y)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ("train_input", "validation_input", "train_out", "validation_out", "metrics_out"):
        parser.add_argument(name)
    parser.add_argument("num_epoch", type=int)
    parser.add_argument("hidden_units", type=int)
    parser.add_argument("init_flag", type=int)
    parser.add_argument("learning_rate", type=float)
    args = parser.parse_args()
    Xtr, Ytr = load(args.train_input)
    Xva, Yva = load(args.validation_input)
    alpha, beta, history = SGD(Xtr, Ytr, Xva, Yva, args.hidden_units, args.num_epoch, args.init_flag,
                               args.learning_rate)
    train_labels, train_error = predict(Xtr, Ytr, alpha, beta)
    valid_labels, valid_error = predict(Xva, Yva, alpha, beta)
    with open(args.train_out, "w") as f:
        for label in train_labels:
            f.write(str(label) + "\\n")
    with open(args.validation_out, "w") as f:
        for label in valid_labels:
            f.write(str(label) + "\\n")
    with open(args.metrics_out, "w") as f:
        for e, (loss_tr, loss_va) in enumerate(history):
            f.write("epoch={} crossentropy(train): {}\\n".format(e + 1, loss_tr))
            f.write("epoch={} crossentropy(validation): {}\\n".format(e + 1, loss_va))
        f.write("error(train): {}\\n".format(train_error))
        f.write("error(validation): {}\\n".format(valid_error))
'''

SHUFFLE = "        np.random.seed(e)\n        idx = np.random.permutation(len(Ytr))\n"
UPDATE = "            alpha = alpha - lr * g_alpha\n            beta = beta - lr * g_beta\n"
METRICS = ('            f.write("epoch={} crossentropy(train): {}\\n".format(e + 1, loss_tr))\n'
           '            f.write("epoch={} crossentropy(validation): {}\\n".format(e + 1, loss_va))\n'
           '        f.write("error(train): {}\\n".format(train_error))\n'
           '        f.write("error(validation): {}\\n".format(valid_error))\n')
LABELS = ('    with open(args.train_out, "w") as f:\n        for label in train_labels:\n'
          '            f.write(str(label) + "\\n")\n')
# Each submission: OLD_STYLE with (old, new) replacements, the mistakes written as such code writes them.
SUBMISSIONS = {
    # an older handout's conventions: no shuffle, epochs from 0, (test) keys, a space before the colon
    "near miss": [(SHUFFLE, "        idx = range(len(Ytr))\n"), (METRICS, (
        '            f.write("epoch={} crossentropy(train) : {}\\n".format(e, loss_tr))\n'
        '            f.write("epoch={} crossentropy(test) : {}\\n".format(e, loss_va))\n'
        '        f.write("error(train) : {}\\n".format(train_error))\n'
        '        f.write("error(test) : {}\\n".format(valid_error))\n'))],
    # Adagrad, a misspelt key, a debug line in the metrics, labels saved by np.savetxt (floats)
    "adagrad": [("    history = []\n",
                 "    history = []\n    s_alpha, s_beta = np.zeros_like(alpha), np.zeros_like(beta)\n"),
                (UPDATE, "            s_alpha += g_alpha ** 2\n            s_beta += g_beta ** 2\n"
                         "            alpha = alpha - lr / np.sqrt(s_alpha + 1e-5) * g_alpha\n"
                         "            beta = beta - lr / np.sqrt(s_beta + 1e-5) * g_beta\n"),
                (LABELS, "    np.savetxt(args.train_out, train_labels)\n"),
                ('        for e, (loss_tr', '        f.write("hidden units: {}\\n".format(args.hidden_units))\n'
                                         '        for e, (loss_tr'),
                ("crossentropy(train): {}", "cross-entropy(train): {}")],
    # the cross-entropies written to 4 decimals, and no shuffle
    "rounded no shuffle": [(SHUFFLE, "        idx = range(len(Ytr))\n"),
                           ("crossentropy(train): {}", "crossentropy(train): {:.4f}"),
                           ("crossentropy(validation): {}", "crossentropy(validation): {:.4f}")],
    # the RANDOM init drawn unseeded, as handouts before this one allowed
    "unseeded init": [("    np.random.seed(rows * (cols + 1))\n", "")],
    # a shuffle of its own, from a generator never seeded
    "unseeded shuffle": [(SHUFFLE, "        idx = np.random.default_rng().permutation(len(Ytr))\n")],
    # the weights drawn without the bias column (seeded by their own shape), a zero column put in front
    "init without bias column": [("    np.random.seed(rows * (cols + 1))\n    w = np.random.uniform(-0.1, 0.1, "
                                  "(rows, cols + 1))\n    w[:, 0] = 0\n",
                                  "    np.random.seed(rows * cols)\n    w = np.random.uniform(-0.1, 0.1, "
                                  "(rows, cols))\n    w = np.hstack([np.zeros((rows, 1)), w])\n")],
}


def submission(name: str) -> bytes:
    source = OLD_STYLE
    for old, new in SUBMISSIONS[name]:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source.encode()


UNTRAINED, TRAINED, ZERO = runs.CONFIGS[1], runs.CONFIGS[2], runs.CONFIGS[0]  # 0 epochs, 1 epoch (RANDOM); ZERO init
assert (UNTRAINED.epochs, UNTRAINED.init_flag, TRAINED.epochs, TRAINED.init_flag, ZERO.init_flag) == (0, 1, 1, 1, 2)


def grade(name, configs):
    """The cli checks of a submission (a name of SUBMISSIONS, or a whole source as bytes) on configs,
    in-process (this project's variants are trained in this process, its modules patched meanwhile: one
    grade per process at a time), by a fresh runner that runs the submission as the caller:
    {describe(): Result}."""
    limits = Limits(timeout=60, total=900, memory=4 << 30, file_size=256 << 20, processes=64, cpu=60, disk=512 << 20)
    with Runner(sys.executable, limits, PosixProcesses() if hasattr(os, "killpg") else WindowsProcesses()) as runner:
        source = name if isinstance(name, bytes) else submission(name)
        grading = cli.Grading(runner, source, pipeline.data_files(["small"]),
                              runs.load_datasets(pipeline.DATA, ["small"]), 1e-6)
        return {config.describe(): grading.cli_check(config) for config in configs}


class Graded(unittest.TestCase):
    """Submissions graded on a few configurations, two at a time, each in a process of its own."""

    @classmethod
    def setUpClass(cls):
        cls.data = runs.load_datasets(pipeline.DATA, ["small"])
        cls.pool = ProcessPoolExecutor(max_workers=2)

    @classmethod
    def tearDownClass(cls):
        cls.pool.shutdown()

    def grades(self, *jobs):
        """Several grades at once: [(name, configs)] -> [{describe(): Result}]."""
        return [future.result() for future in [self.pool.submit(grade, *job) for job in jobs]]


class TestEvidence(Graded):
    def test_a_labels_only_coincidence_names_nothing(self):
        """At 0 epochs an untrained network predicts about one class for all rows; a variant predicting the
        same names nothing. The same mistake is named once the network trains."""
        variant = catalog.outputs_with(UNTRAINED, self.data, [catalog.MISTAKES["init-without-bias-column"]])
        diagnosis = catalog.Diagnoser()(UNTRAINED, variant, self.data, 1e-6,
                                        runs.expected_outputs(UNTRAINED, self.data))
        self.assertEqual(diagnosis, catalog.Diagnosis((), catalog.UNTRAINED))
        (results,) = self.grades(("init without bias column", [UNTRAINED, TRAINED]))
        untrained, trained = results[UNTRAINED.describe()], results[TRAINED.describe()]
        self.assertFalse(untrained.passed)
        self.assertEqual(untrained.mistakes, ())
        self.assertIn(catalog.UNTRAINED, untrained.output)
        ours = runs.expected_outputs(UNTRAINED, self.data)[0][0]
        self.assertIn(f"first at line 1: got '{variant[0][0]}', expected '{ours}'", untrained.output)
        self.assertEqual(trained.mistakes, ("init-without-bias-column",))

    def test_explanations_that_tie_name_nothing(self):
        config, reference = TRAINED, runs.expected_outputs(TRAINED, self.data)
        with mock.patch.object(catalog, "diagnose", return_value=[("no-shuffle",), ("bias-frozen",)]):
            diagnosis = catalog.Diagnoser()(config, reference, self.data, 1e-6, reference)
        self.assertEqual(diagnosis.named, ())
        self.assertIn("no-shuffle and of bias-frozen alike", diagnosis.why_not)

    def test_an_unseeded_init_graded_twice_is_named_as_such_both_times(self):
        # TRAINED first: its two runs differ in every metric, while two untrained runs may predict the same labels
        # by chance (0 epochs alone then names nothing there: never a wrong name)
        first, second = self.grades(("unseeded init", [TRAINED, UNTRAINED]), ("unseeded init", [TRAINED, UNTRAINED]))
        for results in (first, second):
            for config, result in results.items():
                if config == UNTRAINED.describe() and result.passed:
                    continue  # unseeded, an untrained network's one class for every row may be ours by chance
                with self.subTest(config):
                    self.assertFalse(result.passed)
                    self.assertEqual(result.mistakes, ("random-init-unseeded",), result.output)
                    self.assertIn("this follows an older handout's initialization", result.output)

    def test_an_unseeded_shuffle_is_named_and_nothing_else(self):
        (results,) = self.grades(("unseeded shuffle", [ZERO, TRAINED]))
        for config, result in results.items():
            with self.subTest(config):
                self.assertEqual(result.mistakes, ("shuffle-unseeded",), result.output)
                self.assertIn(f"{ZERO.describe()}, run twice, wrote different outputs", result.output)


    def test_a_name_found_from_the_zero_init_holds_from_the_random_init_too(self):
        """From the ZERO init every hidden unit is alike: a student's bias appended last to the hidden layer
        writes there what backprop-drops-last-column writes, and is told apart only from the RANDOM init. The
        catalog's mistake itself is still named from the ZERO init."""
        bias_side = test_explain.FUNCTIONS["bias-side-mismatch"][0].encode()
        dropped = test_submissions.naive_with("backprop-drops-last-column").encode()
        (student, naive) = self.grades((bias_side, [ZERO]), (dropped, [ZERO]))
        result = student[ZERO.describe()]
        self.assertFalse(result.passed)
        self.assertEqual(result.mistakes, (), result.output)
        self.assertIn(f"from the RANDOM init ({cli.ASYMMETRIC.describe()}) backprop-drops-last-column writes other "
                      "outputs than this submission, and the source does not show it either: it is not named",
                      result.output)
        self.assertEqual(naive[ZERO.describe()].mistakes, ("backprop-drops-last-column",))

    def test_a_zero_init_twin_shown_by_the_source_is_named_instead(self):
        """The bias entry 1 put first for the input and last for the hidden layer: from the ZERO init the outputs
        are backprop-drops-last-column's, and the source shows the twin, bias-side-mismatch, which is named."""
        hidden_last = test_explain.FUNCTIONS["bias-side-mismatch (the hidden layer only)"][0]
        (results,) = self.grades((hidden_last.encode(), [ZERO]))
        result = results[ZERO.describe()]
        self.assertEqual(result.mistakes, ("bias-side-mismatch",), result.output)
        self.assertIn("its outputs are exactly those of backprop-drops-last-column; the source shows "
                      "bias-side-mismatch", result.output)

    def test_a_zero_init_name_stands_on_the_source_where_the_random_init_is_unseeded(self):
        """No shuffle with an unseeded RANDOM init: the RANDOM-init configuration changes from run to run, and
        the source (nothing permutes the examples) confirms what the ZERO-init outputs show."""
        source = submission("near miss").replace(b"    np.random.seed(rows * (cols + 1))\n", b"")
        (results,) = self.grades((source, [ZERO]))
        result = results[ZERO.describe()]
        self.assertIn("no-shuffle", result.mistakes, result.output)
        self.assertIn("the source shows it too: nothing in the file permutes the examples", result.output)


class TestNearMisses(Graded):
    def test_a_near_miss_metrics_file_is_read_and_its_mistake_named(self):
        near_miss, adagrad = self.grades(("near miss", [ZERO, TRAINED]), ("adagrad", [ZERO]))
        for config, result in near_miss.items():
            with self.subTest(config):
                self.assertFalse(result.passed)
                self.assertEqual(set(result.mistakes), {"epochs-from-zero", "metrics-test-keys", "output-spacing",
                                                        "no-shuffle"}, result.output)
                self.assertRegex(result.output, r"metrics_out.txt line 1 \(and \d+ more lines\): 'epoch=0 "
                                                r"crossentropy\(train\) : ")
                self.assertIn("this follows an older handout's metrics keys", result.output)
                self.assertIn("this follows an older handout's training order", result.output)
        result = adagrad[ZERO.describe()]
        self.assertEqual(set(result.mistakes), {"labels-not-integers", "output-extra-lines", "metrics-key-misspelt",
                                                "adagrad-update"}, result.output)
        self.assertIn("metrics_out.txt line 1: 'hidden units: 4'", result.output)
        first = catalog.outputs_with(ZERO, self.data, [catalog.MISTAKES["adagrad-update"]])[0][0]
        rows = len(self.data["small"][1])  # np.savetxt writes every label as a float
        self.assertIn(f"train_out.labels line 1 (and {rows - 1} more lines): labels such as '{float(first):.18e}'",
                      result.output)

    def test_rounded_metrics_are_named_and_the_mistake_behind_them_too(self):
        """Values written to 4 decimals: named, and the catalog searched within half a unit of the 4th decimal, so
        the shuffle missing is named as well; written so by this project, the rounding alone is named."""
        rounded = METRICS.replace("crossentropy(train): {}", "crossentropy(train): {:.4f}").replace(
            "crossentropy(validation): {}", "crossentropy(validation): {:.4f}")
        only_rounded = OLD_STYLE.replace(METRICS, rounded).encode()
        with_mistake, alone = self.grades(("rounded no shuffle", [ZERO, TRAINED]), (only_rounded, [ZERO, TRAINED]))
        for config, result in with_mistake.items():
            with self.subTest(config):
                self.assertEqual(set(result.mistakes), {"metrics-rounded", "no-shuffle"}, result.output)
                self.assertIn("every cross-entropy is written with at most 4 decimals", result.output)
        for config, result in alone.items():
            with self.subTest(config, rounded="alone"):
                self.assertFalse(result.passed)
                self.assertEqual(list(result.mistakes), ["metrics-rounded"], result.output)
                self.assertRegex(result.output, r"\d+ of \d+ values are this project's rounded to at most 4 decimals")

    def test_the_lenient_reader_recovers_the_handouts_values(self):
        """This project's metrics, written the ways of older or careless code, read back as written."""
        config = ZERO
        expected = runs.expected_outputs(config, self.data)[2]
        text = "".join(f"{key}: {value!r}\n" for key, value in expected)
        variants = {
            "epochs-from-zero": re.sub(r"epoch=(\d+)", lambda m: f"epoch={int(m.group(1)) - 1}", text),
            "metrics-test-keys": text.replace("(validation)", "(test)"),
            "output-spacing": text.replace(": ", " : ").replace("error(", "error ("),
            "metrics-key-misspelt": text.replace("crossentropy", "crossentropy_").replace("error(", "eror("),
            "output-extra-lines": "training...\n" + text + "\ndone\n",
        }
        for mistake, written in variants.items():
            with self.subTest(mistake):
                rows, deviations = outputs.metrics("metrics_out.txt", written)
                self.assertEqual(rows, expected)
                self.assertEqual({d.mistake_id for d in deviations}, {mistake})
                self.assertEqual(deviations[0].line, next(i for i, (a, b) in enumerate(
                    zip(written.splitlines(), text.splitlines() + [""]), start=1) if a != b))
        with self.assertRaises(compare.FormatError):
            outputs.metrics("metrics_out.txt", "garbage\n")

    def test_each_new_mistake_is_documented(self):
        with open(os.path.join(HERE, "docs", "grading.md")) as f:
            text = f.read()
        for mistakes in (catalog.NEAR_MISS_FORMATS, catalog.NONDETERMINISM):
            self.assertTrue(catalog.markdown_table(mistakes) in text, f"docs/grading.md lacks:\n"
                            f"{catalog.markdown_table(mistakes)}")
