"""Linux's isolation, on top of the portable runner (grader/runner.py).

Imported only on Linux (grader.isolation.make_runner). On Linux every run gets resource limits
(address space, file size, CPU time), each clamped to the hard limit found (a limit that cannot
be set as asked is named in the header, never a crash); its memory follows the container's own
limit where the cgroup says it (v2 memory.max, v1 memory.limit_in_bytes), and a run the kernel's
out-of-memory killer ended is named as such. Its processes get oom_score_adj 1000, so that under
memory pressure the kernel takes them, never grade.py, which then still writes its report.
grade.py is the subreaper of its runs, so that an orphan that leaves the run's session comes back
to it and is killed; where the kernel or libc lacks prctl, or /proc is missing, that is left out.

As root, Gradescope's case, the main path needs no namespaces, since Gradescope's containers refuse
them (Docker's default seccomp profile refuses mount, unshare and setns without CAP_SYS_ADMIN):
  - each run runs as a uid chosen for this grade (unused in a high range: no passwd entry, no process,
    a lock of this grade's), with a gid likewise, no other groups and no way to gain privileges; so
    RLIMIT_NPROC, kill(-1) and the removal of its files by owner concern this grade only, even on a
    host whose other containers run the same image (--user names a user instead);
  - grade.py makes what the submission must not see unreachable to that uid itself, whatever modes
    the harness gave: the group and other permission bits of each hidden path (the grader, the data,
    the results folder, the submission's folder, the harness's metadata file) are removed, the old
    modes recorded in a root-only file and restored at the end (a grade that died is undone by the
    next); the run folders live in a root-only 0711 folder, each 0700 and owned by the uid. A first
    run checks that the uid can run the interpreter with numpy, reads nothing hidden and reaches no
    network; if it can read something hidden, that is a bug of the grader's, and grading stops;
  - the network is cut by a seccomp filter in each run's process that refuses AF_INET and AF_INET6
    sockets (grader/seccomp.py), where no network namespace can be made;
  - what a run writes is bounded: its folder and TMPDIR are the run folder, each file by
    RLIMIT_FSIZE, and the run is killed once its folder and its files in the world-writable places
    (/tmp, /var/tmp, /dev/shm, /run/lock) hold more than --disk. After each run every file the uid
    owns in those places is removed, never through a link and never a file of another owner, so
    nothing carries over from run to run. (Making those places unwritable during the grade was the
    other way: it changes modes every other process of the container or host relies on, where a grade
    of its own uid can find exactly what it wrote by owner.)
  - ends with every process of the uid killed.
Where the system allows namespaces, they add to that: each run enters a private mount namespace,
held for the whole grade by a `sleep` process, where the hidden paths are also covered by empty
read-only file systems and /tmp is a fresh tmpfs of --disk bytes holding the run folders (what the uid
wrote there is removed after each run too, so that one run cannot fill it for the next), and a new
network namespace (the header says which way the network was cut).
"""
import contextlib
import ctypes
import fcntl
import grp
import json
import os
import pwd
import random
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from grader import advice, seccomp
from grader.runner import Limits, PosixProcesses, Runner, RunResult, SandboxError, size

CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
SYSTEM_PYTHON = "/usr/bin/python3"  # the interpreter the advice for --python makes a venv from
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38
INNER_BASE = "/tmp/grade"  # the run folders, as a submission sees them in the namespace
COVERED_SCRATCH = ("/var/tmp", "/dev/shm", "/run/lock")  # other world-writable places, made read-only
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock")  # where any user may write, outside namespaces
GRADE_IDS = (200_000, 1_999_999)  # the range a grade's own uid and gid are chosen from (no passwd entry needed)
POLL = 0.25  # seconds between two measures of what a run wrote
OOM_SCORE_ADJ = b"1000"  # a run's processes: the kernel's first choice when memory runs out

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


# ----------------------------------------------------------------------------
# What the system allows: the container's memory, the hard limits
# ----------------------------------------------------------------------------

