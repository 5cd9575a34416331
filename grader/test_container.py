"""The Gradescope bundle end to end, as Gradescope runs it: python3 -m unittest grader.test_container

In the container stand-in (grader/testing_container.py): root with Docker's default capabilities
and seccomp profile (so no namespaces), a PID namespace, a 768 MB / half-CPU cgroup where one can
be made, and /autograder laid out as the harness lays it. Each case uploads files, runs
run_autograder, and checks results.json, what the submission could read, and that nothing is left
behind (processes, files in /tmp, /var/tmp, /dev/shm). The same cases run again with namespaces
allowed (every capability, no filter): TestBundleWithNamespaces. grader/test_docker.py grades the same cases
(cases(), BundleCases) in real Docker containers.

The stand-in needs root (CI runs this module as root); otherwise every class here but TestSeccomp
skips with the reason. TestSeccomp tests grader/seccomp.py and the run filter built with it
(grader/sandbox/syscall_filter.py) in forked children of this process.
"""
import csv
import errno
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import unittest
from typing import Dict, List, Optional, Sequence, Tuple
from unittest import mock

from grader import report, seccomp, settings, upload
from grader import test_grader as suite
from grader import test_submissions as submissions
from grader import testing_container as standin
from grader.sandbox import syscall_filter
from grader.test_submissions import hanging, naive_with
from grader.testing import NEURALNET

UNAVAILABLE = standin.unavailable()
SECCOMP_UNAVAILABLE = ""
try:
    seccomp.architecture()
except OSError as e:
    SECCOMP_UNAVAILABLE = str(e)


def setUpModule():
    if not UNAVAILABLE:
        suite.setUpModule()  # the submissions' user and an interpreter with numpy it can run


def tearDownModule():
    if not UNAVAILABLE:
        suite.tearDownModule()


# ----------------------------------------------------------------------------
# grader/seccomp.py, in forked children
# ----------------------------------------------------------------------------

