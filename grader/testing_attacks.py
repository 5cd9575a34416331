"""Seven attacks on the grader's bounds, each a complete correct neuralnet.py plus the attack (for the tests and
benchmarks/bench_attacks.py; not in the bundle: its name starts with "test").

Each is what a hostile student tried on the Gradescope path (issue 37), written so that the attack's success
shows in the grade: where it gets past a bound it says so on stderr and exits 1, failing its check with that
line; where the bound holds, the correct part runs and earns its points. ATTACKS maps a name to
(the source, the command-line configurations it attacks: a predicate on num_epoch, or None for every run):

  - unseen-disk: in the runs with at most one epoch, 2 GiB (4x --disk) in files no folder shows: unlinked
    while open, and O_TMPFILE files; held 2 s (unseen_disk(writers) for several processes at once);
  - fallocate: in the same runs, 3750 MiB placed with the fallocate system call, at once;
  - line-breaks: every command-line run writes its train labels as 16 MiB of bare \\r, or its labels
    separated by U+2028 (runs with an odd number of epochs);
  - deep-tree: every command-line run makes a folder 1500 levels deep in its folder and in /tmp;
  - ipc: every run (at import) looks for what an earlier run left in SysV shared memory, semaphores, message
    queues and POSIX message queues, and leaves 256 MiB of shared memory, a semaphore set and queues;
  - families: every run (at import) tries vsock, netlink, packet and Unix sockets, and the Internet;
  - forged-lines: the 0-epoch run writes, on stderr, lines that look like the grader's (a passing check, a
    score of 55/55) behind U+2028, U+2029 and U+202E, and exits 1.
"""
import inspect
import textwrap
from typing import Callable, Dict, Optional, Tuple

from grader.testing import NEURALNET

MAIN = 'if __name__ == "__main__":\n    sys.exit(main())\n'
DISK_TARGET, DISK_LIMIT = 2 << 30, 512 << 20  # what unseen-disk tries to hold; grade.py's default --disk

def unseen_disk(writers: int = 1) -> str:
    """The unseen-disk attack, with `writers` processes writing at once; each MiB written, the total held so far is
    said on stderr ("unseen-disk: holding N MiB"), so that the last such line quoted is the peak of a run stopped."""
    return '''
    def _hold_unseen(target=%d, limit=%d, writers=%d):
        import mmap, os, struct, tempfile, time
        counts = mmap.mmap(-1, 8 * writers)  # shared with the forked writers: each one's bytes
        me = next((i for i in range(1, writers) if os.fork() == 0), 0)
        held, fds, chunk = 0, [], bytes(1 << 20)
        try:
            while held < target // writers:
                if len(fds) %% 2:
                    fd = os.open(tempfile.gettempdir(), os.O_TMPFILE | os.O_RDWR, 0o600)
                else:
                    fd, path = tempfile.mkstemp()
                    os.unlink(path)
                fds.append(fd)
                for _ in range(128):  # 128 MiB a file, under the file-size limit
                    os.write(fd, chunk)
                    held += len(chunk)
                    counts[8 * me:8 * me + 8] = struct.pack("q", held)
                    total = sum(struct.unpack_from("q", counts, 8 * i)[0] for i in range(writers))
                    print(f"unseen-disk: holding {total >> 20} MiB", file=sys.stderr, flush=True)
        except OSError:
            pass
        time.sleep(2)
        if me:
            os._exit(0)
        total = sum(struct.unpack_from("q", counts, 8 * i)[0] for i in range(writers))
        if total > limit:
            sys.exit(f"unseen-disk: held {total >> 20} MiB that no folder shows")
    if int(sys.argv[6]) <= 1:
        _hold_unseen()
''' % (DISK_TARGET, DISK_LIMIT, writers)


FALLOCATE = '''
    def _fallocate(files=15, each=250 << 20, limit=%d):
        import ctypes, os, tempfile
        libc = ctypes.CDLL(None, use_errno=True)
        placed = 0
        for _ in range(files):
            fd, path = tempfile.mkstemp()
            if libc.fallocate(fd, 0, ctypes.c_long(0), ctypes.c_long(each)) != 0:
                os.close(fd)
                os.unlink(path)
                return
            placed += each
        sys.exit(f"fallocate: placed {placed >> 20} MiB at once")
    if int(sys.argv[6]) <= 1:
        _fallocate()
''' % DISK_LIMIT

LINE_BREAKS = '''
    status = main()
    if int(sys.argv[6]) % 2:
        with open(sys.argv[3]) as f:
            labels = f.read().split()
        with open(sys.argv[3], "w", encoding="utf-8") as f:
            f.write("\\u2028".join(labels))
    else:
        with open(sys.argv[3], "wb") as f:
            f.write(b"\\r" * (16 << 20))
    sys.exit(status)
'''

