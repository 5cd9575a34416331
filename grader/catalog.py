"""The catalog of classic mistakes, and the search that names them.

Each mistake is a few lines that vary this project's modules or training loop: a
subclass of Linear, Sigmoid or NN, or a replacement shuffle. While a mistake's
network is built and trained, its `patches` replace names in neuralnet's namespace
(NN looks up Linear, Sigmoid and shuffle there), and its `nn_class` stands in for NN.
A failing cli configuration is compared with each mistake's outputs, then each
compatible pair's; a match is named only from distinguishing evidence: trained outputs
(an untrained network's labels name nothing) that exactly one explanation reproduces.
Mistakes found otherwise (by comparing runs, the outputs' format, the source, the API's
attributes) are defined here too, with their ids and explanations; the format ones are
detected by grader/outputs.py.
"""
import ast
import contextlib
import itertools
import re
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple
from unittest import mock

# isort: off
import neuralnet  # before numpy: it keeps BLAS to one thread
import numpy as np
# isort: on

import compare
from grader import probe
from grader.runner import RunResult
from grader.runs import OUTPUT_NAMES, Config, Datasets, Outputs, expected_outputs, matches
from neuralnet import NN, Linear, Sigmoid

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


class BiasLastColumnLinear(Linear):
    """bias-last-column: the bias folded in as the last column: [x, 1], w[:, -1] zeroed."""

    def __init__(self, input_size, output_size, weight_init_fn, learning_rate):
        super().__init__(input_size, output_size, weight_init_fn, learning_rate)
        self.w = np.array(weight_init_fn(self.w.shape), dtype=np.float64)
        self.w[:, -1] = 0.0

    def forward(self, x):
        if x.ndim == 2:
            return x @ self.w[:, :-1].T + self.w[:, -1]
        self.cache["x1"] = np.append(x, 1.0)
        return self.w @ self.cache["x1"]

    def backward(self, dz):
        self.dw = np.outer(dz, self.cache["x1"])
        return self.w[:, :-1].T @ dz


class AdagradLinear(Linear):
    """adagrad-update: an older handout's rule, per weight s += g * g, w -= lr / sqrt(s + 1e-5) * g."""

    def step(self):
        squares = self.__dict__.setdefault("squares", np.zeros_like(self.w))
        squares += self.dw * self.dw
        self.w -= self.lr / np.sqrt(squares + 1e-5) * self.dw


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


class Finding(NamedTuple):
    line: int
    text: str


# ----------------------------------------------------------------------------
# Source signs: what the syntax tree shows of a catalogued mistake, whatever the file's names. A sign is a second
# piece of evidence beside the outputs its variant reproduces from the ZERO init (grader/cli.py's EVIDENCE).
# ----------------------------------------------------------------------------

PERMUTING = {"permutation", "permuted", "shuffle", "choice", "sample"}  # calls that reorder or draw examples


def _calls_named(node: ast.AST, names: set) -> List[ast.Call]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Call) and _name(n.func) in names]


