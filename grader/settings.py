"""A course's settings for its grade: points, visibility, the image's Python and numpy, and time.

    grade.py --make-autograder autograder.zip --total-points 55 --points api=15,trace=5,cli=35 \
        --visibility cli-medium=after_due_date --numpy 1.23.0 --image-python 3.9 --timeout 60
    grade.py neuralnet.py --config settings.json

The bundle carries them as settings.json beside run_autograder, which passes them on with
--config. Every setting is checked when the bundle is built, so that an impossible one stops the
build with one line instead of failing on Gradescope or being taken silently:

- points per section (api, trace, cli), each section given once and every section given (0 to
  give it none); with --total-points too, they must add up to it. Without --points, the default
  split (api 15, trace 5, cli 35) is scaled to --total-points. Within a section, points are
  spread over its checks by spread() below, in hundredths;
- visibility per group (env, api, trace, cli-small, cli-medium; "cli" names both), Gradescope's
  visible, after_due_date, after_published or hidden; --visibility may be given several times,
  and the groups merge, but one group set two ways is refused;
- the image's Python (what Gradescope's base image runs; the handout's 3.9 by default, and a
  warning otherwise) and the course's numpy, which must be a release with a wheel for that
  Python (grader/numpy_releases.py: the table is shipped, since the build has no network);
- the seconds per run (--timeout) and for the whole grade (--total-timeout).

Without settings, grade.py keeps its own weights (1 per api check, 5 for the trace, 4 per
small-set and 5 per medium-set run), every test visible.
"""
import itertools
import json
import re
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from grader import numpy_releases
from grader.crashes import GRADESCOPE_DEFAULT_MINUTES, GRADESCOPE_MAX_MINUTES
from grader.report import Result, hundredths, points_number
from grader.report import points as report_points
from grader.runner import Budget

POINT_SECTIONS = ("api", "trace", "cli")
GROUPS = ("env", "api", "trace", "cli-small", "cli-medium")
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
DEFAULT_TOTAL = 55  # the handout's points for the programming part
DEFAULT_SPLIT = {"api": 15, "trace": 5, "cli": 35}
DEFAULT_NUMPY = "1.23.0"  # the autograder's numpy, as the handout gives it
DEFAULT_PYTHON = "3.9"  # the autograder's Python, as the handout gives it (3.9.12)
OLDEST_PYTHON = (3, 9)  # the oldest Python grade.py runs on
# Gradescope's default overall timeout per submission, and the most a course can raise it to (grader/crashes.py
# quotes its documentation).
GRADESCOPE_DEFAULT_SECONDS, GRADESCOPE_MAX_SECONDS = GRADESCOPE_DEFAULT_MINUTES * 60, GRADESCOPE_MAX_MINUTES * 60
OVERHEAD_SECONDS = 60  # what a grade takes besides its runs' budget: this project's outputs, the diagnosis


class SettingsError(ValueError):
    """Settings that cannot be used: grade.py stops with this one line."""


class Settings(NamedTuple):
    points: Dict[str, float]  # per section of POINT_SECTIONS, in hundredths
    visibility: Dict[str, str]  # per group of GROUPS
    numpy: str = DEFAULT_NUMPY  # the release setup.sh installs (it has a wheel for the image's Python)
    python: str = DEFAULT_PYTHON  # the Python that Gradescope's image runs, as "3.9"
    timeout: float = Budget.DEFAULT_TIMEOUT  # seconds per run of the submission
    total_timeout: float = Budget.FULL_TOTAL  # seconds for the whole grade's runs

    def as_json(self) -> str:
        return json.dumps({"points": {s: points_number(v) for s, v in self.points.items()},
                           "visibility": self.visibility, "numpy": self.numpy, "python": self.python,
                           "timeout": self.timeout, "total_timeout": self.total_timeout}, indent=1) + "\n"


def _pairs(texts: Sequence[str], option: str) -> List[Tuple[str, str]]:
    """'a=1,b=2' (from each time the option was given) as (name, value) pairs, in order."""
    pairs = [item.split("=", 1) for text in texts for item in text.split(",") if item.strip()]
    bad = next((item for item in pairs if len(item) != 2), None)
    if bad is not None or not pairs:
        raise SettingsError(f"{option}: expected name=value pairs separated by commas, got {','.join(texts)!r}")
    return [(name.strip(), value.strip()) for name, value in pairs]


