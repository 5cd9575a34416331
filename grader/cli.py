"""The cli checks: the submission's command line on each configuration, its outputs judged and diagnosed.

Each configuration (grader/runs.py) is run in the runner; its three output files are read
back leniently (grader/outputs.py: every deviation from the handout's format named, the values
behind it recovered) and compared here with what this project writes. A configuration that
differs is explained from the evidence: the mistakes of real students' code found otherwise
(an ignored argument, experiment code in the main block, missing metrics lines), a second run
of what is random (an unseeded RANDOM init or shuffle: no variant is matched with such runs),
then the catalog of classic mistakes (grader/catalog.py), named only from outputs that tell
one explanation apart.
"""
import hashlib
import time
from typing import Dict, List, Optional, Sequence, Set, Tuple

from grader import catalog, crashes, env, outputs, report, runs
from grader.outputs import Reading
from grader.report import Result, why_run_failed
from grader.runner import Runner, RunResult
from grader.runs import Config, Datasets

POINTS = {"small": 4, "medium": 5}  # per run, by dataset
# A configuration that trains from the ZERO init (the handout's example): run twice, it tells whether the
# shuffle alone repeats, when a configuration that uses both it and the RANDOM init wrote different outputs.
SHUFFLE_ALONE = runs.CONFIGS[0]
# A configuration that trains from the RANDOM init. From the ZERO init every hidden unit stays the same as every
# other, so mistakes that treat hidden units or weight columns differently write the same outputs there (the bias
# on the wrong side of a layer and backprop-drops-last-column, say): a name found on a ZERO-init configuration
# is given only once its variant also reproduces this configuration's outputs, where the units differ.
ASYMMETRIC = next(c for c in runs.CONFIGS if c.dataset == "small" and c.init_flag == 1 and c.epochs > 0)


def constant_loss(got: List[Tuple[str, float]], expected: List[Tuple[str, float]]) -> str:
    """A note when the training cross-entropy is the same in every epoch and this project's is not."""
    mine = [v for k, v in got if k.endswith("crossentropy(train)")]
    ours = [v for k, v in expected if k.endswith("crossentropy(train)")]
    if len(mine) >= 2 and len(set(mine)) == 1 and len(set(ours)) > 1:
        return (f"the training cross-entropy is {mine[0]!r} in every epoch: the weights never change, "
                "or the loss is computed once")
    return ""


# What each format mistake's line says, before whether the values read past it match.
READ_PAST = {catalog.CRLF_LINE_ENDINGS.id: ("lines end in \\r\\n; read with \\n endings, they ",
                                            "match the expected outputs: only the line endings are wrong"),
             catalog.LABELS_NOT_INTEGERS.id: ("labels such as {text!r}; read as integers, they ",
                                              "match the expected ones: only their format is wrong")}
READ_AS_HANDOUT = ("{text!r}; read as the handout writes it, the values ",
                   "match the expected outputs: only the format is wrong")


def format_lines(reading: Reading, same: Dict[str, bool]) -> List[str]:
    """A line for each format mistake read past: its first line, and whether the values behind it match
    (`same`: each output's name, and whether its values match this project's)."""
    lines: List[str] = []
    for mistake_id in reading.ids():
        found = reading.of(mistake_id)
        first, more = found[0], len(found) - 1
        before, matching = READ_PAST.get(mistake_id, READ_AS_HANDOUT)
        match = all(same[name] for name in {d.output for d in found}) if mistake_id != catalog.CRLF_LINE_ENDINGS.id \
            else all(same.values())
        if mistake_id == catalog.CRLF_LINE_ENDINGS.id:  # found once per file, at its first line
            where = ", ".join(f"{d.output} line {d.line}" for d in found)
        else:
            where = f"{first.output} line {first.line}" + (f" (and {more} more line{'s' * (more > 1)})" if more else "")
        lines.append(catalog.mistake_line(mistake_id, f"{where}: {before.format(text=first.text[:outputs.QUOTED])}"
                                          + (matching if match else "still differ (below)")))
    return lines


def digest(run: RunResult) -> Optional[str]:
    """A digest of the three outputs a run wrote (kept instead of them: they may be large); None when the run
    did not complete or wrote no regular file under a name."""
    if run.status != 0 or run.problem or any(run.outputs.get(o) is None for o in runs.OUTPUT_NAMES):
        return None
    hashed = hashlib.sha256()
    for name in runs.OUTPUT_NAMES:
        hashed.update(b"%d:" % len(run.outputs[name] or b""))
        hashed.update(run.outputs[name] or b"")
    return hashed.hexdigest()


