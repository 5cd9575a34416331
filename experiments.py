"""The handout's empirical questions (section 3), one subcommand each.

    python3 experiments.py hidden-units      # Q1: final cross-entropy vs hidden units -> hidden_units.png
    python3 experiments.py learning-rates    # Q2: curves for lr 0.03, 0.003, 0.0003 -> lr_*.png
    python3 experiments.py zero-init         # Q3: weights after the first ZERO-init updates -> zero_init_weights.txt
    python3 experiments.py depth             # Q4: one vs two hidden layers -> one_vs_two_layers.png
    python3 experiments.py misclassified     # Q5: misclassified training rows -> misclassified.csv/.png
    python3 experiments.py curves METRICS [METRICS ...]  # curves of metrics files the CLI wrote -> curves.png
    python3 experiments.py weights           # every hidden unit's input weights as an image -> weights.png
    python3 experiments.py confusion         # validation confusion matrix -> confusion.png
    python3 experiments.py all               # everything above into --out (curves of its own runs)

`python3 experiments.py COMMAND --help` lists a subcommand's options. Every
subcommand takes --train/--validation (default: the course small set,
data/small_*.csv, or in the folder $NEURALNET_DATA names), --out DIR (default
out/), --epochs N (override every run's epochs, for a quick look) and --jobs N
(parallel training runs; default: the number of cores). Rows are numbered
from 0 (row 0 is a file's first line). Arguments, input files, the output
folder and matplotlib are all checked before any training starts. Each figure
also gets a CSV of the numbers it plots. Progress goes to stderr.

Uses neuralnet.py's NN for every run; matplotlib only for the figures.
"""
import argparse
import csv
import multiprocessing
import os
import sys
import tempfile
import warnings
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

# isort: off
import neuralnet  # before numpy: it keeps BLAS to one thread, here and in the pool's workers
import numpy as np
# isort: on

import compare
import course_data
from neuralnet import INIT_FUNCTIONS, LETTERS, NN, shuffle, zero_init

HIDDEN_UNITS = [5, 20, 50, 100, 200]
LEARNING_RATES = [0.03, 0.003, 0.0003]
# Line styles that tell curves apart without colour: (linestyle, marker).
STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D")]


class Run(NamedTuple):
    """One training run of the handout's setup (small set, RANDOM init unless said)."""
    hidden: Union[int, Tuple[int, ...]]
    lr: float
    epochs: int
    init_flag: int = 1


class Curves(NamedTuple):
    train: List[float]
    validation: List[float]
    train_error: float = float("nan")
    validation_error: float = float("nan")


DEFAULT_EPOCHS = 100
WEIGHTS_RUN = Run(32, 0.01, DEFAULT_EPOCHS)  # weights and confusion: a network that has learned strokes


def curve_runs(epochs: Optional[int]) -> Dict[str, List[Run]]:
    """The training runs behind each command that draws curves: the one table both the
    single commands and `all` (which trains their union once) read."""
    n = DEFAULT_EPOCHS if epochs is None else epochs
    return {"hidden-units": [Run(h, 0.001, n) for h in HIDDEN_UNITS],
            "learning-rates": [Run(50, lr, n) for lr in LEARNING_RATES],
            "depth": [Run(50, 0.003, n), Run((50, 50), 0.003, n)]}


# ----------------------------------------------------------------------------
# Data and training
# ----------------------------------------------------------------------------

def default_data() -> Tuple[str, str]:
    """The course small set in data/ (or in the folder NEURALNET_DATA names)."""
    folder = course_data.folder()
    return os.path.join(folder, "small_train.csv"), os.path.join(folder, "small_validation.csv")


def build(run: Run, input_size: int) -> NN:
    return NN(input_size=input_size, hidden_size=run.hidden, output_size=len(LETTERS),
              weight_init_fn=INIT_FUNCTIONS[run.init_flag], learning_rate=run.lr)


def describe(run: Run) -> str:
    hidden = ",".join(map(str, run.hidden)) if isinstance(run.hidden, tuple) else run.hidden
    return f"hidden {hidden}, lr {run.lr}, init {'RANDOM' if run.init_flag == 1 else 'ZERO'}"


