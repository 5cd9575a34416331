"""Submissions with known mistakes, written independently of grade.py's catalog.

Shared by the grader's in-process tests (grader/test_checks.py, part of the student's
suite) and its end-to-end tests (grader/test_grader.py). Each is source text: a copy
of benchmarks/naive_neuralnet.py with (old, new) replacements, or a module-based
implementation written the way many students write it.
"""
import os

from grader.testing import HERE

NAIVE = os.path.join(HERE, "benchmarks", "naive_neuralnet.py")

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


def naive_variant(*replacements):
    """benchmarks/naive_neuralnet.py with (old, new) replacements, each found exactly once."""
    with open(NAIVE) as f:
        source = f.read()
    for old, new in replacements:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


def naive_with(*mistakes):
    """benchmarks/naive_neuralnet.py carrying these classic mistakes (ids of NAIVE_MISTAKES)."""
    return naive_variant(*[replacement for mistake in mistakes for replacement in NAIVE_MISTAKES[mistake]])


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
    "crlf-line-endings": (naive_variant(('with open(path, "w") as f:', 'with open(path, "w", newline="\\r\\n") as f:'),
                                        ('with open(metrics_out, "w") as f:',
                                         'with open(metrics_out, "w", newline="\\r\\n") as f:')),
                          "lines end in \\r\\n; read with \\n endings, they match the expected outputs: only the line "
                          "endings are wrong"),
    "metrics-lines-missing": (naive_variant(
        ('        lines.append(f"error({name}): {float(np.mean(np.array(labels) != y))}")\n', "")),
                              "missing error(train), error(validation)"),
    "metrics-rounded": (naive_variant(('crossentropy(train): {loss_tr}")', 'crossentropy(train): {loss_tr:.4f}")'),
                                      ('crossentropy(validation): {loss_val}")',
                                       'crossentropy(validation): {loss_val:.4f}")')),
                        "values are this project's rounded to at most 4 decimals"),
    "bias-last-column": (naive_with("bias-last-column"), "mistake: bias-last-column"),
    "adagrad-update": (naive_with("adagrad-update"), "mistake: adagrad-update"),
    "weights-attribute-name": (student_source("column", ("self.w", "self.weights")),
                               "Linear(6, 4, ...) has no w, but a 4 x 7 matrix named weights"),
    "import-side-effects": (naive_variant((MAIN_CALL, "main(sys.argv[1:])")),
                            "importing the file runs code that reads sys.argv (line 97): put the command-line code "
                            "under if __name__ == \"__main__\":"),
}


def hanging(source: str, function: str) -> str:
    """The source with a loop that never ends as the first statement of `function` ("NN.train", "shuffle"): a
    call of it never returns, and nothing else changes. The loop is pure Python, as a student's is."""
    import ast
    tree = ast.parse(source)
    owner, _, name = function.rpartition(".")
    scope = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner) if owner else tree
    definition = next(n for n in ast.walk(scope) if isinstance(n, ast.FunctionDef) and n.name == name)
    body = definition.body
    first = body[1] if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
        else body[0]
    lines = source.splitlines(keepends=True)
    indent = " " * first.col_offset
    lines.insert(first.lineno - 1, f"{indent}while True:  # a hang\n{indent}    pass\n")
    return "".join(lines)


# ----------------------------------------------------------------------------
# A class as Gradescope's "Export Submissions" lays it out: what grader/test_grader.py (a part) and
# benchmarks/bench_class.py (all of it) grade locally and, in the bundle, one upload at a time
# ----------------------------------------------------------------------------

def _reference() -> str:
    with open(os.path.join(HERE, "neuralnet.py")) as f:
        return f.read()


def _zipped(name: str, text: str) -> bytes:
    import io
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


HANG_IN_TRAIN = ("    def train(self, X_tr, y_tr, X_test, y_test, n_epochs):\n",
                 "    def train(self, X_tr, y_tr, X_test, y_test, n_epochs):\n        while n_epochs >= 0:\n"
                 "            pass\n")
HANG_AT_IMPORT = "import time\nwhile True:\n    time.sleep(1)\n"


