"""A stand-in for Gradescope's autograder container, for the tests (not in the bundle: its name starts
with "test", which grader/bundle.py leaves out).

Gradescope runs /autograder/run_autograder as root in one Docker container per submission. This
module runs a command the same way on this machine, as root, and leaves nothing behind:

  - its own PID namespace (the container's processes only; /proc mounted for it), its own IPC namespace
    (with a fresh /dev/mqueue), and a private mount namespace where /autograder is a temporary folder
    laid out as the harness lays it (below), /tmp and /var/tmp are fresh folders and /dev/shm a 64 MB
    tmpfs, as Docker gives a container;
  - Docker's default capability set: the bounding, inheritable and ambient sets reduced to CHOWN,
    DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP, NET_BIND_SERVICE, NET_RAW, SYS_CHROOT,
    MKNOD, AUDIT_WRITE and SETFCAP (setpriv), so that root lacks CAP_SYS_ADMIN, CAP_NET_ADMIN and
    CAP_SYS_RESOURCE as there;
  - a seccomp filter (grader/seccomp.py) refusing with EPERM what Docker's default profile refuses a
    container without CAP_SYS_ADMIN and that matters to a grader: mount, umount2, unshare, setns,
    pivot_root, clone with a namespace flag, the kernel keyring, bpf, perf_event_open, fanotify,
    open_by_handle_at, userfaultfd and io_uring; clone3 fails with ENOSYS so that the C library falls
    back to clone, as Docker's profile makes it;
  - a memory cgroup of 768 MB without swap and half a CPU ("50000 100000"), Gradescope's defaults,
    made as a child of this process's own cgroup (v2, or v1's memory and cpu hierarchies) where they
    can be written; Container.cgroup says what was made, or why nothing was;
  - this checkout (and the course data, wherever it is) covered by an empty read-only file system: a
    container holds the project only as /autograder/source;
  - optionally low hard ulimits (a container started with --ulimit), set before the command starts;
  - umask 022; the command's stdout and stderr go to /autograder/results/stdout, open while it runs.

The harness's layout, root-owned, folders 0755, files 0644:
    /autograder/run_autograder          (copied from the bundle, 0755)
    /autograder/source/                 the unpacked bundle
    /autograder/submission/             the student's files, as uploaded (links kept as links)
    /autograder/results/                stdout while it runs; results.json afterwards
    /autograder/submission_metadata.json  fake names and e-mails, and an earlier submission's results
                                        with a test held back until the due date (METADATA_SECRET)

With docker_like=False ("namespaces allowed"), the same without the seccomp filter and with every
capability: what a self-hosted runner or a privileged container gives.

    with Container(bundle_zip, submission_python=..., grader_user=...) as container:
        container.submit({"neuralnet.py": source})
        outcome = container.run()      # run_autograder; outcome.results is results.json

Root on Linux only (Container.unavailable() says why not), with setpriv and unshare (util-linux).
"""
import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

DOCKER_CAPABILITIES = ("chown", "dac_override", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
                       "net_bind_service", "net_raw", "sys_chroot", "mknod", "audit_write", "setfcap")
# What Docker's default seccomp profile refuses a container without CAP_SYS_ADMIN (or refuses always) that a
# grader could reach for: namespaces and mounts above all.
DOCKER_REFUSED = ("mount", "umount2", "unshare", "setns", "pivot_root", "keyctl", "add_key", "request_key", "bpf",
                  "perf_event_open", "fanotify_init", "name_to_handle_at", "open_by_handle_at", "userfaultfd",
                  "io_uring_setup", "io_uring_enter", "io_uring_register")
MEMORY = 768 << 20  # Gradescope's default container memory
CPU_MAX = (50000, 100000)  # half a CPU: quota and period in microseconds
SHM_SIZE = "64m"  # Docker's default /dev/shm
AUTOGRADER = "/autograder"
METADATA_SECRET = "held-back-test-7319: expected 0.0421"  # in the metadata's earlier results only
HOST_LOCK = "/tmp/.grade-standin.lock"  # stand-ins at once share /autograder as a mount point
PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # this checkout