def in_child(install, attempt) -> Tuple[str, str]:
    """install() then attempt() in a forked child: ('ok', '') or ('error', errno name) of each, as the child saw."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        outcome = []
        for step in (install, attempt):
            try:
                step()
                outcome.append("ok")
            except OSError as e:
                outcome.append(errno.errorcode.get(e.errno or 0, str(e.errno)))
        os.write(writer, " ".join(outcome).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as f:
        installed, attempted = f.read().split()
    os.waitpid(pid, 0)
    return installed, attempted


def open_socket(family: int, kind: int = socket.SOCK_STREAM):
    return lambda: socket.socket(family, kind).close()


def unshare_mounts():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
        raise OSError(ctypes.get_errno(), "unshare")


@unittest.skipIf(SECCOMP_UNAVAILABLE, SECCOMP_UNAVAILABLE)
class TestSeccomp(unittest.TestCase):
    def test_the_run_filter_refuses_every_socket_but_an_unnamed_unix_pair(self):
        """grader/sandbox/syscall_filter.py's rules; grader/test_sandbox.py's TestRunFilter tries the rest of them."""
        install = syscall_filter.install
        for family in (socket.AF_INET, socket.AF_INET6, socket.AF_UNIX):
            with self.subTest(family=family):
                self.assertEqual(in_child(install, open_socket(family)), ("ok", "EACCES"))
        self.assertEqual(in_child(install, open_socket(socket.AF_INET, socket.SOCK_DGRAM)), ("ok", "EACCES"))
        self.assertEqual(in_child(install, lambda: [s.close() for s in socket.socketpair()]), ("ok", "ok"))
        # the allow-list of families: socketpair of another family is refused by the filter, not the kernel
        self.assertEqual(in_child(lambda: None, lambda: socket.socketpair(socket.AF_INET)),
                         ("ok", errno.errorcode[errno.EOPNOTSUPP]))
        self.assertEqual(in_child(install, lambda: socket.socketpair(socket.AF_INET)), ("ok", "EACCES"))
        self.assertEqual(in_child(lambda: None, open_socket(socket.AF_INET)), ("ok", "ok"))  # this process: intact

    def test_deny_syscalls_refuses_each_with_eperm(self):
        self.assertEqual(in_child(lambda: seccomp.deny_syscalls(["unshare", "mount", "setns"]), unshare_mounts),
                         ("ok", "EPERM"))
        self.assertEqual(in_child(lambda: seccomp.deny_syscalls(["mount"]), os.getpid), ("ok", "ok"))
        child = in_child(lambda: seccomp.deny_syscalls(["unshare"]), lambda: subprocess.run(["true"], check=True))
        self.assertEqual(child, ("ok", "ok"))  # a filtered process still starts programs

    def test_the_filter_is_inherited_across_exec(self):
        code = "import socket\ntry:\n    socket.socket()\nexcept PermissionError:\n    raise SystemExit(3)\n"
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            syscall_filter.install()
            status = subprocess.run([sys.executable, "-c", code]).returncode
            os.write(writer, str(status).encode())
            os._exit(0)
        os.close(writer)
        with os.fdopen(reader) as f:
            self.assertEqual(f.read(), "3")
        os.waitpid(pid, 0)

    def test_another_architecture_is_refused_with_oserror(self):
        with mock.patch("platform.machine", return_value="riscv64"):
            with self.assertRaises(OSError) as caught:
                syscall_filter.install()
        self.assertIn("x86_64 and aarch64", str(caught.exception))
        self.assertIn("riscv64", str(caught.exception))

    def test_the_program_checks_the_architecture_first(self):
        arch = seccomp.architecture()
        code = seccomp.program(syscall_filter.RUN_RULES, arch)
        load, check, refuse = code[:3]
        self.assertEqual((load[0], load[3]), (seccomp.BPF_LD_W_ABS, seccomp.OFFSET_ARCH))
        self.assertEqual((check[0], check[3], check[1], check[2]), (seccomp.BPF_JEQ_K, arch.audit_arch, 1, 0))
        self.assertEqual(refuse, (seccomp.BPF_RET_K, 0, 0, seccomp.SECCOMP_RET_ERRNO | errno.EPERM))
        self.assertEqual(code[-1], (seccomp.BPF_RET_K, 0, 0, seccomp.SECCOMP_RET_ALLOW))

    def test_unknown_names_are_refused_before_anything_is_installed(self):
        with self.assertRaises(ValueError):
            seccomp.deny_syscalls(["no_such_call"])
        with self.assertRaises(ValueError):
            seccomp.program([seccomp.Rule("mount", 1), seccomp.Rule("mount", 13)], seccomp.architecture())


# ----------------------------------------------------------------------------
# grader/upload.py: the one neuralnet.py of an upload, never read through a link
# ----------------------------------------------------------------------------

class TestUpload(unittest.TestCase):
    def upload(self, files: Dict[str, object]) -> str:
        """A folder holding the files (a standin.Link is made as a link)."""
        folder = tempfile.mkdtemp(prefix="upload-")
        self.addCleanup(subprocess.run, ["rm", "-rf", folder])
        for name, content in files.items():
            path = os.path.join(folder, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if isinstance(content, standin.Link):
                os.symlink(content.target, path)
            elif content is None:
                os.makedirs(path)
            else:
                with open(path, "wb") as f:
                    f.write(content.encode() if isinstance(content, str) else content)
        return folder

    def refused(self, files: Dict[str, object]) -> str:
        with self.assertRaises(upload.UploadError) as caught:
            upload.read_submission(upload.locate(self.upload(files)))
        message = str(caught.exception)
        self.assertNotIn("\n", message)
        return message

    def test_found_at_any_depth_skipping_macos_and_hidden_files(self):
        for relative_open in (True, False):  # Linux and macOS; Windows checks each step with lstat
            with self.subTest(relative_open=relative_open), mock.patch.object(upload, "RELATIVE_OPEN", relative_open):
                folder = self.upload({"hw5/neuralnet.py": "X = 1\n", "__MACOSX/hw5/._neuralnet.py": b"\0junk",
                                      ".hidden/neuralnet.py": "hidden", "hw5/.DS_Store": b"\0"})
                found = upload.locate(folder)
                self.assertEqual((found.shown, upload.read_submission(found)), ("hw5/neuralnet.py", b"X = 1\n"))
                self.assertEqual(found.notes, ("upload: graded 'hw5/neuralnet.py'",))

    def test_a_link_is_named_and_nothing_it_points_at_is_read(self):
        secret = self.upload({"secret.py": "SECRET = 42\n"})
        for relative_open in (True, False):
            with self.subTest(relative_open=relative_open), mock.patch.object(upload, "RELATIVE_OPEN", relative_open):
                message = self.refused({"neuralnet.py": standin.Link(os.path.join(secret, "secret.py"))})
                self.assertEqual(message, "'neuralnet.py' is a symbolic link, not a file: nothing it points to is "
                                          "read; upload the file itself")
                # a linked folder is not entered: its neuralnet.py is not found
                message = self.refused({"hw5": standin.Link(secret), "notes.txt": "x"})
                self.assertIn("no file named neuralnet.py in the upload (uploaded: 'hw5', 'notes.txt')", message)
        self.assertNotIn(secret, message)

    def test_a_step_swapped_for_a_link_after_it_was_found_is_not_followed(self):
        other = self.upload({"neuralnet.py": "SECRET = 42\n"})
        for relative_open in (True, False):
            with self.subTest(relative_open=relative_open), mock.patch.object(upload, "RELATIVE_OPEN", relative_open):
                folder = self.upload({"hw5/neuralnet.py": "X = 1\n"})
                found = upload.locate(folder)
                subprocess.run(["rm", "-rf", os.path.join(folder, "hw5")], check=True)
                os.symlink(other, os.path.join(folder, "hw5"))
                with self.assertRaises(upload.UploadError) as caught:
                    upload.read_submission(found)
                self.assertIn("'hw5' is a symbolic link, not a folder", str(caught.exception))

    def test_near_misses_are_named_with_what_to_fix(self):
        for name in ("NeuralNet.py", "neuralnet (1).py", "neuralnet.py.txt", "neural_net.py", "neuralnet-copy.py"):
            with self.subTest(name):
                message = self.refused({name: "X = 1\n", "README.md": "notes"})
                listed = ", ".join(repr(n) for n in sorted([name, "README.md"]))  # listed in the order of their names
                self.assertIn(f"(uploaded: {listed}); {name!r} is not named neuralnet.py: rename it to "
                              "neuralnet.py; upload one file named neuralnet.py (the course keeps only that file; "
                              "other files are deleted)", message)
        self.assertNotIn("rename", self.refused({"model.py": "X = 1\n"}))

    def test_empty_several_not_a_file_too_big(self):
        self.assertTrue(self.refused({}).startswith("the upload is empty: upload one file named neuralnet.py"))
        self.assertIn("the upload holds 2 files named neuralnet.py ('a/neuralnet.py', 'b/neuralnet.py'): upload only "
                      "one", self.refused({"a/neuralnet.py": "1", "b/neuralnet.py": "2"}))
        self.assertIn("'neuralnet.py' is not a regular file", self.refused({"neuralnet.py": None}))
        self.assertIn("more than the 1024 KiB a neuralnet.py may have",
                      self.refused({"neuralnet.py": "#" * (upload.MAX_SIZE + 1)}))

    def test_names_are_escaped_and_bounded(self):
        files = {f"file{i}\x1b[31m.txt": "x" for i in range(12)}
        message = self.refused(files)
        self.assertNotIn("\x1b", message)
        self.assertIn("\\x1b", message)
        self.assertIn("and 4 more", message)

    def test_a_helper_module_uploaded_beside_it_is_named(self):
        folder = self.upload({"hw5/neuralnet.py": "import numpy\nfrom helper import f\nimport utils.io\n",
                              "hw5/helper.py": "def f(): pass\n", "hw5/utils/io.py": "", "other.py": ""})
        found = upload.locate(folder)
        helpers = upload.helper_imports(upload.read_submission(found), found)
        self.assertEqual(helpers, ["helper.py", "utils"])
        self.assertEqual(upload.helper_note(helpers),
                         "upload: neuralnet.py imports 'helper.py', 'utils', uploaded beside it: only neuralnet.py is "
                         "kept, so that import fails here; put its code into neuralnet.py")
        self.assertEqual(upload.helper_imports(b"def broken(:\n", found), [])

    def test_a_file_given_directly(self):
        folder = self.upload({"student.py": "X = 2\n", "link.py": standin.Link("student.py")})
        found = upload.locate(os.path.join(folder, "student.py"))
        self.assertEqual((found.notes, upload.read_submission(found)), ((), b"X = 2\n"))
        with self.assertRaises(upload.UploadError):
            upload.locate(os.path.join(folder, "link.py"))


# ----------------------------------------------------------------------------
# setup.sh's choice of numpy, with a stand-in Python whose pip finds wheels for some releases only
# ----------------------------------------------------------------------------

FAKE_PYTHON = """#!/bin/sh
# -m pip install ... numpy==X succeeds for the releases in $WHEELS only, and logs each try; anything else: python3
if [ "$1 $2" = "-m pip" ]; then
  [ "$3" = "--version" ] && exit 0
  for word in "$@"; do case "$word" in numpy==*) version=${word#numpy==};; esac; done
  echo "$version" >> "$TRIES"
  case " $WHEELS " in *" $version "*) exit 0;; esac
  exit 1
