"""A class graded at once, in-process: how each grade ended as data, Gradescope's export read, the batch's
lines, summary, CSV and reports (grader/report.py Ending, grader/export.py, grader/batch.py).

Part of the student's suite (tests.py loads it): fast, no root, no network. The end-to-end grade of an
export, with real grade.py processes, is the grader's suite's (grader/test_grader.py TestGradeExport).
"""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from typing import Dict, Optional
from unittest import mock

import numpy as np

from grader import api, batch, cli, export, pipeline, report, runs, settings, upload
from grader.report import CRASHED, GRADED, NOT_GRADED, NOT_IMPORTED, TIMED_OUT, Result
from grader.runner import Budget, RunResult
from grader.testing import DATA, GRADESCOPE_TOP_LEVEL, HERE, NEURALNET

try:
    import yaml
except ImportError:
    yaml = None
try:
    import hypothesis
    from hypothesis import strategies
except ImportError:
    hypothesis = None  # type: ignore[assignment]
GRADE = os.path.join(HERE, "grade.py")
NEEDS_PYYAML = "PyYAML not installed (the staff tools' optional dependency): pip install -r requirements-dev.txt"



class StubRunner:
    """A runner whose every run ended as given: what the checks make of such an end, without running anything.
    Its budget is a real one, which hears of hangs (grader/runner.py Budget)."""

    def __init__(self, run: RunResult):
        self.result = run
        self.budget = Budget(60, 150)

    def run(self, args, files, outputs, what, limit=None) -> RunResult:
        return self.result


def values_npz(values: Dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **values)
    return buffer.getvalue()


# ----------------------------------------------------------------------------
# How a grade ended, as data: set where each check is judged, carried in results.json
# ----------------------------------------------------------------------------