Content = Union[bytes, str, "Link"]


class Link(NamedTuple):
    """A symbolic link to submit, pointing at target (as given: relative or absolute)."""
    target: str


class Outcome(NamedTuple):
    """What a run in the stand-in left: returncode of the command, results.json (None when it wrote none or
    not JSON), results/stdout's text, the processes still alive in the container when the command ended
    ([pid, uid, command line]), files left in /tmp, /var/tmp and /dev/shm, the cgroup's peak memory in
    bytes (0 without a cgroup), the largest VmHWM seen of a process running grade.py (bytes, sampled every
    0.05 s), seconds, and the IPC objects left in the container (its /proc/sysvipc rows, its /dev/mqueue's
    queues)."""
    returncode: int
    results: Optional[dict]
    stdout: str
    leftovers: List[List]
    scratch: List[str]
    cgroup_peak: int
    grade_peak: int
    seconds: float
    ipc: List[str] = []


def unavailable() -> str:
    """Why the stand-in cannot run here, or ''."""
    if not sys.platform.startswith("linux"):
        return "the container stand-in needs Linux"
    if os.geteuid() != 0:
        return "the container stand-in needs root (CI runs it as root)"
    missing = [tool for tool in ("setpriv", "unshare", "mount") if shutil.which(tool) is None]
    if missing:
        return f"the container stand-in needs {', '.join(missing)} (util-linux)"
    try:
        from grader import seccomp
        seccomp.architecture()
    except OSError as e:
        return str(e)
    return ""


def metadata(previous_results: Optional[dict] = None) -> dict:
    """submission_metadata.json as Gradescope documents it, with fake people and an earlier submission whose
    results hold a test held back until the due date."""
    earlier = previous_results or {
        "score": 12.0, "output": "earlier run",
        "tests": [{"name": "cli:medium held back", "score": 0, "max_score": 5, "visibility": "after_due_date",
                   "output": METADATA_SECRET}]}
    return {
        "id": 271828, "created_at": "2026-11-30T14:22:32.365935-05:00",
        "assignment": {"due_date": "2026-12-04T23:59:00.000000-05:00", "group_size": None,
                       "group_submission": False, "id": 31415, "course_id": 2718, "late_due_date": None,
                       "release_date": "2026-11-20T00:00:00.000000-05:00", "title": "HW5: Neural Networks",
                       "total_points": "55.0"},
        "submission_method": "upload",
        "users": [{"email": "ada.example@andrew.example.edu", "id": 1815, "name": "Ada Example"},
                  {"email": "alan.example@andrew.example.edu", "id": 1912, "name": "Alan Example"}],
        "previous_submissions": [{"submission_time": "2026-11-29T10:00:00.000000-05:00", "score": 12.0,
                                  "results": earlier}],
    }


