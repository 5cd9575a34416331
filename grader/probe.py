"""Call a submission's functions and record what they return: nothing more.

    python probe.py neuralnet.py inputs.npz values.npz progress.txt SECONDS

This file runs inside the sandbox, in the submission's own process, so it decides
nothing: it imports the submission, calls each probe below on the inputs grade.py
sent (inputs.npz), and writes the values the submission returned to values.npz.
grade.py reads them back and judges them in its own process (grader/api.py).
A probe that raises records its error text instead of its values; the values it
recorded before the error are kept. Standard library and numpy only: this file is
copied into the sandbox, where nothing of the grader can be read.

So that a call that never returns costs only the checks that need it, the probe says
as it goes what it is doing, in progress.txt (Progress below): the import started and
finished, each probe started and done, and each of the submission's functions it calls;
and it rewrites values.npz after each probe. When the run is stopped for its time,
grade.py reads there which call did not return, judges the values of the probes done,
and runs the probes left again without it. SECONDS, when not 0, is how long each
probe may take before it is interrupted here and recorded as not returning, so that
the probes after it still run (grade.py gives it once a call has been seen to hang).
"""
import importlib.util
import os
import re
import signal
import sys
import threading
import time
import traceback
from typing import Callable, Dict, Optional

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
HUNG = "did not return within"  # a probe interrupted for its time: its error, before the seconds


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


class DidNotReturn(BaseException):
    """Raised into a probe whose time is up (a BaseException, so that the submission's `except Exception` lets
    it through)."""


class Limit:
    """At most `seconds` for the block: then DidNotReturn is raised in this (the main) thread, between two of its
    bytecodes or out of a sleep. POSIX: SIGALRM from a real-time timer. Windows, which has neither: a timer
    thread that interrupts the main thread (a sleep there is not cut short). 0 seconds: no limit."""

    def __init__(self, seconds: float):
        self.seconds, self.fired = seconds, False

    def _fire(self, *_) -> None:
        self.fired = True
        if hasattr(signal, "setitimer"):
            raise DidNotReturn()
        import _thread
        _thread.interrupt_main()

    def __enter__(self) -> "Limit":
        if self.seconds > 0:
            if hasattr(signal, "setitimer"):
                self.before = signal.signal(signal.SIGALRM, self._fire)
                signal.setitimer(signal.ITIMER_REAL, self.seconds)
            else:
                self.timer = threading.Timer(self.seconds, self._fire)
                self.timer.daemon = True
                self.timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.seconds > 0:
            if hasattr(signal, "setitimer"):
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, self.before)
            else:
                self.timer.cancel()


class Progress:
    """What the probe is doing, one line each, flushed as it goes (grade.py reads it when a run is stopped):
        imported                        the submission imported
        probe SLOT SECONDS              a probe started, SECONDS after the probe did
        call NAME LINE SECONDS          it called the submission's function NAME (defined at LINE)
        hung SLOT SECONDS NAME LINE     the probe's limit of SECONDS ran out while at LINE, in NAME
        done SLOT                       the probe is done, its values written
    Only calls made by the probe itself are listed (a profile hook sees each call's caller), not those made
    inside the submission."""

    def __init__(self, path: Optional[str], submission: str):
        self.file = open(path, "w") if path else None  # noqa: SIM115  (open for the whole run)
        self.submission, self.started = submission, time.monotonic()

    def say(self, *words: object) -> None:
        if self.file is not None:
            self.file.write(" ".join(str(w).replace("\n", " ")[:200] for w in words) + "\n")
            self.file.flush()

    def seconds(self) -> str:
        return f"{time.monotonic() - self.started:.3f}"

    def watch_calls(self) -> None:
        """Say each call of the submission's functions that this file makes."""
        here, submission = watch_calls_from, self.submission

        def profile(frame, event, arg):
            if event == "call" and frame.f_code.co_filename == submission and frame.f_back is not None and \
                    frame.f_back.f_code.co_filename == here:
                self.say("call", frame.f_code.co_name, frame.f_code.co_firstlineno, self.seconds())
        if self.file is not None:
            sys.setprofile(profile)


watch_calls_from = sys._getframe().f_code.co_filename  # this file, as its code objects name it


def where_in(error: BaseException, submission: str) -> str:
    """'NAME LINE' of the submission's innermost frame when the error was raised ('? 0' when none)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == submission]
    return f"{frames[-1].name} {frames[-1].lineno}" if frames else "? 0"


def run_probe(module, name: str, inputs: Dict[str, np.ndarray], seconds: float = 0,
              progress: Optional[Progress] = None, slot: str = "") -> Dict[str, np.ndarray]:
    """One probe on a module: {value name: float array}, plus ERROR's text if it raised; with `seconds`, a probe
    still running then is interrupted and its error says it did not return (progress hears where it was)."""
    out: Values = {}
    values: Dict[str, np.ndarray] = {}
    limit = Limit(seconds)
    try:
        with np.errstate(all="ignore"), limit:
            PROBES[name](module, {k: v.copy() for k, v in inputs.items()}, out)
    except (DidNotReturn, KeyboardInterrupt) as e:
        if not limit.fired:  # a KeyboardInterrupt of the submission's own
            values[ERROR] = np.array(describe_error(e))
        else:
            values[ERROR] = np.array(f"{HUNG} {seconds:g} s")
            if progress is not None:
                progress.say("hung", slot, f"{seconds:g}", where_in(e, getattr(module, "__file__", "")))
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


def write_values(path: str, values: Dict[str, np.ndarray]) -> None:
    """values.npz replaced whole, so that a run stopped meanwhile leaves the last complete one."""
    with open(path + ".partial", "wb") as f:
        np.savez(f, **values)
    os.replace(path + ".partial", path)


def main(argv) -> int:
    submission, inputs_path, values_path, progress_path, seconds = (list(argv) + ["", "0"])[:5]
    progress = Progress(progress_path or None, submission)
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
        progress.say("imported")
        progress.submission = getattr(module, "__file__", submission)  # as its code objects name it
        progress.watch_calls()
        for slot, slot_inputs in by_slot.items():
            progress.say("probe", slot, progress.seconds())
            probe = slot.split("-", 1)[1]
            found = run_probe(module, probe, slot_inputs, float(seconds), progress, slot)
            values.update({f"{slot}/{key}": value for key, value in found.items()})
            write_values(values_path, values)
            progress.say("done", slot)
        sys.setprofile(None)
    write_values(values_path, values)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
