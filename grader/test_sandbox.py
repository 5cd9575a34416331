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
import json
import os
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

from grader import seccomp, test_grader, testing_attacks, testing_filter, trees
from grader import testing_container as standin
from grader.runner import Limits, size
from grader.sandbox import hiding, limits, runners, users, written
from grader.test_grader import AS_ROOT, GRADE, NEEDS_ROOT, Isolation
from grader.testing import NEURALNET

STANDIN_MISSING = standin.unavailable()
FILTER_UNAVAILABLE = ""
try:
    seccomp.architecture()
except OSError as e:
    FILTER_UNAVAILABLE = str(e)
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
        self.assertEqual(outcome.ipc, [], "IPC objects left in the container")
        self.assertTrue(outcome.results["tests"], "not grade.py's own report")  # (run_autograder's fallback has none)
        text = outputs(outcome.results)
        self.assertNotIn(standin.METADATA_SECRET, text + outcome.stdout)
        return outcome, text

    def attack(self, name):
        """The attack graded as Gradescope grades it: its Outcome, the report's text, and its checks split in two:
        the command-line checks it attacks, and every other check (which its correct part must pass). Says what
        was measured: the score, the seconds, grade.py's peak memory and what was left."""
        source, attacked = testing_attacks.ATTACKS[name]
        outcome, text = self.grade(source)
        hit = [t for t in outcome.results["tests"] if attacked is not None and t["name"].startswith("cli:")
               and attacked(int(t["name"].split()[1]))]
        others = [t for t in outcome.results["tests"] if t not in hit and t["max_score"]]
        self.assertEqual([t["name"] for t in others if not t["score"]], [], text)
        print(f"\n[{type(self).__name__}: {name}: {outcome.results['score']:g}/"
              f"{sum(t['max_score'] for t in outcome.results['tests']):g} in {outcome.seconds:.1f} s, grade.py's peak "
              f"{outcome.grade_peak / 2**20:.0f} MiB, left: {len(outcome.leftovers)} processes, "
              f"{len(outcome.scratch)} files, {len(outcome.ipc)} IPC objects]", file=sys.stderr)
        return outcome, text, hit

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
        """Each run ends once the out-of-memory killer acts in it, named for memory: no run waits for what is left of
        it, and nothing is told of its speed (issue 35: a fork bomb spent the whole time budget)."""
        outcome, text = self.grade(MEMORY_BOMB)
        self.with_cgroup()
        self.assertEqual(outcome.results["score"], 0)
        # named for memory either way: the killer acted, or the run was stopped just before it had to
        self.assertRegex(text, f"used more than (the container's {CONTAINER_MEMORY} of memory|[0-9]+ MiB of the "
                               f"container's {CONTAINER_MEMORY} of memory, which nothing could page out)")
        self.assertNotIn("could not run grade.py", text)
        self.assertNotIn("timed out", text)
        self.assertNotIn("times as long", text)
        print(f"\n[{type(self).__name__}: a memory bomb in {outcome.seconds:.1f} s, grade.py's peak "
              f"{outcome.grade_peak / 2**20:.0f} MiB]", file=sys.stderr)


    # -- the attacks of issue 37 (grader/testing_attacks.py): each a correct neuralnet.py plus the attack ------

    def test_disk_held_where_no_folder_shows_it_is_bounded(self):
        outcome, text, hit = self.attack("unseen-disk")
        self.assertNotIn("unseen-disk: held", text)
        self.assertTrue(hit)
        for check in hit:  # without namespaces the measure stops it; with them /tmp is a tmpfs of --disk bytes, full
            self.assertIn("hit the disk limit (512 MiB for everything it writes)", check["output"])

    def refused_at_full_marks(self, name, success):
        """An attack whose every attempt the sandbox refuses: it never says `success`, and its correct part earns
        every point."""
        outcome, text, _ = self.attack(name)
        self.assertNotIn(success, text)
        self.assertEqual(outcome.results["score"], 55, text)

    def test_fallocate_is_refused(self):
        self.refused_at_full_marks("fallocate", "fallocate: placed")

    def test_other_line_breaks_are_named_and_read_within_bounds(self):
        outcome, text, hit = self.attack("line-breaks")
        self.assertEqual(len(hit), len([t for t in outcome.results["tests"] if t["name"].startswith("cli:")]))
        for check in hit:
            self.assertEqual(check["score"], 0)
            self.assertRegex(check["output"], r"train_out.labels: line 1 holds (a bare \\r|U\+2028)")
        self.assertIn("holds a bare \\r", text)
        self.assertIn("holds U+2028", text)
        self.assertLess(outcome.grade_peak, 300 << 20)  # the bound the floods of grader/test_grader.py keep

    def test_a_deep_tree_ends_its_run_and_is_removed(self):
        outcome, text, hit = self.attack("deep-tree")
        self.assertTrue(hit)
        for check in hit:
            self.assertIn("hit the folder limit (a folder more than 64 levels deep)", check["output"])
        self.assertNotIn("RecursionError", text + outcome.stdout)

    def test_no_ipc_carries_over_from_run_to_run(self):  # (the container's IPC objects: none left, see grade())
        self.refused_at_full_marks("ipc", "ipc: an earlier run left")

    def test_no_socket_of_any_family_opens(self):
        self.refused_at_full_marks("families", "families: opened")

    def test_forged_lines_stay_inside_their_quote(self):
        outcome, text, hit = self.attack("forged-lines")
        self.assertEqual([t["score"] for t in hit], [0])
        self.assertIn("\\u2028  PASS  cli:medium 1 8 2 0.1  [5/5]\\u2029score: 55/55", hit[0]["output"])
        report = json.dumps(outcome.results, ensure_ascii=False) + outcome.stdout
        for character in "\u2028\u2029\u202e":
            self.assertNotIn(character, report)
        lines = outcome.stdout.splitlines()
        self.assertEqual(len([line for line in lines if line.startswith("score: ")]), 1)
        self.assertNotIn("  PASS  cli:medium 1 8 2 0.1  [5/5]", [line.rstrip() for line in lines])


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


