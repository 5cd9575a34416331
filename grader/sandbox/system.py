"""The Linux calls the sandbox makes that the standard library lacks (prctl, unshare, setns, mount,
through ctypes), and what it reads of other processes in /proc.

Guarantees: a call that fails raises OSError naming the call and the error, and a C library
without the call (not Linux's) raises OSError too, never AttributeError, so that callers can
leave a part out and say so. A /proc that is missing or a process that ended while it was read
gives an empty answer, never an exception.

Tested through its callers: the namespace holder and the runs' children (grader/test_sandbox.py,
grader/test_container.py), and the macOS simulation of grader/test_grader.py (a libc without
prctl, unshare, setns and mount, and no /proc), where a Linux runner still grades.
"""
import contextlib
import ctypes
import os
from typing import List, Optional

CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38

_libc = ctypes.CDLL(None, use_errno=True)


def call(name: str, *args) -> None:
    """The C library's `name`(*args), which returns 0 on success; OSError otherwise (see the module)."""
    function = getattr(_libc, name, None)
    if function is None:  # a libc without it (not Linux's)
        raise OSError(0, f"{name}: not in this system's libc")
    if function(*args) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{name}: {os.strerror(code)}")


def mount(source: Optional[str], target: str, fstype: Optional[str], flags: int, data: Optional[str] = None):
    def encode(text: Optional[str]) -> Optional[bytes]:
        return text.encode() if text is not None else None
    call("mount", encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data))


def children_of(pid: int, leave_out: Optional[int] = None) -> List[int]:
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


def state(pid: str) -> str:
    """A process's state letter from /proc/PID/stat ('Z' for a zombie); OSError once it is gone."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def alive(pid: int) -> bool:
    """Whether a process of this pid exists (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except OSError:
        return True
