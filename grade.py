"""Grade any neuralnet.py against this one, and name the classic mistake when it differs.

    python3 grade.py PATH/TO/neuralnet.py [--quick] [--json PATH] [--timeout SECONDS] [--tol TOL]
    python3 grade.py A.py B.py ... [--jobs N] [--csv PATH]      # a class: a line each, a summary
    python3 grade.py --make-autograder autograder.zip

Four sections, each check named "section:what":
  env:    (no points: warnings) read from the source: imports outside the standard library
          and numpy, syntax newer than Python 3.9, code that runs at import;
  api:    the handout's API (random_init, zero_init, Linear, Sigmoid, SoftMaxCrossEntropy,
          NN) on the handout's vectors and against a plain implementation;
  trace:  this project's NN and the submission's stepped side by side through the first
          SGD steps (RANDOM init, small set): the first quantity that differs, and where;
  cli:    the submission's command line on a grid of configurations, compared with this
          project's outputs (labels identical, every metric within --tol). A failing
          configuration is compared with a catalog of classic mistakes (grader/catalog.py),
          and each one that explains it is named: "mistake: <id>"; so are the mistakes of
          real students' code found otherwise (an ignored argument, float labels, ...).

The submission's code only ever returns values: its functions' results (api, trace) and
its output files (cli). Every expected value is computed here, in grade.py's process, and
every verdict is decided here. Each run of the submission gets a fresh folder, limits and
--timeout seconds; as root on Linux it runs as --user, hidden from the grader's files and
cut off from the network (grader/runner.py, grader/sandbox.py). Exit status: 0 when every
check passes, 1 when any fails, 2 for bad arguments or when grading itself fails. --json writes Gradescope's
results.json, always, after every process of the submission is gone.
"""
import argparse
import io
import os
import re
import shutil
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

# isort: off
import neuralnet  # before numpy: it keeps BLAS to one thread
import numpy as np
# isort: on

import compare
import course_data
from grader import batch, bundle, catalog, checks, report, settings, source
from grader.checks import Config, Datasets
from grader.report import Result
from grader.runner import OUTPUT_LIMIT, Limits, Runner, RunResult, SandboxError, make_runner, size

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = course_data.folder()
PROBE = os.path.join(HERE, "grader", "probe.py")
DEFAULT_TOLERANCE = 1e-6
DEFAULT_TIMEOUT = 60.0
WEIGHTS = {"api": 1, "trace": 5, "small": 4, "medium": 5}  # points per check
QUICK_BUDGET, FULL_BUDGET = 50.0, 150.0  # default seconds for a whole grade (--total-timeout)


def why_run_failed(run: RunResult) -> str:
    """A run that was not run, was stopped, hit a limit or exited non-zero: what happened."""
    if run.status is None:
        return f"{run.problem}{report.quote(run.stderr)}"
    status = f"exit status {run.status}" if run.status >= 0 else f"killed by signal {-run.status}"
    return f"{status}{f' ({run.problem})' if run.problem else ''}{report.quote(run.stderr)}"


# ----------------------------------------------------------------------------
# api and trace: one run of probe.py; its values judged here
# ----------------------------------------------------------------------------

