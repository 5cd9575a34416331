"""The sandbox on Gradescope's main path: python3 -m unittest grader.test_sandbox

grade.py as root where namespaces are refused, as in Gradescope's containers: in the container
stand-in (grader/testing_container.py: Docker's capabilities and seccomp profile, a PID namespace,
a 768 MB / half-CPU cgroup, /autograder as the harness lays it), the Gradescope bundle end to end
with this project's file and each hostile case; the same with namespaces allowed. Then the parts
one by one: the uid chosen per grade, the modes that hide paths and their restoring, the removal
of what a uid wrote by owner, the container's memory from its cgroup files, and the limits clamped
to hard limits (the last two need no root).

As root this module makes what grader/test_grader.py makes (a user, a venv of the system Python
with numpy that any uid can run) with that module's setUpModule, and removes it at the end.
"""
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import unittest

from grader import test_grader
from grader import testing_container as standin
from grader.runner import Limits, size
from grader.sandbox import hiding, limits, users, written
from grader.test_grader import AS_ROOT, GRADE, NEEDS_ROOT, Isolation
from grader.testing import NEURALNET

STANDIN_MISSING = standin.unavailable()
CONTAINER_MEMORY = size(standin.MEMORY)  # as the header and reports write it: '768 MiB'


def setUpModule():
    test_grader.setUpModule()


def tearDownModule():
    test_grader.tearDownModule()


# Hostile submissions, each run at import (so in every run of the grade), each saying on stderr what it saw.
SCRATCH = '''import os, sys
left = [p for p in ("/tmp/left.bin", "/var/tmp/left.bin", "/dev/shm/left.bin", "/tmp/deep") if os.path.lexists(p)]
print(f"scratch: left by an earlier run: {left}", file=sys.stderr)
wrote = []
for folder in ("/tmp", "/var/tmp", "/dev/shm"):
    try:
        with open(f"{folder}/left.bin", "wb") as f:
            f.write(bytes(8 * 2**20))
        wrote.append(folder)
    except OSError:
        pass
os.makedirs("/tmp/deep/er", exist_ok=True)
os.symlink("/autograder/source/neuralnet.py", "/tmp/deep/er/link")
print(f"scratch: wrote in {wrote}", file=sys.stderr)
sys.exit(1)
'''
DISK = '''import sys
for i in range(8):
    with open(f"/tmp/fill{i}.bin", "wb") as f:
        for _ in range(200):
            f.write(bytes(2**20))
print("disk: wrote 1.6 GB", file=sys.stderr)
'''
# Sixty forked children of 15 MB each: more than the container's 768 MB, and each small.
MEMORY_BOMB = '''import os, sys, time
for _ in range(60):
    if os.fork() == 0:
        block = bytearray(15 * 2**20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(60)
        os._exit(0)
time.sleep(2)
'''


def outputs(results):
    return "\n".join([results.get("output", "")] + [t["output"] for t in results["tests"]])


