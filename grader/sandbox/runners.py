"""The runners of Linux's layer, which tie its parts together (the package's docstring says what they
guarantee, each part's module how).

LimitedRunner, for any user: every run's resource limits (grader/sandbox/limits.py), its processes first
for the out-of-memory killer, and grade.py the subreaper of its runs, so that an orphan that leaves the
run's session comes back to it and is killed. Sandbox, as root: LimitedRunner, and each run as the
grade's own uid (users.py), what it must not reach hidden (hiding.py), the network cut by a namespace or
the filter (syscall_filter.py), what it writes bounded and removed (written.py), and every process of the uid
killed when the run ends; a first run (the preflight) checks that the uid runs the interpreter with
numpy, reads nothing hidden and reaches no network.

Tested end to end: grader/test_sandbox.py (the bundle in the container stand-in, with namespaces and
without), grader/test_container.py (every hostile case there) and grader/test_grader.py (grade.py as
root, and not, on this machine).
"""
import contextlib
import json
import os
import pwd
import signal
import subprocess
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from grader import advice
from grader.runner import Limits, PosixProcesses, Runner, RunResult, SandboxError, size
from grader.sandbox import syscall_filter, system
from grader.sandbox.hiding import INNER_BASE, HiddenModes, MountNamespace
from grader.sandbox.limits import ContainerMemory, Rlimits, finish_child, set_limits, sink_in_oom_order
from grader.sandbox.system import call, children_of, killed_unreaped, owned_by, session_members, state
from grader.sandbox.users import AsUser, choose_grade_ids, lock_user, root_folder
from grader.sandbox.written import held_open, on_disk, remove_ipc, remove_owned, scratch_places