def _name(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def never_shuffles(tree: ast.Module) -> Optional[Finding]:
    """no-shuffle's sign: nothing in the file reorders the examples. Functions that permute (the starter's shuffle,
    whatever its name) count only where something calls them; a call of np.random.permutation, shuffle, choice or
    sample anywhere else reorders."""
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    permuting = {f.name: f for f in functions if _calls_named(f, PERMUTING)}
    inside = {id(c) for f in permuting.values() for c in _calls_named(f, PERMUTING)}
    used = [c for c in _calls_named(tree, PERMUTING) if id(c) not in inside and _name(c.func) not in permuting] + \
        [c for c in _calls_named(tree, set(permuting)) if not any(c in ast.walk(f) for f in permuting.values())]
    if used:
        return None
    if permuting:
        name, definition = next(iter(permuting.items()))
        return Finding(definition.lineno, f"{name}() (line {definition.lineno}) permutes, but nothing calls it")
    return Finding(0, "nothing in the file permutes the examples (no permutation, shuffle or choice)")


def _is_square(node: ast.AST, squares: set) -> bool:
    """x * x, x ** 2, np.square(x), np.power(x, 2), or a name given one of these."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return ast.dump(node.left) == ast.dump(node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return isinstance(node.right, ast.Constant) and node.right.value == 2
    if isinstance(node, ast.Call) and _name(node.func) == "square":
        return True
    if isinstance(node, ast.Call) and _name(node.func) == "power" and len(node.args) == 2:
        return isinstance(node.args[1], ast.Constant) and node.args[1].value == 2
    return (isinstance(node, ast.Name) and node.id in squares) or \
        (isinstance(node, ast.Attribute) and node.attr in squares)


def accumulates_squares(tree: ast.Module) -> Optional[Finding]:
    """adagrad-update's sign: a sum of squared gradients is kept (s += g * g, s = s + g ** 2, s += np.square(g))
    and the update divides by a square root (np.sqrt)."""
    squares = {_name(t) for n in ast.walk(tree) if isinstance(n, ast.Assign) and _is_square(n.value, set())
               for t in n.targets if _name(t)}
    kept = [n for n in ast.walk(tree)
            if (isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add) and _is_square(n.value, squares)) or
            (isinstance(n, (ast.Assign, ast.Return)) and isinstance(n.value, ast.BinOp) and
             isinstance(n.value.op, ast.Add) and any(_is_square(side, squares)
                                                     for side in (n.value.left, n.value.right)))]
    roots = _calls_named(tree, {"sqrt"})
    if not kept or not roots:
        return None
    line = min(n.lineno for n in kept)
    return Finding(line, f"a sum of squared gradients is kept (line {line}) and the update divides by its square "
                         f"root (line {min(r.lineno for r in roots)})")


def _puts_one(node: ast.AST, last: bool) -> bool:
    """np.append(z, 1) / np.hstack((z, [1])) / np.insert(z, len(z), 1) with last, np.append(1, x) / x[:, 0] = 1 /
    np.insert(x, 0, 1) / np.hstack((ones, x)) without."""
    def one(n):
        return (isinstance(n, ast.Constant) and n.value == 1) or \
            (isinstance(n, (ast.List, ast.Tuple)) and len(n.elts) == 1 and one(n.elts[0])) or \
            (isinstance(n, ast.Call) and _name(n.func) in ("ones", "ones_like"))
    if isinstance(node, ast.Call) and _name(node.func) == "append" and len(node.args) >= 2:
        return one(node.args[1]) != one(node.args[0]) and one(node.args[1 if last else 0])
    if isinstance(node, ast.Call) and _name(node.func) == "insert" and len(node.args) >= 3 and one(node.args[2]):
        at_zero = isinstance(node.args[1], ast.Constant) and node.args[1].value == 0
        return at_zero != last
    if isinstance(node, ast.Call) and _name(node.func) in ("hstack", "concatenate", "vstack", "row_stack") and \
            node.args and isinstance(node.args[0], (ast.List, ast.Tuple)) and len(node.args[0].elts) >= 2:
        parts = node.args[0].elts
        return one(parts[-1 if last else 0]) and not one(parts[0 if last else -1])
    if not last and isinstance(node, ast.Assign) and one(node.value):
        return any(isinstance(t, ast.Subscript) and
                   ast.unparse(t.slice).replace(" ", "").strip("()") in (":,0", "0", "0,:") for t in node.targets)
    return False


def bias_on_both_sides(tree: ast.Module) -> Optional[Finding]:
    """bias-side-mismatch's sign: the file puts the bias entry 1 first in one place ([1, x], x[:, 0] = 1) and last
    in another ([z, 1])."""
    last = [n for n in ast.walk(tree) if _puts_one(n, last=True)]
    first = [n for n in ast.walk(tree) if _puts_one(n, last=False)]
    if not last or not first:
        return None
    return Finding(last[0].lineno, f"the bias entry 1 is put first (line {first[0].lineno}) and last (line "
                                   f"{last[0].lineno}): the weights cannot have their bias column on both sides")


def seeds_epoch_plus_one(tree: ast.Module) -> Optional[Finding]:
    """shuffle-seed-offset's sign: a seed of (something) + 1, as np.random.seed(epoch + 1)."""
    for call in _calls_named(tree, {"seed", "RandomState", "default_rng"}):
        if call.args and isinstance(call.args[0], ast.BinOp) and isinstance(call.args[0].op, ast.Add) and \
                isinstance(call.args[0].right, ast.Constant) and call.args[0].right.value == 1:
            return Finding(call.lineno, f"the seed is {ast.unparse(call.args[0])} (line {call.lineno})")
    return None



class Mistake(NamedTuple):
    id: str
    explanation: str
    section: str  # of the handout it breaks
    patches: Callable[[], Dict[str, object]] = dict  # fresh per run: some keep state
    nn_class: Optional[type] = None
    # where an earlier semester's handout asked for this, what that handout did: the report then says
    # "this follows an older handout's <older_handout>", so a student reusing old code learns what changed
    older_handout: str = ""
    # what in the source shows this mistake, read from the syntax tree (where it can be read so): evidence of its
    # own, beside the outputs its variant reproduces (see grader/cli.py's EVIDENCE)
    sign: Optional[Callable[[ast.Module], Optional[Finding]]] = None
    # another mistake (explained elsewhere) whose outputs from the ZERO init are exactly this one's: named instead
    # where the source shows its sign (from the ZERO init every hidden unit is alike)
    zero_init_twin: str = ""

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
            lambda: {"shuffle": lambda X, y, epoch: REAL_SHUFFLE(X, y, epoch + 1)}, sign=seeds_epoch_plus_one),
    Mistake("no-shuffle", "the examples are visited in file order, never shuffled",
            "section 10.2, Algorithm 3: SHUFFLE at the start of each epoch",
            lambda: {"shuffle": lambda X, y, epoch: (X, y)},
            older_handout="training order (the examples in file order, no shuffle); this one shuffles each epoch "
                          "with the epoch as the seed", sign=never_shuffles),
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
    Mistake("bias-last-column", "the bias is folded in as the last column ([x, 1], w[:, -1] zeroed) instead of "
            "the first; ZERO init hides it, RANDOM init does not",
            "section 7.1 and the starter code: the bias is column 0 of alpha and beta",
            lambda: {"Linear": BiasLastColumnLinear}),
    Mistake("adagrad-update", "the weights are updated by an older handout's Adagrad rule (s += g * g, "
            "w -= lr / sqrt(s + 1e-5) * g) instead of plain SGD",
            "section 10.2, Algorithm 3: SGD, w = w - learning_rate * g", lambda: {"Linear": AdagradLinear},
            older_handout="update rule (Adagrad); this one updates by plain SGD", sign=accumulates_squares),
    Mistake("backprop-drops-last-column", "backpropagation through beta drops its last column instead of the "
            "bias column", "section 10.1.2 and written question 2(f): beta* is beta without its bias column",
            lambda: {"Linear": DropsLastColumnLinear}, zero_init_twin="bias-side-mismatch"),
]
# ----------------------------------------------------------------------------
# Mistakes found otherwise than by reproducing the outputs: each one's definition, then how
# it is recognised (by comparing runs, the source or the API's attributes; the outputs' format
# is read by grader/outputs.py). grader/cli.py, grader/api.py and grader/env.py call these.
# ----------------------------------------------------------------------------