def api_and_trace(runner: Runner, submission: bytes, defined: Sequence[checks.Check]) -> List[Result]:
    sent = checks.inputs_of(defined)
    inputs = io.BytesIO()
    np.savez(inputs, **sent)
    with open(PROBE, "rb") as f:
        files = {"neuralnet.py": submission, "probe.py": f.read(), "inputs.npz": inputs.getvalue()}
    run = runner.run(["probe.py", "neuralnet.py", "inputs.npz", "values.npz"], files, ["values.npz"],
                      "importing the submission")
    weight = [WEIGHTS[c.name.split(":", 1)[0]] for c in defined]
    raw = run.outputs.get("values.npz")
    if run.status != 0 or raw is None:
        why = why_run_failed(run) if run.status != 0 else \
            f"the checks stopped before writing their values{report.quote(run.stderr)}"
        return [Result(c.name, False, why, w) for c, w in zip(defined, weight)]
    try:
        if len(raw) > OUTPUT_LIMIT:
            raise ValueError(f"values.npz is larger than {size(OUTPUT_LIMIT)}")
        values = checks.load_values(raw, sent)
        judged = checks.verdicts(defined, values)
    except Exception as e:  # noqa: BLE001  (whatever the submission wrote there)
        why = f"unreadable values from the checks ({type(e).__name__}: {e}){report.quote(run.stderr)}"
        return [Result(c.name, False, why, w) for c, w in zip(defined, weight)]
    other = checks.other_weights(values)
    results = []
    for c, verdict, w in zip(defined, judged, weight):
        passed, text = verdict
        lines = [text] if text else []
        if other and not passed and "Linear.w" in text:  # no w, but a matrix of its shape under another name
            lines.append(catalog.mistake_line("weights-attribute-name",
                                              f"Linear(6, 4, ...) has no w, but a 4 x 7 matrix named {other[:100]}"))
        if run.problem:  # a limit hit during the run fails every check, naming the limit
            passed = False
            lines.append(f"({run.problem})" if lines else run.problem)
        results.append(Result(c.name, passed, "\n".join(lines), w, catalog.mistake_ids(lines)))
    return results


# ----------------------------------------------------------------------------
# cli: the command line on each configuration, its outputs compared here
# ----------------------------------------------------------------------------

def parse_labels(name: str, text: str) -> Tuple[List[str], bool]:
    """A labels file's lines; labels written as integral floats ('6.0') are read as integers,
    and flagged (True), so that their values can still be compared."""
    try:
        return compare.parse_labels(text, name), False
    except compare.FormatError:
        try:
            values = [float(line) for line in text.splitlines()]
        except ValueError:
            values = []
        if not values or not all(v.is_integer() for v in values):
            raise
        return [str(int(v)) for v in values], True


def read_outputs(run: RunResult, lines: Sequence[int]) -> Tuple[Optional[checks.Outputs], str, List[str]]:
    """The three outputs a run wrote, parsed; or why they cannot be. Then the ids of the format mistakes
    read past to parse them: labels written as floats, Windows line endings. `lines`: how many lines each
    output should have; one with more than twice as many is refused unparsed (its lines would cost memory)."""
    missing = [name for name in checks.OUTPUT_NAMES if run.outputs.get(name) is None]
    if missing:
        absent = [name for name in missing if name not in run.kinds]
        found = ([f"wrote no {', '.join(absent)}"] if absent else []) + \
            [f"{name} is {run.kinds[name]}" for name in missing if name in run.kinds]
        return None, "; ".join(found), []
    texts, formats = [], []
    for name, expected in zip(checks.OUTPUT_NAMES, lines):
        raw = run.outputs[name]
        if len(raw) > OUTPUT_LIMIT:
            return None, f"unreadable output: {name}: larger than {size(OUTPUT_LIMIT)}", []
        count = raw.count(b"\n")
        if count > 2 * expected + 10:
            return None, f"unreadable output: {name}: {count} lines, where {expected} are expected", []
        if b"\r\n" in raw and "crlf-line-endings" not in formats:
            formats.append("crlf-line-endings")
        try:
            texts.append(raw.decode().replace("\r\n", "\n"))
        except UnicodeDecodeError:
            return None, f"unreadable output: {name}: not a text file", []
    try:
        (train, float_train), (validation, float_validation) = (parse_labels(checks.OUTPUT_NAMES[i], texts[i])
                                                                for i in (0, 1))
        metrics = compare.parse_metrics(texts[2], checks.OUTPUT_NAMES[2])
    except compare.FormatError as e:
        return None, f"unreadable output: {e}", []
    return (train, validation, metrics), "", formats + ["labels-not-integers"] * (float_train or float_validation)


