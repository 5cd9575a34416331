"""Grade any neuralnet.py against this one, and name the classic mistake when it differs.

    python3 grade.py PATH/TO/neuralnet.py [--quick] [--json PATH] [--timeout SECONDS] [--tol TOL]

Three sections, each check named "section:what":
  api:    the handout's API (random_init, zero_init, Linear, Sigmoid, SoftMaxCrossEntropy,
          NN) on the handout's vectors and against a plain implementation: the same
          tests tests.py runs on this project (TestHandoutAPI);
  trace:  this project's NN and the submission's stepped side by side through the first
          SGD steps (RANDOM init, small set): the first quantity that differs, and where;
  cli:    the submission's command line on a grid of configurations, compared with this
          project's outputs (labels identical, every metric within --tol). A failing
          configuration is compared with a catalog of classic mistakes (CATALOG below),
          and each one that explains it is named: "mistake: <id>".

The submission runs in subprocesses, in a temporary folder holding copies of the inputs,
with --timeout seconds per run; after one run times out, no further run is started.
Exit status: 0 when every check passes, 1 when any fails, 2 for bad arguments.
--json writes Gradescope's results.json (score, and tests with name, score, max_score, output).
"""
import argparse
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple
from unittest import mock

# isort: off
import neuralnet  # before numpy: it keeps BLAS to one thread
import numpy as np
# isort: on

import compare
from neuralnet import NN, Linear, Sigmoid, random_init, zero_init

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("NEURALNET_DATA") or os.path.join(HERE, "data")
DEFAULT_TOLERANCE = 1e-6
DEFAULT_TIMEOUT = 60.0
OUTPUT_NAMES = ("train_out.labels", "validation_out.labels", "metrics_out.txt")
STDERR_LINES = 6  # of a failing run's stderr, quoted in the check


class Config(NamedTuple):
    """One command line: dataset, num_epoch, hidden_units, init_flag, learning_rate."""
    dataset: str
    epochs: int
    hidden: int
    init_flag: int
    lr: float
    why: str = ""

    def describe(self) -> str:
        return f"{self.dataset} {self.epochs} {self.hidden} {self.init_flag} {self.lr}"


# Only configurations on which correct implementations agree: no long ZERO-init runs with
# hidden sizes that BLAS splits unevenly (their symmetry breaks by rounding; README, Q3).
CONFIGS = [
    Config("small", 2, 4, 2, 0.1, "the handout's example, ZERO init"),
    Config("small", 0, 4, 1, 0.1, "0 epochs"),
    Config("small", 1, 10, 1, 0.1, "1 epoch"),
    Config("small", 3, 1, 1, 0.1, "a single hidden unit"),
    Config("small", 5, 20, 1, 0.05, "RANDOM init"),
    Config("small", 3, 50, 1, 0.01, "50 hidden units"),
    Config("small", 4, 7, 1, 0.3, "a large learning rate"),
    Config("medium", 2, 30, 1, 0.02, "the medium set, RANDOM init"),
    Config("medium", 1, 8, 2, 0.1, "the medium set, ZERO init"),
]
QUICK_DATASETS = {"small"}
WEIGHTS = {"api": 1, "trace": 5, "small": 4, "medium": 5}  # points per check
TRACE_STEPS = 5


class Check(NamedTuple):
    name: str
    passed: bool
    output: str
    max_score: int


# ----------------------------------------------------------------------------
# The catalog of classic mistakes: each a few lines that vary this project's
# modules or training loop. While a mistake's network is built and trained,
# its `patches` replace names in neuralnet's namespace (NN looks up Linear,
# Sigmoid and shuffle there), and its `nn_class` stands in for NN.
# ----------------------------------------------------------------------------

REAL_SHUFFLE = neuralnet.shuffle


def shuffle_the_previous_order() -> Callable:
    """shuffle-cumulative: each epoch's permutation applied to the previous epoch's order."""
    state: Dict[str, Tuple[np.ndarray, np.ndarray]] = {}

    def shuffle(X, y, epoch):
        state["order"] = REAL_SHUFFLE(*state.get("order", (X, y)), epoch)
        return state["order"]
    return shuffle


class RandomBiasLinear(Linear):
    """bias-init-random: the whole matrix from the init function, bias column not zeroed."""

    def __init__(self, input_size, output_size, weight_init_fn, learning_rate):
        super().__init__(input_size, output_size, weight_init_fn, learning_rate)
        self.w = np.array(weight_init_fn(self.w.shape), dtype=np.float64)


