#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
if ! python3 -m pip --version >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq python3 python3-pip
fi
# The course's numpy, for the image's python3: it runs the grader and the submissions.
# (Newer Debian and Ubuntu images mark their Python as externally managed: pip must be told so there.)
python3 -m pip install --no-cache-dir numpy==1.23.0 ||
  python3 -m pip install --no-cache-dir --break-system-packages numpy==1.23.0
# The unprivileged user every submission runs as: no home, no login, no groups.
id -u nnstudent >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin nnstudent