def metrics_structure(got: List[Tuple[str, float]], expected: List[Tuple[str, float]]) -> str:
    """Which metrics lines are missing or extra ('' when both have the same lines in the same order)."""
    got_keys, expected_keys = [k for k, _ in got], [k for k, _ in expected]
    if got_keys == expected_keys:
        return ""
    missing = [k for k in expected_keys if k not in got_keys]
    extra = [k for k in got_keys if k not in expected_keys]
    parts = ([f"missing {', '.join(missing)}"] if missing else []) + ([f"extra {', '.join(extra)}"] if extra else [])
    return "; ".join(parts) or "the lines are in another order"


def constant_loss(got: List[Tuple[str, float]], expected: List[Tuple[str, float]]) -> str:
    """A note when the training cross-entropy is the same in every epoch and this project's is not."""
    mine = [v for k, v in got if k.endswith("crossentropy(train)")]
    ours = [v for k, v in expected if k.endswith("crossentropy(train)")]
    if len(mine) >= 2 and len(set(mine)) == 1 and len(set(ours)) > 1:
        return (f"the training cross-entropy is {mine[0]!r} in every epoch: the weights never change, "
                "or the loss is computed once")
    return ""


def failed(name: str, lines: Sequence[str], weight: float) -> Result:
    """A failing check whose output is these lines; the mistakes they name travel with it as ids."""
    return Result(name, False, "\n".join(lines), weight, catalog.mistake_ids(lines))


# The runs that find an ignored argument: one configuration, then each argument changed alone.
ARGUMENT_PROBES = (("hidden_units", Config("small", 2, 5, 1, 0.1)), ("hidden_units", Config("small", 2, 9, 1, 0.1)),
                   ("init_flag", Config("small", 2, 5, 2, 0.1)), ("learning_rate", Config("small", 2, 5, 1, 0.3)))


