"""Grade any neuralnet.py against this one, and name the classic mistake when it differs.

    python3 grade.py PATH/TO/neuralnet.py [--quick] [--json PATH] [--timeout SECONDS] [--tol TOL]
    python3 grade.py --make-autograder autograder.zip

Three sections, each check named "section:what":
  api:    the handout's API (random_init, zero_init, Linear, Sigmoid, SoftMaxCrossEntropy,
          NN) on the handout's vectors and against a plain implementation;
  trace:  this project's NN and the submission's stepped side by side through the first
          SGD steps (RANDOM init, small set): the first quantity that differs, and where;
  cli:    the submission's command line on a grid of configurations, compared with this
          project's outputs (labels identical, every metric within --tol). A failing
          configuration is compared with a catalog of classic mistakes (grader/catalog.py),
          and each one that explains it is named: "mistake: <id>".

The submission's code only ever returns values: its functions' results (api, trace) and
its output files (cli). Every expected value is computed here, in grade.py's process, and
every verdict is decided here. Each run of the submission gets a fresh folder, limits and
--timeout seconds; as root it runs as --user, hidden from the grader's files and cut off
from the network (grader/sandbox.py). Exit status: 0 when every check passes, 1 when any
fails, 2 for bad arguments or when grading itself fails. --json writes Gradescope's
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
from grader import bundle, catalog, checks, report
from grader.checks import Config, Datasets
from grader.report import Result
from grader.sandbox import Limits, Run, Sandbox, SandboxError, size

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = course_data.folder()
PROBE = os.path.join(HERE, "grader", "probe.py")
DEFAULT_TOLERANCE = 1e-6
DEFAULT_TIMEOUT = 60.0
STDERR_LINES = 6  # of a failing run's stderr, quoted in the check
VALUES_LIMIT = 64 * 1024 * 1024  # bytes of values.npz read back
WEIGHTS = {"api": 1, "trace": 5, "small": 4, "medium": 5}  # points per check


def quote_stderr(stderr: str) -> str:
    """The last lines of a run's stderr, quoted under a check."""
    lines = stderr.rstrip().splitlines()[-STDERR_LINES:]
    return "".join(f"\n  | {line}" for line in lines)


def why_run_failed(run: Run) -> str:
    """A run that was not run, was stopped, hit a limit or exited non-zero: what happened."""
    if run.status is None:
        return f"{run.problem}{quote_stderr(run.stderr)}"
    status = f"exit status {run.status}" if run.status >= 0 else f"killed by signal {-run.status}"
    return f"{status}{f' ({run.problem})' if run.problem else ''}{quote_stderr(run.stderr)}"


# ----------------------------------------------------------------------------
# api and trace: one run of probe.py; its values judged here
# ----------------------------------------------------------------------------

def api_and_trace(sandbox: Sandbox, submission: bytes, defined: Sequence[checks.Check]) -> List[Result]:
    inputs = io.BytesIO()
    np.savez(inputs, **checks.inputs_of(defined))
    with open(PROBE, "rb") as f:
        files = {"neuralnet.py": submission, "probe.py": f.read(), "inputs.npz": inputs.getvalue()}
    run = sandbox.run(["probe.py", "neuralnet.py", "inputs.npz", "values.npz"], files, ["values.npz"],
                      "importing the submission")
    weight = [WEIGHTS[c.name.split(":", 1)[0]] for c in defined]
    raw = run.outputs.get("values.npz")
    if run.status != 0 or raw is None:
        why = why_run_failed(run) if run.status != 0 else \
            f"the checks stopped before writing their values{quote_stderr(run.stderr)}"
        return [Result(c.name, False, why, w) for c, w in zip(defined, weight)]
    try:
        if len(raw) > VALUES_LIMIT:
            raise ValueError(f"values.npz is larger than {size(VALUES_LIMIT)}")
        with np.load(io.BytesIO(raw), allow_pickle=False) as f:
            values = {key: f[key] for key in f.files}
        failures = checks.verdicts(defined, values)
    except Exception as e:  # noqa: BLE001  (whatever the submission wrote there)
        why = f"unreadable values from the checks ({type(e).__name__}: {e}){quote_stderr(run.stderr)}"
        return [Result(c.name, False, why, w) for c, w in zip(defined, weight)]
    results = []
    for c, failure, w in zip(defined, failures, weight):
        if run.problem:  # a limit hit during the run fails every check, naming the limit
            failure = f"{failure}\n({run.problem})" if failure else run.problem
        results.append(Result(c.name, failure is None, failure or "", w))
    return results


