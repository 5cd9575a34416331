"""The cli checks: the submission's command line on each configuration, its outputs judged and diagnosed.

Each configuration (grader/runs.py) is run in the runner; its three output files are read
back, parsed and compared here with what this project writes. A configuration that differs
is diagnosed: by the catalog of classic mistakes (grader/catalog.py), and by the mistakes of
real students' code found otherwise (an ignored argument, float labels, Windows line
endings, missing metrics lines, experiment code in the main block).
"""
import time
from typing import Dict, List, Optional, Sequence, Tuple

import compare
from grader import catalog, crashes, env, report, runs
from grader.report import Result, why_run_failed
from grader.runner import OUTPUT_LIMIT, Runner, RunResult, size
from grader.runs import Config, Datasets

POINTS = {"small": 4, "medium": 5}  # per run, by dataset

def read_outputs(run: RunResult, lines: Sequence[int]) -> Tuple[Optional[runs.Outputs], str, List[str]]:
    """The three outputs a run wrote, parsed; or why they cannot be. Then the ids of the format mistakes
    read past to parse them: labels written as floats, Windows line endings. `lines`: how many lines each
    output should have; one with more than twice as many is refused unparsed (its lines would cost memory)."""
    missing = [name for name in runs.OUTPUT_NAMES if run.outputs.get(name) is None]
    if missing:
        absent = [name for name in missing if name not in run.kinds]
        found = ([f"wrote no {', '.join(absent)}"] if absent else []) + \
            [f"{name} is {run.kinds[name]}" for name in missing if name in run.kinds]
        return None, "; ".join(found), []
    texts, formats = [], []
    for name, expected in zip(runs.OUTPUT_NAMES, lines):
        raw = run.outputs[name]
        if len(raw) > OUTPUT_LIMIT:
            return None, f"unreadable output: {name}: larger than {size(OUTPUT_LIMIT)}", []
        count = raw.count(b"\n")
        if count > 2 * expected + 10:
            return None, f"unreadable output: {name}: {count} lines, where {expected} are expected", []
        if catalog.crlf_line_endings(raw) and "crlf-line-endings" not in formats:
            formats.append("crlf-line-endings")
        try:
            texts.append(raw.decode().replace("\r\n", "\n"))
        except UnicodeDecodeError:
            return None, f"unreadable output: {name}: not a text file", []
    try:
        (train, float_train), (validation, float_validation) = (
            catalog.labels_read_as_integers(runs.OUTPUT_NAMES[i], texts[i]) for i in (0, 1))
        metrics = compare.parse_metrics(texts[2], runs.OUTPUT_NAMES[2])
    except compare.FormatError as e:
        return None, f"unreadable output: {e}", []
    return (train, validation, metrics), "", formats + ["labels-not-integers"] * (float_train or float_validation)


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


class Grading:
    """One submission's grade: its runner, source and data, and what is learnt once about it."""

    def __init__(self, runner: Runner, submission: bytes, csvs: Dict[str, bytes], data: Datasets, tol: float):
        self.runner, self.submission, self.csvs, self.data, self.tol = runner, submission, csvs, data, tol
        self.diagnoser = catalog.Diagnoser()
        tree = env.parse(submission.decode(errors="replace"))
        self.experiment_signs = catalog.experiment_main(tree) if tree else []
        self._ignored: Optional[List[str]] = None
        self.crashes = crashes.Explainer(submission, self.experiment_signs)  # why runs fail (grader/crashes.py)
        self.pace = crashes.Pace(data)  # how long runs take against this project's
        self.exited: Dict[Config, Optional[int]] = {}  # each run's exit status
        self.explained: Dict[str, str] = {}  # each explanation of a failed run given in full -> its check

    def run(self, config: Config) -> RunResult:
        files = {"neuralnet.py": self.submission,
                 **{k: v for k, v in self.csvs.items() if k.startswith(config.dataset + "_")}}
        started = time.monotonic()
        run = self.runner.run(["neuralnet.py", f"{config.dataset}_train.csv", f"{config.dataset}_validation.csv",
                               *runs.OUTPUT_NAMES, str(config.epochs), str(config.hidden), str(config.init_flag),
                               str(config.lr)], files, runs.OUTPUT_NAMES, f"the run {config.describe()}")
        self.pace.record(config, time.monotonic() - started, run)
        self.exited.setdefault(config, run.status)
        return run

    def ignored_arguments(self) -> List[str]:
        """The arguments whose change leaves every output byte the same (run once, when first asked)."""
        if self._ignored is None:
            self._ignored = catalog.ignored_arguments(
                [(name, config, self.run(config)) for name, config in catalog.ARGUMENT_PROBES])
        return self._ignored

    def experiment_lines(self) -> List[str]:
        if not self.experiment_signs:
            return []
        return [catalog.mistake_line("experiment-main", f"its main block {', '.join(self.experiment_signs)}")]

    def run_failed(self, name: str, config: Config, run: RunResult, weight: float) -> Result:
        """A run that exited non-zero or was ended by time: why, from its traceback and the source, or how slow it
        is; an explanation given in full for an earlier configuration is referred back to."""
        if run.status is None:  # not run, or stopped: by time (how slow it is), or by a limit
            return failed(name, [why_run_failed(run), *self.pace.explain(config, run, name)], weight)
        ran = any(status == 0 for c, status in self.exited.items() if c.epochs > 0)
        lines = self.crashes.lines(self.crashes.explain(config, run, ran))
        return self.said_once(name, why_run_failed(run), lines, weight)

    def said_once(self, name: str, head: str, lines: List[str], weight: float) -> Result:
        """The failure in full the first time its causes (or, with none named, its output) are met; after that,
        its causes by id, referred back to the check that explained them."""
        key = " ".join(catalog.mistake_ids(lines)) or "\n".join([head, *lines])
        if key in self.explained:
            return failed(name, [f"{head.splitlines()[0]}: the same cause as {self.explained[key]}",
                                 *crashes.referred(lines, self.explained[key])], weight)
        self.explained[key] = name
        return failed(name, [head, *lines], weight)

    def cli_check(self, config: Config) -> Result:
        name, weight = config.check_name(), POINTS[config.dataset]
        run = self.run(config)
        if run.status != 0:
            return self.run_failed(name, config, run, weight)
        X_train, _, X_validation, _ = self.data[config.dataset]
        got, problem, formats = read_outputs(run, (len(X_train), len(X_validation), 2 * config.epochs + 2))
        if got is None:
            lines = [f"{problem}{report.quote(run.stderr)}"]
            if problem.startswith("wrote no"):
                lines += self.experiment_lines() + self.crashes.lines(self.crashes.missing_outputs(run))
                return self.said_once(name, lines[0], lines[1:], weight)
            return failed(name, lines, weight)
        if run.problem:
            return Result(name, False, f"{run.problem}{report.quote(run.stderr)}", weight)
        reference = runs.expected_outputs(config, self.data)
        found = runs.differences(got, reference, self.tol)
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
        structure = catalog.metrics_structure(got[2], reference[2])
        if structure:  # no mistake of the catalog changes the lines: no search
            lines.append(catalog.mistake_line("metrics-lines-missing", structure))
            return failed(name, lines, weight)
        lines += [note for note in [constant_loss(got[2], reference[2])] if note]
        if self.runner.budget.spent():
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


