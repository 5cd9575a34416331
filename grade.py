"""Grade any neuralnet.py against this one, and name the classic mistake when it differs.

    python3 grade.py PATH/TO/neuralnet.py [--quick] [--json PATH] [--timeout SECONDS] [--tol TOL]
    python3 grade.py EXPORT_FOLDER [--config settings.json] [--jobs N] [--csv PATH] [--reports DIR]
                                                                # a class from Gradescope's export
    python3 grade.py A.py B.py ... [--jobs N] [--csv PATH]      # several files: a line each, a summary
    python3 grade.py --make-autograder autograder.zip
    python3 grade.py --docker A.py ... | EXPORT_FOLDER [--bundle autograder.zip] [--image BASE] [--jobs N]
                                                                # in the bundle's own image, as Gradescope grades

Four sections, each check named "section:what":
  env:    (no points: warnings) read from the source: imports outside the standard library
          and numpy, syntax newer than Python 3.9, code that runs at import;
  api:    the handout's API (random_init, zero_init, Linear, Sigmoid, SoftMaxCrossEntropy,
          NN) on the handout's vectors and against a plain implementation;
  trace:  this project's NN and the submission's stepped side by side through the first
          SGD steps (RANDOM init, small set): the first quantity that differs, and where;
  cli:    the submission's command line on a grid of configurations, its outputs read
          leniently (each deviation from the handout's format named, with its line) and
          compared with this project's (labels identical, every metric within --tol). A
          failing configuration is explained from the evidence: the mistakes of real
          students' code found otherwise (an ignored argument, a RANDOM init or shuffle
          that differs from run to run, ...), then a catalog of classic mistakes
          (grader/catalog.py), named "mistake: <id>" only where exactly one reproduces
          outputs of a network that trained.

The grade itself is grader/pipeline.py's; this file is its command.
The submission's code only ever returns values: its functions' results (api, trace) and
its output files (cli). Every expected value is computed here, in grade.py's process, and
every verdict is decided here. Each run of the submission gets a fresh folder, limits and
--timeout seconds; as root on Linux it runs as a uid of the grade's own (or --user), the
grader's files made unreachable to it and the network cut (grader/isolation.py picks the
runner). Exit status: 0 when every check passes, 1 when any fails, 2 for bad arguments or
when grading itself fails. --json writes Gradescope's
results.json, always, after every process of the submission is gone.
"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from typing import Callable, List, Optional, Sequence, Tuple

# isort: off
from grader import reference  # standard library only

if __name__ == "__main__":  # before neuralnet is imported: the one beside grade.py must be its reference
    status = reference.check(sys.argv[1:], sys.stderr)
    if status is not None:
        sys.exit(status)

try:
    import neuralnet  # before numpy: it keeps BLAS to one thread
except ImportError as missing:  # no numpy: neuralnet's one line on how to set up
    raise SystemExit(f"grade.py: error: {missing}") from None
# isort: on

from grader import batch, bundle, docker, export, isolation, pipeline, report, settings, upload
from grader.isolation import make_runner
from grader.runner import Budget, Limits, SandboxError

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = pipeline.DATA
GRADING_TOLERANCE = 1e-6  # how far a submission's metrics may be from this project's


def byte_size(text: str) -> int:
    """'4G', '256M', '512k' or a plain number of bytes."""
    match = re.fullmatch(r"\s*(\d+)\s*([kKmMgG]?)i?[bB]?\s*", text)
    if not match or int(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 4G, 256M or 65536")
    return int(match.group(1)) << {"": 0, "k": 10, "m": 20, "g": 30}[match.group(2).lower()]


def positive(kind: type) -> Callable[[str], object]:
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
        return value
    return parse


class OneLineParser(argparse.ArgumentParser):
    """grade.py's arguments: a bad one is one line on stderr naming it, and exit status 2 (the usage is --help's)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class Once(argparse.Action):
    """An option that takes one value: given twice, it is refused, where argparse would keep the last value and
    lose the first without a word (--points api=10 --points cli=45)."""

    def __call__(self, parser, namespace, values, option_string=None):
        given = vars(namespace).setdefault("_given", {})
        if self.dest in given:
            parser.error(f"{option_string} is given twice ({given[self.dest]} and {values}): give it once")
        given[self.dest] = values
        setattr(namespace, self.dest, values)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="grade.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submission", nargs="*",
                        help="the neuralnet.py to grade, or a folder as uploaded (the one neuralnet.py in it, at "
                             "any depth, never through a link); several, or Gradescope's export folder (its "
                             "submission_metadata.yml and submission_* folders): a line each and a class summary")
    parser.add_argument("--quick", action="store_true", help="leave out the medium-set runs")
    parser.add_argument("--json", action=Once, metavar="PATH", help="also write Gradescope's results.json here")
    parser.add_argument("--timeout", action=Once, type=positive(float),
                        help=f"seconds per run of the submission (default {Budget.DEFAULT_TIMEOUT:g}, or --config's; "
                             "with --make-autograder, the bundle's)")
    parser.add_argument("--total-timeout", action=Once, type=positive(float), metavar="SECONDS",
                        help="seconds for the whole grade; then the checks left fail as not run (default "
                             f"{Budget.QUICK_TOTAL:g} with --quick, else {Budget.FULL_TOTAL:g}; at most 10 x "
                             "--timeout; or --config's; with --make-autograder, the bundle's)")
    parser.add_argument("--tol", action=Once, type=float, default=GRADING_TOLERANCE,
                        help=f"largest absolute metric difference allowed (default {GRADING_TOLERANCE:g})")
    parser.add_argument("--python", action=Once, default=sys.executable,
                        help="the Python that runs the submission (default: the one running grade.py)")
    parser.add_argument("--user", action=Once, default="",
                        help="as root, the user the submission runs as; it must have no processes (each run ends "
                             "with every process of it killed) and its process limit counts host-wide. Default: a "
                             "uid chosen for each grade, unused and with no passwd entry, which concerns that grade "
                             "only. For several submissions graded at once, a comma-separated list, one user per "
                             "parallel grade")
    parser.add_argument("--jobs", action=Once, type=positive(int), default=os.cpu_count() or 1, metavar="N",
                        help="several submissions: how many to grade at once (default: the number of cores)")
    parser.add_argument("--csv", action=Once, metavar="PATH",
                        help="a class: also write a row per student here (name, sid, email, submission, score, "
                             "max_score, ended, mistakes, detail), sorted by name, for a gradebook")
    parser.add_argument("--reports", action=Once, metavar="DIR",
                        help="a class: keep each upload's text report and results.json in this folder (made if it "
                             "is not there), as SID.txt and SID.json, or by the folder's name without a SID")
    parser.add_argument("--memory", action=Once, type=byte_size, default=4 << 30, metavar="SIZE",
                        help="address space per process of the submission (default 4G, or the container's "
                             "memory limit where its cgroup says a lower one)")
    parser.add_argument("--max-file-size", action=Once, type=byte_size, default=256 << 20, metavar="SIZE",
                        help="size of any file it writes (default 256M)")
    parser.add_argument("--max-processes", action=Once, type=positive(int), default=64, metavar="N",
                        help="as root, processes of the user at once (default 64)")
    parser.add_argument("--cpu-time", action=Once, type=positive(int), metavar="SECONDS",
                        help="CPU seconds per process (default: --timeout, rounded up)")
    parser.add_argument("--disk", action=Once, type=byte_size, default=512 << 20, metavar="SIZE",
                        help="as root: everything a run writes, in its folder and in /tmp, /var/tmp, /dev/shm "
                             "(default 512M)")
    parser.add_argument("--config", action=Once, metavar="PATH",
                        help="the bundle's settings.json: the points and visibility of the sections, and the "
                             "seconds per run and per grade unless --timeout or --total-timeout is given (default: "
                             "1 point per api check, 5 for the trace, 4 per small-set and 5 per medium-set run, "
                             "every test visible)")
    parser.add_argument("--docker", action="store_true",
                        help="grade in the bundle's own Docker image, as Gradescope will: the image built once per "
                             "bundle and base (setup.sh as root) and reused, each submission in a container of its "
                             "own with Gradescope's 768 MB and half a CPU, results.json read back from it; needs "
                             "docker and a daemon it can reach")
    parser.add_argument("--bundle", action=Once, metavar="ZIP",
                        help="with --docker: the autograder.zip to grade with (default: one made from this "
                             "checkout, with --config's settings where given)")
    parser.add_argument("--image", action=Once, metavar="BASE", default=docker.GRADESCOPE_BASE,
                        help=f"with --docker: the base image the bundle's image is built on (default "
                             f"{docker.GRADESCOPE_BASE}, Gradescope's default)")
    parser.add_argument("--make-autograder", action=Once, metavar="ZIP",
                        help="write a Gradescope autograder bundle (setup.sh, run_autograder, the grader, "
                             "settings.json) and exit")
    parser.add_argument("--total-points", action=Once, type=float, metavar="POINTS",
                        help=f"with --make-autograder: the points of the whole grade (default: what --points adds up "
                             f"to, else {settings.DEFAULT_TOTAL}, the handout's programming points); with --points, "
                             "they must add up to it")
    parser.add_argument("--points", action=Once, metavar="SPLIT",
                        help="with --make-autograder: the points of every section, e.g. api=10,trace=10,cli=35 "
                             "(default api=15,trace=5,cli=35, scaled to --total-points)")
    parser.add_argument("--visibility", action="append", metavar="GROUPS",
                        help="with --make-autograder: Gradescope's visibility per group (env, api, trace, cli-small, "
                             "cli-medium, or cli for both): visible, after_due_date, after_published or hidden, "
                             "e.g. cli-medium=after_due_date (default: all visible); given several times, the groups "
                             "merge")
    parser.add_argument("--numpy", action=Once, metavar="VERSION",
                        help=f"with --make-autograder: the course's numpy, which setup.sh installs; it must have a "
                             f"wheel for --image-python (default {settings.DEFAULT_NUMPY}, or the nearest release "
                             "with one, said)")
    parser.add_argument("--image-python", action=Once, metavar="VERSION",
                        help=f"with --make-autograder: the Python that the Gradescope image's python3 runs (default "
                             f"{settings.DEFAULT_PYTHON}, the handout's; another is warned about)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    started = time.monotonic()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.make_autograder:
        try:
            course, warnings = settings.build(args.total_points, args.points, args.visibility, args.numpy,
                                              args.image_python, args.timeout, args.total_timeout)
        except settings.SettingsError as e:
            print(f"grade.py: error: {e}", file=sys.stderr)
            return 2
        for warning in warnings:
            print(f"grade.py: warning: {warning}", file=sys.stderr)
        try:
            bundle.make(args.make_autograder, HERE, DATA, course.as_json())
        except OSError as e:
            print(f"grade.py: error: {args.make_autograder}: {e.strerror or e}", file=sys.stderr)
            return 2
        print(f"wrote {args.make_autograder}: {settings.describe(course)}")
        return 0
    if args.points or args.visibility or args.numpy or args.total_points is not None or args.image_python:
        parser.error("--points, --total-points, --visibility, --numpy and --image-python go with --make-autograder; "
                     "to grade with them, pass --config")
    if not args.submission:
        parser.error("the submission (a neuralnet.py) is required")
    if (args.bundle or args.image != docker.GRADESCOPE_BASE) and not args.docker:
        parser.error("--bundle and --image go with --docker")
    for option, path in (("--json", args.json), ("--csv", args.csv), ("--reports", args.reports)):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            parser.error(f"{option} {path!r}: its directory does not exist")
    if args.reports and os.path.exists(args.reports) and not os.path.isdir(args.reports):
        parser.error(f"--reports {args.reports!r}: not a folder")
    if args.tol < 0:
        parser.error("--tol must be 0 or more")
    archive = next((s for s in args.submission if os.path.isfile(s) and s.lower().endswith(".zip")), None)
    if archive:
        parser.error(f"{archive!r} is a zip archive: unzip it first (unzip -q {archive} -d export) and give the "
                     "folder it makes")
    python = shutil.which(args.python)
    if python is None:
        parser.error(f"--python {args.python!r}: no such interpreter")
    users = [u for u in args.user.split(",") if u]
    if len(args.submission) > 1 or export.is_export(args.submission[0]) or export.export_within(args.submission[0]):
        if args.json:
            parser.error("--json takes one submission; a class is summarised, --csv writes a row per student and "
                         "--reports keeps each results.json")
        return grade_class(parser, args, python, users)
    if args.csv or args.reports:
        parser.error("--csv and --reports go with several submissions or an export folder; for one, --json")
    if args.docker:
        return grade_in_image(args)
    args.submission, args.user = args.submission[0], users[0] if users else ""

    def fail(error: str) -> int:
        print(f"grade.py: error: {error}", file=sys.stderr)
        if args.json:
            report.write_json(args.json, report.failure(error, time.monotonic() - started, out_of(course)))
        return 2

    def out_of(course: Optional[settings.Settings]) -> Optional[float]:
        """The points this grade is out of, known before any run: the course's, else grade.py's own weights."""
        return sum(course.points.values()) if course else pipeline.max_score(args.quick)

    course: Optional[settings.Settings] = None

    if not os.path.lexists(args.submission):
        return fail(f"{args.submission!r} is not a file")
    try:
        course = settings.load(args.config) if args.config else None
    except settings.SettingsError as e:
        return fail(str(e))
    try:  # the student's upload: the one neuralnet.py in a folder, never read through a link
        found = upload.locate(args.submission)
        submission = upload.read_submission(found)
    except upload.UploadError as e:  # the student's 0, with what to fix: not the grader failing
        print(f"grading {report.escape(args.submission)}: not graded: {e}\nscore: 0")
        if args.json:
            report.write_json(args.json, upload.results(str(e), time.monotonic() - started, out_of(course)))
        return 1
    notes = [*found.notes, upload.helper_note(upload.helper_imports(submission, found))]
    # --timeout and --total-timeout given win; else the bundle's settings (--config), else Budget's defaults.
    timeout, total = times(args, course)
    limits = Limits(timeout=timeout, total=total, memory=args.memory,
                    file_size=args.max_file_size, processes=args.max_processes,
                    cpu=args.cpu_time or int(-(-timeout // 1)), disk=args.disk)
    upload_folder = os.path.abspath(args.submission if os.path.isdir(args.submission) else found.root)
    # The record of who submitted beside the submission's folder is hidden too: Gradescope's harness's (names,
    # earlier results), and in an export, the yml that names the whole class.
    hidden = [HERE, DATA, upload_folder, os.path.join(os.path.dirname(upload_folder), "submission_metadata.json"),
              os.path.join(os.path.dirname(upload_folder), export.METADATA)]
    if args.json:
        hidden.append(os.path.dirname(os.path.abspath(args.json)))
    error = ""
    try:  # the runner's block ends, and every process of the submission with it, before anything is written
        with make_runner(python, args.user, limits, hidden,
                         namespaces=not os.environ.get("GRADE_NO_NAMESPACES")) as runner:
            show = sys.stderr.isatty()  # progress on a terminal only
            results = pipeline.grade(submission, found.path, runner, args.quick, args.tol,
                                     lambda text: show and print(f"grade.py: {text}", file=sys.stderr, flush=True))
            limits_line = f"limits: {runner.describe_limits()}"
            header = [runner.isolation, limits_line, *filter(None, notes)]
            if runner.budget.ran_past_total():  # said, so that a TA comparing two grades' times sees why
                header.append(f"note: a busy machine: this project's own work took {runner.budget.stretch:.1f} times "
                              f"its CPU time in this grade, so the whole grade had "
                              f"{runner.budget.described_total()}")
            if runner.retried:  # never silent: a run ended from outside its limits was run again
                header.append(f"note: {len(runner.retried)} run(s) killed by SIGKILL from outside their limits "
                              f"were run again ({', '.join(sorted(set(runner.retried)))})")
    except (SandboxError, neuralnet.FileError) as e:
        error = str(e)
    except OSError as e:
        error = f"{type(e).__name__}: {e}"
    except Exception as e:  # noqa: BLE001  (a bug of the grader's own: still a results.json)
        error = f"unexpected {type(e).__name__}: {e}"
    if error:
        return fail(error)
    if course is not None:
        results = settings.apply(course, results)
    print(report.text(args.submission, header, results))
    if args.json:
        # results.json's output is the student's: the upload's notes and the limits, never how the submission was
        # isolated (that is staff's, in the text report above: run_autograder's stdout)
        report.write_json(args.json, report.gradescope([*filter(None, notes), limits_line], results,
                                                       time.monotonic() - started))
    return 0 if all(r.passed for r in results if r.max_score) else 1


def times(args: argparse.Namespace, course: Optional[settings.Settings]) -> Tuple[float, float]:
    """The seconds per run and for the whole grade: --timeout and --total-timeout where given, else the bundle's
    settings (--config), else Budget's defaults (the whole grade's from the time per run and --quick)."""
    timeout = args.timeout or (course.timeout if course else Budget.DEFAULT_TIMEOUT)
    total = args.total_timeout or (course.total_timeout if course and not args.timeout else
                                   Budget.default_total(timeout, args.quick))
    return timeout, total


def grade_class(parser: argparse.ArgumentParser, args: argparse.Namespace, python: str, users: List[str]) -> int:
    """Several submissions, or Gradescope's export: each upload graded by grade.py in its own process (grader/batch.py),
    after every argument and the export's yml have been checked, so that bad input writes nothing."""
    try:
        found = export.collect(args.submission)
        course = settings.load(args.config) if args.config else None
    except (export.ExportError, settings.SettingsError) as e:
        print(f"grade.py: error: {e}", file=sys.stderr)
        return 2
    if not found.uploads:
        parser.error(f"no submission to grade in {', '.join(repr(s) for s in args.submission)}")
    header = list(found.notes)
    if course is not None:
        header.append(f"settings: {report.escape(args.config)}: {settings.describe(course)}"
                      + ("; with --quick the medium-set runs are left out, so scores are not the bundle's"
                         if args.quick else ""))
    image = None
    if args.docker:  # each upload in a container of the bundle's image: isolated as on Gradescope
        image = image_grade(args)
        if image is None:
            return 2
        header.append(image.described)
    elif not isolation.isolates():
        header.append(isolation.UNISOLATED)
    else:
        header += [f"export {report.escape(path)!r}: other users can reach it, so a submission run without a mount "
                   "namespace could read the other uploads; unzip exports in a folder only you can read (mkdir -m 700)"
                   for path in args.submission if (export.is_export(path) or export.export_within(path))
                   and export.open_to_others(path)]
    reports = None
    if args.reports:
        os.makedirs(args.reports, exist_ok=True)
        reports = batch.Reports(args.reports)
    _, total = times(args, course)
    grade = image or batch.LocalGrade(os.path.abspath(__file__), batch_options(parser, args, python), users,
                                      4 * total + 300)
    return batch.run(found.uploads, grade, args.jobs, header, args.csv, reports)


def image_grade(args: argparse.Namespace) -> Optional[docker.ImageGrade]:
    """--docker: the bundle's image (built once per bundle and base, grader/docker.py), ready to grade uploads; None
    where Docker, its daemon, the bundle or the base is missing (said in one line)."""
    show = sys.stderr.isatty()  # progress (pulling, building) on a terminal only
    folder = tempfile.mkdtemp(prefix="grade-docker-")
    try:
        client = docker.Docker()
        client.check_daemon()
        zip_path = args.bundle
        if not zip_path:  # this checkout's bundle, with the course's settings where --config gives them
            course = settings.load(args.config) if args.config else settings.build()[0]
            zip_path = os.path.join(folder, "autograder.zip")
            bundle.make(zip_path, HERE, DATA, course.as_json())
        image = docker.AutograderImage(client, zip_path, args.image)
        image.ensure(lambda text: show and print(f"grade.py: {text}", file=sys.stderr, flush=True))
    except (docker.DockerError, settings.SettingsError) as e:
        print(f"grade.py: error: {e}", file=sys.stderr)
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return docker.ImageGrade(client, image.tag, args.image)


def grade_in_image(args: argparse.Namespace) -> int:
    """--docker on one submission: its report, from the results.json its container wrote, as Gradescope reads it."""
    path = args.submission[0]
    if not os.path.lexists(path):
        print(f"grade.py: error: {path!r} is not a file or folder", file=sys.stderr)
        return 2
    grade = image_grade(args)
    if grade is None:
        return 2
    got = grade(path)
    if got.results is None:
        print(f"grade.py: error: {got.error}", file=sys.stderr)
        return 2
    print(got.report)
    if args.json:
        report.write_json(args.json, got.results)
    tests = [t for t in got.results.get("tests", []) if isinstance(t, dict) and t.get("max_score")]
    return 0 if all(report.hundredths(t.get("score")) >= report.hundredths(t.get("max_score")) for t in tests) else 1


# Options a batch does not pass on to each submission's grade: the batch's own (its submissions, --jobs,
# --csv, --reports), what each grade is given apart (--json, --user, the resolved --python), and the bundle's.
BATCH_ONLY = {"submission", "json", "user", "python", "jobs", "csv", "reports", "make_autograder", "total_points",
              "points", "visibility", "numpy", "image_python", "help", "docker", "bundle", "image"}


def batch_options(parser: argparse.ArgumentParser, args: argparse.Namespace, python: str) -> List[str]:
    """The options a batch passes on to the grade of each submission: every option of the parser that
    a single grade takes, with its value (the default where it was not given)."""
    options = ["--python", python]
    for action in parser._actions:
        value = getattr(args, action.dest, None)
        if not action.option_strings or action.dest in BATCH_ONLY or value is None or value is False:
            continue
        option = action.option_strings[0]
        options += [option] if value is True else [option, repr(value) if isinstance(value, float) else str(value)]
    return options


if __name__ == "__main__":
    sys.exit(main())
