"""The tools around neuralnet.py, in the student's suite (tests.py loads this module).

experiments.py checks everything before it trains and draws figures whose legends cover
nothing; benchmarks/bench.py labels and fails differing outputs; grader/advice.py names a
numpy that has a wheel; the docs' examples leave nothing behind. Fast, no root, no network.
"""
import contextlib
import csv
import fnmatch
import importlib.util
import io
import os
import shlex
import shutil
import sys
import tempfile
import unittest
from unittest import mock

import numpy as np

import course_data
import experiments
import neuralnet
from grader import advice

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = course_data.folder()
try:
    import matplotlib  # noqa: F401
    HAVE_MATPLOTLIB = True
except ImportError:
    HAVE_MATPLOTLIB = False
NEEDS_MATPLOTLIB = "matplotlib not installed: pip install -r requirements-dev.txt"


def small_slice(folder: str, rows: int = 40) -> tuple:
    """The first rows of the course small set (every letter among them), as train and validation files."""
    paths = (os.path.join(folder, "t.csv"), os.path.join(folder, "v.csv"))
    for path, source, count in zip(paths, ("small_train.csv", "small_validation.csv"), (rows, 10)):
        with open(os.path.join(DATA, source)) as f, open(path, "w") as out:
            out.writelines(f.readlines()[:count])
    return paths


