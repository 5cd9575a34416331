"""What the run's seccomp filter lets the standard library and numpy do, run under it with any interpreter:

    python3.9 grader/testing_filter.py           # prints the Python, numpy, and one line per attempt
    python3.9 grader/testing_filter.py --check   # the same, then exits 1 naming what did not go as ALLOWED
                                                 # and REFUSED say (CI runs it with Python 3.9 and numpy 1.23.0)

For grader/test_sandbox.py's TestRunFilter (this Python) and for checking another interpreter by hand (the
autograder's Python 3.9 with numpy 1.23.0). Installs grader/sandbox/syscall_filter.py's filter in this
process, then tries what a neuralnet.py may do (numpy, tempfile, mmap, multiprocessing with the fork start
method) and what the filter refuses. Each line: "<attempt>: ok" or "<attempt>: <exception>". Not in the
bundle (its name starts with "test").
"""
import concurrent.futures
import ctypes
import io
import mmap
import multiprocessing
import os
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from grader.sandbox import syscall_filter  # noqa: E402

ALLOWED = ("numpy", "tempfile and mmap", "multiprocessing Pool", "Queue, Pipe, Lock, Value, Array, Process",
           "shared_memory", "ProcessPoolExecutor", "socketpair")
REFUSED = ("Manager", "forkserver", "socket AF_INET", "socket AF_INET6", "socket AF_UNIX", "socket AF_NETLINK",
           "socket AF_PACKET", "socket AF_VSOCK", "fallocate", "shmget", "semget", "msgget", "mq_open",
           "prctl PR_SET_DUMPABLE", "sendmsg")


def square(x):
    return x * x


def attempts():
    import numpy as np
    fork = multiprocessing.get_context("fork")
    libc = ctypes.CDLL(None, use_errno=True)

    def checked(result):
        if result < 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))

    def numpy_work():
        a = np.random.RandomState(0).rand(100, 100)
        np.linalg.inv(a @ a.T + np.eye(100))
        buffer = io.BytesIO()
        np.savez(buffer, a=a)
        buffer.seek(0)
        np.load(buffer)["a"]
        np.savetxt(os.path.join(tempfile.gettempdir(), "filter-check.txt"), a[:2])
        os.unlink(os.path.join(tempfile.gettempdir(), "filter-check.txt"))

    def files():
        with tempfile.TemporaryFile() as f:  # O_TMPFILE on Linux
            f.write(bytes(1 << 16))
        with tempfile.TemporaryDirectory() as folder, open(os.path.join(folder, "a"), "w") as f:
            f.write("a")
        anonymous = mmap.mmap(-1, 1 << 20)
        anonymous[0] = 1
        anonymous.close()

    def pool():
        with fork.Pool(2) as p:
            assert p.map(square, range(5)) == [0, 1, 4, 9, 16]

    def queue_pipe_lock():
        queue = fork.Queue()
        queue.put(1)
        assert queue.get() == 1
        for duplex in (True, False):
            a, b = fork.Pipe(duplex)
            b.send(2)
            assert a.recv() == 2
        lock = fork.Lock()
        lock.acquire()
        lock.release()
        fork.Value("i", 5)
        fork.Array("d", 10)[0] = 1.0
        process = fork.Process(target=square, args=(2,))
        process.start()
        process.join()
        assert process.exitcode == 0

    def shared():
        from multiprocessing import shared_memory
        block = shared_memory.SharedMemory(create=True, size=1 << 16)
        block.close()
        block.unlink()

    def executor():
        with concurrent.futures.ProcessPoolExecutor(2, mp_context=fork) as pool:
            assert list(pool.map(square, range(3))) == [0, 1, 4]

    def manager():
        with fork.Manager() as m:
            m.list([1])

    def forkserver():
        with multiprocessing.get_context("forkserver").Pool(1) as p:
            p.map(square, [1])

    def fallocate():
        with tempfile.TemporaryFile() as f:
            checked(libc.fallocate(f.fileno(), 0, ctypes.c_long(0), ctypes.c_long(1 << 20)))

    def message_queue():
        rt = ctypes.CDLL("librt.so.1", use_errno=True)
        checked(rt.mq_open(b"/filter-check", os.O_CREAT | os.O_RDWR, 0o600, None))

    def send_a_descriptor():
        a, b = socket.socketpair()
        with a, b:
            socket.send_fds(a, [b"x"], [0]) if hasattr(socket, "send_fds") else a.sendmsg([b"x"])

    found = [("numpy", numpy_work), ("tempfile and mmap", files), ("multiprocessing Pool", pool),
             ("Queue, Pipe, Lock, Value, Array, Process", queue_pipe_lock), ("shared_memory", shared),
             ("ProcessPoolExecutor", executor), ("socketpair", lambda: [s.close() for s in socket.socketpair()]),
             ("Manager", manager), ("forkserver", forkserver)]
    for name, family, kind in (("AF_INET", socket.AF_INET, socket.SOCK_STREAM),
                               ("AF_INET6", socket.AF_INET6, socket.SOCK_STREAM),
                               ("AF_UNIX", socket.AF_UNIX, socket.SOCK_STREAM), ("AF_NETLINK", 16, socket.SOCK_RAW),
                               ("AF_PACKET", 17, socket.SOCK_DGRAM), ("AF_VSOCK", 40, socket.SOCK_STREAM)):
        found.append((f"socket {name}", lambda family=family, kind=kind: socket.socket(family, kind).close()))
    found += [("fallocate", fallocate), ("shmget", lambda: checked(libc.shmget(0, 4096, 0o1600))),
              ("semget", lambda: checked(libc.semget(0, 1, 0o1600))),
              ("msgget", lambda: checked(libc.msgget(0, 0o1600))), ("mq_open", message_queue),
              ("prctl PR_SET_DUMPABLE", lambda: checked(libc.prctl(4, 0, 0, 0, 0))), ("sendmsg", send_a_descriptor)]
    return found


def main() -> int:
    syscall_filter.install()
    import numpy
    print(f"Python {sys.version.split()[0]}, numpy {numpy.__version__}")
    worked = {}
    for name, attempt in attempts():
        try:
            attempt()
            worked[name] = True
            print(f"{name}: ok", flush=True)
        except Exception as e:  # noqa: BLE001  (what each attempt met is the answer)
            worked[name] = False
            print(f"{name}: {type(e).__name__}: {e}"[:200], flush=True)
    wrong = [n for n in ALLOWED if not worked[n]] + [n for n in REFUSED if worked[n]]
    if "--check" in sys.argv[1:] and wrong:
        print(f"testing_filter.py: not as expected under the run filter: {', '.join(wrong)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
