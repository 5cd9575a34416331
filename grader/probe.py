"""Call a submission's functions and record what they return: nothing more.

    python probe.py neuralnet.py inputs.npz values.npz

This file runs inside the sandbox, in the submission's own process, so it decides
nothing: it imports the submission, calls each probe below on the inputs grade.py
sent (inputs.npz), and writes the values the submission returned to values.npz.
grade.py reads them back and judges them in its own process (grader/api.py).
A probe that raises records its error text instead of its values; the values it
recorded before the error are kept. Standard library and numpy only: this file is
copied into the sandbox, where nothing of the grader can be read.
"""
import importlib.util
import re
import sys
import traceback
from typing import Callable, Dict

import numpy as np

Values = Dict[str, object]


def _indexed(inputs: Dict[str, np.ndarray], prefix: str) -> list:
    """inputs prefix0, prefix1, ... in order."""
    return [inputs[f"{prefix}{i}"] for i in range(sum(1 for k in inputs if re.fullmatch(prefix + r"\d+", k)))]


def shuffle(nn, inp, out: Values) -> None:
    for epoch in inp["epochs"].tolist():
        out[f"X{epoch}"], out[f"y{epoch}"] = nn.shuffle(inp["X"], inp["y"], epoch)
    out["X after"], out["y after"] = inp["X"], inp["y"]  # the arguments, after the calls


def random_init(nn, inp, out: Values) -> None:
    for rows, cols in ((10, 5), (10, 1), (1, 10), (6, 7)):
        out[f"{rows}x{cols}"] = nn.random_init((rows, cols))
    out["6x7 again"] = nn.random_init((6, 7))  # seeded, it draws the same values again


def zero_init(nn, inp, out: Values) -> None:
    out["3x4"] = nn.zero_init((3, 4))


def linear_weights(nn, inp, out: Values) -> None:
    layer = nn.Linear(6, 4, nn.random_init, 0.1)
    if not hasattr(layer, "w"):  # a 4 x 7 matrix under another name?
        out[TEXT + "other weights"] = ", ".join(name for name, value in vars(layer).items()
                                                if isinstance(value, np.ndarray) and value.shape == (4, 7))
    out["random"] = layer.w
    out["zero"] = nn.Linear(6, 4, nn.zero_init, 0.1).w


def linear_forward(nn, inp, out: Values) -> None:
    layer = nn.Linear(5, 4, nn.zero_init, 0.0)
    layer.w = inp["w"]
    out["output"] = layer.forward(inp["x"])


def linear_assigned_weights(nn, inp, out: Values) -> None:
    layer = nn.Linear(1, 1, nn.zero_init, 0.0)  # the assigned w decides the sizes
    layer.w = inp["w"]
    out["output"] = layer.forward(inp["x"])
    layer.backward(np.ones_like(out["output"]))  # as the course's tests build gradients
    out["dw"] = layer.dw


def linear_backward(nn, inp, out: Values) -> None:
    layer = nn.Linear(7, 3, nn.zero_init, 0.0)
    layer.w = inp["w"]
    out["dx"] = layer.backward(np.ones_like(layer.forward(inp["x"])))
    out["dw"] = layer.dw


def linear_step(nn, inp, out: Values) -> None:
    layer = nn.Linear(7, 3, nn.zero_init, float(inp["learning_rate"]))
    layer.w = inp["w"].copy()
    layer.backward(np.ones_like(layer.forward(inp["x"])))
    layer.step()
    out["w"] = layer.w


def sigmoid_forward(nn, inp, out: Values) -> None:
    for i, x in enumerate(_indexed(inp, "x")):
        out[f"output{i}"] = nn.Sigmoid().forward(x)


def sigmoid_backward(nn, inp, out: Values) -> None:
    sigmoid = nn.Sigmoid()
    out["dx"] = sigmoid.backward(np.ones_like(sigmoid.forward(inp["x"])))


def softmax(nn, inp, out: Values) -> None:
    for i, z in enumerate(_indexed(inp, "z")):
        out[f"output{i}"] = nn.SoftMaxCrossEntropy()._softmax(z)


def cross_entropy(nn, inp, out: Values) -> None:
    out["loss"] = nn.SoftMaxCrossEntropy()._cross_entropy(int(inp["y"]), inp["y_hat"])


