"""The api and trace checks: inputs in, values back, verdicts out.

Each check names a probe (grader/probe.py), the inputs sent to it, and what its
values must be. The probe runs in the submission's process; everything here runs
in the grader's: expectations come from the handout's vectors (data/unittest_data.pk),
closed formulas, the naive oracle (benchmarks/naive_neuralnet.py) and this project's
neuralnet.py, and are never written anywhere. tests.py runs the same checks on this
project's neuralnet.py in-process (run_in_process).
"""
import ast
import importlib.util
import io
import os
import pickle
import random as random_module
import re
import zipfile
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

# isort: off
import neuralnet  # before numpy: it keeps BLAS to one thread
import numpy as np
# isort: on

from grader import catalog, crashes, probe, report
from grader.crashes import Source
from grader.probe import ERROR
from grader.report import Result, why_run_failed
from grader.runner import OUTPUT_LIMIT, Budget, Runner, RunResult, size

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = os.path.join(HERE, "grader", "probe.py")
POINTS = {"api": 1, "trace": 5}  # per check
SHUFFLE_NAME = "api:shuffle"
UNSCORED = {SHUFFLE_NAME}  # the starter code gives shuffle: a warning, its runs carry the points
TRACE_STEPS = 5
TRACE_NAME = f"trace:first {TRACE_STEPS} SGD steps (small set, 4 hidden, RANDOM init, lr 0.1)"
COURSE_RTOL = 1e-7  # np.testing.assert_allclose's default, which the course's own tests use
CLOSE_RTOL = 1e-12  # a value that passes but differs from this project's by more is noted
Arrays = Dict[str, np.ndarray]


class Verdict(NamedTuple):
    passed: bool
    text: str  # why it failed; for a pass, a note or ''


class Expect(NamedTuple):
    """One value a probe returns, and what it must be (squeezed, as the course's tests squeeze)."""
    key: str
    what: str  # how a failure names it
    value: Optional[np.ndarray] = None  # compared within the course's tolerance when given
    atol: float = 0.0
    test: Optional[Callable[[np.ndarray], Optional[str]]] = None  # a property, when no value is given


class Check(NamedTuple):
    name: str
    probe: str
    inputs: Arrays
    judge: Callable[[Arrays], Verdict]  # the values returned -> the verdict


