"""The env checks: what a submission's source says, read without running it (0 points: warnings).

Imports outside the standard library and numpy, syntax newer than the autograder's
Python 3.9, and code that runs when the file is imported (its detection is the catalog's,
beside the mistake's definition: grader/catalog.py). Everything here reads the source's
syntax tree; nothing of the submission runs.
"""
import ast
from typing import List, NamedTuple, Optional

from grader import autograder_image, catalog, crashes
from grader.catalog import Finding
from grader.report import Result

AUTOGRADER_PYTHON = (3, 9)


def parse(source: str) -> Optional[ast.Module]:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):  # reported by the import itself
        return None


class Import(NamedTuple):
    line: int
    module: str  # as imported, dotted


def absent_imports(tree: ast.Module) -> List[Import]:
    """Every import of a module the autograder's Python lacks (grader/autograder_image.py), in line order."""
    found = []
    for node in sorted(ast.walk(tree), key=lambda n: getattr(n, "lineno", 0)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
        found += [Import(node.lineno, name) for name in names if autograder_image.absent(name)]
    return found


def outside_imports(tree: ast.Module) -> List[Finding]:
    """Imports of modules that the autograder's Python lacks (grader/autograder_image.py): neither Python 3.9's
    standard library (less Tk) nor numpy. Each module once, at its first import."""
    found, seen = [], set()
    for line, module in absent_imports(tree):
        top = module.split(".")[0]
        if top not in seen:
            seen.add(top)
            found.append(Finding(line, f"imports {top} (line {line}): {autograder_image.why_absent(top)}"))
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
    absent = outside_imports(tree)
    lines = [catalog.mistake_line(catalog.MODULE_NOT_ON_AUTOGRADER.id, "\n  ".join(f.text for f in absent))] \
        if absent else []
    lines += [f.text for f in newer_syntax(text, tree)]
    side_effect = catalog.import_side_effects(tree)
    side_effect_lines = [catalog.mistake_line("import-side-effects", side_effect.text)] if side_effect else []
    return [Result(ENV_IMPORTS, not lines, "\n".join(lines), 0, catalog.mistake_ids(lines)),
            Result(ENV_IMPORT_SIDE_EFFECTS, side_effect is None, "\n".join(side_effect_lines), 0,
                   catalog.mistake_ids(side_effect_lines))]