def softmax_cross_entropy_forward(nn, inp, out: Values) -> None:
    out["y_hat"], out["loss"] = nn.SoftMaxCrossEntropy().forward(inp["z"], int(inp["y"]))


def softmax_cross_entropy_backward(nn, inp, out: Values) -> None:
    out["gradient"] = nn.SoftMaxCrossEntropy().backward(int(inp["y"]), inp["y_hat"])
    out["y_hat after"] = np.array(inp["y_hat"], dtype=float)  # the argument, after the call (a copy was passed)


def older_random_init(shape):
    """An older handout's RANDOM init: drawn without the bias column (seeded with that
    shape's rows x cols), then a zero bias column put in front."""
    rows, cols = shape
    np.random.seed(rows * (cols - 1))
    return np.hstack([np.zeros((rows, 1)), np.random.uniform(-0.1, 0.1, (rows, cols - 1))])


def nn_forward_backward(nn, inp, out: Values) -> None:
    init = nn.zero_init if int(inp["older_random_init"]) == 0 else older_random_init
    network = nn.NN(input_size=5, hidden_size=4, output_size=10, weight_init_fn=init, learning_rate=1)
    y = int(inp["y"])
    out["y_hat"], out["loss"] = network.forward(inp["x"], y)
    network.backward(y, out["y_hat"])
    out["linear1.dw"], out["linear2.dw"] = network.linear1.dw, network.linear2.dw


def nn_loss(nn, inp, out: Values) -> None:
    """NN.forward with ZERO init on an input of 12 entries: the loss must be -log(1/10) whatever the input."""
    network = nn.NN(input_size=len(inp["x"]), hidden_size=4, output_size=10, weight_init_fn=nn.zero_init,
                    learning_rate=0.1)
    out["y_hat"], out["loss"] = network.forward(inp["x"], int(inp["y"]))


def nn_train(nn, inp, out: Values) -> None:
    network = nn.NN(input_size=inp["X_train"].shape[1], hidden_size=int(inp["hidden"]), output_size=10,
                    weight_init_fn=nn.random_init, learning_rate=float(inp["learning_rate"]))
    out["train losses"], out["validation losses"] = network.train(
        inp["X_train"], inp["y_train"], inp["X_validation"], inp["y_validation"], int(inp["epochs"]))
    out["linear1.w"], out["linear2.w"] = network.linear1.w, network.linear2.w


def nn_test(nn, inp, out: Values) -> None:
    network = nn.NN(input_size=inp["alpha"].shape[1] - 1, hidden_size=len(inp["alpha"]), output_size=10,
                    weight_init_fn=nn.zero_init, learning_rate=0.1)
    network.linear1.w, network.linear2.w = inp["alpha"].copy(), inp["beta"].copy()
    for split in ("train", "validation"):
        out[f"{split} labels"], out[f"{split} error"] = network.test(inp[f"X_{split}"], inp[f"y_{split}"])


def trace(nn, inp, out: Values) -> None:
    """RANDOM init, then SGD steps on the rows given, every quantity recorded as it appears."""
    network = nn.NN(input_size=inp["X"].shape[1], hidden_size=int(inp["hidden"]), output_size=10,
                    weight_init_fn=nn.random_init, learning_rate=float(inp["learning_rate"]))
    layers = ("linear2", "linear1")
    for layer in layers:
        out[f"0/{layer}.w"] = np.array(getattr(network, layer).w, dtype=float)  # copies: w may change in place
    for step, (x, label) in enumerate(zip(inp["X"], inp["y"].tolist()), start=1):
        y_hat, loss = network.forward(x, label)
        out[f"{step}/y_hat"], out[f"{step}/loss"] = np.array(y_hat, dtype=float), loss
        network.backward(label, y_hat)
        for layer in layers:
            out[f"{step}/{layer}.dw"] = np.array(getattr(network, layer).dw, dtype=float)
        network.step()
        for layer in layers:
            out[f"{step}/{layer}.w"] = np.array(getattr(network, layer).w, dtype=float)


# An older handout's module-level functions that take one vector, by their names spelt any way: what each computes
OLDER_FUNCTIONS = {"sigmoid": "sigmoid", "sigmoidforward": "sigmoid", "softmax": "softmax", "softmaxforward": "softmax"}


