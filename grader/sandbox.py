"""Linux's isolation, on top of the portable runner (grader/runner.py).

Imported only on Linux (grader.isolation.make_runner). On Linux a run also gets resource
limits (address space, file size, CPU time), and grade.py becomes the subreaper of its
runs, so that an orphan that leaves the run's session comes back to it and is killed;
where the kernel or libc lacks prctl, or /proc is missing, those two are left out.

As root (Gradescope's case) every run also:
  - runs as an unprivileged user (--user), with no groups and no way to gain privileges;
  - enters a private mount namespace, held for the whole grade by a `sleep` process,
    where the grader's folder, the data, the results folder and the submission's own
    folder are covered by empty read-only file systems, and /tmp is a fresh tmpfs of
    a fixed size that holds the run folders (so everything a submission writes is
    bounded); where the system refuses namespaces, those paths must be unreadable
    to the user instead, or grading stops with an error;
  - has no network, where a new network namespace can be made;
  - is limited in the number of processes of its user;
  - ends with every process of that user killed.
"""
import contextlib
import ctypes
import fcntl
import os
import pwd
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

from grader.runner import Limits, PosixProcesses, Runner, RunResult, SandboxError, size

CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38
INNER_BASE = "/tmp/grade"  # the run folders, as a submission sees them in the namespace
COVERED_SCRATCH = ("/var/tmp", "/dev/shm", "/run/lock")  # other world-writable places, made read-only

_libc = ctypes.CDLL(None, use_errno=True)


def _call(name: str, *args) -> None:
    function = getattr(_libc, name, None)
    if function is None:  # a libc without it (not Linux's)
        raise OSError(0, f"{name}: not in this system's libc")
    if function(*args) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{name}: {os.strerror(code)}")


def _mount(source: Optional[str], target: str, fstype: Optional[str], flags: int, data: Optional[str] = None):
    def encode(text: Optional[str]) -> Optional[bytes]:
        return text.encode() if text is not None else None
    _call("mount", encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data))


def _children_of(pid: int, leave_out: Optional[int] = None) -> List[int]:
    """The processes whose parent is pid, read from /proc ([] where there is no /proc)."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    found = []
    for entry in entries:
        if entry.isdigit() and int(entry) != leave_out:
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
    return found


class LimitedRunner(Runner):
    """The runner on Linux: resource limits in each run, and its orphans collected (grade.py is their
    subreaper, where the kernel allows it) and killed.

    Args:
        python: the interpreter that runs the submission.
        limits: time, and the resource limits set in each run's process before it starts Python.
    """

    def __init__(self, python: str, limits: Limits):
        super().__init__(python, limits, PosixProcesses())
        self.holder: Optional[subprocess.Popen] = None
        try:
            _call("prctl", PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans of a run come back here to be killed
            self.subreaper = True
        except OSError:
            self.subreaper = False
        self.isolation = ("not isolated: grade.py is not running as root, so the submission runs as you, can "
                          "read what you can read and reach the network (run as root to isolate it)")

    def describe_limits(self) -> str:
        return self.limits.describe(resources=True, processes=self.uid is not None)

    def _popen_options(self, inner: str, folder: str) -> Dict[str, Any]:
        return {**super()._popen_options(inner, folder), "preexec_fn": self._entering(inner)}

    def _entering(self, inner: str) -> Callable[[], None]:
        """What the run's child does before it executes Python: its limits."""
        limits = self.limits

        def enter():
            _set_limits(limits)
            _finish_child(strict=False)
        return enter

    def _limit_hit(self, status: int, stderr: str, seconds: float, stderr_bytes: int) -> str:
        """Which limit a run that ended hit, as one phrase, or ''."""
        lowered = stderr.lower()
        if stderr_bytes >= self.limits.file_size:
            return f"hit the file-size limit ({size(self.limits.file_size)} per file) writing to stderr"
        if status == -signal.SIGXFSZ or "file too large" in lowered:
            return f"hit the file-size limit ({size(self.limits.file_size)} per file)"
        if status == -signal.SIGXCPU or (status == -signal.SIGKILL and seconds >= self.limits.cpu):
            return f"hit the CPU-time limit ({self.limits.cpu} s)"
        if "memoryerror" in lowered or "unable to allocate" in lowered or "cannot allocate memory" in lowered:
            return f"hit the memory limit ({size(self.limits.memory)} of address space)"
        if "no space left on device" in lowered:
            return f"hit the disk limit ({size(self.limits.disk)} for everything it writes)"
        if self.uid is not None and "resource temporarily unavailable" in lowered:
            return f"hit the process limit ({self.limits.processes} processes)"
        return ""

    def _end(self, process: subprocess.Popen) -> None:
        """The run's process group, every process of the user (as root), and every orphan: all killed."""
        self.processes.end(process)
        for _ in range(1000):
            left = self._user_processes()
            orphans = _children_of(os.getpid(), self.holder.pid if self.holder else None) if self.subreaper else []
            if not left and not orphans:
                return
            if left:
                self._kill_as_user()
            for pid in orphans:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
        raise SandboxError("could not kill the submission's processes")

    def _user_processes(self) -> List[int]:
        return []

    def _kill_as_user(self) -> None:
        pass