# ----------------------------------------------------------------------------
# cli: the command line on each configuration, its outputs compared here
# ----------------------------------------------------------------------------

def read_outputs(run: Run) -> Tuple[Optional[checks.Outputs], str]:
    """The three outputs a run wrote, parsed, or why they cannot be."""
    missing = [name for name in checks.OUTPUT_NAMES if run.outputs.get(name) is None]
    if missing:
        return None, f"wrote no {', '.join(missing)}"
    texts = []
    for name in checks.OUTPUT_NAMES:
        raw = run.outputs[name]
        if len(raw) > 16 * 1024 * 1024:
            return None, f"unreadable output: {name}: larger than 16 MiB"
        try:
            texts.append(raw.decode())
        except UnicodeDecodeError:
            return None, f"unreadable output: {name}: not a text file"
    try:
        return (compare.parse_labels(texts[0], checks.OUTPUT_NAMES[0]),
                compare.parse_labels(texts[1], checks.OUTPUT_NAMES[1]),
                compare.parse_metrics(texts[2], checks.OUTPUT_NAMES[2])), ""
    except compare.FormatError as e:
        return None, f"unreadable output: {e}"


def cli_check(sandbox: Sandbox, submission: bytes, csvs: Dict[str, bytes], config: Config, data: Datasets,
              tol: float, diagnoser: Callable) -> Result:
    name, weight = config.check_name(), WEIGHTS[config.dataset]
    files = {"neuralnet.py": submission, **{k: v for k, v in csvs.items() if k.startswith(config.dataset + "_")}}
    run = sandbox.run(["neuralnet.py", f"{config.dataset}_train.csv", f"{config.dataset}_validation.csv",
                       *checks.OUTPUT_NAMES, str(config.epochs), str(config.hidden), str(config.init_flag),
                       str(config.lr)], files, checks.OUTPUT_NAMES, f"the run {config.describe()}")
    if run.status != 0:
        return Result(name, False, why_run_failed(run), weight)
    got, problem = read_outputs(run)
    if got is None:
        return Result(name, False, f"{problem}{quote_stderr(run.stderr)}", weight)
    if run.problem:
        return Result(name, False, f"{run.problem}{quote_stderr(run.stderr)}", weight)
    reference = checks.expected_outputs(config, data)
    found = checks.differences(got, reference, tol)
    worst = found[2][1].worst
    if all(d.same for _, d in found):
        return Result(name, True, f"largest metric difference {worst:.3g}" if worst else "", weight)
    lines = [f"{what}: {d.describe()}" for what, d in found if not d.same]
    if worst:
        lines.append(f"largest metric difference {worst:.3g} (tolerance {tol:g})")
    if sandbox.deadline - time.monotonic() <= 0:
        lines.append("no search of the catalog of mistakes: the time budget was spent")
        return Result(name, False, "\n".join(lines), weight)
    diagnosis = diagnoser(config, got, data, tol, reference)
    for ids in diagnosis:
        for mistake_id in ids:
            mistake = catalog.MISTAKES[mistake_id]
            lines.append(f"mistake: {mistake.id}: {mistake.explanation} [handout {mistake.section}]")
        if len(ids) > 1:
            lines.append(f"  (these {len(ids)} together explain the outputs)")
    if not diagnosis:
        lines.append("no catalogued mistake, alone or in pairs, gives these outputs")
    return Result(name, False, "\n".join(lines), weight)


# ----------------------------------------------------------------------------
# The whole grade
# ----------------------------------------------------------------------------