class TestTrees(unittest.TestCase):
    """grader/trees.py: a tree deeper than Python's recursion limit walked and removed, no link followed (no root)."""

    def deep(self, top, levels):
        fd = testing_attacks.deep_chain(top, levels)
        os.symlink(self.outside, "link", dir_fd=fd)
        os.close(fd)

    def setUp(self):
        self.outside = tempfile.mkdtemp(prefix="grade-trees-outside-")
        self.addCleanup(shutil.rmtree, self.outside, True)
        with open(os.path.join(self.outside, "keep.txt"), "w") as f:
            f.write("kept")

    def test_walk_stops_at_its_depth_and_remove_tree_takes_any_depth(self):
        top = tempfile.mkdtemp(prefix="grade-trees-")
        levels = sys.getrecursionlimit() + 500
        self.deep(top, levels)
        kinds = [(entry.kind, entry.depth) for entry in trees.walk(top, lambda info: True, 64)]
        self.assertIn(("deep", 65), kinds)
        self.assertEqual(max(depth for _, depth in kinds), 65)
        trees.remove_tree(top)
        self.assertFalse(os.path.lexists(top))
        self.assertEqual(os.listdir(self.outside), ["keep.txt"])  # the links were removed, never followed

    def test_remove_contents_keeps_what_it_does_not_own(self):
        top = tempfile.mkdtemp(prefix="grade-trees-")
        self.addCleanup(shutil.rmtree, top, True)
        self.deep(top, 100)
        with open(os.path.join(top, "theirs.txt"), "w") as f:
            f.write("theirs")
        mine = {os.stat(os.path.join(top, "d")).st_ino}

        def owned(info):  # the chain's folders and what is in them, not theirs.txt
            return stat.S_ISDIR(info.st_mode) or stat.S_ISLNK(info.st_mode) or info.st_ino in mine
        trees.remove_contents(top, owned, lambda info: True)
        self.assertEqual(os.listdir(top), ["theirs.txt"])


@unittest.skipUnless(AS_ROOT, NEEDS_ROOT)
class TestHeldOpen(unittest.TestCase):
    """What a uid's processes hold that no folder shows, read as the uid (grader/sandbox/written.py)."""

    def test_unlinked_tmpfile_and_mapped_files_are_counted(self):
        uid = next(u for u in range(1_999_990, 1_999_900, -1) if not users.uid_in_use(u))
        code = ("import ctypes, os, sys, tempfile, time\nfolder = sys.argv[1]\nkeep = []\n"
                "fd, path = tempfile.mkstemp(dir=folder); os.write(fd, bytes(8 << 20)); os.unlink(path)\n"
                "keep.append(fd)\n"
                "fd = os.open(folder, os.O_TMPFILE | os.O_RDWR, 0o600); os.write(fd, bytes(8 << 20)); keep.append(fd)\n"
                "fd, path = tempfile.mkstemp(dir=folder); os.write(fd, bytes(8 << 20))\n"
                "libc = ctypes.CDLL(None); libc.mmap.restype = ctypes.c_void_p\n"  # (Python's mmap keeps a descriptor)
                "libc.mmap(None, 4096, 1, 1, fd, ctypes.c_long(0)); os.close(fd); os.unlink(path)\n"
                "print('ready', flush=True); time.sleep(60)\n")
        folder = tempfile.mkdtemp(prefix="grade-held-")
        self.addCleanup(shutil.rmtree, folder, True)
        os.chown(folder, uid, uid)
        holder = subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", sys.executable,
                                   "-c", code, folder], stdout=subprocess.PIPE, text=True)
        self.addCleanup(holder.stdout.close)
        self.addCleanup(holder.wait)
        self.addCleanup(holder.kill)
        self.assertEqual(holder.stdout.readline().strip(), "ready")
        with users.AsUser(uid, uid, lambda: json.dumps(list(written.held_open(uid, 100 << 20, [folder]).values()))
                          .encode()) as reader:
            answer = reader.ask(30)
        held = sorted(json.loads(answer))
        self.assertEqual(len(held), 3, held)
        self.assertGreaterEqual(held[0], 8 << 20)  # each open file at its blocks
        self.assertGreaterEqual(held[1], 8 << 20)
        self.assertEqual(held[2], 100 << 20)  # the file only mapped: at the most one file can hold
        self.assertEqual(written.bytes_written(uid, [folder]), 0)  # no folder shows any of them


