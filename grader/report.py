"""The grade as text for a person and as Gradescope's results.json."""
import contextlib
import json
import os
import tempfile
from typing import NamedTuple, Sequence

SECTIONS = ("env", "api", "trace", "cli")


class Result(NamedTuple):
    """One check's verdict."""
    name: str  # "section:what"
    passed: bool
    output: str
    max_score: int


def score(results: Sequence[Result]) -> int:
    return sum(r.max_score for r in results if r.passed)


def text(submission: str, header: Sequence[str], results: Sequence[Result]) -> str:
    lines = [f"grading {submission} against this project's neuralnet.py", *header, ""]
    for section in SECTIONS:
        members = [r for r in results if r.name.startswith(section + ":")]
        if not members:
            continue
        lines.append(f"{section} ({sum(r.passed for r in members)} of {len(members)} passed)")
        shown = None  # the last failure's output: one that repeats it is not written out again
        for r in members:
            verdict = "PASS" if r.passed else "WARN" if r.max_score == 0 else "FAIL"
            points = f"[{r.max_score if r.passed else 0}/{r.max_score}]" if r.max_score else "[no points]"
            lines.append(f"  {verdict}  {r.name}  {points}")
            if r.output and (not r.passed or r.output.startswith("note:")):
                lines += ["        (the same as above)"] if r.output == shown else \
                    [f"        {line}" for line in r.output.splitlines()]
                shown = r.output
        lines.append("")
    scored = [r for r in results if r.max_score]
    warnings = sum(not r.passed for r in results if not r.max_score)
    lines.append(f"score: {score(results)}/{sum(r.max_score for r in scored)} ({sum(r.passed for r in scored)} of "
                 f"{len(scored)} checks passed" + (f"; {warnings} warning{'s' * (warnings > 1)})" if warnings else ")"))
    return "\n".join(lines)


def gradescope(header: Sequence[str], results: Sequence[Result], seconds: float) -> dict:
    """Gradescope's results.json: score, execution_time, output_format, output and one entry per check."""
    return {"score": score(results), "execution_time": round(seconds, 3), "output_format": "text",
            "output": "\n".join(header),
            "tests": [{"name": r.name, "score": r.max_score if r.passed else 0, "max_score": r.max_score,
                       "output": r.output, "visibility": "visible"} for r in results]}


def failure(error: str, seconds: float) -> dict:
    """results.json when grading itself failed: score 0, and why."""
    return {"score": 0, "execution_time": round(seconds, 3), "output_format": "text",
            "output": f"the grader failed: {error}",
            "tests": [{"name": "grader", "score": 0, "max_score": 0, "output": error, "visibility": "visible"}]}


def write_json(path: str, data: dict) -> None:
    """Write atomically: a temporary file in the same folder, then renamed over the path."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".results-", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