HARD_CODED_SETTINGS = Mistake("hard-coded-settings", "the outputs do not change with an argument: it is ignored",
                              "section 8.1: the command line's hidden_units, init_flag and learning_rate set the run")
# The runs that find an ignored argument: one configuration, then each argument changed alone.
ARGUMENT_PROBES = (("hidden_units", Config("small", 2, 5, 1, 0.1)), ("hidden_units", Config("small", 2, 9, 1, 0.1)),
                   ("init_flag", Config("small", 2, 5, 2, 0.1)), ("learning_rate", Config("small", 2, 5, 1, 0.3)))


def ignored_arguments(probed: Sequence[Tuple[str, Config, RunResult]]) -> List[str]:
    """The arguments whose change left every output byte the same, given the ARGUMENT_PROBES' runs."""
    ignored = []
    base = probed[0][2]
    for name, config, run in probed[1:]:
        same = base.status == run.status == 0 and all(
            base.outputs.get(o) is not None and base.outputs.get(o) == run.outputs.get(o) for o in OUTPUT_NAMES)
        if same:
            ignored.append(f"{name} (runs {ARGUMENT_PROBES[0][1].describe()} and {config.describe()} wrote the "
                           "same bytes)")
    return ignored


EXPERIMENT_MAIN = Mistake("experiment-main", "the command-line path seems to be replaced by experiment code",
                          "section 8.1: python neuralnet.py with the nine arguments trains once and writes the "
                          "three outputs")
READS_OR_EXITS = {"open", "loadtxt", "genfromtxt", "savetxt", "exit", "quit", "read_csv"}


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test)


