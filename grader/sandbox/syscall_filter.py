"""The seccomp filter in each run's process: what the submission may not ask the kernel for.

Built with grader/seccomp.py (the BPF program and its installation), installed in each run's child
last, just before it executes Python, on both paths (with namespaces and without), so that the
submission and everything it starts are held to it. It refuses:

  - every socket(): no address family is allowed, so no Internet (AF_INET, AF_INET6), vsock (which a
    network namespace does not isolate), netlink, packet or named Unix socket can be opened, and no
    socket file or abstract address outside the run can be reached; io_uring, which opens sockets on
    its own, is refused too. socketpair() stays allowed for AF_UNIX alone: an unnamed, connected pair
    reaches nothing outside the run, and the standard library's multiprocessing uses it (a duplex
    Pipe). What that refuses of the standard library: multiprocessing's Manager and its forkserver
    start method, which listen on a named Unix socket; the fork start method (Linux's default up to
    Python 3.13), Pool, Process, Queue, Pipe, Lock, Value, Array and shared_memory work, as do numpy
    and every module a neuralnet.py imports (checked by grader/test_sandbox.py's TestRunFilter, on this
    Python and, where there is one, Python 3.9 with numpy 1.23.0);
  - sendmsg and sendmmsg: no descriptor passed in a message, where it would hold a file no process
    has open and no folder holds (an unseen route around the disk bound) while in flight;
  - fallocate (EOPNOTSUPP): the route that placed gigabytes on disk within milliseconds, faster than
    any measure; C's posix_fallocate then falls back to writing, which the disk bound measures;
  - prctl(PR_SET_DUMPABLE): a process that is not dumpable hides its descriptors and mappings from the
    disk bound, which reads them as the run's uid;
  - SysV IPC (shared memory, semaphores, message queues) and POSIX message queues: objects that outlive
    the run (memory held, a verdict passed from one run to the next). numpy needs none of them;
    multiprocessing's locks are POSIX semaphores, files in /dev/shm, which the disk bound counts and
    removes after each run.

Where the filter cannot be installed (another architecture, a kernel without seccomp) the sandbox says
so in the header and still holds what does not depend on it: each run in its own IPC namespace where
namespaces are allowed, RLIMIT_MSGQUEUE 0, the uid's SysV objects removed after each run
(grader/sandbox/written.py), and the disk measured.

Tested by grader/test_sandbox.py's TestRunFilter (each refusal and what stays allowed, in forked
children; the standard library and numpy under the filter), the sandbox's preflight in every grade (an
Internet socket must fail), and the attacks graded in the container stand-in (grader/test_sandbox.py).
"""
import errno
import os

from grader import seccomp
from grader.seccomp import Rule

AF_UNIX = 1
PR_SET_DUMPABLE = 4
SYSV_IPC = ("shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop", "msgget", "msgsnd",
            "msgrcv", "msgctl")
POSIX_MESSAGE_QUEUES = ("mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr")

RUN_RULES = (
    Rule("socket", errno.EACCES),
    Rule("socketpair", errno.EACCES, arg0_allowed=(AF_UNIX,)),
    Rule("io_uring_setup", errno.EPERM),
    Rule("sendmsg", errno.EPERM),
    Rule("sendmmsg", errno.EPERM),
    Rule("fallocate", errno.EOPNOTSUPP),
    Rule("prctl", errno.EPERM, arg0_in=(PR_SET_DUMPABLE,)),
    *(Rule(name, errno.EPERM) for name in SYSV_IPC + POSIX_MESSAGE_QUEUES),
)
WHAT = "no socket but an unnamed Unix pair, no IPC, no fallocate"  # as the header says it


def install() -> None:
    """The filter, in this process (a run's child, last before it executes Python). OSError if refused."""
    seccomp.install(RUN_RULES)


def works() -> str:
    """'' when a forked child can install the filter and an Internet socket is then refused; else why not."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        try:
            os.close(read)
            install()
            import socket
            try:
                socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
                os.write(write, b"the seccomp filter let a socket through")
            except OSError:
                pass
        except BaseException as e:  # noqa: BLE001  (any failure is reported, never raised in the child)
            os.write(write, str(e).encode(errors="replace")[:500])
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        failure = f.read(600).decode(errors="replace")
    os.waitpid(pid, 0)
    return failure