def run_experiments(argv):
    """experiments.main in-process: (exit status, stdout, stderr); argparse's exits count as statuses."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = experiments.main(argv)
        except SystemExit as e:
            status = e.code
    return status, out.getvalue(), err.getvalue()


# ----------------------------------------------------------------------------
# experiments.py: everything checked before any training
# ----------------------------------------------------------------------------

class TestExperimentsCheckFirst(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.train, self.validation = small_slice(self.tmp)
        self.out = os.path.join(self.tmp, "out")
        # Nothing may train: any training or drawing fails the test.
        for name in ("train_all", "trained_network", "misclassified", "zero_init_weights", "curves"):
            patcher = mock.patch.object(experiments, name, side_effect=AssertionError(f"{name} ran"))
            patcher.start()
            self.addCleanup(patcher.stop)

    def assert_refused(self, argv, status, message):
        got, out, err = run_experiments([*argv, "--train", self.train, "--validation", self.validation])
        self.assertEqual((got, out), (status, ""), err)
        self.assertEqual(err.count("\n"), 1, err)
        self.assertRegex(err, message)
        self.assertNotIn("Traceback", err)

    def test_matplotlib_is_checked_before_the_data_is_read(self):
        with mock.patch.dict(sys.modules, {"matplotlib": None}), \
                mock.patch.object(neuralnet, "load_csv", side_effect=AssertionError("read the data")):
            self.assert_refused(["hidden-units", "--out", self.out], 1, r"^experiments.py: error: matplotlib is not "
                                                                       r"installed: ")
        self.assertFalse(os.path.exists(self.out))

    def test_zero_init_needs_no_matplotlib(self):
        experiments.zero_init_weights.side_effect = None
        with mock.patch.dict(sys.modules, {"matplotlib": None}):
            status, _, err = run_experiments(["zero-init", "--out", self.out, "--train", self.train,
                                              "--validation", self.validation])
        self.assertEqual(status, 0, err)
        experiments.zero_init_weights.assert_called_once()

    def test_bad_arguments_are_one_line_before_training(self):
        cases = [
            (["depth", "--epochs", "-1"], r"^experiments.py depth: error: argument --epochs: expected an integer >= 0, "
                                          r"got '-1' \(see --help\)\n$"),
            (["depth", "--jobs", "0"], r"argument --jobs: expected an integer >= 1, got '0'"),
            (["weights", "--lr", "nan"], r"argument --lr: expected a finite number > 0, got 'nan'"),
            (["confusion", "--hidden", "0"], r"argument --hidden: expected an integer >= 1"),
            (["misclassified", "--rows", "-3"], r"argument --rows: expected an integer >= 0"),
            (["curves"], r"the following arguments are required: metrics"),
            (["learning-rates", "--y-range", "tall"], r"argument --y-range: invalid choice: 'tall'"),
            (["hidden-units", "--rows", "1"], r"unrecognized arguments: --rows 1"),
        ]
        for argv, message in cases:
            with self.subTest(argv):
                self.assert_refused([*argv, "--out", self.out], 2, message)
        self.assertFalse(os.path.exists(self.out))

    def test_what_only_the_data_shows_is_checked_before_training(self):
        with open(self.train) as f:
            rows = sum(1 for _ in f)
        self.assert_refused(["misclassified", "--rows", "0", str(rows), "--out", self.out], 2,
                            rf"^experiments.py misclassified: error: argument --rows: row {rows} is not in "
                            rf"0..{rows - 1} \(rows counted from 0; ")
        narrow = os.path.join(self.tmp, "narrow.csv")
        with open(self.train) as f, open(narrow, "w") as out:
            out.writelines(",".join(line.split(",")[:20]) + "\n" for line in f)
        got, _, err = run_experiments(["weights", "--train", narrow, "--validation", narrow, "--out", self.out])
        self.assertEqual(got, 1, err)
        self.assertRegex(err, r"^experiments.py: error: weights: --train .* has 19 pixels a row, not a 16x8 image\n$")

    def test_an_output_folder_that_cannot_be_written_is_refused_first(self):
        blocker = os.path.join(self.tmp, "file")
        open(blocker, "w").close()
        self.assert_refused(["depth", "--out", os.path.join(blocker, "out")], 1,
                            r"^experiments.py: error: --out '.*file/out': cannot write there: ")

    def test_curves_labels_one_per_file(self):
        self.assert_refused(["curves", "a.txt", "b.txt", "--label", "only one", "--out", self.out], 2,
                            r"argument --label: 1 given for 2 metrics files")

    def test_each_subcommand_has_its_own_help(self):
        for name, (text, groups) in experiments.SUBCOMMANDS.items():
            with self.subTest(name):
                status, out, err = run_experiments([name, "--help"])
                self.assertEqual((status, err), (0, ""))
                self.assertTrue(out.startswith(f"usage: experiments.py {name} "), out)
                self.assertIn(" ".join(text.split()[:4]), " ".join(out.split()))
                for group, option in (("rows", "--rows"), ("network", "--hidden"), ("y-range", "--y-range"),
                                      ("metrics", "--label")):
                    self.assertEqual(option in out, group in groups, option)
        status, out, _ = run_experiments(["--help"])
        self.assertEqual(status, 0)
        for name in experiments.SUBCOMMANDS:
            self.assertIn(f"    {name}", out)


# ----------------------------------------------------------------------------
# experiments.py: figures
# ----------------------------------------------------------------------------

@unittest.skipUnless(HAVE_MATPLOTLIB, NEEDS_MATPLOTLIB)
class TestFigures(unittest.TestCase):
    """Each figure as drawn (save_figure intercepted): where its legend is, its y range, its labels."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.figures = {}

        def keep(fig, path):
            self.figures[os.path.basename(path)] = fig
        for patcher in (mock.patch.object(experiments, "save_figure", side_effect=keep),
                        mock.patch.object(sys, "stderr", io.StringIO())):  # "wrote ..." lines
            patcher.start()
            self.addCleanup(patcher.stop)

    def tearDown(self):
        plt = experiments.pyplot()
        for fig in self.figures.values():
            plt.close(fig)

    @staticmethod
    def curves_of(values):
        """Curves whose train and validation losses are the given lists (as a metrics file would hold)."""
        train = [float(v) for v in values]
        return experiments.Curves(train, [v + 0.3 for v in train], 0.1, 0.2)

    def assert_legend_covers_nothing(self, fig):
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            legend = ax.get_legend()
            if legend is None:
                continue
            box = legend.get_window_extent(renderer)
            self.assertFalse(box.overlaps(ax.get_window_extent(renderer)), "the legend lies over the axes")
            for line in ax.get_lines():  # and so over no point of any curve
                points = ax.transData.transform(np.column_stack(line.get_data()))
                inside = (points[:, 0] >= box.x0) & (points[:, 0] <= box.x1) & \
                         (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1)
                self.assertFalse(inside.any(), line.get_label())

    def test_no_legend_covers_a_curve(self):
        runs = experiments.curve_runs(5)
        # Curves that fill the whole plot: falling from the top left, rising to the top right.
        trained = {run: self.curves_of(np.linspace(2.3, 0.0, 5) if i % 2 else np.linspace(0.1, 2.3, 5))
                   for i, run in enumerate(run for table in runs.values() for run in table)}
        experiments.hidden_units(self.tmp, runs["hidden-units"], trained)
        experiments.learning_rates(self.tmp, runs["learning-rates"], trained)
        experiments.depth(self.tmp, runs["depth"], trained)
        paths = experiments.write_metrics_files(self.tmp, {run: trained[run] for run in runs["learning-rates"]})
        experiments.curves(self.tmp, paths)
        self.assertEqual(len(self.figures), 6)
        for name, fig in self.figures.items():
            with self.subTest(name):
                self.assertTrue(fig.axes[0].get_legend(), name)
                self.assert_legend_covers_nothing(fig)

    def test_the_learning_rate_figures_share_one_y_range(self):
        runs = experiments.curve_runs(3)["learning-rates"]
        trained = {run: self.curves_of(np.array([2.31, 2.2, 2.13]) * (i + 1) ** -1.0) for i, run in enumerate(runs)}
        experiments.learning_rates(self.tmp, runs, trained)
        limits = {name: fig.axes[0].get_ylim() for name, fig in self.figures.items()}
        self.assertEqual(len(set(limits.values())), 1, limits)
        bottom, top = next(iter(limits.values()))
        highest = max(max(c.train + c.validation) for c in trained.values())
        self.assertEqual(bottom, 0.0)
        self.assertGreaterEqual(top, highest)
        self.figures.clear()
        experiments.learning_rates(self.tmp, runs, trained, "own")
        self.assertEqual(len({fig.axes[0].get_ylim() for fig in self.figures.values()}), 3)

    def test_labels_name_the_runs_and_the_csv_names_the_files(self):
        runs = experiments.curve_runs(3)["learning-rates"]
        trained = {run: self.curves_of([2.0, 1.5, 1.0]) for run in runs}
        paths = experiments.write_metrics_files(self.tmp, trained)
        out = os.path.join(self.tmp, "out")
        os.mkdir(out)
        labels = ["fast", "medium", "slow"]
        status, _, err = run_experiments(["curves", *paths, *[a for label in labels for a in ("--label", label)],
                                          "--out", out])
        self.assertEqual(status, 0, err)
        legend = [t.get_text() for t in self.figures["curves.png"].axes[0].get_legend().get_texts()]
        self.assertEqual(legend, [f"{label}, {split}" for label in labels for split in ("train", "validation")])
        with open(os.path.join(out, "curves.csv")) as f:
            files = list(dict.fromkeys(row["file"] for row in csv.DictReader(f)))
        self.assertEqual(files, [os.path.basename(p) for p in paths])
        self.figures.clear()
        self.assertEqual(run_experiments(["curves", *paths, "--out", out])[0], 0)
        legend = [t.get_text() for t in self.figures["curves.png"].axes[0].get_legend().get_texts()]
        self.assertEqual(legend[0], f"{os.path.basename(paths[0])}, train")

    def test_the_misclassified_figure_says_rows_count_from_0(self):
        train, validation = small_slice(self.tmp)
        status, _, err = run_experiments(["misclassified", "--train", train, "--validation", validation,
                                          "--out", self.tmp, "--rows", "0"])
        self.assertEqual(status, 0, err)
        fig = self.figures["misclassified.png"]
        self.assertIn("rows counted from 0: row 0 is the file's first line", fig._suptitle.get_text())
        self.assertEqual(fig.axes[0].get_title().split("\n")[0], "row 0")