class TestEndingsAsData(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.checks = api.all_checks(DATA)
        with open(NEURALNET, "rb") as f:
            cls.source = f.read()

    def test_each_end_of_a_run_is_named(self):
        budget = Budget(3, 20)
        timed_out = RunResult(None, "", budget.timed_out(3, "importing the submission"), {})
        budget.hung("importing the submission did not finish within 3 s", "api:shuffle", stop=True)
        not_run = RunResult(None, "", budget.next_run()[1], {})
        self.assertTrue(not_run.problem.startswith("not run: "), not_run)
        cases = [(timed_out, TIMED_OUT), (not_run, TIMED_OUT),
                 (RunResult(-9, "", "hit the CPU-time limit (3 s)", {}), TIMED_OUT),
                 (RunResult(1, "ValueError: boom", "", {}), CRASHED),
                 (RunResult(-9, "", "hit the memory limit (4 GiB of address space)", {}), CRASHED),
                 (RunResult(0, "", "hit the file-size limit (256 MiB per file)", {}), CRASHED),
                 (RunResult(0, "", "", {}), "")]
        for run, kind in cases:
            with self.subTest(run=run):
                self.assertEqual(report.run_ending(run), kind)

    def test_the_api_checks_carry_how_their_run_ended(self):
        crash = api.api_and_trace(StubRunner(RunResult(1, "Traceback\nValueError: boom", "", {})), self.source,
                                  self.checks)
        self.assertEqual({r.ended for r in crash}, {CRASHED})
        self.assertEqual({r.ended for r in api.api_and_trace(StubRunner(RunResult(None, "", "timed out after 3 s", {})),
                                                             self.source, self.checks)}, {TIMED_OUT})
        nothing = api.api_and_trace(StubRunner(RunResult(0, "", "", {"values.npz": None})), self.source, self.checks)
        self.assertEqual({r.ended for r in nothing}, {CRASHED})  # the checks stopped before writing their values
        error = values_npz({"import/error": np.array("  File \"neuralnet.py\", line 1\nSyntaxError: invalid syntax")})
        imported = api.api_and_trace(StubRunner(RunResult(0, "", "", {"values.npz": error})), self.source,
                                     self.checks)
        self.assertEqual({r.ended for r in imported}, {NOT_IMPORTED})
        self.assertEqual(report.ending(imported),
                         report.Ending(NOT_IMPORTED, f"{self.checks[0].name}: cannot import the submission: "
                                                     "SyntaxError: invalid syntax"))

    def test_the_cli_checks_carry_how_their_run_ended(self):
        data = runs.load_datasets(DATA, ["small"])
        config = runs.CONFIGS[0]
        for run, kind in ((RunResult(1, "Traceback (most recent call last):\nValueError: boom", "", {}), CRASHED),
                          (RunResult(None, "", "timed out after 5 s", {}), TIMED_OUT)):
            with self.subTest(kind):
                grading = cli.Grading(StubRunner(run), self.source, pipeline.data_files(["small"]), data, 1e-6)
                result = grading.cli_check(config)
                self.assertEqual((result.passed, result.ended), (False, kind))

    def test_the_first_early_end_decides_in_order_and_quoted_text_decides_nothing(self):
        crash = Result("cli:a", False, "exit status 1\n  | ValueError: boom", 4, ended=CRASHED)
        hang = Result("cli:b", False, "timed out after 5 s", 4, ended=TIMED_OUT)
        self.assertEqual(report.ending([crash, hang]), report.Ending(TIMED_OUT, "cli:b: timed out after 5 s"))
        self.assertEqual(report.ending([crash]), report.Ending(CRASHED, "cli:a: exit status 1: ValueError: boom"))
        forged = Result("cli:c", False, "labels differ" + report.quote("exit status 1\ncannot import the submission\n"
                                                                         "timed out after 3 s"), 4)
        self.assertEqual(report.ending([forged]), report.Ending(GRADED, "cli:c: labels differ: timed out after 3 s",
                                                                "cli:c"))

    def test_graded_says_the_first_mistake_or_the_first_unexplained_failure(self):
        passed = Result("api:zero_init", True, "", 1)
        note = Result("env:imports", False, "imports matplotlib", 0)  # a warning: no points, not a failure
        differs = Result("api:NN.train", False, "NN.train train losses differ", 1)
        named = Result("cli:small 2 4 2 0.1", False, "train labels: 476 of 500 lines differ\nmistake: no-shuffle: "
                                                     "the examples are visited in file order", 4, ("no-shuffle",))
        self.assertEqual(report.ending([passed, note]), report.Ending(GRADED, "every check passed"))
        self.assertEqual(report.ending([passed, differs, named]),
                         report.Ending(GRADED, "cli:small 2 4 2 0.1: mistake: no-shuffle: the examples are visited "
                                               "in file order"))
        self.assertEqual(report.ending([passed, differs]),
                         report.Ending(GRADED, "api:NN.train: NN.train train losses differ", "api:NN.train"))

    def test_results_json_carries_the_ending_as_gradescope_allows(self):
        results = [Result("api:zero_init", True, "", 1),
                   Result("cli:a", False, "exit status 1" + report.quote("\x1b[31mboom\n" * 3), 4, ended=CRASHED)]
        data = report.gradescope(["header"], results, 1.0)
        self.assertLessEqual(set(data), GRADESCOPE_TOP_LEVEL)
        self.assertEqual(data["extra_data"], {"ended": CRASHED, "detail": "cli:a: exit status 1: \\x1b[31mboom"})
        for data in (upload.results("the upload is empty", 1.0, 55), report.failure("no numpy", 1.0, 55)):
            self.assertLessEqual(set(data), GRADESCOPE_TOP_LEVEL)
            self.assertEqual((data["extra_data"]["ended"], data["extra_data"]["max_score"]), (NOT_GRADED, 55))
        self.assertEqual(pipeline.max_score(quick=True), 50)
        self.assertEqual(pipeline.max_score(quick=False), 60)


# ----------------------------------------------------------------------------
# Gradescope's export: the yml (with PyYAML and without) and the folders
# ----------------------------------------------------------------------------

GRADESCOPE_YML = """submission_271828:
  :submitters:
  - :name: Ada Example
    :sid: '0815'
    :email: ada@example.edu
  :created_at: 2026-11-30 14:22:32.365935000 -05:00
  :score: 55.0
  :history: []
submission_271829:
  :submitters:
  - :name: "Zo\\u00EB O'Brien"
    :sid: '1912'
    :email: zoe@example.edu
  - :name: 'Alan ''the'' Example' # a group of two
    :sid: '1913'
    :email:
  :created_at: 2026-11-30 15:00:00.000000000 -05:00
  :score: !ruby/object:BigDecimal 18:0.547e1
  :history:
  - :id: 99
    :created_at: 2026-11-29 10:00:00.000000000 -05:00
    :score: 12.0
"""


class TestExportMetadata(unittest.TestCase):
    def write(self, folder: str, text: str) -> str:
        path = os.path.join(folder, export.METADATA)
        with open(path, "w") as f:
            f.write(text)
        return path

    def folder(self) -> str:
        folder = tempfile.mkdtemp(prefix="export-")
        self.addCleanup(shutil.rmtree, folder, True)
        return folder

    def expected(self):
        return {"submission_271828": (export.Submitter("Ada Example", "0815", "ada@example.edu"),),
                "submission_271829": (export.Submitter("Zo\u00eb O'Brien", "1912", "zoe@example.edu"),
                                      export.Submitter("Alan 'the' Example", "1913", ""))}

    def test_gradescopes_yml_read_without_pyyaml(self):
        path = self.write(self.folder(), GRADESCOPE_YML)  # the BigDecimal's tag and all
        with mock.patch.dict(sys.modules, {"yaml": None}):  # import yaml fails
            self.assertEqual(export.read_metadata(path), self.expected())

    @unittest.skipIf(yaml is None, NEEDS_PYYAML)
    def test_gradescopes_yml_read_with_pyyaml_tags_and_all(self):
        self.assertEqual(export.read_metadata(self.write(self.folder(), GRADESCOPE_YML)), self.expected())

    def test_without_pyyaml_what_it_cannot_read_is_one_line_saying_what_to_install(self):
        folder = self.folder()
        for text in ("submission_1:\n  :score: !<tag:x> 5\n", "submission_1: &a\n  :submitters: []\nsubmission_2: *a\n",
                     "submission_1:\n  :submitters: [{':name': x}]\n", "a: |\n  text\n"):
            path = self.write(folder, text)
            with self.subTest(text[:30]), mock.patch.dict(sys.modules, {"yaml": None}), \
                    self.assertRaises(export.ExportError) as caught:
                export.read_metadata(path)
            message = str(caught.exception)
            self.assertNotIn("\n", message)
            self.assertRegex(message, r"submission_metadata\.yml: line \d+: .*; install PyYAML to read it "
                                      r"\(python3 -m pip install pyyaml\)$")

    def test_not_an_export_yml_is_one_line(self):
        folder = self.folder()
        cases = {"- a\n- b\n": "expected a mapping of submission folders", b"\xff\xfe": "not UTF-8",
                 "a: 'x\n": "line "}
        for content, says in cases.items():
            path = os.path.join(folder, export.METADATA)
            with open(path, "wb") as f:
                f.write(content.encode() if isinstance(content, str) else content)
            with self.subTest(says), self.assertRaises(export.ExportError) as caught:
                export.read_metadata(path)
            self.assertIn(says, str(caught.exception))
        os.remove(path)
        os.symlink("/etc/passwd", path)
        with self.assertRaises(export.ExportError):
            export.read_metadata(path)  # a link is never followed

    def test_hostile_names_are_escaped_and_cut(self):
        path = self.write(self.folder(), 'submission_1:\n  :submitters:\n  - :name: "\\e[31mEve\\nx"\n'
                                         f"    :sid: '{'9' * 500}'\n    :email: ['x']\n")
        with mock.patch.dict(sys.modules, {"yaml": None}), self.assertRaises(export.ExportError):
            export.read_metadata(path)  # a flow list: not the subset
        path = self.write(os.path.dirname(path), 'submission_1:\n  :submitters:\n  - :name: "\\e[31mEve\\nx"\n'
                                                 f"    :sid: '{'9' * 500}'\n")
        person = export.read_metadata(path)["submission_1"][0]
        self.assertEqual(person.name, "\\x1b[31mEve\\nx")
        self.assertEqual(len(person.sid), export.FIELD_WIDTH + 3)

    @unittest.skipIf(yaml is None or hypothesis is None, NEEDS_PYYAML + " (and hypothesis)")
    def test_the_subset_reader_reads_as_pyyaml_or_refuses(self):
        """Whatever PyYAML writes in block style, read_yaml_subset reads exactly as PyYAML's BaseLoader reads it,
        or refuses it: never a wrong reading."""
        text = strategies.text(strategies.characters(blacklist_categories=("Cs",)), max_size=12)
        leaves = strategies.one_of(text, strategies.just(""))
        values = strategies.recursive(leaves, lambda children: strategies.one_of(
            strategies.lists(children, max_size=3), strategies.dictionaries(text, children, max_size=3)),
            max_leaves=12)
        documents = strategies.dictionaries(text, values, min_size=1, max_size=4)

        read = []

        @hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
        @hypothesis.given(documents, strategies.booleans())
        def reads_alike(document, gradescope_style):
            written = yaml.safe_dump(document, default_flow_style=False, allow_unicode=True,
                                     indent=2 if gradescope_style else 4)
            try:
                got = export.read_yaml_subset(written)
            except export.YamlSubsetError:
                return
            read.append(written)
            self.assertEqual(got, yaml.load(written, Loader=yaml.BaseLoader))

        reads_alike()
        self.assertGreater(len(read), 75, "the subset reader refuses most documents: the test would prove nothing")


def export_folder(test: unittest.TestCase, folders: Dict[str, Dict[str, str]], yml: Optional[str]) -> str:
    """An export laid out as Gradescope's: submission folders holding these files, and the yml when given."""
    root = tempfile.mkdtemp(prefix="export-")
    test.addCleanup(shutil.rmtree, root, True)
    for folder, files in folders.items():
        os.makedirs(os.path.join(root, folder))
        for name, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, folder, name)), exist_ok=True)
            with open(os.path.join(root, folder, name), "w") as f:
                f.write(text)
    if yml is not None:
        with open(os.path.join(root, export.METADATA), "w") as f:
            f.write(yml)
    return root


