"""Grading in the bundle's own Docker image, as Gradescope grades: the one module that talks to Docker.

grade.py --docker (course staff grading one submission or a class exactly as Gradescope will) and the
real-Docker tests (grader/test_docker.py) use it; nothing else runs the docker command. It needs the
`docker` command and a daemon it can reach (DOCKER_HOST, or Docker's default socket).

Gradescope builds an autograder's image from a base image (its published
gradescope/autograder-base:ubuntu-22.04 by default) by unpacking the bundle into /autograder/source,
copying run_autograder to /autograder/run_autograder and running setup.sh as root. Then each submission
runs in a container of that image: root, with Docker's default capabilities and seccomp profile (not
privileged), 768 MB and half a CPU; the upload in /autograder/submission, the harness's record in
/autograder/submission_metadata.json, and /autograder/results/results.json read back at the end. This
module does the same with the docker command line:

  - AutograderImage: the image, built once per bundle and base and reused (its tag is a hash of the
    bundle's contents and the base image's id, so a changed bundle or base builds anew). The build container uses the
    host's network and resolver (--network host) and, where the host has one, its CA bundle for pip (a
    proxy that re-signs TLS needs it): copied into the build container's /tmp and named to pip in the build
    script's own environment, then removed with /tmp before the commit, so nothing of either is in the
    image.
  - Submission: one upload in a container of its own, created with Gradescope's limits; a small harness
    (HARNESS), the container's first process, runs run_autograder as Gradescope's does, reaps orphans, and
    then lists from inside the container the processes still alive and the files left in /tmp, /var/tmp
    and /dev/shm: what a grade left behind is judged there, never from the host's process list, which
    shows every container's processes.
  - results.json is read back with `docker cp`, never past RESULTS_LIMIT bytes, and parsed as JSON.

Every failure of Docker itself (no docker command, no daemon, an image that is missing or does not build,
a container that does not finish in time) is a DockerError: one line for grade.py to print.
"""
import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import zipfile
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

from grader import report
from grader.batch import UploadGrade

GRADESCOPE_BASE = "gradescope/autograder-base:ubuntu-22.04"  # Gradescope's default base image (Ubuntu 22.04)
IMAGE_REPOSITORY = "neuralnet-autograder"  # the built images' name; the tag is the bundle's hash
MEMORY, CPUS = "768m", "0.5"  # Gradescope's defaults per submission
CONTAINER_TIMEOUT = 1200.0  # seconds a submission's container may run (Gradescope's longest is 40 min)
BUILD_TIMEOUT = 1800.0  # seconds setup.sh may take
RESULTS_LIMIT = 1 << 20  # bytes of results.json read back (grade.py writes at most 60 KiB)
STDOUT_LIMIT = 64 * 1024  # bytes of run_autograder's output kept
LABEL = "neuralnet-grade"  # on every container made here, so that one left by a crash can be found
# Where a host keeps the CA bundle its TLS clients trust: the first that exists is lent to the build.
CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem")
BUILD_CA = "/tmp/host-ca-bundle.crt"  # where the build container has it (removed with /tmp before the commit)

# The build, as root in the base image: Gradescope's steps (run_autograder copied beside the source, then
# setup.sh), then what they leave in /tmp removed (the CA bundle too). $1 is the CA bundle lent to pip, or ''.
BUILD_SCRIPT = """set -e
mkdir -p /autograder/submission /autograder/results
cp /autograder/source/run_autograder /autograder/run_autograder
chmod 755 /autograder/run_autograder
if [ -n "$1" ]; then export PIP_CERT="$1" SSL_CERT_FILE="$1" REQUESTS_CA_BUNDLE="$1"; fi
bash /autograder/source/setup.sh
rm -rf /tmp/* /var/tmp/* /root/.cache
"""

