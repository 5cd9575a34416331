"""The choice of runner: the one place where the platform and the user decide which runner grades.

It sits above both layers: grader/runner.py (portable) and, on Linux, the package grader/sandbox/
(which builds on the runner). Neither imports this module, so there is no cycle; grade.py asks here
and nowhere else.
"""
import os
import sys
from typing import Sequence

from grader.runner import Limits, PosixProcesses, Runner, WindowsProcesses


def make_runner(python: str, user: str, limits: Limits, hide: Sequence[str], namespaces: bool = True) -> Runner:
    """The runner for this platform and user.

    As root on Linux, grader/sandbox's Sandbox (a user of this grade's own, the grader's files
    unreachable, namespaces where allowed, limits); on Linux otherwise, its LimitedRunner (resource
    limits, orphans collected); elsewhere the portable Runner with this platform's way of ending
    a process tree.

    Args:
        python: the interpreter that runs the submission.
        user: as root, the user the submission runs as; '' for a uid chosen for this grade.
        limits: the time and resource limits of every run.
        hide: the paths the submission must not reach (the grader, the data, the results, ...).
        namespaces: whether to try namespaces (off: Gradescope's path, tried on a system that has them).
    """
    linux = _linux_layer()
    if linux is not None:
        if isolates():
            return linux.Sandbox(python, user, limits, hide, namespaces)
        return linux.LimitedRunner(python, limits)
    return Runner(python, limits, PosixProcesses() if hasattr(os, "killpg") else WindowsProcesses())


def isolates() -> bool:
    """Whether make_runner's runner isolates the submission (another uid, the grader's files hidden, the network
    cut): as root on Linux only. A batch says so in its header before any grade."""
    return _linux_layer() is not None and os.geteuid() == 0


UNISOLATED = ("not isolated: grade.py is not running as root on Linux, so each submission runs as you, can read "
              "what you can read (the other submissions too) and reach the network; grade a class as root to "
              "isolate each submission")


def _linux_layer():
    """The package grader/sandbox on Linux, where its modules (fcntl, pwd, resource) are there; else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        from grader import sandbox
    except ImportError:
        return None
    return sandbox
