"""The env checks: what a submission's source says, read without running it (0 points: warnings).

Imports outside the standard library and numpy, syntax newer than the autograder's
Python 3.9, and code that runs when the file is imported (its detection is the catalog's,
beside the mistake's definition: grader/catalog.py). Everything here reads the source's
syntax tree; nothing of the submission runs.
"""
import ast
import os
import sys
import sysconfig
from typing import List, Optional, Set

from grader import catalog, crashes
from grader.catalog import Finding
from grader.report import Result

AUTOGRADER_PYTHON = (3, 9)
ALLOWED = {"numpy"}


def standard_library() -> Set[str]:
    """The standard library's top-level module names (sys.stdlib_module_names from Python 3.10)."""
    names = set(getattr(sys, "stdlib_module_names", ()))
    if not names:
        names = set(sys.builtin_module_names)
        for folder in (sysconfig.get_paths()["stdlib"], os.path.join(sysconfig.get_paths()["stdlib"], "lib-dynload")):
            if os.path.isdir(folder):
                names |= {entry.split(".")[0] for entry in os.listdir(folder) if entry != "site-packages"}
    return names


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




# ----------------------------------------------------------------------------
# env: what the source says, read without running it (0 points: warnings)
# ----------------------------------------------------------------------------

ENV_IMPORTS = "env:imports only the standard library and numpy, in Python 3.9 syntax"
ENV_IMPORT_SIDE_EFFECTS = "env:importing the file runs nothing"


def env_checks(submission: bytes) -> List[Result]:
    text = submission.decode(errors="replace")
    tree = parse(text)
    if tree is None:  # why, before any run: compile() in this process (Python 2 code, mixed indentation, ...)
        source = crashes.Source(text)
        why = source.compiled or crashes.Evidence("", 0, "the file does not parse")
        lines = source.report_lines([why]) if why.mistake_id else [f"the file does not parse: {why.detail}"
                                                                      + (f" ({source.at(why.line)})" if why.line
                                                                         else "")]
        return [Result(ENV_IMPORTS, False, "\n".join(lines), 0, catalog.mistake_ids(lines)),
                Result(ENV_IMPORT_SIDE_EFFECTS, False, "the file does not parse (see above)", 0)]
    findings = outside_imports(tree) + newer_syntax(text, tree)
    side_effect = catalog.import_side_effects(tree)
    side_effect_lines = [catalog.mistake_line("import-side-effects", side_effect.text)] if side_effect else []
    return [Result(ENV_IMPORTS, not findings, "\n".join(f.text for f in findings), 0),
            Result(ENV_IMPORT_SIDE_EFFECTS, side_effect is None, "\n".join(side_effect_lines), 0,
                   catalog.mistake_ids(side_effect_lines))]
