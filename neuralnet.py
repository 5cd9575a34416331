"""Optical character recognition with a neural network trained by per-example SGD.

10-301/10-601 HW5. A network of sigmoid hidden layers (one by default) and a
softmax output, trained on cross-entropy with module-based backpropagation.
Standard library and numpy only; Python 3.9 syntax.

    python3 neuralnet.py <train_input> <validation_input> <train_out>
        <validation_out> <metrics_out> <num_epoch> <hidden_units> <init_flag>
        <learning_rate>

Shapes used throughout: M input features, D hidden units, K = 10 classes,
N examples. Every weight matrix folds its bias into column 0, so alpha is
D x (M+1) and beta is K x (D+1).

Each module's forward/backward is its formula. Whole datasets (losses,
predictions) go through the same modules as (N, features) matrices, one matrix
product per layer; that path is inference only and leaves the caches alone.
"""

import argparse
import math
import os
import sys
import tempfile
import time
import warnings
from typing import Callable, Dict, List, NoReturn, Optional, Sequence, Tuple, Union

# One BLAS thread unless the user chose a count: faster on a busy machine, and the same
# digits busy or quiet (README, "Speed"). It must run before numpy loads its BLAS.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                         "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
if "numpy" not in sys.modules and not any(name in os.environ for name in BLAS_THREAD_VARIABLES):
    os.environ.update(dict.fromkeys(BLAS_THREAD_VARIABLES, "1"))

try:
    import numpy as np  # noqa: E402  (after the thread limit above)
except ImportError as missing:  # a Python without numpy: one line saying how to set up, not a traceback
    NO_NUMPY = (f"numpy is not installed for {sys.executable} ({missing}); set up as the README says: python3 -m "
                "venv .venv && .venv/bin/pip install -r requirements.txt, then run with .venv/bin/python")
    if __name__ == "__main__":
        raise SystemExit(f"neuralnet.py: error: {NO_NUMPY}") from None
    raise ImportError(NO_NUMPY) from missing  # the importer's one line (incorrect_finder.py, grade.py, ...)

INIT_FN_TYPE = Callable[[Tuple[int, int]], np.ndarray]
LETTERS = ["a", "e", "g", "i", "l", "n", "o", "r", "t", "u"]
PROG = "neuralnet.py"

# exp(-a) overflows float64 for a < -709.78. Clipping a there changes sigmoid(a)
# by less than 1e-307 and keeps numpy from warning about the overflow.
SIGMOID_CLIP = 709.0


# ----------------------------------------------------------------------------
# Initialization and shuffling (exactly as the handout's starter code)
# ----------------------------------------------------------------------------

def shuffle(X: np.ndarray, y: np.ndarray, epoch: int) -> Tuple[np.ndarray, np.ndarray]:
    """Permute the examples with a seed fixed by the epoch number.

    :param X: inputs, shape (N, M)
    :param y: labels, shape (N,)
    :param epoch: epoch number, the seed; always shuffle the ORIGINAL order
    :return: (X, y) in the permuted order
    """
    np.random.seed(epoch)
    ordering = np.random.permutation(len(y))
    return X[ordering], y[ordering]


def zero_init(shape: Tuple[int, int]) -> np.ndarray:
    """ZERO initialization: a matrix of zeros of the given (rows, cols) shape."""
    return np.zeros(shape=shape)


def random_init(shape: Tuple[int, int]) -> np.ndarray:
    """RANDOM initialization: uniform in [-0.1, 0.1], seeded by rows * cols.

    The bias column is drawn too (the seed fixes every entry) and zeroed by
    the caller.
    """
    M, D = shape
    np.random.seed(M * D)  # the handout fixes this seed
    return np.random.uniform(-0.1, 0.1, (M, D))


INIT_FUNCTIONS: Dict[int, INIT_FN_TYPE] = {1: random_init, 2: zero_init}  # init_flag -> its function


# ----------------------------------------------------------------------------
# Softmax and cross-entropy
# ----------------------------------------------------------------------------