def _finish_child(strict: bool) -> None:
    """A run's child, last: no way to gain privileges, killed if grade.py dies, files written 0644.
    As root both prctl calls must succeed (strict); not as root, a kernel or libc without them leaves them out."""
    for option, value in ((PR_SET_NO_NEW_PRIVS, 1), (PR_SET_PDEATHSIG, signal.SIGKILL)):
        try:
            _call("prctl", option, value, 0, 0, 0)
        except OSError:
            if strict:
                raise
    os.umask(0o022)


def _set_limits(limits: Limits) -> None:
    cpu = max(1, limits.cpu)
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size, limits.file_size))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Sandbox(LimitedRunner):
    """As root: each run as another user, in a private mount and network namespace; see the module's docstring.

    Args:
        python: the interpreter that runs the submission; the user must be able to run it with
            numpy (checked by a first run), so not one under root's home.
        user: the unprivileged user the submission runs as; it must have no processes, since
            every process of it is killed after each run.
        limits: time, resources, processes, and the size of the namespace's /tmp.
        hide: folders the submission must not see: the grader, the data, the results, its own.
        namespaces: whether to try a mount namespace (tests turn it off to try the fallback).
    """

    def __init__(self, python: str, user: str, limits: Limits, hide: Sequence[str], namespaces: bool = True):
        super().__init__(python, limits)
        self._lock: Optional[int] = None
        self.network_cut = False
        try:
            self._isolate(user, limits, hide, namespaces)
        except BaseException:  # nothing of a sandbox that could not be set up is left behind
            self.close()
            raise

    def _isolate(self, user: str, limits: Limits, hide: Sequence[str], namespaces: bool) -> None:
        """As root: the user, its lock, the namespace (where permitted), and the preflight run."""
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            raise SandboxError(f"--user {user}: no such user") from None
        self.uid, self.gid = entry.pw_uid, entry.pw_gid
        if self.uid == 0:
            raise SandboxError(f"--user {user}: the submission must not run as root")
        self._lock = lock_user(self.uid, user)  # another grade as this user would kill this one's runs
        self.budget.restart()  # the budget starts once the user is this grade's
        if self._user_processes():  # they would be killed with the submission's
            raise SandboxError(f"--user {user} has processes running, and grading kills every process of its "
                               "user: pass a user of its own (the Gradescope bundle's setup.sh makes one)")
        wanted = sorted({os.path.realpath(p) for p in hide if os.path.exists(p)})
        self.hidden = [p for p in wanted if not any(p.startswith(q.rstrip("/") + "/") for q in wanted)]
        if namespaces:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                self._start_holder()
        os.chmod(self.private, 0o711)  # the user passes through to its run folder, and lists nothing
        where = ("in a private mount namespace (the grader's files hidden, everything written limited to "
                 f"{size(limits.disk)})" if self.holder else "without a mount namespace (refused here), the "
                 "grader's files unreadable to it")
        self.isolation = (f"isolated: runs as user {user} (uid {self.uid}) {where}, network "
                          f"{'cut' if self.network_cut else 'not cut (no network namespace here)'}")
        self._preflight(user)

    # -- the namespace -------------------------------------------------------

    def _start_holder(self) -> None:
        """A root `sleep` whose mount (and network) namespace every run enters."""
        keep = self._interpreter_folder()
        hidden = [p for p in self.hidden if not p.startswith("/tmp/") and p != "/tmp"]
        disk = self.limits.disk

        def hold():
            _call("unshare", CLONE_NEWNS)
            with contextlib.suppress(OSError):
                _call("unshare", CLONE_NEWNET)
            _mount("none", "/", None, MS_REC | MS_PRIVATE)
            for path in hidden:
                _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16k,mode=0755")
            kept = os.open(keep, os.O_RDONLY | os.O_DIRECTORY) if keep else None
            _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={disk},mode=1777")
            if kept is not None:  # the interpreter lives under /tmp (a test's venv): put it back, read-only
                os.makedirs(keep, 0o755)
                _mount(f"/proc/self/fd/{kept}", keep, None, MS_BIND | MS_REC)
                _mount(None, keep, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
                os.close(kept)
            for path in COVERED_SCRATCH:
                if os.path.isdir(path) and not os.path.islink(path):
                    _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16k")
            os.mkdir(INNER_BASE, 0o755)
            _call("prctl", PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

        sleep = shutil.which("sleep")
        command = [sleep, "infinity"] if sleep else [self.python, "-c", "import time; time.sleep(1e9)"]
        self.holder = subprocess.Popen(command, preexec_fn=hold, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while not os.path.isdir(self._outer(INNER_BASE)):  # set up before exec: there once it runs
            if self.holder.poll() is not None or time.monotonic() > deadline:
                raise OSError("the namespace holder did not start")
            time.sleep(0.001)
        self.network_cut = os.readlink(f"/proc/{self.holder.pid}/ns/net") != os.readlink("/proc/self/ns/net")

    def _interpreter_folder(self) -> Optional[str]:
        """The folder of a venv interpreter under /tmp, which the namespace's /tmp would cover."""
        folder = os.path.dirname(os.path.dirname(os.path.abspath(self.python)))
        return folder if folder.startswith("/tmp/") else None

    def _outer(self, inner: str) -> str:
        """A path in the namespace as grade.py reaches it."""
        return f"/proc/{self.holder.pid}/root{inner}" if self.holder else inner

    def _preflight(self, user: str) -> None:
        """The user can run the interpreter with numpy, and cannot read what is hidden from it."""
        probe = ("import os, sys\nimport numpy\n"
                 "for path in sys.argv[1:]:\n"
                 "    try:\n        seen = os.listdir(path) if os.path.isdir(path) else open(path).read(1)\n"
                 "    except OSError:\n        continue\n"
                 "    if seen:\n        print('readable:', path, file=sys.stderr)\n")
        # In the namespace /tmp is a fresh tmpfs: what was under it is out of reach whatever its modes.
        paths = [p for p in self.hidden if not (self.holder and (p == "/tmp" or p.startswith("/tmp/")))]
        try:
            run = self.run(["-c", probe, *paths], {}, [], "checking the interpreter")
        except OSError as e:
            run = RunResult(1, f"{type(e).__name__}: {e}", "", {})
        self.budget.stopped = ""  # the check's own run decides nothing of the submission's
        readable = [line.split(" ", 1)[1] for line in run.stderr.splitlines() if line.startswith("readable: ")]
        if run.status != 0:
            last = (run.stderr.strip().splitlines() or [run.problem or f"exit status {run.status}"])[-1]
            raise SandboxError(
                f"the user {user} cannot run {self.python} with numpy ({last}); pass --python an interpreter "
                "it can run, e.g. a venv made from the system Python in a world-readable folder: "
                "/usr/bin/python3 -m venv /opt/grader-venv && /opt/grader-venv/bin/pip install numpy==1.23.0")
        if readable:
            why = "though it was covered in the mount namespace" if self.holder else \
                "and this system refuses mount namespaces"
            raise SandboxError(
                f"the user {user} could read {readable[0]} {why}: make the grader's folders readable by root "
                f"only (chmod -R go-rwx {readable[0]}) before grading")

    # -- one run: the runner's hooks ---------------------------------------

    def _run_folder(self, count: int):
        """In the namespace the run folders are under its /tmp; without one, in grade.py's own folder."""
        if self.holder:
            inner = f"{INNER_BASE}/run-{count}"
            return inner, self._outer(inner)
        return super()._run_folder(count)

    def _hand_over(self, folder: str) -> None:
        if self.uid is not None:
            os.chown(folder, self.uid, self.gid)

    def _popen_options(self, inner: str, folder: str) -> Dict[str, Any]:
        options = super()._popen_options(inner, folder)
        if self.holder:  # the child enters the namespace and then its folder
            options["cwd"] = None
        return options

    def _environment(self, inner: str) -> Dict[str, str]:
        return {**super()._environment(inner), "TMPDIR": "/tmp"}  # the namespace's own /tmp

    def _entering(self, inner: str) -> Callable[[], None]:
        """What the run's child does before it executes Python: namespace, limits, user."""
        holder = self.holder.pid if self.holder else None
        limits, uid, gid, network = self.limits, self.uid, self.gid, self.network_cut

        def enter():
            if holder is not None:
                for kind, flag in (("mnt", CLONE_NEWNS), ("net", CLONE_NEWNET)):
                    if kind == "net" and not network:
                        continue
                    fd = os.open(f"/proc/{holder}/ns/{kind}", os.O_RDONLY)
                    _call("setns", fd, flag)
                    os.close(fd)
                os.chdir(inner)
            _set_limits(limits)
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            _finish_child(strict=True)
        return enter

    # -- cleaning up ---------------------------------------------------------

    def _kill_as_user(self) -> None:
        """kill(-1) from a child that has become the user: every process of the user at once."""
        pid = os.fork()
        if pid == 0:  # pragma: no cover (the child)
            try:
                os.setgroups([])
                os.setgid(self.gid)
                os.setuid(self.uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)

    def _user_processes(self) -> List[int]:
        """The user's live processes (not zombies)."""
        if self.uid is None:
            return []
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    if os.stat(f"/proc/{entry}").st_uid == self.uid and _state(entry) != "Z":
                        found.append(int(entry))
        return found

    def close(self) -> None:
        """Stop the holder (its namespace and /tmp go with it), remove grade.py's own folder, free the user."""
        if self.holder:
            self.holder.kill()
            self.holder.wait()
            self.holder = None
        super().close()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def lock_user(uid: int, user: str) -> int:
    """An exclusive lock on the user for this grade: a second grade as the same user waits for it.
    The lock files live in a folder only root can enter, so that no submission can hold one."""
    folder = "/run/grade-py" if os.path.isdir("/run") and os.access("/run", os.W_OK) else \
        os.path.join(tempfile.gettempdir(), "grade-py-locks")
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o077:
        raise SandboxError(f"{folder} must be a folder only root can enter (it holds the users' locks)")
    fd = os.open(os.path.join(folder, f"user-{uid}.lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"grade.py: waiting for another grade that runs submissions as {user}", file=sys.stderr, flush=True)
        fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _state(pid: str) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]
