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

from grader import autograder_image, catalog, runs
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
ARRAY_MAKERS = {"eye", "identity", "zeros", "ones", "empty", "full"}  # whose first argument is a shape or a size
CLASSES = 10  # the data's letters: labels 0 to 9
# an IndexError of numpy's: an index past an axis's size
OUT_OF_BOUNDS = re.compile(r"index (?P<index>-?\d+) is out of bounds for axis (?P<axis>\d+) with size (?P<size>\d+)")
CLASS_COUNT_NAMES = {"k", "num_classes", "n_classes", "num_class", "n_class", "classes", "output_size", "num_labels",
                     "n_labels", "output_dim", "num_outputs", "n_outputs", "n_out", "output_units", "num_output"}
SETTING_WORDS = ("epoch", "hidden", "init", "learning_rate", "lr", "rate")  # in the names of the command line's numbers
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


def _is_int(node: Optional[ast.AST], value: int) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value == value


def _class_count_name(name: str) -> bool:
    """A name that holds a number of classes: K, num_classes, output_size, self.num_output, n_out, ..."""
    name = name.lower()
    return name in CLASS_COUNT_NAMES or "class" in name or name.startswith(("num_out", "n_out", "output"))


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

    def reached_writes(self) -> Tuple[List[int], List[str]]:
        """The writes (open(..., 'w'), savetxt, print(file=...)) that the file's entry points can reach: the lines
        of those reached, and the names of the functions holding writes that nothing reaches. Reached is taken
        widely (a function is reached where any reached code names it, called or not, as name or attribute), so
        that a write is never taken for unreached when it might run."""
        if self.tree is None:
            return [], []
        defined: Dict[str, List[ast.AST]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defined.setdefault(node.name, []).append(node)
        # (methods Python calls itself, __init__ and the like, count as reached)
        top = [n for n in self.tree.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))] + \
            [n for name, nodes in defined.items() if name.startswith("__") and name.endswith("__") for n in nodes]
        reached: List[ast.AST] = list(top)
        seen: Set[str] = set()
        frontier = list(top)
        while frontier:
            part = frontier.pop()
            for node in ast.walk(part):
                name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
                if name in defined and name not in seen:
                    seen.add(name)
                    reached += defined[name]
                    frontier += defined[name]
        def writes(part):
            return [n.lineno for n in ast.walk(part) if isinstance(n, ast.Call) and
                    (self._writes(n) or any(k.arg == "file" for k in n.keywords))]
        # (a class body is top-level code: its methods are reached only through their names, above)
        reached_lines = sorted({line for part in reached for line in writes(part)
                                if not isinstance(part, ast.ClassDef)} |
                               {line for part in reached if isinstance(part, (ast.FunctionDef, ast.AsyncFunctionDef))
                                for line in writes(part)})
        unreached = sorted(name for name, nodes in defined.items() if name not in seen and
                           any(writes(n) for n in nodes))
        return reached_lines, unreached

    def reads_command_line(self) -> bool:
        """Whether anything in the file reads its command line: sys.argv, argparse's parse_args, getopt."""
        return any((isinstance(n, ast.Attribute) and n.attr == "argv") or
                   (isinstance(n, ast.Name) and n.id == "argv") or
                   (isinstance(n, ast.Call) and name_of(n.func) in ("parse_args", "parse_known_args", "getopt"))
                   for n in self.nodes())

    def fixed_settings(self) -> List[Tuple[int, str]]:
        """Settings the source fixes where the command line should give them: names of epochs, hidden units, init
        flag or learning rate given a number, and paths given a data file's name ((line, 'name = value'))."""
        found = []
        for node in self.nodes():
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and len(node.targets) == 1:
                name, value = name_of(node.targets[0]).lower(), node.value.value
                numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
                if (numeric and any(word in name for word in SETTING_WORDS)) or \
                        (isinstance(value, str) and DATA_FILE.search(value) and PATH.match(value)):
                    found.append((node.lineno, ast.unparse(node)[:80]))
        return sorted(found)

    def class_count_lines(self, count: int) -> List[int]:
        """The lines that fix the number of classes at `count`, best first: a class-count name given it (K = 4,
        self.num_output = 4, output_size=4, a parameter's default), np.eye(4) or an array shaped by it (np.zeros(4)),
        then any call passing it (NN(M, D, 4, ...), ini_par(x, y, flag, D, 4))."""
        named, shaped, passed = [], [], []
        for node in self.nodes():
            if isinstance(node, ast.Assign) and _is_int(node.value, count) and \
                    any(_class_count_name(name_of(t)) for t in node.targets):
                named.append(node.lineno)
            elif isinstance(node, ast.Call):
                name = name_of(node.func)
                if any(k.arg and _class_count_name(k.arg) and _is_int(k.value, count) for k in node.keywords):
                    named.append(node.lineno)
                elif name in ARRAY_MAKERS and node.args and any(_is_int(n, count) for n in ast.walk(node.args[0])):
                    shaped.append(node.lineno)
                elif any(_is_int(a, count) for a in node.args):
                    passed.append(node.lineno)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                positional = node.args.args[len(node.args.args) - len(node.args.defaults):]
                for arg, default in [*zip(positional, node.args.defaults), *zip(node.args.kwonlyargs,
                                                                                 node.args.kw_defaults)]:
                    if _class_count_name(arg.arg) and _is_int(default, count):
                        named.append(node.lineno)
        return sorted(set(named)) + sorted(set(shaped) - set(named)) + sorted(set(passed) - set(named) - set(shaped))

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

    def import_line(self, module: str) -> int:
        """The line of the first import of this module (or of the package it is in, or of one in it), or 0."""
        top = module.split(".")[0]
        for node in sorted(self.nodes(), key=lambda n: getattr(n, "lineno", 0)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            if any(name.split(".")[0] == top for name in names):
                return node.lineno
        return 0

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
            for explain in (self.module_absent, self.hard_coded_path, self.misspelt, self.python2, self.class_count):
                found += explain(trace, usage)
            if not found and config.epochs == 0 and ran_with_epochs:
                found.append(Evidence("fails-at-0-epochs", line, f"{trace.exception}: {trace.message}"[:300]))
            if self.experiment_signs and (not trace.lines or set(trace.lines) & self.source.spans(())):
                found.append(Evidence("experiment-main", line, f"its main block {', '.join(self.experiment_signs)}"))
            found += self.settings_in_source(trace) + self.writes_nothing()
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

    def class_count(self, trace: Traceback, usage: str) -> List[Evidence]:
        """A number of classes fixed below 10: an IndexError whose index is a label (below 10) past an axis of that
        size, and the source fixing that size (K = 4, np.eye(4), ...): a label of 4 to 9 indexing a 4-class array."""
        bound = OUT_OF_BOUNDS.search(trace.message) if trace.exception == "IndexError" else None
        if bound is None:
            return []
        index, size = int(bound.group("index")), int(bound.group("size"))
        lines = self.source.class_count_lines(size) if 2 <= size <= index < CLASSES else []
        if not lines:
            return []
        return [Evidence("class-count-fixed", lines[0], f"{trace.exception}: {trace.message}: the label {index} "
                         f"indexes an array sized for {size} classes"
                         + (f" (at {self.source.at(trace.lines[-1])})" if trace.lines else ""))]

    def module_absent(self, trace: Traceback, usage: str) -> List[Evidence]:
        """An import that failed because the module is not installed, where the autograder lacks it too."""
        missing = re.match(r"No module named '([\w.]+)'", trace.message) \
            if trace.exception in ("ModuleNotFoundError", "ImportError") else None
        if missing is None or not autograder_image.absent(missing.group(1)):
            return []
        if "a stand-in for the autograder" in trace.message:  # a feedback run: where the file needs the module
            used = re.search(r"missing: (.+) was used\)", trace.message)
            line = trace.lines[-1] if trace.lines else 0
            return [Evidence("", line, f"it needs {missing.group(1)} here ({used.group(1) if used else 'used'}), "
                                       f"at {self.source.at(line)}")]
        line = self.source.import_line(missing.group(1)) or (trace.lines[-1] if trace.lines else 0)
        return [Evidence("module-not-on-autograder", line, f"{trace.exception}: {trace.message}: "
                                                             f"{autograder_image.why_absent(missing.group(1))}")]

    def from_source(self) -> List[Evidence]:
        """What the source alone shows of a run that did not end (stopped by time): experiment code in the main
        block, nothing that writes the outputs, settings fixed in the file. The same whatever the machine's load."""
        main = [Evidence("experiment-main", self.source.first_line_of("__main__"),
                         f"its main block {', '.join(self.experiment_signs)}")] if self.experiment_signs else []
        return main + self.writes_nothing() + self.settings_in_source(None)

    def writes_nothing(self) -> List[Evidence]:
        """no-outputs-written from the source alone: nothing the file runs can write a file (whatever its runs
        did first)."""
        reached, unreached = self.source.reached_writes()
        if self.source.tree is None or reached:
            return []
        guard = self.source.first_line_of("__main__")
        detail = "no open(..., 'w'), savetxt or other write is reached from the code the file runs" + \
            (f": {', '.join(f'{name}()' for name in unreached)} would write, but nothing calls "
             f"{'it' if len(unreached) == 1 else 'them'}" if unreached else "")
        return [Evidence("no-outputs-written", guard, detail)]

    def settings_in_source(self, trace: Optional[Traceback]) -> List[Evidence]:
        """hard-coded-settings from the source: the file never reads its command line and fixes the settings it
        should take from there; named with a run that failed on one of them (a file the command line did not
        give) or ran them."""
        if self.source.tree is None or self.source.reads_command_line() or self.experiment_signs:
            return []
        fixed = self.source.fixed_settings()
        if len(fixed) < 2:
            return []
        return [Evidence("hard-coded-settings", fixed[0][0], "the file never reads its command line (no sys.argv, "
                         f"no argparse) and fixes its settings itself: {'; '.join(text for _, text in fixed[:4])}")]

    def missing_outputs(self, run: RunResult) -> List[Evidence]:
        """A run that exited 0 without its outputs: nothing in the file writes a file, or it writes to a path of
        its own."""
        if any(run.outputs.get(name) is not None or name in run.kinds for name in runs.OUTPUT_NAMES):
            return []
        written = [(line, path) for line, path, writes in self.source.literal_paths() if writes]
        if written:
            line, path = written[0]
            return [Evidence("hard-coded-path", line, f"it writes {path!r}, not the path the command line gives")]
        return self.writes_nothing() + self.settings_in_source(None)

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
        elif run.out_of_time() or (run.status is None and run.problem.startswith("timed out")):
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
        if not run.out_of_time() and (run.status is not None or not re.match(r"(timed out|not run)", run.problem)):
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
