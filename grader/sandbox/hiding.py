"""What the submission must not reach, as root: the grader, the data, the results, its own folder,
the harness's metadata.

Guarantees:
  - HiddenModes: each hidden path loses its group and other permission bits while a grade needs it
    hidden, whatever modes the harness gave, and gets its mode back after the last grade that holds
    it; the old modes are recorded in a root-only file under a lock, so that grades at once share
    the record and a grade that died is undone by the next;
  - MountNamespace, where the system allows namespaces: a root `sleep` holds a private mount (and,
    where allowed, network) namespace that every run enters, where the hidden folders are covered
    by empty read-only file systems, /tmp is a fresh tmpfs of --disk bytes holding the run folders,
    and the other world-writable places are read-only; it dies with grade.py, and its namespace
    and /tmp go with it.
The first run of every grade (the sandbox's preflight) checks that the uid reads nothing hidden;
if it can, grading stops as a bug of grade.py's.

Tested by grader/test_sandbox.py's TestHiddenModes (hidden while held, restored after the last, a
grade that died undone by the next), the snooping cases graded in the container stand-in with
namespaces and without (grader/test_container.py), and grader/test_grader.py's world-readable grader
hidden without mount namespaces.
"""
import contextlib
import fcntl
import json
import os
import shutil
import signal
import stat
import subprocess
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence

from grader.sandbox import system
from grader.sandbox.system import MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, call, mount
from grader.sandbox.users import root_folder

INNER_BASE = "/tmp/grade"  # the run folders, as a submission sees them in the namespace
COVERED_SCRATCH = ("/var/tmp", "/dev/shm", "/run/lock")  # other world-writable places, made read-only


class HiddenModes:
    """Paths made unreachable to the submission's user by their modes: each loses its group and other
    permission bits while a grade needs it hidden, and gets its mode back after the last such grade.

    The old modes and the grades holding each path hidden are recorded in root_folder(), under a lock,
    so that grades at once share the record, and a grade that died (killed, out of memory) is undone
    by the next grade: its paths get their modes back once no live grade holds them.
    """

    def __init__(self):
        # One record per mount and PID namespace: its paths and pids mean something only there (a container
        # that shares this folder with the host, as the tests' stand-in does, keeps a record of its own).
        spaces = []
        for kind in ("mnt", "pid"):
            with contextlib.suppress(OSError):
                spaces.append(str(os.stat(f"/proc/self/ns/{kind}").st_ino))
        self.record = os.path.join(root_folder(), "-".join(["hidden-modes", *spaces]) + ".json")
        self.paths: List[str] = []
        self.holder = [os.getpid(), os.urandom(8).hex()]  # this grade in the record: its pid, and itself

    def hide(self, paths: Sequence[str]) -> None:
        with self._locked() as held:
            for path in paths:
                with contextlib.suppress(OSError):
                    info = os.lstat(path)
                    if stat.S_ISLNK(info.st_mode):  # (the paths are resolved: only root could have made one since)
                        continue
                    entry = held.setdefault(path, {"mode": stat.S_IMODE(info.st_mode), "holders": []})
                    entry["holders"].append(self.holder)
                    os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077)
                    self.paths.append(path)

    def restore(self) -> None:
        if not self.paths:
            return
        with self._locked() as held:
            for path in self.paths:
                if path in held:
                    held[path]["holders"] = [h for h in held[path]["holders"] if h != self.holder]
        self.paths = []

    @contextlib.contextmanager
    def _locked(self) -> Iterator[Dict[str, Dict[str, Any]]]:
        """The record, read and written back under its lock; paths no live grade holds get their modes back."""
        fd = os.open(self.record, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                held = json.loads(os.pread(fd, 1 << 22, 0) or b"{}")
            except ValueError:  # (only root writes it: a grade that died while writing)
                held = {}
            self._undo_dead(held)
            yield held
            self._undo_dead(held)
            data = json.dumps(held).encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        finally:
            os.close(fd)

    @staticmethod
    def _undo_dead(held: Dict[str, Dict[str, Any]]) -> None:
        for path in list(held):
            held[path]["holders"] = [h for h in held[path]["holders"] if system.alive(h[0])]
            if not held[path]["holders"]:
                with contextlib.suppress(OSError):
                    if not os.path.islink(path):
                        os.chmod(path, held[path]["mode"])
                del held[path]


class MountNamespace:
    """A root `sleep` whose private mount (and, where allowed, network) namespace every run enters.

    Args:
        python: the interpreter the runs use; a venv of it under /tmp (a test's) is bound back, read-only,
            into the namespace's own /tmp, which would otherwise cover it.
        hidden: the paths to cover with empty read-only file systems (those under /tmp are covered by the
            fresh /tmp already).
        disk: the size of the namespace's /tmp, in bytes: --disk.
    Raises OSError (or subprocess.SubprocessError) when the namespace cannot be made; nothing is left then.
    """

    def __init__(self, python: str, hidden: Sequence[str], disk: int):
        keep = self.interpreter_folder(python)
        covered = [p for p in hidden if not p.startswith("/tmp/") and p != "/tmp"]

        def hold():
            call("unshare", system.CLONE_NEWNS)
            with contextlib.suppress(OSError):
                call("unshare", system.CLONE_NEWNET)
            mount("none", "/", None, system.MS_REC | system.MS_PRIVATE)
            for path in covered:
                if os.path.isdir(path):
                    mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16k,mode=0755")
            kept = os.open(keep, os.O_RDONLY | os.O_DIRECTORY) if keep else None
            mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={disk},mode=1777")
            if kept is not None:  # the interpreter lives under /tmp (a test's venv): put it back, read-only
                os.makedirs(keep, 0o755)
                mount(f"/proc/self/fd/{kept}", keep, None, system.MS_BIND | system.MS_REC)
                mount(None, keep, None, system.MS_REMOUNT | system.MS_BIND | MS_RDONLY)
                os.close(kept)
            for path in COVERED_SCRATCH:
                if os.path.isdir(path) and not os.path.islink(path):
                    mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16k")
            os.mkdir(INNER_BASE, 0o755)
            call("prctl", system.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

        sleep = shutil.which("sleep")
        command = [sleep, "infinity"] if sleep else [python, "-c", "import time; time.sleep(1e9)"]
        self.process = subprocess.Popen(command, preexec_fn=hold, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pid = self.process.pid
        deadline = time.monotonic() + 5
        while not os.path.isdir(self.outer(INNER_BASE)):  # set up before exec: there once it runs
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise OSError("the namespace holder did not start")
            time.sleep(0.001)
        self.network = os.readlink(f"/proc/{self.pid}/ns/net") != os.readlink("/proc/self/ns/net")

    @staticmethod
    def interpreter_folder(python: str) -> Optional[str]:
        """The folder of a venv interpreter under /tmp, which the namespace's /tmp would cover."""
        folder = os.path.dirname(os.path.dirname(os.path.abspath(python)))
        return folder if folder.startswith("/tmp/") else None

    def outer(self, inner: str) -> str:
        """A path in the namespace as grade.py reaches it."""
        return f"/proc/{self.pid}/root{inner}"

    def close(self) -> None:
        """The holder killed: its namespace and /tmp go with it."""
        self.process.kill()
        self.process.wait()