def older_functions(nn, inp, out: Values) -> None:
    """The file's own sigmoid and softmax functions, as older handouts named them, on one vector each (a function
    that raises records nothing)."""
    for name, value in sorted(vars(nn).items())[:2000]:
        kind = OLDER_FUNCTIONS.get(name.replace("_", "").lower())
        if kind and callable(value) and getattr(value, "__module__", None) == nn.__name__:
            try:
                out[f"{kind} {name}"] = value(inp["a"].copy())
            except Exception:  # noqa: BLE001  (the submission's code: recorded as nothing)
                pass


PROBES: Dict[str, Callable] = {f.__name__: f for f in (
    shuffle, random_init, zero_init, linear_weights, linear_forward, linear_assigned_weights, linear_backward,
    linear_step, sigmoid_forward, sigmoid_backward, softmax, cross_entropy, softmax_cross_entropy_forward,
    softmax_cross_entropy_backward, nn_forward_backward, nn_loss, nn_train, nn_test, trace, older_functions)}
ERROR = "error"  # the key under which a probe's error text is recorded
RUN = "_run"  # an input that only says: run this probe
TEXT = "text:"  # a value recorded as text, not numbers
TEXT_LIMIT = 2000
IMPORTED = "(no argument: the grader imported the file, it did not run it)"


def missing_name(error: BaseException) -> str:
    """'Linear.dw' for an AttributeError that says a handout name is absent, else ''."""
    text = str(error)
    match = re.search(r"module '[^']*' has no attribute '(\w+)'", text)
    if match:
        return match.group(1)
    match = re.search(r"(?:type object )?'(\w+)'(?: object)? has no attribute '(\w+)'", text)
    return f"{match.group(1)}.{match.group(2)}" if match else ""


def describe_error(error: BaseException) -> str:
    """One or two lines: what was raised, and the submission's line that raised it."""
    missing = missing_name(error) if isinstance(error, AttributeError) else ""
    if missing:
        return f"missing: {missing}"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith("neuralnet.py")]
    where = f" (neuralnet.py line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"[:TEXT_LIMIT]


def as_array(value: object) -> np.ndarray:
    """A returned value as a float array; raises TypeError for anything that is not numbers."""
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"returned {type(value).__name__}, not numbers") from e
    return array


def run_probe(module, name: str, inputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """One probe on a module: {value name: float array}, plus ERROR's text if it raised."""
    out: Values = {}
    values: Dict[str, np.ndarray] = {}
    try:
        with np.errstate(all="ignore"):
            PROBES[name](module, {k: v.copy() for k, v in inputs.items()}, out)
    except BaseException as e:  # noqa: B036  (the submission's code may raise anything, SystemExit too)
        values[ERROR] = np.array(describe_error(e))
    for key, value in out.items():
        if key.startswith(TEXT):
            values[key] = np.array(str(value)[:TEXT_LIMIT])
            continue
        try:
            values[key] = as_array(value)
        except TypeError as e:
            values.setdefault(ERROR, np.array(f"{key}: {e}"))
            break
    return values


def load_submission(path: str):
    spec = importlib.util.spec_from_file_location("submission", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["submission"] = module
    spec.loader.exec_module(module)
    return module


def main(argv) -> int:
    submission, inputs_path, values_path = argv
    with np.load(inputs_path, allow_pickle=False) as f:
        inputs = {key: f[key] for key in f.files}
    by_slot: Dict[str, Dict[str, np.ndarray]] = {}  # 'index-probe' -> its inputs
    for key, value in inputs.items():
        slot, name = key.split("/", 1)
        by_slot.setdefault(slot, {})
        if name != RUN:
            by_slot[slot][name] = value
    # Importing must run nothing; if it reads the command line, these arguments say why that fails.
    sys.argv = [submission] + [IMPORTED] * 9
    values: Dict[str, np.ndarray] = {}
    try:
        module = load_submission(submission)
    except BaseException as e:  # noqa: B036  (SyntaxError, ImportError, SystemExit, ...)
        lines = "".join(traceback.format_exception_only(type(e), e)).rstrip().splitlines()[-6:]
        values["import/" + ERROR] = np.array("\n".join(line[:TEXT_LIMIT] for line in lines))  # quoted by grade.py
    else:
        for slot, slot_inputs in by_slot.items():
            probe = slot.split("-", 1)[1]
            values.update({f"{slot}/{key}": value for key, value in run_probe(module, probe, slot_inputs).items()})
    np.savez(values_path, **values)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
