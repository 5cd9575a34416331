"""Crashes and the handout's functions explained from evidence, on files written the way students write them.

The grader's suite (python3 -m unittest grader.test_explain); nothing here needs root: the cli runs use the
portable runner, as the student running grade.py would, and the api values come from probe.py in-process.
Each diagnosis gets a submission in its own shape (two students' styles below, each whole: an argparse main
with 1-D vectors, and a sys.argv main with column vectors), asserting the id and the line of the student's
file it points at; the correct files get no name at all.
"""
import ast
import os
import shutil
import sys
import tempfile
import unittest

from grader import api, catalog, cli, crashes, env, probe, runs
from grader.report import Result
from grader.runner import Limits, PosixProcesses, Runner
from grader.testing import DATA, HERE

# A student's file: argparse main, 1-D vectors, np.dot, a helper that unpacks the arguments.
ARGPARSE_STUDENT = """# HW5 neural network
import argparse

import numpy as np


def args2data(args):
    train = np.loadtxt(args.train_input, delimiter=",")
    valid = np.loadtxt(args.validation_input, delimiter=",")
    return (train[:, 1:], train[:, 0].astype(int), valid[:, 1:], valid[:, 0].astype(int),
            args.train_out, args.validation_out, args.metrics_out,
            args.num_epoch, args.hidden_units, args.init_flag, args.learning_rate)


def shuffle(X, y, epoch):
    np.random.seed(epoch)
    N = len(y)
    ordering = np.random.permutation(N)
    return X[ordering], y[ordering]


def zero_init(shape):
    return np.zeros(shape=shape)


def random_init(shape):
    M, D = shape
    np.random.seed(M * D)
    return np.random.uniform(-0.1, 0.1, (M, D))


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


class SoftMaxCrossEntropy:

    def _softmax(self, z):
        exps = np.exp(z - np.max(z))
        return exps / exps.sum()

    def _cross_entropy(self, y, y_hat):
        return -np.log(y_hat[y])

    def forward(self, z, y):
        y_hat = self._softmax(z)
        return y_hat, self._cross_entropy(y, y_hat)

    def backward(self, y, y_hat):
        grad = y_hat.copy()
        grad[y] = grad[y] - 1
        return grad


class Sigmoid:
    def __init__(self):
        self.z = None

    def forward(self, x):
        self.z = sigmoid(x)
        return self.z

    def backward(self, dz):
        return dz * self.z * (1 - self.z)


class Linear:
    def __init__(self, input_size, output_size, weight_init_fn, learning_rate):
        self.lr = learning_rate
        self.w = weight_init_fn((output_size, input_size + 1))
        self.w[:, 0] = 0
        self.dw = np.zeros((output_size, input_size + 1))
        self.input = None

    def forward(self, x):
        self.input = np.insert(x, 0, 1)
        return np.dot(self.w, self.input)

    def backward(self, dz):
        self.dw = np.outer(dz, self.input)
        return np.dot(self.w[:, 1:].T, dz)

    def step(self):
        self.w -= self.lr * self.dw


class NN:
    def __init__(self, input_size, hidden_size, output_size, weight_init_fn, learning_rate):
        self.weight_init_fn = weight_init_fn
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.output_size = output_size
        self.linear1 = Linear(input_size, hidden_size, weight_init_fn, learning_rate)
        self.sigmoid = Sigmoid()
        self.linear2 = Linear(hidden_size, output_size, weight_init_fn, learning_rate)
        self.softmax = SoftMaxCrossEntropy()

    def forward(self, x, y):
        a = self.linear1.forward(x)
        z = self.sigmoid.forward(a)
        b = self.linear2.forward(z)
        y_hat, loss = self.softmax.forward(b, y)
        return y_hat, loss

    def backward(self, y, y_hat):
        gb = self.softmax.backward(y, y_hat)
        gz = self.linear2.backward(gb)
        ga = self.sigmoid.backward(gz)
        self.linear1.backward(ga)

    def step(self):
        self.linear1.step()
        self.linear2.step()

    def compute_loss(self, X, y):
        total = 0
        for i in range(len(y)):
            y_hat, loss = self.forward(X[i], y[i])
            total += loss
        return total / len(y)

    def train(self, X_tr, y_tr, X_test, y_test, n_epochs):
        train_losses = []
        test_losses = []
        for e in range(n_epochs):
            X_s, y_s = shuffle(X_tr, y_tr, e)
            for i in range(len(y_s)):
                y_hat, loss = self.forward(X_s[i], y_s[i])
                self.backward(y_s[i], y_hat)
                self.step()
            train_losses.append(self.compute_loss(X_tr, y_tr))
            test_losses.append(self.compute_loss(X_test, y_test))
        return train_losses, test_losses

    def test(self, X, y):
        preds = []
        for i in range(len(y)):
            y_hat, _ = self.forward(X[i], y[i])
            preds.append(np.argmax(y_hat))
        preds = np.array(preds)
        return preds, np.mean(preds != y)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument('train_input', type=str, help='path to training input .csv file')
    parser.add_argument('validation_input', type=str, help='path to validation input .csv file')
    parser.add_argument('train_out', type=str, help='path to store prediction on training data')
    parser.add_argument('validation_out', type=str, help='path to store prediction on validation data')
    parser.add_argument('metrics_out', type=str, help='path to store training and testing metrics')
    parser.add_argument('num_epoch', type=int, help='number of training epochs')
    parser.add_argument('hidden_units', type=int, help='number of hidden units')
    parser.add_argument('init_flag', type=int, choices=[1, 2], help='weight initialization functions, 1: random')
    parser.add_argument('learning_rate', type=float, help='learning rate')
    args = parser.parse_args()

    (X_tr, y_tr, X_test, y_test, out_tr, out_te, out_metrics,
     n_epochs, n_hid, init_flag, lr) = args2data(args)

    nn = NN(input_size=X_tr.shape[-1], hidden_size=n_hid, output_size=10,
            weight_init_fn=random_init if init_flag == 1 else zero_init, learning_rate=lr)

    train_losses, test_losses = nn.train(X_tr, y_tr, X_test, y_test, n_epochs)
    train_labels, train_error_rate = nn.test(X_tr, y_tr)
    test_labels, test_error_rate = nn.test(X_test, y_test)

    with open(out_tr, "w") as f:
        for label in train_labels:
            f.write(str(label) + "\\n")
    with open(out_te, "w") as f:
        for label in test_labels:
            f.write(str(label) + "\\n")
    with open(out_metrics, "w") as f:
        for i in range(len(train_losses)):
            cur_epoch = i + 1
            cur_tr_loss = train_losses[i]
            cur_te_loss = test_losses[i]
            f.write("epoch={} crossentropy(train): {}\\n".format(cur_epoch, cur_tr_loss))
            f.write("epoch={} crossentropy(validation): {}\\n".format(cur_epoch, cur_te_loss))
        f.write("error(train): {}\\n".format(train_error_rate))
        f.write("error(validation): {}\\n".format(test_error_rate))
"""

