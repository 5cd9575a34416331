"""Which numpy releases have wheels for which Python: the table the bundle's settings are checked against.

Gradescope builds the autograder's image with no say from us at grading time, and grade.py
--make-autograder runs where there may be no network, so the table is shipped here. It was read
from PyPI's file list for numpy (https://pypi.org/pypi/numpy/json) on 2026-12-06: for each release
from 1.23.0 (the handout's; grade.py itself needs numpy 1.23 or newer), the CPython versions that
have a manylinux x86_64 wheel (Gradescope's images are x86_64 Linux), free-threaded builds left
out. setup.sh installs with pip's --only-binary=:all:, so a release without a wheel for the
image's Python cannot be installed there. grader/advice.py reads the same table for a grader's
own venv.
"""
from typing import Dict, List, Optional, Tuple

Python = Tuple[int, int]  # (3, 9)

# major.minor -> runs of patch releases: (first patch, last patch, oldest Python, newest Python with a wheel).
WHEELS: Dict[str, List[Tuple[int, int, Python, Python]]] = {
    "1.23": [(0, 1, (3, 8), (3, 10)), (2, 5, (3, 8), (3, 11))],
    "1.24": [(0, 4, (3, 8), (3, 11))],
    "1.25": [(0, 2, (3, 9), (3, 11))],
    "1.26": [(0, 4, (3, 9), (3, 12))],
    "2.0": [(0, 2, (3, 9), (3, 12))],
    "2.1": [(0, 3, (3, 10), (3, 13))],
    "2.2": [(0, 6, (3, 10), (3, 13))],
    "2.3": [(0, 1, (3, 11), (3, 13)), (2, 5, (3, 11), (3, 14))],
    "2.4": [(0, 6, (3, 11), (3, 14))],
    "2.5": [(0, 1, (3, 12), (3, 14)), (2, 5, (3, 12), (3, 15))],
}
YANKED = {"2.4.0"}  # withdrawn on PyPI: every file of it is yanked
OLDEST, READ_ON = "1.23.0", "2026-12-06"


def key(version: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def releases() -> List[str]:
    """Every release of the table, oldest first."""
    found = [f"{minor}.{patch}" for minor, runs in WHEELS.items() for first, last, _, _ in runs
             for patch in range(first, last + 1)]
    return sorted(found, key=key)


def pythons(version: str) -> Optional[Tuple[Python, Python]]:
    """The oldest and newest Python with a wheel of this release, or None when the table has no such release."""
    minor, _, patch = version.rpartition(".")
    for first, last, oldest, newest in WHEELS.get(minor, []):
        if patch.isdigit() and first <= int(patch) <= last:
            return oldest, newest
    return None


def has_wheel(version: str, python: Python) -> bool:
    found = pythons(version)
    return found is not None and found[0] <= python <= found[1]


def nearest_with_wheel(version: str, python: Python) -> Optional[str]:
    """The nearest release from this one on that setup.sh can install for this Python (None if none): the oldest
    series (major.minor) that has a wheel for it, at its last such patch release, which keeps that series' API
    with its fixes (from 1.23.0: 1.23.5 for Python 3.11, 1.26.4 for 3.12)."""
    usable = [v for v in releases() if key(v) >= key(version) and v not in YANKED and has_wheel(v, python)]
    if not usable:
        return None
    series = key(usable[0])[:2]
    return [v for v in usable if key(v)[:2] == series][-1]


def shown(python: Python) -> str:
    return f"{python[0]}.{python[1]}"