class InitWithoutBiasColumnLinear(Linear):
    """init-without-bias-column: weights drawn for out x in (seeded so), zero bias column put in front."""

    def __init__(self, input_size, output_size, weight_init_fn, learning_rate):
        super().__init__(input_size, output_size, weight_init_fn, learning_rate)
        self.w = np.hstack([np.zeros((output_size, 1)), weight_init_fn((output_size, input_size))])


class FrozenBiasLinear(Linear):
    """bias-frozen: the bias column's gradient is never applied."""

    def step(self):
        self.dw[:, 0] = 0.0
        super().step()


class DropsLastColumnLinear(Linear):
    """backprop-drops-last-column: dx through w without its last column instead of its bias column."""

    def backward(self, dz):
        super().backward(dz)
        return self.w[:, :-1].T @ dz


class SigmoidGradOfA(Sigmoid):
    """sigmoid-grad-of-a: the derivative a(1 - a) from the pre-activation, not z(1 - z)."""

    def forward(self, x):
        if x.ndim == 1:
            self.cache["a"] = x.copy()
        return super().forward(x)

    def backward(self, dz):
        a = self.cache["a"]
        return dz * a * (1.0 - a)


class UpdateBeforeBackprop(NN):
    """update-before-backprop: beta stepped before the gradient flows back through it."""

    def backward(self, y, y_hat):
        g_b = self.softmax.backward(y, y_hat)
        self.linear2.backward(g_b)
        self.linear2.step()
        self.linear1.backward(self.sigmoid.backward(self.linear2.w[:, 1:].T @ g_b))

    def step(self):
        self.linear1.step()


class LossDuringEpoch(NN):
    """loss-during-epoch: train loss = mean of the SGD steps' losses (each before its update)."""

    def forward(self, x, y):
        y_hat, loss = super().forward(x, y)
        self.__dict__.setdefault("seen", []).append(loss)
        return y_hat, loss

    def compute_loss(self, X, y):  # called for train, then validation, after each epoch
        seen = self.__dict__.pop("seen", None)
        return float(np.mean(seen)) if seen else super().compute_loss(X, y)


class LossSummed(NN):
    """loss-summed: cross-entropy summed over the examples, not averaged."""

    def compute_loss(self, X, y):
        return super().compute_loss(X, y) * len(y)


class LossBeforeEpoch(NN):
    """loss-before-epoch: epoch e reports the losses from before that epoch's updates."""

    def train(self, X_tr, y_tr, X_test, y_test, n_epochs, on_epoch=None):
        before = self.compute_loss(X_tr, y_tr), self.compute_loss(X_test, y_test)
        after_tr, after_test = super().train(X_tr, y_tr, X_test, y_test, n_epochs)
        return [before[0], *after_tr][:n_epochs], [before[1], *after_test][:n_epochs]


class Mistake(NamedTuple):
    id: str
    explanation: str
    section: str  # of the handout it breaks
    patches: Callable[[], Dict[str, object]] = dict  # fresh per run: some keep state
    nn_class: Optional[type] = None

    def touches(self) -> set:
        """What it changes (names and methods): two mistakes combine only where these are disjoint."""
        changed = set()
        for name, value in self.patches().items():
            methods = {m for m in vars(value) if not m.startswith("__") or m == "__init__"} \
                if isinstance(value, type) else {""}
            changed |= {f"{name}.{m}" for m in methods}
        if self.nn_class is not None:
            changed |= {f"NN.{m}" for m in vars(self.nn_class) if not m.startswith("__")}
        return changed