# Another student's file: sys.argv read in main(), column vectors, np.matmul, savetxt and print(file=...).
SCRIPT_STUDENT = """import sys
import numpy as np

K = 10  # number of letters


def load(path):
    data = np.genfromtxt(path, delimiter=",")
    labels = data[:, 0].astype(int)
    features = data[:, 1:]
    return features, labels


def shuffle(X, y, epoch):
    np.random.seed(epoch)
    N = len(y)
    ordering = np.random.permutation(N)
    return X[ordering], y[ordering]


def random_init(shape):
    M, D = shape
    np.random.seed(M * D)
    return np.random.uniform(-0.1, 0.1, (M, D))


def zero_init(shape):
    return np.zeros(shape)


class SoftMaxCrossEntropy:
    def _softmax(self, z):
        z = z.reshape(-1, 1)
        e = np.exp(z - z.max())
        return e / e.sum()

    def _cross_entropy(self, y, y_hat):
        return float(-np.log(y_hat.reshape(-1)[y]))

    def forward(self, z, y):
        y_hat = self._softmax(z)
        return y_hat, self._cross_entropy(y, y_hat)

    def backward(self, y, y_hat):
        return y_hat.reshape(-1, 1) - np.eye(K)[y].reshape(-1, 1)


class Sigmoid:
    def __init__(self):
        self.cache = {}

    def forward(self, x):
        out = 1.0 / (1.0 + np.exp(-x))
        self.cache["out"] = out
        return out

    def backward(self, dz):
        out = self.cache["out"]
        return np.multiply(dz, np.multiply(out, 1 - out))


class Linear:
    def __init__(self, input_size, output_size, weight_init_fn, learning_rate):
        self.w = weight_init_fn((output_size, input_size + 1))
        self.w[:, 0] = 0
        self.dw = np.zeros(self.w.shape)
        self.lr = learning_rate
        self.cache = {}

    def forward(self, x):
        x = np.vstack((np.ones((1, 1)), x.reshape(-1, 1)))
        self.cache["x"] = x
        return np.matmul(self.w, x)

    def backward(self, dz):
        x = self.cache["x"]
        dz = dz.reshape(-1, 1)
        self.dw = np.matmul(dz, x.T)
        return np.matmul(self.w[:, 1:].T, dz)

    def step(self):
        self.w = self.w - self.lr * self.dw


class NN:
    def __init__(self, input_size, hidden_size, output_size, weight_init_fn, learning_rate):
        self.linear1 = Linear(input_size, hidden_size, weight_init_fn, learning_rate)
        self.sigmoid = Sigmoid()
        self.linear2 = Linear(hidden_size, output_size, weight_init_fn, learning_rate)
        self.softmax = SoftMaxCrossEntropy()

    def forward(self, x, y):
        hidden = self.sigmoid.forward(self.linear1.forward(x))
        return self.softmax.forward(self.linear2.forward(hidden), y)

    def backward(self, y, y_hat):
        d_hidden = self.linear2.backward(self.softmax.backward(y, y_hat))
        self.linear1.backward(self.sigmoid.backward(d_hidden))

    def step(self):
        self.linear1.step()
        self.linear2.step()

    def compute_loss(self, X, y):
        losses = [self.forward(X[i], y[i])[1] for i in range(X.shape[0])]
        return np.mean(losses)

    def train(self, X_tr, y_tr, X_test, y_test, n_epochs):
        train_loss, test_loss = [], []
        for epoch in range(n_epochs):
            X_shuf, y_shuf = shuffle(X_tr, y_tr, epoch)
            for i in range(X_shuf.shape[0]):
                y_hat, loss = self.forward(X_shuf[i], y_shuf[i])
                self.backward(y_shuf[i], y_hat)
                self.step()
            train_loss.append(self.compute_loss(X_tr, y_tr))
            test_loss.append(self.compute_loss(X_test, y_test))
        return train_loss, test_loss

    def test(self, X, y):
        predictions = np.zeros(X.shape[0], dtype=int)
        for i in range(X.shape[0]):
            y_hat, _ = self.forward(X[i], y[i])
            predictions[i] = np.argmax(y_hat)
        return predictions, np.sum(predictions != y) / len(y)


def main():
    train_input = sys.argv[1]
    validation_input = sys.argv[2]
    train_out = sys.argv[3]
    validation_out = sys.argv[4]
    metrics_out = sys.argv[5]
    num_epoch = int(sys.argv[6])
    hidden_units = int(sys.argv[7])
    init_flag = int(sys.argv[8])
    learning_rate = float(sys.argv[9])

    X_train, y_train = load(train_input)
    X_val, y_val = load(validation_input)
    init = random_init if init_flag == 1 else zero_init
    model = NN(X_train.shape[1], hidden_units, K, init, learning_rate)
    train_loss, val_loss = model.train(X_train, y_train, X_val, y_val, num_epoch)
    train_pred, train_err = model.test(X_train, y_train)
    val_pred, val_err = model.test(X_val, y_val)

    np.savetxt(train_out, train_pred, fmt="%d")
    np.savetxt(validation_out, val_pred, fmt="%d")
    with open(metrics_out, "w") as f:
        for epoch in range(num_epoch):
            print("epoch={} crossentropy(train): {}".format(epoch + 1, train_loss[epoch]), file=f)
            print("epoch={} crossentropy(validation): {}".format(epoch + 1, val_loss[epoch]), file=f)
        print("error(train): {}".format(train_err), file=f)
        print("error(validation): {}".format(val_err), file=f)


if __name__ == "__main__":
    main()
"""