# The container's first process: its ulimits (argv[1], JSON), then run_autograder as Gradescope's harness
# runs it (root, in /autograder, its output in results/stdout), every orphan reaped as a container's init
# must, then from inside the container what is left: the processes other than itself, and the files in /tmp,
# /var/tmp and /dev/shm. One line of JSON on its stdout.
HARNESS = r"""
import json, os, resource, subprocess, sys, time
for name, value in json.loads(sys.argv[1]).items():
    resource.setrlimit(getattr(resource, "RLIMIT_" + name), (value, value))
started = time.monotonic()
with open("/autograder/results/stdout", "wb") as out:
    child = subprocess.Popen(["/autograder/run_autograder"], cwd="/autograder", stdin=subprocess.DEVNULL,
                             stdout=out, stderr=out)
    status = None
    while status is None:
        pid, code = os.waitpid(-1, 0)
        if pid == child.pid:
            status = code
seconds = time.monotonic() - started
time.sleep(0.2)
try:
    while os.waitpid(-1, os.WNOHANG)[0]:
        pass
except ChildProcessError:
    pass
left = []
for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) != os.getpid():
        try:
            with open("/proc/%s/status" % entry) as f:
                uid = [int(line.split()[1]) for line in f if line.startswith("Uid:")][0]
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                command = f.read(200).replace(b"\0", b" ").decode(errors="replace").strip()
            left.append([int(entry), uid, command])
        except (OSError, IndexError, ValueError):
            pass
scratch = []
for top in ("/tmp", "/var/tmp", "/dev/shm"):
    for path, folders, files in os.walk(top):
        scratch += [os.path.join(path, name) for name in folders + files]
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
print(json.dumps({"returncode": code, "seconds": seconds, "leftovers": left, "scratch": sorted(scratch)[:100]}))
"""


class DockerError(Exception):
    """Docker itself failed (no command, no daemon, an image, a build, a container): one line."""


