"""grade.py --make-autograder: the Gradescope bundle.

The zip holds setup.sh and run_autograder at its root (grader/gradescope/), the course's
settings.json (points and visibility: grader/settings.py), and beside them what grade.py
needs: itself, this package with its subpackages, the reference neuralnet.py, compare.py, the naive oracle and
the data it reads. Gradescope unpacks it into /autograder/source.
"""
import os
import time
import zipfile
from typing import Dict

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gradescope")
SOURCES = ("grade.py", "neuralnet.py", "compare.py", "course_data.py", "benchmarks/naive_neuralnet.py")
DATA_FILES = ("small_train.csv", "small_validation.csv", "medium_train.csv", "medium_validation.csv",
              "unittest_data.pk")


def package_files(folder: str, name: str) -> Dict[str, str]:
    """A package's modules, its subpackages' too (a folder with __init__.py: grader/sandbox/), as {name in the
    zip: path}; the tests and what helps them (names that start with "test") stay out."""
    found = {}
    for entry in sorted(os.listdir(folder)):
        path = os.path.join(folder, entry)
        if entry.startswith("test"):
            continue
        if entry.endswith(".py") and os.path.isfile(path):
            found[f"{name}/{entry}"] = path
        elif os.path.isfile(os.path.join(path, "__init__.py")):
            found.update(package_files(path, f"{name}/{entry}"))
    return found


def make(path: str, project: str, data: str, settings_json: str) -> None:
    """The bundle at path; settings_json (grader/settings.py) goes in as settings.json, which run_autograder
    passes to grade.py."""
    files = {name: os.path.join(TEMPLATES, name) for name in ("setup.sh", "run_autograder")}
    files.update({name: os.path.join(project, name) for name in SOURCES})
    files.update(package_files(os.path.join(project, "grader"), "grader"))
    files.update({f"data/{name}": os.path.join(data, name) for name in DATA_FILES})
    temporary = f"{path}.partial"
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as bundle:
        info = zipfile.ZipInfo("settings.json", date_time=time.localtime()[:6])
        info.external_attr = 0o644 << 16
        bundle.writestr(info, settings_json, zipfile.ZIP_DEFLATED)
        for name, source in files.items():
            info = zipfile.ZipInfo.from_file(source, name)
            info.external_attr = (0o755 if name in ("setup.sh", "run_autograder") else 0o644) << 16
            with open(source, "rb") as f:
                bundle.writestr(info, f.read(), zipfile.ZIP_DEFLATED)
    os.replace(temporary, path)