class Cgroup:
    """A child cgroup of this process's own, with Gradescope's memory and CPU, where one can be made.

    Attributes: folders (one per hierarchy: v2's one, or v1's memory and cpu), description (what was made,
    or why nothing was: said in test output and benchmarks).
    """

    def __init__(self, name: str, memory: int = MEMORY, cpu: Tuple[int, int] = CPU_MAX):
        self.folders: List[str] = []
        self.peak_file = ""
        try:
            self.description = self._make(name, memory, cpu)
        except OSError as e:
            self.remove()
            self.description = f"no cgroup: {e.strerror or e} ({getattr(e, 'filename', '') or ''})"

    @staticmethod
    def _own(controller: str) -> str:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if controller in controllers.split(","):
                    return path
        raise OSError(0, f"this process is in no {controller or 'v2'} cgroup")

    def _make(self, name: str, memory: int, cpu: Tuple[int, int]) -> str:
        mb = memory >> 20
        if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):  # v2, unified
            parent = "/sys/fs/cgroup" + self._own("").rstrip("/")
            with open(f"{parent}/cgroup.subtree_control") as f:
                enabled = f.read().split()
            if not {"memory", "cpu"} <= set(enabled):
                with open(f"{parent}/cgroup.subtree_control", "w") as f:
                    f.write("+memory +cpu")
            folder = f"{parent}/{name}"
            os.mkdir(folder)
            self.folders = [folder]
            self._write(folder, "memory.max", str(memory))
            with contextlib.suppress(OSError):
                self._write(folder, "memory.swap.max", "0")
            self._write(folder, "cpu.max", f"{cpu[0]} {cpu[1]}")
            self.peak_file = f"{folder}/memory.peak" if os.path.exists(f"{folder}/memory.peak") else ""
            return f"cgroup v2 {folder}: memory.max {mb} MB, cpu.max {cpu[0]} {cpu[1]}"
        memory_folder = f"/sys/fs/cgroup/memory{self._own('memory').rstrip('/')}/{name}"
        cpu_folder = f"/sys/fs/cgroup/cpu{self._own('cpu').rstrip('/')}/{name}"
        os.mkdir(memory_folder)
        self.folders.append(memory_folder)
        os.mkdir(cpu_folder)
        self.folders.append(cpu_folder)
        self._write(memory_folder, "memory.limit_in_bytes", str(memory))
        with contextlib.suppress(OSError):  # no swap either, where swap accounting exists
            self._write(memory_folder, "memory.memsw.limit_in_bytes", str(memory))
        self._write(cpu_folder, "cpu.cfs_period_us", str(cpu[1]))
        self._write(cpu_folder, "cpu.cfs_quota_us", str(cpu[0]))
        self.peak_file = f"{memory_folder}/memory.max_usage_in_bytes"
        return f"cgroup v1 {memory_folder}: limit {mb} MB; cpu quota {cpu[0]}/{cpu[1]} us"

    @staticmethod
    def _write(folder: str, name: str, value: str) -> None:
        with open(os.path.join(folder, name), "w") as f:
            f.write(value)

    def join(self) -> None:
        """Move the calling process into the cgroup (its children follow): Popen's preexec_fn."""
        for folder in self.folders:
            self._write(folder, "cgroup.procs", str(os.getpid()))

    def peak(self) -> int:
        if not self.peak_file:
            return 0
        with open(self.peak_file) as f:
            return int(f.read())

    def remove(self) -> None:
        for folder in reversed(self.folders):
            for _ in range(50):  # the namespace's processes are gone a moment after its init
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
        self.folders = []