class ContainerMemory:
    """The memory limit of the cgroup grade.py runs in, and its count of out-of-memory kills.

    The limit is the lowest found from grade.py's own cgroup (/proc/self/cgroup) up to the
    hierarchy's root: cgroup v1's memory.limit_in_bytes, or v2's memory.max. None where no limit
    can be read (no cgroup file system, or no limit). The kills are v1's memory.oom_control or
    v2's memory.events `oom_kill` count of that cgroup; where neither is readable, the host's
    (/proc/vmstat), which other containers' kills move too.
    """
    UNLIMITED = 1 << 60  # a v1 limit at least this large means none

    def __init__(self, proc_cgroup: str = "/proc/self/cgroup", root: str = "/sys/fs/cgroup"):
        self.limit: Optional[int] = None
        self.events = ""  # the file counting this cgroup's out-of-memory kills ('' where there is none)
        try:
            with open(proc_cgroup) as f:
                lines = [line.rstrip("\n").split(":", 2) for line in f if line.count(":") >= 2]
        except OSError:
            return
        v1 = [(path, os.path.join(root, "memory")) for _, controllers, path in lines
              if "memory" in controllers.split(",")]
        v2_root = root if os.path.exists(os.path.join(root, "cgroup.controllers")) else os.path.join(root, "unified")
        v2 = [(path, v2_root) for number, controllers, path in lines if number == "0" and not controllers]
        for (path, base), (limit_file, events_file) in [(c, ("memory.limit_in_bytes", "memory.oom_control"))
                                                        for c in v1] + \
                                                       [(c, ("memory.max", "memory.events")) for c in v2]:
            own = os.path.join(base, path.lstrip("/"))
            if not os.path.isdir(own):  # a cgroup namespace: the container's own cgroup is the root here
                own = base
            limits = [self._read_limit(os.path.join(folder, limit_file)) for folder in self._up_to(own, base)]
            found = [n for n in limits if n is not None]
            if found or os.path.exists(os.path.join(own, events_file)):
                self.limit = min(found) if found else None
                self.events = os.path.join(own, events_file) if os.path.exists(os.path.join(own, events_file)) \
                    else ""
                return

    @staticmethod
    def _up_to(folder: str, base: str) -> Iterator[str]:
        while True:
            yield folder
            if os.path.samefile(folder, base) if os.path.exists(folder) else folder == base:
                return
            parent = os.path.dirname(folder)
            if parent == folder or not parent.startswith(base):
                return
            folder = parent

    @classmethod
    def _read_limit(cls, path: str) -> Optional[int]:
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            return None
        if not text.isdigit() or int(text) >= cls.UNLIMITED:  # v2's "max", v1's near 2**63
            return None
        return int(text)

    def kills(self) -> int:
        """How many processes the out-of-memory killer has ended so far (see the class)."""
        for path in (self.events, "/proc/vmstat"):
            if not path:
                continue
            with contextlib.suppress(OSError, ValueError):
                with open(path) as f:
                    for line in f:
                        if line.startswith("oom_kill "):
                            return int(line.split()[1])
        return 0

    def host_wide(self) -> bool:
        """Whether kills() counts the whole host's kills (no cgroup file to read)."""
        return not self.events


