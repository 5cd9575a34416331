#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when it builds the autograder's image.
# It makes the user GRADER_USER names, if any, first, so that nothing after it can leave the
# image without that user (by default no user is made: each grade runs the submission as a uid
# that grade.py chooses for it). Then numpy for the image's python3: the course's version
# (settings.json's "numpy") where pip finds a wheel for this Python, else the nearest newer
# release that has one (numpy 1.23.0's wheels stop at Python 3.10; 1.23.5's at 3.11; 3.12 needs
# 1.26, 3.13 needs 2.1). Nothing is built from source. It warns when the image's Python is not the one
# the bundle was built for (settings.json's "python", which grade.py --make-autograder checked numpy against).
# SETUP_PYTHON stands in for python3, so that it can be tried elsewhere.
set -u
python="${SETUP_PYTHON:-python3}"
user="${GRADER_USER:-}"
here="$(cd "$(dirname "$0")" && pwd)"

# The unprivileged user every submission runs as when the course names one: no home, no login, no groups.
if [ -n "$user" ] && ! id -u "$user" >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin "$user" || { echo "setup.sh: could not make the user $user"; exit 1; }
fi

if ! "$python" -m pip --version >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip >/dev/null
fi
if ! "$python" -m pip --version >/dev/null 2>&1; then
  echo "setup.sh: $python has no pip and apt-get could not install it"
  exit 1
fi

# The course's numpy, from the bundle's settings (a release such as 1.23.0).
course=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("numpy", "1.23.0"))' \
  "$here/settings.json" 2>/dev/null || echo 1.23.0)
[[ "$course" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || course=1.23.0

# Then the nearest newer releases, oldest first: the last 1.23, and the first that support newer Pythons.
# Images that mark their Python as externally managed (PEP 668: Ubuntu 24.04, Debian 12) need pip told so.
export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
installed=""
for version in "$course" 1.23.5 1.24.4 1.26.4 2.1.3 2.2.6 2.3.5; do
  if printf '%s\n%s\n' "$course" "$version" | sort -V -C; then  # never older than the course's
    if "$python" -m pip install --quiet --no-cache-dir --only-binary=:all: "numpy==$version" >/dev/null 2>&1; then
      installed=$version
      break
    fi
  fi
done
python_version=$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
# The Python the bundle was built for (grade.py --make-autograder --image-python; the handout's 3.9 by default).
built_for=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("python", "3.9"))' \
  "$here/settings.json" 2>/dev/null || echo 3.9)
case "$python_version" in
  "$built_for".*) ;;
  *) echo "setup.sh: warning: this image runs Python $python_version, but the bundle was built for Python $built_for" \
       "(--image-python): submissions are graded under $python_version";;
esac
if [ -z "$installed" ]; then
  echo "setup.sh: no numpy release from $course on has a wheel for Python $python_version here"
  exit 1
fi
if [ "$installed" = "$course" ]; then
  echo "setup.sh: numpy $installed (the course's) for Python $python_version"
else
  echo "setup.sh: numpy $installed for Python $python_version: the course's $course has no wheel for it"
fi