class Container:
    """The stand-in, as a context manager: a layout on enter, removed (with its cgroup) on exit.

    Args:
        bundle: the autograder.zip to unpack into /autograder/source, as Gradescope does.
        submission_python: passed to run_autograder as SUBMISSION_PYTHON (what setup.sh would have installed);
            its folder must be readable by every user, since grade.py may choose a uid per grade.
        grader_user: passed as GRADER_USER when given; None (Gradescope's case) leaves it unset, so that
            run_autograder's own choice holds.
        docker_like: Docker's capabilities and seccomp profile (True), or every capability and no filter (False:
            the system allows namespaces).
        cgroup: make the 768 MB / half-CPU cgroup where possible (False: run in this process's own).
        ulimits: hard and soft limits the container starts with, e.g. {"NPROC": 50, "AS": 2 << 30}: the resource
            module's names without RLIMIT_.
        keep: host folders under /tmp or /var/tmp to keep visible inside (the submission's venv, say), since
            the container's /tmp and /var/tmp are its own.
        memory, cpu: the cgroup's limits (defaults: Gradescope's).
    """

    def __init__(self, bundle: str, submission_python: str, grader_user: Optional[str] = None, docker_like: bool = True,
                 cgroup: bool = True, ulimits: Optional[Dict[str, int]] = None, keep: Sequence[str] = (),
                 memory: int = MEMORY, cpu: Tuple[int, int] = CPU_MAX):
        self.bundle, self.python, self.user = bundle, submission_python, grader_user
        self.docker_like, self.want_cgroup, self.ulimits = docker_like, cgroup, dict(ulimits or {})
        self.keep = [os.path.abspath(k) for k in keep]
        self.memory, self.cpu = memory, cpu
        self.folder = ""
        self.cgroup: Optional[Cgroup] = None
        self._lock = -1
        self._made_mount_point = False

    # -- the layout ---------------------------------------------------------

    @property
    def root(self) -> str:
        """/autograder as the host sees it."""
        return os.path.join(self.folder, "autograder")

    def __enter__(self) -> "Container":
        reason = unavailable()
        if reason:
            raise OSError(0, reason)
        old = os.umask(0o022)
        try:
            self.folder = tempfile.mkdtemp(prefix="grade-standin-")
            os.chmod(self.folder, 0o755)
            for name in ("autograder", "autograder/source", "autograder/submission", "autograder/results",
                         "scratch", "scratch/tmp", "scratch/var_tmp"):
                os.mkdir(os.path.join(self.folder, name), 0o755)
            for name in ("scratch/tmp", "scratch/var_tmp"):
                os.chmod(os.path.join(self.folder, name), 0o1777)
            with zipfile.ZipFile(self.bundle) as z:
                z.extractall(os.path.join(self.root, "source"))
            for path, folders, _files in os.walk(os.path.join(self.root, "source")):  # modes as the zip says
                for name in folders:
                    os.chmod(os.path.join(path, name), 0o755)
            with zipfile.ZipFile(self.bundle) as z:
                for info in z.infolist():
                    mode = (info.external_attr >> 16) & 0o777
                    if mode and not info.is_dir():
                        os.chmod(os.path.join(self.root, "source", info.filename), mode)
            shutil.copy2(os.path.join(self.root, "source", "run_autograder"), os.path.join(self.root, "run_autograder"))
            self.write_metadata(metadata())
        finally:
            os.umask(old)
        self._share_mount_point()
        if self.want_cgroup:
            self.cgroup = Cgroup(f"grade-standin-{os.getpid()}-{os.path.basename(self.folder)[-8:]}", self.memory,
                                 self.cpu)
        return self

    def write_metadata(self, data: dict) -> None:
        path = os.path.join(self.root, "submission_metadata.json")
        with open(path, "w") as f:
            json.dump(data, f, indent=2)
        os.chmod(path, 0o644)

    def submit(self, files: Dict[str, Content]) -> None:
        """Put the student's files into submission/ (paths may have folders; a Link is made as a link)."""
        old = os.umask(0o022)
        try:
            for name, content in files.items():
                path = os.path.join(self.root, "submission", name)
                os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
                if isinstance(content, Link):
                    os.symlink(content.target, path)
                else:
                    with open(path, "wb") as f:
                        f.write(content.encode() if isinstance(content, str) else content)
        finally:
            os.umask(old)

    def _share_mount_point(self) -> None:
        """/autograder exists on the host as an empty folder while any stand-in runs (each binds its own
        layout onto it in its own mount namespace); the last one out removes it if a stand-in made it."""
        self._lock = os.open(HOST_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        try:
            if not os.path.lexists(AUTOGRADER):
                os.mkdir(AUTOGRADER, 0o755)
                with open(HOST_LOCK + ".made", "w"):
                    pass
            elif os.path.islink(AUTOGRADER) or not os.path.isdir(AUTOGRADER):
                raise OSError(0, f"{AUTOGRADER} exists here and is not a folder: the stand-in needs it")
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_SH)  # held while this stand-in runs

    def _release_mount_point(self) -> None:
        if self._lock < 0:
            return
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # no other stand-in holds it
            if os.path.exists(HOST_LOCK + ".made"):
                with contextlib.suppress(OSError):
                    os.rmdir(AUTOGRADER)
                    os.unlink(HOST_LOCK + ".made")
        except BlockingIOError:
            pass
        finally:
            os.close(self._lock)
            self._lock = -1

    def __exit__(self, *exc_info) -> None:
        if self.cgroup is not None:
            self.cgroup.remove()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
        self._release_mount_point()

    # -- running ------------------------------------------------------------

    def run(self, command: Sequence[str] = (f"{AUTOGRADER}/run_autograder",), timeout: float = 600,
            env: Optional[Dict[str, str]] = None) -> Outcome:
        """The command in the container, as Gradescope runs run_autograder: root, in /autograder."""
        outcome_path = os.path.join(self.folder, "outcome.json")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(outcome_path)
        import course_data
        plan = {"folder": self.folder, "outcome": outcome_path, "command": list(command),
                "cover": outermost([PROJECT, os.path.realpath(course_data.folder())]),
                "docker_like": self.docker_like, "ulimits": self.ulimits, "keep": self.keep,
                "env": {"PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin", "HOME": "/root",
                        "LANG": "C.UTF-8", "SUBMISSION_PYTHON": self.python,
                        **({"GRADER_USER": self.user} if self.user else {}), **(env or {})}}
        started = time.monotonic()
        process = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--mount-proc", "--mount", "--ipc", "--propagation", "private",
             sys.executable, "-m", "grader.testing_container", json.dumps(plan)],
            cwd="/", env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": PROJECT},
            preexec_fn=self.cgroup.join if self.cgroup and self.cgroup.folders else None,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            harness, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the namespace's init dies, and every process in it
            process.communicate()
            raise
        seconds = time.monotonic() - started
        try:
            with open(outcome_path) as f:
                found = json.load(f)
        except (OSError, ValueError):
            raise OSError(0, f"the stand-in's harness failed: {harness.decode(errors='replace')[-2000:]}") from None
        results = None
        with contextlib.suppress(OSError, ValueError):
            with open(os.path.join(self.root, "results", "results.json")) as f:
                results = json.load(f)
        with open(os.path.join(self.root, "results", "stdout"), errors="replace") as f:
            stdout = f.read()
        return Outcome(found["returncode"], results, stdout, found["leftovers"], found["scratch"],
                       self.cgroup.peak() if self.cgroup else 0, found["grade_peak"], seconds, found["ipc"])