class Rlimits(NamedTuple):
    """The resource limits of a run, computed in grade.py before any fork (never in the child), each
    clamped to the hard limit found; what could not be set as asked is named in `held`."""
    settings: List[Tuple[int, int, int]]  # (resource, soft, hard) as each run's child sets them
    limits: Limits  # the limits a run really gets
    held: List[str]  # one phrase per limit held below what was asked

    @classmethod
    def plan(cls, limits: Limits, processes: bool) -> "Rlimits":
        wanted = [("memory", resource.RLIMIT_AS, limits.memory, limits.memory),
                  ("file_size", resource.RLIMIT_FSIZE, limits.file_size, limits.file_size),
                  ("cpu", resource.RLIMIT_CPU, max(1, limits.cpu), max(1, limits.cpu) + 1),
                  ("", resource.RLIMIT_CORE, 0, 0)]
        if processes:
            wanted.append(("processes", resource.RLIMIT_NPROC, limits.processes, limits.processes))
        settings, changed, held = [], {}, []
        for field, which, soft, hard in wanted:
            found = resource.getrlimit(which)[1]
            if found != resource.RLIM_INFINITY and hard > found:  # a hard limit is never raised
                hard, soft = found, min(soft, found)
                if field:
                    changed[field] = soft
                    asked = getattr(limits, field)
                    shown = size if field in ("memory", "file_size") else str
                    what = {"memory": "of memory", "file_size": "per file", "cpu": "s of CPU time",
                            "processes": "processes"}[field]
                    held.append(f"{shown(soft)} {what} (the hard limit here, not {shown(asked)})")
            settings.append((which, soft, hard))
        return cls(settings, limits._replace(**changed), held)


def _set_limits(settings: Sequence[Tuple[int, int, int]]) -> None:
    for which, soft, hard in settings:
        resource.setrlimit(which, (soft, hard))


def _sink_in_oom_order() -> None:
    """This process (a run's child) first in the out-of-memory killer's choice; raising it needs no privilege."""
    with contextlib.suppress(OSError):
        fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        try:
            os.write(fd, OOM_SCORE_ADJ)
        finally:
            os.close(fd)


