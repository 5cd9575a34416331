"""Running a submission on any platform: a fresh folder per run, a time limit, a process group
of its own, and everything it started ended when it ends.

This is the portable part of grading, for macOS, Windows and Linux alike. It uses only the
standard library's portable calls: subprocess, os.path, and per platform one way to end a
process tree (Processes below). Linux's isolation (another user, namespaces, resource limits,
the subreaper and /proc scans) builds on it in the package grader/sandbox, which is imported only
on Linux. grader/isolation.py's make_runner() is the one place where the platform and the user
decide which runner grades; this module imports neither.

A runner reads back only the files it is asked for, never through a symbolic link and never
more than a fixed size, then removes the run's folder. Used as a context manager, it removes
its own folder and frees what it holds when the block ends.
"""
import contextlib
import errno
import os
import signal
import stat
import subprocess
import tempfile
import time
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from grader import trees
from neuralnet import BLAS_THREAD_VARIABLES

STDERR_KEEP = 64 * 1024  # bytes of a run's stderr kept
KILLED_FROM_OUTSIDE = ("killed by SIGKILL from outside the run, twice (it was run again): none of its limits was "
                       "hit, so unless the code kills itself this is the grader's fault, not the submission's: "
                       "please report it")
OUTPUT_LIMIT = 16 * 1024 * 1024  # bytes of one output file read back


class SandboxError(Exception):
    """The runner cannot be set up as asked: grade.py stops with this one line."""


class Limits(NamedTuple):
    timeout: float  # seconds of wall time per run
    total: float  # seconds for the whole grade
    memory: int  # bytes of address space per process (Linux)
    file_size: int  # bytes per file written (Linux)
    processes: int  # processes of the user at once (Linux, as root)
    cpu: int  # seconds of CPU time per process (Linux)
    disk: int  # bytes of everything a run writes, in its folder and the world-writable places (Linux, as root)

    def describe(self, resources: bool = True, processes: bool = False) -> str:
        """The limits a runner applies: always the time; `resources` where it sets resource limits,
        `processes` where it also limits the user's processes."""
        parts = [f"{self.timeout:g} s per run", f"{self.total:g} s for the whole grade"]
        if resources:
            parts += [f"{size(self.memory)} of memory and {self.cpu} s of CPU time per process",
                      f"{size(self.file_size)} per file"]
        if processes:
            parts.append(f"{self.processes} processes")
        return ", ".join(parts)


class Hang(NamedTuple):
    """The first thing of a grade that did not finish in its time."""
    cause: str  # "`NN.train` did not return", "importing the submission did not finish within 60 s", ...
    check: str  # the check that showed it ('' when none did: a run made only to explain another)