fi
exec %s "$@"
""" % sys.executable


class TestNumpySetting(unittest.TestCase):
    """The course's numpy is a bundle setting: grade.py --make-autograder --numpy, settings.json, setup.sh."""

    def test_round_trip_and_bad_values(self):
        course, _ = settings.build(numpy="1.26.4")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write(course.as_json())
        self.addCleanup(os.unlink, f.name)
        self.assertEqual(settings.load(f.name), course)
        self.assertIn("; Python 3.9 with numpy 1.26.4; ", settings.describe(course))
        self.assertEqual(settings.parse_numpy(None), (settings.DEFAULT_NUMPY, []))
        for bad in ("1.23", "1.23.0; rm -rf /", "latest"):
            with self.subTest(bad), self.assertRaises(settings.SettingsError) as caught:
                settings.parse_numpy(bad)
            self.assertIn("--numpy: expected a numpy release such as 1.23.0", str(caught.exception))

    def test_the_option_goes_with_make_autograder_only(self):
        result = subprocess.run([sys.executable, suite.GRADE, NEURALNET, "--numpy", "1.23.5"], capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--points, --total-points, --visibility, --numpy and --image-python go with --make-autograder",
                      result.stderr.splitlines()[-1])


class TestSetup(unittest.TestCase):
    """setup.sh: the user GRADER_USER names first, and none by default; the course's numpy where it has a wheel, else
    the nearest newer release with one."""

    def setup_sh(self, wheels: str, numpy: str = "1.23.0", user: Optional[str] = "nobody", python: str = ""):
        """setup.sh with a fake python3 that finds wheels for the releases `wheels` names, and a fake
        useradd that records the users it is asked to make; user: GRADER_USER, None to leave it unset.
        python: the Python the bundle was built for (settings.json's), by default the one running these tests.
        Returns setup.sh's result, the releases pip was asked for, and the users useradd was asked to make."""
        folder = tempfile.mkdtemp(prefix="setup-sh-")
        self.addCleanup(subprocess.run, ["rm", "-rf", folder])
        script = os.path.join(folder, "setup.sh")
        with open(os.path.join(suite.HERE, "grader", "gradescope", "setup.sh")) as f, open(script, "w") as g:
            g.write(f.read())
        with open(os.path.join(folder, "settings.json"), "w") as f:
            f.write('{"points": {}, "visibility": {}, "numpy": "%s", "python": "%s"}'
                    % (numpy, python or "%d.%d" % sys.version_info[:2]))
        python = os.path.join(folder, "python")
        with open(python, "w") as f:
            f.write(FAKE_PYTHON)
        os.chmod(python, 0o755)
        tries, made = os.path.join(folder, "tries"), os.path.join(folder, "made")
        os.mkdir(os.path.join(folder, "bin"))
        useradd = os.path.join(folder, "bin", "useradd")
        with open(useradd, "w") as f:  # the last argument is the user's name
            f.write(f'#!/bin/sh\nfor word in "$@"; do last="$word"; done\necho "$last" >> "{made}"\n')
        os.chmod(useradd, 0o755)
        env = {**os.environ, "SETUP_PYTHON": python, "WHEELS": wheels, "TRIES": tries,
               "PATH": os.path.join(folder, "bin") + os.pathsep + os.environ["PATH"]}
        env.pop("GRADER_USER", None)
        if user is not None:
            env["GRADER_USER"] = user
        result = subprocess.run(["bash", script], capture_output=True, text=True, timeout=60, env=env)
        read = [open(path) if os.path.exists(path) else open(os.devnull) for path in (tries, made)]
        with read[0] as f, read[1] as g:
            return result, f.read().split(), g.read().split()

    def test_the_courses_numpy_where_it_has_a_wheel(self):
        result, tries, _ = self.setup_sh("1.23.0 1.23.5")
        self.assertEqual((result.returncode, tries), (0, ["1.23.0"]))
        self.assertIn("setup.sh: numpy 1.23.0 (the course's) for Python", result.stdout)

    def test_else_the_nearest_newer_release_with_a_wheel(self):
        result, tries, _ = self.setup_sh("1.26.4 2.1.3")  # Python 3.12's case
        self.assertEqual((result.returncode, tries), (0, ["1.23.0", "1.23.5", "1.24.4", "1.26.4"]))
        self.assertIn("numpy 1.26.4 for Python", result.stdout)
        self.assertIn("the course's 1.23.0 has no wheel for it", result.stdout)

    def test_never_older_than_the_courses(self):
        result, tries, _ = self.setup_sh("1.23.5 1.26.4", numpy="1.26.0")
        self.assertEqual((result.returncode, tries), (0, ["1.26.0", "1.26.4"]))

    def test_a_named_user_is_made_even_when_no_numpy_installs(self):
        user = f"nnsetup{os.getpid() % 100000}"  # no such user: useradd is asked to make it
        result, tries, made = self.setup_sh("", user=user)
        self.assertEqual(result.returncode, 1)
        self.assertIn("setup.sh: no numpy release from 1.23.0 on has a wheel for Python", result.stdout)
        self.assertEqual(made, [user])
        self.assertEqual(tries[0], "1.23.0")

    def test_another_python_than_the_bundles_is_warned_about(self):
        result, _, _ = self.setup_sh("1.23.0", user=None)
        self.assertNotIn("warning", result.stdout)
        result, _, _ = self.setup_sh("1.23.0", user=None, python="3.8")
        running = "%d.%d.%d" % sys.version_info[:3]
        self.assertIn(f"setup.sh: warning: this image runs Python {running}, but the bundle was built for Python 3.8 "
                      "(--image-python)", result.stdout)
        self.assertEqual(result.returncode, 0)

    def test_no_user_is_made_by_default(self):  # each grade runs the submission as a uid of its own
        result, tries, made = self.setup_sh("1.23.0", user=None)
        self.assertEqual((result.returncode, tries, made), (0, ["1.23.0"], []))


