"""Generate the bundled letters dataset: the handout's ten letters as 16x8 images.

    python3 data/make_letters.py                 # rewrites data/letters_*.csv
    python3 data/make_letters.py --out-dir /tmp/letters --train-per-class 500

Each image starts from one of two hand-drawn glyph templates per letter
(a, e, g, i, l, n, o, r, t, u) and gets seeded random variation: a slant, a
stretched row, a bolder stroke, a shift, dropped stroke pixels and pixel
noise. Rows are `label,p1,...,p128` exactly as the course files (labels 0..9
in the handout's letter order, pixels 0 or 1, row-major), balanced across the
labels and shuffled. numpy's legacy RandomState stream is frozen across
versions, and everything else is integer arithmetic, so the same arguments
write the same bytes on every run and machine. Standard library and numpy only.
"""
import argparse
import os
import sys
from typing import Dict, List

import numpy as np

LETTERS = ["a", "e", "g", "i", "l", "n", "o", "r", "t", "u"]
ROWS, COLS = 16, 8
HERE = os.path.dirname(os.path.abspath(__file__))

# Two styles per letter, each 16 rows of 6 columns ('#' ink, '.' paper).
# Rows 5-10 are the x-height band; ascenders start near row 1, g descends to 13.
_B = "......"
GLYPHS: Dict[str, List[List[str]]] = {
    "a": [[_B] * 5 + [".###..", "....#.", ".####.", "#...#.", "#..##.", ".##.#."] + [_B] * 5,
          [_B] * 5 + [".####.", "#...#.", "#...#.", "#...#.", "#..##.", ".##.##"] + [_B] * 5],
    "e": [[_B] * 5 + [".###..", "#...#.", "#####.", "#.....", "#...#.", ".###.."] + [_B] * 5,
          [_B] * 5 + ["..##..", ".#..#.", "#..#..", "###...", "#.....", ".####."] + [_B] * 5],
    "g": [[_B] * 5 + [".####.", "#...#.", "#...#.", "#...#.", ".####.", "....#.", "....#.",
                      "#...#.", ".###.."] + [_B] * 2,
          [_B] * 5 + [".###..", "#...#.", "#...#.", ".###..", "..#...", ".###..", "#...#.",
                      "#...#.", ".###.."] + [_B] * 2],
    "i": [[_B] * 2 + ["..#...", _B, _B, ".##...", "..#...", "..#...", "..#...", "..#...",
                      ".###.."] + [_B] * 5,
          [_B] * 3 + ["..#...", _B, "..#...", "..#...", "..#...", "..#...", "..#.#.",
                      "...#.."] + [_B] * 5],
    "l": [[_B] + [".##...", "..#...", "..#...", "..#...", "..#...", "..#...", "..#...", "..#...",
                  "..#...", ".###.."] + [_B] * 5,
          [_B] + ["...#..", "..#.#.", "..#.#.", "..##..", "..#...", ".##...", ".#....", ".#....",
                  ".#..#.", "..##.."] + [_B] * 5],
    "n": [[_B] * 5 + ["#.##..", "##..#.", "#...#.", "#...#.", "#...#.", "#...#."] + [_B] * 5,
          [_B] * 5 + [".#.#..", ".##.#.", ".#..#.", ".#..#.", ".#..#.", ".#..##"] + [_B] * 5],
    "o": [[_B] * 5 + [".###..", "#...#.", "#...#.", "#...#.", "#...#.", ".###.."] + [_B] * 5,
          [_B] * 5 + ["..##..", ".#..#.", "#....#", "#....#", ".#..#.", "..##.."] + [_B] * 5],
    "r": [[_B] * 5 + ["#.##..", "##..#.", "#.....", "#.....", "#.....", "#....."] + [_B] * 5,
          [_B] * 5 + [".#.##.", ".##...", ".#....", ".#....", ".#....", "###..."] + [_B] * 5],
    "t": [[_B] * 2 + [".#....", ".#....", ".#....", "####..", ".#....", ".#....", ".#....",
                      ".#..#.", "..##.."] + [_B] * 5,
          [_B] * 3 + ["..#...", "..#...", "#####.", "..#...", "..#...", "..#...", "..#...",
                      "..##.."] + [_B] * 5],
    "u": [[_B] * 5 + ["#...#.", "#...#.", "#...#.", "#...#.", "#..##.", ".##.#."] + [_B] * 5,
          [_B] * 5 + ["#....#", "#....#", "#....#", "#....#", ".#..##", "..##.#"] + [_B] * 5],
}


def template(rows: List[str]) -> np.ndarray:
    """A glyph's rows as a 16x6 array of 0/1."""
    assert len(rows) == ROWS and all(len(r) == 6 for r in rows), rows
    return np.array([[c == "#" for c in row] for row in rows], dtype=np.uint8)


def render(glyph: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    """One varied 16x8 image of a 16x6 glyph."""
    image = np.zeros((ROWS, COLS + 4), dtype=np.uint8)  # spare columns for slant and shift
    image[:, 3:9] = glyph
    if rng.rand() < 0.3:  # stretch: repeat one inked row, pushing the rows below it down
        inked = np.flatnonzero(image.any(axis=1))
        r = int(rng.choice(inked))
        image = np.vstack([image[:r + 1], image[r:r + 1], image[r + 1:-1]])
    slant = rng.choice([-1, 0, 0, 1])  # shear: top rows move right (or left) by up to 2
    if slant:
        for r in range(ROWS):
            image[r] = np.roll(image[r], int(slant * (8 - r) // 5))
    if rng.rand() < 0.35:  # a bolder stroke
        image[:, 1:] |= image[:, :-1]
    dy, dx = rng.randint(-1, 3), rng.randint(-1, 2)
    image = np.roll(image, dy, axis=0)
    image = image[:, 2 + dx:2 + dx + COLS]  # the glyph lands in columns 0-5, 1-6 or 2-7
    image = image & (rng.rand(ROWS, COLS) >= 0.05)  # gaps in the stroke
    image = image | (rng.rand(ROWS, COLS) < 0.015)  # stray ink
    return image.astype(np.uint8)


def make_rows(per_class: int, seed: int) -> List[List[int]]:
    """per_class rows of each label, shuffled: [label, p1, ..., p128]."""
    rng = np.random.RandomState(seed)
    rows = []
    for label, letter in enumerate(LETTERS):
        styles = [template(g) for g in GLYPHS[letter]]
        for i in range(per_class):
            image = render(styles[i % len(styles)], rng)
            rows.append([label] + image.ravel().tolist())
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


def to_csv(rows: List[List[int]]) -> str:
    return "".join(",".join(map(str, row)) + "\n" for row in rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Generate the bundled letters dataset.")
    parser.add_argument("--out-dir", default=HERE, help="folder for the CSV files (default: data/)")
    parser.add_argument("--prefix", default="letters", help="file name prefix (default: letters)")
    parser.add_argument("--train-per-class", type=int, default=100, help="training rows per letter (default 100)")
    parser.add_argument("--validation-per-class", type=int, default=20,
                        help="validation rows per letter (default 20)")
    parser.add_argument("--seed", type=int, default=10601, help="random seed (default 10601)")
    args = parser.parse_args(argv)
    for split, per_class, seed in (("train", args.train_per_class, args.seed),
                                   ("validation", args.validation_per_class, args.seed + 1)):
        path = os.path.join(args.out_dir, f"{args.prefix}_{split}.csv")
        with open(path, "w", newline="\n") as f:
            f.write(to_csv(make_rows(per_class, seed)))
        print(f"wrote {path}: {per_class * len(LETTERS)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
