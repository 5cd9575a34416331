"""What a run wrote and holds outside grade.py's reach, as root: measured, bounded, and removed by owner.

The disk bound (--disk). A run may write in its folder and in the world-writable places (/tmp,
/var/tmp, /dev/shm, /dev/mqueue, /run/lock, /var/lock); nothing else is writable to its uid. While
it runs, every POLL seconds, the sandbox adds up the space its uid holds by every route:
  - on_disk(): the blocks of every file and folder the uid owns in those places, walked without
    recursion and never through a link (grader/trees.py), each file once however many links it has;
    sparse files count only their allocated blocks;
  - held_open(), read as the uid itself by a child started once per grade (users.AsUser: root in a
    Docker container lacks CAP_SYS_PTRACE, which reading another uid's /proc/PID/fd needs): the
    blocks of every regular file the uid owns that any of its processes holds open, which covers a
    file unlinked while open and an O_TMPFILE file;
    and every file that a process only maps after it was closed and unlinked, counted at the most
    one file can hold (--max-file-size: the kernel's map_files, which would give its size, needs
    CAP_SYS_ADMIN);
and stops the run once the sum passes --disk. The routes no measure could follow are refused by the
run's seccomp filter (grader/sandbox/syscall_filter.py): fallocate, which placed gigabytes within
milliseconds, and a descriptor passed in a message, which holds a file no process has open while it
is in flight; and changing a process's dumpable flag, which would hide its descriptors. So what a run
can hold at its peak is --disk plus what it writes between two measures (the docs give the
measured worst case). A folder deeper than MAX_DEPTH levels, or more than MAX_ENTRIES files and
folders, ends the run as over a limit too, so that a measure stays short.

After each run, once its processes are gone (their open and mapped files with them), every file and
folder the uid owns in those places is removed (remove_owned), at any depth, never through a link and
never a file of another owner, and so is every SysV IPC object the uid owns (remove_ipc), so nothing
carries over from run to run. (Making those places unwritable during the grade was the other way: it
changes modes every other process of the container or host relies on, where a grade of its own uid
can find exactly what it wrote by owner.)

Tested by grader/test_sandbox.py's TestScratchRemoval (only the uid's files go, no link followed, a
tree deeper than the recursion limit), TestHeldOpen (an unlinked file held open, an O_TMPFILE file
and a mapped one, counted as the uid), and the disk attacks graded in the container stand-in.
"""
import contextlib
import ctypes
import os
import stat
from typing import Dict, Hashable, List, Sequence, Set, Tuple

from grader import trees
from grader.sandbox.system import listing

SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue", "/run/lock", "/var/lock")  # where any user may write
MAX_DEPTH = 64  # folders below a top that a run's tree may reach
MAX_ENTRIES = 100_000  # files and folders a run may own in its folder and the world-writable places
IPC_RMID = 0
Held = Dict[Hashable, int]  # bytes held, by file: (st_dev, st_ino), or a mapping's ("mapped", device, inode)


def scratch_places() -> List[str]:
    """The world-writable folders outside a run's folder, each once (/var/lock is often /run/lock)."""
    places = []
    for path in SCRATCH:
        real = os.path.realpath(path)
        if os.path.isdir(real) and real not in places:
            places.append(real)
    return places


def _enterable(uid: int):
    """The folders a walk enters: the uid's own, and those everyone may write in (a shared /tmp, cheaply)."""
    return lambda info: info.st_uid == uid or bool(info.st_mode & stat.S_IWOTH)


def on_disk(uid: int, folders: Sequence[str]) -> Tuple[Held, str]:
    """The space each file and folder the uid owns in `folders` takes, and the limit its tree passes ('' if none:
    a folder deeper than MAX_DEPTH, or more than MAX_ENTRIES entries)."""
    held: Held = {}
    for top in folders:
        for entry in trees.walk(top, _enterable(uid), MAX_DEPTH):
            if entry.info.st_uid != uid:
                continue
            if entry.kind == "deep":
                return held, f"a folder more than {MAX_DEPTH} levels deep"
            held[(entry.info.st_dev, entry.info.st_ino)] = entry.info.st_blocks * 512
            if len(held) > MAX_ENTRIES:
                return held, f"more than {MAX_ENTRIES} files and folders"
    return held, ""