def variant(source: str, *replacements) -> str:
    """A student's file with (old, new) replacements, each found exactly once."""
    for old, new in replacements:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


def line_of(source: str, text: str) -> int:
    """The line (from 1) of the one line holding text."""
    lines = [i for i, row in enumerate(source.splitlines(), start=1) if text in row]
    assert len(lines) == 1, (text, lines)
    return lines[0]


# Each crash: (file, the configurations run, the id named, the text of the line it points at).
CRASHES = {
    "hard-coded-path": (variant(ARGPARSE_STUDENT, ('np.loadtxt(args.train_input, delimiter=",")',
                                                   'np.loadtxt("handout/smallTrain.csv", delimiter=",")')),
                        'np.loadtxt("handout/smallTrain.csv"'),
    "hard-coded-path (an output)": (variant(SCRIPT_STUDENT, ('np.savetxt(train_out, train_pred, fmt="%d")',
                                                             'np.savetxt("output/train_out.labels", train_pred, '
                                                             'fmt="%d")')), '"output/train_out.labels"'),
    "class-count-fixed": (variant(SCRIPT_STUDENT, ("K = 10  # number of letters", "K = 4  # number of letters")),
                          "K = 4"),
    "class-count-fixed (a one-hot of 3 columns)": (variant(SCRIPT_STUDENT, (
        "    features = data[:, 1:]\n",
        "    features = data[:, 1:]\n    onehot = np.zeros((len(labels), 3))\n"
        "    onehot[np.arange(len(labels)), labels] = 1\n")), "onehot = np.zeros((len(labels), 3))"),
    "module-not-on-autograder": (variant(SCRIPT_STUDENT, ("import sys\n", "import sys\nimport pandas as pd\n")),
                                 "import pandas as pd"),
    "misspelt-argument": (variant(ARGPARSE_STUDENT, ("parser.add_argument('num_epoch'",
                                                     "parser.add_argument('num_ep*och'")), "'num_ep*och'"),
    "no-outputs-written": (variant(SCRIPT_STUDENT, (SCRIPT_STUDENT[SCRIPT_STUDENT.index("    np.savetxt(train_out"):
                                                                  SCRIPT_STUDENT.index("\n\n\nif __name__")],
                                                    '    print("train error", train_err)\n'
                                                    '    print("validation error", val_err)')),
                           'if __name__ == "__main__":'),
    "python2-code": (variant(SCRIPT_STUDENT, ("            X_shuf, y_shuf = shuffle(X_tr, y_tr, epoch)",
                                              '            print "epoch", epoch\n'
                                              "            X_shuf, y_shuf = shuffle(X_tr, y_tr, epoch)")),
                     'print "epoch", epoch'),
    "python2-code (xrange)": (variant(SCRIPT_STUDENT, ("for i in range(X_shuf.shape[0]):",
                                                       "for i in xrange(X_shuf.shape[0]):")), "xrange("),
    "mixed-indentation": (variant(ARGPARSE_STUDENT, ("        self.linear1.step()\n        self.linear2.step()",
                                                     "        self.linear1.step()\n\tself.linear2.step()")),
                          "\tself.linear2.step()"),
    "fails-at-0-epochs": (variant(ARGPARSE_STUDENT, ("        return train_losses, test_losses",
                                                     '        print("last epoch", e)\n'
                                                     "        return train_losses, test_losses")),
                          'print("last epoch", e)'),
}

