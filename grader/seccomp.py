"""Seccomp filters from the standard library: refuse chosen system calls in this process and its children.

Linux only (x86_64 and aarch64). A filter is a classic BPF program the kernel runs on every
system call; once installed it holds for the process, its threads and everything it starts,
across exec, and it cannot be removed. Two uses:

    install([Rule("socket", errno.EACCES), ...])    # each rule's call refused as it says
    deny_syscalls(["mount", "unshare", "setns"])    # each fails with EPERM

grade.py installs its runs' rules (grader/sandbox/syscall_filter.py) in each run's child before it
executes Python: no socket but an unnamed pair, no IPC, no fallocate. The container stand-in of the
tests (grader/testing_container.py) uses install() to refuse what Docker's default profile refuses
without CAP_SYS_ADMIN.

Each function raises OSError, with one line saying why, when the filter cannot be installed:
another architecture, no prctl in the C library, or a kernel that refuses it (seccomp left
out, or the process has neither no_new_privs nor CAP_SYS_ADMIN). Callers say the filter is
unavailable; nothing half-installed is left behind (the kernel installs a program whole or not
at all).

How a program reads (struct seccomp_data, as the kernel hands it to the filter):
    offset 0:  int nr          the system call's number (per architecture)
    offset 4:  u32 arch        AUDIT_ARCH_*: the calling convention in use
    offset 16: u64 args[6]     the arguments; args[0]'s low 32 bits at 16 (both architectures are
                               little-endian)
The architecture is checked first: a process may enter the kernel through another convention
(i386's int 0x80 on x86_64, where socketcall would reach socket unseen, or x32's numbers with
bit 30 set), and every such call is refused whole.
"""
import ctypes
import errno
import os
import platform
from typing import Dict, Iterable, List, NamedTuple, Sequence, Tuple

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000

# BPF's instruction classes and modes: load a 32-bit word at an absolute offset, jump on a constant, return.
BPF_LD_W_ABS = 0x00 | 0x00 | 0x20
BPF_JEQ_K, BPF_JGE_K, BPF_JSET_K = 0x05 | 0x10, 0x05 | 0x30, 0x05 | 0x40
BPF_RET_K = 0x06
OFFSET_NR, OFFSET_ARCH, OFFSET_ARG0 = 0, 4, 16
X32_SYSCALL_BIT = 0x40000000

# The namespace flags of clone(2) (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME).
CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | \
    0x40000000 | 0x00000080


class Architecture(NamedTuple):
    audit_arch: int  # AUDIT_ARCH_*, as the kernel reports it in seccomp_data.arch
    numbers: Dict[str, int]  # system call names -> numbers
    foreign_above: int  # numbers at or above this one belong to another ABI on the same arch (x32); 0: none