def naive_oracle():
    """benchmarks/naive_neuralnet.py: an independent per-example implementation."""
    spec = importlib.util.spec_from_file_location("naive_neuralnet",
                                                  os.path.join(HERE, "benchmarks", "naive_neuralnet.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def first_difference(what: str, got: np.ndarray, expected: np.ndarray, rtol: float = COURSE_RTOL,
                     atol: float = 0.0, weights: bool = False) -> Optional[str]:
    """Where two arrays, squeezed, first differ beyond the tolerance, or None when they agree.
    Values are shown as Python writes them, so that two that differ never look alike."""
    got, expected = np.squeeze(got), np.squeeze(np.asarray(expected, dtype=float))
    if got.shape != expected.shape:
        return f"{what}: shape {got.shape}, expected {expected.shape} (both squeezed)"
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    if len(index) == 2:
        where = f"row {index[0]}, column {index[1]}" + (" (the bias column)" if weights and index[1] == 0 else "")
    else:
        where = f"entry {index[0]}" if index else "value"
    with np.errstate(invalid="ignore"):
        gap = float(np.nanmax(np.abs(got - expected)))
    return (f"{what} differs first at {where}: expected {float(expected[index])!r}, got {float(got[index])!r} "
            f"(largest difference {gap:.3g})")


def closeness_note(what: str, got: np.ndarray, expected: np.ndarray) -> str:
    """For values that pass: how far they are from this project's, when further than CLOSE_RTOL."""
    got, expected = np.squeeze(got), np.squeeze(np.asarray(expected, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.abs(got - expected) / np.maximum(np.abs(expected), np.finfo(float).tiny)
    worst = float(np.nanmax(relative)) if relative.size else 0.0
    if worst <= CLOSE_RTOL:
        return ""
    return (f"note: {what}: within the course's tolerance (rtol {COURSE_RTOL:g}), but up to {worst:.2g} "
            "relative from this project's values")


def failure_of(values: Arrays, key: str) -> str:
    """Why a value is missing: the probe's error, or that it was never returned."""
    return str(values[ERROR]) if ERROR in values else f"no value for {key}"


def judge_expectations(expects: Sequence[Expect], ours: Arrays) -> Callable[[Arrays], Verdict]:
    """A judge of these expectations; a passing value far from `ours` (this project's) is noted."""
    def judge(values: Arrays) -> Verdict:
        notes = []
        for e in expects:
            if e.key not in values:
                return Verdict(False, failure_of(values, e.key))
            got = values[e.key]
            problem = e.test(got) if e.test else first_difference(e.what, got, e.value, atol=e.atol,
                                                                  weights=".w" in e.what)
            if problem:
                return Verdict(False, problem)
            if e.value is not None and e.key in ours:
                notes.append(closeness_note(e.what, got, ours[e.key]))
        if ERROR in values:
            return Verdict(False, str(values[ERROR]))
        notes = [note for note in notes if note]
        return Verdict(True, notes[0] if notes else "")  # the first is enough to see it
    return judge


def check(name: str, probe_name: str, inputs: Arrays, *expects: Expect) -> Check:
    ours = probe.run_probe(neuralnet, probe_name, inputs)  # this project's values, for the notes
    return Check(name, probe_name, inputs, judge_expectations(expects, ours))


def shaped(shape) -> Callable[[np.ndarray], Optional[str]]:
    return lambda got: None if got.shape == shape else f"shape {got.shape}, expected {shape}"


def seeded_uniform(rows: int, cols: int) -> np.ndarray:
    return _uniform(rows * cols, (rows, cols))  # the handout's seed: rows x cols


def random_init_property(got: np.ndarray) -> Optional[str]:
    if got.shape != (10, 5):
        return f"random_init((10, 5)): shape {got.shape}, expected (10, 5)"
    if not np.all((got >= -0.1) & (got <= 0.1)):
        return f"random_init((10, 5)): values from {got.min()!r} to {got.max()!r}, outside [-0.1, 0.1]"
    return None


def judge_random_init(values: Arrays) -> Verdict:
    """The properties, then the seeded values; a failure says what differs: shape, range or seed."""
    properties = judge_expectations([
        Expect("10x5", "random_init((10, 5))", test=random_init_property),
        Expect("10x1", "random_init((10, 1))", test=distinct(10, "random_init((10, 1))")),
        Expect("1x10", "random_init((1, 10))", test=distinct(10, "random_init((1, 10))"))], {})(values)
    if not properties.passed:
        return properties
    for key in ("6x7", "6x7 again"):
        if key not in values:
            return Verdict(False, failure_of(values, key))
    got, expected = values["6x7"], seeded_uniform(6, 7)
    problem = first_difference("random_init((6, 7))", got, expected)
    if problem is None:
        return Verdict(True, "")
    if got.shape != (6, 7):
        why = f"shape {got.shape}, expected (6, 7)"
    elif not np.array_equal(got, values["6x7 again"]):
        why = "two calls give different values: it is not seeded (np.random.seed(rows * cols) before drawing)"
    elif np.allclose(got, seeded_uniform(7, 6).T, rtol=COURSE_RTOL):
        why = "drawn as a 7 x 6 matrix and transposed: draw the (rows, cols) shape itself"
    else:
        seeds = [s for s in (0, 6, 7, 13, 1) if np.allclose(got, _uniform(s, (6, 7)), rtol=COURSE_RTOL)]
        why = (f"seeded with {seeds[0]}, not rows * cols = 42" if seeds
               else f"not uniform(-0.1, 0.1) seeded with rows * cols = 42: {problem}")
    return Verdict(False, f"random_init((6, 7)): {why}")


SHUFFLE_EPOCHS = (0, 1, 5)


def handout_order(seed: int, n: int) -> np.ndarray:
    """The starter code's shuffle order: np.random.seed(epoch); np.random.permutation(N)."""
    np.random.seed(seed)
    return np.random.permutation(n)


def shuffle_check() -> Check:
    """shuffle(X, y, epoch) on 9 distinct rows for a few epochs: the starter code's order, X and y together."""
    X = np.arange(27, dtype=float).reshape(9, 3)
    y = np.arange(9) % 10
    inputs = {"X": X, "y": y, "epochs": np.array(SHUFFLE_EPOCHS)}

    def judge(values: Arrays) -> Verdict:
        for epoch in SHUFFLE_EPOCHS:
            order = handout_order(epoch, len(y))
            for name, expected in ((f"X{epoch}", X[order]), (f"y{epoch}", y[order])):
                if name not in values:
                    return Verdict(False, failure_of(values, name))
                problem = first_difference(f"shuffle(X, y, {epoch}) {name[0]}", values[name], expected, 0, 0)
                if problem:
                    return Verdict(False, problem)
        for name, before in (("X after", X), ("y after", y)):
            if name in values and not np.array_equal(values[name], before):
                return Verdict(False, f"shuffle changed its argument {name[0]} in place: shuffle the original order "
                                      "each epoch without changing it")
        return Verdict(ERROR not in values, str(values.get(ERROR, "")))
    return Check(SHUFFLE_NAME, "shuffle", inputs, judge)


def _uniform(seed: int, shape: Tuple[int, int]) -> np.ndarray:
    np.random.seed(seed)
    return np.random.uniform(-0.1, 0.1, shape)


def distinct(count: int, call: str) -> Callable[[np.ndarray], Optional[str]]:
    return lambda got: None if np.unique(got).size == count else \
        f"{call}: {np.unique(got).size} distinct values, expected {count}"


def bias_zero(what: str) -> Callable[[np.ndarray], Optional[str]]:
    def test(got: np.ndarray) -> Optional[str]:
        if got.shape != (4, 7):
            return f"{what}: shape {got.shape}, expected out x (in + 1) = (4, 7)"
        return first_difference(f"{what} bias column after init", got[:, 0], np.zeros(4), 0, 0)
    return test


def api_checks(data_folder: str) -> List[Check]:
    """The handout's API, one check per method, on its vectors and against the oracle."""
    with open(os.path.join(data_folder, "unittest_data.pk"), "rb") as f:
        vectors = pickle.load(f)
    checks = [
        shuffle_check(),
        Check("api:random_init", "random_init", {}, judge_random_init),
        check("api:zero_init", "zero_init", {}, Expect("3x4", "zero_init((3, 4))", np.zeros((3, 4)))),
        check("api:Linear.w", "linear_weights", {},
              Expect("zero", "Linear(6, 4, zero_init).w", test=bias_zero("Linear(6, 4, zero_init).w")),
              Expect("random", "Linear(6, 4, random_init).w", test=bias_zero("Linear(6, 4, random_init).w")),
              # One init call for the whole matrix, bias column included, then the bias zeroed.
              Expect("random", "Linear.w[:, 1:] after RANDOM init (random_init((4, 7)))",
                     test=lambda got: first_difference("Linear.w[:, 1:] after RANDOM init (random_init((4, 7)))",
                                                       got[:, 1:], seeded_uniform(4, 7)[:, 1:], 0, 0))),
    ]
    w, x, expected = vectors["linear_forward"][0]
    checks.append(check("api:Linear.forward", "linear_forward", {"w": w, "x": x[1:]},
                        Expect("output", "Linear.forward output", expected)))
    # (The file's second linear_forward vector multiplies w by x with no bias folded
    # in, which is not this API; the course tests skip it too.)
    w = np.random.RandomState(5).rand(7, 4)
    x = np.array([0.2, 0.5, 0.9])
    checks.append(check("api:Linear.w assignable", "linear_assigned_weights", {"w": w, "x": x},
                        Expect("output", "Linear.forward after assigning a 7 x 4 w", w[:, 0] + w[:, 1:] @ x),
                        Expect("dw", "Linear.dw after assigning a 7 x 4 w", test=shaped((7, 4)))))
    x, w, expected_dx, expected_dw = vectors["linear_backward"]
    checks += [
        check("api:Linear.backward", "linear_backward", {"w": w, "x": x[1:]},
              Expect("dx", "Linear.backward return value dx", expected_dx),
              Expect("dw", "Linear.dw after backward", expected_dw)),
        check("api:Linear.step", "linear_step", {"w": w, "x": x[1:], "learning_rate": np.array(0.25)},
              Expect("w", "Linear.w after step (w - learning_rate * dw)", w - 0.25 * expected_dw)),
    ]
    pairs = vectors["sigmoid_forward"]
    checks.append(check("api:Sigmoid.forward", "sigmoid_forward", {f"x{i}": x for i, (x, _) in enumerate(pairs)},
                        *[Expect(f"output{i}", "Sigmoid.forward output", y) for i, (_, y) in enumerate(pairs)]))
    x, expected = vectors["sigmoid_backward"]
    checks.append(check("api:Sigmoid.backward", "sigmoid_backward", {"x": x},
                        Expect("dx", "Sigmoid.backward(1)", expected)))
    checks.append(check("api:SoftMaxCrossEntropy._softmax", "softmax",
                        {f"z{i}": z for i, (z, _) in enumerate(vectors["softmax_forward"])},
                        *[Expect(f"output{i}", "SoftMaxCrossEntropy._softmax output", y)
                          for i, (_, y) in enumerate(vectors["softmax_forward"])]))
    y_hat, y, expected = vectors["ce_forward"]
    checks.append(check("api:SoftMaxCrossEntropy._cross_entropy", "cross_entropy", {"y_hat": y_hat, "y": np.array(y)},
                        Expect("loss", "SoftMaxCrossEntropy._cross_entropy", np.array(expected))))
    z = np.array([0.5, -1.0, 2.0])
    probabilities = np.exp(z) / np.exp(z).sum()
    checks.append(check("api:SoftMaxCrossEntropy.forward", "softmax_cross_entropy_forward", {"z": z, "y": np.array(2)},
                        Expect("y_hat", "SoftMaxCrossEntropy.forward probabilities", probabilities),
                        Expect("loss", "SoftMaxCrossEntropy.forward loss", np.array(-np.log(probabilities[2])))))
    y, y_hat, expected = vectors["ce_backward"]
    checks.append(check("api:SoftMaxCrossEntropy.backward", "softmax_cross_entropy_backward",
                        {"y": np.array(y), "y_hat": y_hat},
                        Expect("gradient", "SoftMaxCrossEntropy.backward", expected)))
    for which, name in ((0, "api:NN.forward and NN.backward"), (1, "api:NN.forward and NN.backward, second vector")):
        # The second vector's weights are an older handout's RANDOM init (probe.older_random_init).
        x, y, y_hat_expected, dalpha, dbeta = vectors["forward_backward"][which]
        atol = 1e-12 if which == 0 else 1e-15  # (entries that are 0 in the vector)
        checks.append(check(name, "nn_forward_backward", {"x": x[1:], "y": np.array(y),
                                                           "older_random_init": np.array(which)},
                            Expect("y_hat", "NN.forward probabilities", y_hat_expected),
                            Expect("loss", "NN.forward loss", np.array(-np.log(y_hat_expected[y]))),
                            Expect("linear1.dw", "linear1.dw after NN.backward", dalpha, atol),
                            Expect("linear2.dw", "linear2.dw after NN.backward", dbeta, atol)))
    checks += oracle_checks(data_folder)
    return checks


def oracle_checks(data_folder: str) -> List[Check]:
    """NN.train and NN.test against the naive oracle on 60 training and 20 validation rows."""
    oracle = naive_oracle()
    X_tr, y_tr = neuralnet.load_csv(os.path.join(data_folder, "small_train.csv"), "train_input")
    X_val, y_val = neuralnet.load_csv(os.path.join(data_folder, "small_validation.csv"), "validation_input")
    split = {"X_train": X_tr[:60], "y_train": y_tr[:60], "X_validation": X_val[:20], "y_validation": y_val[:20]}
    with np.errstate(all="ignore"):
        alpha, beta, losses = oracle.train(*split.values(), 2, 5, 1, 0.1)
    train = check("api:NN.train", "nn_train", {**split, "epochs": np.array(2), "hidden": np.array(5),
                                               "learning_rate": np.array(0.1)},
                  Expect("train losses", "NN.train train losses per epoch", np.array([a for a, _ in losses])),
                  Expect("validation losses", "NN.train validation losses per epoch",
                         np.array([b for _, b in losses])),
                  Expect("linear1.w", "linear1.w after train", alpha, 1e-14),
                  Expect("linear2.w", "linear2.w after train", beta, 1e-14))
    expects = []
    for which in ("train", "validation"):
        labels = np.array(oracle.predict(alpha, beta, split[f"X_{which}"]), dtype=float)
        expects += [Expect(f"{which} labels", f"NN.test labels ({which})", labels),
                    Expect(f"{which} error", f"NN.test error rate ({which})",
                           np.array(np.mean(labels != split[f"y_{which}"])))]
    test = check("api:NN.test", "nn_test", {**split, "alpha": alpha, "beta": beta}, *expects)
    return [train, test]


def trace_check(data_folder: str) -> Check:
    """The submission's NN and this project's, stepped through the first SGD steps of epoch 1."""
    X, y = neuralnet.load_csv(os.path.join(data_folder, "small_train.csv"), "train_input")
    X_order, rows = neuralnet.shuffle(X, np.arange(len(y)), 0)  # epoch 1's order, and its rows in the file
    inputs = {"X": X_order[:TRACE_STEPS], "y": y[rows[:TRACE_STEPS]], "hidden": np.array(4),
              "learning_rate": np.array(0.1)}
    reference = probe.run_probe(neuralnet, "trace", inputs)  # in this process, from this project's code

    def judge(values: Arrays) -> Verdict:
        note = ""
        for key, expected in reference.items():
            step, quantity = key.split("/")
            where = "before the first step" if step == "0" else \
                f"step {step} (training row {rows[int(step) - 1]}, label {int(y[rows[int(step) - 1]])})"
            if key not in values:
                return Verdict(False, f"{where}: {failure_of(values, key)}")
            what = {"0": "initial "}.get(step, "") + quantity + \
                {"dw": " after backward", "w": " after step"}.get(quantity.split(".")[-1], "") * (step != "0")
            if quantity == "y_hat":
                what = "forward output y_hat"
            problem = first_difference(what, values[key], expected, atol=1e-12, weights=quantity.endswith("w"))
            if problem:
                return Verdict(False, f"{where}: {problem}")
            note = note or closeness_note(f"{where}: {what}", values[key], expected)
        return Verdict(True, note)
    return Check(TRACE_NAME, "trace", inputs, judge)


def check_weight(name: str) -> float:
    """grade.py's own points for an api or trace check (a course's settings spread theirs in proportion)."""
    return 0 if name in UNSCORED else POINTS[name.split(":", 1)[0]]


def all_checks(data_folder: str) -> List[Check]:
    return api_checks(data_folder) + [trace_check(data_folder)]


def slot(index: int, c: Check) -> str:
    """The name under which a check's inputs and values travel: two checks may share a probe."""
    return f"{index}-{c.probe}"


def inputs_of(checks: Sequence[Check], indices: Optional[Sequence[int]] = None) -> Arrays:
    """Every check's inputs (or those of the checks at these indices), keyed 'slot/name' as probe.py reads them;
    '_run' marks a check without any."""
    inputs = {}
    for index, c in enumerate(checks):
        if indices is not None and index not in indices:
            continue
        inputs[f"{slot(index, c)}/{probe.RUN}"] = np.array(0)
        inputs.update({f"{slot(index, c)}/{name}": np.asarray(value) for name, value in c.inputs.items()})
    return inputs


def by_slot(values: Arrays) -> Dict[str, Arrays]:
    """Every value the probes returned, grouped by slot ('import' for the import's error)."""
    grouped: Dict[str, Arrays] = {}
    for key, value in values.items():
        where, _, name = key.partition("/")
        grouped.setdefault(where, {})[name] = value
    return grouped


def verdicts(checks: Sequence[Check], values: Arrays) -> List[Verdict]:
    """Each check's verdict given every value the probes returned."""
    grouped = by_slot(values)
    if ERROR in grouped.get("import", {}):
        return [Verdict(False, "cannot import the submission:" + report.quote(str(grouped["import"][ERROR])))] \
            * len(checks)
    return [c.judge(grouped.get(slot(index, c), {})) for index, c in enumerate(checks)]


MAX_VALUES = 2048  # values in one values.npz: the checks return a few hundred


def value_budget(inputs: Arrays) -> Tuple[int, int]:
    """The most bytes one value the probes return may hold, and all of them together. No probe
    returns a value larger than the largest input it is sent (the weights it trains are smaller
    still), so four times that, and sixteen times all the inputs, leave room for any honest shape."""
    largest = max((v.nbytes for v in inputs.values()), default=0)
    return max(64 << 10, 4 * largest), max(4 << 20, 16 * sum(v.nbytes for v in inputs.values()))


def _amount(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n} bytes"


def load_values(raw: bytes, inputs: Arrays) -> Arrays:
    """The values file the probe wrote, loaded only once every member's declared size (its zip
    entry's uncompressed size, its .npy header's shape and dtype) is within value_budget(inputs),
    so that a file that inflates to gigabytes is refused unread. Raises ValueError saying what was
    refused, and anything np.load raises on a malformed file."""
    per_value, total = value_budget(inputs)
    refused = "refused unread: "
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        members = archive.infolist()
        if len(members) > MAX_VALUES:
            raise ValueError(f"{refused}it holds {len(members)} values; the checks return at most {MAX_VALUES}")
        declared = sum(m.file_size for m in members)
        if declared > total:
            raise ValueError(f"{refused}its values declare {_amount(declared)} in all; those of these checks "
                             f"hold at most {_amount(total)}")
        for member in members:
            name = member.filename[:80]
            if member.file_size > per_value + 4096:  # (+ the .npy header)
                raise ValueError(f"{refused}{name} declares {_amount(member.file_size)}; a value of these checks "
                                 f"holds at most {_amount(per_value)}")
            with archive.open(member) as f:
                version = np.lib.format.read_magic(f)
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape, _, dtype = read_header(f)
            if dtype.hasobject:
                raise ValueError(f"{refused}{name} holds Python objects (a pickle), not numbers or text")
            nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
            if nbytes > per_value:
                raise ValueError(f"{refused}{name} declares {_amount(nbytes)} ({dtype}, shape {shape}); a value of "
                                 f"these checks holds at most {_amount(per_value)}")
    with np.load(io.BytesIO(raw), allow_pickle=False) as f:
        return {key: f[key] for key in f.files}


# ----------------------------------------------------------------------------
# Mistakes of the handout's functions, each named when its own values, computed here, are the submission's
# ----------------------------------------------------------------------------

Evidence = crashes.Evidence
LOSS_X = np.linspace(0.05, 0.6, 12)  # an input whose entries are not 1/10: a loss computed from it shows
# Probes whose values only diagnoses read (no check of their own, no points).
OLDER_VECTOR = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
DIAGNOSTIC_PROBES = [Check("diagnostic:loss", "nn_loss", {"x": LOSS_X, "y": np.array(3)},
                           lambda values: Verdict(True, "")),
                     Check("diagnostic:older functions", "older_functions", {"a": OLDER_VECTOR},
                           lambda values: Verdict(True, ""))]


def older_functions_judged(values: Arrays) -> List[str]:
    """What an older handout's sigmoid and softmax functions compute on OLDER_VECTOR, each against the formula."""
    expected = {"sigmoid": 1.0 / (1.0 + np.exp(-OLDER_VECTOR)), "softmax": _softmax(OLDER_VECTOR)}
    said = []
    for key in sorted(values):
        kind, _, name = key.partition(" ")
        if kind in expected and name:
            right = _close(values[key], expected[kind])
            said.append(f"its {name} computes the {kind} (on {len(OLDER_VECTOR)} values)" if right else
                        f"its {name} does not compute the {kind}: "
                        + (first_difference(f"{name}{tuple(OLDER_VECTOR)}", values[key], expected[kind]) or ""))
    return said


def _close(got: Optional[np.ndarray], expected: np.ndarray) -> bool:
    if got is None:
        return False
    got, expected = np.squeeze(got), np.squeeze(expected)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=COURSE_RTOL, atol=1e-12))


def _calls(node: Optional[ast.AST], names: Sequence[str]) -> List[ast.Call]:
    """The calls of these names (functions or methods) within a definition, in the order of the source."""
    if node is None:
        return []
    found = [n for n in ast.walk(node) if isinstance(n, ast.Call) and crashes.name_of(n.func) in names]
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def _line(node: Optional[ast.AST]) -> int:
    return getattr(node, "lineno", 0) if node is not None else 0


def shuffle_written_otherwise(inputs: Arrays, values: Arrays, extra: Arrays, source: Source) -> List[Evidence]:
    """shuffle's orders are those of no shuffle, of the seed epoch + 1, or of another generator seeded with epoch."""
    X, y = inputs["X"], inputs["y"]
    n = len(y)

    def stdlib_order(seed: int) -> np.ndarray:
        order = list(range(n))
        random_module.Random(seed).shuffle(order)
        return np.array(order)

    variants = [("no-shuffle", "the rows in their file order", lambda e: np.arange(n)),
                ("shuffle-seed-offset", "the order seeded with epoch + 1", lambda e: handout_order(e + 1, n)),
                ("shuffle-other-generator", "np.random.default_rng(epoch)'s permutation",
                 lambda e: np.random.default_rng(e).permutation(n)),
                ("shuffle-other-generator", "random.seed(epoch); random.shuffle(...)'s order", stdlib_order)]
    definition = source.definition("shuffle")
    calls = _calls(definition, ["default_rng", "seed", "permutation", "shuffle", "RandomState", "Random"])
    for mistake_id, what, order in variants:
        if all(_close(values.get(f"X{e}"), X[order(e)]) and _close(values.get(f"y{e}"), y[order(e)])
               for e in SHUFFLE_EPOCHS):
            return [Evidence(mistake_id, _line(calls[0] if calls else definition),
                             f"shuffle(X, y, epoch) gives {what} for epochs {', '.join(map(str, SHUFFLE_EPOCHS))}")]
    return []


DRAWS = ["uniform", "rand", "random", "random_sample", "randn", "randint", "normal"]


def random_init_draws_twice(inputs: Arrays, values: Arrays, extra: Arrays, source: Source) -> List[Evidence]:
    """random_init((6, 7)) is the second uniform draw after np.random.seed(42), not the first."""
    np.random.seed(6 * 7)
    first = np.random.uniform(-0.1, 0.1, (6, 7))
    second = np.random.uniform(-0.1, 0.1, (6, 7))
    if _close(values.get("6x7"), first) or not _close(values.get("6x7"), second):
        return []
    draws = _calls(source.definition("random_init"), DRAWS)
    return [Evidence("random-init-draws-twice", _line(draws[1] if len(draws) > 1 else source.definition("random_init")),
                     "random_init((6, 7)) returns the second draw after np.random.seed(42)")]


def bias_left_random(inputs: Arrays, values: Arrays, extra: Arrays, source: Source) -> List[Evidence]:
    """Linear(6, 4, random_init).w's bias column is random_init((4, 7))'s own first column: the draw was kept
    whole, the bias never zeroed (a value no other mistake gives: the seeded draw itself)."""
    got = values.get("random")
    if got is None or np.shape(got) != (4, 7) or not np.any(np.asarray(got, dtype=float)[:, 0]):
        return []
    if not _close(np.asarray(got, dtype=float)[:, 0], seeded_uniform(4, 7)[:, 0]):
        return []
    init = source.definition("Linear", "__init__")
    return [Evidence("bias-init-random", _line(init), "Linear(6, 4, random_init).w[:, 0] is random_init((4, 7))'s "
                                                      "own first column: the bias column keeps its random values")]


def sigmoid_backward_product(inputs: Arrays, values: Arrays, extra: Arrays, source: Source) -> List[Evidence]:
    """Sigmoid.backward(1) is (dz * z) @ (1 - z), a sum or an outer product; or that product fails on its
    shapes, at a matrix product in Sigmoid.backward."""
    definition = source.definition("Sigmoid", "backward")
    products = sorted([n for n in ast.walk(definition) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult)]
                      + _calls(definition, ["dot", "matmul"]), key=lambda n: n.lineno) if definition else []
    z = 1.0 / (1.0 + np.exp(-np.asarray(inputs["x"], dtype=float)))
    got = values.get("dx")
    if _close(got, np.sum(z * (1 - z))) or _close(got, np.outer(z, 1 - z)):
        return [Evidence("sigmoid-backward-not-elementwise", _line(products[0] if products else definition),
                         f"Sigmoid.backward(1) on {len(z)} entries returns shape {np.shape(got)}: "
                         + ("their sum of z(1 - z)" if np.ndim(np.squeeze(got)) == 0 else "an outer product"))]
    error = str(values.get(ERROR, ""))
    failed_at = re.search(r"neuralnet\.py line (\d+)", error)
    if products and failed_at and int(failed_at.group(1)) in {n.lineno for n in products} and \
            re.search(r"matmul|not aligned|shapes", error):
        return [Evidence("sigmoid-backward-not-elementwise", int(failed_at.group(1)), error.split(" (neuralnet")[0])]
    return []


