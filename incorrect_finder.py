"""The handout's incorrect_finder.py (section 3, question 5): the rows a run of neuralnet.py got wrong.

    python3 incorrect_finder.py data/small_train.csv small_train_out.labels incorrect_label.csv

Reads the CSV the run was given and the labels file it wrote for it, and writes the course's CSV:
the header `Index,Input Label,Output Label`, then one line per misclassified row, in order: the
row's index counted from 0 (the first data row is row 0; blank lines are not rows), its label in
the input CSV and the label in the labels file, both integers 0..9. Prints one line saying how
many rows were wrong and which of them are below 10 (the handout picks three of those for
visualizer.py). Built on neuralnet.py: its CSV reader and its errors (one line naming the file,
line or argument, exit status 1 for a file and 2 for an argument, nothing written).
"""
import argparse
import os
import re
import sys
from typing import List, Optional, Sequence, Tuple

# isort: off
try:
    import neuralnet  # before numpy: it keeps BLAS to one thread
except ImportError as missing:  # no numpy: neuralnet's one line on how to set up
    raise SystemExit(f"incorrect_finder.py: error: {missing}") from None
import numpy as np
# isort: on

from neuralnet import LETTERS, FileError, UsageError

PROG = "incorrect_finder.py"
HEADER = "Index,Input Label,Output Label"
ROWS_FROM_0 = ("Rows are numbered from 0, as the course's CSV numbers them: row i is line i + 1 of a file "
               "without blank lines. Errors name a file's line, counted from 1 as editors count lines.")


def read_labels(path: str, what: str) -> np.ndarray:
    """The labels of a labels file (one integer 0..9 per line, as neuralnet.py writes them), shape (N,)."""
    if not os.path.lexists(path):  # a new student runs this first: say which command writes the file
        raise FileError(f"{what} {path!r}: no such file; neuralnet.py writes it (its train_out or validation_out "
                        "argument): run neuralnet.py first, as the README's first run does")
    labels = []
    for number, line in enumerate(neuralnet.read_text(path, what).splitlines(), start=1):
        text = line.strip()
        if not re.fullmatch(r"[0-9]+", text) or int(text) > len(LETTERS) - 1:
            raise FileError(f"{what} {path!r}: line {number}: {text[:20]!r} is not a label 0..{len(LETTERS) - 1} "
                            "(a labels file of neuralnet.py has one per line)")
        labels.append(int(text))
    if not labels:
        raise FileError(f"{what} {path!r}: the file is empty")
    return np.array(labels)


def misclassified(y: np.ndarray, predicted: np.ndarray) -> List[Tuple[int, int, int]]:
    """(row index from 0, input label, output label) of each row whose labels differ.

    :param y: the input CSV's labels, shape (N,)
    :param predicted: the labels file's, shape (N,)
    """
    return [(int(i), int(y[i]), int(predicted[i])) for i in np.flatnonzero(y != predicted)]


def format_csv(rows: Sequence[Tuple[int, int, int]]) -> str:
    return "".join(f"{line}\n" for line in [HEADER, *(",".join(map(str, row)) for row in rows)])


def build_parser() -> argparse.ArgumentParser:
    parser = neuralnet.UsageParser(prog=PROG, epilog=ROWS_FROM_0, description=(
        "Write the rows a run of neuralnet.py misclassified as a CSV: Index,Input Label,Output Label."))
    parser.add_argument("input", help="the CSV the run read, e.g. data/small_train.csv")
    parser.add_argument("labels", help="the labels file neuralnet.py wrote for it, e.g. small_train_out.labels")
    parser.add_argument("output", help="written: the CSV of misclassified rows, e.g. incorrect_label.csv")
    return parser


def run(args: argparse.Namespace) -> None:
    for name, path in (("input", args.input), ("labels", args.labels)):
        if neuralnet.same_file(args.output, path):
            raise UsageError(f"output {args.output!r} is the same file as {name}; refusing to overwrite an input")
    _, y = neuralnet.load_csv(args.input, "input")
    predicted = read_labels(args.labels, "labels")
    if len(predicted) != len(y):
        raise FileError(f"labels {args.labels!r}: {len(predicted)} labels, but input {args.input!r} has {len(y)} "
                        "rows; was it written for another file?")
    wrong = misclassified(y, predicted)
    neuralnet.write_outputs({args.output: format_csv(wrong)})
    below_10 = [str(index) for index, _, _ in wrong if index < 10]
    print(f"wrote {args.output}: {len(wrong)} of {len(y)} rows misclassified; those below 10 (rows from 0): "
          f"{', '.join(below_10) or 'none'}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    return neuralnet.run_command(PROG, lambda: run(build_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