class Budget:
    """A grade's time: --timeout per run and --total-timeout for the whole grade, the one home of both.

    A hang costs only what depends on it. The first one is recorded (hung()); after it, each run gets a
    shortened time (shortened(): a run that does not hang needs a fraction of it), so that runs hitting the
    same cause cost little and those that do not still finish. A hang that every later run would hit (the
    import: every run imports the file) stops them all instead. Once the whole grade's time is spent, every
    run left is not run. The clock starts when the budget is made, and again at restart() (once the
    runner's user is this grade's own).

    The whole grade's time follows the machine: a grade that gets half a CPU (other work beside it, or a
    quota) would otherwise reach the end of its time with half its checks done, and a grade on a busy machine
    would name fewer causes than the same grade on a quiet one. So grade.py times its own work in the same
    grade (this project's outputs, computed in its process: observe()), and the whole grade's time is
    stretched by the ratio of that work's wall time to its CPU time (1 on a quiet machine, about 2 with half
    a CPU), at most MAX_STRETCH times and never past STRETCHED_CEILING seconds unless --total-timeout is
    more. Each run's own --timeout is not stretched: it is the course's, and a run that needs all of it is
    slow on any machine.
    """
    DEFAULT_TIMEOUT = 60.0  # seconds per run
    QUICK_TOTAL, FULL_TOTAL = 50.0, 150.0  # seconds for a whole grade, with --quick and without
    # After a hang, a run of the command line gets STARTUP s (Python, numpy and the submission's import, at half a
    # CPU) and PACE times what this project takes for its configuration, and each call of the handout's
    # functions CALL s (this project's take milliseconds); never more than half (a quarter) of --timeout.
    STARTUP, PACE, CALL = 3.0, 10.0, 5.0
    MAX_STRETCH = 4.0  # the whole grade's time is never stretched more than this for a busy machine
    STRETCHED_CEILING = 480.0  # seconds: with grade.py's own work, a stretched grade stays within Gradescope's 10 min
    MIN_OBSERVED = 0.2  # CPU seconds of observed work before a stretch is trusted (shorter timings are noise)

    def __init__(self, per_run: float, total: float):
        self.per_run, self.total = per_run, total
        self.hang: Optional[Hang] = None
        self.restart()

    @classmethod
    def default_total(cls, per_run: float, quick: bool) -> float:
        """--total-timeout's default: 50 s with --quick, 150 s without, never more than 10 runs' time."""
        return min(10 * per_run, cls.QUICK_TOTAL if quick else cls.FULL_TOTAL)

    def restart(self) -> None:
        self.started = time.monotonic()
        self.stopped = ""  # why no run is started any more ('' while they are)
        self.granted = self.per_run  # the time the last run was given, before the deadline cut it
        self.observed_wall = self.observed_cpu = 0.0  # grade.py's own work in this grade (observe())

    def observe(self, wall: float, cpu: float) -> None:
        """Work of grade.py's own, in this grade, took `wall` seconds and `cpu` seconds of its thread's CPU."""
        self.observed_wall += max(wall, 0.0)
        self.observed_cpu += max(cpu, 0.0)

    @contextlib.contextmanager
    def observing(self) -> Iterator[None]:
        """Times the work in the with block for observe() (its thread's CPU time: the runner's watch threads
        spend theirs meanwhile)."""
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            self.observe(time.perf_counter() - wall, time.thread_time() - cpu)

    @property
    def stretch(self) -> float:
        """How many times --total-timeout this grade has: wall over CPU time of the work observed, in
        [1, MAX_STRETCH]; 1 until MIN_OBSERVED CPU seconds of it."""
        if self.observed_cpu < self.MIN_OBSERVED:
            return 1.0
        return min(max(self.observed_wall / self.observed_cpu, 1.0), self.MAX_STRETCH)

    @property
    def whole(self) -> float:
        """The whole grade's seconds: --total-timeout, stretched for a busy machine."""
        return min(self.total * self.stretch, max(self.total, self.STRETCHED_CEILING))

    @property
    def deadline(self) -> float:
        """When the whole grade's time ends (time.monotonic())."""
        return self.started + self.whole

    def spent(self) -> bool:
        return self.deadline - time.monotonic() <= 0

    def hung(self, cause: str, check: str, stop: bool = False) -> None:
        """Something did not finish in its time: the first is kept, and with stop no run is started after it."""
        if self.hang is None:
            self.hang = Hang(cause, check)
        if stop:
            self.stopped = cause + (f" (see {check})" if check else "")

    def shortened(self, reference_seconds: float = 0.0, call: bool = False) -> float:
        """The time a run gets once something has hung: a run of the command line STARTUP s and PACE times
        this project's time for it (reference_seconds), never more than half of --timeout; a call of the
        handout's functions CALL s, never more than a quarter of it (so that a run holds several)."""
        if call:
            return min(self.per_run / 4, self.CALL)
        return min(self.per_run / 2, self.STARTUP + self.PACE * reference_seconds)

    def next_run(self, limit: Optional[float] = None) -> Tuple[Optional[float], str]:
        """The seconds the next run may take (--timeout, or a shorter `limit`, never past the deadline), or None
        and why it is not run."""
        if self.stopped:
            return None, f"not run: {self.stopped}"
        if self.spent():
            return None, "not run: time budget spent"
        self.granted = self.per_run if limit is None else min(self.per_run, limit)
        return min(self.granted, self.deadline - time.monotonic()), ""

    def ran_past_total(self) -> bool:
        """Whether the grade has run past --total-timeout itself: only its stretch let it go on."""
        return self.whole > self.total and time.monotonic() - self.started > self.total

    def described_total(self) -> str:
        """'50 s', or '50 s, stretched to 85 s for a busy machine'."""
        return f"{self.total:g} s" if self.whole <= self.total else \
            f"{self.total:g} s, stretched to {self.whole:.0f} s for a busy machine"

    def timed_out(self, timeout: float, what: str) -> str:
        """A run given `timeout` seconds took them all: what happened. The deadline cutting it stops every run
        after it; a run that took its own time says how long it had (its cause is for the caller to tell)."""
        if timeout < self.granted:
            self.stopped = "time budget spent"
            return f"timed out: the time budget ({self.described_total()}) was spent"
        return f"timed out after {round(timeout, 1):g} s"


