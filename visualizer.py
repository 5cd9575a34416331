"""The handout's visualizer.py (section 3, question 5): draw rows of a course CSV as 16x8 images.

    python3 visualizer.py data/small_train.csv 1 2 3 graph.jpg

Draws each row asked for (its index counted from 0, as incorrect_finder.py's CSV numbers rows:
row i is line i + 1 of a file without blank lines) as a 16x8 image, titled with its index and
its label (the number in the file and its letter), into one figure: JPEG, PNG, PDF or SVG by
the output's extension (JPEG through Pillow, which matplotlib installs with itself). Built on
neuralnet.py: its CSV reader and its errors (one line naming the file, line or argument, exit
status 1 for a file and 2 for an argument, nothing written). Needs matplotlib.
"""
import argparse
import io
import os
import sys
from typing import List, Optional, Sequence

# isort: off
try:
    import neuralnet  # before numpy: it keeps BLAS to one thread
except ImportError as missing:  # no numpy: neuralnet's one line on how to set up
    raise SystemExit(f"visualizer.py: error: {missing}") from None
import numpy as np
# isort: on

import experiments
from neuralnet import LETTERS, FileError, UsageError

PROG = "visualizer.py"
IMAGE_SHAPE = (16, 8)  # rows x columns of pixels: the course's 128 pixels, row-major
FORMATS = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".pdf": "pdf", ".svg": "svg"}
ROWS_FROM_0 = ("Rows are numbered from 0, as incorrect_finder.py's CSV numbers them: row i is line i + 1 of a "
               "file without blank lines. Errors name a file's line, counted from 1 as editors count lines.")


def pyplot():
    """matplotlib's pyplot, drawing off screen (experiments.py's); FileError in one line when matplotlib is missing."""
    try:
        return experiments.pyplot()
    except experiments.ExperimentError as e:
        raise FileError(str(e)) from None


def check_format(plt, path: str) -> str:
    """The format the output's extension names; UsageError when it names none this matplotlib writes."""
    extension = os.path.splitext(path)[1].lower()
    if extension not in FORMATS:
        raise UsageError(f"argument output: {path!r}: name a {', '.join(sorted(FORMATS))} file")
    if FORMATS[extension] == "jpeg":
        try:
            import PIL  # noqa: F401  (matplotlib writes JPEG through Pillow)
        except ImportError:
            raise FileError(f"output {path!r}: writing JPEG needs Pillow: python3 -m pip install pillow "
                            "(or name a .png)") from None
    return FORMATS[extension]


def figure(plt, X: np.ndarray, y: np.ndarray, rows: Sequence[int], source: str):
    """One panel per row: its pixels as a 16x8 image (1 black, 0 white), titled with the row and its label.

    :param X: pixels, shape (N, 128)
    :param y: labels, shape (N,)
    """
    fig, axes = plt.subplots(1, len(rows), figsize=(1.6 * len(rows) + 0.8, 3.6), squeeze=False)
    for ax, row in zip(axes[0], rows):
        ax.imshow(X[row].reshape(IMAGE_SHAPE), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"row {row}", fontsize=10)
        ax.set_xlabel(f"label {y[row]} ({LETTERS[y[row]]!r})", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{os.path.basename(source)}: rows {', '.join(map(str, rows))}\n(rows numbered from 0)",
                 fontsize=10)
    fig.tight_layout()
    return fig


def row_index(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a row index, an integer >= 0 (rows from 0), got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = neuralnet.UsageParser(prog=PROG, epilog=ROWS_FROM_0, description=(
        "Draw rows of a course CSV as 16x8 images, each titled with its row index and label."))
    parser.add_argument("input", help="the course CSV, e.g. data/small_train.csv")
    parser.add_argument("rows", nargs="+", type=row_index,
                        help="the rows to draw, indices from 0 (the handout draws three)")
    parser.add_argument("output", help="written: the figure, JPEG, PNG, PDF or SVG by its extension, e.g. graph.jpg")
    return parser


def run(args: argparse.Namespace) -> None:
    plt = pyplot()  # before anything is read: a missing matplotlib is said at once
    image_format = check_format(plt, args.output)
    if neuralnet.same_file(args.output, args.input):
        raise UsageError(f"output {args.output!r} is the same file as input; refusing to overwrite an input")
    X, y = neuralnet.load_csv(args.input, "input")
    if X.shape[1] != IMAGE_SHAPE[0] * IMAGE_SHAPE[1]:
        raise FileError(f"input {args.input!r}: rows have {X.shape[1]} pixels; a 16x8 image needs 128")
    outside: List[int] = [row for row in args.rows if row >= len(y)]
    if outside:
        raise UsageError(f"argument rows: row {outside[0]} is not in 0..{len(y) - 1} "
                         f"({args.input!r} has {len(y)} rows, numbered from 0)")
    fig = figure(plt, X, y, args.rows, args.input)
    image = io.BytesIO()
    fig.savefig(image, format=image_format, dpi=100)
    plt.close(fig)
    neuralnet.write_outputs({args.output: image.getvalue()})
    print(f"wrote {args.output}: rows {', '.join(map(str, args.rows))} of {args.input} (rows from 0)")


def main(argv: Optional[Sequence[str]] = None) -> int:
    return neuralnet.run_command(PROG, lambda: run(build_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