def loss_from_input(inputs: Arrays, values: Arrays, extra: Arrays, source: Source) -> List[Evidence]:
    """NN.forward's loss on a 12-entry input with ZERO init (y_hat = 1/10 each) is a cross-entropy of the input."""
    got = extra.get("loss")
    if got is None or _close(got, np.log(10.0)):
        return []
    x, y = LOSS_X, 3
    with_bias = np.concatenate(([1.0], x))
    candidates = {"-log(x[y])": -np.log(x[y]), "-log(x[y]) with the bias entry": -np.log(with_bias[y]),
                  "the cross-entropy of softmax(x)": -np.log(np.exp(x[y]) / np.exp(x).sum()),
                  "the cross-entropy of softmax([1, x])": -np.log(np.exp(with_bias[y]) / np.exp(with_bias).sum())}
    what = next((what for what, value in candidates.items() if _close(got, np.array(value))), "")
    if not what:
        return []
    definition = source.definition("NN", "forward")
    parameter = definition.args.args[1].arg if isinstance(definition, ast.FunctionDef) and \
        len(definition.args.args) > 1 else "x"
    uses = [c for c in ast.walk(definition) if isinstance(c, ast.Call) and
            any(isinstance(a, ast.Name) and a.id == parameter for a in c.args) and
            re.search(r"entropy|loss|soft", ast.unparse(c.func), re.I)] if definition else []
    return [Evidence("loss-not-from-output", _line(uses[0] if uses else definition),
                     "with ZERO init y_hat is 1/10 for each class, so the loss is -log(1/10) = "
                     f"{float(np.log(10.0))!r}; got {float(np.squeeze(got))!r}, {what} (the input)")]