CATALOG = [
    Mistake("shuffle-cumulative", "each epoch permutes the previous epoch's order instead of the original order",
            "sections 8 and 10.2, Algorithm 3: reshuffle the original data each epoch",
            lambda: {"shuffle": shuffle_the_previous_order()}),
    Mistake("shuffle-seed-offset", "the shuffle is seeded with epoch + 1 (epochs counted from 1), not epoch",
            "section 10.2, Algorithm 3: SHUFFLE(D_train, e) for e = 0, ..., E-1",
            lambda: {"shuffle": lambda X, y, epoch: REAL_SHUFFLE(X, y, epoch + 1)}),
    Mistake("no-shuffle", "the examples are visited in file order, never shuffled",
            "section 10.2, Algorithm 3: SHUFFLE at the start of each epoch",
            lambda: {"shuffle": lambda X, y, epoch: (X, y)}),
    Mistake("bias-init-random", "RANDOM init leaves its random values in the bias column",
            "section 7.1: the bias parameters are initialized to zero", lambda: {"Linear": RandomBiasLinear}),
    Mistake("init-without-bias-column", "RANDOM weights drawn for the shape without the bias column "
            "(seeded with its rows x cols), then a zero bias column put in front",
            "section 7.1 and the starter code's random_init: one draw for the whole matrix",
            lambda: {"Linear": InitWithoutBiasColumnLinear}),
    Mistake("update-before-backprop", "beta is updated before the gradient flows back through it to alpha",
            "section 10.2, Algorithm 3: both gradients first, then both updates", nn_class=UpdateBeforeBackprop),
    Mistake("sigmoid-grad-of-a", "the sigmoid's derivative is computed from the pre-activation, a(1 - a), "
            "instead of z(1 - z)", "section 10.1.2, Algorithm 2: SIGMOID.BACKWARD uses z",
            lambda: {"Sigmoid": SigmoidGradOfA}),
    Mistake("loss-during-epoch", "the training cross-entropy is the mean of the losses met during the epoch's "
            "SGD steps, not recomputed after the epoch",
            "sections 8.3 and 10.2, Algorithm 3 line 12: evaluate after the epoch",
            nn_class=LossDuringEpoch),
    Mistake("loss-summed", "the cross-entropies are summed over the examples instead of averaged",
            "section 8.3: the mean cross-entropy", nn_class=LossSummed),
    Mistake("bias-frozen", "the bias columns are never updated",
            "section 10.2, Algorithm 3: all of alpha and beta is updated",
            lambda: {"Linear": FrozenBiasLinear}),
    Mistake("loss-before-epoch", "epoch e reports the cross-entropies measured before that epoch's updates",
            "section 10.2, Algorithm 3 lines 12-13: evaluate after the epoch", nn_class=LossBeforeEpoch),
    Mistake("backprop-drops-last-column", "backpropagation through beta drops its last column instead of the "
            "bias column", "section 10.1.2 and written question 2(f): beta* is beta without its bias column",
            lambda: {"Linear": DropsLastColumnLinear}),
]
MISTAKES = {m.id: m for m in CATALOG}


@contextlib.contextmanager
def mistaken(mistakes: Sequence[Mistake]):
    """Apply these mistakes to neuralnet while the block builds and trains; yields the NN class."""
    patches: Dict[str, object] = {}
    for mistake in mistakes:
        for name, value in mistake.patches().items():
            if name in patches:  # two variants of one module: combine them (their methods differ)
                value = type(f"{patches[name].__name__}+{value.__name__}", (value, patches[name]), {})
            patches[name] = value
    bases = tuple(m.nn_class for m in mistakes if m.nn_class is not None)
    nn_class = type("+".join(m.id for m in mistakes), bases, {}) if len(bases) > 1 else (bases or (NN,))[0]
    with mock.patch.multiple(neuralnet, **patches) if patches else contextlib.nullcontext():
        yield nn_class


Outputs = Tuple[List[str], List[str], List[Tuple[str, float]]]  # train labels, validation labels, metrics


def load_datasets(names) -> Dict[str, Tuple[np.ndarray, ...]]:
    data = {}
    for name in names:
        X_tr, y_tr = neuralnet.load_csv(os.path.join(DATA, f"{name}_train.csv"), "train_input")
        X_va, y_va = neuralnet.load_csv(os.path.join(DATA, f"{name}_validation.csv"), "validation_input")
        data[name] = (X_tr, y_tr, X_va, y_va)
    return data


def expected_outputs(config: Config, data, mistakes: Sequence[Mistake] = ()) -> Outputs:
    """What this project's neuralnet.py writes for config, with the given mistakes made."""
    X_tr, y_tr, X_va, y_va = data[config.dataset]
    with mistaken(mistakes) as nn_class, np.errstate(all="ignore"):
        nn = nn_class(input_size=X_tr.shape[1], hidden_size=config.hidden, output_size=len(neuralnet.LETTERS),
                      weight_init_fn=random_init if config.init_flag == 1 else zero_init, learning_rate=config.lr)
        losses_tr, losses_va = nn.train(X_tr, y_tr, X_va, y_va, config.epochs)
        labels_tr, error_tr = nn.test(X_tr, y_tr)
        labels_va, error_va = nn.test(X_va, y_va)
    text = neuralnet.format_metrics(losses_tr, losses_va, error_tr, error_va)
    return ([str(v) for v in labels_tr.tolist()], [str(v) for v in labels_va.tolist()],
            compare.parse_metrics(text))