class Grading:
    """One submission's grade: its runner, source and data, and what is learnt once about it."""

    def __init__(self, runner: Runner, submission: bytes, csvs: Dict[str, bytes], data: Datasets, tol: float):
        self.runner, self.submission, self.csvs, self.data, self.tol = runner, submission, csvs, data, tol
        self.diagnoser = catalog.Diagnoser()
        tree = source.parse(submission.decode(errors="replace"))
        self.experiment_signs = source.experiment_main(tree) if tree else []
        self._ignored: Optional[List[str]] = None

    def run(self, config: Config) -> RunResult:
        files = {"neuralnet.py": self.submission,
                 **{k: v for k, v in self.csvs.items() if k.startswith(config.dataset + "_")}}
        return self.runner.run(["neuralnet.py", f"{config.dataset}_train.csv", f"{config.dataset}_validation.csv",
                                 *checks.OUTPUT_NAMES, str(config.epochs), str(config.hidden), str(config.init_flag),
                                 str(config.lr)], files, checks.OUTPUT_NAMES, f"the run {config.describe()}")

    def ignored_arguments(self) -> List[str]:
        """The arguments whose change leaves every output byte the same (run once, when first asked)."""
        if self._ignored is None:
            self._ignored = []
            runs = [(name, config, self.run(config)) for name, config in ARGUMENT_PROBES]
            base = runs[0][2]
            for name, config, run in runs[1:]:
                same = base.status == run.status == 0 and all(
                    base.outputs.get(o) is not None and base.outputs.get(o) == run.outputs.get(o)
                    for o in checks.OUTPUT_NAMES)
                if same:
                    self._ignored.append(f"{name} (runs {ARGUMENT_PROBES[0][1].describe()} and "
                                         f"{config.describe()} wrote the same bytes)")
        return self._ignored

    def experiment_lines(self) -> List[str]:
        if not self.experiment_signs:
            return []
        return [catalog.mistake_line("experiment-main", f"its main block {', '.join(self.experiment_signs)}")]

    def cli_check(self, config: Config) -> Result:
        name, weight = config.check_name(), WEIGHTS[config.dataset]
        run = self.run(config)
        if run.status != 0:
            return Result(name, False, why_run_failed(run), weight)
        X_train, _, X_validation, _ = self.data[config.dataset]
        got, problem, formats = read_outputs(run, (len(X_train), len(X_validation), 2 * config.epochs + 2))
        if got is None:
            lines = [f"{problem}{report.quote(run.stderr)}"]
            if problem.startswith("wrote no"):
                lines += self.experiment_lines()
            return failed(name, lines, weight)
        if run.problem:
            return Result(name, False, f"{run.problem}{report.quote(run.stderr)}", weight)
        reference = checks.expected_outputs(config, self.data)
        found = checks.differences(got, reference, self.tol)
        worst = found[2][1].worst
        lines = []
        if "crlf-line-endings" in formats:
            same = all(d.same for _, d in found)
            lines.append(catalog.mistake_line(
                "crlf-line-endings", "lines end in \\r\\n; read with \\n endings, they "
                + ("match the expected outputs: only the line endings are wrong" if same else "still differ (below)")))
        if "labels-not-integers" in formats:
            same = found[0][1].same and found[1][1].same
            lines.append(catalog.mistake_line(
                "labels-not-integers", "labels such as '6.0'; read as integers, they "
                + ("match the expected ones: only their format is wrong" if same else "still differ (below)")))
        if all(d.same for _, d in found):
            if formats:
                return failed(name, lines, weight)
            return Result(name, True, f"largest metric difference {worst:.3g}" if worst else "", weight)
        lines += [f"{what}: {d.describe()}" for what, d in found if not d.same]
        if worst:
            lines.append(f"largest metric difference {worst:.3g} (tolerance {self.tol:g})")
        structure = metrics_structure(got[2], reference[2])
        if structure:  # no mistake of the catalog changes the lines: no search
            lines.append(catalog.mistake_line("metrics-lines-missing", structure))
            return failed(name, lines, weight)
        lines += [note for note in [constant_loss(got[2], reference[2])] if note]
        if self.runner.deadline - time.monotonic() <= 0:
            lines.append("no search of the catalog of mistakes: the time budget was spent")
            return failed(name, lines, weight)
        ignored = self.ignored_arguments()
        if ignored:
            lines += [catalog.mistake_line("hard-coded-settings", f"ignored: {argument}") for argument in ignored]
            lines += self.experiment_lines()
            return failed(name, lines, weight)
        diagnosis = self.diagnoser(config, got, self.data, self.tol, reference)
        for ids in diagnosis:
            lines += [catalog.mistake_line(mistake_id) for mistake_id in ids]
            if len(ids) > 1:
                lines.append(f"  (these {len(ids)} together explain the outputs)")
        if not diagnosis:
            lines.append("no catalogued mistake, alone or in pairs, gives these outputs")
        return failed(name, lines, weight)


# ----------------------------------------------------------------------------
# env: what the source says, read without running it (0 points: warnings)
# ----------------------------------------------------------------------------

ENV_IMPORTS = "env:imports only the standard library and numpy, in Python 3.9 syntax"
ENV_IMPORT_SIDE_EFFECTS = "env:importing the file runs nothing"


def env_checks(submission: bytes) -> List[Result]:
    text = submission.decode(errors="replace")
    tree = source.parse(text)
    if tree is None:
        return [Result(ENV_IMPORTS, False, "the file does not parse (see api:)", 0),
                Result(ENV_IMPORT_SIDE_EFFECTS, False, "the file does not parse (see api:)", 0)]
    findings = source.outside_imports(tree) + source.newer_syntax(text, tree)
    side_effect = source.import_side_effects(tree)
    side_effect_lines = [catalog.mistake_line("import-side-effects", side_effect.text)] if side_effect else []
    return [Result(ENV_IMPORTS, not findings, "\n".join(f.text for f in findings), 0),
            Result(ENV_IMPORT_SIDE_EFFECTS, side_effect is None, "\n".join(side_effect_lines), 0,
                   catalog.mistake_ids(side_effect_lines))]


# ----------------------------------------------------------------------------
# The whole grade
# ----------------------------------------------------------------------------