def backward_changes_y_hat(inputs: Arrays, values: Arrays, extra: Arrays, source: Source) -> List[Evidence]:
    """SoftMaxCrossEntropy.backward(y, y_hat) leaves y_hat changed."""
    after = values.get("y_hat after")
    if after is None or np.array_equal(np.squeeze(after), np.squeeze(inputs["y_hat"])):
        return []
    definitions = [source.definition("SoftMaxCrossEntropy", "backward"), source.definition("NN", "backward")]
    line = next((_line(d) for d in definitions if d is not None), 0)
    for definition in definitions:
        if not isinstance(definition, ast.FunctionDef) or len(definition.args.args) <= 2:
            continue
        aliases = {definition.args.args[2].arg}
        for node in sorted(ast.walk(definition), key=lambda n: getattr(n, "lineno", 0)):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                aliases |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
                if isinstance(node, ast.AugAssign) else []
            if any(isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in aliases
                   for t in targets) or (isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name)
                                         and node.target.id in aliases):
                line = node.lineno
                break
        else:
            continue
        break
    changed = int(np.argmax(np.abs(np.squeeze(after) - np.squeeze(inputs["y_hat"]))))
    return [Evidence("backward-modifies-input", line, f"after backward(y={int(inputs['y'])}, y_hat), y_hat[{changed}] "
                                                      "has changed: work on a copy (y_hat.copy())")]


