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
import signal
from typing import List, Optional, Sequence

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWNET = 0x00020000, 0x08000000, 0x40000000
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


def children_of(pid: int, leave_out: Sequence[int] = ()) -> List[int]:
    """The processes whose parent is pid, but those of `leave_out`, read from /proc ([] where there is no /proc)."""
    found = []
    for entry in listing("/proc"):
        if entry.isdigit() and int(entry) not in leave_out:
            with contextlib.suppress(OSError, ValueError, IndexError):
                if int(_stat_fields(entry)[1]) == pid:
                    found.append(int(entry))
    return found


def _stat_fields(pid: str) -> List[str]:
    """/proc/PID/stat's fields after the command's name: [0] the state, [3] the session, [49] the exit code."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def state(pid: str) -> str:
    """A process's state letter ('Z' for a zombie); OSError once it is gone."""
    return _stat_fields(pid)[0]


def killed_unreaped(pid: str) -> bool:
    """Whether a process lies dead of SIGKILL and not yet reaped: a zombie whose wait status is SIGKILL (Linux 3.5
    and later say it); False for any other process, and for one that is gone."""
    try:
        fields = _stat_fields(pid)
        return fields[0] == "Z" and len(fields) > 49 and int(fields[49]) == signal.SIGKILL
    except (OSError, ValueError):
        return False


def owned_by(uid: int) -> List[str]:
    """The processes of a user, zombies too, as /proc names them ([] where there is no /proc)."""
    found = []
    for entry in listing("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    found.append(entry)
    return found


def session_members(session: int) -> List[str]:
    """The processes of a session, zombies too, as /proc names them."""
    found = []
    for entry in listing("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                if int(_stat_fields(entry)[3]) == session:
                    found.append(entry)
    return found


def listing(folder: str) -> List[str]:
    """The names in a folder, [] where it cannot be listed (gone, or not ours to read)."""
    try:
        return os.listdir(folder)
    except OSError:
        return []


def alive(pid: int) -> bool:
    """Whether a process of this pid exists (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except OSError:
        return True
