"""What a submission's source says, read without running it.

The env: checks (imports outside the standard library and numpy, syntax newer than
the autograder's Python 3.9) and two diagnoses of real students' code: command-line
code that runs when the file is imported, and a main block replaced by experiments.
Everything here reads the source's syntax tree; nothing of the submission runs.
"""
import ast
import os
import sys
import sysconfig
from typing import List, NamedTuple, Optional, Set

from grader import catalog
from grader.report import Result

AUTOGRADER_PYTHON = (3, 9)
ALLOWED = {"numpy"}
READS_OR_EXITS = {"open", "loadtxt", "genfromtxt", "savetxt", "exit", "quit", "read_csv"}


def standard_library() -> Set[str]:
    """The standard library's top-level module names (sys.stdlib_module_names from Python 3.10)."""
    names = set(getattr(sys, "stdlib_module_names", ()))
    if not names:
        names = set(sys.builtin_module_names)
        for folder in (sysconfig.get_paths()["stdlib"], os.path.join(sysconfig.get_paths()["stdlib"], "lib-dynload")):
            if os.path.isdir(folder):
                names |= {entry.split(".")[0] for entry in os.listdir(folder) if entry != "site-packages"}
    return names


class Finding(NamedTuple):
    line: int
    text: str


def parse(source: str) -> Optional[ast.Module]:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):  # reported by the import itself
        return None


def outside_imports(tree: ast.Module) -> List[Finding]:
    """Imports of modules that are neither the standard library nor numpy."""
    stdlib, found, seen = standard_library(), [], set()
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
        for name in names:
            top = name.split(".")[0]
            if top not in stdlib and top not in ALLOWED and top not in seen:
                seen.add(top)
                found.append(Finding(node.lineno, f"imports {top} (line {node.lineno}): the autograder has only "
                                                  "the standard library and numpy"))
    return found


def newer_syntax(source: str, tree: ast.Module) -> List[Finding]:
    """Syntax the autograder's Python 3.9 refuses: what its grammar rejects, and X | Y annotations."""
    found = []
    try:
        ast.parse(source, feature_version=AUTOGRADER_PYTHON)
    except SyntaxError as e:
        found.append(Finding(e.lineno or 0, f"syntax newer than Python 3.9 (line {e.lineno}: {e.msg}): "
                                            "the autograder runs Python 3.9.12"))
    postponed = any(isinstance(n, ast.ImportFrom) and n.module == "__future__" and
                    any(a.name == "annotations" for a in n.names) for n in tree.body)
    if not postponed:
        for node in ast.walk(tree):
            annotations = [node.returns] + [a.annotation for a in node.args.args + node.args.kwonlyargs] \
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else \
                [node.annotation] if isinstance(node, ast.AnnAssign) else []
            for annotation in filter(None, annotations):
                if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr) for n in ast.walk(annotation)):
                    found.append(Finding(annotation.lineno, f"a type written X | Y (line {annotation.lineno}): "
                                                            "Python 3.9 cannot evaluate it (use Optional or Union)"))
                    return found
    return found


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test)


def _reads_argv(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "argv" for n in ast.walk(node))


def _called_names(node: ast.AST) -> List[str]:
    names = []
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            names.append(f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else "")
    return names


def import_side_effects(tree: ast.Module) -> Optional[Finding]:
    """The first top-level statement outside `if __name__ == "__main__":` that reads sys.argv, reads or
    writes files, exits, or calls the file's own functions or classes (training at import)."""
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                or _is_main_guard(node):
            continue
        calls = set(_called_names(node))
        what = ("reads sys.argv" if _reads_argv(node) else
                f"calls {sorted(calls & defined)[0]}()" if calls & defined else
                f"calls {sorted(calls & READS_OR_EXITS)[0]}()" if calls & READS_OR_EXITS else
                "loops" if isinstance(node, (ast.For, ast.While)) else "")
        if what:
            return Finding(node.lineno, f"importing the file runs code that {what} (line {node.lineno}): put the "
                                        "command-line code under if __name__ == \"__main__\":")
    return None


def experiment_main(tree: ast.Module) -> List[str]:
    """What the main block (and the functions it calls) does instead of the command line: plots,
    trains on fixed settings, loops over settings, never reads sys.argv. Empty if nothing of the sort."""
    guards = [n for n in tree.body if _is_main_guard(n)]
    if not guards:
        return []
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    body: List[ast.AST] = list(guards)
    for name in set(_called_names(guards[0])) & set(functions):
        body.append(functions[name])
    signs = []
    if any(isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in ("plt", "pyplot")
           for part in body for n in ast.walk(part)) or \
            any(isinstance(n, (ast.Import, ast.ImportFrom)) and "matplotlib" in ast.unparse(n)
                for part in body for n in ast.walk(part)):
        signs.append("plots")
    if any(isinstance(n, ast.For) and isinstance(n.iter, (ast.List, ast.Tuple)) and
           all(isinstance(e, ast.Constant) and isinstance(e.value, (int, float)) for e in n.iter.elts)
           for part in body for n in ast.walk(part)):
        signs.append("loops over fixed settings")
    for part in body:
        for n in ast.walk(part):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "NN" and \
                    any(isinstance(k.value, ast.Constant) and isinstance(k.value.value, (int, float))
                        for k in n.keywords if k.arg in ("hidden_size", "learning_rate", "weight_init_fn")):
                signs.append("builds NN with fixed settings")
                break
    if not any(_reads_argv(part) or "parse_args" in _called_names(part) for part in body):
        signs.append("never reads sys.argv")
    return signs


# ----------------------------------------------------------------------------
# env: what the source says, read without running it (0 points: warnings)
# ----------------------------------------------------------------------------

ENV_IMPORTS = "env:imports only the standard library and numpy, in Python 3.9 syntax"
ENV_IMPORT_SIDE_EFFECTS = "env:importing the file runs nothing"


def env_checks(submission: bytes) -> List[Result]:
    text = submission.decode(errors="replace")
    tree = parse(text)
    if tree is None:
        return [Result(ENV_IMPORTS, False, "the file does not parse (see api:)", 0),
                Result(ENV_IMPORT_SIDE_EFFECTS, False, "the file does not parse (see api:)", 0)]
    findings = outside_imports(tree) + newer_syntax(text, tree)
    side_effect = import_side_effects(tree)
    side_effect_lines = [catalog.mistake_line("import-side-effects", side_effect.text)] if side_effect else []
    return [Result(ENV_IMPORTS, not findings, "\n".join(f.text for f in findings), 0),
            Result(ENV_IMPORT_SIDE_EFFECTS, side_effect is None, "\n".join(side_effect_lines), 0,
                   catalog.mistake_ids(side_effect_lines))]