@unittest.skipUnless(AS_ROOT and not STANDIN_MISSING, STANDIN_MISSING or NEEDS_ROOT)
class TestGradescopeContainer(unittest.TestCase):
    """The bundle in the stand-in, no --user (a uid per grade), as Gradescope runs it: no namespaces."""
    docker_like = True

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="grade-sandbox-zip-")
        cls.bundle = os.path.join(cls.folder, "autograder.zip")
        subprocess.run([sys.executable, GRADE, "--make-autograder", cls.bundle], check=True, capture_output=True,
                       timeout=60)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.folder, ignore_errors=True)

    def grade(self, source, **options):
        """run_autograder on source in a fresh stand-in (no GRADER_USER, as on Gradescope): its Outcome and
        report's text, with what must always hold checked."""
        with standin.Container(self.bundle, Isolation.python, docker_like=self.docker_like, keep=[Isolation.folder],
                               **options) as container:
            container.submit({"neuralnet.py": source})
            outcome = container.run(timeout=400)
            self.cgroup = container.cgroup.description if container.cgroup and container.cgroup.folders else ""
        self.assertEqual(outcome.returncode, 0, outcome.stdout[-3000:])
        test_grader.assert_valid_results(self, outcome.results)
        self.assertEqual(outcome.leftovers, [], "processes left behind")
        self.assertEqual(outcome.scratch, [], "files left in /tmp, /var/tmp, /dev/shm")
        text = outputs(outcome.results)
        self.assertNotIn(standin.METADATA_SECRET, text + outcome.stdout)
        return outcome, text

    def with_cgroup(self):
        if not self.cgroup:
            self.skipTest("the stand-in made no cgroup here")

    def test_this_project_gets_full_marks_and_the_header_says_how(self):
        """With a hard process limit below --max-processes (a container started with --ulimit nproc=50)."""
        with open(NEURALNET) as f:
            outcome, text = self.grade(f.read(), ulimits={"NPROC": 50})
        self.assertEqual(outcome.results["score"], 55, text)
        self.assertIn("held by this system's hard limits: 50 processes (the hard limit here, not 64)",
                      outcome.results["output"])  # the limits are the student's to read
        self.assertNotIn("isolated", outcome.results["output"])  # how it was isolated is staff's: in stdout only
        header = outcome.stdout
        self.assertRegex(header, r"isolated: runs as uid \d+ \(chosen for this grade\)")
        if self.docker_like:
            self.assertIn("without a mount namespace (refused here), the grader's files made unreadable to it",
                          header)
            self.assertIn("network cut by a seccomp filter", header)
        else:
            self.assertIn("in a private mount namespace", header)
            self.assertIn("network cut by a network namespace", header)
        if self.cgroup:
            self.assertIn(f"{CONTAINER_MEMORY} of memory (the container's limit)", header)
        print(f"\n[{type(self).__name__}: this project {outcome.seconds:.1f} s, grade.py's peak "
              f"{outcome.grade_peak / 2**20:.0f} MiB]", file=sys.stderr)

    def test_what_it_writes_outside_its_folder_is_removed_after_each_run(self):
        outcome, text = self.grade(SCRATCH)
        self.assertEqual(outcome.results["score"], 0)
        # (with namespaces, /var/tmp and /dev/shm are read-only in the run's mount namespace)
        wrote = ['/tmp', '/var/tmp', '/dev/shm'] if self.docker_like else ['/tmp']
        self.assertIn(f"scratch: left by an earlier run: []\n  | scratch: wrote in {wrote}", text)
        self.assertNotRegex(text, r"left by an earlier run: \[[^\]]")

    def test_what_it_writes_is_bounded(self):
        outcome, text = self.grade(DISK)
        self.assertEqual(outcome.results["score"], 0)
        self.assertIn("hit the disk limit (512 MiB for everything it writes)", text)
        self.assertNotIn("disk: wrote 1.6 GB", text)

    def test_a_memory_bomb_is_named_and_grade_py_writes_its_report(self):
        outcome, text = self.grade(MEMORY_BOMB)
        self.with_cgroup()
        self.assertEqual(outcome.results["score"], 0)
        self.assertIn(f"used more than the container's {CONTAINER_MEMORY} of memory", text)
        self.assertNotIn("could not run grade.py", text)


@unittest.skipUnless(AS_ROOT and not STANDIN_MISSING, STANDIN_MISSING or NEEDS_ROOT)
class TestContainerWithNamespaces(TestGradescopeContainer):
    """The same where the system allows namespaces (every capability, no seccomp profile): they add to it."""
    docker_like = False


# ----------------------------------------------------------------------------
# The parts, one by one
# ----------------------------------------------------------------------------

@unittest.skipUnless(AS_ROOT, NEEDS_ROOT)
class TestHiddenModes(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="grade-hidden-")
        self.addCleanup(shutil.rmtree, self.folder, True)
        os.chmod(self.folder, 0o755)
        self.file = os.path.join(self.folder, "submission_metadata.json")
        with open(self.file, "w") as f:
            f.write("{}")
        os.chmod(self.file, 0o644)

    def modes(self):
        return [os.stat(p).st_mode & 0o777 for p in (self.folder, self.file)]

    def test_hidden_while_held_and_restored_after_the_last(self):
        first, second = hiding.HiddenModes(), hiding.HiddenModes()
        first.hide([self.folder, self.file])
        self.assertEqual(self.modes(), [0o700, 0o600])
        second.hide([self.folder])
        first.restore()
        self.assertEqual(self.modes(), [0o700, 0o644])  # the second grade still holds the folder
        second.restore()
        self.assertEqual(self.modes(), [0o755, 0o644])

    def test_a_grade_that_died_is_undone_by_the_next(self):
        code = (f"import sys; sys.path.insert(0, {test_grader.HERE!r})\nfrom grader.sandbox import hiding\n"
                f"hiding.HiddenModes().hide([{self.folder!r}])\n")  # exits without restoring
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
        self.assertEqual(self.modes()[0], 0o700)
        later = hiding.HiddenModes()
        later.hide([self.file])
        later.restore()
        self.assertEqual(self.modes(), [0o755, 0o644])


@unittest.skipUnless(AS_ROOT, NEEDS_ROOT)
class TestGradeIds(unittest.TestCase):
    def test_an_unused_uid_of_a_high_range_locked_for_the_grade(self):
        uid, gid, lock = users.choose_grade_ids()
        try:
            self.assertGreaterEqual(uid, users.GRADE_IDS[0])
            self.assertFalse(users.uid_in_use(uid))
            self.assertIsNone(users.lock_user(uid, "again", wait=False))  # a second grade cannot take it
        finally:
            os.close(lock)