def y_hat_changed_by_backward(inputs: Arrays, values: Arrays, extra: Arrays, source: Source) -> List[Evidence]:
    """NN.forward's y_hat, read after NN.backward, is y_hat - onehot(y): backward changed it in place."""
    got, y = values.get("y_hat"), int(inputs["y"])
    if got is None or np.squeeze(got).shape != (10,):
        return []
    got = np.squeeze(got)
    if not (abs(float(np.sum(got))) < 1e-9 and -1 < got[y] < 0 and np.all(np.delete(got, y) > 0)):
        return []
    found = backward_changes_y_hat({"y": np.array(y), "y_hat": got + np.eye(10)[y]}, {"y_hat after": got}, extra,
                                   source)
    return [e._replace(detail=f"NN.forward's y_hat, read after NN.backward, is y_hat - onehot({y}): backward changed "
                              "it in place (work on a copy: y_hat.copy())") for e in found]


def train_loss_from_input(inputs: Arrays, values: Arrays, extra: Arrays, source: Source) -> List[Evidence]:
    """NN.train's losses are cross-entropies of the inputs' softmax, not of the network's output: each row's own
    label, or (y passed whole) every label the split holds; the same in every epoch, as the input never changes."""
    got = values.get("train losses")
    X, y = np.asarray(inputs["X_train"], dtype=float), np.asarray(inputs["y_train"]).astype(int)
    if got is None or np.size(got) == 0:
        return []
    logs = np.array([np.log(_softmax(x)) for x in X])
    candidates = {"each row's softmax(x) at its label": -np.mean(logs[np.arange(len(y)), y]),
                  "softmax(x) at every label of the split, y passed whole": -np.mean(logs[:, sorted(set(y))].sum(1))}
    what = next((w for w, value in candidates.items() if _close(got, np.full(np.shape(got), value))), "")
    if not what:
        return []
    definition = source.definition("NN", "compute_loss") or source.definition("NN", "train")
    uses = [c for c in ast.walk(definition) if isinstance(c, ast.Call) and
            re.search(r"entropy|loss|soft", ast.unparse(c.func), re.I)] if definition else []
    return [Evidence("loss-not-from-output", _line(uses[0] if uses else definition),
                     f"NN.train's losses are the cross-entropy of {what} (the input), the same in every epoch")]