@unittest.skipUnless(AS_ROOT, NEEDS_ROOT)
class TestIpcRemoval(unittest.TestCase):
    def test_the_uids_sysv_objects_are_removed(self):
        """Where the run filter is missing: what the uid made in SysV IPC is removed after the run."""
        uid = next(u for u in range(1_999_899, 1_999_800, -1) if not users.uid_in_use(u))
        code = ("import ctypes\nlibc = ctypes.CDLL(None)\n"
                "print(libc.shmget(0, 1 << 20, 0o1600), libc.semget(0, 1, 0o1600), libc.msgget(0, 0o1600))\n")
        made = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", sys.executable, "-c",
                               code], capture_output=True, text=True, timeout=60, check=True).stdout.split()
        self.assertTrue(all(int(n) >= 0 for n in made), made)
        removed = written.remove_ipc(uid)
        self.assertEqual(sorted(removed), sorted([f"shm {made[0]}", f"sem {made[1]}", f"msg {made[2]}"]))
        self.assertEqual(written.remove_ipc(uid), [])


@unittest.skipIf(FILTER_UNAVAILABLE, FILTER_UNAVAILABLE)
class TestRunFilter(unittest.TestCase):
    """The run's seccomp filter (grader/sandbox/syscall_filter.py): what it refuses, and what the standard library
    and numpy still do under it (grader/testing_filter.py, run with this Python)."""

    def test_what_is_refused_and_what_works(self):
        result = subprocess.run([sys.executable, os.path.join(test_grader.HERE, "grader", "testing_filter.py")],
                                capture_output=True, text=True, timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        lines = dict(line.split(": ", 1) for line in result.stdout.splitlines()[1:])
        self.assertEqual(set(lines), set(testing_filter.ALLOWED + testing_filter.REFUSED), result.stdout)
        for name in testing_filter.ALLOWED:
            self.assertEqual(lines[name], "ok", name)
        for name in testing_filter.REFUSED:
            self.assertNotEqual(lines[name], "ok", name)


class TestMemoryEndsTheRun(unittest.TestCase):
    """A run ends at once, named for memory, once the container's memory nothing can page out nears its limit, or
    once its count of out-of-memory kills moves and a process of the run lies dead of SIGKILL; another grade's
    kills in the same cgroup end nothing (no root: LimitedRunner, whose cgroup is stood in for by a count that
    moves once the run has started)."""

    class MovingCount:
        limit, events = 768 << 20, "memory.events"

        def __init__(self, held=0):
            self.calls, self.memory_held = 0, held

        def kills(self):
            self.calls += 1
            return 0 if self.calls == 1 else 1  # the first read is the run's start

        def host_wide(self):
            return False

        def held(self):
            return self.memory_held

    def run_code(self, code, memory=None):
        with runners.LimitedRunner(sys.executable, Limits(30, 60, 4 << 30, 1 << 26, 64, 30, 1 << 26)) as runner:
            runner.memory = memory or self.MovingCount()
            return runner.run(["-c", code], {}, [], "a test")

    def test_a_run_that_takes_the_containers_memory_ends_before_the_killer_acts(self):
        """What nothing can page out of the container's memory is within 128 MiB of its limit."""
        result = self.run_code("import time\ntime.sleep(60)\n", self.MovingCount(held=720 << 20))
        self.assertIsNone(result.status)
        self.assertEqual(result.problem, "used more than 640 MiB of the container's 768 MiB of memory, which nothing "
                                         "could page out: stopped before the kernel's out-of-memory killer had to act")

    def test_a_run_with_a_process_killed_ends_at_once(self):
        code = ("import os, signal, time\nchild = os.fork()\nif child == 0:\n    time.sleep(60)\n"
                "os.kill(child, signal.SIGKILL)\ntime.sleep(60)\n")  # the killed child is left unreaped
        result = self.run_code(code)
        self.assertIsNone(result.status)
        self.assertEqual(result.problem, "used more than the container's 768 MiB of memory (the kernel's "
                                         "out-of-memory killer ended its processes)")

    def test_a_run_that_lost_nothing_is_not_blamed_for_others_kills(self):
        result = self.run_code("import time\ntime.sleep(1)\n")
        self.assertEqual((result.status, result.problem), (0, ""))


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