class SoftMaxCrossEntropy:
    """Softmax over logits followed by cross-entropy against an integer label."""

    def _softmax(self, z: np.ndarray) -> np.ndarray:
        """
        :param z: logits, shape (K,) or (N, K)
        :return: probabilities y_hat of the same shape, each row summing to 1
        """
        return self._softmax_parts(z)[0]

    def _softmax_parts(self, z: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The softmax, written once: exp(z - max z) / sum(exp(z - max z)).

        :param z: logits, shape (K,) or (N, K)
        :return: (y_hat, shift, total): the probabilities, max z and
                 sum(exp(z - max z)), the last two scalars for one example
                 or shape (N, 1) for N. Shifting by the largest logit keeps
                 exp from overflowing for any finite z.
        """
        rows = z.ndim == 2  # rows keep their axis to broadcast; one example's sums are scalars (faster)
        shift = z.max(axis=-1, keepdims=rows)
        e = np.exp(z - shift)
        total = e.sum(axis=-1, keepdims=rows)
        return e / total, shift, total

    def _cross_entropy(self, y: int, y_hat: np.ndarray) -> float:
        """
        :param y: the true label, an int in 0..K-1
        :param y_hat: predicted probabilities, shape (K,)
        :return: -log(y_hat[y]); inf where that probability is exactly 0
        """
        p = float(y_hat[y])
        return -math.log(p) if p > 0.0 else math.inf

    def forward(self, z: np.ndarray, y: Union[int, np.ndarray]) -> Tuple[np.ndarray, Union[float, np.ndarray]]:
        """
        :param z: logits, shape (K,) for one example or (N, K) for N
        :param y: the label (int), or labels of shape (N,)
        :return: (y_hat, loss): probabilities of z's shape, and the
                 cross-entropy, a float for one example or shape (N,) for N.
                 The loss is -log(y_hat[y]) written as the log-softmax
                 log(sum(exp(z))) - z[y] = shift + log(total) - z[y],
                 finite wherever z is.
        """
        y_hat, shift, total = self._softmax_parts(z)
        if z.ndim == 1:
            return y_hat, float(shift - z[y]) + math.log(total)
        return y_hat, (shift + np.log(total))[:, 0] - z[np.arange(len(z)), y]

    def backward(self, y: int, y_hat: np.ndarray) -> np.ndarray:
        """
        :param y: the true label, an int in 0..K-1
        :param y_hat: predicted probabilities, shape (K,)
        :return: dloss/dz = y_hat - onehot(y), shape (K,)
        """
        grad = y_hat.copy()
        grad[y] -= 1.0
        return grad


def softmax(z: np.ndarray) -> np.ndarray:
    """Module-level form of SoftMaxCrossEntropy._softmax (older handout tests)."""
    return SoftMaxCrossEntropy()._softmax(z)


def cross_entropy(y: int, y_hat: np.ndarray) -> float:
    """Module-level form of SoftMaxCrossEntropy._cross_entropy."""
    return SoftMaxCrossEntropy()._cross_entropy(y, y_hat)


def d_softmax_cross_entropy(y: int, y_hat: np.ndarray) -> np.ndarray:
    """Module-level form of SoftMaxCrossEntropy.backward."""
    return SoftMaxCrossEntropy().backward(y, y_hat)


# ----------------------------------------------------------------------------
# Modules
# ----------------------------------------------------------------------------

class Sigmoid:
    """Elementwise logistic function z = 1 / (1 + exp(-a))."""

    def __init__(self):
        self.cache: Dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """
        :param x: pre-activations a, shape (D,) for one example, or (N, D)
                  for a whole dataset (inference only: the cache is left alone)
        :return: z = sigmoid(a), same shape
        """
        # z = 1 / (1 + exp(-a)), step by step in one array: a dataset's is megabytes,
        # and each temporary of that size costs more than the arithmetic.
        z = np.negative(x)
        np.minimum(z, SIGMOID_CLIP, out=z)  # so that exp cannot overflow
        np.exp(z, out=z)
        z += 1.0
        np.reciprocal(z, out=z)
        if x.ndim == 1:
            self.cache["z"] = z
        return z

    def backward(self, dz: Union[np.ndarray, float]) -> np.ndarray:
        """
        :param dz: dloss/dz, shape (D,) (or a scalar such as 1)
        :return: dloss/da = dz * z * (1 - z), shape (D,)
        """
        z = self.cache["z"]
        return dz * z * (1.0 - z)


class Linear:
    """Affine layer z = w @ [1, x], the bias folded into column 0 of w."""

    def __init__(self, input_size: int, output_size: int,
                 weight_init_fn: INIT_FN_TYPE, learning_rate: float):
        """
        :param input_size: units in the input, NOT counting the folded bias
        :param output_size: units in the output
        :param weight_init_fn: makes a (rows, cols) matrix; called once for
                               the whole w, whose bias column is then zeroed
        :param learning_rate: SGD step size
        """
        self.lr = learning_rate
        self.w = np.array(weight_init_fn((output_size, input_size + 1)), dtype=np.float64)
        self.w[:, 0] = 0.0  # biases start at zero under every init
        self.dw = np.zeros_like(self.w)
        self.cache: Dict[str, np.ndarray] = {}
        self._x1 = np.ones(input_size + 1)  # [1, x], refilled by each forward: entry 0 stays 1

    def forward(self, x: np.ndarray) -> np.ndarray:
        """
        :param x: input WITHOUT the bias, shape (input_size,) for one example,
                  or (N, input_size) for a whole dataset (inference only)
        :return: z = w @ [1, x], shape (output_size,) or (N, output_size)
        """
        if x.ndim == 2:
            z = x @ self.w[:, 1:].T
            z += self.w[:, 0]  # in place: one dataset-sized array, not two
            return z
        if len(self._x1) != len(x) + 1:  # a w of another shape was assigned
            self._x1 = np.ones(len(x) + 1)
        self._x1[1:] = x
        self.cache["x1"] = self._x1
        return np.dot(self.w, self._x1)

    def backward(self, dz: np.ndarray) -> np.ndarray:
        """
        Store dloss/dw = outer(dz, [1, x]) in self.dw; leave w to step().

        :param dz: dloss/dz, shape (output_size,)
        :return: dloss/dx = w*^T dz, shape (input_size,), where w* is w
                 without its bias column
        """
        x1 = self.cache["x1"]
        self.dw = np.dot(dz[:, None], x1[None, :])  # outer(dz, x1) as a k=1 product: 1.5x faster than np.outer
        # w*^T dz written as dz @ w* (one view fewer). Leaving the bias column out
        # of the product, as the handout writes it, also keeps identical hidden
        # units (ZERO init) bit-for-bit identical: a product one column wider can
        # round one output differently.
        return dz @ self.w[:, 1:]

    def step(self) -> None:
        """SGD update w -= learning_rate * dw."""
        self.w -= self.lr * self.dw


def hidden_layers(hidden_size: Union[int, Sequence[int]]) -> List[int]:
    """The units of each hidden layer: [D] for one layer of D, or the sizes given, one per layer."""
    return [int(hidden_size)] if isinstance(hidden_size, (int, np.integer)) else [int(d) for d in hidden_size]


class NN:
    """Sigmoid hidden layers and a softmax output, trained by per-example SGD."""

    def __init__(self, input_size: int, hidden_size: Union[int, Sequence[int]],
                 output_size: int, weight_init_fn: INIT_FN_TYPE, learning_rate: float):
        """
        :param input_size: M, features per example (no bias)
        :param hidden_size: D, units of the hidden layer; or a sequence of
                            sizes, one per hidden layer
        :param output_size: K, number of classes
        :param weight_init_fn: zero_init or random_init
        :param learning_rate: SGD step size

        Layers are linear1 ... linear{k+1} for k hidden layers, with a Sigmoid
        after each hidden one (self.sigmoid is the first).
        """
        self.weight_init_fn = weight_init_fn
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.output_size = output_size
        hidden_sizes = hidden_layers(hidden_size)
        sizes = [input_size, *hidden_sizes, output_size]
        self.linears = [Linear(n_in, n_out, weight_init_fn, learning_rate)
                        for n_in, n_out in zip(sizes, sizes[1:])]
        self.sigmoids = [Sigmoid() for _ in hidden_sizes]
        for i, layer in enumerate(self.linears, start=1):
            setattr(self, f"linear{i}", layer)
        self.sigmoid = self.sigmoids[0]
        self.softmax = SoftMaxCrossEntropy()
        self._hidden = list(zip(self.linears, self.sigmoids))  # (Linear, Sigmoid) pairs
        self._hidden_reversed = self._hidden[::-1]

    def _logits(self, x: np.ndarray) -> np.ndarray:
        """
        :param x: one example (M,) or a dataset (N, M)
        :return: output-layer logits, shape (K,) or (N, K)
        """
        for linear, sigmoid in self._hidden:
            x = sigmoid.forward(linear.forward(x))
        return self.linears[-1].forward(x)

    def forward(self, x: np.ndarray, y: int) -> Tuple[np.ndarray, float]:
        """
        :param x: one example, shape (M,)
        :param y: its label
        :return: (y_hat, loss): probabilities, shape (K,), and cross-entropy
        """
        y_hat, loss = self.softmax.forward(self._logits(x), y)
        return y_hat, float(loss)

    def backward(self, y: int, y_hat: np.ndarray) -> None:
        """Fill every layer's dw with the gradient of the last forward's loss.

        :param y: the label passed to forward
        :param y_hat: the probabilities forward returned, shape (K,)
        """
        grad = self.linears[-1].backward(self.softmax.backward(y, y_hat))
        for linear, sigmoid in self._hidden_reversed:
            grad = linear.backward(sigmoid.backward(grad))

    def step(self) -> None:
        """Apply one SGD update to every layer."""
        for linear in self.linears:
            linear.step()

    def compute_loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """
        :param X: inputs, shape (N, M)
        :param y: labels, shape (N,)
        :return: mean cross-entropy over the N examples
        """
        _, losses = self.softmax.forward(self._logits(X), y)
        return float(np.mean(losses))

    def train(self, X_tr: np.ndarray, y_tr: np.ndarray,
              X_test: np.ndarray, y_test: np.ndarray,
              n_epochs: int, on_epoch: Optional[Callable[[int, float, float], None]] = None
              ) -> Tuple[List[float], List[float]]:
        """Per-example SGD for n_epochs, reshuffling the original order each epoch.

        :param X_tr: training inputs (N, M); y_tr: labels (N,)
        :param X_test: validation inputs (N', M); y_test: labels (N',)
                       (the starter code's names)
        :param on_epoch: optional progress callback, called after each epoch
                         with (epoch number from 1, train loss, validation loss)
        :return: (train_losses, validation_losses), mean cross-entropy after each epoch
        """
        train_losses, validation_losses = [], []
        for epoch in range(n_epochs):
            X_shuffled, y_shuffled = shuffle(X_tr, y_tr, epoch)
            for x, label in zip(X_shuffled, y_shuffled.tolist()):
                y_hat, _ = self.forward(x, label)
                self.backward(label, y_hat)
                self.step()
            train_losses.append(self.compute_loss(X_tr, y_tr))
            validation_losses.append(self.compute_loss(X_test, y_test))
            if on_epoch is not None:
                on_epoch(epoch + 1, train_losses[-1], validation_losses[-1])
        return train_losses, validation_losses

    def test(self, X: np.ndarray, y: np.ndarray) -> Tuple[np.ndarray, float]:
        """
        :param X: inputs, shape (N, M)
        :param y: labels, shape (N,)
        :return: (labels, error_rate): argmax predictions (ties to the
                 smallest index), shape (N,), and the fraction wrong
        """
        labels = np.argmax(self.softmax._softmax(self._logits(X)), axis=1)
        return labels, float(np.mean(labels != y))


# ----------------------------------------------------------------------------
# Command line: main, the run, its inputs and outputs
# ----------------------------------------------------------------------------

class UsageError(Exception):
    """A bad argument, or output paths that clash with the inputs or each other: exit status 2."""


class FileError(Exception):
    """An input file that cannot be used, or an output file that cannot be written: exit status 1."""


class DivergedError(Exception):
    """Training overflowed float64 (a learning rate far too large): exit status 1."""


def main(argv: Union[Sequence[str], None] = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 bad input, 2 bad arguments)."""
    return run_command(PROG, lambda: run(build_parser().parse_args(argv)))


def run_command(prog: str, action: Callable[[], None]) -> int:
    """Run a command line's action (its arguments parsed, then its work); every failure is one line on
    stderr and an exit status: 2 a bad argument (UsageError), 1 a bad file or a failed run, 130
    interrupted. Shared with the handout's incorrect_finder.py and visualizer.py."""
    try:
        action()
    except UsageError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except (FileError, DivergedError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; no output written", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"{prog}: error: out of memory", file=sys.stderr)
        return 1
    return 0


def run(args) -> None:
    """Check the output paths, read the inputs, train, then write all three outputs at once."""
    check_output_paths(args)
    (X_tr, y_tr, X_val, y_val, out_tr, out_val, out_metrics,
     n_epochs, n_hid, init_flag, lr) = args2data(args)
    check_network_fits(X_tr.shape[-1], n_hid, len(LETTERS), max(len(X_tr), len(X_val)), init_flag)
    nn = NN(input_size=X_tr.shape[-1], hidden_size=n_hid, output_size=len(LETTERS),
            weight_init_fn=INIT_FUNCTIONS[init_flag], learning_rate=lr)
    # Only a learning rate so large that the weights overflow float64 can make
    # non-finite values; that is reported below instead of warned about here.
    progress = Progress(n_epochs, sys.stderr)
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            train_losses, validation_losses = nn.train(X_tr, y_tr, X_val, y_val, n_epochs,
                                                         on_epoch=progress.show)
        finally:  # also when interrupted: the error message then starts a line of its own
            progress.finish()
        train_labels, train_error = nn.test(X_tr, y_tr)
        validation_labels, validation_error = nn.test(X_val, y_val)
    weights_finite = all(np.isfinite(layer.w).all() for layer in nn.linears)
    if not (weights_finite and np.isfinite(train_losses + validation_losses).all()):
        raise DivergedError(f"training diverged: weights overflowed with learning_rate {lr}; "
                         "use a smaller one")
    write_outputs({
        out_tr: format_labels(train_labels),
        out_val: format_labels(validation_labels),
        out_metrics: format_metrics(train_losses, validation_losses, train_error, validation_error),
    })


def args2data(args) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                             str, str, str, int, Union[int, List[int]], int, float]:
    """
    :return: (X_tr, y_tr, X_val, y_val, out_tr, out_val, out_metrics,
              n_epochs, n_hid, init_flag, lr): X without the label column
              and without a bias column
    """
    X_tr, y_tr = load_csv(args.train_input, "train_input")
    X_val, y_val = load_csv(args.validation_input, "validation_input")
    if X_val.shape[1] != X_tr.shape[1]:
        raise FileError(f"validation_input {args.validation_input!r}: rows have "
                         f"{X_val.shape[1] + 1} columns; train_input rows have {X_tr.shape[1] + 1}")
    return (X_tr, y_tr, X_val, y_val, args.train_out, args.validation_out, args.metrics_out,
            args.num_epoch, args.hidden_units, args.init_flag, args.learning_rate)


def read_text(path: str, what: str) -> str:
    """The text of a UTF-8 file (a byte-order mark dropped); FileError naming `what` and the path otherwise.
    A missing file whose name is in the course's data/ folder (the handout writes `small_train.csv`
    where this project keeps `data/small_train.csv`) gets a hint naming that file."""
    where = f"{what} {path!r}"
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise FileError(f"{where}: no such file{_data_folder_hint(path)}") from None
    except IsADirectoryError:
        raise FileError(f"{where}: is a directory, not a file") from None
    except PermissionError:
        raise FileError(f"{where}: permission denied") from None
    except OSError as e:
        raise FileError(f"{where}: cannot read: {e.strerror or e}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileError(f"{where}: not a text file (not UTF-8)") from None


def _data_folder_hint(path: str) -> str:
    """'; did you mean 'data/small_train.csv'?' when the missing path names a file of the data/ folder
    (beside the current folder or beside this file), else ''."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", os.path.basename(path))
    for candidate in (os.path.join("data", path), here):
        if os.path.isfile(candidate):
            try:
                relative = os.path.relpath(candidate)
            except ValueError:  # on another drive (Windows)
                relative = os.pardir
            shown = os.path.abspath(candidate) if relative.startswith(os.pardir) else relative
            return f"; did you mean {shown!r}?"
    return ""


def load_csv(path: str, what: str) -> Tuple[np.ndarray, np.ndarray]:
    """Read `label,p1,...,pM` rows; raise FileError naming file, line and column.

    Blank lines are skipped (as np.loadtxt does). Errors name the line of the
    file and the column, both counted from 1 as editors count them; the rows
    returned are numbered from 0 (row i is line i + 1 of a file without blank
    lines), as incorrect_finder.py and visualizer.py number them. CRLF line
    endings and a UTF-8 byte-order mark are accepted.

    :return: (X, y): pixels of shape (N, M) and int labels of shape (N,)
    """
    where = f"{what} {path!r}"
    text = read_text(path, what)
    rows = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not rows:
        raise FileError(f"{where}: the file is empty")
    table = _parse_table([line for _, line in rows])
    if table is None:
        _raise_first_bad_cell(rows, where)

    labels, pixels = table[:, 0], table[:, 1:]
    bad = np.flatnonzero((labels != np.round(labels)) | (labels < 0) | (labels > len(LETTERS) - 1))
    if bad.size:
        number, line = rows[bad[0]]
        raise FileError(f"{where}: line {number}, column 1: label {line.split(',')[0].strip()!r} "
                         f"is not an integer in 0..{len(LETTERS) - 1}{_index_column_hint(table)}")
    bad_rows, bad_cols = np.nonzero((pixels < 0.0) | (pixels > 1.0))
    if bad_rows.size:
        (number, line), column = rows[bad_rows[0]], bad_cols[0] + 1
        raise FileError(f"{where}: line {number}, column {column + 1}: pixel "
                         f"{line.split(',')[column].strip()!r} is outside [0, 1]")
    return pixels, labels.astype(int)


def _index_column_hint(table: np.ndarray) -> str:
    """A hint when column 1 counts the rows 0, 1, 2, ... and column 2 holds labels: an index column,
    as pandas writes one unless told index=False."""
    if table.shape[1] < 3 or not np.array_equal(table[:, 0], np.arange(len(table))):
        return ""
    labels = table[:, 1]
    if not ((labels == np.round(labels)) & (labels >= 0) & (labels <= len(LETTERS) - 1)).all():
        return ""
    return ("; column 1 counts the rows 0, 1, 2, ...: an index column, as pandas writes unless "
            "to_csv(..., index=False)? remove it")


def _parse_table(lines: List[str]) -> Union[np.ndarray, None]:
    """The lines as a rectangular table of finite numbers with 2+ columns, else None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            table = np.loadtxt(lines, delimiter=",", ndmin=2, comments=None, dtype=np.float64)
    except (ValueError, Warning):
        return None
    if table.shape[1] < 2 or not np.isfinite(table).all():
        return None
    return table


def format_metrics(train_losses: List[float], validation_losses: List[float],
                   train_error: float, validation_error: float) -> str:
    """The metrics file: both cross-entropies per epoch, then both error rates."""
    lines = []
    for epoch, (loss_train, loss_validation) in enumerate(zip(train_losses, validation_losses), start=1):
        lines.append(f"epoch={epoch} crossentropy(train): {float(loss_train)}")
        lines.append(f"epoch={epoch} crossentropy(validation): {float(loss_validation)}")
    lines.append(f"error(train): {float(train_error)}")
    lines.append(f"error(validation): {float(validation_error)}")
    return "\n".join(lines) + "\n"


def format_labels(labels: np.ndarray) -> str:
    """The labels file: one integer per line."""
    return "".join(f"{label}\n" for label in labels.tolist())


def write_outputs(contents: Dict[str, Union[str, bytes]]) -> None:
    """Write every file atomically: all to temporary files first, then rename each.

    Text is written as UTF-8 with Unix line endings, bytes as they are. A failure
    before the renames leaves every existing output untouched.
    """
    umask = os.umask(0)
    os.umask(umask)
    pending = []
    try:
        for path, text in contents.items():
            directory, name = os.path.split(os.path.abspath(path))
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
            pending.append(tmp)
            if isinstance(text, bytes):
                with os.fdopen(fd, "wb") as binary:
                    binary.write(text)
            else:
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                    f.write(text)
            os.chmod(tmp, 0o666 & ~umask)
        for tmp, path in zip(pending, contents):
            os.replace(tmp, path)
    except OSError as e:
        raise FileError(f"cannot write {e.filename or 'output'!r}: {e.strerror or e}") from None
    finally:
        for tmp in pending:
            if os.path.exists(tmp):
                os.remove(tmp)


# ----------------------------------------------------------------------------
# Arguments, output paths and progress
# ----------------------------------------------------------------------------

class UsageParser(argparse.ArgumentParser):
    """An argument parser whose errors are UsageErrors: one line and exit status 2 (run_command)."""

    def error(self, message: str):
        raise UsageError(f"{message} (see --help)")


NUMBERING = ("Errors name a file's line and column, both counted from 1 as editors count them; "
             "incorrect_finder.py and visualizer.py number data rows from 0, as the course's CSV does "
             "(row i is line i + 1 of a file without blank lines).")


def build_parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog=PROG, description="Train a neural network on OCR letters by SGD "
                         "and write predicted labels and metrics.", epilog=NUMBERING)
    parser.add_argument("train_input", type=str, help="training CSV: rows of a label 0-9, then pixels in [0, 1]")
    parser.add_argument("validation_input", type=str, help="validation CSV, as wide as the training file")
    parser.add_argument("train_out", type=str, help="written: the predicted label of each training row, one per line")
    parser.add_argument("validation_out", type=str, help="written: the predicted label of each validation row")
    parser.add_argument("metrics_out", type=str,
                        help="written: the cross-entropies after each epoch, then the error rates")
    parser.add_argument("num_epoch", type=_non_negative_int,
                        help="passes over the training data, an integer >= 0 "
                             "(0 trains nothing and writes only the error rates)")
    parser.add_argument("hidden_units", type=_hidden_units,
                        help="hidden units, an integer >= 1; 50,50 gives two hidden layers")
    parser.add_argument("init_flag", type=_init_flag,
                        help="1 RANDOM: weights uniform in [-0.1, 0.1]; 2 ZERO: all zero. Biases start at 0 "
                             "either way")
    parser.add_argument("learning_rate", type=_learning_rate, help="SGD step size, a finite number > 0")
    return parser


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def _hidden_units(text: str) -> Union[int, List[int]]:
    """A positive integer, or comma-separated positive integers (one per layer)."""
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer (or a list such as 50,50), got {text!r}")
    return sizes[0] if len(sizes) == 1 else sizes


def _init_flag(text: str) -> int:
    if text.strip() not in ("1", "2"):
        raise argparse.ArgumentTypeError(f"expected 1 (RANDOM) or 2 (ZERO), got {text!r}")
    return int(text)


def _learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite positive number, got {text!r}")
    return value


def check_network_fits(input_size: int, hidden_size: Union[int, Sequence[int]], output_size: int,
                       n_rows: int, init_flag: int) -> None:
    """Refuse, before anything is allocated, hidden sizes whose matrices would not fit in memory, or whose
    RANDOM init would seed numpy with rows x cols at or past 2**32 (np.random.seed's range).

    :param n_rows: rows of the larger input file: a whole dataset goes through each layer at once
    """
    sizes = [input_size, *hidden_layers(hidden_size), output_size]
    shapes = [(n_out, n_in + 1) for n_in, n_out in zip(sizes, sizes[1:])]
    needed = run_bytes(shapes, n_rows)
    available = available_memory()
    hidden = ",".join(map(str, hidden_layers(hidden_size)))
    if available is not None and needed > available:
        raise UsageError(f"argument hidden_units: {hidden} hidden units would need about "
                         f"{_bytes_text(needed)} of memory; {_bytes_text(available)} is available")
    if init_flag == 1 and max(rows * cols for rows, cols in shapes) >= 2**32:
        raise UsageError(f"argument hidden_units: {hidden} hidden units: RANDOM init seeds "
                         "numpy with rows x cols of each weight matrix, which must stay below 2**32 (the run "
                         f"would need about {_bytes_text(needed)} of memory)")


def run_bytes(shapes: Sequence[Tuple[int, int]], n_rows: int) -> int:
    """Peak bytes of a run's float64 arrays beyond its inputs: each weight matrix (rows, cols) three times over
    (w and dw, with the initial draw while a layer is built and lr * dw while it steps), and two (n_rows, rows)
    arrays of a whole dataset through the widest layer (the losses and predictions)."""
    weights = sum(rows * cols for rows, cols in shapes)
    widest = max(rows for rows, _ in shapes)
    return 8 * (3 * weights + 2 * n_rows * widest)


def available_memory() -> Optional[int]:
    """Bytes of memory this process may still use: Linux's MemAvailable, else free physical pages
    (os.sysconf, where the platform has it), else None (unknown: no check)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows), or not these names (macOS)
        pass
    return None


def _bytes_text(count: float) -> str:
    """512 bytes, 12.0 kB, 340.0 MB, 1.2 GB (powers of 1024)."""
    units = ["bytes", "kB", "MB", "GB", "TB"]
    power = 0
    while count >= 1024 and power < len(units) - 1:
        count /= 1024
        power += 1
    return f"{count:.0f} bytes" if power == 0 else f"{count:.1f} {units[power]}"


def check_output_paths(args) -> None:
    """Refuse outputs that would clobber an input or each other, or cannot be made."""
    inputs = {"train_input": args.train_input, "validation_input": args.validation_input}
    outputs = {"train_out": args.train_out, "validation_out": args.validation_out,
               "metrics_out": args.metrics_out}
    seen: Dict[str, str] = {}
    for name, path in outputs.items():
        for in_name, in_path in inputs.items():
            if same_file(path, in_path):
                raise UsageError(f"{name} {path!r} is the same file as {in_name}; "
                                 "refusing to overwrite an input")
        for other_name, other_path in seen.items():
            if same_file(path, other_path):
                raise UsageError(f"{name} {path!r} is the same file as {other_name}")
        seen[name] = path
        if os.path.isdir(path):
            raise FileError(f"{name} {path!r}: is a directory")
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise FileError(f"{name} {path!r}: directory {directory!r} does not exist")
        if not os.access(directory, os.W_OK):
            raise FileError(f"{name} {path!r}: directory {directory!r} is not writable")


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file: the same path once resolved, or the same inode (hard links)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # either does not exist yet
        return False


class Progress:
    """One status line on a terminal, rewritten in place after each epoch.

    Silent when the stream is not a terminal (the autograder, a pipe, a file),
    so that nothing but errors ever reaches stderr there.
    """

    MIN_INTERVAL = 0.1  # seconds between two updates at least, so that fast epochs do not flood the terminal

    def __init__(self, total_epochs: int, stream):
        self.total = total_epochs
        self.stream = stream
        self.start = self.last = time.monotonic()
        self.width = 0  # of the line on screen, to blank out a longer previous one
        try:
            self.enabled = stream.isatty()
        except (AttributeError, ValueError):  # no isatty, or closed
            self.enabled = False

    def show(self, epoch: int, loss_train: float, loss_validation: float) -> None:
        now = time.monotonic()
        if not self.enabled or (self.width and epoch < self.total and now - self.last < self.MIN_INTERVAL):
            return
        self.last = now
        elapsed = now - self.start
        left = elapsed / epoch * (self.total - epoch)
        line = (f"epoch {epoch}/{self.total}  crossentropy train {loss_train:.4f}  "
                f"validation {loss_validation:.4f}  elapsed {_duration(elapsed)}  left {_duration(left)}")
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def finish(self) -> None:
        if self.width:
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0


def _duration(seconds: float) -> str:
    """4.2s, 1m05s, 2h03m."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


# ----------------------------------------------------------------------------
# Why a CSV row cannot be read: the diagnosis behind load_csv's errors
# ----------------------------------------------------------------------------

SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars", " ": "spaces"}


def _raise_first_bad_cell(rows: List[Tuple[int, str]], where: str) -> NoReturn:
    """Find the first row or cell that _parse_table rejected and say which, with its likely cause."""
    first_number, first_line = rows[0]
    separator = _other_separator(first_line)
    if separator:
        raise FileError(f"{where}: not comma-separated: line {first_number} seems to use "
                         f"{SEPARATORS[separator]} between values; expected label,p1,p2,...")
    width = len(first_line.split(","))
    every_row_ends_in_comma = all(line.rstrip().endswith(",") for _, line in rows)
    for number, line in rows:
        cells = line.split(",")
        if len(cells) != width:
            raise FileError(f"{where}: line {number} has {len(cells)} columns; "
                             f"line {first_number} has {width}")
        for column, cell in enumerate(cells, start=1):
            at = f"{where}: line {number}, column {column}"
            if not cell.strip():
                hint = ""
                if column == len(cells):
                    hint = (": every line ends in a comma; remove the trailing commas" if every_row_ends_in_comma
                            else ": the line ends in a comma")
                elif number == first_number and column == 1 and \
                        [c.strip() for c in cells[1:]] == [str(i) for i in range(len(cells) - 1)]:
                    hint = (": a header row of column numbers over an index column, as pandas writes by default? "
                            "save with to_csv(..., header=False, index=False)")
                raise FileError(f"{at}: empty cell{hint}")
            try:
                value = float(cell)
            except ValueError:
                hint = " (a header row? the file must have none)" if number == first_number and \
                    _looks_like_header(cells) else ""
                raise FileError(f"{at}: {_excerpt(cell)} is not a number{hint}") from None
            if not math.isfinite(value):
                raise FileError(f"{at}: {_excerpt(cell)} is not a finite number")
    if width < 2:
        raise FileError(f"{where}: rows have 1 column; expected a label and pixels")
    raise FileError(f"{where}: cannot be read as a table of numbers")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _other_separator(line: str) -> Optional[str]:
    """The separator a row seems to use instead of commas, if any: one that splits it
    into numbers (decimal commas allowed), or one that appears more often than commas."""
    for separator in SEPARATORS:
        parts = line.strip().split(None if separator == " " else separator)
        if len(parts) < 2:
            continue
        if all(_is_number(part.replace(",", ".")) for part in parts) or line.count(separator) > line.count(","):
            if separator != " " or "," not in line:  # spaces after commas are harmless
                return separator
    return None


def _looks_like_header(cells: List[str]) -> bool:
    """Words where numbers belong: most cells are not numbers and contain letters."""
    words = sum(1 for cell in cells if not _is_number(cell) and any(c.isalpha() for c in cell))
    return words * 2 > len(cells)


def _excerpt(cell: str, limit: int = 20) -> str:
    """The cell quoted, cut to a short excerpt."""
    cell = cell.strip()
    return repr(cell if len(cell) <= limit else cell[:limit] + "...")


if __name__ == "__main__":
    sys.exit(main())