def failed(name: str, lines: Sequence[str], weight: float, ended: str = "") -> Result:
    """A failing check whose output is these lines; the mistakes they name travel with it as ids, and how its run
    ended (report.run_ending) when it did not run to its end."""
    return Result(name, False, "\n".join(lines), weight, catalog.mistake_ids(lines), ended=ended)


class Grading:
    """One submission's grade: its runner, source and data, and what is learnt once about it."""

    def __init__(self, runner: Runner, submission: bytes, csvs: Dict[str, bytes], data: Datasets, tol: float):
        self.runner, self.submission, self.csvs, self.data, self.tol = runner, submission, csvs, data, tol
        self.diagnoser = catalog.Diagnoser()
        tree = env.parse(submission.decode(errors="replace"))
        self.experiment_signs = catalog.experiment_main(tree) if tree else []
        self._ignored: Optional[List[str]] = None
        self.first_runs: Dict[Config, Optional[str]] = {}  # the digest of each configuration's first run
        # whether the RANDOM init and the shuffle repeat from run to run (None: not known yet), and which
        # configuration, run twice, showed that one does not
        self.seeded: Dict[str, Optional[bool]] = {"init": None, "shuffle": None}
        self.unseeded_in: Dict[str, Config] = {}
        self.unrepeatable: Set[Config] = set()  # configurations whose two runs wrote different outputs
        self.crashes = crashes.Explainer(submission, self.experiment_signs)  # why runs fail (grader/crashes.py)
        self.pace = crashes.Pace(data)  # how long runs take against this project's
        self.exited: Dict[Config, Optional[int]] = {}  # each run's exit status
        self.explained: Dict[str, str] = {}  # each explanation of a failed run given in full -> its check
        self.confirmed: Dict[Tuple[str, ...], str] = {}  # a ZERO-init name -> why it is not given ('' if it is)
        self.shortened: Dict[Config, float] = {}  # the runs given less than --timeout, after a hang: their seconds
        self.first_shortened = ""  # the check whose shortened run was first told as timing out

    def run(self, config: Config) -> RunResult:
        """A run of the command line on config; once something has hung (the budget knows), a shortened one,
        and the first run that takes its whole --timeout is recorded as the grade's hang."""
        files = {"neuralnet.py": self.submission,
                 **{k: v for k, v in self.csvs.items() if k.startswith(config.dataset + "_")}}
        budget = self.runner.budget
        limit = budget.shortened(self.pace.reference_seconds(config)) if budget.hang else None
        started = time.monotonic()
        run = self.runner.run(["neuralnet.py", f"{config.dataset}_train.csv", f"{config.dataset}_validation.csv",
                               *runs.OUTPUT_NAMES, str(config.epochs), str(config.hidden), str(config.init_flag),
                               str(config.lr)], files, runs.OUTPUT_NAMES, f"the run {config.describe()}", limit)
        if limit is not None:
            self.shortened[config] = limit
        elif run.status is None and run.problem.startswith("timed out after"):
            budget.hung(f"the run {config.describe()} did not finish within {budget.granted:g} s",
                        config.check_name() if config in runs.CONFIGS else "")
        self.pace.record(config, time.monotonic() - started, run)
        self.exited.setdefault(config, run.status)
        self.first_runs.setdefault(config, digest(run))
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

    def repeats(self, config: Config) -> Optional[bool]:
        """Whether a second run of config writes the same bytes as its first; None when either did not
        complete."""
        first = self.first_runs[config] if config in self.first_runs else digest(self.run(config))
        again = digest(self.run(config))
        return None if first is None or again is None else first == again

    def unseeded(self, config: Config) -> List[str]:
        """The random parts this configuration uses ('init': the RANDOM init, 'shuffle': epochs > 0) that do
        not repeat from run to run. Each part is settled once per grade, by running twice a configuration
        that uses it; outputs that repeat count only when trained (untrained labels may agree by chance)."""
        parts = [part for part, used in (("init", config.init_flag == 1), ("shuffle", config.epochs > 0)) if used]
        known = [part for part in parts if self.seeded[part] is False]
        if known or all(self.seeded[part] for part in parts) or self.runner.budget.spent():
            return known
        same = self.repeats(config)
        if same and config.epochs > 0:
            self.seeded.update(dict.fromkeys(parts, True))
        elif same is False:
            self.unrepeatable.add(config)
            unknown, shown_by = [part for part in parts if self.seeded[part] is None], config
            if len(unknown) == 2:  # the shuffle alone (ZERO init) tells which
                alone = self.repeats(SHUFFLE_ALONE)
                unknown, shown_by = (["shuffle"], SHUFFLE_ALONE) if alone is False else (["init"] if alone else [],
                                                                                         config)
                if alone:
                    self.seeded["shuffle"] = True
            for part in unknown:
                self.seeded[part], self.unseeded_in[part] = False, shown_by
        return [part for part in parts if self.seeded[part] is False]

    def explain(self, config: Config, got: runs.Outputs, reference: runs.Outputs) -> List[str]:
        """Why a configuration's values differ, from the evidence: the arguments probed, the runs repeated,
        then the catalog's variants reproduced (compared within the rounding of metrics written rounded)."""
        if self.runner.budget.spent():
            return ["no search of the catalog of mistakes: the time budget was spent"]
        ignored = self.ignored_arguments()
        if ignored:
            return [catalog.mistake_line("hard-coded-settings", f"ignored: {argument}") for argument in ignored] + \
                self.experiment_lines()
        unseeded = self.unseeded(config)
        if unseeded:
            mistakes = {"init": catalog.RANDOM_INIT_UNSEEDED.id, "shuffle": catalog.SHUFFLE_UNSEEDED.id}
            return [catalog.mistake_line(mistakes[part], f"{self.unseeded_in[part].describe()}, run twice, wrote "
                                         "different outputs; no other mistake is named from outputs that change from "
                                         "run to run") for part in unseeded]
        if config in self.unrepeatable:  # which random part did not repeat is not known: still, nothing is named
            return [f"two runs of {config.describe()} wrote different outputs: no mistake is named from outputs that "
                    "change from run to run"]
        diagnosis = self.diagnoser(config, got, self.data, catalog.rounding_tolerance(got[2], self.tol), reference)
        if diagnosis.named and config.init_flag == 2:
            not_given = self.unconfirmed(diagnosis.named)
            if not_given:
                return [not_given]
        lines: List[str] = [catalog.mistake_line(mistake_id) for mistake_id in diagnosis.named]
        if len(diagnosis.named) > 1:
            lines.append(f"  (these {len(diagnosis.named)} together explain the outputs)")
        return lines or [diagnosis.why_not]

    def unconfirmed(self, named: Tuple[str, ...]) -> str:
        """Why a name found from the ZERO init is not given: '' when its variant also reproduces the outputs of
        the RANDOM-init configuration (settled once per name)."""
        if named not in self.confirmed:
            what = " + ".join(named)
            run = self.run(ASYMMETRIC)
            X_train, _, X_validation, _ = self.data[ASYMMETRIC.dataset]
            reading = outputs.read(run, (len(X_train), len(X_validation), 2 * ASYMMETRIC.epochs + 2))
            if reading.outputs is None:
                self.confirmed[named] = (f"the outputs are those of {what} here, but from the ZERO init, where every "
                                         f"hidden unit is alike, that tells it from no mistake of the same shape; "
                                         f"{ASYMMETRIC.describe()}, which would, did not complete: nothing is named")
            else:
                variant = catalog.outputs_with(ASYMMETRIC, self.data, [catalog.MISTAKES[m] for m in named])
                tol = catalog.rounding_tolerance(reading.outputs[2], self.tol)
                self.confirmed[named] = "" if runs.matches(reading.outputs, variant, tol) else (
                    f"the outputs are those of {what} here, but from the ZERO init, where every hidden unit is alike; "
                    f"from the RANDOM init ({ASYMMETRIC.describe()}) {what} writes other outputs than this "
                    "submission: nothing is named")
        return self.confirmed[named]

    def run_failed(self, name: str, config: Config, run: RunResult, weight: float) -> Result:
        """A run that exited non-zero or was ended by time: why, from its traceback and the source, or how slow it
        is; an explanation given in full for an earlier configuration is referred back to."""
        if run.status is None and config in self.shortened and run.problem.startswith("timed out after"):
            return self.hung_too(name, config, run, weight)
        hang = self.runner.budget.hang
        if run.status is None and hang and not hang.cause.startswith("the run "):  # the cause is known: no pace
            return failed(name, [why_run_failed(run)], weight, report.run_ending(run))
        if run.status is None:  # not run, or stopped: by time (how slow it is), or by a limit
            return failed(name, [why_run_failed(run), *self.pace.explain(config, run, name)], weight,
                          report.run_ending(run))
        ran = any(status == 0 for c, status in self.exited.items() if c.epochs > 0)
        lines = self.crashes.lines(self.crashes.explain(config, run, ran))
        return self.said_once(name, why_run_failed(run), lines, weight, report.run_ending(run))

    def hung_too(self, name: str, config: Config, run: RunResult, weight: float) -> Result:
        """A shortened run (after a hang) that took its time: why it had so little, said in full once, then
        referred to. Where the hang was a run of the command line (it may be slow code, not a loop), how slow
        against this project follows, as for any run that timed out."""
        head = why_run_failed(run)
        budget = self.runner.budget
        assert budget.hang is not None
        slow = self.pace.explain(config, run, name) if budget.hang.cause.startswith("the run ") else []
        if self.first_shortened:
            return failed(name, [f"{head.splitlines()[0]}: the same cause as {self.first_shortened}", *slow], weight,
                          report.TIMED_OUT)
        self.first_shortened = name
        where = f" under {budget.hang.check}" if budget.hang.check and budget.hang.check != name else ""
        return failed(name, [head, (
            f"shortened: {budget.hang.cause}{where}, so each run since has {budget.STARTUP:g} s and "
            f"{budget.PACE:g} times what this project takes for it ({self.pace.reference_seconds(config):.2f} s here "
            f"for this one), at most half of the {budget.per_run:g} s per run: a run that does not hang needs "
            "less"), *slow], weight, report.TIMED_OUT)

    def said_once(self, name: str, head: str, lines: List[str], weight: float, ended: str = "") -> Result:
        """The failure in full the first time its causes (or, with none named, its output) are met; after that,
        its causes by id, referred back to the check that explained them."""
        key = " ".join(catalog.mistake_ids(lines)) or "\n".join([head, *lines])
        if key in self.explained:
            return failed(name, [f"{head.splitlines()[0]}: the same cause as {self.explained[key]}",
                                 *crashes.referred(lines, self.explained[key])], weight, ended)
        self.explained[key] = name
        return failed(name, [head, *lines], weight, ended)

    def cli_check(self, config: Config) -> Result:
        name, weight = config.check_name(), POINTS[config.dataset]
        run = self.run(config)
        if run.status != 0:
            return self.run_failed(name, config, run, weight)
        X_train, _, X_validation, _ = self.data[config.dataset]
        reading = outputs.read(run, (len(X_train), len(X_validation), 2 * config.epochs + 2))
        if reading.outputs is None:
            lines = [f"{reading.problem}{report.quote(run.stderr)}"]
            if reading.problem.startswith("wrote no"):
                lines += self.experiment_lines() + self.crashes.lines(self.crashes.missing_outputs(run))
                return self.said_once(name, lines[0], lines[1:], weight)
            return failed(name, lines, weight)
        if run.problem:
            return Result(name, False, f"{run.problem}{report.quote(run.stderr)}", weight, ended=report.run_ending(run))
        got, reference = reading.outputs, runs.expected_outputs(config, self.data)
        found = runs.differences(got, reference, self.tol)
        worst = found[2][1].worst
        lines = format_lines(reading, {output: d.same for output, (_, d) in zip(runs.OUTPUT_NAMES, found)})
        if all(d.same for _, d in found):
            if lines:
                return failed(name, lines, weight)
            return Result(name, True, f"largest metric difference {worst:.3g}" if worst else "", weight)
        lines += [f"{what}: {d.describe()}" for what, d in found if not d.same]
        if worst:
            lines.append(f"largest metric difference {worst:.3g} (tolerance {self.tol:g})")
        structure = catalog.metrics_structure(got[2], reference[2])
        if structure:  # no mistake of the catalog changes the lines: no search
            lines.append(catalog.mistake_line("metrics-lines-missing", structure))
            return failed(name, lines, weight)
        rounded = catalog.metrics_rounded(got[2], reference[2], self.tol) if found[0][1].same and found[1][1].same \
            else ""
        if rounded:  # the values are this project's, written rounded: no search
            lines.append(catalog.mistake_line(catalog.METRICS_ROUNDED.id, rounded))
            return failed(name, lines, weight)
        decimals = catalog.written_decimals(got[2])
        if decimals is not None:  # rounded, and something else differs too: the search allows for the rounding
            lines.append(catalog.mistake_line(catalog.METRICS_ROUNDED.id, (
                f"every cross-entropy is written with at most {decimals} decimals; the search for what else differs "
                f"compares the metrics within {catalog.rounding_tolerance(got[2], self.tol):.2g}")))
        lines += [note for note in [constant_loss(got[2], reference[2])] if note]
        return failed(name, lines + self.explain(config, got, reference), weight)