def _reads_argv(node: ast.AST) -> bool:
    """sys.argv, or argv imported from sys."""
    return any((isinstance(n, ast.Attribute) and n.attr == "argv") or (isinstance(n, ast.Name) and n.id == "argv")
               for n in ast.walk(node))


def _called_names(node: ast.AST) -> List[str]:
    names = []
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            names.append(f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else "")
    return names


def experiment_main(tree: ast.Module) -> List[str]:
    """What the main block (and the functions it calls) does instead of the command line: plots,
    trains on fixed settings, loops over settings, never reads sys.argv. Empty if nothing of the sort."""
    guards = [n for n in tree.body if _is_main_guard(n)]
    if not guards:
        return []
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    body: List[ast.AST] = list(guards)
    for name in set(_called_names(guards[0])) & set(functions):
        body.append(functions[name])
    signs = []
    if any(isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in ("plt", "pyplot")
           for part in body for n in ast.walk(part)) or \
            any(isinstance(n, (ast.Import, ast.ImportFrom)) and "matplotlib" in ast.unparse(n)
                for part in body for n in ast.walk(part)):
        signs.append("plots")
    if any(isinstance(n, ast.For) and isinstance(n.iter, (ast.List, ast.Tuple)) and
           all(isinstance(e, ast.Constant) and isinstance(e.value, (int, float)) for e in n.iter.elts)
           for part in body for n in ast.walk(part)):
        signs.append("loops over fixed settings")
    for part in body:
        for n in ast.walk(part):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "NN" and \
                    any(isinstance(k.value, ast.Constant) and isinstance(k.value.value, (int, float))
                        for k in n.keywords if k.arg in ("hidden_size", "learning_rate", "weight_init_fn")):
                signs.append("builds NN with fixed settings")
                break
    if not any(_reads_argv(part) or "parse_args" in _called_names(part) for part in body):
        signs.append("never reads sys.argv")
    return signs


# The handout's output format (sections 8.2 and 8.3): each deviation that grader/outputs.py reads past,
# so that the values behind it are still compared.
LABELS_NOT_INTEGERS = Mistake("labels-not-integers", "the labels are written as floats, not integers",
                              "section 8.2: one integer label per line")
CRLF_LINE_ENDINGS = Mistake("crlf-line-endings", "the output files end their lines in \\r\\n (Python's text mode on "
                            "Windows), not \\n: open them with newline=\"\\n\"",
                            "sections 8.2 and 8.3: Unix line endings")
EPOCHS_FROM_ZERO = Mistake("epochs-from-zero", "the metrics count epochs from 0 (epoch=0), not from 1",
                           "section 8.3: after the first pass through the data, epoch=1",
                           older_handout="epoch numbering (from epoch=0); this one counts from epoch=1")
TEST_KEYS = Mistake("metrics-test-keys", "the metrics say (test) where this handout says (validation)",
                    "section 8.3: crossentropy(validation) and error(validation)",
                    older_handout="metrics keys (crossentropy(test), error(test)); this one writes (validation)")
SPACING = Mistake("output-spacing", "an output line is spaced or punctuated otherwise than the handout's "
                          "('6', 'epoch=1 crossentropy(train): 2.14')",
                          "sections 8.2 and 8.3: no space around =, one after the epoch number, none before the colon, "
                          "one after it")
MISSPELT_KEY = Mistake("metrics-key-misspelt", "a metrics key is misspelt",
                       "section 8.3: the keys crossentropy(train), crossentropy(validation), error(train) and "
                       "error(validation)")
EXTRA_LINES = Mistake("output-extra-lines", "an output file has lines that are neither labels nor metrics (debug "
                      "text, a header, blank lines)", "sections 8.2 and 8.3: nothing else in the output files")
NEAR_MISS_FORMATS = [EPOCHS_FROM_ZERO, TEST_KEYS, SPACING, MISSPELT_KEY, EXTRA_LINES]

# Runs that differ from one another: two runs of one command line that write different outputs. No
# variant's outputs are compared with such a run's: which draw it made is chance.
RANDOM_INIT_UNSEEDED = Mistake("random-init-unseeded", "the RANDOM init is not seeded as the handout says: two runs "
                               "of the same command line write different outputs",
                               "section 7.1 and the starter code's random_init: np.random.seed(M * D) before the "
                               "draw", older_handout="initialization (RANDOM weights drawn unseeded); this one "
                               "seeds each draw with rows x cols")
