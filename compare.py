"""Compare the outputs of two runs of neuralnet.py: labels identical, metrics within a tolerance.

    python3 compare.py TRAIN_LABELS VALIDATION_LABELS METRICS \\
                       REF_TRAIN_LABELS REF_VALIDATION_LABELS REF_METRICS [--tol 1e-9]

Prints one line per file pair and a verdict; exit status 0 when everything
matches, 1 when something differs, 2 for a missing or malformed file. The
functions here are also what tests.py, grade.py and benchmarks/bench.py use.
"""
import argparse
import math
import re
import sys
from typing import List, NamedTuple, Optional, Sequence, Tuple

MATCH_TOLERANCE = 1e-9  # how close this project's metrics are to a reference's
METRIC_LINE = re.compile(r"^(epoch=[1-9][0-9]* crossentropy\((?:train|validation)\)"
                         r"|error\((?:train|validation)\)): (\S+)$")


class FormatError(Exception):
    """A file that is not a labels or metrics file of neuralnet.py; the message names file and line."""


class Difference(NamedTuple):
    """How two files differ: `count` of `total` lines differ, the first at `line` (1-based)
    with what each file has there; `worst` is the largest absolute metric difference."""
    count: int
    total: int
    line: Optional[int] = None
    got: str = ""
    expected: str = ""
    worst: float = 0.0

    @property
    def same(self) -> bool:
        return self.count == 0

    def describe(self) -> str:
        if self.same:
            return (f"{self.total} lines identical" if self.worst == 0
                    else f"{self.total} lines, largest difference {self.worst:.3g}")
        where = f"first at line {self.line}: got {self.got!r}, expected {self.expected!r}"
        return f"{self.count} of {self.total} lines differ, {where}"


def read_text(path: str) -> str:
    try:
        with open(path, newline="") as f:
            return f.read()
    except OSError as e:
        raise FormatError(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise FormatError(f"{path}: not a text file") from None


def read_labels(path: str) -> List[str]:
    """The lines of a labels file, each an integer."""
    return parse_labels(read_text(path), path)


def parse_labels(text: str, path: str = "labels") -> List[str]:
    """The lines of a labels file's text, each an integer."""
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not re.fullmatch(r"-?[0-9]+", line):
            raise FormatError(f"{path}: line {number}: {line[:40]!r} is not an integer label")
    return lines


def parse_metrics(text: str, path: str = "metrics") -> List[Tuple[str, float]]:
    """[(key, value)] for each `key: value` line of a metrics file, in the handout's keys."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = METRIC_LINE.match(line)
        try:
            value = float(match.group(2)) if match else None
        except ValueError:
            value = None
        if value is None:
            raise FormatError(f"{path}: line {number}: {line[:60]!r} is not a metrics line "
                              "such as 'epoch=1 crossentropy(train): 2.14'")
        rows.append((match.group(1), value))
    if not rows:
        raise FormatError(f"{path}: empty, not a metrics file")
    return rows


def read_metrics(path: str) -> List[Tuple[str, float]]:
    return parse_metrics(read_text(path), path)


def value_difference(a: float, b: float) -> float:
    """|a - b|, with equal non-finite values (nan and nan, inf and inf) counted as no difference."""
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    return abs(a - b) if math.isfinite(a) and math.isfinite(b) else math.inf


def compare_labels(got: Sequence[str], expected: Sequence[str]) -> Difference:
    """Count differing lines (a missing line counts as differing) and show the first."""
    differing = [i for i in range(max(len(got), len(expected)))
                 if i >= len(got) or i >= len(expected) or got[i] != expected[i]]
    if not differing:
        return Difference(0, len(expected))
    i = differing[0]
    return Difference(len(differing), len(expected), i + 1, got[i] if i < len(got) else "<no line>",
                      expected[i] if i < len(expected) else "<no line>")


def compare_metrics(got: Sequence[Tuple[str, float]], expected: Sequence[Tuple[str, float]],
                    tol: float = MATCH_TOLERANCE) -> Difference:
    """Keys must be equal line by line and values within tol (absolute)."""
    worst, differing, first = 0.0, 0, None
    for i in range(max(len(got), len(expected))):
        if i >= len(got) or i >= len(expected) or got[i][0] != expected[i][0]:
            gap = math.inf
        else:
            gap = value_difference(got[i][1], expected[i][1])
        worst = max(worst, gap)
        if gap > tol:
            differing += 1
            first = i if first is None else first
    if first is None:
        return Difference(0, len(expected), worst=worst)

    def show(rows, i):
        return f"{rows[i][0]}: {rows[i][1]!r}" if i < len(rows) else "<no line>"
    return Difference(differing, len(expected), first + 1, show(got, first), show(expected, first), worst)


def compare_runs(got: Sequence[str], expected: Sequence[str], tol: float = MATCH_TOLERANCE
                 ) -> List[Tuple[str, str, Difference]]:
    """Compare (train labels, validation labels, metrics) paths; [(got, expected, Difference)]."""
    return [(got[0], expected[0], compare_labels(read_labels(got[0]), read_labels(expected[0]))),
            (got[1], expected[1], compare_labels(read_labels(got[1]), read_labels(expected[1]))),
            (got[2], expected[2], compare_metrics(read_metrics(got[2]), read_metrics(expected[2]), tol))]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="compare.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("train_labels", "validation_labels", "metrics",
                 "ref_train_labels", "ref_validation_labels", "ref_metrics"):
        parser.add_argument(name)
    parser.add_argument("--tol", type=float, default=MATCH_TOLERANCE,
                        help=f"largest absolute metric difference allowed (default {MATCH_TOLERANCE})")
    args = parser.parse_args(argv)
    try:
        results = compare_runs([args.train_labels, args.validation_labels, args.metrics],
                               [args.ref_train_labels, args.ref_validation_labels, args.ref_metrics], args.tol)
    except FormatError as e:
        print(f"compare.py: error: {e}", file=sys.stderr)
        return 2
    for got, expected, difference in results:
        print(f"{got} vs {expected}: {difference.describe()}")
    same = all(difference.same for _, _, difference in results)
    print(f"match (labels identical, metrics within {args.tol:g})" if same else "DIFFERENT")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