# A plot in main that fails for any num_epoch but 10 (or at its import, without matplotlib): experiment code.
PLOT_IN_MAIN = variant(SCRIPT_STUDENT, ("    val_pred, val_err = model.test(X_val, y_val)\n",
                                        "    val_pred, val_err = model.test(X_val, y_val)\n"
                                        "    import matplotlib.pyplot as plt\n"
                                        "    plt.plot(range(1, 11), train_loss, label=\"train\")\n"
                                        "    plt.savefig(\"loss.png\")\n"))
# A crash no evidence explains: a typo in a cache key.
UNEXPLAINED_CRASH = variant(SCRIPT_STUDENT, ("        x = self.cache[\"x\"]\n        dz = dz.reshape(-1, 1)",
                                             "        x = self.cache[\"X\"]\n        dz = dz.reshape(-1, 1)"))


class Grades:
    """The small set's data and csv files, and a cli grade of a submission on some configurations."""
    data = runs.load_datasets(DATA, ["small"])
    csvs = {}
    for split in ("train", "validation"):
        with open(os.path.join(DATA, f"small_{split}.csv"), "rb") as f:
            csvs[f"small_{split}.csv"] = f.read()

    @classmethod
    def cli(cls, source: str, configs, timeout: float = 60, total: float = 120):
        """The cli checks of these configurations, run by the portable runner (no isolation needed)."""
        limits = Limits(timeout=timeout, total=total, memory=4 << 30, file_size=256 << 20, processes=64,
                        cpu=int(timeout) + 1, disk=512 << 20)
        with Runner(sys.executable, limits, PosixProcesses()) as runner:
            grading = cli.Grading(runner, source.encode(), cls.csvs, cls.data, 1e-6)
            return [grading.cli_check(config) for config in configs]