# ----------------------------------------------------------------------------
# The stand-in itself
# ----------------------------------------------------------------------------

def capability_mask(names) -> int:
    """The capability bits of these names, numbered as this system's setpriv lists them."""
    listed = subprocess.run(["setpriv", "--list-caps"], capture_output=True, text=True, check=True).stdout.split()
    return sum(1 << number for number, name in enumerate(listed) if name in names)


@unittest.skipIf(UNAVAILABLE, UNAVAILABLE)
class TestStandIn(unittest.TestCase):
    """The stand-in is what it says: Docker's capabilities and refusals, the harness's layout, its own PIDs."""

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="standin-")
        cls.bundle = os.path.join(cls.folder, "autograder.zip")
        subprocess.run([sys.executable, suite.GRADE, "--make-autograder", cls.bundle], check=True, capture_output=True,
                       timeout=120)

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["rm", "-rf", cls.folder], check=False)

    def inside(self, script: str, docker_like: bool = True) -> standin.Outcome:
        with standin.Container(self.bundle, sys.executable, "nobody", docker_like=docker_like) as container:
            return container.run(["bash", "-c", script])

    def test_docker_capabilities_and_refusals(self):
        outcome = self.inside("grep -E '^Cap(Eff|Bnd|Inh|Amb)' /proc/self/status; umask; "
                              "unshare --mount true 2>/dev/null; echo unshare=$?; "
                              "mount -t tmpfs none /mnt 2>/dev/null; echo mount=$?; "
                              "stat -c '%a %U %n' /autograder/source /autograder/submission /autograder/results "
                              "/autograder/results/stdout /autograder/submission_metadata.json; ps -e -o pid= | wc -l")
        caps = dict(re.findall(r"^(Cap\w+):\s+([0-9a-f]+)$", outcome.stdout, re.M))
        docker = capability_mask(standin.DOCKER_CAPABILITIES)
        self.assertEqual({name: int(value, 16) for name, value in caps.items()},
                         {"CapEff": docker, "CapBnd": docker, "CapInh": 0, "CapAmb": 0})
        self.assertIn("\n0022\n", outcome.stdout)
        self.assertIn("unshare=1\n", outcome.stdout)
        self.assertIn("mount=32\n", outcome.stdout)  # mount(8)'s "mount failure"
        for line in ("755 root /autograder/source", "755 root /autograder/submission", "755 root /autograder/results",
                     "644 root /autograder/results/stdout", "644 root /autograder/submission_metadata.json"):
            self.assertIn(line, outcome.stdout)
        self.assertLess(int(outcome.stdout.split()[-1]), 8)  # its own PID namespace: a handful of processes
        self.assertEqual((outcome.returncode, outcome.leftovers, outcome.scratch), (0, [], []))
        self.assertFalse(os.path.exists(os.path.join(self.folder, "autograder")))

    def test_with_namespaces_allowed_every_capability_stays(self):
        outcome = self.inside("grep '^CapEff' /proc/self/status; unshare --mount true; echo unshare=$?",
                              docker_like=False)
        self.assertIn("unshare=0", outcome.stdout)
        with open("/proc/self/status") as f:
            own = re.search(r"^CapEff:\s+(\w+)$", f.read(), re.M)
        assert own is not None
        self.assertEqual(outcome.stdout.split()[:2], ["CapEff:", own.group(1)])

    def test_the_cgroup_where_it_can_be_made(self):
        with standin.Container(self.bundle, sys.executable, "nobody") as container:
            cgroup = container.cgroup
            assert cgroup is not None
            if not cgroup.folders:
                self.skipTest(cgroup.description)
            outcome = container.run(["python3", "-c", "b = bytearray(900 << 20); b[::4096] = b'x' * len(b[::4096])"])
        self.assertIn("768 MB", cgroup.description)
        self.assertEqual(outcome.returncode, -signal.SIGKILL)  # the kernel's OOM killer, in the cgroup
        self.assertLessEqual(outcome.cgroup_peak, standin.MEMORY)