# The calls this module names, from the kernels' unistd headers (asm/unistd_64.h; asm-generic/unistd.h for aarch64).
ARCHITECTURES = {
    "x86_64": Architecture(0xC000003E, {
        "socket": 41, "clone": 56, "pivot_root": 155, "mount": 165, "umount2": 166, "add_key": 248,
        "request_key": 249, "keyctl": 250, "unshare": 272, "perf_event_open": 298, "fanotify_init": 300,
        "name_to_handle_at": 303, "open_by_handle_at": 304, "setns": 308, "bpf": 321, "userfaultfd": 323,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "clone3": 435,
        "socketpair": 53, "sendmsg": 46, "sendmmsg": 307, "fallocate": 285,
        "shmget": 29, "shmat": 30, "shmctl": 31, "shmdt": 67, "semget": 64, "semop": 65, "semctl": 66,
        "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "mq_open": 240, "mq_unlink": 241,
        "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244, "mq_getsetattr": 245, "prctl": 157},
        X32_SYSCALL_BIT),
    "aarch64": Architecture(0xC00000B7, {
        "umount2": 39, "mount": 40, "pivot_root": 41, "unshare": 97, "socket": 198, "add_key": 217,
        "request_key": 218, "keyctl": 219, "clone": 220, "perf_event_open": 241, "fanotify_init": 262,
        "name_to_handle_at": 264, "open_by_handle_at": 265, "setns": 268, "bpf": 280, "userfaultfd": 282,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "clone3": 435,
        "socketpair": 199, "sendmsg": 211, "sendmmsg": 269, "fallocate": 47,
        "shmget": 194, "shmat": 196, "shmctl": 195, "shmdt": 197, "semget": 190, "semop": 193, "semctl": 191,
        "semtimedop": 192, "msgget": 186, "msgsnd": 189, "msgrcv": 188, "msgctl": 187, "mq_open": 180, "mq_unlink": 181,
        "mq_timedsend": 182, "mq_timedreceive": 183, "mq_notify": 184, "mq_getsetattr": 185, "prctl": 167}, 0),
}
ALIASES = {"arm64": "aarch64", "amd64": "x86_64"}


class Rule(NamedTuple):
    """What happens to one system call.

    name: the call, as ARCHITECTURES names it.
    error: the errno it fails with.
    arg0_in: refuse only when its first argument (32 bits) is one of these; () for any.
    arg0_mask: refuse only when its first argument has one of these bits set; 0 for any.
    arg0_allowed: refuse unless its first argument is one of these (an allow-list); () for none.
    """
    name: str
    error: int
    arg0_in: Tuple[int, ...] = ()
    arg0_mask: int = 0
    arg0_allowed: Tuple[int, ...] = ()


def architecture() -> Architecture:
    """This machine's architecture, or OSError naming it when this module does not know its numbers."""
    machine = platform.machine().lower()
    found = ARCHITECTURES.get(ALIASES.get(machine, machine))
    if found is None or platform.system() != "Linux":
        raise OSError(errno.ENOSYS, f"seccomp filters are made here for Linux on x86_64 and aarch64, not "
                                    f"{platform.system()} on {machine or 'an unknown machine'}")
    return found


def _instruction(code: int, k: int, jt: int = 0, jf: int = 0) -> Tuple[int, int, int, int]:
    return code, jt, jf, k


def program(rules: Sequence[Rule], arch: Architecture) -> List[Tuple[int, int, int, int]]:
    """The BPF program for the rules, as (code, jt, jf, k) instructions: every call of another
    architecture or ABI refused with EPERM, each rule's call refused as it says, everything else allowed."""
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise ValueError(f"one rule per system call: {names}")
    unknown = [n for n in names if n not in arch.numbers]
    if unknown:
        raise ValueError(f"system calls this module has no number for: {', '.join(unknown)}")
    refuse_all = _instruction(BPF_RET_K, SECCOMP_RET_ERRNO | errno.EPERM)
    code = [_instruction(BPF_LD_W_ABS, OFFSET_ARCH),
            _instruction(BPF_JEQ_K, arch.audit_arch, jt=1, jf=0),
            refuse_all,
            _instruction(BPF_LD_W_ABS, OFFSET_NR)]
    if arch.foreign_above:
        code += [_instruction(BPF_JGE_K, arch.foreign_above, jt=0, jf=1), refuse_all]
    allow = _instruction(BPF_RET_K, SECCOMP_RET_ALLOW)
    for rule in rules:
        deny = _instruction(BPF_RET_K, SECCOMP_RET_ERRNO | (rule.error & 0xFFFF))
        if rule.arg0_in:  # load the argument, refuse on each listed value, else allow
            body = [_instruction(BPF_LD_W_ABS, OFFSET_ARG0)]
            for value in rule.arg0_in:
                body += [_instruction(BPF_JEQ_K, value & 0xFFFFFFFF, jt=0, jf=1), deny]
            body.append(allow)
        elif rule.arg0_allowed:  # load the argument, allow on each listed value, else refuse
            body = [_instruction(BPF_LD_W_ABS, OFFSET_ARG0)]
            for index, value in enumerate(rule.arg0_allowed):  # past the values left and the refusal: allowed
                left = len(rule.arg0_allowed) - 1 - index
                body.append(_instruction(BPF_JEQ_K, value & 0xFFFFFFFF, jt=left + 1, jf=0))
            body += [deny, allow]
        elif rule.arg0_mask:
            body = [_instruction(BPF_LD_W_ABS, OFFSET_ARG0),
                    _instruction(BPF_JSET_K, rule.arg0_mask & 0xFFFFFFFF, jt=0, jf=1), deny, allow]
        else:
            body = [deny]
        if len(body) > 255:
            raise ValueError(f"{rule.name}: too many values for one rule")
        code.append(_instruction(BPF_JEQ_K, arch.numbers[rule.name], jt=0, jf=len(body)))
        code += body
    code.append(allow)
    return code


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _prctl(*args: object) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = getattr(libc, "prctl", None)
    if prctl is None:
        raise OSError(errno.ENOSYS, "seccomp: this system's C library has no prctl")
    c_args = [a if isinstance(a, ctypes._Pointer) else ctypes.c_ulong(int(a)) for a in args]  # type: ignore
    if prctl(*c_args) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"seccomp: prctl refused ({os.strerror(code)})")


def install(rules: Sequence[Rule], no_new_privs: bool = True) -> None:
    """Install the rules' filter in this process (and so in everything it starts from now on).

    no_new_privs: set PR_SET_NO_NEW_PRIVS first, which the kernel requires of a process without
        CAP_SYS_ADMIN (and which keeps set-uid programs from gaining privileges). A process that keeps
        CAP_SYS_ADMIN may pass False, as Docker does, so that set-uid programs keep working under it.
    """
    code = program(rules, architecture())
    instructions = (_SockFilter * len(code))(*[_SockFilter(c, jt, jf, k) for c, jt, jf, k in code])
    fprog = _SockFprog(len(code), ctypes.cast(instructions, ctypes.POINTER(_SockFilter)))
    if no_new_privs:
        _prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    _prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.pointer(fprog), 0, 0)


def deny_syscalls(names: Iterable[str], error: int = errno.EPERM, no_new_privs: bool = True) -> None:
    """Refuse each named system call from now on, with `error`. OSError when it cannot be installed;
    ValueError for a name this module has no number for."""
    install([Rule(name, error) for name in names], no_new_privs)