def api_explained(test: unittest.TestCase, source: str):
    """({check name: verdict}, {check name: the lines naming mistakes}) of the api checks, in-process."""
    folder = tempfile.mkdtemp(prefix="explain-test-")
    test.addCleanup(shutil.rmtree, folder, True)
    path = os.path.join(folder, "neuralnet.py")
    with open(path, "w") as f:
        f.write(source)
    module = probe.load_submission(path)
    test.addCleanup(sys.modules.pop, "submission", None)
    checks = api.all_checks(DATA)
    values = api.values_in_process(module, checks)
    judged = api.verdicts(checks, values)
    return dict(zip((c.name for c in checks), judged)), api.explain_values(checks, judged, values,
                                                                           crashes.Source(source))


def named(lines) -> list:
    """The (id, line of the student's file) of each mistake these report lines name."""
    return [(line.mistake_id, int(line.split("neuralnet.py line ")[1].split(":")[0]) if "neuralnet.py line " in line
             else 0) for line in lines if isinstance(line, catalog.MistakeLine)]


def ids(results) -> list:
    return sorted({m for r in results for m in r.mistakes})


def pointed(output: str, mistake_id: str) -> int:
    """The line of the student's file that a check's output points at for a mistake (0 when none)."""
    after = output.split(f"mistake: {mistake_id}:", 1)
    if len(after) < 2 or "neuralnet.py line " not in after[1]:
        return 0
    return int(after[1].split("neuralnet.py line ", 1)[1].split(":")[0])


FIRST_TWO = runs.CONFIGS[:2]  # the handout's example (2 epochs), then 0 epochs