class LimitedRunner(Runner):
    """The runner on Linux: resource limits in each run (clamped to the hard limits, the memory to the
    container's), its processes first for the out-of-memory killer, and its orphans collected (grade.py
    is their subreaper, where the kernel allows it) and killed.

    Args:
        python: the interpreter that runs the submission.
        limits: time, and the resource limits set in each run's process before it starts Python; the
            memory is lowered to the container's limit where that is lower.
    """

    def __init__(self, python: str, limits: Limits):
        self.memory = ContainerMemory()
        if self.memory.limit is not None and self.memory.limit < limits.memory:
            limits = limits._replace(memory=self.memory.limit)
        super().__init__(python, limits, PosixProcesses())
        self.holder: Optional[subprocess.Popen] = None
        self.asked = limits  # the limits asked for (the memory at most the container's), before the hard limits
        self.rlimits = Rlimits.plan(limits, processes=False)
        self.limits = self.rlimits.limits
        self._kills_before = 0
        try:
            _call("prctl", PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans of a run come back here to be killed
            self.subreaper = True
        except OSError:
            self.subreaper = False
        self.isolation = ("not isolated: grade.py is not running as root, so the submission runs as you, can "
                          "read what you can read and reach the network (run as root to isolate it)")

    def describe_limits(self) -> str:
        described = self.limits.describe(resources=True, processes=self.uid is not None)
        if self.memory.limit is not None and self.limits.memory == self.memory.limit:
            described = described.replace(f"{size(self.limits.memory)} of memory",
                                          f"{size(self.limits.memory)} of memory (the container's limit)", 1)
        if self.rlimits.held:
            described += "; held by this system's hard limits: " + ", ".join(self.rlimits.held)
        return described

    def _hand_over(self, folder: str) -> None:
        self._kills_before = self.memory.kills()

    def _popen_options(self, inner: str, folder: str) -> Dict[str, Any]:
        return {**super()._popen_options(inner, folder), "preexec_fn": self._entering(inner)}

    def _entering(self, inner: str) -> Callable[[], None]:
        """What the run's child does before it executes Python: its limits."""
        settings = self.rlimits.settings

        def enter():
            _sink_in_oom_order()
            _set_limits(settings)
            _finish_child(strict=False)
        return enter

    def _wait(self, process: subprocess.Popen, timeout: float, folder: str, what: str) -> Tuple[Optional[int], str]:
        """The run's exit status, or None and why it was stopped; a run stopped for its time whose processes
        the out-of-memory killer ended meanwhile says so too."""
        status, problem = self._watch(process, timeout, folder, what)
        if status is None and self._out_of_memory(status):
            problem = f"{problem}, after it {self._out_of_memory_phrase()}"
        return status, problem

    def _watch(self, process: subprocess.Popen, timeout: float, folder: str, what: str) -> Tuple[Optional[int], str]:
        return super()._wait(process, timeout, folder, what)

    def _out_of_memory(self, status: Optional[int]) -> bool:
        """Whether the kernel's out-of-memory killer ended a process since the run started (counted host-wide,
        only when the run itself was killed by SIGKILL)."""
        return self.memory.kills() > self._kills_before and (status == -signal.SIGKILL or not self.memory.host_wide())

    def _out_of_memory_phrase(self) -> str:
        if self.memory.limit is not None:
            return (f"used more than the container's {size(self.memory.limit)} of memory (the kernel's "
                    "out-of-memory killer ended its processes)")
        return "used more memory than the system has (the kernel's out-of-memory killer ended its processes)"

    def _limit_hit(self, status: int, stderr: str, seconds: float, stderr_bytes: int) -> str:
        """Which limit a run that ended hit, as one phrase, or ''."""
        lowered = stderr.lower()
        if self._out_of_memory(status):
            return self._out_of_memory_phrase()
        if stderr_bytes >= self.limits.file_size:
            return f"hit the file-size limit ({size(self.limits.file_size)} per file) writing to stderr"
        if status == -signal.SIGXFSZ or "file too large" in lowered:
            return f"hit the file-size limit ({size(self.limits.file_size)} per file)"
        if status == -signal.SIGXCPU or (status == -signal.SIGKILL and seconds >= self.limits.cpu):
            return f"hit the CPU-time limit ({self.limits.cpu} s)"
        if "memoryerror" in lowered or "unable to allocate" in lowered or "cannot allocate memory" in lowered:
            return f"hit the memory limit ({size(self.limits.memory)} of address space)"
        if "no space left on device" in lowered:
            return self._disk_hit()
        if self.uid is not None and "resource temporarily unavailable" in lowered:
            return f"hit the process limit ({self.limits.processes} processes)"
        return ""

    def _disk_hit(self) -> str:
        return f"hit the disk limit ({size(self.limits.disk)} for everything it writes)"

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


# ----------------------------------------------------------------------------
# As root: the uid of this grade, what it must not reach, what it wrote
# ----------------------------------------------------------------------------

def root_folder() -> str:
    """A folder only root can enter, for this host's grades' locks and records (no submission can touch them)."""
    folder = "/run/grade-py" if os.path.isdir("/run") and os.access("/run", os.W_OK) else \
        os.path.join(tempfile.gettempdir(), "grade-py-locks")
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o077:
        raise SandboxError(f"{folder} must be a folder only root can enter (it holds the users' locks)")
    return folder


def lock_user(uid: int, user: str, wait: bool = True) -> Optional[int]:
    """An exclusive lock on a uid for this grade: a second grade as the same user waits for it (or, without
    `wait`, None is returned). The lock files live in root_folder(), so that no submission can hold one."""
    fd = os.open(os.path.join(root_folder(), f"user-{uid}.lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        if not wait:
            os.close(fd)
            return None
        print(f"grade.py: waiting for another grade that runs submissions as {user}", file=sys.stderr, flush=True)
        fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _id_ranges() -> List[Tuple[int, int]]:
    """The uids this process may switch to (its user namespace's map), within GRADE_IDS where possible."""
    mapped = []
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/uid_map") as f:
            for line in f:
                inside, _, count = (int(n) for n in line.split())
                mapped.append((inside, inside + count - 1))
    mapped = mapped or [(0, 65534)]
    low, high = GRADE_IDS
    wanted = [(max(a, low), min(b, high)) for a, b in mapped if min(b, high) >= max(a, low)]
    # A narrow map (a user namespace of 65536 ids): the top tenth of what it maps above the system's ids.
    return wanted or [(max(a, (a + b) // 10 * 9, 1000), b - 1) for a, b in mapped if b - 1 > max(a, 1000)]


def _uid_in_use(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        pass
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    return True
    return False


def _gid_in_use(gid: int) -> bool:
    try:
        grp.getgrgid(gid)
        return True
    except KeyError:
        return False


def choose_grade_ids() -> Tuple[int, int, int]:
    """A uid and gid unused here (no passwd or group entry, no process), chosen at random in a high range
    and locked for this grade: (uid, gid, the lock's descriptor)."""
    ranges = _id_ranges()
    chooser = random.SystemRandom()
    for _ in range(200):
        low, high = chooser.choice(ranges)
        uid = chooser.randint(low, high)
        if _uid_in_use(uid) or _gid_in_use(uid):
            continue
        lock = lock_user(uid, f"uid {uid}", wait=False)
        if lock is None:
            continue
        if _uid_in_use(uid):  # it started a process between the two looks
            os.close(lock)
            continue
        return uid, uid, lock
    raise SandboxError("found no unused uid to run the submission as: pass --user a user of its own")


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
            held[path]["holders"] = [h for h in held[path]["holders"] if _alive(h[0])]
            if not held[path]["holders"]:
                with contextlib.suppress(OSError):
                    if not os.path.islink(path):
                        os.chmod(path, held[path]["mode"])
                del held[path]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except OSError:
        return True


def _owned_entries(uid: int, top: str) -> Iterator[Tuple[int, str, str, os.stat_result]]:
    """Under `top`, never through a link: (its folder's fd, name, path, stat) of each file and folder `uid` owns,
    a link counted as a file. Only folders the uid could have written in are entered (its own, and those
    everyone may write): a run folder whole, a shared /tmp cheaply. An entry is used before the walk goes on,
    while its folder's fd is open."""
    for folder, folders, files, fd in os.fwalk(top, topdown=True, follow_symlinks=False):
        keep = []
        for name in list(folders):
            try:
                info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode):  # a link to a folder: listed with the folders, never entered
                files.append(name)
                continue
            if info.st_uid == uid or info.st_mode & stat.S_IWOTH:
                keep.append(name)
            if info.st_uid == uid:
                yield fd, name, os.path.join(folder, name), info
        folders[:] = keep
        for name in files:
            try:
                info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except OSError:
                continue
            if info.st_uid == uid:
                yield fd, name, os.path.join(folder, name), info


def scratch_places() -> List[str]:
    """The world-writable folders outside a run's folder, each once (/var/lock is often /run/lock)."""
    places = []
    for path in SCRATCH:
        real = os.path.realpath(path)
        if os.path.isdir(real) and real not in places:
            places.append(real)
    return places


def bytes_written(uid: int, folders: Sequence[str]) -> int:
    """The disk space the uid's files take in each folder (a run folder whole, or a world-writable place)."""
    total = 0
    for top in folders:
        with contextlib.suppress(OSError):
            total += sum(info.st_blocks * 512 for _, _, _, info in _owned_entries(uid, top)
                         if not stat.S_ISDIR(info.st_mode))
    return total


def remove_owned(uid: int, places: Sequence[str]) -> None:
    """Every file and folder `uid` owns in the world-writable places, removed; links are removed, never
    followed, and nothing of another owner is touched (the uid's processes are all ended by then)."""
    for top in places:
        folders = []
        with contextlib.suppress(OSError):
            for fd, name, path, info in _owned_entries(uid, top):
                if stat.S_ISDIR(info.st_mode):
                    folders.append(path)
                    continue
                with contextlib.suppress(OSError):
                    os.unlink(name, dir_fd=fd)
        for folder in sorted(folders, key=lambda f: f.count("/"), reverse=True):  # children first
            with contextlib.suppress(OSError):
                if os.lstat(folder).st_uid == uid:
                    os.rmdir(folder)


# ----------------------------------------------------------------------------
# The sandbox
# ----------------------------------------------------------------------------

class Sandbox(LimitedRunner):
    """As root: each run as a uid of this grade's own, the grader's files unreachable, the network cut, what
    it writes bounded and removed; namespaces where allowed. See the module's docstring.

    Args:
        python: the interpreter that runs the submission; the uid must be able to run it with
            numpy (checked by a first run), so not one under root's home.
        user: '' for a uid chosen for this grade (the default: it concerns this grade only, even on a
            shared host); or a user to run as, which must have no processes, since every process of it
            is killed after each run, and whose limits (RLIMIT_NPROC) count its processes host-wide.
        limits: time, resources, processes, and what a run may write (--disk).
        hide: paths the submission must not reach: the grader, the data, the results, its own folder,
            the harness's metadata.
        namespaces: whether to try namespaces (off: Gradescope's path, tried on a system that has them).
    """

    def __init__(self, python: str, user: str, limits: Limits, hide: Sequence[str], namespaces: bool = True):
        super().__init__(python, limits)
        self._lock: Optional[int] = None
        self.hidden_modes: Optional[HiddenModes] = None
        self.network = ""  # how the network is cut: 'a network namespace', 'a seccomp filter', or ''
        self.network_problem = ""  # why it is not cut
        self.scratch = scratch_places()
        self.over_disk, self.folder = False, ""  # whether the last run wrote more than --disk; its folder
        self.who = ""  # the submission's user, as messages name it
        try:
            self._isolate(user, limits, hide, namespaces)
        except BaseException:  # nothing of a sandbox that could not be set up is left behind
            self.close()
            raise

    def _isolate(self, user: str, limits: Limits, hide: Sequence[str], namespaces: bool) -> None:
        """As root: the user, its lock, the hidden paths, the namespace (where permitted), and the preflight run."""
        if user:
            try:
                entry = pwd.getpwnam(user)
            except KeyError:
                raise SandboxError(f"--user {user}: no such user") from None
            self.uid, self.gid = entry.pw_uid, entry.pw_gid
            if self.uid == 0:
                raise SandboxError(f"--user {user}: the submission must not run as root")
            self._lock = lock_user(self.uid, user)  # another grade as this user would kill this one's runs
            self.who = f"user {user}"
            if self._user_processes():  # they would be killed with the submission's
                raise SandboxError(f"--user {user} has processes running, and grading kills every process of its "
                                   "user: pass a user of its own, or no --user for a uid chosen for this grade")
        else:
            self.uid, self.gid, self._lock = choose_grade_ids()
            self.who = f"uid {self.uid} (chosen for this grade)"
        self.budget.restart()  # the budget starts once the user is this grade's
        self.rlimits = Rlimits.plan(self.asked, processes=True)
        self.limits = self.rlimits.limits
        wanted = sorted({os.path.realpath(p) for p in hide if os.path.lexists(p)})
        self.hidden = [p for p in wanted if not any(p.startswith(q.rstrip("/") + "/") for q in wanted)]
        self.hidden_modes = HiddenModes()
        self.hidden_modes.hide([p for p in self.hidden if not self._needed_on_the_way(p)])
        if namespaces:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                self._start_holder()
        if not self.network:
            self._try_network_filter()
        os.chmod(self.private, 0o711)  # the user passes through to its run folder, and lists nothing
        where = ("in a private mount namespace (the grader's files hidden, everything written limited to "
                 f"{size(self.limits.disk)})" if self.holder else "without a mount namespace (refused here), the "
                 f"grader's files made unreadable to it, everything written limited to {size(self.limits.disk)}")
        network = f"network cut by {self.network}" if self.network else f"network not cut: {self.network_problem}"
        self.isolation = f"isolated: runs as {self.who} {where}, {network}"
        self._preflight()

    def _needed_on_the_way(self, path: str) -> bool:
        """Whether the run must pass through this path (to its folder, or to the interpreter): never hidden."""
        needed = (os.path.realpath(self.private), os.path.realpath(self.python), os.path.abspath(self.python))
        return path == "/" or any(n.startswith(path.rstrip("/") + "/") for n in needed)

    def _try_network_filter(self) -> None:
        """Whether a run's child can install the seccomp filter that refuses Internet sockets: tried in a child."""
        if self.holder is not None:
            why = "no network namespace here"
        else:
            why = "no network namespace here (namespaces refused)"
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover (the child)
            try:
                os.close(read)
                seccomp.deny_network()
                import socket
                try:
                    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
                    os.write(write, b"the seccomp filter let a socket through")
                except OSError:
                    pass
            except BaseException as e:  # noqa: BLE001  (any failure is reported, never raised in the child)
                os.write(write, str(e).encode(errors="replace")[:500])
            finally:
                os._exit(0)
        os.close(write)
        with os.fdopen(read, "rb") as f:
            failure = f.read(600).decode(errors="replace")
        os.waitpid(pid, 0)
        if failure:
            self.network_problem = f"{why}, and no seccomp filter ({failure})"
        else:
            self.network = "a seccomp filter"

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
                if os.path.isdir(path):
                    _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                           "size=16k,mode=0755")
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
        if os.readlink(f"/proc/{self.holder.pid}/ns/net") != os.readlink("/proc/self/ns/net"):
            self.network = "a network namespace"

    def _interpreter_folder(self) -> Optional[str]:
        """The folder of a venv interpreter under /tmp, which the namespace's /tmp would cover."""
        folder = os.path.dirname(os.path.dirname(os.path.abspath(self.python)))
        return folder if folder.startswith("/tmp/") else None

    def _outer(self, inner: str) -> str:
        """A path in the namespace as grade.py reaches it."""
        return f"/proc/{self.holder.pid}/root{inner}" if self.holder else inner

    def _preflight(self) -> None:
        """The uid can run the interpreter with numpy, cannot read what is hidden from it, and (where a
        seccomp filter cuts the network) cannot open an Internet socket."""
        probe = ("import os, socket, sys\nimport numpy\n"
                 "for path in sys.argv[2:]:\n"
                 "    try:\n        seen = os.listdir(path) if os.path.isdir(path) else open(path).read(1)\n"
                 "    except OSError:\n        continue\n"
                 "    if seen:\n        print('readable:', path, file=sys.stderr)\n"
                 "if sys.argv[1] == 'cut':\n"
                 "    try:\n        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()\n"
                 "    except OSError:\n        pass\n"
                 "    else:\n        print('network: open', file=sys.stderr)\n")
        # In the namespace /tmp is a fresh tmpfs: what was under it is out of reach whatever its modes.
        paths = [p for p in self.hidden if not (self.holder and (p == "/tmp" or p.startswith("/tmp/")))]
        try:
            filtered = "cut" if self.network == "a seccomp filter" else "-"  # (a namespace's sockets reach nothing)
            run = self.run(["-c", probe, filtered, *paths], {}, [], "checking the interpreter")
        except OSError as e:
            run = RunResult(1, f"{type(e).__name__}: {e}", "", {})
        self.budget.stopped = ""  # the check's own run decides nothing of the submission's
        readable = [line.split(" ", 1)[1] for line in run.stderr.splitlines() if line.startswith("readable: ")]
        if run.status != 0:
            last = (run.stderr.strip().splitlines() or [run.problem or f"exit status {run.status}"])[-1]
            raise SandboxError(
                f"the {self.who} cannot run {self.python} with numpy ({last}); pass --python an interpreter "
                "it can run, e.g. a venv made from the system Python in a world-readable folder: "
                + advice.numpy_advice(advice.python_version(SYSTEM_PYTHON), SYSTEM_PYTHON))
        if readable:
            why = "though it was covered in the mount namespace" if self.holder else \
                "though grade.py removed its permissions for others"
            if self._needed_on_the_way(readable[0]):
                why = "and it holds the interpreter or the run folders, so it cannot be hidden"
            raise SandboxError(f"the {self.who} could read {readable[0]} {why}: grading stops (a bug of grade.py's "
                               "unless the path must stay reachable: please report it)")
        if "network: open" in run.stderr:
            raise SandboxError(f"the {self.who} could open an Internet socket though the network was cut by "
                               f"{self.network}: grading stops (a bug of grade.py's: please report it)")

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
        self.over_disk, self.folder = False, folder
        super()._hand_over(folder)

    def _popen_options(self, inner: str, folder: str) -> Dict[str, Any]:
        options = super()._popen_options(inner, folder)
        if self.holder:  # the child enters the namespace and then its folder
            options["cwd"] = None
        return options

    def _environment(self, inner: str) -> Dict[str, str]:
        # The namespace's own /tmp (a bounded tmpfs); without one, the run's own folder.
        return {**super()._environment(inner), "TMPDIR": "/tmp" if self.holder else inner}

    def _entering(self, inner: str) -> Callable[[], None]:
        """What the run's child does before it executes Python: namespace, limits, user, network filter.
        Everything that could fail is decided in grade.py before the fork (the limits, the filter)."""
        holder = self.holder.pid if self.holder else None
        settings, uid, gid = self.rlimits.settings, self.uid, self.gid
        network_namespace, network_filter = self.network == "a network namespace", self.network == "a seccomp filter"

        def enter():
            if holder is not None:
                for kind, flag in (("mnt", CLONE_NEWNS), ("net", CLONE_NEWNET)):
                    if kind == "net" and not network_namespace:
                        continue
                    fd = os.open(f"/proc/{holder}/ns/{kind}", os.O_RDONLY)
                    _call("setns", fd, flag)
                    os.close(fd)
                os.chdir(inner)
            _sink_in_oom_order()
            _set_limits(settings)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            _finish_child(strict=True)
            if network_filter:
                seccomp.deny_network()
        return enter

    def _watch(self, process: subprocess.Popen, timeout: float, folder: str, what: str) -> Tuple[Optional[int], str]:
        """The run's exit status; it is stopped past its time, or once what it wrote passes --disk."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return process.wait(timeout=max(0.0, min(POLL, deadline - time.monotonic()))), ""
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    return None, self.budget.timed_out(timeout, what)
                if self._written(folder) > self.limits.disk:
                    return None, self._disk_hit()

    def _written(self, folder: str) -> int:
        assert self.uid is not None
        return bytes_written(self.uid, [folder, *self._scratch()])

    def _scratch(self) -> List[str]:
        """Where the run may write outside its folder: the world-writable places, or the namespace's /tmp (its
        other such places are read-only there)."""
        return [self._outer("/tmp")] if self.holder else self.scratch

    def _limit_hit(self, status: int, stderr: str, seconds: float, stderr_bytes: int) -> str:
        return self._disk_hit() if self.over_disk else super()._limit_hit(status, stderr, seconds, stderr_bytes)

    # -- cleaning up ---------------------------------------------------------

    def _end(self, process: subprocess.Popen) -> None:
        """Every process of the run ended, then what the uid wrote outside its folder measured and removed."""
        super()._end(process)
        if self.uid is not None:
            self.over_disk = self._written(self.folder) > self.limits.disk
            remove_owned(self.uid, self._scratch())

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
        """Stop the holder (its namespace and /tmp go with it), remove grade.py's own folder, give the hidden
        paths their modes back, free the uid."""
        if self.holder:
            self.holder.kill()
            self.holder.wait()
            self.holder = None
        super().close()
        if self.hidden_modes is not None:
            self.hidden_modes.restore()
            self.hidden_modes = None
        if self._lock is not None:
            if self.who.endswith("(chosen for this grade)"):  # its lock file goes with it (a named user's stays)
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(root_folder(), f"user-{self.uid}.lock"))
            os.close(self._lock)
            self._lock = None


def _state(pid: str) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]
