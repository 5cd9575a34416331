"""The Gradescope bundle in real Docker: python3 -m unittest grader.test_docker (as root; CI runs it)

A Docker daemon of this module's own (grader/testing_docker.py: its own data root, exec root, socket and
bridge), a Debian base image made by mmdebstrap (Docker Hub is not reachable here), and the bundle's image
built on it as Gradescope builds it (grader/docker.py: unpacked into /autograder/source, setup.sh run as
root). Each case of grader/test_container.py (the same uploads and the same checks as the stand-in's, one
place) is graded in a container of its own: `docker create --memory 768m --cpus 0.5`, Docker's default
capabilities and seccomp profile, not privileged, /autograder laid out as the harness lays it with
grader/testing_container.py's metadata. A case is judged from results.json and from inside its container
(no process left, nothing in /tmp, /var/tmp or /dev/shm), never from the host's process list.

What Docker cannot do here stays with the stand-in (grader/test_container.py): a busy host, and a
Gradescope-like layout in seconds. Where the daemon cannot run (not root, no dockerd, it does not start),
every test skips, saying why in one line. At the end it prints the times: the base image, the bundle's
image, and each case.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from collections import defaultdict
from typing import Dict, List

from grader import docker, testing_docker
from grader import test_container as cases_module
from grader import test_grader as suite
from grader import testing_container as standin


class Real:
    """The daemon, the base image and the bundle's image, made once by setUpModule."""
    daemon = None  # testing_docker.Daemon
    unavailable = ""  # why there is none, in one line
    image = ""
    folder = ""
    bundle = ""
    times: Dict[str, List[float]] = defaultdict(list)  # seconds, by step and case


def start_real_docker() -> None:
    """The daemon, the base image and the bundle's image, once (TestBundleInDocker's setUpClass); where the daemon
    cannot run, Real.unavailable says why."""
    if Real.daemon is not None or Real.unavailable:
        return
    Real.unavailable = testing_docker.unavailable()
    if Real.unavailable:
        return
    Real.folder = tempfile.mkdtemp(prefix="test-docker-")
    os.chmod(Real.folder, 0o755)
    Real.bundle = os.path.join(Real.folder, "autograder.zip")
    subprocess.run([sys.executable, suite.GRADE, "--make-autograder", Real.bundle], check=True, capture_output=True,
                   timeout=120)
    Real.daemon = testing_docker.Daemon()
    try:
        started = time.monotonic()
        Real.daemon.start()
        Real.times["daemon start"].append(time.monotonic() - started)
    except testing_docker.DaemonError as e:
        tearDownModule()
        Real.unavailable = f"dockerd could not start here: {e}"
        print(f"grader.test_docker: {Real.unavailable}", file=sys.stderr)
        return
    assert Real.daemon.docker is not None
    started = time.monotonic()
    try:
        testing_docker.debian_base(Real.daemon.docker)
    except docker.DockerError as e:  # (no route to Debian's archive): the bundle's own build below must not fail
        tearDownModule()
        Real.unavailable = f"no base image could be made here: {e}"
        print(f"grader.test_docker: {Real.unavailable}", file=sys.stderr)
        return
    Real.times["base image (mmdebstrap, docker import)"].append(time.monotonic() - started)
    started = time.monotonic()
    image = docker.AutograderImage(Real.daemon.docker, Real.bundle, testing_docker.BASE_TAG)
    image.ensure()
    Real.image = image.tag
    Real.times["bundle's image (setup.sh)"].append(time.monotonic() - started)


def tearDownModule():
    if Real.daemon is not None:
        Real.daemon.stop()
        Real.daemon = None
    if Real.folder:
        subprocess.run(["rm", "-rf", Real.folder], check=False)
    if Real.times:
        print("\nreal Docker, seconds:", file=sys.stderr)
        for step, seconds in Real.times.items():
            shown = ", ".join(f"{s:.1f}" for s in seconds)
            print(f"  {step}: {shown}", file=sys.stderr)


