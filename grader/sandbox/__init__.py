"""Linux's isolation, on top of the portable runner (grader/runner.py): a package, one module per concern.

Imported only on Linux, by grader/isolation.py (the one place that chooses a runner); grader/runner.py
never imports it (grader/test_sandbox.py's TestLayers checks that).

Imported only on Linux (grader.isolation.make_runner). On Linux every run gets resource limits
(address space, file size, CPU time), each clamped to the hard limit found (a limit that cannot
be set as asked is named in the header, never a crash); its memory follows the container's own
limit where the cgroup says it (v2 memory.max, v1 memory.limit_in_bytes), and a run the kernel's
out-of-memory killer ended is named as such. Its processes get oom_score_adj 1000, so that under
memory pressure the kernel takes them, never grade.py, which then still writes its report.
grade.py is the subreaper of its runs, so that an orphan that leaves the run's session comes back
to it and is killed; where the kernel or libc lacks prctl, or /proc is missing, that is left out.

As root, Gradescope's case, the main path needs no namespaces, since Gradescope's containers refuse
them (Docker's default seccomp profile refuses mount, unshare and setns without CAP_SYS_ADMIN):
  - each run runs as a uid chosen for this grade (unused in a high range: no passwd entry, no process,
    a lock of this grade's), with a gid likewise, no other groups and no way to gain privileges; so
    RLIMIT_NPROC, kill(-1) and the removal of its files by owner concern this grade only, even on a
    host whose other containers run the same image (--user names a user instead);
  - grade.py makes what the submission must not see unreachable to that uid itself, whatever modes
    the harness gave: the group and other permission bits of each hidden path (the grader, the data,
    the results folder, the submission's folder, the harness's metadata file) are removed, the old
    modes recorded in a root-only file and restored at the end (a grade that died is undone by the
    next); the run folders live in a root-only 0711 folder, each 0700 and owned by the uid. A first
    run checks that the uid can run the interpreter with numpy, reads nothing hidden and reaches no
    network; if it can read something hidden, that is a bug of the grader's, and grading stops;
  - the network is cut by a seccomp filter in each run's process that refuses AF_INET and AF_INET6
    sockets (grader/seccomp.py), where no network namespace can be made;
  - what a run writes is bounded: its folder and TMPDIR are the run folder, each file by
    RLIMIT_FSIZE, and the run is killed once its folder and its files in the world-writable places
    (/tmp, /var/tmp, /dev/shm, /run/lock) hold more than --disk. After each run every file the uid
    owns in those places is removed, never through a link and never a file of another owner, so
    nothing carries over from run to run. (Making those places unwritable during the grade was the
    other way: it changes modes every other process of the container or host relies on, where a grade
    of its own uid can find exactly what it wrote by owner.)
  - ends with every process of the uid killed.
Where the system allows namespaces, they add to that: each run enters a private mount namespace,
held for the whole grade by a `sleep` process, where the hidden paths are also covered by empty
read-only file systems and /tmp is a fresh tmpfs of --disk bytes holding the run folders (what the uid
wrote there is removed after each run too, so that one run cannot fill it for the next), and a new
network namespace (the header says which way the network was cut).

The modules, each with what it guarantees and how it is tested in its docstring:
  - system:  the libc calls the standard library lacks (prctl, unshare, setns, mount) and /proc reads;
  - limits:  resource limits clamped to the hard limits, the container's memory and its out-of-memory
             kills, the out-of-memory order;
  - users:   the uid of this grade, chosen unused and locked;
  - hiding:  what the submission must not reach: the hidden paths' modes, the mount namespace;
  - written: what a run wrote outside its folder: measured, bounded, removed by owner;
  - syscall_filter: the seccomp filter each run installs (with grader/seccomp.py);
  - runners: LimitedRunner (any user) and Sandbox (root), which tie the others together.
"""
from grader.sandbox.runners import LimitedRunner, Sandbox

__all__ = ["LimitedRunner", "Sandbox"]