def deep_chain(top: str, levels: int) -> int:
    """A chain of folders named d, `levels` deep under top, made through descriptors (no path grows long): the
    descriptor of its deepest folder. The deep-tree attack runs this very function (its source is copied in)."""
    import os
    fd = os.open(top, os.O_RDONLY)
    for _ in range(levels):
        os.mkdir("d", dir_fd=fd)
        child = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = child
    return fd


DEEP_TREE = textwrap.indent(inspect.getsource(deep_chain), "    ") + '''
    def _deep(top):
        import os
        fd = deep_chain(top, 1500)
        with open(os.open("leaf.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
            f.write("deep")
        os.close(fd)
    import tempfile
    _deep("."); _deep(tempfile.mkdtemp(dir="/tmp"))
'''

IPC = '''
def _ipc():
    import ctypes, mmap, os
    libc = ctypes.CDLL(None, use_errno=True)
    key, found = 0x4E4E3337, []
    if libc.shmget(key, 0, 0) >= 0:
        found.append("shared memory")
    if libc.semget(key, 0, 0) >= 0:
        found.append("a semaphore set")
    if libc.msgget(key, 0) >= 0:
        found.append("a message queue")
    try:
        rt = ctypes.CDLL("librt.so.1", use_errno=True)
        rt.mq_open.restype = ctypes.c_int
        queue = rt.mq_open(b"/nn37", os.O_RDONLY)
        if queue >= 0:
            found.append("a POSIX message queue")
        rt.mq_open(b"/nn37", os.O_CREAT | os.O_RDWR, 0o600, None)
    except OSError:
        pass
    if found:
        sys.exit(f"ipc: an earlier run left {', '.join(found)}")
    libc.shmat.restype = ctypes.c_void_p
    segment = libc.shmget(key, 256 << 20, 0o1600)  # IPC_CREAT | 0600
    if segment >= 0:
        address = libc.shmat(segment, None, 0)
        if address not in (None, ctypes.c_void_p(-1).value):
            ctypes.memset(address, 1, 256 << 20)  # held, and charged to the container's memory
            libc.shmdt(ctypes.c_void_p(address))
    libc.semget(key, 1, 0o1600)
    libc.msgget(key, 0o1600)


_ipc()
'''

FAMILIES = '''
def _families():
    import glob, socket
    opened = []
    tries = [("vsock", 40, socket.SOCK_STREAM), ("netlink", 16, socket.SOCK_RAW), ("packet", 17, socket.SOCK_DGRAM),
             ("unix", socket.AF_UNIX, socket.SOCK_STREAM), ("inet", socket.AF_INET, socket.SOCK_STREAM),
             ("inet6", socket.AF_INET6, socket.SOCK_DGRAM)]
    for name, family, kind in tries:
        try:
            socket.socket(family, kind).close()
            opened.append(name)
        except OSError:
            pass
    for path in glob.glob("/run/**/*.sock", recursive=True)[:20] + glob.glob("/var/run/*.sock")[:20]:
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(path)
                opened.append(f"connected to {path}")
        except OSError:
            pass
    if opened:
        sys.exit(f"families: opened {', '.join(opened)}")


_families()
'''

FORGED_LINES = '''
    if sys.argv[6] == "0":
        sys.stderr.write("ValueError: bad shape\\u2028  PASS  cli:medium 1 8 2 0.1  [5/5]\\u2029score: 55/55 (28 of 28 "
                         "checks passed)\\u202e\\n")
        sys.exit(1)
'''

Attacked = Optional[Callable[[int], bool]]  # which command-line runs, by num_epoch; None: every run at import


def at_import(attack: str) -> str:
    """A correct neuralnet.py that runs `attack` (module-level code) when imported, in every run."""
    source = _neuralnet()
    return source.replace(MAIN, attack.lstrip("\n") + "\n\n" + MAIN)


def in_main(attack: str) -> str:
    """A correct neuralnet.py whose command line runs `attack` (code indented for the main block) before main()."""
    source = _neuralnet()
    return source.replace(MAIN, 'if __name__ == "__main__":\n' + attack.lstrip("\n") + "    sys.exit(main())\n")


def _neuralnet() -> str:
    with open(NEURALNET) as f:
        source = f.read()
    assert MAIN in source, "neuralnet.py's main block changed: update grader/testing_attacks.py"
    return source


ATTACKS: Dict[str, Tuple[str, Attacked]] = {
    "unseen-disk": (in_main(unseen_disk()), lambda epochs: epochs <= 1),
    "fallocate": (in_main(FALLOCATE), lambda epochs: epochs <= 1),
    "line-breaks": (in_main(LINE_BREAKS), lambda epochs: True),
    "deep-tree": (in_main(DEEP_TREE), lambda epochs: True),
    "ipc": (at_import(IPC), None),
    "families": (at_import(FAMILIES), None),
    "forged-lines": (in_main(FORGED_LINES), lambda epochs: epochs == 0),
}