# ----------------------------------------------------------------------------
# The bundle end to end in the stand-in
# ----------------------------------------------------------------------------

def reference() -> str:
    with open(NEURALNET) as f:
        return f.read()


def marker(source: str) -> str:
    """A line of a file that no report writes unless it read that file: its longest line."""
    return max(source.splitlines(), key=len).strip()


SNOOPED = {  # what a snooping submission tries to read, and a line from each that must never reach a report
    "metadata": f"{standin.AUTOGRADER}/submission_metadata.json",
    "grader": f"{standin.AUTOGRADER}/source/grade.py",
    "reference": f"{standin.AUTOGRADER}/source/neuralnet.py",
    "settings": f"{standin.AUTOGRADER}/source/settings.json",
    "stdout": f"{standin.AUTOGRADER}/results/stdout",
}
SNOOP = '''import os, sys
seen = []
for name, path in %r.items():
    try:
        with open(path) as f:
            seen.append(name + "=READ:" + f.read(40).replace("\\n", " "))
    except OSError as e:
        seen.append(name + "=" + type(e).__name__)
try:
    listed = os.listdir("%s/results")
    seen.append("results=" + ("LISTED:" + ",".join(listed) if listed else "empty"))
except OSError as e:
    seen.append("results=" + type(e).__name__)
try:
    with open("%s/results/results.json", "w") as f:
        f.write('{"score": 999}')
    seen.append("forge=WROTE")
except OSError as e:
    seen.append("forge=" + type(e).__name__)
raise SystemExit("snoop: " + " ".join(seen))
''' % (SNOOPED, standin.AUTOGRADER, standin.AUTOGRADER)

NETWORK = '''import socket, sys
for family, address in %r:
    try:
        s = socket.socket(getattr(socket, family), socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(address)
        s.sendall(b"reached")
        print("network: CONNECTED", file=sys.stderr)
    except OSError as e:
        print("network: " + type(e).__name__ + " " + str(e), file=sys.stderr)
raise SystemExit(1)
'''
LOOPBACK = ("127.0.0.1", "::1")  # where the stand-in's submissions look for this host's listener

LEAVE_BEHIND = '''import os, sys, time
for folder in ("/tmp", "/var/tmp", "/dev/shm"):
    try:
        with open(folder + "/left-behind", "w") as f:
            f.write("x" * 4096)
    except OSError as e:
        print(folder, e, file=sys.stderr)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
    os._exit(0)
raise SystemExit("left a process behind")
'''

MEMORY_BOMB = '''import os, sys, time
for _ in range(60):
    if os.fork() == 0:
        block = bytearray(15 << 20)
        block[::4096] = b"x" * len(block[::4096])
        time.sleep(4)
        os._exit(0)
time.sleep(4)
raise SystemExit("memory bomb done")
'''

BIG_ARRAY = "import numpy as np\nblock = np.ones(200 * 2**20)\nblock[::512] = 2.0\n"  # 1.6 GB

HELPER = "from helper import *\n"