def differences(got: Outputs, expected: Outputs, tol: float) -> List[Tuple[str, compare.Difference]]:
    return [("train labels", compare.compare_labels(got[0], expected[0])),
            ("validation labels", compare.compare_labels(got[1], expected[1])),
            ("metrics", compare.compare_metrics(got[2], expected[2], tol))]


def matches(got: Outputs, expected: Outputs, tol: float) -> bool:
    return all(d.same for _, d in differences(got, expected, tol))


ALL_PAIRS = [(a, b) for a, b in itertools.combinations(CATALOG, 2) if not a.touches() & b.touches()]


def diagnose(config: Config, got: Outputs, data, tol: float, reference: Optional[Outputs] = None,
             pairs: Optional[Sequence[Tuple[Mistake, Mistake]]] = None) -> List[Tuple[str, ...]]:
    """The catalog mistakes (single ones, else pairs: all compatible ones, or those given)
    whose outputs equal the submission's, leaving out any that change nothing here."""
    reference = reference if reference is not None else expected_outputs(config, data)
    if matches(got, reference, tol):
        return []

    def explains(mistakes: Sequence[Mistake]) -> bool:
        out = expected_outputs(config, data, mistakes)
        return not matches(out, reference, tol) and matches(got, out, tol)

    found = [(m.id,) for m in CATALOG if explains([m])]
    return found or [(a.id, b.id) for a, b in (ALL_PAIRS if pairs is None else pairs) if explains([a, b])]


# ----------------------------------------------------------------------------
# Running the submission
# ----------------------------------------------------------------------------

class Sandbox:
    """A temporary folder with the submission (as neuralnet.py) and copies of the inputs.
    After a run times out, it starts no other: a hang costs one timeout."""

    def __init__(self, submission: str, datasets: Sequence[str], timeout: float):
        self.folder = tempfile.mkdtemp(prefix="grade-")
        self.timeout = timeout
        self.timed_out: Optional[str] = None
        shutil.copyfile(submission, os.path.join(self.folder, "neuralnet.py"))
        for name in datasets:
            for split in ("train", "validation"):
                shutil.copyfile(os.path.join(DATA, f"{name}_{split}.csv"),
                                os.path.join(self.folder, f"{name}_{split}.csv"))

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def run(self, argv: Sequence[str], what: str) -> Tuple[Optional[int], str]:
        """(exit status or None if it was not run or timed out, stderr text or why)."""
        if self.timed_out:
            return None, f"not run: {self.timed_out} timed out after {self.timeout:g} s"
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        try:
            result = subprocess.run([sys.executable, *argv], cwd=self.folder, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=self.timeout,
                                    env=env)
        except subprocess.TimeoutExpired as e:
            self.timed_out = what
            return None, f"timed out after {self.timeout:g} s{quote_stderr(self.relative(e.stderr))}"
        return result.returncode, self.relative(result.stderr)

    def relative(self, stderr: Optional[bytes]) -> str:
        """The run's stderr, with paths in the sandbox written as the submission sees them."""
        return (stderr or b"").decode(errors="replace").replace(self.folder + os.sep, "")


def quote_stderr(stderr: str) -> str:
    """The last lines of a run's stderr, quoted under a check."""
    lines = stderr.rstrip().splitlines()[-STDERR_LINES:]
    return "".join(f"\n  | {line}" for line in lines)


def missing_name(error: BaseException) -> Optional[str]:
    """'missing: Linear.dw' for an AttributeError that says a handout name is absent."""
    text = str(error)
    match = re.search(r"module '[^']*' has no attribute '(\w+)'", text)
    if match:
        return match.group(1)
    match = re.search(r"(?:type object )?'(\w+)'(?: object)? has no attribute '(\w+)'", text)
    return f"{match.group(1)}.{match.group(2)}" if match else None


# ----------------------------------------------------------------------------
# The worker: api and trace checks, in a subprocess that imports the submission
# ----------------------------------------------------------------------------