class TestCrashesExplained(unittest.TestCase):
    """A run that fails is explained from its traceback and the source: the id, and the line it points at."""

    def test_each_crash_is_named_with_its_line(self):
        for name, (source, text) in CRASHES.items():
            mistake_id = name.split(" ")[0]
            with self.subTest(name):
                results = Grades.cli(source, FIRST_TWO)
                failing = [r for r in results if not r.passed]
                self.assertTrue(failing, name)
                self.assertEqual(ids(results), [mistake_id], "\n".join(r.output for r in results))
                self.assertEqual(pointed(failing[0].output, mistake_id), line_of(source, text), failing[0].output)
                if len(failing) == 2:  # said once in full, then referred back to, its id still carried
                    self.assertIn(f"the same cause as {failing[0].name}", failing[1].output)
                    self.assertEqual(failing[1].mistakes, (mistake_id,))

    def test_a_plot_in_main_that_fails_is_experiment_code(self):
        source = PLOT_IN_MAIN
        failing = [r for r in Grades.cli(source, FIRST_TWO) if not r.passed]
        self.assertEqual(len(failing), 2)
        self.assertEqual(failing[0].mistakes, ("experiment-main",), failing[0].output)
        self.assertIn(pointed(failing[0].output, "experiment-main"),
                      (line_of(source, "import matplotlib"), line_of(source, "plt.plot(")), failing[0].output)

    def test_a_fixed_class_count_names_the_older_handout(self):
        source, _ = CRASHES["class-count-fixed"]
        output = Grades.cli(source, FIRST_TWO[:1])[0].output
        self.assertIn("this follows an older handout's data sets of fewer letters", output)
        self.assertIn("IndexError: index", output)

    def test_feedback_past_a_blocking_import_earns_nothing_and_goes_on(self):
        """pandas used after the outputs are written: the run fails at the import (no points), and the same run
        with a stand-in for pandas is judged as feedback: its outputs read, the rest of the file diagnosed."""
        source = variant(SCRIPT_STUDENT, ("import sys\n", "import sys\nimport pandas as pd\n"),
                         ("np.random.seed(epoch)", "np.random.seed(epoch + 1)"),
                         ("        print(\"error(validation): {}\".format(val_err), file=f)\n",
                          "        print(\"error(validation): {}\".format(val_err), file=f)\n"
                          "    pd.DataFrame({\"train\": train_loss}).to_csv(\"losses.csv\")\n"))
        result = Grades.cli(source, FIRST_TWO[:1])[0]
        self.assertFalse(result.passed)
        self.assertIn("feedback past the import, which earns no points", result.output)
        self.assertIn("it needs pandas here (pandas.DataFrame())", result.output)
        self.assertEqual(result.mistakes, ("module-not-on-autograder", "shuffle-seed-offset"), result.output)

    def test_outputs_written_before_a_crash_are_read(self):
        source = variant(SCRIPT_STUDENT, ("crossentropy(validation)", "crossentropy(test)"),
                         ("        print(\"error(validation): {}\".format(val_err), file=f)\n",
                          "        print(\"error(validation): {}\".format(val_err), file=f)\n"
                          "    print(\"last\", val_loss[num_epoch])\n"))
        result = Grades.cli(source, FIRST_TWO[:1])[0]
        self.assertFalse(result.passed)
        self.assertIn("what it wrote before it failed", result.output)
        self.assertEqual(result.mistakes, ("metrics-test-keys",), result.output)

    def test_a_file_that_does_not_compile_is_named_before_any_run(self):
        for name in ("python2-code", "mixed-indentation"):
            source, text = CRASHES[name]
            with self.subTest(name):
                checks = env.env_checks(source.encode())
                self.assertEqual(checks[0].mistakes, (name,))
                self.assertEqual(pointed(checks[0].output, name), line_of(source, text))

    def test_a_crash_without_a_known_cause_says_where_and_names_nothing(self):
        source = UNEXPLAINED_CRASH
        result = Grades.cli(source, FIRST_TWO[:1])[0]
        self.assertFalse(result.passed)
        self.assertEqual(result.mistakes, ())
        line = line_of(source, 'self.cache["X"]')
        self.assertIn(f"it failed at neuralnet.py line {line}: ", result.output)
        self.assertIn("KeyError: 'X'", result.output)

    def test_arguments_in_another_order_are_not_called_misspelt(self):
        init_flag = ("    parser.add_argument('init_flag', type=int, choices=[1, 2], "
                     "help='weight initialization functions, 1: random')\n")
        learning_rate = "    parser.add_argument('learning_rate', type=float, help='learning rate')\n"
        source = variant(ARGPARSE_STUDENT, (init_flag + learning_rate, learning_rate + init_flag))
        result = Grades.cli(source, FIRST_TWO[:1])[0]
        self.assertFalse(result.passed)
        self.assertIn("invalid int value: '0.1'", result.output)
        self.assertEqual(result.mistakes, ())

    def test_correct_student_files_get_no_name(self):
        for name, source in (("argparse", ARGPARSE_STUDENT), ("script", SCRIPT_STUDENT)):
            with self.subTest(name):
                results = Grades.cli(source, FIRST_TWO)
                self.assertTrue(all(r.passed for r in results), "\n".join(r.output for r in results))
                self.assertEqual(ids(env.env_checks(source.encode())), [])

    def test_slow_code_is_told_how_slow_against_this_project(self):
        source = variant(ARGPARSE_STUDENT, ("        return np.dot(self.w, self.input)",
                                            "        out = np.zeros(self.w.shape[0])\n"
                                            "        for i in range(self.w.shape[0]):\n"
                                            "            for j in range(self.w.shape[1]):\n"
                                            "                out[i] += self.w[i, j] * self.input[j]\n"
                                            "        return out"))
        config = runs.CONFIGS[4]  # 5 epochs of 20 hidden units: minutes with a Python loop per weight
        first, later = Grades.cli(source, [config, runs.CONFIGS[5]], timeout=2, total=20)
        self.assertIn("timed out after 2 s", first.output)
        self.assertIn("this run took more than 2 s; this project's neuralnet.py computes the same configuration in ",
                      first.output)
        self.assertIn(f"Gradescope stops the whole autograder after {crashes.GRADESCOPE_DEFAULT_MINUTES} minutes",
                      first.output)
        # the next run is shortened (1 s: half of --timeout) and told why, then how slow, as the first
        self.assertIn("timed out after 1 s", later.output)
        self.assertIn(f"shortened: the run {config.describe()} did not finish within 2 s under {config.check_name()}",
                      later.output)
        self.assertIn("this run took more than 1 s; this project's neuralnet.py computes the same configuration in ",
                      later.output)
        self.assertEqual(first.mistakes + later.mistakes, ())