def size(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} bytes"


class RunResult(NamedTuple):
    """What one run of the submission left: its status, its stderr and the files asked for."""
    status: Optional[int]  # exit status (negative: killed by that signal); None when not run or stopped
    stderr: str  # its last lines, paths in its folder written as it sees them
    problem: str  # why it was not run or was stopped, or which limit it hit; '' otherwise
    outputs: Dict[str, Optional[bytes]]  # the files asked for, None where missing or not a regular file
    kinds: Dict[str, str] = {}  # for a file asked for that is there but not a regular file: what it is

    def out_of_time(self) -> bool:
        """Ended by its own time: stopped at its --timeout, or killed at its CPU-time limit, which a loop on one
        thread reaches at the same moment (the limit is --timeout, rounded up), so that which comes first is
        chance: both are the same hang."""
        return (self.status is None and self.problem.startswith("timed out after")) or \
            self.problem.startswith("hit the CPU-time limit")


def read_regular_file(path: str, limit: int = OUTPUT_LIMIT) -> Optional[bytes]:
    """A file's bytes, never through a symbolic link and never past `limit`; None if it is not a regular file."""
    nofollow, nonblock = getattr(os, "O_NOFOLLOW", 0), getattr(os, "O_NONBLOCK", 0)
    if not nofollow and os.path.islink(path):  # (Windows has no O_NOFOLLOW)
        return None
    try:
        fd = os.open(path, os.O_RDONLY | nofollow | nonblock | getattr(os, "O_BINARY", 0))
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR, errno.EACCES, errno.ENXIO, errno.EISDIR):
            return None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # a folder, a FIFO, a device: never read
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as f:
        return f.read(limit + 1)


def file_kind(path: str) -> str:
    """What is at a path that is not a regular file, as a report names it ('' for a regular file or nothing)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return ""
    for test, kind in ((stat.S_ISLNK, "a symbolic link (not followed)"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISDIR, "a folder"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device")):
        if test(mode):
            return kind
    return ""


# ----------------------------------------------------------------------------
# Ending a run's processes, per platform
# ----------------------------------------------------------------------------

class Processes:
    """How a run is started in a group of its own, and how everything in that group is ended."""

    def popen_options(self) -> Dict[str, Any]:
        return {}

    def environment(self, folder: str) -> Dict[str, str]:
        """What the platform needs in a run's environment for Python to start."""
        return {}

    def started(self, process: subprocess.Popen) -> None:
        """Called once the run's process exists (Windows puts it in its job object here)."""

    def end(self, process: subprocess.Popen) -> None:
        process.kill()
        process.wait()

    def close(self) -> None:
        """Release what this holds (a Windows job object)."""