def _points_value(option: str, text: str) -> float:
    """A number of points, 0 or more, in hundredths at most."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise SettingsError(f"{option}: expected a number of points, 0 or more")
    if abs(value * 100 - hundredths(value)) > 1e-6:
        raise SettingsError(f"{option}: points are kept in hundredths: give at most two decimals")
    return value


def parse_points(text: Optional[str], total: Optional[float] = None) -> Dict[str, float]:
    """'api=10,trace=10,cli=35' as points per section. Every section must be given, once; with `total`
    (--total-points) they must add up to it. Without text, the default split (api 15, trace 5, cli 35)
    scaled to `total` (default 55), in hundredths that add up to it exactly."""
    if total is not None:
        total = _points_value(f"--total-points {total!r}", str(total))
    if text is None:
        shares = spread(DEFAULT_TOTAL if total is None else total, [DEFAULT_SPLIT[s] for s in POINT_SECTIONS])
        return dict(zip(POINT_SECTIONS, shares))
    split: Dict[str, float] = {}
    for section, value in _pairs([text], "--points"):
        if section not in POINT_SECTIONS:
            raise SettingsError(f"--points: unknown section {section!r} (sections: {', '.join(POINT_SECTIONS)})")
        if section in split:
            raise SettingsError(f"--points: {section} is given twice ({report_points(split[section])} and {value}): "
                                "give each section once")
        split[section] = _points_value(f"--points: {section}={value!r}", value)
    missing = [s for s in POINT_SECTIONS if s not in split]
    if missing:
        raise SettingsError(f"--points: no points given for {' and '.join(missing)}: give every section "
                            f"({', '.join(POINT_SECTIONS)}), {missing[0]}=0 to give it none")
    given = sum(hundredths(v) for v in split.values())
    if total is not None and given != hundredths(total):
        raise SettingsError(f"--points: the sections add up to {report_points(given / 100)} points, not --total-points "
                            f"{report_points(total)}: make them add up, or leave out --total-points")
    return {s: split[s] for s in POINT_SECTIONS}


def parse_visibility(texts: Optional[Sequence[str]]) -> Dict[str, str]:
    """'cli-medium=after_due_date,api=hidden', from each time --visibility was given, as a visibility per
    group; 'cli' sets both cli groups. Repeated flags merge; a group set two ways is refused."""
    if isinstance(texts, str):
        texts = [texts]
    visibility = {group: "visible" for group in GROUPS}
    set_by: Dict[str, str] = {}  # group -> the pair that set it
    for group, value in _pairs(texts, "--visibility") if texts else []:
        if group not in (*GROUPS, "cli"):
            raise SettingsError(f"--visibility: unknown group {group!r} (groups: {', '.join(GROUPS)}, or cli for both "
                                "cli groups)")
        if value not in VISIBILITIES:
            raise SettingsError(f"--visibility: {group}={value!r}: expected one of {', '.join(VISIBILITIES)}")
        for member in (("cli-small", "cli-medium") if group == "cli" else (group,)):
            if member in set_by and visibility[member] != value:
                raise SettingsError(f"--visibility: {member} is set twice, by {set_by[member]} and {group}={value}: "
                                    "set each group once")
            visibility[member], set_by[member] = value, f"{group}={value}"
    return visibility


def parse_python(text: Optional[str]) -> Tuple[str, List[str]]:
    """The image's Python as '3.9' (default the handout's), and a warning when it is not the handout's."""
    if text is None:
        return DEFAULT_PYTHON, []
    match = re.fullmatch(r"(3)\.(\d+)(?:\.\d+)?", text.strip())
    if not match:
        raise SettingsError(f"--image-python: expected a Python version such as {DEFAULT_PYTHON}, got {text!r}")
    version = (int(match.group(1)), int(match.group(2)))
    if version < OLDEST_PYTHON:
        raise SettingsError(f"--image-python {text}: grade.py runs on Python "
                            f"{numpy_releases.shown(OLDEST_PYTHON)} or newer")
    shown = numpy_releases.shown(version)
    if shown == DEFAULT_PYTHON:
        return shown, []
    return shown, [f"the image runs Python {shown}, not the handout's {DEFAULT_PYTHON}: submissions are graded under "
                   f"{shown}, where code that {DEFAULT_PYTHON} refuses may pass (grade.py's env: checks still say so)"]