SHUFFLE_UNSEEDED = Mistake("shuffle-unseeded", "the shuffle is not seeded as the handout says: two runs of the same "
                           "command line train in different orders",
                           "section 7: the provided shuffle, with the epoch number as the seed")
NONDETERMINISM = [RANDOM_INIT_UNSEEDED, SHUFFLE_UNSEEDED]


METRICS_LINES_MISSING = Mistake("metrics-lines-missing", "the metrics file has missing or extra lines",
                                "section 8.3: two crossentropy lines per epoch, then error(train) and "
                                "error(validation)")


def metrics_structure(got: List[Tuple[str, float]], expected: List[Tuple[str, float]]) -> str:
    """Which metrics lines are missing or extra ('' when both have the same lines in the same order)."""
    got_keys, expected_keys = [k for k, _ in got], [k for k, _ in expected]
    if got_keys == expected_keys:
        return ""
    missing = [k for k in expected_keys if k not in got_keys]
    extra = [k for k in got_keys if k not in expected_keys]
    parts = ([f"missing {', '.join(missing)}"] if missing else []) + ([f"extra {', '.join(extra)}"] if extra else [])
    return "; ".join(parts) or "the lines are in another order"


METRICS_ROUNDED = Mistake("metrics-rounded", "the metrics are written rounded (2.1416), not in full as the "
                          "reference writes them (2.1415670910950144)",
                          "section 8.3 and the starter code, which formats the metrics: epoch=1 "
                          "crossentropy(train): 2.1415670910950144")
ROUNDED_DECIMALS = 10  # a value written with more decimals than this is taken as written in full


def decimals_written(value: float) -> Optional[int]:
    """How many decimals a value read from a file was written with, trailing zeros aside (repr is the shortest text
    that reads back as the same float); None beyond ROUNDED_DECIMALS (written in full) or in exponent form."""
    written = re.fullmatch(r"-?[0-9]+\.([0-9]+)", repr(value))
    places = len(written.group(1)) if written else None
    return places if places is not None and places <= ROUNDED_DECIMALS else None


def half_unit(places: int) -> float:
    """How far a value written rounded to `places` decimals may be from the value in full: half a unit of the last
    decimal, and a hair more for the float error of the bound itself."""
    return 0.5 * 10.0 ** -places * (1 + 1e-9)


def written_decimals(got: List[Tuple[str, float]]) -> Optional[int]:
    """The most decimals a cross-entropy is written with, where every one is written with at most ROUNDED_DECIMALS
    (rounded before writing: a float written in full has about 16); None where one is written in full, or none is
    written."""
    places = [decimals_written(value) for key, value in got if "crossentropy" in key]
    known = [p for p in places if p is not None]
    return max(known) if known and len(known) == len(places) else None


def rounding_tolerance(got: List[Tuple[str, float]], tol: float) -> float:
    """The tolerance to compare metrics written rounded with: half a unit of the last decimal written, or tol."""
    decimals = written_decimals(got)
    return tol if decimals is None else max(tol, half_unit(decimals))


def metrics_rounded(got: List[Tuple[str, float]], expected: List[Tuple[str, float]], tol: float) -> str:
    """Where every metric that differs from this project's (by more than tol) is this project's value rounded to
    the decimals it is written with, at most ROUNDED_DECIMALS: which, and an example; '' otherwise (the keys
    must be the same, line by line: metrics_structure first)."""
    differing = [(key, mine, ours) for (key, mine), (_, ours) in zip(got, expected)
                 if compare.value_difference(mine, ours) > tol]
    decimals = []
    for _, mine, ours in differing:
        places = decimals_written(mine)
        if places is None or abs(mine - ours) > half_unit(places) + 1e-15 * abs(ours):
            return ""
        decimals.append(places)
    if not differing:
        return ""
    key, mine, ours = differing[0]
    return (f"{len(differing)} of {len(got)} values are this project's rounded to at most {max(decimals)} decimals "
            f"({key}: {mine!r}, where this project writes {ours!r}): write each value in full, as str(float) does")


WEIGHTS_ATTRIBUTE_NAME = Mistake("weights-attribute-name", "Linear keeps its weights under another name than w",
                                 "the starter code and the course's tests read Linear.w")


