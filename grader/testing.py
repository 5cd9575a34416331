"""What the test suites share: where the project and its data are, and the README's console blocks.

tests.py (the student's suite), grader/test_checks.py, grader/test_submissions.py and
grader/test_grader.py import from here instead of from each other. Its name starts with
"test", so the Gradescope bundle (grader/bundle.py) leaves it out, as it leaves out the suites.
"""
import os
import re
import subprocess
import unittest

import course_data

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the project's folder
NEURALNET = os.path.join(HERE, "neuralnet.py")
DATA = course_data.folder()
OUTPUT_NAMES = ("train.labels", "validation.labels", "metrics.txt")

DOCUMENTS = ["README.md"] + sorted(os.path.join("docs", name) for name in os.listdir(os.path.join(HERE, "docs"))
                                   if name.endswith(".md"))
# Gradescope's results.json, top level (its autograder specification): any other key is not Gradescope's.
GRADESCOPE_TOP_LEVEL = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
                        "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
NUMBER = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")


def require_data(test: unittest.TestCase, *names: str) -> str:
    """Return the data directory, failing the test if any of these files is not in it."""
    missing = [n for n in names if not os.path.exists(os.path.join(DATA, n))]
    if missing:
        test.fail(f"course data {', '.join(missing)} not found in {DATA} (the repository's data/, "
                  "or the folder NEURALNET_DATA names)")
    return DATA


def console_blocks():
    """Every ```console block of the README and docs/*.md: (document, [(command, expected output lines)])."""
    blocks = []
    for document in DOCUMENTS:
        with open(os.path.join(HERE, document)) as f:
            text = f.read()
        for block in re.findall(r"^```console\n(.*?)^```$", text, re.M | re.S):
            steps = []
            for line in block.splitlines():
                if line.startswith("$ "):
                    steps.append((line[2:], []))
                else:
                    steps[-1][1].append(line)
            blocks.append((document, steps))
    return blocks


def runs_grade(steps) -> bool:
    return any("grade.py" in command for command, _ in steps)


def assert_console_block(test, steps, folder, python):
    """Run a block's commands in a folder holding the project, `python3` there being the command `python`
    (a list); each must print exactly what the block shows, numbers within 1e-12, and nothing on stderr."""
    os.mkdir(os.path.join(folder, "bin"))
    with open(os.path.join(folder, "bin", "python3"), "w") as f:  # a script: a venv's python must keep its path
        f.write("#!/bin/sh\nexec " + " ".join(f'"{word}"' for word in python) + ' "$@"\n')
    os.chmod(os.path.join(folder, "bin", "python3"), 0o755)
    env = dict(os.environ, PATH=os.path.join(folder, "bin") + os.pathsep + os.environ["PATH"])
    for command, expected in steps:
        with test.subTest(command=command):
            result = subprocess.run(command, shell=True, cwd=folder, env=env, capture_output=True, text=True,
                                    timeout=300)
            test.assertEqual(result.stderr, "")
            got = result.stdout.splitlines()
            if got != expected:  # another numpy or BLAS kernel: the same text, numbers within 1e-12
                test.assertEqual([NUMBER.sub("#", line) for line in got], [NUMBER.sub("#", line) for line in expected])
                for a, b in zip(NUMBER.findall("\n".join(got)), NUMBER.findall("\n".join(expected))):
                    test.assertLessEqual(abs(float(a) - float(b)), 1e-12, (a, b))