class TestBundleInDocker(cases_module.BundleCases, unittest.TestCase):
    """Every case of the stand-in's, in a real container of the bundle's image (Gradescope's case: no namespaces)."""

    @classmethod
    def setUpClass(cls):
        start_real_docker()
        if Real.unavailable:
            raise unittest.SkipTest(Real.unavailable)
        assert Real.daemon is not None
        cls.bundle = Real.bundle
        cls.listener = cases_module.Listener([Real.daemon.bridge_address])  # the host, as a container reaches it
        cls.uploads = cases_module.cases(cls.listener.port, [Real.daemon.bridge_address])
        with open("/etc/shadow") as f:
            cls.shadow = f.readline().strip()

    @classmethod
    def tearDownClass(cls):
        cls.listener.close()

    def run_case(self, case: str, ulimits=None, env=None) -> docker.Outcome:
        """The case's upload in a container of its own, with standin's metadata (a test held back)."""
        assert Real.daemon is not None and Real.daemon.docker is not None and not env
        folder = tempfile.mkdtemp(prefix="upload-", dir=Real.folder)
        for name, content in self.uploads[case].items():
            path = os.path.join(folder, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if isinstance(content, standin.Link):
                os.symlink(content.target, path)
            else:
                with open(path, "wb") as f:
                    f.write(content.encode() if isinstance(content, str) else content)
        outcome = docker.grade(Real.daemon.docker, Real.image, folder, standin.metadata(), ulimits=ulimits)
        Real.times[case].append(outcome.wall)
        self.cgroup = f"docker --memory {docker.MEMORY}"
        return outcome

    def test_a_catalogued_mistake_is_named(self):
        """The issue's one-line mistake (the shuffle seeded epoch + 1), named: quicker than the stand-in's naive
        no-shuffle, whose catalog search the stand-in already times."""
        outcome = self.grade("a one-line mistake")
        assert outcome.results is not None
        self.assertLess(outcome.results["score"], 55)
        named = {m for t in outcome.results["tests"] for m in t.get("extra_data", {}).get("mistakes", [])}
        self.assertEqual(named, {"shuffle-seed-offset"})

    @unittest.skip("a busy host is the stand-in's (grader/test_container.py): here every container has its own")
    def test_a_busy_host_changes_nothing(self):
        pass

    def test_the_image_holds_nothing_of_the_build(self):
        """The CA bundle lent to pip and the variables naming it stayed in the build container."""
        assert Real.daemon is not None and Real.daemon.docker is not None
        config = Real.daemon.docker("image", "inspect", "--format", "{{json .Config.Env}}", Real.image).stdout
        self.assertNotIn(b"PIP_CERT", config)
        self.assertNotIn(b"SSL_CERT_FILE", config)
        listed = Real.daemon.docker("run", "--rm", "--entrypoint", "ls", Real.image, "-A", "/tmp").stdout
        self.assertEqual(listed, b"")

    def test_a_run_killed_from_outside_is_run_again(self):
        """A SIGKILL from outside the run (root in the container kills the api run by its pid, as a cleanup racing a
        run would): no limit of the run's is named, so the run is run again, the report says so, and this project
        keeps its 55."""
        assert Real.daemon is not None and Real.daemon.docker is not None
        folder = tempfile.mkdtemp(prefix="upload-", dir=Real.folder)
        with open(os.path.join(folder, "neuralnet.py"), "w") as f:
            f.write(cases_module.reference())
        kill_once = ("import os, time\nfor _ in range(3000):\n"
                     "    for pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
                     "        try:\n            line = open('/proc/%s/cmdline' % pid, 'rb').read()\n"
                     "        except OSError:\n            continue\n"
                     "        if b'probe.py\\0neuralnet.py' in line:\n            os.kill(int(pid), 9)\n"
                     "            raise SystemExit('killed ' + pid)\n    time.sleep(0.01)\n")
        client = Real.daemon.docker
        killed: List[subprocess.CompletedProcess] = []

        def kill_when_running(container: str) -> None:  # docker exec refuses until the container runs
            for _ in range(600):
                done = client("exec", container, "python3", "-c", kill_once, check=False, timeout=300)
                if b"is not running" not in done.stderr:
                    killed.append(done)
                    return
                time.sleep(0.1)

        with docker.Submission(client, Real.image, folder, standin.metadata()) as submission:
            killer = threading.Thread(target=kill_when_running, args=(submission.container,))
            killer.start()
            outcome = submission.run()
            killer.join()
        self.assertIn(b"killed ", killed[0].stderr)
        assert outcome.results is not None
        self.assertEqual(outcome.results["score"], 55, self.text(outcome))
        # the note is staff's, with the isolation: run_autograder's stdout, which Gradescope shows to instructors
        self.assertIn("note: 1 run(s) killed by SIGKILL from outside their limits were run again (the api checks)",
                      outcome.stdout)
        self.assertNotIn("run again", outcome.results["output"])
        self.assertNotIn("killed by signal 9", self.text(outcome))

    def test_staff_grade_a_class_in_the_image(self):
        """grade.py --docker on two submissions at once: a line each and the summary, read from each container's
        results.json; the image is the one already built for the bundle (tagged by its hash), not built again."""
        assert Real.daemon is not None
        folder = tempfile.mkdtemp(prefix="class-", dir=Real.folder)
        right, broken = os.path.join(folder, "right.py"), os.path.join(folder, "broken.py")
        with open(right, "w") as f:
            f.write(cases_module.reference())
        with open(broken, "w") as f:
            f.write("def broken(:\n")
        assert Real.daemon.docker is not None
        images = Real.daemon.docker("images", "--quiet", "--no-trunc").stdout.split()
        result = subprocess.run([sys.executable, suite.GRADE, "--docker", "--bundle", Real.bundle, "--image",
                                 testing_docker.BASE_TAG, right, broken, "--jobs", "2"], capture_output=True,
                                text=True, timeout=900, env={**os.environ, "DOCKER_HOST": Real.daemon.host})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(Real.daemon.docker("images", "--quiet", "--no-trunc").stdout.split(), images)  # reused
        lines = result.stdout.splitlines()
        self.assertRegex(next(line for line in lines if "right.py" in line), r"55/55\s+graded")
        self.assertRegex(next(line for line in lines if "broken.py" in line), r"0/55\s+did not import")
        self.assertRegex(result.stdout, r"class summary: 2 uploads \(2 students\): 1 graded, 1 did not import")
        self.assertIn("graded in neuralnet-autograder:", result.stdout)  # the header names the image

    def test_a_base_image_that_is_not_here_is_one_line(self):
        assert Real.daemon is not None
        result = subprocess.run([sys.executable, suite.GRADE, "--docker", "--bundle", Real.bundle, "--image",
                                 "no-such-base:1", cases_module.NEURALNET], capture_output=True, text=True,
                                timeout=300, env={**os.environ, "DOCKER_HOST": Real.daemon.host})
        self.assertEqual(result.returncode, 2)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertTrue(result.stderr.startswith("grade.py: error: the base image no-such-base:1 is not here and "
                                                 "could not be pulled: "), result.stderr)


class TestDockerOption(unittest.TestCase):
    """grade.py --docker where Docker is missing or unreachable: one line each, exit 2, nothing written."""

    def grade(self, *args: str, env=None):
        with tempfile.TemporaryDirectory() as folder:
            result = subprocess.run([sys.executable, suite.GRADE, *args, "--json", os.path.join(folder, "r.json")],
                                    capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
                                    cwd=folder)
            self.assertEqual(os.listdir(folder), [])
        self.assertEqual(result.returncode, 2)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        return result.stderr.strip()

    def test_no_docker_command(self):
        with tempfile.TemporaryDirectory() as empty:
            said = self.grade("--docker", cases_module.NEURALNET, env={"PATH": empty})
        self.assertEqual(said, "grade.py: error: no docker command here: install Docker "
                               "(docs.docker.com/get-docker) to grade in the bundle's image")

    @unittest.skipIf(shutil.which("docker") is None, "no docker command here")
    def test_no_daemon(self):
        said = self.grade("--docker", cases_module.NEURALNET, env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
        self.assertTrue(said.startswith("grade.py: error: the Docker daemon is not reachable: "), said)

    def test_no_such_submission(self):
        said = self.grade("--docker", "no-such-file.py")
        self.assertEqual(said, "grade.py: error: 'no-such-file.py' is not a file or folder")

    def test_the_docker_options_go_with_docker(self):
        said = self.grade("--image", "x:1", cases_module.NEURALNET)
        self.assertEqual(said, "grade.py: error: --bundle and --image go with --docker (see --help)")


if __name__ == "__main__":
    unittest.main()