def weights_under_another_name(values: Dict[str, np.ndarray]) -> str:
    """The name(s) of a 4 x 7 matrix that Linear(6, 4, ...) keeps instead of w, if the probe found one."""
    return next((str(v) for k, v in values.items() if k.endswith("/" + probe.TEXT + "other weights") and str(v)), "")


IMPORT_SIDE_EFFECTS = Mistake("import-side-effects", "importing the file runs the command line or training",
                              "the starter code: command-line code under if __name__ == \"__main__\":")


def import_side_effects(tree: ast.Module) -> Optional[Finding]:
    """The first top-level statement outside `if __name__ == "__main__":` that reads sys.argv, reads or
    writes files, exits, or calls the file's own functions or classes (training at import)."""
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                or _is_main_guard(node):
            continue
        calls = set(_called_names(node))
        what = ("reads sys.argv" if _reads_argv(node) else
                f"calls {sorted(calls & defined)[0]}()" if calls & defined else
                f"calls {sorted(calls & READS_OR_EXITS)[0]}()" if calls & READS_OR_EXITS else
                "loops" if isinstance(node, (ast.For, ast.While)) else "")
        if what:
            return Finding(node.lineno, f"importing the file runs code that {what} (line {node.lineno}): put the "
                                        "command-line code under if __name__ == \"__main__\":")
    return None


DIAGNOSED = [HARD_CODED_SETTINGS, EXPERIMENT_MAIN, LABELS_NOT_INTEGERS, CRLF_LINE_ENDINGS, METRICS_LINES_MISSING,
             METRICS_ROUNDED, WEIGHTS_ATTRIBUTE_NAME, IMPORT_SIDE_EFFECTS]
MISTAKES = {m.id: m for m in CATALOG + DIAGNOSED + NEAR_MISS_FORMATS + NONDETERMINISM}


class MistakeLine(str):
    """A report's line naming a mistake, which carries the mistake's id as data."""
    mistake_id: str


def mistake_line(mistake_id: str, detail: str = "") -> MistakeLine:
    """The report's line for a mistake: its id, what it is, the handout section; then the detail."""
    m = MISTAKES[mistake_id]
    older = f"\n  this follows an older handout's {m.older_handout}" if m.older_handout else ""
    line = MistakeLine(f"mistake: {m.id}: {m.explanation} [handout {m.section}]{older}"
                       + (f"\n  {detail}" if detail else ""))
    line.mistake_id = m.id
    return line


def mistake_ids(lines: Sequence[str]) -> Tuple[str, ...]:
    """The ids of the mistakes these lines name, in order, each once."""
    return tuple(dict.fromkeys(line.mistake_id for line in lines if isinstance(line, MistakeLine)))


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


def outputs_with(config: Config, data: Datasets, mistakes: Sequence[Mistake] = ()) -> Outputs:
    """What this project's neuralnet.py writes for config, with the given mistakes made."""
    with mistaken(mistakes) as nn_class:
        return expected_outputs(config, data, nn_class)


ALL_PAIRS = [(a, b) for a, b in itertools.combinations(CATALOG, 2) if not a.touches() & b.touches()]


def diagnose(config: Config, got: Outputs, data: Datasets, tol: float, reference: Optional[Outputs] = None,
             pairs: Optional[Sequence[Tuple[Mistake, Mistake]]] = None) -> List[Tuple[str, ...]]:
    """The catalog mistakes (single ones, else pairs: all compatible ones, or those given)
    whose outputs equal the submission's, leaving out any that change nothing here."""
    reference = reference if reference is not None else expected_outputs(config, data)
    if matches(got, reference, tol):
        return []

    def explains(mistakes: Sequence[Mistake]) -> bool:
        out = outputs_with(config, data, mistakes)
        return not matches(out, reference, tol) and matches(got, out, tol)

    found = [(m.id,) for m in CATALOG if explains([m])]
    return found or [(a.id, b.id) for a, b in (ALL_PAIRS if pairs is None else pairs) if explains([a, b])]


class Diagnosis(NamedTuple):
    """What a configuration's outputs name: one explanation (a mistake, or a pair together), or nothing and why."""
    named: Tuple[str, ...]
    why_not: str = ""


UNTRAINED = ("no mistake is named from 0 epochs: an untrained network's labels (often one class for every row) "
             "tell no mistake apart; the configurations that train do")
