"""How to get the course's numpy for a grading interpreter, for the Python at hand.

The autograder runs numpy 1.23.0, whose wheels cover Python 3.8 to 3.10 only: pip on
Python 3.11 (Debian 12's) finds no 1.23.0 wheel and starts a source build. numpy 1.23.5,
the last 1.23, has wheels for 3.8 to 3.11; no numpy 1.23 has a wheel for 3.12 (Ubuntu
24.04's) or later, nor builds there. numpy 1.26.4, the last numpy 1, has wheels for 3.9
to 3.12 and still has what numpy 2 removed (np.mat, int() of a one-element array).
Checked with pip download --only-binary=:all: --python-version X.Y for each case; the Pythons each
release has wheels for are grader/numpy_releases.py's table, which the bundle's settings are checked
against too.
"""
import subprocess
from typing import Optional, Tuple

from grader import numpy_releases

COURSE_NUMPY = "1.23.0"  # the autograder's
LAST_123 = "1.23.5"  # the last numpy 1.23: the course's API, with wheels for Python 3.11 too
LAST_NUMPY_1 = "1.26.4"  # the last numpy 1: wheels up to Python 3.12


def wheels(release: str) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """The first and last Python a release of the table has wheels for."""
    found = numpy_releases.pythons(release)
    assert found is not None, release
    return found


COURSE_WHEELS, LAST_123_WHEELS, LAST_NUMPY_1_WHEELS = wheels(COURSE_NUMPY), wheels(LAST_123), wheels(LAST_NUMPY_1)


def python_version(python: str) -> Optional[Tuple[int, int]]:
    """The (major, minor) version of an interpreter, or None when it does not run."""
    try:
        result = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
                                text=True, timeout=30, stdin=subprocess.DEVNULL)
        major, minor = result.stdout.split()
        return int(major), int(minor)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def numpy_advice(version: Optional[Tuple[int, int]], python: str = "/usr/bin/python3",
                 venv: str = "/opt/grader-venv") -> str:
    """The commands that make a venv at `venv` from `python` (of `version`, None if unknown) with the numpy
    nearest the course's that has a wheel for it, and why that one: one sentence, no trailing period."""
    def install(numpy: str, interpreter: str = python) -> str:
        return f"{interpreter} -m venv {venv} && {venv}/bin/pip install numpy=={numpy}"

    def covers(wheels: Tuple[Tuple[int, int], Tuple[int, int]]) -> bool:
        return version is not None and wheels[0] <= version <= wheels[1]

    older = ("on Ubuntu 24.04, python3.11 from the deadsnakes PPA: sudo add-apt-repository ppa:deadsnakes/ppa && "
             f"sudo apt install python3.11-venv, then {install(LAST_123, 'python3.11')}")
    if version is None:
        return (f"{install(COURSE_NUMPY)} on Python 3.8 to 3.10; on 3.11, numpy=={LAST_123} (numpy {COURSE_NUMPY} "
                f"has no wheel for it); no numpy 1.23 has a wheel for Python 3.12 or later")
    shown = f"{version[0]}.{version[1]}"
    if covers(COURSE_WHEELS):
        return install(COURSE_NUMPY)
    if covers(LAST_123_WHEELS):
        return (f"{install(LAST_123)} (numpy {COURSE_NUMPY}, the course's, has no wheel for Python {shown}; "
                f"{LAST_123}, the last 1.23, has one)")
    if covers(LAST_NUMPY_1_WHEELS):
        return (f"no numpy 1.23 has a wheel for Python {shown}: make the venv from a Python 3.8 to 3.11 ({older}), "
                f"or take numpy {LAST_NUMPY_1}, the last numpy 1, which still has what numpy 2 removed: "
                f"{install(LAST_NUMPY_1)}")
    return f"no numpy 1.23 has a wheel for Python {shown}: make the venv from a Python 3.8 to 3.11 ({older})"