def train_run(task: Tuple[Run, Tuple[np.ndarray, ...]]) -> Curves:
    """Train one run; print progress (about ten lines) on stderr."""
    run, (X_tr, y_tr, X_val, y_val) = task
    every = max(1, run.epochs // 10)

    def progress(epoch: int, loss_tr: float, loss_va: float) -> None:
        if epoch % every == 0 or epoch == run.epochs:
            print(f"[{describe(run)}] epoch {epoch} of {run.epochs}: train {loss_tr:.4f}, "
                  f"validation {loss_va:.4f}", file=sys.stderr, flush=True)

    nn = build(run, X_tr.shape[1])
    losses = nn.train(X_tr, y_tr, X_val, y_val, run.epochs, on_epoch=progress)
    return Curves(*losses, nn.test(X_tr, y_tr)[1], nn.test(X_val, y_val)[1])


def train_all(runs: Sequence[Run], data: Tuple[np.ndarray, ...], jobs: int) -> Dict[Run, Curves]:
    """Train each distinct run once, in up to `jobs` processes."""
    unique = list(dict.fromkeys(runs))
    tasks = [(run, data) for run in unique]
    if jobs > 1 and len(tasks) > 1:
        with multiprocessing.Pool(min(jobs, len(tasks))) as pool:
            results = pool.map(train_run, tasks, chunksize=1)
    else:
        results = [train_run(task) for task in tasks]
    return dict(zip(unique, results))


# ----------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------

def pyplot():
    """matplotlib's pyplot on the Agg backend. Its import's own warnings (such as a newer pyparsing's
    deprecations under an older matplotlib) are the library's business, not the user's: silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import matplotlib
        except ImportError:
            raise ExperimentError("matplotlib is not installed: python3 -m pip install matplotlib "
                                  "(or -r requirements-dev.txt)") from None
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    return plt


def save_figure(fig, path: str) -> None:
    """Save at 120 dpi, cropped to what is drawn (legends sit outside the axes)."""
    fig.tight_layout()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    pyplot().close(fig)
    print(f"wrote {path}", file=sys.stderr)


def legend_outside(ax) -> None:
    """The legend right of the axes, top-aligned: it can never cover a curve."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8)


def write_csv(path: str, header: Sequence[str], rows: Sequence[Sequence]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {path}", file=sys.stderr)


def plot_curves(path: str, title: str, series: Sequence[Tuple[str, List[float]]],
                y_limits: Optional[Tuple[float, float]] = None) -> None:
    """Per-epoch mean cross-entropy curves on one figure, plus their CSV; y_limits (bottom, top) fixes
    the y axis (figures meant to be compared), None lets matplotlib fit it to these curves."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (label, values), (linestyle, marker) in zip(series, STYLES):
        epochs = np.arange(1, len(values) + 1)
        ax.plot(epochs, values, linestyle=linestyle, marker=marker, markevery=max(1, len(values) // 10),
                label=label)
    ax.set(title=title, xlabel="epoch", ylabel="mean cross-entropy (nats)")
    if y_limits is not None:
        ax.set_ylim(*y_limits)
    legend_outside(ax)
    ax.grid(alpha=0.3)
    save_figure(fig, path)
    n = max(len(values) for _, values in series)
    write_csv(os.path.splitext(path)[0] + ".csv", ["epoch", *[label for label, _ in series]],
              [[e + 1, *[values[e] if e < len(values) else "" for _, values in series]] for e in range(n)])


def hidden_units(out: str, runs: Sequence[Run], trained: Dict[Run, Curves]) -> None:
    sizes = [r.hidden for r in runs]
    final_tr = [trained[r].train[-1] for r in runs]
    final_va = [trained[r].validation[-1] for r in runs]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (label, values), (linestyle, marker) in zip((("train", final_tr), ("validation", final_va)), STYLES):
        ax.plot(sizes, values, linestyle=linestyle, marker=marker, label=label)
    ax.set_xscale("log")
    ax.set_xticks(sizes)
    ax.set_xticklabels([str(h) for h in sizes])
    ax.set(title=f"Final-epoch cross-entropy vs hidden units ({runs[0].epochs} epochs, lr 0.001)",
           xlabel="hidden units (log scale)", ylabel="mean cross-entropy (nats)")
    legend_outside(ax)
    ax.grid(alpha=0.3)
    save_figure(fig, os.path.join(out, "hidden_units.png"))
    write_csv(os.path.join(out, "hidden_units.csv"), ["hidden_units", "train", "validation"],
              list(zip(sizes, final_tr, final_va)))


def shared_y_limits(curves: Sequence[Curves]) -> Tuple[float, float]:
    """One y range for figures meant to be compared: from 0 (no cross-entropy is lower) to 5% above the
    highest value of any of them."""
    top = max(max(c.train + c.validation, default=0.0) for c in curves)
    return 0.0, (1.05 * top if np.isfinite(top) and top > 0 else 1.0)


def learning_rates(out: str, runs: Sequence[Run], trained: Dict[Run, Curves], y_range: str = "shared") -> None:
    """One figure per learning rate; y_range 'shared' gives them one y axis, 'own' fits each to its curves."""
    limits = shared_y_limits([trained[run] for run in runs]) if y_range == "shared" else None
    for run in runs:
        curves = trained[run]
        plot_curves(os.path.join(out, f"lr_{run.lr}.png"),
                    f"Cross-entropy per epoch, learning rate {run.lr} (50 hidden units)",
                    [("train", curves.train), ("validation", curves.validation)], limits)


def depth(out: str, runs: Sequence[Run], trained: Dict[Run, Curves]) -> None:
    one, two = runs
    plot_curves(os.path.join(out, "one_vs_two_layers.png"),
                "One vs two hidden layers of 50 units (lr 0.003)",
                [("1 hidden layer, train", trained[one].train),
                 ("1 hidden layer, validation", trained[one].validation),
                 ("2 hidden layers, train", trained[two].train),
                 ("2 hidden layers, validation", trained[two].validation)])


def zero_init_weights(out: str, data, updates: int = 3, hidden: int = 4, lr: float = 0.1) -> None:
    """Print alpha and beta after each of the first SGD updates from ZERO init."""
    X_tr, y_tr = data[0], data[1]
    nn = NN(input_size=X_tr.shape[1], hidden_size=hidden, output_size=len(LETTERS),
            weight_init_fn=zero_init, learning_rate=lr)
    X_shuffled, y_shuffled = shuffle(X_tr, y_tr, 0)  # epoch 0's order, as the CLI trains
    lines = [f"ZERO init, {hidden} hidden units, learning rate {lr}: alpha ({hidden} x {X_tr.shape[1] + 1}) "
             f"and beta ({len(LETTERS)} x {hidden + 1}) after each of the first {updates} SGD updates.",
             "Column 0 is the bias. Rows of beta are classes; its columns 1.. are the hidden units.", ""]
    worst_alpha = worst_beta = 0.0  # largest difference between hidden units
    with np.printoptions(precision=7, suppress=True, linewidth=160, threshold=10 ** 6):
        for step in range(updates):
            x, label = X_shuffled[step], int(y_shuffled[step])
            y_hat, loss = nn.forward(x, label)
            nn.backward(label, y_hat)
            nn.step()
            alpha, beta = nn.linear1.w, nn.linear2.w
            columns = np.flatnonzero(alpha.any(axis=0))
            alpha_spread = float(np.abs(alpha - alpha[0]).max())
            beta_spread = float(np.abs(beta[:, 1:] - beta[:, 1:2]).max())
            worst_alpha, worst_beta = max(worst_alpha, alpha_spread), max(worst_beta, beta_spread)
            lines += [f"== after update {step + 1} (training row with label {label} = '{LETTERS[label]}', "
                      f"loss {loss:.6f})",
                      "alpha, one line per input column with a non-zero weight, one value per hidden unit:"
                      if columns.size else "alpha: all zero",
                      *[f"  column {c:3d}: {alpha[:, c]}" for c in columns],
                      "beta:", str(beta),
                      f"largest difference between rows of alpha: {alpha_spread:.3g}; "
                      f"between hidden-unit columns of beta: {beta_spread:.3g}", ""]
    scale = max(float(np.abs(nn.linear1.w).max()), float(np.abs(nn.linear2.w).max()), 1e-300)
    if max(worst_alpha, worst_beta) <= 1e-12 * scale:
        exact = "exactly" if worst_alpha == worst_beta == 0 else "up to float rounding, below 1e-12 relative"
        lines.append(f"Conclusion: after every update all rows of alpha are equal and all hidden columns of "
                     f"beta are equal ({exact}): from ZERO init every hidden unit gets the same gradient and "
                     "stays identical, so the network acts as if it had a single hidden unit.")
    else:
        lines.append("Conclusion: the hidden units are NOT all identical in these numbers.")
    path = os.path.join(out, "zero_init_weights.txt")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}", file=sys.stderr)


def misclassified(out: str, data, epochs: Optional[int], rows: Optional[List[int]] = None) -> None:
    """The handout's default run (2 4 2 0.1), trained here; list and draw misclassified training rows.

    Rows are counted from 0, as in the handout's incorrect_label.csv; `rows` were checked by check_data."""
    X_tr, y_tr, X_val, y_val = data
    run = Run(4, 0.1, 2 if epochs is None else epochs, init_flag=2)
    nn = build(run, X_tr.shape[1])
    nn.train(X_tr, y_tr, X_val, y_val, run.epochs)
    predicted, error = nn.test(X_tr, y_tr)
    wrong = np.flatnonzero(predicted != y_tr)
    write_csv(os.path.join(out, "misclassified.csv"),
              ["index", "true_label", "true_letter", "predicted_label", "predicted_letter"],
              [[i, y_tr[i], LETTERS[y_tr[i]], predicted[i], LETTERS[predicted[i]]] for i in wrong])
    print(f"{len(wrong)} of {len(y_tr)} training rows misclassified ({describe(run)}, "
          f"{run.epochs} epochs; error {error})", file=sys.stderr)
    if rows is None:
        rows = [int(i) for i in wrong if i < 10][:3] or [int(i) for i in wrong[:3]]
    plt = pyplot()
    fig, axes = plt.subplots(1, max(1, len(rows)), figsize=(2.2 * max(1, len(rows)), 3.6), squeeze=False)
    for ax, i in zip(axes[0], rows):
        ax.imshow(X_tr[i].reshape(16, 8), cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"row {i}\ntrue '{LETTERS[y_tr[i]]}', predicted '{LETTERS[predicted[i]]}'", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if not rows:
        axes[0][0].set_axis_off()
        axes[0][0].set_title("no misclassified rows")
    fig.suptitle("Training images (16x8) and the network's predictions\n(rows counted from 0: row 0 is the "
                 "file's first line)", fontsize=10)
    save_figure(fig, os.path.join(out, "misclassified.png"))


class ExperimentError(Exception):
    """A bad file or option: one line on stderr, exit status 1."""


def read_curves(path: str) -> Curves:
    """A metrics file the command line wrote, as per-epoch curves and the error rates."""
    try:
        rows = compare.read_metrics(path)
    except compare.FormatError as e:
        raise ExperimentError(str(e)) from None
    curves: Dict[str, List[float]] = {"train": [], "validation": []}
    errors: Dict[str, float] = {}
    for number, (key, value) in enumerate(rows, start=1):
        split = key[key.index("(") + 1:-1]
        if key.startswith("epoch="):
            if int(key[6:key.index(" ")]) != len(curves[split]) + 1:
                raise ExperimentError(f"{path}: line {number}: {key!r} is out of order")
            curves[split].append(value)
        else:
            errors[split] = value
    if len(curves["train"]) != len(curves["validation"]) or set(errors) != {"train", "validation"}:
        raise ExperimentError(f"{path}: line {len(rows)}: incomplete: expected both cross-entropies for "
                              "every epoch, then error(train) and error(validation)")
    return Curves(curves["train"], curves["validation"], errors["train"], errors["validation"])


def file_names(paths: Sequence[str]) -> List[str]:
    """Each file's name, or its relative path where two files share a name."""
    names = [os.path.basename(path) for path in paths]
    if len(set(names)) < len(names):
        names = [os.path.relpath(path) for path in paths]
    return names


def curves(out: str, paths: Sequence[str], title: str = "Cross-entropy per epoch",
           labels: Optional[Sequence[str]] = None) -> None:
    """Train and validation curves of metrics files: one colour per file, line style per split.

    labels name the files' runs in the legend (default: the file names); the CSV names the files."""
    runs = {path: read_curves(path) for path in paths}
    names = file_names(paths)
    shown = list(labels) if labels else names
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    colours = plt.get_cmap("tab10")
    for i, (label, run) in enumerate(zip(shown, runs.values())):
        epochs = np.arange(1, len(run.train) + 1)
        ax.plot(epochs, run.train, color=colours(i % 10), linestyle="-", label=f"{label}, train")
        ax.plot(epochs, run.validation, color=colours(i % 10), linestyle="--", label=f"{label}, validation")
    ax.set(title=title, xlabel="epoch", ylabel="mean cross-entropy (nats)")
    legend_outside(ax)
    ax.grid(alpha=0.3)
    save_figure(fig, os.path.join(out, "curves.png"))
    write_csv(os.path.join(out, "curves.csv"), ["file", "epoch", "train", "validation"],
              [[name, e + 1, run.train[e], run.validation[e]]
               for name, run in zip(names, runs.values()) for e in range(len(run.train))])


def trained_network(run: Run, data) -> NN:
    X_tr, y_tr, X_val, y_val = data
    nn = build(run, X_tr.shape[1])
    nn.train(X_tr, y_tr, X_val, y_val, run.epochs)
    print(f"trained [{describe(run)}] for {run.epochs} epochs", file=sys.stderr)
    return nn


def weights(out: str, nn: NN, run: Run) -> None:
    """Every first-layer hidden unit's input weights (bias left out) as a 16x8 image."""
    alpha = nn.linear1.w  # its 16x8 inputs were checked before training (check_data)
    units = alpha.shape[0]
    columns = min(units, 8)
    rows = -(-units // columns)
    scale = float(np.abs(alpha[:, 1:]).max()) or 1.0  # one symmetric scale for every unit
    plt = pyplot()
    fig, axes = plt.subplots(rows, columns, figsize=(1.1 * columns + 1.2, 2.0 * rows + 0.8), squeeze=False)
    for unit, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if unit >= units:
            ax.set_axis_off()
            continue
        image = ax.imshow(alpha[unit, 1:].reshape(16, 8), cmap="RdBu_r", vmin=-scale, vmax=scale,
                          interpolation="nearest")
        ax.set_title(f"unit {unit + 1}", fontsize=8)
    fig.suptitle(f"First-layer weights of each hidden unit as a 16x8 image\n({describe(run)}, {run.epochs} epochs; "
                 "red: ink raises the unit's input, blue: lowers it)", fontsize=10)
    fig.tight_layout()
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="weight")
    fig.savefig(os.path.join(out, "weights.png"), dpi=120)
    plt.close(fig)
    print(f"wrote {os.path.join(out, 'weights.png')}", file=sys.stderr)
    write_csv(os.path.join(out, "weights.csv"), ["unit", "bias", *[f"p{i}" for i in range(1, 129)]],
              [[unit + 1, *alpha[unit].tolist()] for unit in range(units)])


def confusion(out: str, nn: NN, data, run: Run) -> np.ndarray:
    """The validation confusion matrix: rows the true letter, columns the predicted one."""
    X_val, y_val = data[2], data[3]
    predicted, error = nn.test(X_val, y_val)
    k = len(LETTERS)
    matrix = np.zeros((k, k), dtype=int)
    np.add.at(matrix, (y_val, predicted), 1)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    image = ax.imshow(matrix, cmap="Blues")
    for (true, guess), count in np.ndenumerate(matrix):
        if count:
            ax.text(guess, true, str(count), ha="center", va="center", fontsize=8,
                    color="white" if count > matrix.max() / 2 else "black")
    ax.set_xticks(range(k))
    ax.set_xticklabels(LETTERS)
    ax.set_yticks(range(k))
    ax.set_yticklabels(LETTERS)
    ax.set(title=f"Validation confusion matrix (error {error:.2f})\n{describe(run)}, {run.epochs} epochs",
           xlabel="predicted letter", ylabel="true letter")
    fig.colorbar(image, ax=ax, label="validation rows")
    save_figure(fig, os.path.join(out, "confusion.png"))
    write_csv(os.path.join(out, "confusion.csv"), ["true\\predicted", *LETTERS],
              [[LETTERS[i], *matrix[i].tolist()] for i in range(k)])
    pairs = sorted(((matrix[i, j] + matrix[j, i], LETTERS[i], LETTERS[j]) for i in range(k) for j in range(i + 1, k)),
                   reverse=True)
    print("most confused pairs (both directions): "
          + ", ".join(f"{a}/{b} {n}" for n, a, b in pairs[:5] if n), file=sys.stderr)
    return matrix


def write_metrics_files(folder: str, trained: Dict[Run, Curves]) -> List[str]:
    """Metrics files, as the command line writes them, for runs trained here."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    for run, result in trained.items():
        hidden = "-".join(map(str, run.hidden)) if isinstance(run.hidden, tuple) else run.hidden
        path = os.path.join(folder, f"metrics_{run.epochs}_{hidden}_{run.init_flag}_{run.lr}.txt")
        with open(path, "w") as f:
            f.write(neuralnet.format_metrics(result.train, result.validation, result.train_error,
                                             result.validation_error))
        paths.append(path)
    return paths


# ----------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------

class Parser(argparse.ArgumentParser):
    """argparse, but a bad argument gets one line (no usage block), as neuralnet.py's do."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def count(minimum: int):
    """An argparse type: an integer >= minimum."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}")
        return value
    return parse


def positive_number(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


# Each subcommand: its help, and which option groups it takes besides the common ones.
SUBCOMMANDS = {
    "hidden-units": ("Q1: final train and validation cross-entropy against the number of hidden units "
                     f"({', '.join(map(str, HIDDEN_UNITS))}; lr 0.001, 100 epochs) -> hidden_units.png", []),
    "learning-rates": ("Q2: cross-entropy per epoch for learning rates "
                       f"{', '.join(map(str, LEARNING_RATES))} (50 hidden units, 100 epochs) -> lr_*.png",
                       ["y-range"]),
    "zero-init": ("Q3: the weights after each of the first SGD updates from ZERO init (4 hidden units, lr 0.1) "
                  "-> zero_init_weights.txt", []),
    "depth": ("Q4: one against two hidden layers of 50 units (lr 0.003, 100 epochs) -> one_vs_two_layers.png", []),
    "misclassified": ("Q5: trains the handout's run (2 epochs, 4 hidden units, ZERO init, lr 0.1) and lists the "
                      "training rows it gets wrong (counted from 0) -> misclassified.csv, and draws three "
                      "-> misclassified.png", ["rows"]),
    "curves": ("train and validation cross-entropy per epoch of metrics files that neuralnet.py wrote "
               "-> curves.png, curves.csv", ["metrics"]),
    "weights": ("trains one network and draws each hidden unit's input weights as a 16x8 image -> weights.png",
                ["network"]),
    "confusion": ("trains one network and draws its validation confusion matrix -> confusion.png", ["network"]),
    "all": ("every figure above into --out, and the curves of its own learning-rate runs",
            ["y-range", "rows", "network"]),
}


# The common options a subcommand accepts without using them.
UNUSED_COMMON = {"curves": "--train, --validation, --epochs or --jobs", "zero-init": "--epochs or --jobs",
                 "misclassified": "--jobs", "weights": "--jobs", "confusion": "--jobs"}


def build_parser() -> argparse.ArgumentParser:
    train_default, validation_default = default_data()
    parser = Parser(prog="experiments.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     parser_class=Parser, help="one of:")
    for name, (text, groups) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=text, description=text)
        if "metrics" in groups:
            sub.add_argument("metrics", nargs="+", help="metrics files written by neuralnet.py (its 5th argument)")
            sub.add_argument("--label", action="append", metavar="NAME",
                             help="a name for each metrics file's run in the legend, in the files' order: once "
                                  "per file (default: the file names)")
        unused = UNUSED_COMMON.get(name)
        common = sub.add_argument_group("common options", f"{name} does not use {unused}; every subcommand accepts "
                                        "them, for scripts that pass the same options to each" if unused else None)
        common.add_argument("--train", default=train_default, help=f"training CSV (default {train_default})")
        common.add_argument("--validation", default=validation_default,
                            help=f"validation CSV (default {validation_default})")
        common.add_argument("--out", default="out", help="folder for the results (default out/)")
        common.add_argument("--epochs", type=count(0), help="override every run's number of epochs")
        common.add_argument("--jobs", type=count(1), default=os.cpu_count() or 1,
                            help="training runs in parallel processes (default: the number of cores)")
        if "y-range" in groups:
            sub.add_argument("--y-range", choices=["shared", "own"], default="shared",
                             help="shared (default): the learning-rate figures share one y axis, from 0, to be "
                                  "compared; own: each fits its curves")
        if "rows" in groups:
            sub.add_argument("--rows", type=count(0), nargs="+", metavar="ROW",
                             help="training rows to draw, counted from 0 (default: the first three misclassified "
                                  "below 10)")
        if "network" in groups:
            sub.add_argument("--hidden", type=count(1), default=WEIGHTS_RUN.hidden,
                             help=f"hidden units (default {WEIGHTS_RUN.hidden})")
            sub.add_argument("--lr", type=positive_number, default=WEIGHTS_RUN.lr,
                             help=f"learning rate (default {WEIGHTS_RUN.lr})")
            sub.add_argument("--init", type=int, choices=[1, 2], default=WEIGHTS_RUN.init_flag,
                             help="1 RANDOM (default) or 2 ZERO init")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        run_command(args)
    except UsageProblem as e:
        print(f"experiments.py {args.command}: error: {e} (see --help)", file=sys.stderr)
        return 2
    except (ExperimentError, neuralnet.FileError) as e:
        print(f"experiments.py: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"experiments.py: error: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 1
    return 0


class UsageProblem(ExperimentError):
    """An argument that only the data shows to be wrong (a row past the end): exit status 2."""


def check_out_folder(out: str) -> None:
    """Make --out and write a file there now, not after minutes of training."""
    try:
        os.makedirs(out, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as e:
        raise ExperimentError(f"--out {out!r}: cannot write there: {e.strerror or e}") from None


def check_data(args, X_tr: np.ndarray, y_tr: np.ndarray, X_val: np.ndarray) -> None:
    """What only the data can tell about the arguments, before any training."""
    if X_tr.shape[1] != X_val.shape[1]:
        raise ExperimentError(f"--validation {args.validation!r}: rows have {X_val.shape[1] + 1} columns; "
                              f"--train rows have {X_tr.shape[1] + 1}")
    for row in getattr(args, "rows", None) or []:
        if row >= len(y_tr):
            raise UsageProblem(f"argument --rows: row {row} is not in 0..{len(y_tr) - 1} (rows counted from 0; "
                               f"{args.train!r} has {len(y_tr)})")
    if args.command in ("weights", "all") and X_tr.shape[1] != 16 * 8:
        raise ExperimentError(f"weights: --train {args.train!r} has {X_tr.shape[1]} pixels a row, not a 16x8 image")


def run_command(args) -> None:
    """Check everything (matplotlib, the output folder, the files, the arguments the data decides), then run."""
    command, epochs = args.command, args.epochs
    if command != "zero-init":
        pyplot()  # the figures need matplotlib: say so now, not after the training
    labels = getattr(args, "label", None)
    if labels is not None and len(labels) != len(args.metrics):
        raise UsageProblem(f"argument --label: {len(labels)} given for {len(args.metrics)} metrics files; "
                           "give one per file, in the files' order")
    check_out_folder(args.out)
    if command == "curves":
        curves(args.out, args.metrics, labels=labels)
        return
    X_tr, y_tr = neuralnet.load_csv(args.train, "--train")
    X_val, y_val = neuralnet.load_csv(args.validation, "--validation")
    check_data(args, X_tr, y_tr, X_val)
    data = (X_tr, y_tr, X_val, y_val)
    print(f"data: {args.train} ({len(y_tr)} rows), {args.validation} ({len(y_val)} rows)", file=sys.stderr)

    table = curve_runs(epochs)
    drawn = [name for name in table if command in (name, "all")]
    # Every run in one pool (depth's lr 0.003 run is also a learning-rate run: trained once).
    trained = train_all([run for name in drawn for run in table[name]], data, args.jobs) if drawn else {}
    if "hidden-units" in drawn:
        hidden_units(args.out, table["hidden-units"], trained)
    if "learning-rates" in drawn:
        learning_rates(args.out, table["learning-rates"], trained, args.y_range)
    if "depth" in drawn:
        depth(args.out, table["depth"], trained)
    if command in ("zero-init", "all"):
        zero_init_weights(args.out, data)
    if command in ("misclassified", "all"):
        misclassified(args.out, data, epochs, args.rows)
    if command == "all":  # the curves of its own learning-rate runs, from metrics files
        lr_runs = {run: trained[run] for run in table["learning-rates"]}
        curves(args.out, write_metrics_files(os.path.join(args.out, "metrics"), lr_runs),
               "Cross-entropy per epoch of the learning-rate runs (50 hidden units)",
               labels=[f"lr {run.lr}" for run in lr_runs])
    if command in ("weights", "confusion", "all"):
        run = Run(args.hidden, args.lr, WEIGHTS_RUN.epochs if epochs is None else epochs, args.init)
        nn = trained_network(run, data)
        if command in ("weights", "all"):
            weights(args.out, nn, run)
        if command in ("confusion", "all"):
            confusion(args.out, nn, data, run)


if __name__ == "__main__":
    sys.exit(main())
