"""The api and trace checks: inputs in, values back, verdicts out.

Each check names a probe (grader/probe.py), the inputs sent to it, and what its
values must be. The probe runs in the submission's process; everything here runs
in the grader's: expectations come from the handout's vectors (data/unittest_data.pk),
closed formulas, the naive oracle (benchmarks/naive_neuralnet.py) and this project's
neuralnet.py, and are never written anywhere. tests.py runs the same checks on this
project's neuralnet.py in-process (run_in_process).
"""
import importlib.util
import io
import os
import pickle
import zipfile
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

# isort: off
import neuralnet  # before numpy: it keeps BLAS to one thread
import numpy as np
# isort: on

from grader import catalog, probe, report
from grader.probe import ERROR
from grader.report import Result, why_run_failed
from grader.runner import OUTPUT_LIMIT, Runner, size

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = os.path.join(HERE, "grader", "probe.py")
POINTS = {"api": 1, "trace": 5}  # per check
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


def all_checks(data_folder: str) -> List[Check]:
    return api_checks(data_folder) + [trace_check(data_folder)]


def slot(index: int, c: Check) -> str:
    """The name under which a check's inputs and values travel: two checks may share a probe."""
    return f"{index}-{c.probe}"


def inputs_of(checks: Sequence[Check]) -> Arrays:
    """Every check's inputs, keyed 'slot/name' as probe.py reads them; '_run' marks a check without any."""
    inputs = {}
    for index, c in enumerate(checks):
        inputs[f"{slot(index, c)}/{probe.RUN}"] = np.array(0)
        inputs.update({f"{slot(index, c)}/{name}": np.asarray(value) for name, value in c.inputs.items()})
    return inputs


def verdicts(checks: Sequence[Check], values: Arrays) -> List[Verdict]:
    """Each check's verdict given every value the probes returned."""
    grouped: Dict[str, Arrays] = {}
    for key, value in values.items():
        where, _, name = key.partition("/")
        grouped.setdefault(where, {})[name] = value
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


def run_in_process(module, checks: Sequence[Check]) -> List[Verdict]:
    """The checks on an imported module, without a sandbox: for this project's own tests."""
    return [c.judge(probe.run_probe(module, c.probe, c.inputs)) for c in checks]


# ----------------------------------------------------------------------------
# api and trace: one run of probe.py; its values judged here
# ----------------------------------------------------------------------------

def api_and_trace(runner: Runner, submission: bytes, defined: Sequence[Check]) -> List[Result]:
    sent = inputs_of(defined)
    inputs = io.BytesIO()
    np.savez(inputs, **sent)
    with open(PROBE, "rb") as f:
        files = {"neuralnet.py": submission, "probe.py": f.read(), "inputs.npz": inputs.getvalue()}
    run = runner.run(["probe.py", "neuralnet.py", "inputs.npz", "values.npz"], files, ["values.npz"],
                      "importing the submission")
    weight = [POINTS[c.name.split(":", 1)[0]] for c in defined]
    raw = run.outputs.get("values.npz")
    if run.status != 0 or raw is None:
        why = why_run_failed(run) if run.status != 0 else \
            f"the checks stopped before writing their values{report.quote(run.stderr)}"
        return [Result(c.name, False, why, w) for c, w in zip(defined, weight)]
    try:
        if len(raw) > OUTPUT_LIMIT:
            raise ValueError(f"values.npz is larger than {size(OUTPUT_LIMIT)}")
        values = load_values(raw, sent)
        judged = verdicts(defined, values)
    except Exception as e:  # noqa: BLE001  (whatever the submission wrote there)
        why = f"unreadable values from the checks ({type(e).__name__}: {e}){report.quote(run.stderr)}"
        return [Result(c.name, False, why, w) for c, w in zip(defined, weight)]
    other = catalog.weights_under_another_name(values)
    results = []
    for c, verdict, w in zip(defined, judged, weight):
        passed, text = verdict
        lines = [text] if text else []
        if other and not passed and "Linear.w" in text:  # no w, but a matrix of its shape under another name
            lines.append(catalog.mistake_line("weights-attribute-name",
                                              f"Linear(6, 4, ...) has no w, but a 4 x 7 matrix named {other[:100]}"))
        if run.problem:  # a limit hit during the run fails every check, naming the limit
            passed = False
            lines.append(f"({run.problem})" if lines else run.problem)
        results.append(Result(c.name, passed, "\n".join(lines), w, catalog.mistake_ids(lines)))
    return results