# Each mistake of a handout function: (file, the check that names it, the id, the text of the line it points at).
FUNCTIONS = {
    "shuffle-other-generator": (variant(ARGPARSE_STUDENT, ("    np.random.seed(epoch)\n    N = len(y)\n"
                                                           "    ordering = np.random.permutation(N)",
                                                           "    rng = np.random.default_rng(epoch)\n    N = len(y)\n"
                                                           "    ordering = rng.permutation(N)")),
                                api.SHUFFLE_NAME, "rng = np.random.default_rng(epoch)"),
    "random-init-draws-twice": (variant(ARGPARSE_STUDENT, ("    np.random.seed(M * D)\n"
                                                           "    return np.random.uniform(-0.1, 0.1, (M, D))",
                                                           "    np.random.seed(M * D)\n"
                                                           "    weights = np.random.uniform(-0.1, 0.1, (M, D))\n"
                                                           "    weights[:, 0] = 0\n"
                                                           "    return np.random.uniform(-0.1, 0.1, size=(M, D))")),
                                "api:random_init", "return np.random.uniform(-0.1, 0.1, size=(M, D))"),
    "sigmoid-backward-not-elementwise": (variant(ARGPARSE_STUDENT, ("return dz * self.z * (1 - self.z)",
                                                                    "return (dz * self.z) @ (1 - self.z)")),
                                         "api:Sigmoid.backward", "(dz * self.z) @ (1 - self.z)"),
    "sigmoid-backward-not-elementwise (columns)": (variant(SCRIPT_STUDENT, (
        "return np.multiply(dz, np.multiply(out, 1 - out))", "return np.matmul(np.multiply(dz, out), 1 - out)")),
        "api:Sigmoid.backward", "np.matmul(np.multiply(dz, out), 1 - out)"),
    "loss-not-from-output": (variant(ARGPARSE_STUDENT, ("        y_hat, loss = self.softmax.forward(b, y)\n",
                                                        "        y_hat, _ = self.softmax.forward(b, y)\n"
                                                        "        loss = self.softmax._cross_entropy(y, x)\n")),
                             "api:NN.forward and NN.backward", "loss = self.softmax._cross_entropy(y, x)"),
    "backward-modifies-input": (variant(ARGPARSE_STUDENT, ("        grad = y_hat.copy()\n",
                                                           "        grad = y_hat\n")),
                                "api:SoftMaxCrossEntropy.backward", "grad[y] = grad[y] - 1"),
    "bias-side-mismatch": (variant(ARGPARSE_STUDENT, ("self.input = np.insert(x, 0, 1)",
                                                      "self.input = np.append(x, 1)")),
                           "api:NN.forward and NN.backward, second vector", "np.append(x, 1)"),
    "bias-side-mismatch (the hidden layer only)": (variant(SCRIPT_STUDENT, (
        "        return self.softmax.forward(self.linear2.forward(hidden), y)",
        "        hidden = np.vstack((hidden, np.ones((1, 1))))\n"
        "        self.linear2.cache[\"x\"] = hidden\n"
        "        return self.softmax.forward(np.matmul(self.linear2.w, hidden), y)")),
        "api:NN.forward and NN.backward, second vector", "np.vstack((hidden, np.ones((1, 1))))"),
}