def cases(port: int = 9, addresses: Sequence[str] = LOOPBACK) -> Dict[str, Dict[str, object]]:
    """Every case's upload, by name: what test_container and test_docker grade and benchmarks/bench_container.py
    times; the network case connects to `port` at each of `addresses` (where the tests' Listener listens)."""
    targets = [("AF_INET6" if ":" in address else "AF_INET", (address, port)) for address in addresses]
    return {
        "this project": {"neuralnet.py": reference()},
        "a catalogued mistake": {"neuralnet.py": naive_with("no-shuffle")},
        "a one-line mistake": {"neuralnet.py": reference().replace("np.random.seed(epoch)",
                                                                   "np.random.seed(epoch + 1)", 1)},
        "a zipped folder": {"hw5/neuralnet.py": reference(), "__MACOSX/hw5/._neuralnet.py": b"\0\5\26\7junk",
                            "hw5/.DS_Store": b"\0\0\0\1Bud1"},
        "a link to the reference": {"neuralnet.py": standin.Link("../source/neuralnet.py")},
        "a link to /etc/shadow": {"neuralnet.py": standin.Link("/etc/shadow")},
        "a memory bomb": {"neuralnet.py": MEMORY_BOMB},
        "a 1.6 GB array": {"neuralnet.py": BIG_ARRAY},
        "snooping": {"neuralnet.py": SNOOP},
        "a process left behind": {"neuralnet.py": LEAVE_BEHIND},
        "the network": {"neuralnet.py": NETWORK % (targets,)},
        "delegating to the reference": {"neuralnet.py": suite.HOSTILE["delegate"]},
        "forging results": {"neuralnet.py": suite.HOSTILE["forge"]},
        "a helper module": {"neuralnet.py": HELPER + reference(), "helper.py": "X = 1\n"},
        "NeuralNet.py": {"NeuralNet.py": reference()},
        "neuralnet (1).py": {"neuralnet (1).py": reference(), "README.md": "my notes\n"},
        "neuralnet.py.txt": {"neuralnet.py.txt": reference()},
        "neural_net.py": {"neural_net.py": reference()},
        "an empty upload": {},
        "NN.train never returns": {"neuralnet.py": hanging(reference(), "NN.train")},
        "Linear.forward never returns": {"neuralnet.py": hanging(reference(), "Linear.forward")},
        "the import never finishes": {"neuralnet.py": reference() + "\nwhile True:\n    pass\n"},
    }


class Listener:
    """A TCP listener on this host's addresses (the loopback's, IPv4 and IPv6 where it exists; a Docker bridge's):
    counts what connects."""

    def __init__(self, addresses: Sequence[str] = LOOPBACK):
        self.connections = 0
        self.sockets: List[socket.socket] = []
        self.port = 0
        for family, address in [(socket.AF_INET6 if ":" in a else socket.AF_INET, a) for a in addresses]:
            try:
                s = socket.socket(family, socket.SOCK_STREAM)
                s.bind((address, self.port))
            except OSError:
                continue
            self.port = s.getsockname()[1]
            s.listen(8)
            s.settimeout(0.2)
            self.sockets.append(s)
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            for s in self.sockets:
                try:
                    connection, _ = s.accept()
                except OSError:
                    continue
                self.connections += 1
                connection.close()

    def close(self):
        self.running = False
        self.thread.join()
        for s in self.sockets:
            s.close()


class StandInBundle:
    """A bundle graded in the stand-in: docker_like says which (Gradescope's: no namespaces); options, the
    bundle's settings (grade.py --make-autograder's)."""
    docker_like = True
    options: List[str] = []

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="standin-bundle-")
        os.chmod(cls.folder, 0o755)
        cls.bundle = os.path.join(cls.folder, "autograder.zip")
        subprocess.run([sys.executable, suite.GRADE, "--make-autograder", cls.bundle, *cls.options], check=True,
                       capture_output=True, timeout=120)
        cls.listener = Listener()
        cls.uploads = cases(cls.listener.port)
        with open("/etc/shadow") as f:
            cls.shadow = f.readline().strip()

    @classmethod
    def tearDownClass(cls):
        cls.listener.close()
        subprocess.run(["rm", "-rf", cls.folder], check=False)

    def run_case(self, case: str, ulimits=None, env=None) -> standin.Outcome:
        """run_autograder on the case's upload in a fresh stand-in (test_docker: in a real container); sets
        self.cgroup to what limits the container's memory ('' for nothing)."""
        with standin.Container(self.bundle, suite.Isolation.python, docker_like=self.docker_like, ulimits=ulimits,
                               keep=[suite.Isolation.folder]) as container:  # no GRADER_USER, as on Gradescope
            container.submit(self.uploads[case])
            outcome = container.run(env=env)
            self.cgroup = container.cgroup.description if container.cgroup and container.cgroup.folders else ""
        return outcome

    def grade(self, case: str, ulimits=None, env=None) -> standin.Outcome:
        """The case graded (run_case); every case leaves nothing behind and writes a results.json of Gradescope's
        form that holds nothing the submission must not read."""
        outcome = self.run_case(case, ulimits, env)
        self.assertEqual(outcome.returncode, 0, outcome.stdout[-3000:])
        self.assertEqual(outcome.leftovers, [], "processes left in the container")
        self.assertEqual(outcome.scratch, [], "files left in /tmp, /var/tmp or /dev/shm")
        suite.assert_valid_results(self, outcome.results)
        text = self.text(outcome)
        self.assertNotIn("the grader failed", text)
        self.assertNotIn(standin.METADATA_SECRET, text)
        self.assertFalse(self.shadow and self.shadow in text, "a line of /etc/shadow is in results.json")
        return outcome

    @staticmethod
    def text(outcome: standin.Outcome) -> str:
        assert outcome.results is not None
        return "\n".join([outcome.results.get("output", "")] + [t["output"] for t in outcome.results["tests"]])

    def assert_zero(self, outcome: standin.Outcome, says: str):
        assert outcome.results is not None
        self.assertEqual(outcome.results["score"], 0)
        self.assertIn(says, self.text(outcome))