def load_submission(path: str):
    import importlib.util
    spec = importlib.util.spec_from_file_location("submission", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["submission"] = module
    spec.loader.exec_module(module)
    return module


def explain_failure(error: BaseException, tb) -> str:
    missing = missing_name(error) if isinstance(error, AttributeError) else None
    if missing:
        return f"missing: {missing}"
    if isinstance(error, AssertionError):
        return "\n".join(line for line in str(error).strip().splitlines() if line.strip())
    frames = [f for f in traceback.extract_tb(tb) if f.filename.endswith("neuralnet.py")]
    where = f" (neuralnet.py line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def api_tests() -> List[Tuple[str, str]]:
    """(method, check name) of each test in tests.TestHandoutAPI, in the order written."""
    import tests
    return [(name, f"{getattr(tests.TestHandoutAPI, name).__doc__.strip().splitlines()[0]}")
            for name in vars(tests.TestHandoutAPI) if name.startswith("test")]


TRACE_NAME = f"trace:first {TRACE_STEPS} SGD steps (small set, 4 hidden, RANDOM init, lr 0.1)"


def api_checks(module) -> List[Tuple[str, bool, str]]:
    """tests.TestHandoutAPI run on the submission: one check per test."""
    import unittest

    import tests

    class SubmissionAPI(tests.TestHandoutAPI):
        impl = module

    class Outcome(unittest.TestResult):  # keeps the exception itself, not only its text
        def addFailure(self, test, err):
            self.error = err

        addError = addFailure

    results = []
    for method, name in api_tests():
        outcome = Outcome()
        outcome.error = None
        with np.errstate(all="ignore"), contextlib.redirect_stdout(sys.stderr):
            SubmissionAPI(method).run(outcome)
        results.append((name, True, "") if outcome.error is None
                       else (name, False, explain_failure(outcome.error[1], outcome.error[2])))
    return results


def first_difference(quantity: str, got, expected, weights: bool) -> Optional[str]:
    """Where two arrays first differ, or None when they agree."""
    got_array, expected_array = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got_array.shape != expected_array.shape:
        return f"{quantity}: shape {got_array.shape}, expected {expected_array.shape}"
    gap = np.abs(got_array - expected_array)
    bad = ~np.isclose(got_array, expected_array, rtol=1e-9, atol=1e-12, equal_nan=True)
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    if len(index) == 2:
        where = f"row {index[0]}, column {index[1]}" + (" (the bias column)" if weights and index[1] == 0 else "")
    else:
        where = f"entry {index[0]}" if index else "value"
    return (f"{quantity} differs first at {where}: expected {float(expected_array[index])!r}, "
            f"got {float(got_array[index])!r} "
            f"(largest difference {float(np.nanmax(gap)):.3g})")


def trace_check(module) -> Tuple[str, bool, str]:
    """This project's NN and the submission's, side by side through the first SGD steps."""
    name = TRACE_NAME
    X, y = neuralnet.load_csv(os.path.join(DATA, "small_train.csv"), "train_input")
    X_order, rows = REAL_SHUFFLE(X, np.arange(len(y)), 0)  # epoch 1's order, and its rows in the file
    y_order = y[rows]
    ours = NN(input_size=128, hidden_size=4, output_size=10, weight_init_fn=random_init, learning_rate=0.1)
    try:
        with np.errstate(all="ignore"), contextlib.redirect_stdout(sys.stderr):
            theirs = module.NN(input_size=128, hidden_size=4, output_size=10, weight_init_fn=module.random_init,
                               learning_rate=0.1)
            layers = ("linear2", "linear1")
            for layer in layers:
                problem = first_difference(f"initial {layer}.w", getattr(theirs, layer).w,
                                           getattr(ours, layer).w, True)
                if problem:
                    return name, False, f"before the first step: {problem}"
            for step in range(1, TRACE_STEPS + 1):
                x, label = X_order[step - 1], int(y_order[step - 1])
                y_hat, loss = ours.forward(x, label)
                their_y_hat, their_loss = theirs.forward(x, label)
                found = [first_difference("forward output y_hat", their_y_hat, y_hat, False),
                         first_difference("loss", their_loss, loss, False)]
                if not any(found):
                    ours.backward(label, y_hat)
                    theirs.backward(label, their_y_hat)
                    found = [first_difference(f"{layer}.dw after backward", getattr(theirs, layer).dw,
                                              getattr(ours, layer).dw, True) for layer in layers]
                if not any(found):
                    ours.step()
                    theirs.step()
                    found = [first_difference(f"{layer}.w after step", getattr(theirs, layer).w,
                                              getattr(ours, layer).w, True) for layer in layers]
                problem = next((f for f in found if f), None)
                if problem:
                    return name, False, f"step {step} (training row {rows[step - 1]}, label {label}): {problem}"
    except BaseException as e:  # noqa: B036  (the submission's code may raise anything)
        return name, False, explain_failure(e, e.__traceback__)
    return name, True, ""


def worker(submission: str, result_path: str) -> int:
    """Run the api and trace checks on a submission; write them as JSON."""
    try:
        with contextlib.redirect_stdout(sys.stderr):
            module = load_submission(submission)
    except BaseException as e:  # noqa: B036  (SyntaxError, ImportError, SystemExit, ...)
        lines = "".join(traceback.format_exception_only(type(e), e)).rstrip().splitlines()[-STDERR_LINES:]
        why = "cannot import the submission:" + "".join(f"\n  | {line}" for line in lines).replace(
            os.getcwd() + os.sep, "")
        checks = [(name, False, why) for _, name in api_tests()] + [(TRACE_NAME, False, why)]
    else:
        checks = api_checks(module) + [trace_check(module)]
    with open(result_path, "w") as f:
        json.dump(checks, f)
    return 0


# ----------------------------------------------------------------------------
# Grading
# ----------------------------------------------------------------------------

def api_and_trace(sandbox: Sandbox) -> List[Check]:
    result_path = os.path.join(sandbox.folder, "api_trace.json")
    status, stderr = sandbox.run([os.path.abspath(__file__), "--worker", "neuralnet.py", result_path],
                                 "importing the submission")
    if status == 0 and os.path.exists(result_path):
        try:
            with open(result_path) as f:
                return [Check(name, bool(passed), str(output), WEIGHTS[name.split(":", 1)[0]])
                        for name, passed, output in json.load(f)]
        except (ValueError, KeyError, TypeError, AttributeError):  # the submission wrote over it
            status, stderr = 1, f"unreadable results from the checks{quote_stderr(stderr)}"
    why = stderr if status is None else f"the checks stopped (exit status {status}){quote_stderr(stderr)}"
    return ([Check(name, False, why, WEIGHTS["api"]) for _, name in api_tests()]
            + [Check(TRACE_NAME, False, why, WEIGHTS["trace"])])


class Diagnoser:
    """diagnose() across the configurations of one submission, whose mistakes are the same in
    every run: once a pair search has been made, later ones try only the pairs it found."""

    def __init__(self):
        self.pairs: Optional[List[Tuple[Mistake, Mistake]]] = None

    def __call__(self, config: Config, got: Outputs, data, tol: float, reference: Outputs) -> List[Tuple[str, ...]]:
        found = diagnose(config, got, data, tol, reference, self.pairs)
        if not found or len(found[0]) == 2:  # a pair search was made
            self.pairs = [(MISTAKES[a], MISTAKES[b]) for a, b in found]
        return found


def cli_check(sandbox: Sandbox, config: Config, data, tol: float, diagnoser: Callable = diagnose) -> Check:
    name = f"cli:{config.describe()} ({config.why})"
    weight = WEIGHTS[config.dataset]
    for output in OUTPUT_NAMES:
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(sandbox.folder, output))
    status, stderr = sandbox.run(["neuralnet.py", f"{config.dataset}_train.csv", f"{config.dataset}_validation.csv",
                                  *OUTPUT_NAMES, str(config.epochs), str(config.hidden), str(config.init_flag),
                                  str(config.lr)], f"the run {config.describe()}")
    if status is None:
        return Check(name, False, stderr, weight)
    paths = [os.path.join(sandbox.folder, output) for output in OUTPUT_NAMES]
    if status != 0:
        return Check(name, False, f"exit status {status}{quote_stderr(stderr)}", weight)
    missing = [output for output, path in zip(OUTPUT_NAMES, paths) if not os.path.exists(path)]
    if missing:
        return Check(name, False, f"wrote no {', '.join(missing)}{quote_stderr(stderr)}", weight)
    try:
        got = (compare.read_labels(paths[0]), compare.read_labels(paths[1]), compare.read_metrics(paths[2]))
    except compare.FormatError as e:
        return Check(name, False, f"unreadable output: {str(e).replace(sandbox.folder + os.sep, '')}"
                                  f"{quote_stderr(stderr)}", weight)
    reference = expected_outputs(config, data)
    found = differences(got, reference, tol)
    if all(d.same for _, d in found):
        worst = found[2][1].worst
        return Check(name, True, f"largest metric difference {worst:.3g}" if worst else "", weight)
    lines = [f"{what}: {d.describe()}" for what, d in found if not d.same]
    worst = found[2][1].worst
    if worst:
        lines.append(f"largest metric difference {worst:.3g} (tolerance {tol:g})")
    diagnosis = diagnoser(config, got, data, tol, reference)
    for ids in diagnosis:
        for mistake_id in ids:
            mistake = MISTAKES[mistake_id]
            lines.append(f"mistake: {mistake.id}: {mistake.explanation} [handout {mistake.section}]")
        if len(ids) > 1:
            lines.append(f"  (these {len(ids)} together explain the outputs)")
    if not diagnosis:
        lines.append("no catalogued mistake, alone or in pairs, gives these outputs")
    return Check(name, False, "\n".join(lines), weight)