def outermost(paths: Sequence[str]) -> List[str]:
    """The paths that lie in none of the others."""
    return sorted(p for p in set(paths) if not any(p.startswith(q.rstrip("/") + "/") for q in paths if q != p))


# ----------------------------------------------------------------------------
# Inside: the namespace's init (python3 -m grader.testing_container PLAN)
# ----------------------------------------------------------------------------

def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


def _inside(plan: dict) -> None:
    """Lay out the mounts, start the command as the container does, wait for it while sampling grade.py's
    memory, then write what it left behind to plan["outcome"]. Runs as the PID namespace's init."""
    from grader import seccomp  # noqa: F401  (first: this checkout may be under /tmp, which is covered below)
    folder = plan["folder"]
    outcome = os.open(plan["outcome"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # before /tmp is covered
    kept = [(path, os.open(path, os.O_RDONLY | os.O_DIRECTORY)) for path in plan["keep"]]
    sources = [os.open(os.path.join(folder, name), os.O_RDONLY | os.O_DIRECTORY)
               for name in ("autograder", "scratch/tmp", "scratch/var_tmp")]  # before /tmp is covered
    for fd, target in zip(sources, (AUTOGRADER, "/tmp", "/var/tmp")):
        _mount("--no-canonicalize", "--bind", f"/proc/{os.getpid()}/fd/{fd}", target)
        os.close(fd)
    _mount("-t", "tmpfs", "-o", f"size={SHM_SIZE},mode=1777,nosuid,nodev", "tmpfs", "/dev/shm")
    if os.path.isdir("/dev/mqueue"):  # this IPC namespace's queues, as Docker mounts them
        _mount("-t", "mqueue", "-o", "nosuid,nodev,noexec", "mqueue", "/dev/mqueue")
    for path, fd in kept:  # the host's folder at the same path inside the container's /tmp
        os.makedirs(path, 0o755, exist_ok=True)
        # --no-canonicalize: mount(8) would resolve the fd's link to its path, which is now under the new /tmp
        _mount("--bind", "--no-canonicalize", f"/proc/{os.getpid()}/fd/{fd}", path)
        os.close(fd)
    for path in plan["cover"]:
        if not os.path.isdir(path):  # under the host's /tmp, which the container's own /tmp now hides
            continue
        _mount("-t", "tmpfs", "-o", "ro,size=4k,mode=755", "tmpfs", path)
    pid = os.fork()
    if pid == 0:
        try:
            _start(plan)
        except BaseException as e:  # noqa: BLE001  (the child must never return into the harness)
            os.write(2, f"stand-in: {e}\n".encode())
        os._exit(127)
    grade_peak, status = 0, None
    while status is None:  # as a container's init: every orphan is reaped, the command's status kept
        grade_peak = max(grade_peak, _grade_vmhwm())
        time.sleep(0.05)
        with contextlib.suppress(ChildProcessError):
            while True:
                done, code = os.waitpid(-1, os.WNOHANG)
                if not done:
                    break
                if done == pid:
                    status = code
    time.sleep(0.2)  # let what the command left settle
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    leftovers = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            with contextlib.suppress(OSError):
                with open(f"/proc/{entry}/status") as f:
                    uid = next(int(line.split()[1]) for line in f if line.startswith("Uid:"))
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    args = f.read(300).replace(b"\0", b" ").decode(errors="replace").strip()
                leftovers.append([int(entry), uid, args])
    kept_paths = set(plan["keep"])
    scratch = []
    for top in ("/tmp", "/var/tmp", "/dev/shm"):
        for path, folders, files in os.walk(top):
            folders[:] = [d for d in folders if os.path.join(path, d) not in kept_paths]
            scratch += [os.path.join(path, name) for name in folders + files]
    os.write(outcome, json.dumps({"returncode": os.waitstatus_to_exitcode(status), "leftovers": leftovers,
                                  "scratch": sorted(scratch), "grade_peak": grade_peak, "ipc": _ipc_left()}).encode())
    os.close(outcome)


def _ipc_left() -> List[str]:
    """The IPC objects in this (the container's) IPC namespace: each /proc/sysvipc row, each /dev/mqueue queue."""
    left = []
    for kind in ("shm", "sem", "msg"):
        with contextlib.suppress(OSError), open(f"/proc/sysvipc/{kind}") as f:
            left += [f"{kind}: {' '.join(row.split()[:8])}" for row in f.readlines()[1:]]
    with contextlib.suppress(OSError):
        left += [f"mqueue: {name}" for name in os.listdir("/dev/mqueue")]
    return left


def _grade_vmhwm() -> int:
    """The largest VmHWM (bytes) of a process running grade.py now, or 0."""
    peak = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, StopIteration, ValueError):
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    args = f.read(4096).split(b"\0")
                if any(a.endswith(b"grade.py") for a in args[1:3]):
                    with open(f"/proc/{entry}/status") as f:
                        peak = max(peak, next(int(line.split()[1]) << 10 for line in f if line.startswith("VmHWM:")))
    return peak


def _start(plan: dict) -> None:
    """The container's first process: results/stdout as its output, umask 022, its ulimits, Docker's seccomp
    profile (installed while CAP_SYS_ADMIN is still held, as runc does, so no_new_privs stays off), then
    Docker's capabilities, and the command."""
    import resource

    from grader import seccomp
    os.umask(0o022)
    stdout = os.open(f"{AUTOGRADER}/results/stdout", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(stdout, 1)
    os.dup2(stdout, 2)
    os.close(stdout)
    os.chdir(AUTOGRADER)
    for name, value in plan["ulimits"].items():
        resource.setrlimit(getattr(resource, f"RLIMIT_{name}"), (value, value))
    command = list(plan["command"])
    if plan["docker_like"]:
        rules = [seccomp.Rule(name, 1) for name in DOCKER_REFUSED]  # EPERM
        rules.append(seccomp.Rule("clone", 1, arg0_mask=seccomp.CLONE_NAMESPACE_FLAGS))
        rules.append(seccomp.Rule("clone3", 38))  # ENOSYS: the C library falls back to clone
        seccomp.install(rules, no_new_privs=False)
        capabilities = ",".join(["-all"] + [f"+{c}" for c in DOCKER_CAPABILITIES])
        command = ["setpriv", f"--bounding-set={capabilities}", "--inh-caps=-all", "--ambient-caps=-all", "--",
                   *command]
    os.execvpe(command[0], command, plan["env"])


if __name__ == "__main__":
    _inside(json.loads(sys.argv[1]))
