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
import re
import time
from typing import Dict, List, Optional, Sequence, Set, Tuple

import compare
from grader import autograder_image, catalog, crashes, env, outputs, report, runs, standins
from grader.outputs import Reading
from grader.report import Result, why_run_failed
from grader.runner import Runner, RunResult
from grader.runs import Config, Datasets

POINTS = {"small": 4, "medium": 5}  # per run, by dataset

# The safety rule, which the whole diagnosis follows (grader/pipeline.py's order reads it here): a name rests on at
# least two independent pieces of evidence, or on one that no other catalogued mistake could produce. What each kind
# of name rests on:
EVIDENCE = {
    "a catalog variant, from a RANDOM-init configuration":
        "the trained outputs, reproduced by exactly one explanation (a mistake, or a pair) and not by this project: "
        "the one explanation that could produce them",
    "a catalog variant, from a ZERO-init configuration (every hidden unit alike there)":
        "those outputs, and a second piece: the RANDOM-init configuration reproduced by the same variant, or the "
        "source's sign of the mistake (Mistake.sign: nothing permutes the examples, squared gradients summed under a "
        "square root, a seed of epoch + 1); where the sign is that of the mistake's ZERO-init twin (a bias put last "
        "for backprop-drops-last-column), the twin is named instead. Neither depends on the RANDOM init's draw",
    "random-init-unseeded, shuffle-unseeded":
        "two runs of one command line writing different outputs (the ZERO-init configuration run twice tells the "
        "shuffle from the init); no variant is matched with such runs",
    "hard-coded-settings":
        "the same bytes written when one argument changes; or, where runs fail, the source reading no command line "
        "while fixing two or more settings, with a run that failed",
    "format mistakes (grader/outputs.py)": "the deviating line of the output file",
    "a failed run's cause (grader/crashes.py)":
        "the traceback's exception, message and line, and the source at that line (class-count-fixed: an index of a "
        "label past an axis of size n < 10, and n fixing a count in the source)",
    "module-not-on-autograder": "an import of a module outside Python 3.9's standard library and numpy "
                                "(grader/autograder_image.py): no other mistake writes that import",
    "no-outputs-written": "no write reached from the code the file runs (reached taken widely), with a run that "
                          "wrote nothing or failed before writing",
    "experiment-main": "its main block plotting, looping over fixed settings or reading no argument, and a run that "
                       "failed there or was ended by time",
    "a handout function's mistake (grader/api.py)": "its values equal to that mistake's, computed here, and the line",
    "older-handout-api": "two or more of an older handout's function names, and none of this handout's classes",
}
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
        first, more = found[0], len(found) - 1 + reading.left_out.get(mistake_id, 0)
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
    """A digest of the three outputs a run wrote (kept instead of them: they may be large), also of a run that
    failed after writing them; None when the run was stopped or wrote no regular file under a name."""
    if run.status is None or run.problem or any(run.outputs.get(o) is None for o in runs.OUTPUT_NAMES):
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
        self.tree = env.parse(submission.decode(errors="replace"))
        self.experiment_signs = catalog.experiment_main(self.tree) if self.tree else []
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
        self.fed_back = ""  # the check that gave the feedback past a blocking import, once per grade
        # a ZERO-init explanation -> the names given, their details, and why any is withheld
        self.confirmed: Dict[Tuple[str, ...], Tuple[Tuple[str, ...], Dict[str, str], str]] = {}
        self.shortened: Dict[Config, float] = {}  # the runs given less than --timeout, after a hang: their seconds
        self.first_shortened = ""  # the check whose shortened run was first told as timing out

    def run(self, config: Config, extra: Optional[Dict[str, bytes]] = None) -> RunResult:
        """A run of the command line on config (`extra`: more files for its folder, the stand-ins of feedback runs,
        whose runs are not recorded as the configuration's); once something has hung (the budget knows), a
        shortened one, and the first run that takes its whole --timeout is recorded as the grade's hang."""
        files = {"neuralnet.py": self.submission,
                 **{k: v for k, v in self.csvs.items() if k.startswith(config.dataset + "_")}, **(extra or {})}
        budget = self.runner.budget
        limit = budget.shortened(self.pace.reference_seconds(config)) if budget.hang else None
        started = time.monotonic()
        run = self.runner.run(["neuralnet.py", f"{config.dataset}_train.csv", f"{config.dataset}_validation.csv",
                               *runs.OUTPUT_NAMES, str(config.epochs), str(config.hidden), str(config.init_flag),
                               str(config.lr)], files, runs.OUTPUT_NAMES, f"the run {config.describe()}", limit)
        if extra:
            return run
        if limit is not None:
            self.shortened[config] = limit
        elif run.out_of_time():
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
            return [self.unseeded_line(part) for part in unseeded]
        if config in self.unrepeatable:  # which random part did not repeat is not known: still, nothing is named
            return [f"two runs of {config.describe()} wrote different outputs: no mistake is named from outputs that "
                    "change from run to run"]
        diagnosis = self.diagnoser(config, got, self.data, catalog.rounding_tolerance(got[2], self.tol), reference)
        named, details, withheld = diagnosis.named, {}, ""
        if named and config.init_flag == 2:
            named, details, withheld = self.confirmed_from_zero_init(named)
        lines: List[str] = [catalog.mistake_line(mistake_id, details.get(mistake_id, "")) for mistake_id in named]
        if len(named) > 1:
            lines.append(f"  (these {len(named)} together explain the outputs)")
        lines += [withheld] if withheld else [] if lines else [diagnosis.why_not]
        if self.seeded["init"] is False and config.init_flag == 2:  # learnt while confirming: said here already,
            lines.append(self.unseeded_line("init"))  # so that a grade the time budget cuts short still says it
        return lines

    def unseeded_line(self, part: str) -> str:
        """The name of a random part ('init', 'shuffle') that two runs showed unseeded."""
        mistake = {"init": catalog.RANDOM_INIT_UNSEEDED.id, "shuffle": catalog.SHUFFLE_UNSEEDED.id}[part]
        return catalog.mistake_line(mistake, f"{self.unseeded_in[part].describe()}, run twice, wrote different "
                                             "outputs; no other mistake is named from outputs that change from run "
                                             "to run")

    def confirmed_from_zero_init(self, named: Tuple[str, ...]) -> Tuple[Tuple[str, ...], Dict[str, str], str]:
        """What a name found from the ZERO init rests on besides those outputs (EVIDENCE): the RANDOM-init
        configuration reproduced by the same variant, else the source's sign of each mistake (or of its ZERO-init
        twin, named instead). Returns the names given, a detail line for each, and why any is withheld ('' if
        none); settled once per explanation."""
        if named in self.confirmed:
            return self.confirmed[named]
        what = " + ".join(named)
        run = self.run(ASYMMETRIC)
        X_train, _, X_validation, _ = self.data[ASYMMETRIC.dataset]
        reading = outputs.read(run, (len(X_train), len(X_validation), 2 * ASYMMETRIC.epochs + 2))
        if reading.outputs is not None:
            variant = catalog.outputs_with(ASYMMETRIC, self.data, [catalog.MISTAKES[m] for m in named])
            if runs.matches(reading.outputs, variant, catalog.rounding_tolerance(reading.outputs[2], self.tol)):
                self.confirmed[named] = (named, {}, "")
                return self.confirmed[named]
            self.unseeded(ASYMMETRIC)  # whether its RANDOM init repeats: settled once per grade, said with the name
            random = (f"from the RANDOM init ({ASYMMETRIC.describe()}) {what} writes other outputs than this "
                      "submission" + (", whose RANDOM init is not seeded" if self.seeded["init"] is False else ""))
        else:
            random = f"{ASYMMETRIC.describe()}, from the RANDOM init, did not complete"
        given: List[str] = []
        details: Dict[str, str] = {}
        for mistake_id in named:
            mistake = catalog.MISTAKES[mistake_id]
            twin = catalog.MISTAKES.get(mistake.zero_init_twin)
            twin_sign = twin.sign(self.tree) if twin is not None and twin.sign and self.tree else None
            sign = mistake.sign(self.tree) if mistake.sign and self.tree else None
            if twin is not None and twin_sign is not None:
                given.append(twin.id)
                details[twin.id] = (f"from the ZERO init, where every hidden unit is alike, its outputs are exactly "
                                    f"those of {mistake_id}; the source shows {twin.id}: {twin_sign.text}")
            elif sign is not None:
                given.append(mistake_id)
                details[mistake_id] = f"the source shows it too: {sign.text}"
        withheld = [m for m in named if m not in given and catalog.MISTAKES[m].zero_init_twin not in given]
        why = "" if not withheld else (
            f"the outputs are those of {what} here, but from the ZERO init, where every hidden unit is alike, that "
            f"tells {' and '.join(withheld)} from no mistake of the same shape; {random}, and the source does not "
            f"show {'it' if len(withheld) == 1 else 'them'} either: {'it is' if len(withheld) == 1 else 'they are'} "
            "not named")
        self.confirmed[named] = (tuple(given), details, why)
        return self.confirmed[named]

    def run_failed(self, name: str, config: Config, run: RunResult, weight: float) -> Result:
        """A run that exited non-zero or was ended by time: why, from its traceback and the source, or how slow it
        is (only where nothing else explains a run the time ended); an explanation given in full for an earlier
        configuration is referred back to."""
        if config in self.shortened and run.out_of_time():
            return self.hung_too(name, config, run, weight)
        if run.status is None or run.out_of_time():  # not run, or stopped: by time (CPU time too), or by a limit
            hang = self.runner.budget.hang
            if hang and not hang.cause.startswith("the run "):  # the cause is known: no pace
                return failed(name, [why_run_failed(run)], weight, report.run_ending(run))
            # (a file that hangs at its import never reaches its main, on any machine: nothing to say of it here)
            ended_by_time = (run.out_of_time() or run.problem.startswith(("timed out", "not run"))) and \
                "importing" not in run.problem
            causes = self.crashes.lines(self.crashes.from_source()) if ended_by_time else []
            if causes:
                return self.said_once(name, why_run_failed(run), causes, weight, report.run_ending(run))
            return failed(name, [why_run_failed(run), *self.pace.explain(config, run, name)], weight,
                          report.run_ending(run))
        ran = any(status == 0 for c, status in self.exited.items() if c.epochs > 0)
        lines = self.crashes.lines(self.crashes.explain(config, run, ran))
        return self.said_once(name, why_run_failed(run), lines, weight, report.run_ending(run))

    def written_before(self, config: Config, run: RunResult) -> List[str]:
        """A run that failed after writing outputs: what it wrote, read leniently and judged as a run that ended
        would be (its check still fails: the run did not end)."""
        present = [o for o in runs.OUTPUT_NAMES if run.outputs.get(o)]
        if not present:
            return []
        head = f"what it wrote before it failed ({', '.join(present)}), read as the outputs of a run that ended:"
        if len(present) == len(runs.OUTPUT_NAMES):
            return [head, *self.judged(config, run._replace(status=0, problem=""))[1]]
        if runs.OUTPUT_NAMES[2] not in present:
            return []
        try:
            rows, deviations = outputs.metrics(runs.OUTPUT_NAMES[2], run.outputs[runs.OUTPUT_NAMES[2]].decode())
        except (compare.FormatError, UnicodeDecodeError):
            return []
        reference = runs.expected_outputs(config, self.data)
        found = runs.differences((reference[0], reference[1], rows), reference, self.tol)[2][1]
        lines = format_lines(outputs.Reading(None, "", deviations), {runs.OUTPUT_NAMES[2]: found.same})
        return [head, *lines, *([] if found.same else [f"metrics: {found.describe()}"])]

    def past_blocking_import(self, config: Config, run: RunResult) -> List[str]:
        """Feedback past an import the autograder cannot do (it earns no points), once per grade: the run again with
        every such module the file imports replaced by a stand-in that fails only where used
        (grader/standins.py), and what that run shows."""
        trace = crashes.parse_traceback(run.stderr)
        missing = re.match(r"No module named '([\w.]+)'", trace.message) if trace else None
        modules = sorted({f.module.split(".")[0] for f in env.absent_imports(self.tree)}) if self.tree else []
        if missing is None or "a stand-in for the autograder" in trace.message or \
                not autograder_image.absent(missing.group(1)) or not modules or self.runner.budget.spent():
            return []
        if self.fed_back:  # once per grade: each run would cost as much as the file's training, for no points
            return [f"(feedback past the import: see {self.fed_back})"]
        self.fed_back = config.check_name()
        again = self.run(config, standins.files(modules))
        lines = [f"feedback past the import, which earns no points (the autograder fails at it too): the same run "
                 f"with {', '.join(modules)} replaced by stand-ins that fail only where the file uses them:"]
        if again.status == 0:
            return lines + self.judged(config, again)[1]
        if again.status is None:
            return lines + [why_run_failed(again)]
        ran = any(status == 0 for c, status in self.exited.items() if c.epochs > 0)
        return lines + [why_run_failed(again), *self.crashes.lines(self.crashes.explain(config, again, ran)),
                        *self.written_before(config, again)]

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
        if run.status == 0:
            passed, lines, said_once = self.judged(config, run)
            if passed:
                return Result(name, True, "\n".join(lines), weight)
            ended = report.run_ending(run) if run.problem else ""  # a limit hit, though the run exited 0
            return self.said_once(name, lines[0], lines[1:], weight, ended) if said_once else \
                failed(name, lines, weight, ended)
        result = self.run_failed(name, config, run, weight)
        more = self.written_before(config, run) + self.past_blocking_import(config, run) \
            if run.status is not None else []
        if not more:
            return result
        return result._replace(output="\n".join([result.output, *more]),
                               mistakes=tuple(dict.fromkeys(result.mistakes + catalog.mistake_ids(more))))

    def judged(self, config: Config, run: RunResult) -> Tuple[bool, List[str], bool]:
        """A run that exited 0: its outputs read leniently, compared, and what differs explained. Returns whether
        it passes, the report's lines, and whether they are a failure to say once (no outputs written)."""
        X_train, _, X_validation, _ = self.data[config.dataset]
        reading = outputs.read(run, (len(X_train), len(X_validation), 2 * config.epochs + 2))
        if reading.outputs is None:
            lines = [f"{reading.problem}{report.quote(run.stderr)}"]
            if reading.problem.startswith("wrote no"):
                lines += self.experiment_lines() + self.crashes.lines(self.crashes.missing_outputs(run))
                return False, lines, True
            return False, lines, False
        if run.problem:
            return False, [f"{run.problem}{report.quote(run.stderr)}"], False
        with self.runner.budget.observing():  # this project's work, timed: how busy the machine is (Budget.stretch)
            reference = runs.expected_outputs(config, self.data)
        got = reading.outputs
        found = runs.differences(got, reference, self.tol)
        worst = found[2][1].worst
        lines = format_lines(reading, {output: d.same for output, (_, d) in zip(runs.OUTPUT_NAMES, found)})
        if all(d.same for _, d in found):
            if lines:
                return False, lines, False
            return True, [f"largest metric difference {worst:.3g}"] if worst else [], False
        lines += [f"{what}: {d.describe()}" for what, d in found if not d.same]
        if worst:
            lines.append(f"largest metric difference {worst:.3g} (tolerance {self.tol:g})")
        structure = catalog.metrics_structure(got[2], reference[2])
        if structure:  # no mistake of the catalog changes the lines: no search
            lines.append(catalog.mistake_line("metrics-lines-missing", structure))
            return False, lines, False
        rounded = catalog.metrics_rounded(got[2], reference[2], self.tol) if found[0][1].same and found[1][1].same \
            else ""
        if rounded:  # the values are this project's, written rounded: no search
            lines.append(catalog.mistake_line(catalog.METRICS_ROUNDED.id, rounded))
            return False, lines, False
        decimals = catalog.written_decimals(got[2])
        if decimals is not None:  # rounded, and something else differs too: the search allows for the rounding
            lines.append(catalog.mistake_line(catalog.METRICS_ROUNDED.id, (
                f"every cross-entropy is written with at most {decimals} decimals; the search for what else differs "
                f"compares the metrics within {catalog.rounding_tolerance(got[2], self.tol):.2g}")))
        lines += [note for note in [constant_loss(got[2], reference[2])] if note]
        return False, lines + self.explain(config, got, reference), False