# ----------------------------------------------------------------------------
# benchmarks/bench.py --compare
# ----------------------------------------------------------------------------

def load_bench():
    spec = importlib.util.spec_from_file_location("bench", os.path.join(HERE, "benchmarks", "bench.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@unittest.skipUnless(hasattr(os, "wait4"), "bench.py measures with os.wait4 (POSIX)")
class TestBenchCompare(unittest.TestCase):
    def test_got_is_the_other_command_and_differences_fail(self):
        bench = load_bench()
        outputs = {}  # each command's outputs of its training run, read before bench.py removes them
        real_run_once = bench.run_once

        def run_once(command, data_dir, prefix, epochs, *rest):
            seconds, kib, paths = real_run_once(command, data_dir, prefix, epochs, *rest)
            if epochs:
                outputs[command[-1]] = bench.read_outputs(paths)
            return seconds, kib, paths

        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "data")
            os.mkdir(data)
            shutil.copyfile(os.path.join(DATA, "small_train.csv"), os.path.join(data, "small_train.csv"))
            for name, source in zip(("tiny_train.csv", "tiny_validation.csv"), small_slice(tmp)):
                os.replace(source, os.path.join(data, name))
            with open(os.path.join(HERE, "neuralnet.py")) as f:
                source = f.read()
            self.assertEqual(source.count("np.random.seed(epoch)"), 1)
            offset = os.path.join(tmp, "offset.py")
            with open(offset, "w") as f:
                f.write(source.replace("np.random.seed(epoch)", "np.random.seed(epoch + 1)"))
            out = io.StringIO()
            with mock.patch.dict(os.environ, {"NEURALNET_DATA": data}), \
                    mock.patch.dict(bench.WORKLOADS, {"tiny": ("tiny", 2, 4, 1, 0.1)}, clear=True), \
                    mock.patch.object(bench, "run_once", side_effect=run_once), \
                    contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                status = bench.main(["--runs", "1", "--workload", "tiny", "--no-naive", "--compare",
                                     f"{sys.executable} {offset}"])
        self.assertEqual(status, 1)
        ours, theirs = outputs[os.path.join(bench.ROOT, "neuralnet.py")], outputs[offset]
        same, how = bench.same_outputs(theirs, ours)
        self.assertFalse(same)
        differing = [line for line in out.getvalue().splitlines() if offset in line]
        self.assertEqual(len(differing), 1, out.getvalue())
        self.assertIn(f"OUTPUTS DIFFER (got this command's, expected neuralnet.py's: {how})", differing[0])
        # got: the other command's first differing metric; expected: neuralnet.py's.
        first = next(i for i, (a, b) in enumerate(zip(theirs[2], ours[2])) if abs(a[1] - b[1]) > 1e-9)
        shown = [f"{rows[first][0]}: {rows[first][1]!r}" for rows in (theirs[2], ours[2])]
        self.assertIn(f"first at line {first + 1}: got {shown[0]!r}, expected {shown[1]!r}", how)

    def test_the_same_outputs_match(self):
        bench = load_bench()
        outputs = bench.read_outputs([os.path.join(DATA, "small_out", name) for name in
                                      ("small_train_output.labels", "small_validation_out.labels",
                                       "small_metrics_out.txt")])
        self.assertEqual(bench.same_outputs(outputs, outputs), (True, ""))


# ----------------------------------------------------------------------------
# grader/advice.py: a numpy with a wheel for the Python at hand
# ----------------------------------------------------------------------------

class TestNumpyAdvice(unittest.TestCase):
    def test_the_course_numpy_where_it_has_a_wheel_and_the_nearest_elsewhere(self):
        for version in ((3, 8), (3, 9), (3, 10)):
            self.assertEqual(advice.numpy_advice(version, "py", "/v"),
                             "py -m venv /v && /v/bin/pip install numpy==1.23.0")
        debian12 = advice.numpy_advice((3, 11), "py", "/v")
        self.assertTrue(debian12.startswith("py -m venv /v && /v/bin/pip install numpy==1.23.5 "), debian12)
        self.assertIn("numpy 1.23.0, the course's, has no wheel for Python 3.11", debian12)
        ubuntu2404 = advice.numpy_advice((3, 12), "py", "/v")
        self.assertTrue(ubuntu2404.startswith("no numpy 1.23 has a wheel for Python 3.12: "), ubuntu2404)
        self.assertIn("python3.11 -m venv /v && /v/bin/pip install numpy==1.23.5", ubuntu2404)
        self.assertIn("py -m venv /v && /v/bin/pip install numpy==1.26.4", ubuntu2404)
        later = advice.numpy_advice((3, 13), "py", "/v")
        self.assertNotIn("1.26.4", later)
        self.assertIn("python3.11 -m venv /v && /v/bin/pip install numpy==1.23.5", later)
        unknown = advice.numpy_advice(None, "py", "/v")
        self.assertIn("numpy==1.23.0 on Python 3.8 to 3.10; on 3.11, numpy==1.23.5", unknown)

    def test_the_version_of_an_interpreter(self):
        self.assertEqual(advice.python_version(sys.executable), tuple(sys.version_info[:2]))
        self.assertIsNone(advice.python_version(os.path.join(HERE, "no-such-python")))


# ----------------------------------------------------------------------------
# The docs' examples leave nothing behind
# ----------------------------------------------------------------------------

def readme_outputs():
    """The names .gitignore lists as the outputs of the README's commands (the handout's example run)."""
    with open(os.path.join(HERE, ".gitignore")) as f:
        section = f.read().split("# outputs of the README commands\n", 1)[1]
    return [line.lstrip("/") for line in section.splitlines() if line and not line.startswith("#")]


def created_and_removed(steps):
    """The files a console block's commands create (`> f`, `cp a f`, `mkdir f`, `--csv f`, `--json f`,
    `--reports f`, `unzip ... f`, neuralnet.py's three outputs) and those it removes (a folder removed takes what
    is in it)."""
    created, removed = [], set()
    for command, _ in steps:
        words = shlex.split(command)
        if words[0] == "rm":
            removed.update(w.rstrip("/") for w in words[1:] if not w.startswith("-"))
        if words[0] in ("cp", "unzip"):
            created.append(words[-1])
        if words[0] == "mkdir":
            created += [w for w in words[1:] if not w.startswith("-")]
        if words[1:2] == ["neuralnet.py"]:
            created += words[4:7]
        created += [after for before, after in zip(words, words[1:])
                    if before in (">", "--csv", "--json", "--reports", "--make-autograder")
                    and not after.startswith("/dev/")]
    return created, removed


def is_removed(name, removed):
    """Whether a name is removed: itself, or a folder it is in."""
    parts = name.split("/")
    return any("/".join(parts[:i]) in removed for i in range(1, len(parts) + 1))


class TestDocsLeaveNothing(unittest.TestCase):
    def test_every_console_block_removes_what_it_makes(self):
        """Each ```console block of the README and docs/ removes the files it makes, but for the outputs of the
        handout's example run, which .gitignore names as the README's (they run in a temporary folder as tests)."""
        from grader.testing import console_blocks
        readme = readme_outputs()
        checked = 0
        for document, steps in console_blocks():
            created, removed = created_and_removed(steps)
            checked += bool(created)
            with self.subTest(document, block=steps[0][0]):
                kept = [name for name in created if not is_removed(name, removed)
                        and not (document == "README.md" and any(fnmatch.fnmatch(name, p) for p in readme))]
                self.assertEqual(kept, [], "made and not removed")
        self.assertGreaterEqual(checked, 4)
