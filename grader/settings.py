"""A course's settings for its grade: each section's points and each group's visibility.

    grade.py --make-autograder autograder.zip --total-points 55 --points api=15,trace=5,cli=35 \
        --visibility cli-medium=after_due_date --numpy 1.23.0
    grade.py neuralnet.py --config settings.json

The bundle carries them as settings.json beside run_autograder, which passes them on with
--config. Points are given per section (api, trace, cli) and spread within a section in
proportion to grade.py's own weights (1 per api check, 5 for the trace, 4 per small-set and
5 per medium-set run), in hundredths, summing to the section's points exactly. Visibility is
Gradescope's, per group: env, api, trace, cli-small, cli-medium ("cli" names both). Without
settings, grade.py keeps its own weights, every test visible. The bundle also names the course's
numpy, which its setup.sh installs (or the nearest newer release with a wheel for the image's Python).
"""
import json
import re
from typing import Dict, List, NamedTuple, Optional, Sequence

from grader.report import Result
from grader.report import points as report_points

POINT_SECTIONS = ("api", "trace", "cli")
GROUPS = ("env", "api", "trace", "cli-small", "cli-medium")
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
DEFAULT_TOTAL = 55  # the handout's points for the programming part
DEFAULT_SPLIT = {"api": 15, "trace": 5, "cli": 35}
DEFAULT_NUMPY = "1.23.0"  # the autograder's numpy, as the handout gives it


class SettingsError(ValueError):
    """Settings that cannot be used: grade.py stops with this one line."""


class Settings(NamedTuple):
    points: Dict[str, float]  # per section of POINT_SECTIONS
    visibility: Dict[str, str]  # per group of GROUPS
    numpy: str = DEFAULT_NUMPY  # the version setup.sh installs where it has a wheel for the image's Python

    def as_json(self) -> str:
        return json.dumps({"points": self.points, "visibility": self.visibility, "numpy": self.numpy},
                          indent=1) + "\n"


def parse_numpy(text: Optional[str]) -> str:
    """A numpy release such as 1.23.0 (default DEFAULT_NUMPY)."""
    if text is None:
        return DEFAULT_NUMPY
    if not re.fullmatch(r"\d+\.\d+\.\d+", text):
        raise SettingsError(f"--numpy: expected a numpy release such as {DEFAULT_NUMPY}, got {text!r}")
    return text


def _pairs(text: str, option: str) -> List[List[str]]:
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    bad = next((item for item in pairs if len(item) != 2), None)
    if bad is not None or not pairs:
        raise SettingsError(f"{option}: expected name=value pairs separated by commas, got {text!r}")
    return [[name.strip(), value.strip()] for name, value in pairs]


def parse_points(text: Optional[str], total: float = DEFAULT_TOTAL) -> Dict[str, float]:
    """'api=10,trace=10,cli=35' as points per section, scaled to `total`; sections left out get 0.
    Without text, the default split (api 15, trace 5, cli 35) scaled to `total`."""
    if not total >= 0 or total != total or total == float("inf"):
        raise SettingsError(f"--total-points: expected a number of points, 0 or more, got {total!r}")
    split: Dict[str, float] = dict(DEFAULT_SPLIT)
    if text is not None:
        split = {section: 0.0 for section in POINT_SECTIONS}
        for section, value in _pairs(text, "--points"):
            if section not in POINT_SECTIONS:
                raise SettingsError(f"--points: unknown section {section!r} (sections: {', '.join(POINT_SECTIONS)})")
            try:
                points = float(value)
            except ValueError:
                points = -1.0
            if not 0 <= points < float("inf"):
                raise SettingsError(f"--points: {section}={value!r}: expected a number of points, 0 or more")
            split[section] = points
    weight = sum(split.values())
    if weight == 0 and total > 0:
        raise SettingsError("--points: every section has 0 points, so no total can be spread")
    return {section: round(total * value / weight, 2) if weight else 0.0 for section, value in split.items()}


def parse_visibility(text: Optional[str]) -> Dict[str, str]:
    """'cli-medium=after_due_date,api=hidden' as a visibility per group; 'cli' sets both cli groups."""
    visibility = {group: "visible" for group in GROUPS}
    for group, value in _pairs(text, "--visibility") if text else []:
        if group not in (*GROUPS, "cli"):
            raise SettingsError(f"--visibility: unknown group {group!r} (groups: {', '.join(GROUPS)}, or cli for both "
                                "cli groups)")
        if value not in VISIBILITIES:
            raise SettingsError(f"--visibility: {group}={value!r}: expected one of {', '.join(VISIBILITIES)}")
        for member in (("cli-small", "cli-medium") if group == "cli" else (group,)):
            visibility[member] = value
    return visibility


def load(path: str) -> Settings:
    """settings.json as the bundle writes it; any fault is a one-line SettingsError."""
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError as e:
        raise SettingsError(f"--config {path!r}: {e.strerror or e}") from None
    except ValueError as e:
        raise SettingsError(f"--config {path!r}: not JSON ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("points"), dict) or \
            not isinstance(data.get("visibility"), dict):
        raise SettingsError(f"--config {path!r}: expected {{\"points\": {{...}}, \"visibility\": {{...}}}}")
    try:
        points_text = ",".join(f"{k}={v}" for k, v in data["points"].items())
        total = sum(float(v) for v in data["points"].values())
        points = parse_points(points_text, total)
        visibility = parse_visibility(",".join(f"{k}={v}" for k, v in data["visibility"].items()))
        numpy = parse_numpy(data.get("numpy"))
    except (SettingsError, TypeError, ValueError) as e:
        raise SettingsError(f"--config {path!r}: {e}") from None
    return Settings(points, visibility, numpy)


def group_of(result: Result) -> str:
    section, what = result.name.split(":", 1)
    return f"cli-{what.split()[0]}" if section == "cli" else section


def spread(total: float, weights: Sequence[float]) -> List[float]:
    """`total` in hundredths, in proportion to the weights, summing to it exactly (largest remainders)."""
    if not weights or sum(weights) == 0:
        return [0.0] * len(weights)
    cents = round(total * 100)
    shares = [cents * w / sum(weights) for w in weights]
    whole = [int(s) for s in shares]
    for i in sorted(range(len(shares)), key=lambda i: whole[i] - shares[i])[:cents - sum(whole)]:
        whole[i] += 1
    return [c / 100 for c in whole]


def apply(settings: Settings, results: Sequence[Result]) -> List[Result]:
    """The results with each section's points spread over its checks and each group's visibility."""
    scored = list(results)
    for section in POINT_SECTIONS:
        members = [i for i, r in enumerate(scored) if r.name.split(":", 1)[0] == section]
        for i, share in zip(members, spread(settings.points[section], [scored[i].max_score for i in members])):
            scored[i] = scored[i]._replace(max_score=int(share) if share == int(share) else share)
    return [r._replace(visibility=settings.visibility[group_of(r)]) for r in scored]


def describe(course: Settings) -> str:
    """One line: the points per section and what is held back."""
    points = ", ".join(f"{s} {report_points(course.points[s])}" for s in POINT_SECTIONS)
    held = [f"{g} {v}" for g, v in course.visibility.items() if v != "visible"]
    return f"{report_points(sum(course.points.values()))} points ({points}); " + \
        (f"held back: {', '.join(held)}" if held else "every test visible") + f"; numpy {course.numpy}"