SYSTEM_PYTHON = "/usr/bin/python3"  # the interpreter the advice for --python makes a venv from
POLL = 0.25  # seconds between two measures of what a run wrote and what memory it holds
READER_WAIT = 0.1  # seconds a poll waits for what the uid's processes hold (Sandbox._ask_reader)
HEADROOM = 128 << 20  # of the container's memory, left for grade.py and the programs' code (see _over_a_limit)


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
        self.holder: Optional[MountNamespace] = None  # the mount namespace, as root where allowed
        self.asked = limits  # the limits asked for (the memory at most the container's), before the hard limits
        self.rlimits = Rlimits.plan(limits, processes=False)
        self.limits = self.rlimits.limits
        self._kills_before = 0
        try:
            call("prctl", system.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans of a run come back here to be killed
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
            sink_in_oom_order()
            set_limits(settings)
            finish_child(strict=False)
        return enter

    def _wait(self, process: subprocess.Popen, timeout: float, folder: str, what: str) -> Tuple[Optional[int], str]:
        """The run's exit status, or None and why it was stopped; a run stopped for its time whose processes
        the out-of-memory killer ended meanwhile (counted host-wide, see _over_a_limit) says so too."""
        status, problem = self._watch(process, timeout, folder, what)
        if status is None and problem.startswith("timed out") and self._out_of_memory(status):
            problem = f"{problem}, after it {self._out_of_memory_phrase()}"
        return status, problem

    def _watch(self, process: subprocess.Popen, timeout: float, folder: str, what: str) -> Tuple[Optional[int], str]:
        """The run's exit status, or None and why it was stopped: its time ran out, or a measure taken every
        POLL seconds found it over a limit (_over_a_limit)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return process.wait(timeout=max(0.0, min(POLL, deadline - time.monotonic()))), ""
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    return None, self.budget.timed_out(timeout, what)
                problem = self._over_a_limit(process, folder)
                if problem:
                    return None, problem

    def _over_a_limit(self, process: subprocess.Popen, folder: str) -> str:
        """The limit a running run is over, as one phrase, or ''. Memory, read from the container's own cgroup (a
        host-wide count, where no cgroup file can be read, moves with others' kills): the run ends at once, named
        for memory, instead of waiting for what is left of it (a fork bomb's children sleep on to the timeout)
          - once the out-of-memory killer has acted in the cgroup and a process of the run lies dead of SIGKILL,
            not yet reaped (where grades run side by side in one cgroup, another grade's kills end nothing here);
          - or once what nothing can page out of the container's memory comes within HEADROOM of its limit: past
            it the kernel pages out every program's code to make room, grade.py's too, and everything crawls for
            tens of seconds before it kills. Two small files are all this reads, since grade.py is in the same
            cgroup: any more work would crawl too. (Only a container's cgroup has a limit: grades side by side in
            one memory-limited container share it, and the first to fill it ends the runs of all.)"""
        if self.memory.host_wide():
            return ""
        if self.memory.limit is not None and self.memory.held() > self.memory.limit - HEADROOM:
            return (f"used more than {size(self.memory.limit - HEADROOM)} of the container's {size(self.memory.limit)}"
                    " of memory, which nothing could page out: stopped before the kernel's out-of-memory killer had"
                    " to act")
        if self.memory.kills() > self._kills_before and self._lost_to_sigkill(process):
            return self._out_of_memory_phrase()
        return ""

    def _lost_to_sigkill(self, process: subprocess.Popen) -> bool:
        """Whether a process of the run's session lies dead of SIGKILL, not yet reaped."""
        return any(killed_unreaped(pid) for pid in session_members(process.pid))

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
        if status != 0 and self._out_of_memory(status):  # (a run that did its work is not blamed for others' kills)
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
            orphans = children_of(os.getpid(), self._helpers()) if self.subreaper else []
            if not left and not orphans:
                return
            if left:
                self._kill_as_user()
            for pid in orphans:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
            # (a killed process takes a moment to go, longer when memory is short: no spinning meanwhile on the
            # container's half CPU, which the dying processes need)
            time.sleep(0.01)
        raise SandboxError("could not kill the submission's processes")

    def _user_processes(self) -> List[int]:
        return []

    def _helpers(self) -> List[int]:
        """grade.py's own children that outlive runs (never a run's orphans): the mount namespace's holder."""
        return [self.holder.pid] if self.holder else []

    def _kill_as_user(self) -> None:
        pass


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
        self.filter_problem = "not tried"  # why the run's seccomp filter cannot be installed ('' when it can)
        self.ipc_namespace = False  # whether each run gets an IPC namespace of its own
        self.scratch = scratch_places()
        self.over_limit, self.folder = "", ""  # the limit the last run's writing passed ('' for none); its folder
        self.reader: Optional[AsUser] = None  # reads the uid's processes as the uid (see _start_reader)
        self.uid_view: Dict[str, Any] = {}  # its last answer: what they hold open ("held") and "killed"
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
            self.ipc_namespace = self.holder is not None and _own_ipc_namespace_works()
        self._try_filter()
        self._start_reader()
        os.chmod(self.private, 0o711)  # the user passes through to its run folder, and lists nothing
        where = ("in a private mount namespace (the grader's files hidden, everything written limited to "
                 f"{size(self.limits.disk)})" if self.holder else "without a mount namespace (refused here), the "
                 f"grader's files made unreadable to it, everything written limited to {size(self.limits.disk)}")
        network = f"network cut by {self.network}" if self.network else f"network not cut: {self.network_problem}"
        ipc = ", an IPC namespace of its own per run" if self.ipc_namespace else ""
        filtered = f"a seccomp filter ({syscall_filter.WHAT})"
        if self.network == "a seccomp filter":
            network = f"network cut by {filtered}{ipc}"
        else:
            network += f"{ipc}, and {filtered}" if not self.filter_problem else \
                f"{ipc}; no seccomp filter ({self.filter_problem})"
        self.isolation = f"isolated: runs as {self.who} {where}, {network}"
        self._preflight()

    def _needed_on_the_way(self, path: str) -> bool:
        """Whether the run must pass through this path (to its folder, or to the interpreter): never hidden."""
        needed = (os.path.realpath(self.private), os.path.realpath(self.python), os.path.abspath(self.python))
        return path == "/" or any(n.startswith(path.rstrip("/") + "/") for n in needed)

    def _try_filter(self) -> None:
        """Whether a run's child can install the seccomp filter (grader/sandbox/syscall_filter.py): tried in a child.
        It cuts the network where no network namespace does."""
        self.filter_problem = syscall_filter.works()
        if self.network:
            return
        if not self.filter_problem:
            self.network = "a seccomp filter"
        else:
            why = "no network namespace here" if self.holder is not None else \
                "no network namespace here (namespaces refused)"
            self.network_problem = f"{why}, and no seccomp filter ({self.filter_problem})"

    def _start_holder(self) -> None:
        """The mount (and network) namespace every run enters (grader/sandbox/hiding.py)."""
        self.holder = MountNamespace(self.python, self.hidden, self.limits.disk)
        if self.holder.network:
            self.network = "a network namespace"

    def _outer(self, inner: str) -> str:
        """A path in the namespace as grade.py reaches it."""
        return self.holder.outer(inner) if self.holder else inner

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
            filtered = "-" if self.filter_problem else "cut"  # (without it, a namespace's sockets reach nothing)
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
        self.over_limit, self.folder = "", folder
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
        network_namespace, filtered = self.network == "a network namespace", not self.filter_problem
        ipc_namespace = self.ipc_namespace

        def enter():
            if holder is not None:
                for kind, flag in (("mnt", system.CLONE_NEWNS), ("net", system.CLONE_NEWNET)):
                    if kind == "net" and not network_namespace:
                        continue
                    fd = os.open(f"/proc/{holder}/ns/{kind}", os.O_RDONLY)
                    call("setns", fd, flag)
                    os.close(fd)
                if ipc_namespace:  # its SysV objects and message queues die with the run's last process
                    call("unshare", system.CLONE_NEWIPC)
                os.chdir(inner)
            sink_in_oom_order()
            set_limits(settings)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            finish_child(strict=True)
            if filtered:
                syscall_filter.install()
        return enter

    def _lost_to_sigkill(self, process: subprocess.Popen) -> bool:
        """Whether a process of the uid, in the run's session or not, lies dead of SIGKILL, not yet reaped: read as
        the uid (see _start_reader), since the kernel shows a zombie's exit status only to a reader that may trace
        it, which root in a Docker container (no CAP_SYS_PTRACE) may not."""
        if self.uid is None:
            return super()._lost_to_sigkill(process)
        self._ask_reader()
        return bool(self.uid_view.get("killed"))

    def _over_a_limit(self, process: subprocess.Popen, folder: str) -> str:
        """Memory first (LimitedRunner's: it reads two files), then the disk; the reader is asked once a poll."""
        self.uid_view = {}
        memory = super()._over_a_limit(process, folder)
        if memory:
            return memory
        if not self.uid_view:
            self._ask_reader()
        return self._over_disk(folder, running=True)

    def _over_disk(self, folder: str, running: bool) -> str:
        """The disk limit the run passed, as one phrase, or '': what its uid owns in its folder and the places it may
        write, and while it runs what its processes hold open or mapped (grader/sandbox/written.py), against --disk;
        a tree too deep or too large passes a limit of its own."""
        assert self.uid is not None
        held, passed = on_disk(self.uid, [folder, *self._scratch()])
        if passed:
            return f"hit the folder limit ({passed})"
        if running:
            held.update({tuple(key): value for key, value in self.uid_view.get("held", [])})
        return self._disk_hit() if sum(held.values()) > self.limits.disk else ""

    def _start_reader(self) -> None:
        """The child that reads, as the uid, what the uid's processes hold open or mapped (written.held_open) and
        whether one lies dead of SIGKILL: started once, before any run (grader/sandbox/users.py's AsUser)."""
        uid, most = self.uid, self.limits.file_size
        places = ["/tmp"] if self.holder else [self.private, *self.scratch]
        assert uid is not None

        def read() -> bytes:
            held = held_open(uid, most, places)
            return json.dumps({"held": [[list(key), value] for key, value in held.items()],
                               "killed": any(killed_unreaped(pid) for pid in owned_by(uid))}).encode()
        self.reader = AsUser(uid, self.gid, read)

    def _ask_reader(self) -> None:
        """The reader's answer as uid_view, waiting READER_WAIT at most: when it comes later, the next poll has it,
        and meanwhile uid_view is {} (nothing held open, nothing killed)."""
        answer = self.reader.ask(READER_WAIT) if self.reader else None
        self.uid_view = {"asked": True}
        with contextlib.suppress(ValueError, TypeError):
            self.uid_view.update(json.loads(answer) if answer else {})

    def _scratch(self) -> List[str]:
        """Where the run may write outside its folder: the world-writable places, or the namespace's /tmp (its
        other such places are read-only there)."""
        return [self._outer("/tmp")] if self.holder else self.scratch

    def _limit_hit(self, status: int, stderr: str, seconds: float, stderr_bytes: int) -> str:
        return self.over_limit or super()._limit_hit(status, stderr, seconds, stderr_bytes)

    # -- cleaning up ---------------------------------------------------------

    def _end(self, process: subprocess.Popen) -> None:
        """Every process of the run ended, then what the uid wrote outside its folder measured and removed, and
        its SysV IPC objects (where the filter did not refuse them) with it."""
        super()._end(process)
        if self.uid is not None:
            self.over_limit = self._over_disk(self.folder, running=False)
            remove_owned(self.uid, self._scratch())
            remove_ipc(self.uid)

    def _helpers(self) -> List[int]:
        """The holder, and the reader (AsUser): it must outlive every run, or nothing held open is seen."""
        return super()._helpers() + ([self.reader.pid] if self.reader else [])

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
        """The user's live processes (not zombies), but the reader, whose effective uid is the user's."""
        if self.uid is None:
            return []
        found = []
        helpers = self._helpers()
        for pid in owned_by(self.uid):
            with contextlib.suppress(OSError):
                if state(pid) != "Z" and int(pid) not in helpers:
                    found.append(int(pid))
        return found

    def close(self) -> None:
        """Stop the holder (its namespace and /tmp go with it), remove grade.py's own folder, give the hidden
        paths their modes back, free the uid."""
        if self.holder:
            self.holder.close()
            self.holder = None
        if self.reader:
            self.reader.close()
            self.reader = None
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


def _own_ipc_namespace_works() -> bool:
    """Whether a child can enter an IPC namespace of its own (tried in a forked child)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        try:
            call("unshare", system.CLONE_NEWIPC)
            os._exit(0)
        except BaseException:  # noqa: BLE001  (any failure is the answer)
            os._exit(1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