def export_class():
    """Gradescope's export of a class of 21 uploads, as {folder: (kind, {file in the upload: content}, submitters)};
    each submitter (name, sid, email), a group listing several. The kinds: what the upload is, and how its grade
    must end."""
    reference = _reference()
    rows = [
        ("this project", "graded", {"neuralnet.py": reference}),
        ("student code, column vectors, a group of two", "graded", {"neuralnet.py": student_source("column")}),
        ("student code, row vectors", "graded", {"neuralnet.py": student_source("row")}),
        ("a zipped folder, unpacked by Gradescope", "graded",
         {"hw5/neuralnet.py": reference, "__MACOSX/hw5/._neuralnet.py": b"\0\5\26\7junk",
          "hw5/.DS_Store": b"\0\0\0\1Bud1"}),
        ("catalogued: no-shuffle", "graded", {"neuralnet.py": naive_with("no-shuffle")}),
        ("catalogued: shuffle-seed-offset, a group of three", "graded",
         {"neuralnet.py": naive_with("shuffle-seed-offset")}),
        ("catalogued: loss-summed", "graded", {"neuralnet.py": naive_with("loss-summed")}),
        ("found otherwise: hard-coded-settings", "graded", {"neuralnet.py": REAL_MISTAKES["hard-coded-settings"][0]}),
        ("found otherwise: metrics-rounded", "graded", {"neuralnet.py": REAL_MISTAKES["metrics-rounded"][0]}),
        ("uncatalogued: the learning rate applied twice", "graded",
         {"neuralnet.py": student_source("column", ("self.w = self.w - self.lr * self.dw",
                                                    "self.w = self.w - 2 * self.lr * self.dw"))}),
        ("uncatalogued: the sigmoid's derivative without (1 - z)", "graded",
         {"neuralnet.py": student_source("column", ("return dz * z * (1.0 - z)", "return dz * z"))}),
        ("misnamed: neuralnet (1).py", "not graded", {"neuralnet (1).py": reference, "README.md": "my notes\n"}),
        ("misnamed: NeuralNet.py", "not graded", {"NeuralNet.py": reference}),
        ("an empty upload", "not graded", {}),
        ("a zip inside the upload", "not graded", {"hw5.zip": _zipped("hw5/neuralnet.py", reference)}),
        ("a syntax error", "did not import", {"neuralnet.py": "def broken(:\n"}),
        ("an exception at import", "did not import", {"neuralnet.py": "raise RuntimeError('not finished')\n"}),
        ("a crash: the shuffle seeded with epoch - 1", "crashed",
         {"neuralnet.py": reference.replace("np.random.seed(epoch)", "np.random.seed(epoch - 1)")}),
        ("a helper module uploaded beside it", "did not import",
         {"neuralnet.py": "from helper import *\n" + reference, "helper.py": "X = 1\n"}),
        ("a hang at import", "timed out", {"neuralnet.py": HANG_AT_IMPORT}),
        ("a hang in NN.train", "timed out", {"neuralnet.py": student_source("column", HANG_IN_TRAIN)}),
    ]
    names = ["Ada Example", "Alan Example", "Grace Example", "Edsger Example", "Barbara Example", "Donald Example",
             "Frances Example", "John Example", "Margaret Example", "Niklaus Example", "Radia Example",
             "Tony Example", "Ken Example", "Dennis Example", "Leslie Example", "Shafi Example", "Silvio Example",
             "Whitfield Example", "Martin Example", "Ron Example", "Adi Example", "Len Example", "Ivan Example",
             "Sophie Example"]
    people = iter((name, f"{2026000 + i:07d}", f"{name.split()[0].lower()}@example.edu")
                  for i, name in enumerate(names))
    group = {1: 2, 5: 3}  # rows submitted by a group: how many members
    return {f"submission_{31415000 + i}": (kind, files, [next(people) for _ in range(group.get(i, 1))])
            for i, (_, kind, files) in enumerate(rows)}, [what for what, _, _ in rows]


def export_metadata(folders) -> str:
    """submission_metadata.yml for export_class()'s folders, as Gradescope writes it (Ruby's YAML)."""
    lines = []
    for folder, (_, _, people) in folders.items():
        lines += [f"{folder}:", "  :submitters:"]
        for name, sid, email in people:
            lines += [f"  - :name: {name}", f"    :sid: '{sid}'", f"    :email: {email}"]
        lines += ["  :created_at: 2026-11-30 14:22:32.365935000 -05:00", "  :score: 0.0", "  :history: []"]
    return "\n".join(lines) + "\n"


def write_export(root: str, folders) -> None:
    """The export in root: a folder per upload holding its files, and submission_metadata.yml."""
    for folder, (_, files, _) in folders.items():
        os.makedirs(os.path.join(root, folder))
        for name, content in files.items():
            path = os.path.join(root, folder, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(content.encode() if isinstance(content, str) else content)
    with open(os.path.join(root, "submission_metadata.yml"), "w") as f:
        f.write(export_metadata(folders))