def grade(submission_path: str, sandbox: Sandbox, quick: bool, tol: float,
          progress: Callable[[str], None] = lambda text: None) -> List[Result]:
    """Every check, in order; the sandbox's runs leave nothing behind."""
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
    progress("api and trace")
    results = api_and_trace(sandbox, submission, checks.all_checks(DATA))
    diagnoser = catalog.Diagnoser()
    for config in configs:
        progress(f"cli {config.describe()}")
        results.append(cli_check(sandbox, submission, csvs, config, data, tol, diagnoser))
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
    parser.add_argument("submission", nargs="?", help="the neuralnet.py to grade")
    parser.add_argument("--quick", action="store_true", help="leave out the medium-set runs")
    parser.add_argument("--json", metavar="PATH", help="also write Gradescope's results.json here")
    parser.add_argument("--timeout", type=positive(float), default=DEFAULT_TIMEOUT,
                        help=f"seconds per run of the submission (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--total-timeout", type=positive(float), metavar="SECONDS",
                        help="seconds for the whole grade; then the checks left fail as not run "
                             "(default 10 x --timeout)")
    parser.add_argument("--tol", type=float, default=DEFAULT_TOLERANCE,
                        help=f"largest absolute metric difference allowed (default {DEFAULT_TOLERANCE:g})")
    parser.add_argument("--python", default=sys.executable,
                        help="the Python that runs the submission (default: the one running grade.py)")
    parser.add_argument("--user", default="nobody",
                        help="as root, the unprivileged user the submission runs as (default nobody)")
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
    parser.add_argument("--make-autograder", metavar="ZIP",
                        help="write a Gradescope autograder bundle (setup.sh, run_autograder, the grader) and exit")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    started = time.monotonic()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.make_autograder:
        try:
            bundle.make(args.make_autograder, HERE, DATA)
        except OSError as e:
            print(f"grade.py: error: {args.make_autograder}: {e.strerror or e}", file=sys.stderr)
            return 2
        print(f"wrote {args.make_autograder}")
        return 0
    if args.submission is None:
        parser.error("the submission (a neuralnet.py) is required")
    if args.json and not os.path.isdir(os.path.dirname(os.path.abspath(args.json))):
        parser.error(f"--json {args.json!r}: its directory does not exist")
    if args.tol < 0:
        parser.error("--tol must be 0 or more")
    python = shutil.which(args.python)
    if python is None:
        parser.error(f"--python {args.python!r}: no such interpreter")

    def fail(error: str) -> int:
        print(f"grade.py: error: {error}", file=sys.stderr)
        if args.json:
            report.write_json(args.json, report.failure(error, time.monotonic() - started))
        return 2

    if not os.path.isfile(args.submission):
        return fail(f"{args.submission!r} is not a file")
    limits = Limits(timeout=args.timeout, total=args.total_timeout or 10 * args.timeout, memory=args.memory,
                    file_size=args.max_file_size, processes=args.max_processes,
                    cpu=args.cpu_time or int(-(-args.timeout // 1)), disk=args.disk)
    hidden = [HERE, DATA, os.path.dirname(os.path.abspath(args.submission))]
    if args.json:
        hidden.append(os.path.dirname(os.path.abspath(args.json)))
    sandbox = None
    try:
        sandbox = Sandbox(python, args.user, limits, hidden,
                          namespaces=not os.environ.get("GRADE_NO_NAMESPACES"))
        show = sys.stderr.isatty()  # progress on a terminal only
        results = grade(args.submission, sandbox, args.quick, args.tol,
                        lambda text: show and print(f"grade.py: {text}", file=sys.stderr, flush=True))
        header = [sandbox.isolation, f"limits per run: {limits.describe(sandbox.uid is not None)}"]
    except (SandboxError, neuralnet.FileError, OSError) as e:
        error = str(e) if isinstance(e, (SandboxError, neuralnet.FileError)) else f"{type(e).__name__}: {e}"
        if sandbox is not None:
            sandbox.close()
        return fail(error)
    except Exception as e:  # noqa: BLE001  (a bug of the grader's own: still a results.json)
        if sandbox is not None:
            sandbox.close()
        return fail(f"unexpected {type(e).__name__}: {e}")
    sandbox.close()  # every process of the submission is gone before anything is written
    print(report.text(args.submission, header, results))
    if args.json:
        report.write_json(args.json, report.gradescope(header, results, time.monotonic() - started))
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