class TestFunctionsExplained(unittest.TestCase):
    """Each handout function's mistake is named from its values, computed here, with the line it points at."""

    def test_each_function_mistake_is_named_with_its_line(self):
        for name, (source, check, text) in FUNCTIONS.items():
            mistake_id = name.split(" ")[0]
            with self.subTest(name):
                verdicts, explained = api_explained(self, source)
                self.assertIn((mistake_id, line_of(source, text)), named(explained.get(check, [])),
                              "\n".join(explained.get(check, [])) + "\n" + verdicts[check].text)
                others = {m for lines in explained.values() for m, _ in named(lines)} - {mistake_id}
                self.assertEqual(others, set(), explained)

    def test_a_correct_shuffle_written_otherwise_passes_and_the_shuffle_check_has_no_points(self):
        source = variant(SCRIPT_STUDENT, ("    np.random.seed(epoch)\n    N = len(y)\n"
                                          "    ordering = np.random.permutation(N)",
                                          "    ordering = np.random.RandomState(epoch).permutation(len(y))"))
        verdicts, explained = api_explained(self, source)
        self.assertTrue(verdicts[api.SHUFFLE_NAME].passed, verdicts[api.SHUFFLE_NAME].text)
        self.assertEqual(explained, {})
        self.assertIn(api.SHUFFLE_NAME, api.UNSCORED)

    def test_correct_student_files_get_no_name(self):
        for name, source in (("argparse", ARGPARSE_STUDENT), ("script", SCRIPT_STUDENT)):
            with self.subTest(name):
                verdicts, explained = api_explained(self, source)
                self.assertEqual(explained, {})
                self.assertTrue(all(v.passed for v in verdicts.values()),
                                {n: v.text for n, v in verdicts.items() if not v.passed})

    def test_this_projects_own_values_name_nothing(self):
        import neuralnet
        checks = api.all_checks(DATA)
        values = api.values_in_process(neuralnet, checks)
        with open(os.path.join(HERE, "neuralnet.py")) as f:
            self.assertEqual(api.explain_values(checks, api.verdicts(checks, values), values,
                                                crashes.Source(f.read())), {})


class TestExplainedTable(unittest.TestCase):
    def test_docs_show_the_explained_mistakes_as_the_catalog_defines_them(self):
        with open(os.path.join(HERE, "docs", "grading.md")) as f:
            self.assertTrue(catalog.markdown_table(catalog.EXPLAINED) in f.read(),
                            "docs/grading.md's table of explained mistakes is not catalog.markdown_table(EXPLAINED)")

    def test_every_explained_id_is_tested_here(self):
        tested = {name.split(" ")[0] for name in [*CRASHES, *FUNCTIONS, *SOURCES]}
        self.assertEqual({m.id for m in catalog.EXPLAINED}, tested)


# Each mistake named from the source alone: (file, the text of the line named).
SOURCES = {
    "older-handout-api": ("import sys\nimport numpy as np\n\n\ndef SigmoidForward(a):\n"
                          "    return 1 / (1 + np.exp(-a))\n"
                          "\n\ndef NNForward(x, y, alpha, beta):\n    return SigmoidForward(alpha @ x)\n",
                          "def SigmoidForward(a):"),
}


class TestNamedFromTheSource(unittest.TestCase):
    def test_an_older_handouts_api_is_named_once_with_its_handout(self):
        source, text = SOURCES["older-handout-api"]
        found = catalog.older_api(ast.parse(source))
        self.assertEqual(found.line, line_of(source, text))
        self.assertIn("the 2018-2020 handouts' modules", found.text)
        results = api.named_once([Result("api:shuffle", True, "", 0), Result("api:random_init", False, "missing", 1),
                                  Result("api:zero_init", False, "missing", 1)], found)
        self.assertEqual([r.mistakes for r in results], [(), ("older-handout-api",), ()])
        for name in ("ARGPARSE_STUDENT", "SCRIPT_STUDENT"):
            with self.subTest(name):
                self.assertIsNone(catalog.older_api(ast.parse(globals()[name])))


if __name__ == "__main__":
    unittest.main()