def python_tuple(python: str) -> Tuple[int, int]:
    major, minor = python.split(".")[:2]
    return int(major), int(minor)


def parse_numpy(text: Optional[str], python: str = DEFAULT_PYTHON) -> Tuple[str, List[str]]:
    """The course's numpy (default the handout's 1.23.0), checked against the releases that have a wheel for the
    image's Python; and a note when the default had to give way to the nearest release with one."""
    image = python_tuple(python)
    if text is None:
        if numpy_releases.has_wheel(DEFAULT_NUMPY, image):
            return DEFAULT_NUMPY, []
        nearest = numpy_releases.nearest_with_wheel(DEFAULT_NUMPY, image)
        if nearest is None:
            raise SettingsError(f"--image-python {python}: no numpy release from {DEFAULT_NUMPY} on has a wheel for "
                                f"it in this grader's table (read on {numpy_releases.READ_ON})")
        return nearest, [f"numpy {nearest} for Python {python}: the handout's {DEFAULT_NUMPY} has no wheel for it"]
    if not re.fullmatch(r"\d+\.\d+\.\d+", text):
        raise SettingsError(f"--numpy: expected a numpy release such as {DEFAULT_NUMPY}, got {text!r}")
    wheels = numpy_releases.pythons(text)
    known = numpy_releases.releases()
    if numpy_releases.key(text) < numpy_releases.key(numpy_releases.OLDEST):
        raise SettingsError(f"--numpy {text}: grade.py needs numpy {numpy_releases.OLDEST} or newer")
    if wheels is None:
        raise SettingsError(f"--numpy {text}: not a numpy release this grader knows (its table: {known[0]} to "
                            f"{known[-1]}, read from PyPI on {numpy_releases.READ_ON})")
    nearest = numpy_releases.nearest_with_wheel(text, image)
    instead = f"; {nearest} is the nearest that has one" if nearest else ""
    if text in numpy_releases.YANKED:
        raise SettingsError(f"--numpy {text}: this release was withdrawn (yanked) on PyPI{instead}")
    if not numpy_releases.has_wheel(text, image):
        raise SettingsError(f"--numpy {text}: no wheel for the image's Python {python} (its wheels: Python "
                            f"{numpy_releases.shown(wheels[0])} to {numpy_releases.shown(wheels[1])}), so setup.sh "
                            f"could not install it{instead}")
    return text, []


def parse_time(timeout: Optional[float], total: Optional[float]) -> Tuple[float, float, List[str]]:
    """The seconds per run and for the whole grade (default: Budget's for a full grade), checked against
    Gradescope's limits; and a warning when a grade may need more than Gradescope's default 10 minutes."""
    per_run = Budget.DEFAULT_TIMEOUT if timeout is None else timeout
    whole = Budget.default_total(per_run, quick=False) if total is None else total
    if whole < per_run:
        raise SettingsError(f"--total-timeout {whole:g} is less than --timeout {per_run:g}: no run could use its time")
    if whole + OVERHEAD_SECONDS > GRADESCOPE_MAX_SECONDS:
        raise SettingsError(f"--total-timeout {whole:g}: with about {OVERHEAD_SECONDS} s of grade.py's own work, a "
                            f"grade could pass Gradescope's largest timeout ({GRADESCOPE_MAX_SECONDS // 60} minutes)")
    warnings = []
    if whole + OVERHEAD_SECONDS > GRADESCOPE_DEFAULT_SECONDS:
        warnings.append(f"a grade may take up to {whole:g} s of runs and about {OVERHEAD_SECONDS} s more: raise the "
                        f"assignment's autograder timeout in Gradescope above its default "
                        f"{GRADESCOPE_DEFAULT_SECONDS // 60} minutes")
    return per_run, whole, warnings


def build(total_points: Optional[float] = None, points: Optional[str] = None,
          visibility: Optional[Sequence[str]] = None, numpy: Optional[str] = None, python: Optional[str] = None,
          timeout: Optional[float] = None, total_timeout: Optional[float] = None) -> Tuple[Settings, List[str]]:
    """The settings --make-autograder's options give (None: not given), every one checked; and the warnings to show."""
    image, warnings = parse_python(python)
    release, notes = parse_numpy(numpy, image)
    per_run, whole, late = parse_time(timeout, total_timeout)
    course = Settings(parse_points(points, total_points), parse_visibility(visibility), release, image, per_run, whole)
    return course, warnings + notes + late