def grade(submission_path: str, runner: Runner, quick: bool, tol: float,
          progress: Callable[[str], None] = lambda text: None) -> List[Result]:
    """Every check, in order; the runner's runs leave nothing behind."""
    configs = [c for c in checks.CONFIGS if not quick or c.dataset in checks.QUICK_DATASETS]
    datasets = sorted({c.dataset for c in configs})
    data = checks.load_datasets(DATA, datasets)
    csvs = {}
    for name in datasets:
        for split in ("train", "validation"):
            with open(os.path.join(DATA, f"{name}_{split}.csv"), "rb") as f:
                csvs[f"{name}_{split}.csv"] = f.read()
    with open(submission_path, "rb") as f:
        submission = f.read()
    results = env_checks(submission)
    progress("api and trace")
    results += api_and_trace(runner, submission, checks.all_checks(DATA))
    grading = Grading(runner, submission, csvs, data, tol)
    for config in configs:
        progress(f"cli {config.describe()}")
        results.append(grading.cli_check(config))
    return results


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grade.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submission", nargs="*",
                        help="the neuralnet.py to grade; several: a line each and a class summary")
    parser.add_argument("--quick", action="store_true", help="leave out the medium-set runs")
    parser.add_argument("--json", metavar="PATH", help="also write Gradescope's results.json here")
    parser.add_argument("--timeout", type=positive(float), default=DEFAULT_TIMEOUT,
                        help=f"seconds per run of the submission (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--total-timeout", type=positive(float), metavar="SECONDS",
                        help="seconds for the whole grade; then the checks left fail as not run "
                             f"(default {QUICK_BUDGET:g} with --quick, else {FULL_BUDGET:g}; at most 10 x --timeout)")
    parser.add_argument("--tol", type=float, default=DEFAULT_TOLERANCE,
                        help=f"largest absolute metric difference allowed (default {DEFAULT_TOLERANCE:g})")
    parser.add_argument("--python", default=sys.executable,
                        help="the Python that runs the submission (default: the one running grade.py)")
    parser.add_argument("--user", default="nobody",
                        help="as root, the unprivileged user the submission runs as (default nobody); for several "
                             "submissions graded at once, a comma-separated list, one user per parallel grade")
    parser.add_argument("--jobs", type=positive(int), default=os.cpu_count() or 1, metavar="N",
                        help="several submissions: how many to grade at once (default: the number of cores)")
    parser.add_argument("--csv", metavar="PATH", help="several submissions: also write a row each here")
    parser.add_argument("--memory", type=byte_size, default=4 << 30, metavar="SIZE",
                        help="address space per process of the submission (default 4G)")
    parser.add_argument("--max-file-size", type=byte_size, default=256 << 20, metavar="SIZE",
                        help="size of any file it writes (default 256M)")
    parser.add_argument("--max-processes", type=positive(int), default=64, metavar="N",
                        help="as root, processes of the user at once (default 64)")
    parser.add_argument("--cpu-time", type=positive(int), metavar="SECONDS",
                        help="CPU seconds per process (default: --timeout, rounded up)")
    parser.add_argument("--disk", type=byte_size, default=512 << 20, metavar="SIZE",
                        help="as root, with a mount namespace: everything a run writes (default 512M)")
    parser.add_argument("--config", metavar="PATH",
                        help="the points and visibility of the sections, as the bundle's settings.json holds them "
                             "(default: 1 point per api check, 5 for the trace, 4 per small-set and 5 per "
                             "medium-set run, every test visible)")
    parser.add_argument("--make-autograder", metavar="ZIP",
                        help="write a Gradescope autograder bundle (setup.sh, run_autograder, the grader, "
                             "settings.json) and exit")
    parser.add_argument("--total-points", type=float, default=settings.DEFAULT_TOTAL, metavar="POINTS",
                        help=f"with --make-autograder: the points of the whole grade (default "
                             f"{settings.DEFAULT_TOTAL}, the handout's programming points)")
    parser.add_argument("--points", metavar="SPLIT",
                        help="with --make-autograder: how the total is split between the sections, e.g. "
                             "api=10,trace=10,cli=35 (default api=15,trace=5,cli=35)")
    parser.add_argument("--visibility", metavar="GROUPS",
                        help="with --make-autograder: Gradescope's visibility per group (env, api, trace, cli-small, "
                             "cli-medium, or cli for both): visible, after_due_date, after_published or hidden, "
                             "e.g. cli-medium=after_due_date (default: all visible)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    started = time.monotonic()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.make_autograder:
        try:
            course = settings.Settings(settings.parse_points(args.points, args.total_points),
                                       settings.parse_visibility(args.visibility))
        except settings.SettingsError as e:
            print(f"grade.py: error: {e}", file=sys.stderr)
            return 2
        try:
            bundle.make(args.make_autograder, HERE, DATA, course.as_json())
        except OSError as e:
            print(f"grade.py: error: {args.make_autograder}: {e.strerror or e}", file=sys.stderr)
            return 2
        print(f"wrote {args.make_autograder}: {settings.describe(course)}")
        return 0
    if args.points or args.visibility:
        parser.error("--points and --visibility go with --make-autograder; to grade with them, pass --config")
    if not args.submission:
        parser.error("the submission (a neuralnet.py) is required")
    for option, path in (("--json", args.json), ("--csv", args.csv)):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            parser.error(f"{option} {path!r}: its directory does not exist")
    if args.tol < 0:
        parser.error("--tol must be 0 or more")
    python = shutil.which(args.python)
    if python is None:
        parser.error(f"--python {args.python!r}: no such interpreter")
    users = [u for u in args.user.split(",") if u]
    if len(args.submission) > 1:
        if args.json:
            parser.error("--json takes one submission; several are summarised, and --csv writes a row each")
        return batch.run(os.path.abspath(__file__), args.submission, batch_options(args, python), args.jobs, users,
                         args.csv)
    args.submission, args.user = args.submission[0], users[0] if users else "nobody"

    def fail(error: str) -> int:
        print(f"grade.py: error: {error}", file=sys.stderr)
        if args.json:
            report.write_json(args.json, report.failure(error, time.monotonic() - started))
        return 2

    if not os.path.isfile(args.submission):
        return fail(f"{args.submission!r} is not a file")
    try:
        course = settings.load(args.config) if args.config else None
    except settings.SettingsError as e:
        return fail(str(e))
    default_total = min(10 * args.timeout, QUICK_BUDGET if args.quick else FULL_BUDGET)
    limits = Limits(timeout=args.timeout, total=args.total_timeout or default_total, memory=args.memory,
                    file_size=args.max_file_size, processes=args.max_processes,
                    cpu=args.cpu_time or int(-(-args.timeout // 1)), disk=args.disk)
    hidden = [HERE, DATA, os.path.dirname(os.path.abspath(args.submission))]
    if args.json:
        hidden.append(os.path.dirname(os.path.abspath(args.json)))
    error = ""
    try:  # the runner's block ends, and every process of the submission with it, before anything is written
        with make_runner(python, args.user, limits, hidden,
                         namespaces=not os.environ.get("GRADE_NO_NAMESPACES")) as runner:
            show = sys.stderr.isatty()  # progress on a terminal only
            results = grade(args.submission, runner, args.quick, args.tol,
                            lambda text: show and print(f"grade.py: {text}", file=sys.stderr, flush=True))
            header = [runner.isolation, f"limits: {runner.describe_limits()}"]
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
        report.write_json(args.json, report.gradescope(header, results, time.monotonic() - started))
    return 0 if all(r.passed for r in results if r.max_score) else 1


def batch_options(args, python: str) -> List[str]:
    """The options a batch passes on to the grade of each submission."""
    options = ["--python", python, "--timeout", str(args.timeout), "--tol", repr(args.tol),
               "--memory", str(args.memory), "--max-file-size", str(args.max_file_size),
               "--max-processes", str(args.max_processes), "--disk", str(args.disk)]
    options += ["--quick"] * args.quick
    options += ["--total-timeout", str(args.total_timeout)] if args.total_timeout else []
    options += ["--cpu-time", str(args.cpu_time)] if args.cpu_time else []
    return options


if __name__ == "__main__":
    sys.exit(main())
