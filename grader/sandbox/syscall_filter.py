"""The seccomp filter in each run's process: what the submission may not ask the kernel for.

Built with grader/seccomp.py (the BPF program and its installation). Guarantees: where the system
refuses a network namespace (Gradescope's Docker containers), each run's child installs the
filter before it executes Python, so that the submission, and everything it starts, cannot open an
Internet socket (AF_INET, AF_INET6: EACCES) nor reach one through io_uring; AF_UNIX sockets, which
Python's multiprocessing uses, still work. Whether the filter can be installed is tried once per
grade in a forked child (works()), and the header says how the network was cut, or why not.

Tested by grader/test_container.py's TestSeccomp (each family, inherited across exec, refused on
another architecture), the sandbox's preflight in every grade (an Internet socket must fail), and
the network cases graded in the container stand-in (a listener on the host: no connection).
"""
import os

from grader import seccomp


def install() -> None:
    """The filter, in this process (a run's child, last before it executes Python). OSError if refused."""
    seccomp.deny_network()


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