def _softmax(b: np.ndarray) -> np.ndarray:
    e = np.exp(b - b.max())
    return e / e.sum()


def bias_appended_last(inputs: Arrays, values: Arrays, extra: Arrays, source: Source) -> List[Evidence]:
    """NN.forward's y_hat on the second vector's weights is that of [z, 1] (or [x, 1] too) against weights whose
    bias is column 0."""
    x = np.asarray(inputs["x"], dtype=float)
    alpha, beta = probe.older_random_init((4, len(x) + 1)), probe.older_random_init((10, 5))
    sigmoid = lambda a: 1.0 / (1.0 + np.exp(-a))  # noqa: E731
    hidden = sigmoid(alpha[:, 0] + alpha[:, 1:] @ x)
    both = sigmoid(alpha[:, :-1] @ x + alpha[:, -1])
    got = values.get("y_hat")
    which = "the hidden layer's output z" if _close(got, _softmax(beta[:, :-1] @ hidden + beta[:, -1])) else \
        "the input x and the hidden layer's output z" if _close(got, _softmax(beta[:, :-1] @ both + beta[:, -1])) \
        else ""
    if not which:
        return []
    appended = [c for c in _calls(source.tree, ["append", "concatenate", "hstack", "vstack", "column_stack"])
                if _ends_with_one(c)]
    return [Evidence("bias-side-mismatch", _line(appended[0] if appended else source.definition("NN", "forward")),
                     f"NN.forward's y_hat on the second vector is that of {which} with 1 appended last, while the "
                     "init zeroes column 0 as the bias")]


