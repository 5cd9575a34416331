"""Real Docker for the tests and CI: a Docker daemon of their own and a Debian base image made without Docker Hub.
(Not in the bundle: its name starts with "test", which grader/bundle.py leaves out.)

    python3 -m grader.testing_docker install     # docker.io and mmdebstrap from Debian's archive, where missing

  - install(): Debian's docker.io (dockerd, containerd, runc) and mmdebstrap, with apt-get, where missing.
  - unavailable(): why real Docker cannot run here ('' where it can): not Linux, not root, no dockerd.
  - Daemon: a dockerd of its own, as a context manager: its own --data-root, --exec-root, socket and pidfile,
    and its own bridge (a name and a /24 unused here), so that it never meets another daemon of this host.
    No iptables rules and no IP forwarding: its containers reach the host's bridge address, and nothing
    beyond this host. Stopped by its pid when the block ends (SIGTERM, then SIGKILL), its containerd with
    it, and its state, sockets and bridge removed. start() says in one line why it could not start.
  - debian_base(): the base image, bookworm's minbase with python3, python3-venv, python3-pip and
    ca-certificates, made by mmdebstrap from this machine's apt sources and `docker import`ed: Docker Hub
    is not reachable here, and Gradescope's base cannot be pulled.
"""
import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Optional

from grader.docker import Docker, DockerError

PACKAGES = ("docker.io", "mmdebstrap")
BASE_TAG = "grade-base:bookworm"
BASE_PACKAGES = "python3,python3-venv,python3-pip,ca-certificates"
APT_SOURCES = ("/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list")


def install() -> str:
    """docker.io and mmdebstrap, installed with apt-get where missing: what was done, in one line."""
    if shutil.which("dockerd") and shutil.which("mmdebstrap"):
        return "docker.io and mmdebstrap are installed"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "docker.io and mmdebstrap are missing, and apt-get cannot install them here (root on Debian)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *PACKAGES]):
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
        if done.returncode != 0:
            said = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            return f"{' '.join(command[:2])} failed: {said}"
    return f"installed {', '.join(PACKAGES)}"


def unavailable() -> str:
    """Why a Docker daemon of the tests' own cannot run here, or ''."""
    if not sys.platform.startswith("linux"):
        return "real Docker needs Linux"
    if os.geteuid() != 0:
        return "real Docker needs root (CI runs it as root)"
    missing = [tool for tool in ("dockerd", "docker", "ip", "mmdebstrap") if shutil.which(tool) is None]
    if missing:
        return f"real Docker needs {', '.join(missing)} (python3 -m grader.testing_docker install)"
    return ""


class DaemonError(Exception):
    """The daemon could not start: one line."""