def grade(submission: str, quick: bool, timeout: float, tol: float,
          progress: Callable[[str], None] = lambda text: None) -> List[Check]:
    configs = [c for c in CONFIGS if not quick or c.dataset in QUICK_DATASETS]
    datasets = sorted({c.dataset for c in configs})
    data = load_datasets(datasets)
    sandbox = Sandbox(submission, datasets, timeout)
    try:
        progress("api and trace")
        checks = api_and_trace(sandbox)
        diagnoser = Diagnoser()
        for config in configs:
            progress(f"cli {config.describe()}")
            checks.append(cli_check(sandbox, config, data, tol, diagnoser))
    finally:
        sandbox.close()
    return checks


def report(submission: str, checks: Sequence[Check]) -> str:
    score = sum(c.max_score for c in checks if c.passed)
    total = sum(c.max_score for c in checks)
    lines = [f"grading {submission} against this project's neuralnet.py", ""]
    for section in ("api", "trace", "cli"):
        members = [c for c in checks if c.name.startswith(section + ":")]
        passed = sum(c.passed for c in members)
        lines.append(f"{section} ({passed} of {len(members)} passed)")
        shown = None  # the last failure's output: one that repeats it is not written out again
        for c in members:
            lines.append(f"  {'PASS' if c.passed else 'FAIL'}  {c.name}  "
                         f"[{c.max_score if c.passed else 0}/{c.max_score}]")
            if not c.passed and c.output:
                lines += ["        (the same as above)"] if c.output == shown else \
                    [f"        {line}" for line in c.output.splitlines()]
                shown = c.output
        lines.append("")
    lines.append(f"score: {score}/{total} ({len([c for c in checks if c.passed])} of {len(checks)} checks passed)")
    return "\n".join(lines)