NOTHING_MATCHES = "no catalogued mistake, alone or in pairs, gives these outputs"


def alike(found: Sequence[Tuple[str, ...]]) -> str:
    """Why nothing is named when several explanations reproduce the outputs equally."""
    return (f"the outputs are those of {' and of '.join(' + '.join(ids) for ids in found)} alike: this "
            "configuration does not tell them apart, so none is named")


class Diagnoser:
    """diagnose() across the configurations of one submission, whose mistakes are the same in every run,
    named only from distinguishing evidence: trained outputs (not 0 epochs), reproduced by exactly one
    explanation. Once a pair search has been made, later ones try only the pairs it found."""

    def __init__(self):
        self.pairs: Optional[List[Tuple[Mistake, Mistake]]] = None

    def __call__(self, config: Config, got: Outputs, data: Datasets, tol: float, reference: Outputs) -> Diagnosis:
        if config.epochs == 0:
            return Diagnosis((), UNTRAINED)
        found = diagnose(config, got, data, tol, reference, self.pairs)
        if not found or len(found[0]) == 2:  # a pair search was made
            self.pairs = [(MISTAKES[a], MISTAKES[b]) for a, b in found]
        if len(found) > 1:
            return Diagnosis((), alike(found))
        return Diagnosis(found[0], "") if found else Diagnosis((), NOTHING_MATCHES)


def markdown_table(mistakes: Sequence[Mistake]) -> str:
    """The mistakes as docs/grading.md shows them: id, the mistake, the handout's words (tests compare the two)."""
    rows = ["| id | the mistake | handout |", "| --- | --- | --- |"]
    rows += [f"| `{m.id}` | {m.explanation} | {m.section} |" for m in mistakes]
    return "\n".join(rows)


# ----------------------------------------------------------------------------
# Mistakes explained from the evidence of a failing run (its traceback and the source: grader/crashes.py)
# and from the values of the handout's functions (grader/api.py): their definitions; each detection
# is beside the code that gathers its evidence. docs/grading.md's third table is catalog.markdown_table(EXPLAINED).
# ----------------------------------------------------------------------------

HARD_CODED_PATH = Mistake("hard-coded-path", "a file path is written into the source instead of taken from the "
                          "command line", "section 8.1: the five paths are the command line's first five arguments")
CLASS_COUNT_FIXED = Mistake("class-count-fixed", "the number of classes is fixed below 10 (at 4, say), where this "
                            "data set has 10 letters (a, e, g, i, l, n, o, r, t, u)",
                            "section 6: the subset holds the letters a, e, g, i, l, n, o, r, t and u",
                            older_handout="data sets of fewer letters (4, or 3 in the tiny set); this one has 10 "
                                          "letters")
MODULE_NOT_ON_AUTOGRADER = Mistake("module-not-on-autograder", "the file imports a module that the autograder's "
                                   "Python lacks, so the file fails there at its import",
                                   "instructions: only the Python Standard Library modules and numpy")
# Older handouts' APIs, as their files show them: the names of their functions, and which handouts they follow (read
# off public files of those semesters). A file with this handout's classes follows this one, whatever else it has.
OLDER_APIS = [
    ({"nnforward", "nnbackward", "linearforward", "linearbackward", "sigmoidforward", "sigmoidbackward",
      "softmaxforward", "softmaxbackward", "crossentropyforward", "crossentropybackward"},
     "the 2018-2020 handouts' modules: functions such as NNForward, NNBackward, LinearForward and SigmoidForward "
     "(their pseudocode's names), with train and test data"),
    ({"forward", "backward"},
     "Spring 2022's starter code: module-level forward(X, nn) and backward(X, y, y_hat, nn), train and test "
     "functions and NN(lr, n_epoch, ...), trained with Adagrad"),
]


def older_api(tree: ast.Module) -> Optional[Finding]:
    """Which older handout's API the file follows, where it has none of this handout's classes: two or more of an
    older API's function names at the top level (spelt with any case or underscores; forward and backward only
    with a parameter named nn, as Spring 2022's took the network)."""
    classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    if {"SoftMaxCrossEntropy", "Linear"} & classes:
        return None
    functions = {n.name.replace("_", "").lower(): n for n in tree.body if isinstance(n, ast.FunctionDef)}
    for names, handout in OLDER_APIS:
        found = [f for name, f in functions.items() if name in names and
                 (name not in ("forward", "backward") or any(a.arg == "nn" for a in f.args.args))]
        if len(found) >= 2:
            first = min(found, key=lambda f: f.lineno)
            return Finding(first.lineno, f"it follows {handout}: {', '.join(f.name for f in found[:6])}")
    return None