class Daemon:
    """A dockerd of the caller's own (see the module's docstring), as a context manager.

    Args:
        start_timeout: seconds to wait for the daemon to answer.
    Attributes: host (its DOCKER_HOST), bridge_address (the host's address on its bridge, which its
    containers reach), pid, docker (a grader.docker.Docker that talks to it).
    """

    def __init__(self, start_timeout: float = 60):
        self.start_timeout = start_timeout
        tag = f"gd{os.getpid() % 100000}"
        self.state = tempfile.mkdtemp(prefix="grade-dockerd-", dir="/var/tmp")  # overlay2 needs a real disk
        self.exec_root = f"/run/{tag}"  # short: containerd's sockets live under it
        self.socket = f"/run/{tag}.sock"
        # GRADE_DOCKERD_PIDFILE: where CI's trap finds the daemon's pid, should the suite itself be killed
        self.pidfile = os.environ.get("GRADE_DOCKERD_PIDFILE") or f"/run/{tag}.pid"
        self.host = f"unix://{self.socket}"
        self.bridge, self.bridge_address = tag, ""
        self.process: Optional[subprocess.Popen] = None
        self.pid = 0
        self.docker: Optional[Docker] = None

    def __enter__(self) -> "Daemon":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _free_subnet(self) -> str:
        used = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
        candidates = [n for n in range(16, 250) if f" 172.30.{n}." not in used]
        if not candidates:
            raise DaemonError("no free 172.30.N.0/24 for the daemon's bridge")
        return f"172.30.{random.choice(candidates)}"

    def start(self) -> None:
        prefix = self._free_subnet()
        for command in (["ip", "link", "add", "name", self.bridge, "type", "bridge"],
                        ["ip", "addr", "add", f"{prefix}.1/24", "dev", self.bridge],
                        ["ip", "link", "set", self.bridge, "up"]):
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise DaemonError(f"could not make the bridge {self.bridge}: {done.stderr.strip()}")
        self.bridge_address = f"{prefix}.1"
        log = open(os.path.join(self.state, "dockerd.log"), "wb")
        self.process = subprocess.Popen(
            ["dockerd", "--data-root", os.path.join(self.state, "data"), "--exec-root", self.exec_root,
             "--host", self.host, "--pidfile", self.pidfile, "--bridge", self.bridge, "--iptables=false",
             "--ip-forward=false", "--ip-masq=false", "--userland-proxy=false", "--storage-driver", "overlay2"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        log.close()
        self.pid = self.process.pid
        self.docker = Docker(self.host)
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.process.poll() is not None:
                raise DaemonError(f"dockerd exited ({self.process.returncode}): {self.log_line()}")
            try:
                self.docker.check_daemon()
                return
            except DockerError:
                if time.monotonic() > deadline:
                    raise DaemonError(f"dockerd did not answer within {self.start_timeout:g} s: "
                                      f"{self.log_line()}") from None
                time.sleep(0.2)

    def log_line(self) -> str:
        """The daemon log's last error (or last line)."""
        with contextlib.suppress(OSError):
            with open(os.path.join(self.state, "dockerd.log"), errors="replace") as f:
                lines = [line.strip() for line in f if line.strip()]
            errors = [line for line in lines if "level=error" in line or "level=fatal" in line]
            return ((errors or lines or [""])[-1])[:300]
        return ""

    def stop(self) -> None:
        """The daemon stopped by its pid, its containerd with it; its state, sockets and bridge removed."""
        if self.process is not None:
            if self.docker is not None and self.process.poll() is None:
                with contextlib.suppress(DockerError):
                    ids = self.docker("ps", "--all", "--quiet", timeout=60).stdout.decode().split()
                    if ids:
                        self.docker("rm", "--force", *ids, timeout=300, check=False)
            with contextlib.suppress(OSError):
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        containerd_pid = os.path.join(self.exec_root, "containerd", "containerd.pid")
        with contextlib.suppress(OSError, ValueError):  # (a dockerd killed leaves its containerd)
            with open(containerd_pid) as f:
                pid = int(f.read().strip())
            with open(f"/proc/{pid}/cmdline", "rb") as f:  # still that containerd, not a pid reused since
                if self.exec_root.encode() in f.read():
                    os.kill(pid, signal.SIGKILL)
        self._unmount_under(self.state)
        self._unmount_under(self.exec_root)
        for path in (self.socket, self.pidfile):
            with contextlib.suppress(OSError):
                os.unlink(path)
        shutil.rmtree(self.exec_root, ignore_errors=True)
        shutil.rmtree(self.state, ignore_errors=True)
        if self.bridge_address:
            subprocess.run(["ip", "link", "delete", self.bridge], capture_output=True)
            self.bridge_address = ""

    @staticmethod
    def _unmount_under(folder: str) -> None:
        """Whatever a daemon that died left mounted under its folders (overlays, shm), deepest first."""
        with open("/proc/self/mounts") as f:
            points = [line.split()[1] for line in f]
        for point in sorted((p for p in points if p == folder or p.startswith(folder + "/")), key=len, reverse=True):
            subprocess.run(["umount", "-l", point], capture_output=True)


def apt_sources() -> str:
    """This machine's apt sources file, which mmdebstrap pastes into the base's sources ('' for its default)."""
    return next((path for path in APT_SOURCES if os.path.isfile(path)), "")


def debian_base(docker: Docker, tag: str = BASE_TAG) -> None:
    """The base image: bookworm's minbase with Python and pip, by mmdebstrap from this machine's apt sources."""
    folder = tempfile.mkdtemp(prefix="grade-base-", dir="/var/tmp")
    try:
        tarball = os.path.join(folder, "base.tar")
        command = ["mmdebstrap", "--quiet", "--variant=minbase", f"--include={BASE_PACKAGES}", "bookworm", tarball]
        if apt_sources():
            command.append(apt_sources())
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            raise DockerError(f"mmdebstrap failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
        docker("import", "--change", 'CMD ["/bin/bash"]', tarball, tag, timeout=600)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["install"]:
        started = time.monotonic()
        print(f"{install()} ({time.monotonic() - started:.0f} s)")
    else:
        sys.exit("usage: python3 -m grader.testing_docker install")