def bytes_written(uid: int, folders: Sequence[str]) -> int:
    """The disk space the uid's files and folders take in `folders` (a run folder whole, or a world-writable place)."""
    return sum(on_disk(uid, folders)[0].values())


def held_open(uid: int, most_per_file: int, places: Sequence[str]) -> Held:
    """What the uid's processes hold that no folder shows, read from /proc as the uid itself (see the module):
    each regular file of the uid's open in a process, by (device, inode), at its blocks; and each deleted file
    of `places` (where the run may write, as its processes see them) that a process maps and no process holds
    open, at `most_per_file` bytes. (The kernel's own deleted files, shared memory such as '/dev/zero (deleted)'
    or '/memfd:x (deleted)', lie in none of them: memory, which the container's limit bounds.)"""
    prefixes = tuple(place.rstrip("/") + "/" for place in places)
    held: Held = {}
    opened: Dict[str, Set[Tuple[int, int]]] = {}  # a deleted file's path -> the open files of that path
    mapped: Dict[str, Set[Tuple[str, str]]] = {}  # a deleted file's path -> the (device, inode) mapped of it
    me = os.getpid()
    for entry in listing("/proc"):
        try:
            if not entry.isdigit() or int(entry) == me or os.stat(f"/proc/{entry}").st_uid != uid:
                continue
        except OSError:
            continue
        for fd in listing(f"/proc/{entry}/fd"):
            with contextlib.suppress(OSError):
                info = os.stat(f"/proc/{entry}/fd/{fd}")
                if stat.S_ISREG(info.st_mode) and info.st_uid == uid:
                    held[(info.st_dev, info.st_ino)] = info.st_blocks * 512
                    target = os.readlink(f"/proc/{entry}/fd/{fd}")
                    if target.endswith(" (deleted)"):
                        opened.setdefault(target, set()).add((info.st_dev, info.st_ino))
        with contextlib.suppress(OSError), open(f"/proc/{entry}/maps") as maps:
            for line in maps:
                fields = line.rstrip("\n").split(maxsplit=5)
                if len(fields) == 6 and fields[5].endswith(" (deleted)") and fields[5].startswith(prefixes):
                    mapped.setdefault(fields[5], set()).add((fields[3], fields[4]))
    for path, files in mapped.items():  # each open file of the same path accounts for one mapped file
        for device, inode in sorted(files)[len(opened.get(path, ())):]:
            held[("mapped", device, inode)] = most_per_file
    return held


def remove_owned(uid: int, places: Sequence[str]) -> None:
    """Every file and folder `uid` owns in the world-writable places, removed at any depth; links are removed,
    never followed, and nothing of another owner is touched (the uid's processes are all ended by then)."""
    for top in places:
        trees.remove_contents(top, lambda info: info.st_uid == uid, _enterable(uid))


def remove_ipc(uid: int, sysvipc: str = "/proc/sysvipc") -> List[str]:
    """Every SysV shared memory segment, semaphore set and message queue that `uid` owns or made, removed (in
    the IPC namespace grade.py sees); what was removed, e.g. ['shm 32769'] (a segment still attached goes once
    detached: its processes are gone by then)."""
    libc = ctypes.CDLL(None, use_errno=True)
    removed = []
    # the file, the id's column, the columns of the owner's and the maker's uid, and how to remove one
    kinds = (("shm", 1, 7, 9, lambda i: libc.shmctl(i, IPC_RMID, None)),
             ("sem", 1, 4, 6, lambda i: libc.semctl(i, 0, IPC_RMID)),
             ("msg", 1, 7, 9, lambda i: libc.msgctl(i, IPC_RMID, None)))
    for kind, id_column, uid_column, maker_column, remove in kinds:
        try:
            with open(os.path.join(sysvipc, kind)) as f:
                rows = [line.split() for line in f.readlines()[1:]]
        except OSError:
            continue
        for row in rows:
            with contextlib.suppress(ValueError, IndexError):
                if uid in (int(row[uid_column]), int(row[maker_column])) and remove(int(row[id_column])) == 0:
                    removed.append(f"{kind} {row[id_column]}")
    return removed
