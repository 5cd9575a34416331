"""Why a run of the submission failed: its traceback and its source read together, in the grader's process.

The evidence is the source (compile() and its syntax tree, read before any run) and what the run left:
its exit status, the exception on its stderr with the frames in neuralnet.py and their lines, and which
outputs it wrote. A cause is named (a mistake id of grader/catalog.py, pointing at the line of the
student's file) only when that evidence holds it: a FileNotFoundError on a path the command line did not
give, an AttributeError on an argument the parser does not define, and so on. Otherwise the explanation
says where the run failed: the line and the exception. A run that the time budget ended is told how slow
it is against this project on the same configuration (Pace).
"""
import ast
import difflib
import re
import time
from typing import Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

from grader import catalog, runs
from grader.runner import RunResult
from grader.runs import Config, Datasets

FILE = "neuralnet.py"


class Evidence(NamedTuple):
    """A cause found, or only where the run failed ('' id)."""
    mistake_id: str  # '' when no cause is named
    line: int  # in the student's file; 0 when unknown
    detail: str


# ----------------------------------------------------------------------------
# The traceback: the exception and the frames in neuralnet.py
# ----------------------------------------------------------------------------

FRAME = re.compile(r'^\s*File "(?P<file>[^"]*)", line (?P<line>\d+)')
EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Iteration))"
                       r"(?::\s?(?P<message>.*))?$")
USAGE_ERROR = re.compile(r"^\S*: error: (?P<message>.+)$")  # argparse's last line


class Traceback(NamedTuple):
    exception: str  # 'FileNotFoundError' (the last name of a dotted one)
    message: str
    lines: Tuple[int, ...]  # the frames in neuralnet.py, outermost first


def parse_traceback(stderr: str) -> Optional[Traceback]:
    """The last traceback on a run's stderr (only the frames of neuralnet.py), or None."""
    rows = stderr.splitlines()
    starts = [i for i, row in enumerate(rows) if row.startswith("Traceback (most recent call last)")]
    if not starts:
        return None
    lines: List[int] = []
    for row in rows[starts[-1]:]:
        frame = FRAME.match(row)
        if frame and frame.group("file").replace("\\", "/").split("/")[-1] == FILE:
            lines.append(int(frame.group("line")))
    exceptions = [EXCEPTION.match(row) for row in rows[starts[-1] + 1:]]
    found = [m for m in exceptions if m]
    if not found:
        return None
    last = found[-1]
    return Traceback(last.group("type").split(".")[-1], (last.group("message") or "").strip(), tuple(lines))


def usage_error(stderr: str) -> str:
    """argparse's error line ('the following arguments are required: ...'), or ''."""
    rows = stderr.rstrip().splitlines()
    if len(rows) >= 2 and any(row.startswith("usage:") for row in rows):
        match = USAGE_ERROR.match(rows[-1])
        return match.group("message") if match else ""
    return ""


# ----------------------------------------------------------------------------
# The source, read once: compile() first, then what the syntax tree holds
# ----------------------------------------------------------------------------

PYTHON2_LINES = [(re.compile(r"^print\b\s*([^\s(=.]|$)"), "a print statement"),
                 (re.compile(r"^except\s+[^:]+,\s*\w+\s*:"), "except E, e:"),
                 (re.compile(r"^raise\s+[\w.]+\s*,"), "raise E, message"),
                 (re.compile(r"^exec\s+[\"'\w]"), "an exec statement")]
PYTHON2_NAMES = {"xrange", "raw_input", "unicode", "basestring", "unichr", "execfile", "long", "cmp", "reduce"}
PYTHON2_METHODS = {"iteritems", "iterkeys", "itervalues", "has_key"}
READERS = {"open", "loadtxt", "genfromtxt", "read_csv", "savetxt", "load", "fromfile"}
WRITERS = {"savetxt", "tofile", "to_csv", "write_text", "write_bytes", "dump", "save", "savez"}
CLASS_COUNT_NAMES = {"k", "num_classes", "n_classes", "num_class", "n_class", "classes", "output_size", "num_labels",
                     "n_labels", "output_dim", "num_outputs", "n_outputs", "n_out", "output_units", "num_output"}
