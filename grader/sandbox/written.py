"""What a run wrote outside its folder, as root: measured, bounded and removed by owner.

Guarantees: the disk space a uid's files take in a run folder and in the world-writable places
(/tmp, /var/tmp, /dev/shm, /run/lock, /var/lock) is measured without following a link
(bytes_written); after each run every file and folder the uid owns there is removed, never
through a link and never a file of another owner (remove_owned), so nothing carries over from run
to run. (Making those places unwritable during the grade was the other way: it changes modes every
other process of the container or host relies on, where a grade of its own uid can find exactly
what it wrote by owner.)

Tested by grader/test_sandbox.py's TestScratchRemoval (only the uid's files go, no link followed),
and in the container stand-in: files left in /tmp, /var/tmp and /dev/shm removed after each run, the
disk bound (grader/test_sandbox.py), and nothing left after each hostile case (grader/test_container.py).
"""
import contextlib
import os
import stat
from typing import Iterator, List, Sequence, Tuple

SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock")  # where any user may write, outside namespaces


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
