"""What a run may use: its resource limits, the container's memory, and who the kernel takes first.

Guarantees:
  - every run's limits (address space, file size, CPU time, core files, and as root its uid's processes)
    are computed in grade.py before any fork (Rlimits.plan), each clamped to the hard limit found: a
    limit that cannot be set as asked is named in the header (`held`), never a crash in the child;
  - the memory a run may use follows the container's own limit where its cgroup says a lower one (v2
    memory.max, v1 memory.limit_in_bytes, the lowest on the way up), and the cgroup's out-of-memory
    kills are counted (ContainerMemory), so that a run the kernel's out-of-memory killer ended is
    named as such;
  - a run's processes get oom_score_adj 1000 (sink_in_oom_order): under memory pressure the kernel
    takes them, never grade.py, which then still writes its report;
  - a run's child ends its set-up with no way to gain privileges, killed with grade.py, umask 022
    (finish_child).

Tested by grader/test_sandbox.py: TestContainerMemory (cgroup v1 and v2 files laid out in a folder),
TestClampedLimits (hard limits below the defaults, in a child; no root needed), and the memory bomb
and low hard ulimits graded in the container stand-in (also grader/test_container.py).
"""
import contextlib
import os
import resource
import signal
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple

from grader.runner import Limits, size
from grader.sandbox.system import PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, call

OOM_SCORE_ADJ = b"1000"  # a run's processes: the kernel's first choice when memory runs out


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


def set_limits(settings: Sequence[Tuple[int, int, int]]) -> None:
    for which, soft, hard in settings:
        resource.setrlimit(which, (soft, hard))


def sink_in_oom_order() -> None:
    """This process (a run's child) first in the out-of-memory killer's choice; raising it needs no privilege."""
    with contextlib.suppress(OSError):
        fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        try:
            os.write(fd, OOM_SCORE_ADJ)
        finally:
            os.close(fd)


def finish_child(strict: bool) -> None:
    """A run's child, last: no way to gain privileges, killed if grade.py dies, files written 0644.
    As root both prctl calls must succeed (strict); not as root, a kernel or libc without them leaves them out."""
    for option, value in ((PR_SET_NO_NEW_PRIVS, 1), (PR_SET_PDEATHSIG, signal.SIGKILL)):
        try:
            call("prctl", option, value, 0, 0, 0)
        except OSError:
            if strict:
                raise
    os.umask(0o022)