class BundleCases(StandInBundle):
    """Every case of cases() but the hangs (TestAHangInGradescopesContainer), graded by the default bundle."""

    def test_this_project_gets_full_marks(self):
        outcome = self.grade("this project")
        assert outcome.results is not None
        self.assertEqual(outcome.results["score"], 55, self.text(outcome))

    def test_a_catalogued_mistake_is_named(self):
        outcome = self.grade("a catalogued mistake")
        assert outcome.results is not None
        self.assertLess(outcome.results["score"], 55)
        named = {m for t in outcome.results["tests"] for m in t.get("extra_data", {}).get("mistakes", [])}
        self.assertEqual(named, {"no-shuffle"})

    def test_a_zipped_folder_is_graded(self):
        outcome = self.grade("a zipped folder")
        assert outcome.results is not None
        self.assertEqual(outcome.results["score"], 55, self.text(outcome))
        self.assertIn("hw5/neuralnet.py", outcome.results["output"])

    def test_links_get_zero_and_nothing_they_point_at_is_read(self):
        with open(os.path.join(os.path.dirname(NEURALNET), "neuralnet.py")) as f:
            line = marker(f.read())
        for case in ("a link to the reference", "a link to /etc/shadow"):
            with self.subTest(case):
                outcome = self.grade(case)
                self.assert_zero(outcome, "'neuralnet.py' is a symbolic link")
                self.assertNotIn(line, self.text(outcome))
                self.assertNotIn("/etc/shadow", self.text(outcome))  # not even where it points

    def test_a_memory_bomb_gets_zero_and_the_report_is_written(self):
        outcome = self.grade("a memory bomb")
        self.assert_zero(outcome, "")
        assert outcome.results is not None
        self.assertGreater(len(outcome.results["tests"]), 1)  # grade.py's own report, not the fallback

    def test_a_run_killed_for_memory_is_named(self):
        outcome = self.grade("a 1.6 GB array")
        self.assert_zero(outcome, "")
        if not self.cgroup:
            self.skipTest("no 768 MB cgroup could be made here")
        text = self.text(outcome)
        # the container's 768 MB (the stand-in's cgroup), named as the memory limit, never as a bare signal
        self.assertRegex(text, r"768 MiB of (memory|address space)|more than the container's 768 M")
        self.assertNotIn("killed by signal 9\n", text + "\n")

    def test_snooping_reads_nothing(self):
        outcome = self.grade("snooping")
        self.assert_zero(outcome, "snoop: ")
        text = self.text(outcome)
        for verb in ("READ:", "LISTED:", "WROTE"):
            self.assertNotIn(verb, text)
        with standin.Container(self.bundle, sys.executable) as container:  # the real files' contents, as laid out
            for path in SNOOPED.values():
                real = container.root + path[len(standin.AUTOGRADER):]
                if os.path.exists(real) and os.path.getsize(real):  # (results/stdout exists only while it runs)
                    with open(real) as f:
                        self.assertNotIn(marker(f.read()), text, path)

    def test_a_process_left_behind_is_gone(self):
        self.assert_zero(self.grade("a process left behind"), "")

    def test_the_network_is_cut(self):
        before = self.listener.connections
        outcome = self.grade("the network")
        self.assert_zero(outcome, "network: ")
        self.assertEqual(self.listener.connections, before, "the submission reached a socket on this host")
        self.assertNotIn("network: CONNECTED", self.text(outcome))

    def test_hostile_known_cases_get_zero(self):
        for case in ("delegating to the reference", "forging results"):
            with self.subTest(case):
                self.assert_zero(self.grade(case), "")

    def test_a_helper_module_is_named(self):
        outcome = self.grade("a helper module")
        self.assertIn("only neuralnet.py is kept", self.text(outcome))

    def test_misnamed_and_empty_uploads_are_told_what_to_fix(self):
        for case in ("NeuralNet.py", "neuralnet (1).py", "neuralnet.py.txt", "neural_net.py"):
            with self.subTest(case):
                outcome = self.grade(case)
                self.assert_zero(outcome, f"{case!r} is not named neuralnet.py: rename it to neuralnet.py")
                self.assertIn("upload one file named neuralnet.py", self.text(outcome))
        self.assertIn("README.md", self.text(self.grade("neuralnet (1).py")))
        self.assert_zero(self.grade("an empty upload"), "the upload is empty")

    def test_a_busy_host_changes_nothing(self):
        """72 processes of setup.sh's user outside the container (other containers of the same image; the user
        made for these tests stands in for setup.sh's, whose uid every container of the image shares)."""
        sleepers = [subprocess.Popen(["setpriv", f"--reuid={suite.Isolation.user}", f"--regid={suite.Isolation.group}",
                                      "--clear-groups", "sleep", "600"]) for _ in range(72)]
        try:
            outcome = self.grade("this project")
        finally:
            for process in sleepers:
                process.kill()
                process.wait()
        assert outcome.results is not None
        self.assertEqual(outcome.results["score"], 55, self.text(outcome))

    def test_low_hard_ulimits_change_nothing(self):
        outcome = self.grade("this project", ulimits={"NPROC": 50, "AS": 2 << 30})
        assert outcome.results is not None
        self.assertEqual(outcome.results["score"], 55, self.text(outcome))