class PosixProcesses(Processes):
    """macOS, Linux and the other POSIX systems: a session of its own, ended by killpg. Orphans that
    start a session of their own leave the group and cannot be collected here (on Linux the
    subreaper collects them: grader/sandbox)."""

    def popen_options(self) -> Dict[str, Any]:
        return {"start_new_session": True}

    def environment(self, folder: str) -> Dict[str, str]:
        return {"PATH": "/usr/local/bin:/usr/bin:/bin", "TMPDIR": tempfile.gettempdir()}

    def end(self, process: subprocess.Popen) -> None:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)  # type: ignore[attr-defined]  (POSIX only)
        process.wait()


class WindowsProcesses(Processes):
    """Windows: a new process group, in a job object that kills every process in it when it is closed;
    where no job object can be made, the tree is ended with taskkill /F /T."""

    JOB_OBJECT_EXTENDED_LIMIT_INFORMATION, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 9, 0x2000

    def __init__(self):
        self.job = None

    def popen_options(self) -> Dict[str, Any]:
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}

    def environment(self, folder: str) -> Dict[str, str]:
        keep = ("SYSTEMROOT", "WINDIR", "PATH", "PATHEXT", "COMSPEC")
        return {**{k: os.environ[k] for k in keep if k in os.environ}, "TEMP": folder, "TMP": folder}

    def started(self, process: subprocess.Popen) -> None:
        """Put the run in a job object, which ends its whole tree at once."""
        with contextlib.suppress(Exception):  # no job object: taskkill ends the tree instead
            import ctypes
            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            job = kernel32.CreateJobObjectW(None, None)
            info = (ctypes.c_byte * 144)()  # JOBOBJECT_EXTENDED_LIMIT_INFORMATION on 64-bit Windows
            ctypes.c_uint32.from_buffer(info, 16).value = self.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE  # LimitFlags
            kernel32.SetInformationJobObject(job, self.JOB_OBJECT_EXTENDED_LIMIT_INFORMATION, info, len(info))
            if kernel32.AssignProcessToJobObject(job, int(process._handle)):  # type: ignore[attr-defined]
                self.job = (kernel32, job)

    def end(self, process: subprocess.Popen) -> None:
        if self.job is not None:
            kernel32, job = self.job
            kernel32.TerminateJobObject(job, 1)
            kernel32.CloseHandle(job)
            self.job = None
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(process.pid)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        with contextlib.suppress(OSError):
            process.kill()
        process.wait()


# ----------------------------------------------------------------------------
# The runner
# ----------------------------------------------------------------------------

