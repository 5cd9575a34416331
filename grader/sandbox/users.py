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
import stat
import sys
import tempfile
from typing import List, Optional, Tuple

from grader.runner import SandboxError

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