@unittest.skipUnless(AS_ROOT, NEEDS_ROOT)
class TestScratchRemoval(unittest.TestCase):
    def test_only_the_uids_files_go_and_no_link_is_followed(self):
        top = tempfile.mkdtemp(prefix="grade-scratch-")
        self.addCleanup(shutil.rmtree, top, True)
        os.chmod(top, 0o1777)  # a /tmp of its own
        target = os.path.join(top, "roots.txt")
        with open(target, "w") as f:
            f.write("root's")
        uid = 1_999_998 if not users.uid_in_use(1_999_998) else 1_999_997
        code = (f"import os\nos.chdir({top!r})\nos.makedirs('mine/deeper')\n"
                "open('mine/deeper/big.bin', 'wb').write(bytes(1 << 20))\n"
                "os.symlink(os.path.abspath('roots.txt'), 'mine/link')\nos.symlink('/etc', 'etc-link')\n"
                "open('file.bin', 'wb').write(bytes(4096))\n")
        subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", sys.executable, "-c", code],
                       check=True, timeout=60)
        self.assertGreaterEqual(written.bytes_written(uid, [top]), (1 << 20) + 4096)
        written.remove_owned(uid, [top])
        self.assertEqual(os.listdir(top), ["roots.txt"])
        with open(target) as f:
            self.assertEqual(f.read(), "root's")
        self.assertTrue(os.path.isdir("/etc"))


class TestContainerMemory(unittest.TestCase):
    """The container's limit and kill count from cgroup files laid out in a temporary folder (no root needed)."""

    def layout(self, proc_cgroup, files):
        root = tempfile.mkdtemp(prefix="grade-cgroup-")
        self.addCleanup(shutil.rmtree, root, True)
        for name, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
            with open(os.path.join(root, name), "w") as f:
                f.write(text)
        with open(os.path.join(root, "proc-cgroup"), "w") as f:
            f.write(proc_cgroup)
        return limits.ContainerMemory(os.path.join(root, "proc-cgroup"), os.path.join(root, "fs"))

    def test_v2_the_lowest_limit_on_the_way_up(self):
        memory = self.layout("0::/docker/abc\n", {"fs/cgroup.controllers": "memory",
                                                  "fs/docker/memory.max": str(768 << 20),
                                                  "fs/docker/abc/memory.max": "max",
                                                  "fs/docker/abc/memory.events": "low 0\noom 2\noom_kill 3\n"})
        self.assertEqual(memory.limit, 768 << 20)
        self.assertEqual(memory.kills(), 3)

    def test_v1_memory_controller(self):
        memory = self.layout("4:memory:/grade\n1:cpu:/\n",
                             {"fs/memory/grade/memory.limit_in_bytes": str(805306368),
                              "fs/memory/memory.limit_in_bytes": "9223372036854771712",
                              "fs/memory/grade/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n"})
        self.assertEqual(memory.limit, 805306368)
        self.assertEqual(memory.kills(), 1)

    def test_a_cgroup_namespace_reads_its_own_root(self):
        memory = self.layout("0::/\n", {"fs/cgroup.controllers": "memory", "fs/memory.max": "max"})
        self.assertIsNone(memory.limit)


class TestClampedLimits(unittest.TestCase):
    """Each limit held to the hard limit found, computed before any fork (no root needed: lowering is allowed)."""

    def test_hard_limits_below_the_defaults(self):
        code = (f"import resource, sys; sys.path.insert(0, {test_grader.HERE!r})\n"
                "from grader.sandbox import limits\nfrom grader.runner import Limits\n"
                "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
                "resource.setrlimit(resource.RLIMIT_NPROC, (50, 50))\n"
                "planned = limits.Rlimits.plan(Limits(60, 150, 4 << 30, 256 << 20, 64, 60, 512 << 20), True)\n"
                "print(planned.limits.memory, planned.limits.processes)\nprint('; '.join(planned.held))\n"
                "print(all(soft <= hard and hard <= resource.getrlimit(which)[1] or"
                " resource.getrlimit(which)[1] == resource.RLIM_INFINITY for which, soft, hard in planned.settings))\n")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        numbers, held, fits = result.stdout.splitlines()
        self.assertEqual(numbers, f"{2 << 30} 50")
        self.assertEqual(held, "2 GiB of memory (the hard limit here, not 4 GiB); 50 processes (the hard limit here, "
                               "not 64)")
        self.assertEqual(fits, "True")

    def test_limits_within_the_hard_limits_are_as_asked(self):
        asked = Limits(60, 150, 1 << 20, 1 << 20, 1, 1, 1 << 20)
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        if hard != resource.RLIM_INFINITY and hard < asked.memory:
            self.skipTest("this system's hard limit is below 1 MiB")
        self.assertEqual(limits.Rlimits.plan(asked, processes=False).held, [])


class TestLayers(unittest.TestCase):
    def test_the_runner_does_not_import_the_linux_layer(self):
        code = ("import sys; sys.path.insert(0, sys.argv[1]); import grader.runner\n"
                "print('grader.sandbox' in sys.modules, 'grader.isolation' in sys.modules)\n")
        result = subprocess.run([sys.executable, "-c", code, test_grader.HERE], capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(result.stdout.split(), ["False", "False"], result.stderr)


if __name__ == "__main__":
    unittest.main()