class Docker:
    """The docker command line, talking to one daemon.

    Args:
        host: the daemon's address (DOCKER_HOST's form, e.g. unix:///run/grade-docker.sock); None for the
            environment's DOCKER_HOST or Docker's default socket, as the docker command itself chooses.
    """

    def __init__(self, host: Optional[str] = None):
        command = shutil.which("docker")
        if command is None:
            raise DockerError("no docker command here: install Docker (docs.docker.com/get-docker) to grade in "
                              "the bundle's image")
        self.command = command
        self.env = dict(os.environ)
        if host:
            self.env["DOCKER_HOST"] = host

    def __call__(self, *args: str, timeout: float = 300, check: bool = True,
                 input: Optional[bytes] = None) -> subprocess.CompletedProcess:
        """docker ARGS; a failure (with check) or a time-out is a DockerError naming the subcommand."""
        try:
            done = subprocess.run([self.command, *args], input=input, capture_output=True, timeout=timeout,
                                  env=self.env, stdin=None if input is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise DockerError(f"docker {args[0]} took more than {timeout:g} s") from None
        except OSError as e:
            raise DockerError(f"could not run docker: {e.strerror or e}") from None
        if check and done.returncode != 0:
            raise DockerError(f"docker {args[0]}: {last_line(done.stderr) or f'exit status {done.returncode}'}")
        return done

    def check_daemon(self) -> str:
        """The daemon's version; DockerError where it cannot be reached."""
        done = self("version", "--format", "{{.Server.Version}}", timeout=30, check=False)
        if done.returncode != 0:
            raise DockerError(f"the Docker daemon is not reachable: {last_line(done.stderr) or 'no answer'}")
        return done.stdout.decode(errors="replace").strip()

    def has_image(self, name: str) -> bool:
        return self("image", "inspect", "--format", "{{.Id}}", name, check=False, timeout=60).returncode == 0

    def read_file(self, container: str, path: str, limit: int) -> Optional[bytes]:
        """A regular file of a container (created or stopped), at most `limit` bytes of it; None where there is
        none. `docker cp` sends a tar stream, read here no further than the file's first `limit` bytes."""
        process = subprocess.Popen([self.command, "cp", f"{container}:{path}", "-"], stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=self.env)
        assert process.stdout is not None
        with process.stdout:
            raw = process.stdout.read(limit + 2 * tarfile.BLOCKSIZE)
            process.kill()
            process.wait()
        try:
            with tarfile.open(fileobj=io.BytesIO(raw), mode="r|") as archive:
                member = archive.next()
                if member is None or not member.isfile():
                    return None
                extracted = archive.extractfile(member)
                return extracted.read(limit) if extracted is not None else None
        except (tarfile.TarError, OSError, EOFError):
            return None


def last_line(text: bytes) -> str:
    lines = text.decode(errors="replace").strip().splitlines()
    return lines[-1].strip()[:300] if lines else ""


# ----------------------------------------------------------------------------
# The image: built once per bundle and base
# ----------------------------------------------------------------------------

def bundle_digest(bundle: str) -> str:
    """A hash of the bundle's files (names, modes, bytes). The zip's own bytes are not hashed, since they
    hold the time each file was added."""
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(bundle) as z:
            for info in sorted(z.infolist(), key=lambda i: i.filename):
                digest.update(f"\0{info.filename}\0{info.external_attr >> 16:o}\0".encode())
                digest.update(hashlib.sha256(z.read(info)).digest())
    except (OSError, zipfile.BadZipFile) as e:
        raise DockerError(f"{bundle}: not an autograder bundle ({getattr(e, 'strerror', None) or e})") from None
    return digest.hexdigest()


def unpack(bundle: str, folder: str) -> None:
    """The bundle into folder, as Gradescope unpacks it: folders 0755, each file with the mode the zip gives."""
    with zipfile.ZipFile(bundle) as z:
        for info in z.infolist():
            target = os.path.realpath(os.path.join(folder, info.filename))
            if not target.startswith(os.path.realpath(folder) + os.sep):
                raise DockerError(f"{bundle}: {info.filename!r} would unpack outside its folder")
            if info.is_dir():
                os.makedirs(target, 0o755, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
            with z.open(info) as source, open(target, "wb") as f:
                shutil.copyfileobj(source, f)
            os.chmod(target, (info.external_attr >> 16) & 0o777 or 0o644)
    for path, folders, _ in os.walk(folder):
        for name in folders:
            os.chmod(os.path.join(path, name), 0o755)


def host_ca_bundle() -> str:
    """The CA bundle this host's TLS clients trust ('' where none is found): lent to the build's pip."""
    for path in (os.environ.get("PIP_CERT", ""), os.environ.get("SSL_CERT_FILE", ""), *CA_BUNDLES):
        if path and os.path.isfile(path):
            return os.path.realpath(path)
    return ""


class AutograderImage:
    """The bundle's image on a base, as Gradescope builds it; built once and reused while its tag exists.

    Args:
        docker: the daemon to build on.
        bundle: the autograder.zip (grade.py --make-autograder).
        base: the base image: Gradescope's published one by default; CI's is made with mmdebstrap
            (grader/testing_docker.py), since Docker Hub cannot be reached there. Pulled when missing.
    Attributes: tag, once ensure() has run: neuralnet-autograder:<hash of the bundle's files and the base's id>.
        ca_bundle: the CA bundle lent to the build's pip (removed before the commit); '' for the host's own,
            None for none.
    """

    def __init__(self, docker: Docker, bundle: str, base: str = GRADESCOPE_BASE, ca_bundle: Optional[str] = ""):
        self.docker, self.bundle, self.base = docker, bundle, base
        self.ca_bundle = host_ca_bundle() if ca_bundle == "" else (ca_bundle or "")
        self.contents = bundle_digest(bundle)
        self.tag = ""  # known once the base is: a hash of the bundle's contents and the base image's id

    def ensure(self, log: Callable[[str], None] = lambda text: None) -> bool:
        """Build the image unless it is there already (self.tag names it then); whether it was built now."""
        if not self.docker.has_image(self.base):
            log(f"pulling the base image {self.base}")
            done = self.docker("pull", "--quiet", self.base, timeout=BUILD_TIMEOUT, check=False)
            if done.returncode != 0:
                raise DockerError(f"the base image {self.base} is not here and could not be pulled: "
                                  f"{last_line(done.stderr)}")
        base_id = self.docker("image", "inspect", "--format", "{{.Id}}", self.base, timeout=60).stdout.strip()
        self.tag = f"{IMAGE_REPOSITORY}:{hashlib.sha256(self.contents.encode() + base_id).hexdigest()[:16]}"
        if self.docker.has_image(self.tag):
            return False
        log(f"building {self.tag} from {self.base} (setup.sh as root, once per bundle)")
        inspected = self.docker("image", "inspect", "--format", "{{json .Config.Entrypoint}}\t{{json .Config.Cmd}}",
                                self.base, timeout=60).stdout.decode().strip().split("\t")
        entrypoint, command = (json.loads(part) for part in inspected)
        # The base's ENTRYPOINT and CMD stay the image's (as a Dockerfile's RUN leaves them): the build's own
        # command is given as the container's, then set back on commit.
        build = [*(["--entrypoint", "/bin/bash", self.base, "-c"] if entrypoint else [self.base, "/bin/bash", "-c"]),
                 BUILD_SCRIPT, "build", BUILD_CA if self.ca_bundle else ""]
        created = self.docker("create", "--network", "host", "--label", LABEL, *build)
        container = created.stdout.decode().strip()
        restore = ["--change", f"CMD {json.dumps(command or [])}"]
        if entrypoint:
            restore += ["--change", f"ENTRYPOINT {json.dumps(entrypoint)}"]
        folder = tempfile.mkdtemp(prefix="grade-docker-build-")
        try:
            os.mkdir(os.path.join(folder, "autograder"), 0o755)
            unpack(self.bundle, os.path.join(folder, "autograder", "source"))
            self.docker("cp", os.path.join(folder, "autograder"), f"{container}:/")
            if self.ca_bundle:  # copied in, and removed by the build before the commit: never in the image
                shutil.copyfile(self.ca_bundle, os.path.join(folder, "ca.crt"))
                os.chmod(os.path.join(folder, "ca.crt"), 0o644)
                self.docker("cp", os.path.join(folder, "ca.crt"), f"{container}:{BUILD_CA}")
            built = self.docker("start", "--attach", container, timeout=BUILD_TIMEOUT, check=False)
            if built.returncode != 0:
                said = last_line(built.stdout + b"\n" + built.stderr) or f"exit status {built.returncode}"
                raise DockerError(f"building the image from {self.base} failed: {said}")
            self.docker("commit", *restore, container, self.tag, timeout=600)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            self.docker("rm", "--force", container, check=False, timeout=120)
        return True


# ----------------------------------------------------------------------------
# One submission in a container of its own
# ----------------------------------------------------------------------------

class Outcome(NamedTuple):
    """What one submission's container left: results.json (None where it wrote none, or not JSON), the
    output of run_autograder, its exit status, the processes still alive in the container after it ([pid,
    uid, command line]) and the files left in /tmp, /var/tmp and /dev/shm, both seen from inside; whether
    Docker flagged the container OOMKilled; and the seconds run_autograder took (inside) and the container
    took from its start to its end (outside)."""
    results: Optional[dict]
    stdout: str
    returncode: int
    leftovers: List[list]
    scratch: List[str]
    oom_killed: bool
    seconds: float
    wall: float


def default_metadata() -> dict:
    """submission_metadata.json where the course gives none: Gradescope's fields, no one's names."""
    return {"id": 0, "created_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "submission_method": "upload", "users": [],
            "assignment": {"id": 0, "title": "HW5: Neural Networks", "total_points": "55.0", "due_date": None,
                           "release_date": None, "late_due_date": None, "group_submission": False,
                           "group_size": None, "course_id": 0},
            "previous_submissions": []}


class Submission:
    """One upload graded in a container of the bundle's image, as Gradescope grades it; used as a context
    manager, the container is removed when the block ends, whatever happened.

    Args:
        docker: the daemon.
        image: the bundle's image (AutograderImage.tag).
        upload: a folder holding the files as the student uploaded them (copied as they are: links stay
            links), or one file, which goes in as neuralnet.py.
        metadata: submission_metadata.json's contents (default_metadata() where None).
        memory, cpus: the container's limits (Gradescope's 768 MB and half a CPU by default).
        ulimits: the hard and soft limits the container starts with, e.g. {"NPROC": 50, "AS": 2 << 30} (the
            resource module's names without RLIMIT_), set by the harness before run_autograder starts, as
            `docker run --ulimit` would set them (whose names leave out AS).
        timeout: seconds the container may run before it is killed (a DockerError).
    """

    def __init__(self, docker: Docker, image: str, upload: str, metadata: Optional[dict] = None,
                 memory: str = MEMORY, cpus: str = CPUS, ulimits: Optional[Dict[str, int]] = None,
                 timeout: float = CONTAINER_TIMEOUT):
        self.docker, self.image, self.upload = docker, image, upload
        self.metadata = metadata if metadata is not None else default_metadata()
        self.memory, self.cpus, self.ulimits, self.timeout = memory, cpus, dict(ulimits or {}), timeout
        self.container = ""

    def __enter__(self) -> "Submission":
        created = self.docker("create", f"--memory={self.memory}", f"--memory-swap={self.memory}",
                              f"--cpus={self.cpus}", "--label", LABEL, "--entrypoint", "python3",
                              "--workdir", "/autograder", self.image, "-c", HARNESS, json.dumps(self.ulimits))
        self.container = created.stdout.decode().strip()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.container:
            self.docker("rm", "--force", self.container, check=False, timeout=120)
            self.container = ""

    def _copy_in(self) -> None:
        """The upload into /autograder/submission and the metadata beside it, root-owned as the harness lays
        them out (docker cp gives the container's root every file; modes and links are kept). They go in as
        one /autograder tree, since docker cp refuses a link that points out of the folder it copies into
        (a student's link to ../source/neuralnet.py is part of the upload, to be refused by the grader)."""
        folder = tempfile.mkdtemp(prefix="grade-docker-upload-")
        try:
            tree = os.path.join(folder, "autograder")
            submission = os.path.join(tree, "submission")
            os.mkdir(tree, 0o755)
            if os.path.isdir(self.upload) and not os.path.islink(self.upload):
                shutil.copytree(self.upload, submission, symlinks=True)
            else:
                os.mkdir(submission)
                shutil.copyfile(self.upload, os.path.join(submission, "neuralnet.py"), follow_symlinks=False)
            os.chmod(tree, 0o755)
            os.chmod(submission, 0o755)
            with open(os.path.join(tree, "submission_metadata.json"), "w") as f:
                json.dump(self.metadata, f, indent=2)
            os.chmod(os.path.join(tree, "submission_metadata.json"), 0o644)
            self.docker("cp", tree, f"{self.container}:/")
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def run(self) -> Outcome:
        """Grade it: copy the upload in, run the container to its end, read back what Gradescope reads."""
        self._copy_in()
        started = time.monotonic()
        try:
            done = self.docker("start", "--attach", self.container, timeout=self.timeout, check=False)
        except DockerError:
            self.docker("kill", self.container, check=False, timeout=60)
            raise DockerError(f"the container did not finish within {self.timeout:g} s") from None
        wall = time.monotonic() - started
        inside = {}
        with contextlib.suppress(ValueError, IndexError):
            inside = json.loads(done.stdout.decode(errors="replace").strip().splitlines()[-1])
        if not isinstance(inside, dict) or "leftovers" not in inside:
            raise DockerError(f"the container's harness ended without its report: {last_line(done.stderr)}")
        state = self.docker("inspect", "--format", "{{.State.OOMKilled}}", self.container, timeout=60)
        raw = self.docker.read_file(self.container, "/autograder/results/results.json", RESULTS_LIMIT)
        results = None
        if raw is not None and len(raw) < RESULTS_LIMIT:
            with contextlib.suppress(ValueError):
                results = json.loads(raw.decode(errors="replace"))
        stdout = self.docker.read_file(self.container, "/autograder/results/stdout", STDOUT_LIMIT) or b""
        return Outcome(results if isinstance(results, dict) else None, stdout.decode(errors="replace"),
                       int(inside.get("returncode", -1)), inside["leftovers"], inside.get("scratch", []),
                       state.stdout.decode().strip() == "true", float(inside.get("seconds", wall)), wall)


def grade(docker: Docker, image: str, upload: str, metadata: Optional[dict] = None, **limits) -> Outcome:
    """One upload graded in a fresh container of the image (see Submission for the limits)."""
    with Submission(docker, image, upload, metadata, **limits) as submission:
        return submission.run()


class ImageGrade:
    """grader/batch.py's way of grading one upload (a GradeUpload) in a fresh container of the bundle's image.

    Args:
        docker: the daemon.
        image: the bundle's image (AutograderImage.tag, built already).
        base: the base it was built on, as the report's header names it.
    """
    parallel = None  # as many at once as --jobs: each grade has a container of its own

    def __init__(self, docker: Docker, image: str, base: str):
        self.docker, self.image = docker, image
        self.described = f"graded in {image} (built on {base}), a container each, as Gradescope grades"

    def __call__(self, path: str) -> UploadGrade:
        """The upload's results.json as its container wrote it, and the report of it; or why there is none."""
        try:
            outcome = grade(self.docker, self.image, path)
        except DockerError as e:
            return UploadGrade(None, "", str(e))
        if outcome.results is None:
            said = (outcome.stdout.strip().splitlines() or ["nothing"])[-1][:200]
            return UploadGrade(None, "", f"run_autograder wrote no results.json (its output ends: "
                                         f"{report.escape(said)})")
        header, checks = report.from_gradescope(outcome.results)
        return UploadGrade(outcome.results, report.text(path, [self.described, *header], checks), "")


def remove_leftover_containers(docker: Docker) -> None:
    """Containers made here that a crash left behind (by their label), removed."""
    listed = docker("ps", "--all", "--quiet", "--filter", f"label={LABEL}", check=False, timeout=60)
    ids: Sequence[str] = listed.stdout.decode().split()
    if ids:
        docker("rm", "--force", *ids, check=False, timeout=300)