OLDER_HANDOUT_API = Mistake("older-handout-api", "the file follows an older handout's code, not this handout's "
                            "starter code (the classes SoftMaxCrossEntropy, Sigmoid, Linear and NN with train and "
                            "test), so the course's unit tests find none of it",
                            "section 8 and the starter code: the API the course's tests call")
MISSPELT_ARGUMENT = Mistake("misspelt-argument", "a command-line argument is defined or read under another name "
                            "(renamed or misspelt), so the command line fails",
                            "section 8.1: nine positional arguments, in the handout's order")
NO_OUTPUTS_WRITTEN = Mistake("no-outputs-written", "nothing in the file writes the output files the command line "
                             "names", "sections 8.2 and 8.3: write train_out, validation_out and metrics_out")
PYTHON2_CODE = Mistake("python2-code", "Python 2 code (a print statement, xrange, ...): the autograder runs "
                       "Python 3", "instructions: Python 3.9.12 and numpy 1.23.0, as on Gradescope")
MIXED_INDENTATION = Mistake("mixed-indentation", "tabs and spaces are mixed in the indentation: Python 3 refuses "
                            "the file (TabError)", "instructions: Python 3.9.12, as on Gradescope")
FAILS_AT_0_EPOCHS = Mistake("fails-at-0-epochs", "the command line fails with num_epoch 0 while it runs with more "
                            "(something set only inside the epoch loop)",
                            "section 8.1 and Algorithm 3: with 0 epochs no SGD step runs, and the outputs are still "
                            "written")
SHUFFLE_OTHER_GENERATOR = Mistake("shuffle-other-generator", "shuffle draws its permutation another way than the "
                                  "starter code's np.random.seed(epoch); np.random.permutation(N)",
                                  "section 10.2: shuffle with the provided shuffle function")
RANDOM_INIT_DRAWS_TWICE = Mistake("random-init-draws-twice", "random_init draws more than once after seeding and "
                                  "returns a later draw", "section 7.1 and the starter code's random_init: seed "
                                  "rows * cols, then one draw")
SIGMOID_BACKWARD_NOT_ELEMENTWISE = Mistake("sigmoid-backward-not-elementwise", "Sigmoid.backward multiplies by "
                                           "z(1 - z) as a matrix product, (dz * z) @ (1 - z), not elementwise",
                                           "section 10.1.2, Algorithm 2: the sigmoid's gradient is elementwise")
LOSS_NOT_FROM_OUTPUT = Mistake("loss-not-from-output", "the loss is computed from the network's input x, not from "
                               "its output y_hat", "section 7: the cross-entropy of the softmax output y_hat")
BACKWARD_MODIFIES_INPUT = Mistake("backward-modifies-input", "a backward (SoftMaxCrossEntropy's, or NN's) changes "
                                  "y_hat, its input, in place",
                                  "section 10.1.1: backward returns the gradient; y_hat stays the forward's output, "
                                  "which its caller still holds")
BIAS_SIDE_MISMATCH = Mistake("bias-side-mismatch", "a layer's input gets its bias entry appended last ([z, 1]) "
                             "while its weights keep the bias in column 0",
                             "section 7.1 and the starter code: the bias is column 0 of alpha and beta, and the "
                             "input is [1, x]", sign=bias_on_both_sides)
EXPLAINED = [HARD_CODED_PATH, CLASS_COUNT_FIXED, MODULE_NOT_ON_AUTOGRADER, OLDER_HANDOUT_API, MISSPELT_ARGUMENT,
             NO_OUTPUTS_WRITTEN, PYTHON2_CODE, MIXED_INDENTATION, FAILS_AT_0_EPOCHS, SHUFFLE_OTHER_GENERATOR,
             RANDOM_INIT_DRAWS_TWICE, SIGMOID_BACKWARD_NOT_ELEMENTWISE, LOSS_NOT_FROM_OUTPUT, BACKWARD_MODIFIES_INPUT,
             BIAS_SIDE_MISMATCH]
MISTAKES.update({m.id: m for m in EXPLAINED})