class Runner:
    """Runs `python ARGS` in a fresh folder per run and reads back the files asked for.

    Args:
        python: the interpreter that runs the submission (grade.py's --python): never a
            hard-coded `python3`, which on Windows or in a venv may be another Python or none.
        limits: the time per run and for the whole grade; a run past its time is killed, and
            after a hang the runs are given less (Budget), so that a hang costs about one timeout.
        processes: how this platform starts a run in a group of its own and ends the group.
    """

    def __init__(self, python: str, limits: Limits, processes: Processes):
        self.python, self.limits, self.processes = python, limits, processes
        self.budget = Budget(limits.timeout, limits.total)
        self.uid: Optional[int] = None  # the user the submission runs as, where it is not the caller
        self.count = 0
        self.retried: List[str] = []  # what each run killed from outside its limits, and run again, was doing
        self.private = tempfile.mkdtemp(prefix="grade-")  # the run folders and stderr files
        self.isolation = ("not isolated: grade.py is not running as root on Linux, so the submission runs as you, "
                          "can read what you can read and reach the network")

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def describe_limits(self) -> str:
        return self.limits.describe(resources=False)

    def run(self, args: Sequence[str], files: Dict[str, bytes], outputs: Sequence[str], what: str,
            limit: Optional[float] = None) -> RunResult:
        """`python ARGS` in a fresh folder holding `files`; the `outputs` it wrote are read back. `limit`: fewer
        seconds than --timeout for this run (a run after a hang).

        A run killed by SIGKILL with none of its limits named (not the out-of-memory killer, not its CPU time:
        nothing of the run's own) was ended from outside it, and that must never cost a student points
        silently: it is run once more, and noted in self.retried (the report's header says so); killed so
        again, its problem names it, so that the check that fails says why."""
        result = self._run_once(args, files, outputs, what, limit)
        if not self._killed_from_outside(result):
            return result
        self.retried.append(what)
        again = self._run_once(args, files, outputs, what, limit)
        if again.problem.startswith("not run"):  # (the time budget was spent): the first run's end stands
            again = result
        if self._killed_from_outside(again):
            again = again._replace(problem=KILLED_FROM_OUTSIDE)
        return again

    @staticmethod
    def _killed_from_outside(result: RunResult) -> bool:
        return result.status is not None and result.status == -getattr(signal, "SIGKILL", -1) and not result.problem

    def _run_once(self, args: Sequence[str], files: Dict[str, bytes], outputs: Sequence[str],
                  what: str, limit: Optional[float]) -> RunResult:
        timeout, not_run = self.budget.next_run(limit)
        if timeout is None:
            return RunResult(None, "", not_run, {})
        self.count += 1
        inner, folder = self._run_folder(self.count)
        os.mkdir(folder, 0o700)
        for name, content in files.items():
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            with open(os.open(os.path.join(folder, name), flags, 0o644), "wb") as f:
                f.write(content)
        self._hand_over(folder)
        started = time.monotonic()
        with tempfile.TemporaryFile(dir=self.private) as stderr:
            process = subprocess.Popen([self.python, "-s", *args], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=stderr, **self._popen_options(inner, folder))
            self.processes.started(process)
            try:
                status, problem = self._wait(process, timeout, folder, what)
            finally:
                self._end(process)
            written = os.fstat(stderr.fileno()).st_size
            stderr.seek(max(0, written - STDERR_KEEP))
            text = stderr.read().decode(errors="replace").replace(inner + os.sep, "").replace(inner, ".")
        read = {name: read_regular_file(os.path.join(folder, name)) for name in outputs}
        kinds = {name: kind for name in outputs if read[name] is None
                 for kind in [file_kind(os.path.join(folder, name))] if kind}
        trees.remove_tree(folder)  # (a tree of any depth: shutil.rmtree recurses)
        if status is not None and not problem:
            problem = self._limit_hit(status, text, time.monotonic() - started, written)
        return RunResult(status, text, problem, read, kinds)

    # -- what a runner with more isolation changes ----------------------------

    def _run_folder(self, count: int):
        """The run's folder as the submission sees it, and as grade.py reaches it."""
        folder = os.path.join(self.private, f"run-{count}")
        return folder, folder

    def _hand_over(self, folder: str) -> None:
        """Make the run's folder the submission's (nothing to do when it runs as the caller)."""

    def _popen_options(self, inner: str, folder: str) -> Dict[str, Any]:
        return {"cwd": folder, "env": self._environment(inner), **self.processes.popen_options()}

    def _environment(self, inner: str) -> Dict[str, str]:
        """A small environment: nothing of the grader's leaks in, and BLAS keeps to one thread."""
        env = {"HOME": inner, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
               "MPLBACKEND": "Agg", **self.processes.environment(inner)}
        env.update({v: "1" for v in BLAS_THREAD_VARIABLES})
        return env

    def _wait(self, process: subprocess.Popen, timeout: float, folder: str, what: str) -> Tuple[Optional[int], str]:
        """The run's exit status, or None and why it was stopped (here: only its time)."""
        try:
            return process.wait(timeout=timeout), ""
        except subprocess.TimeoutExpired:
            return None, self.budget.timed_out(timeout, what)

    def _end(self, process: subprocess.Popen) -> None:
        self.processes.end(process)

    def _limit_hit(self, status: int, stderr: str, seconds: float, stderr_bytes: int) -> str:
        """Which limit a run that ended hit, as one phrase, or '' (only the time is limited here)."""
        return ""

    def close(self) -> None:
        """Remove grade.py's own folder and release what the runner holds."""
        self.processes.close()
        trees.remove_tree(self.private)