class TestExportFolders(unittest.TestCase):
    def test_each_folder_is_an_upload_with_its_submitters_and_the_yml_is_never_one(self):
        root = export_folder(self, {"submission_271828": {"neuralnet.py": "x"}, "submission_271829": {},
                                    "submission_5": {"hw5/neuralnet.py": "x"}, "notes": {}}, GRADESCOPE_YML)
        os.symlink("/etc", os.path.join(root, "submission_6"))
        self.assertTrue(export.is_export(root))
        found = export.collect([root, NEURALNET])
        self.assertEqual([(u.label, u.path, len(u.submitters)) for u in found.uploads],
                         [("submission_271828", os.path.join(root, "submission_271828"), 1),
                          ("submission_271829", os.path.join(root, "submission_271829"), 2),
                          ("submission_5", os.path.join(root, "submission_5"), 0),
                          ("submission_6", os.path.join(root, "submission_6"), 0),  # a link: upload.py refuses it
                          (NEURALNET, NEURALNET, 0)])
        self.assertNotIn(export.METADATA, " ".join(u.path for u in found.uploads))
        self.assertEqual(len(found.notes), 2)
        self.assertIn("2 folders not in submission_metadata.yml (graded under the folder's name): submission_5, "
                      "submission_6", found.notes[0])
        self.assertIn("left out, as neither submission_metadata.yml nor a submission folder: 'notes'", found.notes[1])

    def test_a_folder_the_yml_names_that_is_not_there_is_a_row_never_a_path(self):
        yml = "submission_1:\n  :submitters:\n  - :name: Ada\n../../etc:\n  :submitters:\n  - :name: Eve\n"
        root = export_folder(self, {"submission_1": {}}, yml)
        uploads = export.collect([root]).uploads
        self.assertEqual([(u.label, u.path, bool(u.missing)) for u in uploads],
                         [("submission_1", os.path.join(root, "submission_1"), False), ("../../etc", "", True)])
        self.assertIn("names a folder '../../etc' that is not in the export", uploads[1].missing)

    def test_an_export_open_to_other_users_is_told_apart(self):
        root = export_folder(self, {"submission_1": {}}, None)  # mkdtemp: its owner's only
        self.assertFalse(export.open_to_others(os.path.join(root, "submission_1")))
        os.chmod(root, 0o755)
        above = [tempfile.gettempdir()] + [os.path.dirname(tempfile.gettempdir())]
        self.assertEqual(export.open_to_others(root), all(os.stat(p).st_mode & 0o001 for p in above))

    def test_the_folder_an_export_was_unzipped_into_is_that_export(self):
        root = export_folder(self, {"assignment_31415_export/submission_1": {}}, None)
        inside = os.path.join(root, "assignment_31415_export")
        self.assertEqual(export.export_within(root), inside)
        self.assertEqual([u.path for u in export.collect([root]).uploads], [os.path.join(inside, "submission_1")])
        self.assertIsNone(export.export_within(inside))

    def test_an_export_without_its_yml(self):
        root = export_folder(self, {"submission_1": {}, "submission_2": {}}, None)
        found = export.collect([root])
        self.assertEqual([u.label for u in found.uploads], ["submission_1", "submission_2"])
        self.assertIn("no submission_metadata.yml", found.notes[0])
        self.assertFalse(export.is_export(os.path.join(root, "submission_1")))  # an upload folder is one upload