def _is_one(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value == 1
    if isinstance(node, (ast.List, ast.Tuple)):
        return len(node.elts) == 1 and _is_one(node.elts[0])
    return isinstance(node, ast.Call) and crashes.name_of(node.func) in ("ones", "ones_like")


def _ends_with_one(call: ast.Call) -> bool:
    """np.append(z, 1), np.concatenate((z, [1])), np.hstack([z, np.ones(1)]), ...: a 1 put last."""
    if crashes.name_of(call.func) == "append":
        return len(call.args) >= 2 and _is_one(call.args[1]) and not _is_one(call.args[0])
    parts = call.args[0] if call.args else None
    return isinstance(parts, (ast.List, ast.Tuple)) and len(parts.elts) >= 2 and _is_one(parts.elts[-1]) and \
        not _is_one(parts.elts[0])


class Diagnosis(NamedTuple):
    """A mistake of one function, named under a check when its values, computed here, are the submission's."""
    check: str  # the check under which it is named
    find: Callable[[Arrays, Arrays, Arrays, Source], List[Evidence]]  # (inputs, values, diagnostic values, source)
    on_pass: bool = False  # also named under a passing check (the values pass, the function still errs)


DIAGNOSES = [Diagnosis(SHUFFLE_NAME, shuffle_written_otherwise),
             Diagnosis("api:random_init", random_init_draws_twice),
             Diagnosis("api:Linear.w", bias_left_random),
             Diagnosis("api:Sigmoid.backward", sigmoid_backward_product),
             Diagnosis("api:NN.forward and NN.backward", loss_from_input),
             Diagnosis("api:NN.train", train_loss_from_input),
             Diagnosis("api:NN.forward and NN.backward", y_hat_changed_by_backward),
             Diagnosis("api:NN.forward and NN.backward, second vector", y_hat_changed_by_backward),
             Diagnosis("api:SoftMaxCrossEntropy.backward", backward_changes_y_hat, on_pass=True),
             Diagnosis("api:NN.forward and NN.backward, second vector", bias_appended_last)]


def explain_values(checks: Sequence[Check], judged: Sequence[Verdict], values: Arrays,
                   source: Source) -> Dict[str, List[str]]:
    """{check name: the report's lines naming the mistakes its values show}, from every value the probes returned."""
    grouped = by_slot(values)
    if ERROR in grouped.get("import", {}):
        return {}
    extra = grouped.get(slot(len(checks), DIAGNOSTIC_PROBES[0]), {})
    explained: Dict[str, List[str]] = {}
    for index, (c, verdict) in enumerate(zip(checks, judged)):
        for diagnosis in DIAGNOSES:
            if diagnosis.check == c.name and (diagnosis.on_pass or not verdict.passed):
                with np.errstate(all="ignore"):
                    found = diagnosis.find(c.inputs, grouped.get(slot(index, c), {}), extra, source)
                explained.setdefault(c.name, []).extend(source.report_lines(found))
    return {name: lines for name, lines in explained.items() if lines}


def values_in_process(module, checks: Sequence[Check]) -> Arrays:
    """Every value the probes return for these checks and the diagnostic probes, keyed as probe.py writes them."""
    values: Arrays = {}
    for index, c in enumerate([*checks, *DIAGNOSTIC_PROBES]):
        values.update({f"{slot(index, c)}/{k}": v for k, v in probe.run_probe(module, c.probe, c.inputs).items()})
    return values


def run_in_process(module, checks: Sequence[Check]) -> List[Verdict]:
    """The checks on an imported module, without a sandbox: for this project's own tests."""
    return [c.judge(probe.run_probe(module, c.probe, c.inputs)) for c in checks]


# ----------------------------------------------------------------------------
# api and trace: probe.py's runs; their values judged here
# ----------------------------------------------------------------------------

PROGRESS = "progress.txt"  # what probe.py says it is doing, as it goes
PROGRESS_LIMIT = 256 * 1024  # bytes of it read (an honest one holds a few KiB)


class Progress(NamedTuple):
    """probe.py's progress.txt, read: what the run got through before it ended (written by the submission's
    process, so it decides nothing: only which checks to run again and how a check that hung is told)."""
    imported: bool
    started: Dict[str, float]  # slot -> seconds into the probe when it started
    calls: Dict[str, List[Tuple[str, int, float]]]  # slot -> the submission's functions it called: name, line, when
    hung: Dict[str, Tuple[float, str, int]]  # slot -> (its limit, the function and line it was at when interrupted)
    done: Set[str]


def read_progress(raw: Optional[bytes]) -> Progress:
    """progress.txt's lines (probe.Progress), leniently: a line that is not one of its forms is skipped."""
    progress = Progress(False, {}, {}, {}, set())
    slot = ""
    for line in (raw or b"")[:PROGRESS_LIMIT].decode(errors="replace").splitlines():
        words = line.split()
        try:
            if words == ["imported"]:
                progress = progress._replace(imported=True)
            elif words[0] == "probe" and len(words) == 3:
                slot = words[1]
                progress.started[slot] = float(words[2])
            elif words[0] == "call" and len(words) == 4 and slot:
                progress.calls.setdefault(slot, []).append((words[1], int(words[2]), float(words[3])))
            elif words[0] == "hung" and len(words) == 5:
                progress.hung[words[1]] = (float(words[2]), words[3], int(words[4]))
            elif words[0] == "done" and len(words) == 2:
                progress.done.add(words[1])
        except (IndexError, ValueError):
            continue
    return progress


def function_at(source: Source, name: str, line: int) -> str:
    """The qualified name ('NN.train') of the function `name` defined around `line` of the source (its def, a
    decorator or a line of its body); `name` alone when the source does not tell."""
    def visit(node: ast.AST, prefix: str) -> Optional[str]:
        for child in ast.iter_child_nodes(node):
            qualified = f"{prefix}{getattr(child, 'name', '')}"
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and child.name == name:
                first = min([child.lineno, *[d.lineno for d in child.decorator_list]])
                if first <= line <= (child.end_lineno or child.lineno):
                    return visit(child, qualified + ".") or qualified
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                found = visit(child, qualified + ".")
                if found:
                    return found
        return None
    return (visit(source.tree, "") if source.tree is not None else None) or name


class ProbeRuns:
    """The api and trace checks' probes, run until each has returned or is known not to.

    The first run has --timeout, as every run does. When it is stopped for its time, progress.txt says which
    probe was running and which of the submission's functions it had called: that check fails, naming the
    function that did not return; the values of the probes done are kept; and the probes after it are run
    again, each with Budget.CALL seconds (they take milliseconds for a function that returns), interrupted in
    the submission's process and told as not returning when they take more, so that one more run is enough.
    A run that ends otherwise before its probes are done (a crash, a limit) is told the same way, at the probe
    it ended in. An import that never finishes fails every check, and no later run is started: every run of
    the submission imports it.

    Args:
        runner: the grade's runner; its budget hears of the first hang (later runs are shortened after it).
        submission: the submission's source, as bytes.
        probes: the checks and the diagnostic probes, in order (their index is their slot's).
    """

    def __init__(self, runner: Runner, submission: bytes, probes: Sequence[Check]):
        self.runner, self.submission, self.probes = runner, submission, list(probes)
        self.source = Source(submission.decode(errors="replace"))
        self.values: Arrays = {}
        self.failed: Dict[int, str] = {}  # probe index -> why its check fails without being judged
        self.endings: Dict[int, str] = {}  # probe index -> how its run ended for it (report.TIMED_OUT, ...)
        self.hung_in: Dict[str, str] = {}  # a function that did not return -> the check that first showed it
        self.last: Optional[RunResult] = None  # the last run that went through its probes
        self.ended = ""  # how that run ended, when it ended otherwise than with exit status 0
        self.last_ending = ""  # the same as a report ending (report.CRASHED, ...), for the checks it fails

    def slot_of(self, index: int) -> str:
        return slot(index, self.probes[index])

    def check_of(self, index: int) -> str:
        name = self.probes[index].name
        return "" if name.startswith("diagnostic:") else name

    def run_all(self) -> None:
        left, per_call = list(range(len(self.probes))), 0.0
        while left:
            sent = inputs_of(self.probes, left)
            inputs = io.BytesIO()
            np.savez(inputs, **sent)
            with open(PROBE, "rb") as f:
                files = {"neuralnet.py": self.submission, "probe.py": f.read(), "inputs.npz": inputs.getvalue()}
            limit = Budget.STARTUP + per_call * len(left) if per_call else None
            run = self.runner.run(["probe.py", "neuralnet.py", "inputs.npz", "values.npz", PROGRESS, f"{per_call:g}"],
                                  files, ["values.npz", PROGRESS], "the api checks", limit)
            progress = read_progress(run.outputs.get(PROGRESS))
            raw = run.outputs.get("values.npz")
            if raw is not None:
                if len(raw) > OUTPUT_LIMIT:
                    raise ValueError(f"values.npz is larger than {size(OUTPUT_LIMIT)}")
                self.values.update(load_values(raw, sent))
            for index in left:
                if self.slot_of(index) in progress.hung:
                    self.failed[index], self.endings[index] = self.did_not_return(index, progress), report.TIMED_OUT
            done = [i for i in left if self.slot_of(i) in progress.done]
            if f"import/{ERROR}" in self.values or len(done) == len(left):
                self.last = run
                if run.status != 0 and f"import/{ERROR}" not in self.values:  # it ended badly after its probes
                    self.ended = why_run_failed(run)
                self.last_ending = report.run_ending(run) or (report.CRASHED if self.ended else "")
                return
            if not progress.imported:  # the import itself did not finish: nothing can be run
                self.import_failed(left, run)
                return
            ended = next(i for i in left if i not in done)
            self.failed[ended] = self.ended_in(ended, run, progress)
            self.endings[ended] = report.run_ending(run) or report.CRASHED
            left, per_call = [i for i in left if i > ended and i not in done], self.runner.budget.shortened(call=True)

    def did_not_return(self, index: int, progress: Progress, seconds: Optional[float] = None) -> str:
        """'timed out: `NN.train` did not return within 59 s', with where it was when that is another function,
        and the check that first showed that function not returning."""
        slot_name = self.slot_of(index)
        calls = progress.calls.get(slot_name, [])
        called = function_at(self.source, calls[-1][0], calls[-1][1]) if calls else PROBE_CALLS.get(
            self.probes[index].probe, self.probes[index].name)
        if seconds is None:  # interrupted by probe.py at its limit: it says where
            limit, name, line = progress.hung[slot_name]
            inner, within = function_at(self.source, name, line) if line else called, f"{limit:g}"
        else:  # the run was stopped: the seconds from the call to the run's end, whole ones
            inner, within = called, f"{int(seconds)}"
        said = f"timed out: `{called}` did not return within {within} s"
        if inner != called:
            said += f" (it was at {self.source.at(line)}, in `{inner}`)"
        if inner in self.hung_in:
            said += f": the same cause as {self.hung_in[inner]}"
        elif self.check_of(index):
            self.hung_in[inner] = self.check_of(index)
        self.runner.budget.hung(f"`{inner}` did not return", self.check_of(index))
        return said

    def ended_in(self, index: int, run: RunResult, progress: Progress) -> str:
        """Why the probe a run ended in fails: its call did not return in the run's time, or the run ended."""
        if run.out_of_time():
            calls = progress.calls.get(self.slot_of(index), [])
            since = calls[-1][2] if calls else progress.started.get(self.slot_of(index), 0.0)
            return self.did_not_return(index, progress, max(self.runner.budget.granted - since, 0.0))
        why = why_run_failed(run) if run.status != 0 else \
            f"the checks stopped before writing their values{report.quote(run.stderr)}"
        return f"{why} (while calling {self.probes[index].name.split(':', 1)[-1]})"

    def import_failed(self, left: Sequence[int], run: RunResult) -> None:
        """Every check left fails: the import did not finish (or no run could start)."""
        if run.out_of_time():
            why = f"timed out: importing the submission did not finish within {self.runner.budget.granted:g} s"
            self.runner.budget.hung(why.split(": ", 1)[1], self.check_of(left[0]), stop=True)
        elif run.status != 0:
            why = why_run_failed(run)
        else:
            why = f"the checks stopped before writing their values{report.quote(run.stderr)}"
        for index in left:
            self.failed[index], self.endings[index] = why, report.run_ending(run) or report.CRASHED


# The submission's function each probe calls (for a probe that ended before saying which it had called).
PROBE_CALLS = {"shuffle": "shuffle", "random_init": "random_init", "zero_init": "zero_init",
               "linear_weights": "Linear.__init__", "linear_forward": "Linear.forward", "linear_step": "Linear.step",
               "sigmoid_forward": "Sigmoid.forward", "softmax": "SoftMaxCrossEntropy._softmax",
               "cross_entropy": "SoftMaxCrossEntropy._cross_entropy",
               "softmax_cross_entropy_forward": "SoftMaxCrossEntropy.forward",
               "softmax_cross_entropy_backward": "SoftMaxCrossEntropy.backward", "nn_train": "NN.train",
               "nn_test": "NN.test"}


def api_and_trace(runner: Runner, submission: bytes, defined: Sequence[Check]) -> List[Result]:
    weight = [check_weight(c.name) for c in defined]
    runs = ProbeRuns(runner, submission, [*defined, *DIAGNOSTIC_PROBES])
    older = catalog.older_api(runs.source.tree or ast.Module(body=[], type_ignores=[]))
    try:
        runs.run_all()
        values = runs.values
        judged = [Verdict(False, runs.failed[i]) if i in runs.failed else verdict
                  for i, verdict in enumerate(verdicts(defined, values))]
        explained = explain_values(defined, judged, values, runs.source)
    except Exception as e:  # noqa: BLE001  (whatever the submission wrote there)
        stderr = runs.last.stderr if runs.last else ""
        why = f"unreadable values from the checks ({type(e).__name__}: {e}){report.quote(stderr)}"
        return [Result(c.name, False, why, w, ended=report.CRASHED) for c, w in zip(defined, weight)]
    imported = ERROR not in by_slot(values).get("import", {})
    other = catalog.weights_under_another_name(values)
    problem = (runs.last.problem if runs.last else "") or runs.ended
    results = []
    for index, (c, verdict, w) in enumerate(zip(defined, judged, weight)):
        passed, text = verdict
        lines = [text] if text else []
        if c.name in explained:
            lines = ([] if not passed or text.startswith("note:") else
                     ["note: the values pass, but the code shows a mistake:"]) + lines + explained[c.name]
        if other and not passed and "Linear.w" in text:  # no w, but a matrix of its shape under another name
            lines.append(catalog.mistake_line("weights-attribute-name",
                                              f"Linear(6, 4, ...) has no w, but a 4 x 7 matrix named {other[:100]}"))
        if problem:  # a limit hit during the last run fails every check, naming the limit
            passed = False
            lines.append(f"({problem})" if lines else problem)
        ended = "" if passed else report.NOT_IMPORTED if not imported else runs.endings.get(index, "") or \
            (runs.last_ending if problem else "")
        results.append(Result(c.name, passed, "\n".join(lines), w, catalog.mistake_ids(lines), ended=ended))
    own = by_slot(values).get(slot(len(defined) + 1, DIAGNOSTIC_PROBES[1]), {})
    return named_once(results, older, older_functions_judged(own) if older else [])


def named_once(results: List[Result], older: Optional[catalog.Finding], judged: Sequence[str] = ()) -> List[Result]:
    """The results, the first failing one also naming the older handout whose API the file follows (once), with
    what its own functions compute where they could be called (`judged`)."""
    if older is None:
        return results
    line = catalog.mistake_line(catalog.OLDER_HANDOUT_API.id, "\n  ".join([older.text, *judged]))
    for index, result in enumerate(results):
        if not result.passed:
            results[index] = result._replace(output="\n".join(filter(None, [result.output, line])),
                                             mistakes=tuple(dict.fromkeys(result.mistakes + (line.mistake_id,))))
            break
    return results