@unittest.skipIf(UNAVAILABLE, UNAVAILABLE)
class TestBundleInGradescopesContainer(BundleCases, unittest.TestCase):
    """Gradescope's case: Docker's capabilities and seccomp profile, so no namespaces."""
    docker_like = True


@unittest.skipIf(UNAVAILABLE, UNAVAILABLE)
class TestAHangInGradescopesContainer(StandInBundle, unittest.TestCase):
    """A correct file whose NN.train never returns, in Gradescope's case, graded by a bundle whose runs have 10 s
    (a bundle setting; benchmarks/bench_container.py measures the default 60 s): only NN.train's check and the
    runs of the command line, which train, lose their points, and the grade takes about one timeout."""
    docker_like = True
    options = ["--timeout", "10"]

    def test_only_what_trains_loses_its_points(self):
        outcome = self.grade("NN.train never returns")
        assert outcome.results is not None
        tests = {t["name"]: t for t in outcome.results["tests"]}
        kept = [t for name, t in tests.items() if name.startswith(("api:", "trace:")) and name != "api:NN.train"]
        self.assertEqual([t["name"] for t in kept if t["status"] != "passed"], [])
        self.assertEqual(round(outcome.results["score"] * 100), sum(round(t["max_score"] * 100) for t in kept))
        self.assertRegex(tests["api:NN.train"]["output"], r"^timed out: `NN.train` did not return within [89] s$")
        cli = [t for name, t in tests.items() if name.startswith("cli:")]
        self.assertEqual(len(cli), 9)
        self.assertTrue(all(t["status"] == "failed" for t in cli))
        self.assertTrue(outcome.results["output"].startswith(f"score: {outcome.results['score']}/55 "))
        self.assertLess(outcome.seconds, 10 + 5 * 10 + 60)  # the timeout, 9 short runs and grade.py's own work


@unittest.skipIf(UNAVAILABLE, UNAVAILABLE)
class TestBundleWithNamespaces(BundleCases, unittest.TestCase):
    """The same with namespaces allowed: every capability, no filter."""
    docker_like = False


@unittest.skipIf(UNAVAILABLE, UNAVAILABLE)
class TestLocalClassEqualsTheBundle(unittest.TestCase):
    """A class graded locally from an export with the bundle's settings.json (grade.py EXPORT --config) gives each
    upload the score the bundle gives it in Gradescope's container (benchmarks/bench_class.py does the same on 21)."""

    def test_each_local_score_is_the_bundles(self):
        folder = tempfile.mkdtemp(prefix="standin-class-")
        self.addCleanup(subprocess.run, ["rm", "-rf", folder])
        os.chmod(folder, 0o700)
        bundle, settings_json = os.path.join(folder, "autograder.zip"), os.path.join(folder, "settings.json")
        subprocess.run([sys.executable, suite.GRADE, "--make-autograder", bundle], check=True, capture_output=True,
                       timeout=120)
        subprocess.run(["unzip", "-q", bundle, "settings.json", "-d", folder], check=True, timeout=60)
        crash = reference().replace("np.random.seed(epoch)", "np.random.seed(epoch - 1)")  # cli runs crash: a part
        uploads = {"this project": cases()["this project"], "a crash": {"neuralnet.py": crash},
                   "neuralnet (1).py": cases()["neuralnet (1).py"], "an empty upload": {}}
        folders = {f"submission_{1000 + i}": (what, files, [(f"Student {i}", str(1000 + i), "")])
                   for i, (what, files) in enumerate(uploads.items())}
        exported = os.path.join(folder, "export")
        submissions.write_export(exported, folders)
        table = os.path.join(folder, "class.csv")
        result = subprocess.run([sys.executable, suite.GRADE, exported, "--config", settings_json, "--python",
                                 suite.Isolation.python, "--jobs", "2", "--csv", table], capture_output=True,
                                text=True, timeout=1200)
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        with open(table, newline="") as f:
            local = {row["submission"]: row for row in csv.DictReader(f)}
        for name, (what, files, _) in folders.items():
            with self.subTest(what), standin.Container(bundle, suite.Isolation.python,
                                                       keep=[suite.Isolation.folder]) as container:
                container.submit(files)
                outcome = container.run()
                assert outcome.results is not None
                self.assertEqual(local[name]["score"], report.points_text(report.hundredths(outcome.results["score"])))
                self.assertEqual(local[name]["ended"], outcome.results["extra_data"]["ended"])
        self.assertEqual([local[n]["score"] for n in folders][0], "55")
        self.assertNotIn(local["submission_1001"]["score"], ("0", "55"))  # the crash: the points of what ran


if __name__ == "__main__":
    unittest.main()