def gradescope_json(checks: Sequence[Check]) -> dict:
    return {"score": sum(c.max_score for c in checks if c.passed),
            "tests": [{"name": c.name, "score": c.max_score if c.passed else 0, "max_score": c.max_score,
                       "output": c.output} for c in checks]}


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"] and len(argv) == 3:
        return worker(argv[1], argv[2])
    parser = argparse.ArgumentParser(prog="grade.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submission", help="the neuralnet.py to grade")
    parser.add_argument("--quick", action="store_true", help="leave out the medium-set runs")
    parser.add_argument("--json", metavar="PATH", help="also write Gradescope's results.json here")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds per run of the submission (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--tol", type=float, default=DEFAULT_TOLERANCE,
                        help=f"largest absolute metric difference allowed (default {DEFAULT_TOLERANCE:g})")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.submission):
        parser.error(f"{args.submission!r} is not a file")
    if not (args.timeout > 0 and args.tol >= 0):
        parser.error("--timeout must be positive and --tol 0 or more")
    if args.json and not os.path.isdir(os.path.dirname(os.path.abspath(args.json))):
        parser.error(f"--json {args.json!r}: its directory does not exist")
    try:
        show = sys.stderr.isatty()  # progress on a terminal only
        checks = grade(args.submission, args.quick, args.timeout, args.tol,
                       lambda text: show and print(f"grade.py: {text}", file=sys.stderr, flush=True))
    except (OSError, neuralnet.InputError) as e:
        print(f"grade.py: error: {e}", file=sys.stderr)
        return 2
    print(report(args.submission, checks))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(gradescope_json(checks), f, indent=1)
    return 0 if all(c.passed for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