# ----------------------------------------------------------------------------
# The batch's rows: its line, summary, CSV and reports
# ----------------------------------------------------------------------------

def results_json(tests, ending: report.Ending, score=None) -> dict:
    """A results.json as report.gradescope writes it, from (name, score, max_score, mistakes) tests."""
    entries = [{"name": n, "score": s, "max_score": m, "output": "", "visibility": "visible",
                **({"extra_data": {"mistakes": list(ids)}} if ids else {})} for n, s, m, ids in tests]
    return {"score": sum(t[1] for t in tests) if score is None else score, "execution_time": 1.0,
            "output_format": "text", "output": "", "tests": entries, "extra_data": ending.as_json()}


ADA, ALAN = export.Submitter("Ada Example", "0815", "ada@example.edu"), export.Submitter("Alan Example", "1913", "")
EVE = export.Submitter("=HYPERLINK(\"http://x\")", "7", "eve@example.edu")


class TestBatchRows(unittest.TestCase):
    def graded(self):
        # points as the bundle's settings spread them, in hundredths whose sum in floats is not exact
        shares = settings.spread(15, [1] * 16) + [5.0] + settings.spread(35, [4] * 7 + [5] * 2)
        self.assertNotEqual(sum(shares), 55)  # (55.00000000000001: what grade.py --config once showed)
        self.lost = shares[17]  # the first cli run, failed below
        full = results_json([(f"c{i}", s, s, ()) for i, s in enumerate(shares)], report.Ending(GRADED, "every check "
                                                                                                          "passed"))
        part = results_json([(f"c{i}", 0 if i == 17 else s, s, ("no-shuffle",) if i == 17 else ())
                             for i, s in enumerate(shares)], report.Ending(GRADED, "c17: mistake: no-shuffle: ..."))
        unexplained = results_json([("cli:x", 0, 4.81, ()), ("api:y", 0.59, 0.59, ())],
                                   report.Ending(GRADED, "cli:x: labels differ", "cli:x"))
        empty = upload.results("the upload is empty: upload one file named neuralnet.py", 1.0, 55)
        return [batch.read(export.Upload("/e/submission_1", "submission_1", (ADA,)), batch.UploadGrade(full, "", "")),
                batch.read(export.Upload("/e/submission_2", "submission_2", (ALAN, EVE)),
                           batch.UploadGrade(part, "", "")),
                batch.read(export.Upload("/e/submission_3", "submission_3"), batch.UploadGrade(unexplained, "", "")),
                batch.read(export.Upload("/e/submission_4", "submission_4", (export.Submitter("Bo", "", ""),)),
                           batch.UploadGrade(empty, "", "")),
                batch.read(export.Upload("", "submission_9", (export.Submitter("Cy", "9", ""),),
                                         "submission_metadata.yml names a folder 'submission_9' that is not in the "
                                         "export"), batch.UploadGrade(None, "", "not there"))]

    def test_points_are_exact_hundredths(self):
        full, part, unexplained, empty, missing = self.graded()
        self.assertEqual((full.score, full.max_score), (5500, 5500))
        self.assertEqual((part.score, part.mistakes), (5500 - report.hundredths(self.lost), ("no-shuffle",)))
        self.assertEqual((unexplained.score, unexplained.max_score, unexplained.unexplained), (59, 540, "cli:x"))
        self.assertEqual((empty.score, empty.max_score, empty.ended), (0, 5500, NOT_GRADED))
        self.assertEqual((missing.score, missing.max_score), (None, None))
        self.assertEqual([report.points_text(c) for c in (5500, 547, 2750, 5, None)],
                         ["55", "5.47", "27.50", "0.05", ""])

    def test_the_line_and_the_summary_say_how_each_ended_and_why(self):
        graded = self.graded()
        lines = [batch.line(g, 12, 40) for g in graded]
        self.assertRegex(lines[0], r"^submission_1  Ada Example \(0815\) +55/55  graded +mistakes: -$")
        self.assertRegex(lines[3], r"0/55  not graded +mistakes: -  \(the upload is empty: upload one file named")
        self.assertIn("(cli:x: labels differ)", lines[2])
        summary = batch.summary(graded)  # a float maximum (55) no longer stops it: hundredths throughout
        self.assertIn("class summary: 5 uploads (6 students): 3 graded, 2 not graded", summary)
        self.assertRegex(summary, r"scores out of 55 \(mean \d+\.\d\d\): 55: 1 \| 90-99%: 1 \|")
        self.assertRegex(summary, r"\n  no-shuffle +1\n")
        self.assertRegex(summary, r"failures no catalogued mistake explains \(uploads, by first failing check\):\n"
                                  r"  cli:x +1\n")
        self.assertIn("not graded (what to fix):\n  submission_4: the upload is empty", summary)

    def test_the_csv_has_a_row_per_student_sorted_for_a_gradebook(self):
        folder = tempfile.mkdtemp(prefix="batch-csv-")
        self.addCleanup(shutil.rmtree, folder, True)
        path = os.path.join(folder, "class.csv")
        batch.write_csv(path, self.graded())
        with open(path, newline="") as f:
            text = f.read()
        rows = list(csv.DictReader(io.StringIO(text)))
        self.assertNotIn("\r", text)
        self.assertEqual(list(rows[0]), list(batch.CSV_COLUMNS))
        part = report.points_text(5500 - report.hundredths(self.lost))
        self.assertEqual([(r["name"], r["submission"], r["score"], r["max_score"], r["ended"]) for r in rows],
                         [("'=HYPERLINK(\"http://x\")", "submission_2", part, "55", GRADED),
                          ("Ada Example", "submission_1", "55", "55", GRADED),
                          ("Alan Example", "submission_2", part, "55", GRADED),
                          ("Bo", "submission_4", "0", "55", NOT_GRADED),
                          ("Cy", "submission_9", "", "", NOT_GRADED),
                          ("", "submission_3", "0.59", "5.40", GRADED)])
        self.assertTrue(all(r["detail"] for r in rows), "every row says why")
        self.assertEqual(rows[2]["mistakes"], "no-shuffle")

    def test_reports_are_named_by_sid_or_folder_and_stay_in_their_folder(self):
        folder = tempfile.mkdtemp(prefix="batch-reports-")
        self.addCleanup(shutil.rmtree, folder, True)
        reports = batch.Reports(folder)
        grade = batch.UploadGrade({"score": 0}, "the report\n", "")
        reports.write(export.Upload("/e/submission_2", "submission_2", (ALAN, EVE)), grade)
        reports.write(export.Upload("/e/s", "../../etc/passwd", (export.Submitter("x", "../../x", ""),)), grade)
        reports.write(export.Upload("/e/submission_3", "submission_3"), grade)
        reports.write(export.Upload("/e/submission_4", "submission_4", (export.Submitter("y", "1913", ""),)),
                      batch.UploadGrade(None, "", "grade.py failed"))
        self.assertEqual(sorted(os.listdir(folder)), ["1913-2.txt", "1913.json", "1913.txt", "7.json", "7.txt",
                                                      "submission_3.json", "submission_3.txt", "x.json", "x.txt"])
        with open(os.path.join(folder, "1913.json")) as f:
            self.assertEqual(json.load(f), {"score": 0})
        with open(os.path.join(folder, "1913-2.txt")) as f:
            self.assertEqual(f.read(), "not graded: grade.py failed\n")
        self.assertEqual([batch.safe_name(n) for n in ("CON", ".hidden", "a b/c", "")], ["_CON", "hidden", "a_b_c",
                                                                                        "upload"])


