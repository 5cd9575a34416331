"""The uid of this grade, as root: chosen unused, locked, and freed at the end.

Guarantees: each grade runs its submission as a uid and gid no passwd or group entry names and
no process holds, chosen at random in a high range (GRADE_IDS, or the top of a narrow user
namespace's map), and locked in root_folder() for the grade, so that RLIMIT_NPROC, kill(-1) and
the removal of files by owner concern this grade only, even on a host whose other containers run
the same image. A named user (--user) is locked the same way: a second grade as that user waits.
root_folder() is a folder only root can enter (/run/grade-py), or the grade stops with one line.

Tested by grader/test_sandbox.py's TestGradeIds (an unused, locked uid that a second grade cannot
take), and grader/test_grader.py's two grades as one user at once.
"""
import contextlib
import fcntl
import grp
import os
import pwd
import random
import select
import signal
import stat
import sys
import tempfile
from typing import Callable, List, Optional, Tuple

from grader.runner import SandboxError
from grader.sandbox.system import PR_SET_PDEATHSIG, call

GRADE_IDS = (200_000, 1_999_999)  # the range a grade's own uid and gid are chosen from (no passwd entry needed)


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


def uid_in_use(uid: int) -> bool:
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


def gid_in_use(gid: int) -> bool:
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
        if uid_in_use(uid) or gid_in_use(uid):
            continue
        lock = lock_user(uid, f"uid {uid}", wait=False)
        if lock is None:
            continue
        if uid_in_use(uid):  # it started a process between the two looks
            os.close(lock)
            continue
        return uid, uid, lock
    raise SandboxError("found no unused uid to run the submission as: pass --user a user of its own")


class AsUser:
    """A child of grade.py whose effective uid and gid are the run's (no other groups), started once per grade,
    before any run, that answers one question over a pipe: what `function` returns (at most `limit` bytes).

    It reads what the uid may read of its own processes (their /proc files, which root without CAP_SYS_PTRACE,
    as in a Docker container, may not). Its real uid stays root's, so that no process of the uid can signal or
    trace it. Started before any run, so that asking forks nothing: a fork of grade.py while a run has taken
    the container's memory waits seconds for the kernel to find room. ask() waits `wait` seconds at most; an
    answer that comes later is the next ask()'s (a measure one poll old), so that a slow answer never holds up
    the poll that asked. Used as a context manager, or closed with close().
    """

    def __init__(self, uid: int, gid: int, function: Callable[[], bytes], limit: int = 8 << 20):
        self.limit, self.waiting = limit, False
        request_read, self.request = os.pipe()
        self.answers, answer_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover (the child)
            try:
                os.close(self.request)
                os.close(self.answers)
                call("prctl", PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # it ends with grade.py
                os.setgroups([])
                os.setegid(gid)
                os.seteuid(uid)
                while os.read(request_read, 1):
                    answer = function()[:limit]
                    os.write(answer_write, len(answer).to_bytes(8, "little"))
                    view = memoryview(answer)
                    while view:
                        view = view[os.write(answer_write, view):]
            finally:
                os._exit(0)
        os.close(request_read)
        os.close(answer_write)

    def ask(self, wait: float) -> Optional[bytes]:
        """The answer, asked now or at an earlier ask() that did not wait for it; None when none came within `wait`
        seconds (or the child is gone)."""
        try:
            if not self.waiting:
                os.write(self.request, b"?")
                self.waiting = True
            if not select.select([self.answers], [], [], wait)[0]:
                return None
            size = int.from_bytes(_read_exactly(self.answers, 8), "little")
            answer = _read_exactly(self.answers, min(size, self.limit))
        except (OSError, ValueError):
            return None
        self.waiting = False
        return answer

    def __enter__(self) -> "AsUser":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """The child ended (its pipes closed, then SIGKILL) and reaped."""
        if self.pid:
            for fd in (self.request, self.answers):
                with contextlib.suppress(OSError):
                    os.close(fd)
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0


def _read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise OSError(0, "the reader ended")
        data += chunk
    return data