def load(path: str) -> Settings:
    """settings.json as the bundle writes it (an older one without python or times gets the defaults); any fault is
    a one-line SettingsError."""
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
        points = parse_points(",".join(f"{k}={v}" for k, v in data["points"].items()))
        visibility = parse_visibility([f"{k}={v}" for k, v in data["visibility"].items()])
        python, _ = parse_python(data.get("python"))
        numpy, _ = parse_numpy(data.get("numpy"), python)
        timeout, total_timeout = (float(data[k]) if data.get(k) is not None else None
                                  for k in ("timeout", "total_timeout"))
        if not all(t is None or 0 < t < float("inf") for t in (timeout, total_timeout)):
            raise SettingsError("timeout and total_timeout: expected seconds, more than 0")
        per_run, whole, _ = parse_time(timeout, total_timeout)
    except (SettingsError, TypeError, ValueError) as e:
        raise SettingsError(f"--config {path!r}: {e}") from None
    return Settings(points, visibility, numpy, python, per_run, whole)


def group_of(result: Result) -> str:
    section, what = result.name.split(":", 1)
    return f"cli-{what.split()[0]}" if section == "cli" else section


def spread(total: float, weights: Sequence[float]) -> List[float]:
    """`total` points spread over checks in proportion to their weights, in hundredths that add up to it exactly.

    The rule: every check first gets its proportional share rounded down to a hundredth. The hundredths
    left (fewer than the checks) then go to whole weights at a time: each check of one weight gets as many
    more hundredths as every other check of that weight, choosing, among the ways that use up exactly the
    hundredths left, the one whose shares are nearest the proportional ones. So checks of equal weight get
    equal points whenever the total allows it (35 points over 7 small runs of weight 4 and 2 medium ones of
    weight 5: 3.68 each and 4.62 each). Only where no such way exists (10 points over 17 equal checks) do the
    hundredths left after the nearest way go one each to the first checks in order, so that checks of equal
    weight then differ by one hundredth at most (0.59 for the first 14, 0.58 for the last 3).
    """
    total_weight = sum(weights)
    if not weights or total_weight == 0:
        return [0.0] * len(weights)
    cents = hundredths(total)
    ideal = [cents * w / total_weight for w in weights]
    shares = [int(s) for s in ideal]
    left = cents - sum(shares)
    groups: Dict[float, List[int]] = {}
    for i, w in enumerate(weights):
        if w > 0:
            groups.setdefault(w, []).append(i)
    members = list(groups.values())

    def cost(extra: Sequence[int]) -> float:
        return sum(abs(shares[i] + k - ideal[i]) for k, group in zip(extra, members) for i in group)

    options = itertools.product(*[range(left // len(group) + 1) for group in members])
    fitting = [extra for extra in options if sum(k * len(g) for k, g in zip(extra, members)) <= left]
    best = min(fitting, key=lambda extra: (left - sum(k * len(g) for k, g in zip(extra, members)), cost(extra)))
    for k, group in zip(best, members):
        for i in group:
            shares[i] += k
    left = cents - sum(shares)
    for i in [i for group in members for i in group][:left] if left else []:
        shares[i] += 1  # (in the order of the weights' first appearance, then of the checks)
    return [c / 100 for c in shares]


def apply(settings: Settings, results: Sequence[Result]) -> List[Result]:
    """The results with each section's points spread over its checks and each group's visibility."""
    scored = list(results)
    for section in POINT_SECTIONS:
        members = [i for i, r in enumerate(scored) if r.name.split(":", 1)[0] == section]
        for i, share in zip(members, spread(settings.points[section], [scored[i].max_score for i in members])):
            scored[i] = scored[i]._replace(max_score=points_number(share))
    return [r._replace(visibility=settings.visibility[group_of(r)]) for r in scored]


def describe(course: Settings) -> str:
    """One line: the points per section, what is held back, the image's Python and numpy, and the time."""
    points = ", ".join(f"{s} {report_points(course.points[s])}" for s in POINT_SECTIONS)
    held = [f"{g} {v}" for g, v in course.visibility.items() if v != "visible"]
    return (f"{report_points(sum(course.points.values()))} points ({points}); "
            + (f"held back: {', '.join(held)}" if held else "every test visible")
            + f"; Python {course.python} with numpy {course.numpy}; {course.timeout:g} s per run, "
              f"{course.total_timeout:g} s for the whole grade")