class TestBatchInput(unittest.TestCase):
    """Bad input to a class's grade: one line naming what, exit 2, nothing written, before any grade runs."""

    def grade(self, *args, cwd=None):
        return subprocess.run([sys.executable, GRADE, *args], capture_output=True, text=True, timeout=120, cwd=cwd)

    def test_bad_input_is_one_line_and_writes_nothing(self):
        folder = tempfile.mkdtemp(prefix="batch-input-")
        self.addCleanup(shutil.rmtree, folder, True)
        root = export_folder(self, {"submission_1": {"neuralnet.py": "x"}}, "submission_1: [unclosed\n")
        archive = os.path.join(folder, "export.zip")
        with open(archive, "wb") as f:
            f.write(b"PK\5\6" + bytes(18))
        a_file = os.path.join(folder, "notes.txt")
        with open(a_file, "w") as f:
            f.write("x")
        cases = [(("export.zip",), "'export.zip' is a zip archive: unzip it first"),
                 ((root, "--reports", a_file), "--reports"),
                 ((root, "--csv", os.path.join(folder, "no", "class.csv")), "its directory does not exist"),
                 ((root, "--json", os.path.join(folder, "r.json")), "--json takes one submission"),
                 ((root, "--csv", os.path.join(folder, "class.csv"), "--reports", os.path.join(folder, "reports")),
                  "submission_metadata.yml: ")]
        for args, says in cases:
            with self.subTest(says):
                result = self.grade(*args, cwd=folder)
                self.assertEqual((result.returncode, result.stdout), (2, ""))
                self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
                self.assertIn(says, result.stderr)
                self.assertEqual(sorted(os.listdir(folder)), ["export.zip", "notes.txt"])

    def test_a_grade_that_never_ends_is_not_graded_and_the_batch_goes_on(self):
        folder = tempfile.mkdtemp(prefix="batch-hang-")
        self.addCleanup(shutil.rmtree, folder, True)
        hanging = os.path.join(folder, "hanging_grade.py")
        with open(hanging, "w") as f:
            f.write("import time\ntime.sleep(600)\n")
        started = time.monotonic()
        graded = batch.LocalGrade(hanging, [], [], timeout=1)("anything")
        self.assertLess(time.monotonic() - started, 60)
        self.assertEqual(graded, batch.UploadGrade(None, "", "grade.py did not finish within 1 s"))


if __name__ == "__main__":
    unittest.main()
