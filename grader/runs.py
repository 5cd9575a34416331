"""The cli section's runs: each configuration of the command line, and what this project writes for it.

Shared by the cli checks (grader/cli.py) and the catalog of mistakes (grader/catalog.py),
which computes what this project would write with each mistake made.
"""
import os
from typing import Dict, List, NamedTuple, Sequence, Tuple

# isort: off
import neuralnet  # before numpy: it keeps BLAS to one thread
import numpy as np
# isort: on

import compare


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

    def check_name(self) -> str:
        return f"cli:{self.describe()} ({self.why})"


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
OUTPUT_NAMES = ("train_out.labels", "validation_out.labels", "metrics_out.txt")
Outputs = Tuple[List[str], List[str], List[Tuple[str, float]]]  # train labels, validation labels, metrics
Datasets = Dict[str, Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


def load_datasets(data_folder: str, names: Sequence[str]) -> Datasets:
    data = {}
    for name in names:
        X_tr, y_tr = neuralnet.load_csv(os.path.join(data_folder, f"{name}_train.csv"), "train_input")
        X_val, y_val = neuralnet.load_csv(os.path.join(data_folder, f"{name}_validation.csv"), "validation_input")
        data[name] = (X_tr, y_tr, X_val, y_val)
    return data


def expected_outputs(config: Config, data: Datasets, nn_class: type = neuralnet.NN) -> Outputs:
    """What this project's neuralnet.py writes for config (with nn_class standing in for NN)."""
    X_tr, y_tr, X_val, y_val = data[config.dataset]
    with np.errstate(all="ignore"):
        nn = nn_class(input_size=X_tr.shape[1], hidden_size=config.hidden, output_size=len(neuralnet.LETTERS),
                      weight_init_fn=neuralnet.INIT_FUNCTIONS[config.init_flag], learning_rate=config.lr)
        losses_tr, losses_va = nn.train(X_tr, y_tr, X_val, y_val, config.epochs)
        labels_tr, error_tr = nn.test(X_tr, y_tr)
        labels_va, error_va = nn.test(X_val, y_val)
    text = neuralnet.format_metrics(losses_tr, losses_va, error_tr, error_va)
    return ([str(v) for v in labels_tr.tolist()], [str(v) for v in labels_va.tolist()],
            compare.parse_metrics(text))


def differences(got: Outputs, expected: Outputs, tol: float) -> List[Tuple[str, compare.Difference]]:
    return [("train labels", compare.compare_labels(got[0], expected[0])),
            ("validation labels", compare.compare_labels(got[1], expected[1])),
            ("metrics", compare.compare_metrics(got[2], expected[2], tol))]


def matches(got: Outputs, expected: Outputs, tol: float) -> bool:
    return all(d.same for _, d in differences(got, expected, tol))