PATH = re.compile(r"^[\w.~/\\:-]*\.(csv|labels|txt|tsv)$")
DATA_FILE = re.compile(r"\.(csv|labels|txt|tsv)$")  # the handout's inputs and outputs
# argparse's errors that say the parser takes other arguments than the handout's nine positional ones
# (an 'invalid int value' may be an order changed instead: not named)
OTHER_ARGUMENTS = re.compile(r"^(the following arguments are required|unrecognized arguments)")


def python2_sign(message: str, line: str) -> str:
    """What on a line that does not compile is Python 2, or ''."""
    if "Missing parentheses in call to 'print'" in message:
        return "a print statement"
    if "Missing parentheses in call to 'exec'" in message:
        return "an exec statement"
    if "leading zeros in decimal integer literals" in message:
        return "an octal literal such as 0777"
    return next((what for pattern, what in PYTHON2_LINES if pattern.search(line.strip())), "")


def name_of(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _is_four(node: Optional[ast.AST]) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value == 4


class Source:
    """One submission's source, parsed once; each method returns what it finds with its line."""

    def __init__(self, text: str):
        self.text, self.rows = text, text.splitlines()
        self.compiled = self._compile()
        try:
            self.tree: Optional[ast.Module] = ast.parse(text)
        except (SyntaxError, ValueError):
            self.tree = None

    def row(self, line: int) -> str:
        return self.rows[line - 1].strip()[:160] if 0 < line <= len(self.rows) else ""

    def at(self, line: int) -> str:
        """'line 12: train = np.loadtxt(...)', as the report points at the student's file."""
        return f"{FILE} line {line}: {self.row(line)}" if line else ""

    def report_lines(self, found: Sequence[Evidence]) -> List[str]:
        """The report's lines: each cause named with its line in the student's file; else where it failed."""
        out: List[str] = []
        for e in found:
            where = self.at(e.line)
            detail = f"{where}\n  {e.detail}" if where and where not in e.detail else e.detail
            out.append(catalog.mistake_line(e.mistake_id, detail) if e.mistake_id else detail)
        return out

    def _compile(self) -> Optional[Evidence]:
        """Why the file does not compile (Python 2 syntax, mixed indentation), or None when it does."""
        try:
            compile(self.text, FILE, "exec", dont_inherit=True)
        except TabError as e:
            return Evidence("mixed-indentation", e.lineno or 0, f"TabError: {e.msg}")
        except SyntaxError as e:
            line = e.lineno or 0
            if isinstance(e, IndentationError) and self._mixes_tabs(line):
                return Evidence("mixed-indentation", line, f"{type(e).__name__}: {e.msg}, in a file that indents "
                                                           "with both tabs and spaces")
            sign = python2_sign(e.msg, self.row(line))
            if sign:
                return Evidence("python2-code", line, f"{sign} (SyntaxError: {e.msg})")
            return Evidence("", line, f"{type(e).__name__}: {e.msg}")
        except ValueError as e:  # null bytes
            return Evidence("", 0, f"the file does not compile: {e}")
        return None

    def _mixes_tabs(self, line: int) -> bool:
        """Whether the file indents with both tabs and spaces, and the line that fails or the one before it
        with tabs."""
        indents = [(i, row[:len(row) - len(row.lstrip(" \t"))]) for i, row in enumerate(self.rows, start=1)
                   if row.strip()]
        near = [indent for i, indent in indents if i <= line][-2:]
        return any("\t" in i for _, i in indents) and any(" " in i for _, i in indents) and \
            any("\t" in indent for indent in near)

    def nodes(self):
        return ast.walk(self.tree) if self.tree is not None else iter(())

    def literal_paths(self) -> List[Tuple[int, str, bool]]:
        """String constants that name a file (.csv, .labels, .txt) passed to a reader or writer or assigned to a
        name: (line, path, written)."""
        found = []
        for node in self.nodes():
            if isinstance(node, ast.Call) and name_of(node.func) in READERS | WRITERS and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and PATH.match(first.value):
                    found.append((first.lineno, first.value, self._writes(node)))
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and \
                    isinstance(node.value.value, str) and PATH.match(node.value.value):
                found.append((node.lineno, node.value.value, False))
        return sorted(set(found))

    @staticmethod
    def _writes(call: ast.Call) -> bool:
        """Whether a call writes a file: open() in a writing mode, or a writer (savetxt, tofile, ...)."""
        name = name_of(call.func)
        if name in WRITERS:
            return True
        if name != "open":
            return False
        modes = [k.value for k in call.keywords if k.arg == "mode"] + call.args[1:2]
        return any(isinstance(m, ast.Constant) and isinstance(m.value, str) and set(m.value) & set("wax")
                   for m in modes)

    def writes_anything(self) -> bool:
        """Whether anything in the file writes a file (open in a writing mode, savetxt, print(file=...), ...)."""
        for node in self.nodes():
            if isinstance(node, ast.Call) and (self._writes(node) or any(k.arg == "file" for k in node.keywords)):
                return True
        return False

    def class_count_of_four(self) -> List[int]:
        """The lines that fix the number of classes at 4: K = 4, output_size=4, np.eye(4), NN(M, D, 4, ...)."""
        lines = []
        for node in self.nodes():
            if isinstance(node, ast.Assign) and _is_four(node.value) and \
                    any(name_of(t).lower() in CLASS_COUNT_NAMES for t in node.targets):
                lines.append(node.lineno)
            elif isinstance(node, ast.Call):
                name = name_of(node.func)
                if any(k.arg and k.arg.lower() in CLASS_COUNT_NAMES and _is_four(k.value) for k in node.keywords) or \
                        (name in ("eye", "identity") and node.args and _is_four(node.args[0])) or \
                        (name == "NN" and len(node.args) >= 3 and _is_four(node.args[2])):
                    lines.append(node.lineno)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                positional = node.args.args[len(node.args.args) - len(node.args.defaults):]
                for arg, default in [*zip(positional, node.args.defaults), *zip(node.args.kwonlyargs,
                                                                                 node.args.kw_defaults)]:
                    if arg.arg.lower() in CLASS_COUNT_NAMES and _is_four(default):
                        lines.append(node.lineno)
        return sorted(set(lines))

    def parser_names(self) -> Tuple[Dict[str, int], Dict[str, List[int]]]:
        """The names an argparse parser defines (dest -> line of add_argument), and the names read from the
        parsed arguments (name -> lines)."""
        defined: Dict[str, int] = {}
        parsed: Set[str] = set()
        for node in self.nodes():
            if isinstance(node, ast.Call) and name_of(node.func) == "add_argument":
                names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                dest = next((k.value.value for k in node.keywords if k.arg == "dest" and
                             isinstance(k.value, ast.Constant)), None)
                if dest is None and names:
                    longs = [n for n in names if n.startswith("--")]
                    dest = (longs or names)[0].lstrip("-")
                    dest = dest.replace("-", "_") if (longs or names[0].startswith("-")) else dest
                if isinstance(dest, str):
                    defined[dest] = node.lineno
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                    name_of(node.value.func) in ("parse_args", "parse_known_args"):
                parsed |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        read: Dict[str, List[int]] = {}
        for node in self.nodes():
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in parsed:
                read.setdefault(node.attr, []).append(node.lineno)
        return defined, read

    def definition(self, name: str, method: str = "") -> Optional[ast.AST]:
        """A top-level function, or a method of a top-level class, by name; None when absent."""
        body = self.tree.body if self.tree is not None else []
        found = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name), None)
        if method and isinstance(found, ast.ClassDef):
            return next((n for n in found.body if isinstance(n, ast.FunctionDef) and n.name == method), None)
        return None if method else found

    def first_line_of(self, text: str) -> int:
        """The first line holding this text, or 0."""
        return next((i for i, row in enumerate(self.rows, start=1) if text in row), 0)

    def spans(self, names: Sequence[str]) -> Set[int]:
        """The lines of the main block and of the top-level functions it calls, by name."""
        if self.tree is None:
            return set()
        guards = [n for n in self.tree.body if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test)]
        functions = {n.name: n for n in self.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        called = {name_of(c.func) for g in guards for c in ast.walk(g) if isinstance(c, ast.Call)}
        parts = guards + [functions[name] for name in called & set(functions) if name in names or not names]
        return {line for part in parts for line in range(part.lineno, (part.end_lineno or part.lineno) + 1)}


# ----------------------------------------------------------------------------
# A failing run's explanation: each cause from the evidence that holds it
# ----------------------------------------------------------------------------

class Explainer:
    """Why one submission's runs fail. `experiment_signs`: what catalog.experiment_main found in its main block."""

    def __init__(self, submission: bytes, experiment_signs: Sequence[str]):
        self.source = Source(submission.decode(errors="replace"))
        self.experiment_signs = list(experiment_signs)
        self.given: Set[str] = set()  # the paths the run's command line gave

    def explain(self, config: Config, run: RunResult, ran_with_epochs: bool) -> List[Evidence]:
        """The causes of a run that exited non-zero, else where it failed. `ran_with_epochs`: another run of
        this submission with num_epoch > 0 exited 0."""
        if self.source.compiled is not None:
            return [self.source.compiled]
        found: List[Evidence] = []
        self.given = {f"{config.dataset}_train.csv", f"{config.dataset}_validation.csv", *runs.OUTPUT_NAMES}
        trace = parse_traceback(run.stderr)
        usage = usage_error(run.stderr)
        if OTHER_ARGUMENTS.match(usage):
            found += self.misspelt(None, usage)
        if trace is not None:
            line = trace.lines[-1] if trace.lines else 0
            for explain in (self.hard_coded_path, self.misspelt, self.python2, self.four_classes):
                found += explain(trace, usage)
            if not found and config.epochs == 0 and ran_with_epochs:
                found.append(Evidence("fails-at-0-epochs", line, f"{trace.exception}: {trace.message}"[:300]))
            if self.experiment_signs and (not trace.lines or trace.lines[-1] in self.source.spans(())):
                found.append(Evidence("experiment-main", line, f"its main block {', '.join(self.experiment_signs)}"))
            if not found:
                where = f"{self.source.at(line)}: " if line else ""
                found.append(Evidence("", line, f"it failed at {where}{trace.exception}: {trace.message}"[:400]))
        return found

    def hard_coded_path(self, trace: Traceback, usage: str) -> List[Evidence]:
        """A FileNotFoundError on a path that none of the command line's arguments is."""
        if trace.exception not in ("FileNotFoundError", "OSError", "IOError"):
            return []
        match = re.search(r"'([^']+)'", trace.message) or re.match(r"(\S+) not found\.?$", trace.message)
        if not match:
            return []
        path = match.group(1)
        if path.replace("\\", "/").lstrip("./") in self.given or not DATA_FILE.search(path):
            return []  # one of the paths given, or not a data or output file (a figure's folder, ...)
        line = next((line for line, literal, _ in self.source.literal_paths() if literal == path), 0) or \
            self.source.first_line_of(path) or (trace.lines[-1] if trace.lines else 0)
        return [Evidence("hard-coded-path", line, f"{trace.exception} on {path!r}, which the command line did not "
                                                  "give")]

    def misspelt(self, trace: Optional[Traceback], usage: str) -> List[Evidence]:
        """An AttributeError on a name the parser does not define, or argparse refusing the handout's arguments."""
        defined, read = self.source.parser_names()
        if trace is None:
            line = min(defined.values(), default=0)
            return [Evidence("misspelt-argument", line, f"the parser refuses the handout's nine arguments: {usage}")]
        match = re.match(r"'Namespace' object has no attribute '(\w+)'", trace.message)
        if trace.exception != "AttributeError" or not match:
            return []
        name = match.group(1)
        close = difflib.get_close_matches(name, list(defined), n=1, cutoff=0.6)
        line = read.get(name, [trace.lines[-1] if trace.lines else 0])[0]
        detail = f"args.{name} is read, but the parser defines no {name}"
        if close:
            valid = close[0].isidentifier()
            detail += f"; it defines {close[0]!r} ({self.source.at(defined[close[0]])})" + \
                ("" if valid else ", not a valid name: no args.<name> can read it")
            line = line if valid else defined[close[0]]
        return [Evidence("misspelt-argument", line, detail)]

    def python2(self, trace: Traceback, usage: str) -> List[Evidence]:
        """A NameError on a Python 2 builtin (xrange, raw_input) or a dict method Python 3 removed (iteritems)."""
        name = re.match(r"name '(\w+)' is not defined", trace.message) if trace.exception == "NameError" else None
        method = re.match(r"'dict' object has no attribute '(\w+)'", trace.message) \
            if trace.exception == "AttributeError" else None
        if (name and name.group(1) in PYTHON2_NAMES) or (method and method.group(1) in PYTHON2_METHODS):
            return [Evidence("python2-code", trace.lines[-1] if trace.lines else 0,
                             f"{trace.exception}: {trace.message}: Python 2 only")]
        return []

    def four_classes(self, trace: Traceback, usage: str) -> List[Evidence]:
        """A number of classes fixed at 4 in the source, given an IndexError (a label of 4 to 9 indexing it)."""
        lines = self.source.class_count_of_four()
        if not lines or trace.exception != "IndexError" or "with size 4" not in trace.message:
            return []
        return [Evidence("four-classes", lines[0], f"{trace.exception}: {trace.message}"
                         + (f" (at {self.source.at(trace.lines[-1])})" if trace.lines else ""))]

    def missing_outputs(self, run: RunResult) -> List[Evidence]:
        """A run that exited 0 without its outputs: nothing in the file writes a file, or it writes to a path of
        its own."""
        if any(run.outputs.get(name) is not None or name in run.kinds for name in runs.OUTPUT_NAMES):
            return []
        written = [(line, path) for line, path, writes in self.source.literal_paths() if writes]
        if written:
            line, path = written[0]
            return [Evidence("hard-coded-path", line, f"it writes {path!r}, not the path the command line gives")]
        if self.source.tree is not None and not self.source.writes_anything():
            guard = self.source.first_line_of("__main__")
            return [Evidence("no-outputs-written", guard, "no open(..., 'w'), savetxt or other write anywhere in the "
                                                          "file")]
        return []

    def lines(self, found: Sequence[Evidence]) -> List[str]:
        return self.source.report_lines(found)


def referred(lines: Sequence[str], first: str) -> List[str]:
    """The same causes as an earlier check's: each named again by id, referred back to that check."""
    out: List[str] = []
    for line in lines:
        if isinstance(line, catalog.MistakeLine):
            short = catalog.MistakeLine(f"mistake: {line.mistake_id} (explained under {first})")
            short.mistake_id = line.mistake_id
            out.append(short)
    return out or [f"(where it failed: as under {first})"]


# ----------------------------------------------------------------------------
# Slow code: how long its runs take against this project's on the same configurations
# ----------------------------------------------------------------------------

# Gradescope's autograder documentation, "Troubleshooting: Your submission timed out": a default overall
# timeout of 10 minutes per submission, raised in the assignment's settings up to 40 minutes, with half a
# virtual CPU per autograder by default.
GRADESCOPE_DEFAULT_MINUTES, GRADESCOPE_MAX_MINUTES = 10, 40


STARTUP_ALLOWANCE = 1.0  # seconds of a run allowed for starting Python and importing numpy: its ratios are bounds


class Pace:
    """The submission's runs timed in the runner, and this project's on the same configurations, in this process.
    A run's time, less STARTUP_ALLOWANCE, against this project's time in this process: a ratio the submission is
    at least as slow as."""

    def __init__(self, data: Datasets):
        self.data = data
        self.theirs: Dict[Config, float] = {}  # the runs that exited 0 having trained (num_epoch > 0)
        self.timed_out: Dict[Config, float] = {}  # the runs a timeout ended: they took more than this
        self.ours: Dict[Config, float] = {}
        self.told = ""  # the check that said what Gradescope's limit means

    def record(self, config: Config, seconds: float, run: RunResult) -> None:
        if run.status == 0 and not run.problem and config.epochs > 0:
            self.theirs[config] = seconds
        elif run.status is None and run.problem.startswith("timed out"):
            self.timed_out[config] = seconds

    def reference_seconds(self, config: Config) -> float:
        """How long this project takes to compute config's outputs (measured once, in the grader's process)."""
        if config not in self.ours:
            started = time.perf_counter()
            runs.expected_outputs(config, self.data)
            self.ours[config] = max(time.perf_counter() - started, 1e-3)
        return self.ours[config]

    def ratio(self, configs: Sequence[Config], seconds: float) -> float:
        """How many times this project's time on these configurations their runs took (less the allowance)."""
        return max(seconds - STARTUP_ALLOWANCE * len(configs), 0.0) / sum(self.reference_seconds(c) for c in configs)

    def explain(self, config: Config, run: RunResult, check: str) -> List[str]:
        """For a run the time budget ended (timed out, or not run): how slow the submission is against this project."""
        if run.status is not None or not re.match(r"(timed out|not run)", run.problem):
            return []
        ours = self.reference_seconds(config)
        lines = []
        if config in self.timed_out:
            ratio = self.ratio([config], self.timed_out[config])
            lines.append(f"this run took more than {self.timed_out[config]:.0f} s; this project's neuralnet.py "
                         f"computes the same configuration in {ours:.2f} s here"
                         + (f": over {ratio:.0f} times as long (allowing {STARTUP_ALLOWANCE:g} s to start Python and "
                            "numpy)" if ratio >= 2 else ""))
        if self.theirs:
            theirs = sum(self.theirs.values())
            ratio = self.ratio(list(self.theirs), theirs)
            lines.append(f"its {len(self.theirs)} finished run{'s' * (len(self.theirs) > 1)} with training took "
                         f"{theirs:.1f} s where this project takes "
                         f"{sum(self.reference_seconds(c) for c in self.theirs):.2f} s ({ratio:.0f} times as long, "
                         f"allowing {STARTUP_ALLOWANCE:g} s a run to start Python and numpy); at that pace this "
                         f"configuration ({ours:.2f} s for this project) needs about {ratio * ours:.0f} s")
        elif self.timed_out and config not in self.timed_out:
            slowest = max(self.timed_out, key=lambda c: self.ratio([c], self.timed_out[c]))
            ratio = self.ratio([slowest], self.timed_out[slowest])
            lines.append(f"the run {slowest.describe()} took more than {self.timed_out[slowest]:.0f} s where this "
                         f"project takes {self.reference_seconds(slowest):.2f} s: over {ratio:.0f} times as long; at "
                         f"that pace this configuration ({ours:.2f} s for this project) needs more than "
                         f"{ratio * ours:.0f} s")
        if lines and not self.told:
            self.told = check
            lines.append(f"Gradescope stops the whole autograder after {GRADESCOPE_DEFAULT_MINUTES} minutes by "
                         f"default (a course can raise it to {GRADESCOPE_MAX_MINUTES}), with half a virtual CPU: code "
                         "that many times slower than this project needs that many times the course's grading time")
        elif lines:
            lines.append(f"(Gradescope's time limit: see {self.told})")
        return lines
