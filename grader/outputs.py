"""A run's three outputs read leniently: the values the handout's format holds, recovered past each
deviation from that format, and every deviation named as a format mistake with its line.

A student whose metrics say `epoch=0`, `crossentropy(test)`, `error (train)` or carry a debug
line has values worth comparing: the reader recovers them, names each deviation (its id is the
catalog's, grader/catalog.py), and the caller compares the values, so the numerical mistake behind
a format one is named too. A deviation still fails the check: the course's autograder reads the
handout's format only. What cannot be read at all (no label or metrics line, not text, far too
many lines, lines separated otherwise than by \n) is a problem, said in one line.

Bounded whatever a submission writes: an output is read up to OUTPUT_LIMIT bytes, its lines are
counted and split at \n alone (lines() below; str.splitlines would also split at \r, \v, \f,
\x1c-\x1e, \x85, U+2028 and U+2029, which the count does not see), and a file with more than twice
the lines expected is refused before it is split; a file that separates lines by any of those other
characters is named as such, unparsed. At most KEPT deviations of each kind are kept, the rest
counted (Reading.left_out).
"""
import difflib
import re
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import compare
from grader import catalog
from grader.runner import OUTPUT_LIMIT, RunResult, size
from grader.runs import OUTPUT_NAMES, Outputs

INTEGER = re.compile(r"-?[0-9]+")
# A metrics line however it is spaced or punctuated: [epoch=N] word(split)[:] value
LENIENT_METRIC = re.compile(r"\s*(?:epoch\s*[=:]?\s*(?P<epoch>[0-9]+)\s*[,;:]?\s*)?(?P<word>[A-Za-z][A-Za-z _-]*?)"
                            r"\s*\(\s*(?P<split>[A-Za-z]+)\s*\)\s*[:=]?\s*(?P<value>\S+)\s*")
WORDS, SPLITS = ("crossentropy", "error"), ("train", "validation")
LONGEST_METRIC_LINE = 200  # characters; the handout's are under 60 (and the lenient pattern is not linear in length)
QUOTED = 60  # characters of a deviating line quoted in the report
KEPT = 20  # deviations of each kind kept per reading (the rest are counted)
# What str.splitlines splits at besides \n (and \r\n, read as \n), as the report names each.
OTHER_SEPARATORS = {"\r": "a bare \\r (U+000D, classic Mac OS's line ending)", "\x0b": "\\v (U+000B)",
                    "\x0c": "\\f (U+000C)", "\x1c": "U+001C", "\x1d": "U+001D", "\x1e": "U+001E",
                    "\x85": "U+0085 (next line)", "\u2028": "U+2028 (a Unicode line separator)",
                    "\u2029": "U+2029 (a Unicode paragraph separator)"}


class Deviation(NamedTuple):
    """One line that deviates from the handout's format: the format mistake it is, the file, the line."""
    mistake_id: str
    output: str  # the output's name
    line: int  # 1-based
    text: str  # the line as written


class Reading(NamedTuple):
    """A run's outputs as read: the values recovered (None when unreadable, and why), and each deviation."""
    outputs: Optional[Outputs]
    problem: str
    deviations: List[Deviation]  # at most KEPT of each kind
    left_out: Dict[str, int] = {}  # the deviations of each kind not kept

    def ids(self) -> List[str]:
        return list(dict.fromkeys(d.mistake_id for d in self.deviations))

    def of(self, mistake_id: str) -> List[Deviation]:
        return [d for d in self.deviations if d.mistake_id == mistake_id]


def lines(text: str) -> List[str]:
    """A text's lines, split at \n alone (as read() counts them), without the empty string after a last \n."""
    split = text.split("\n")
    return split[:-1] if split[-1] == "" else split


def other_separator(name: str, text: str) -> str:
    """'' when text breaks lines at \n alone; else a phrase naming the first other line break and its line."""
    found = [(text.index(c), c) for c in OTHER_SEPARATORS if c in text]
    if not found:
        return ""
    at, separator = min(found)
    line = text.count("\n", 0, at) + 1
    return (f"{name}: line {line} holds {OTHER_SEPARATORS[separator]}, a line break where the handout's outputs "
            "use \\n alone")


def labels(name: str, text: str) -> Tuple[List[str], List[Deviation]]:
    """A labels file's labels, each an integer as text; integral floats ('6.0') and spaced integers are read
    as integers, other lines skipped, each such line a deviation. compare.FormatError if no line is a label."""
    found, deviations = [], []
    for number, line in enumerate(lines(text), start=1):
        if INTEGER.fullmatch(line):
            found.append(line)
        elif INTEGER.fullmatch(line.strip()):
            found.append(line.strip())
            deviations.append(Deviation(catalog.SPACING.id, name, number, line))
        elif integral_float(line) is not None:
            found.append(str(integral_float(line)))
            deviations.append(Deviation(catalog.LABELS_NOT_INTEGERS.id, name, number, line))
        else:
            deviations.append(Deviation(catalog.EXTRA_LINES.id, name, number, line))
    if deviations and not found:
        compare.parse_labels(text, name)  # raises, naming the first line
    return found, deviations


def integral_float(text: str) -> Optional[int]:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def closest(word: str, choices: Sequence[str], cutoff: float) -> str:
    matches = difflib.get_close_matches(word.lower().replace(" ", "").replace("_", "").replace("-", ""), choices,
                                        n=1, cutoff=cutoff)
    return matches[0] if matches else ""


class MetricLine(NamedTuple):
    number: int  # the line's
    epoch: Optional[int]  # as written; None for error(...)
    word: str  # crossentropy or error
    split: str  # train or validation
    value: float
    deviations: List[str]  # the format mistakes' ids


def metric_line(number: int, line: str) -> Optional[MetricLine]:
    """A metrics line in the handout's keys, and how it deviates; None if it is no metrics line at all."""
    strict = compare.METRIC_LINE.fullmatch(line)
    match = LENIENT_METRIC.fullmatch(line) if len(line) <= LONGEST_METRIC_LINE else None
    if not match:
        return None
    try:
        value = float(match.group("value"))
    except ValueError:
        return None
    word, split = closest(match.group("word"), WORDS, 0.75), closest(match.group("split"), SPLITS + ("test",), 0.6)
    epoch = None if match.group("epoch") is None else int(match.group("epoch"))
    if not word or not split or (word == "crossentropy") != (epoch is not None):
        return None
    deviations = []
    if split == "test":
        split = "validation"
        deviations.append(catalog.TEST_KEYS.id)
    written_word, written_split = match.group("word"), match.group("split").strip()
    if written_word.replace(" ", "") != word or written_split not in (split, "test"):
        deviations.append(catalog.MISSPELT_KEY.id)
    prefix = "" if epoch is None else f"epoch={match.group('epoch')} "
    if not strict and line != f"{prefix}{written_word}({written_split}): {match.group('value')}":
        deviations.append(catalog.SPACING.id)
    return MetricLine(number, epoch, word, split, value, deviations)


def metrics(name: str, text: str) -> Tuple[List[Tuple[str, float]], List[Deviation]]:
    """A metrics file's (key, value) rows in the handout's keys, epochs counted from 1, and each line's
    deviations; lines that are no metrics line are skipped (deviations). compare.FormatError if none is."""
    found: List[MetricLine] = []
    deviations = []
    written = lines(text)
    for number, line in enumerate(written, start=1):
        read = metric_line(number, line)
        if read is None:
            deviations.append(Deviation(catalog.EXTRA_LINES.id, name, number, line))
        else:
            found.append(read)
            deviations += [Deviation(mistake, name, number, line) for mistake in read.deviations]
    if not found:
        compare.parse_metrics(text, name)  # raises, naming the first line
    epochs = [m.epoch for m in found if m.epoch is not None]
    shift = 1 if epochs and min(epochs) == 0 else 0
    if shift:
        first = next(m.number for m in found if m.epoch == 0)
        deviations.append(Deviation(catalog.EPOCHS_FROM_ZERO.id, name, first, written[first - 1]))
    rows = [(f"{m.word}({m.split})" if m.epoch is None else f"epoch={m.epoch + shift} {m.word}({m.split})", m.value)
            for m in found]
    return rows, sorted(deviations, key=lambda d: d.line)


def read(run: RunResult, lines: Sequence[int]) -> Reading:
    """The three outputs a run wrote, read leniently. `lines`: how many lines each output should have; one
    with more than twice as many is refused unparsed (its lines would cost memory)."""
    missing = [name for name in OUTPUT_NAMES if run.outputs.get(name) is None]
    if missing:
        absent = [name for name in missing if name not in run.kinds]
        found = ([f"wrote no {', '.join(absent)}"] if absent else []) + \
            [f"{name} is {run.kinds[name]}" for name in missing if name in run.kinds]
        return Reading(None, "; ".join(found), [])
    texts: Dict[str, str] = {}
    deviations: List[Deviation] = []
    for name, expected in zip(OUTPUT_NAMES, lines):
        raw = run.outputs[name] or b""
        if len(raw) > OUTPUT_LIMIT:
            return Reading(None, f"unreadable output: {name}: larger than {size(OUTPUT_LIMIT)}", [])
        count = raw.count(b"\n")
        if count > 2 * expected + 10:
            return Reading(None, f"unreadable output: {name}: {count} lines, where {expected} are expected", [])
        if b"\r\n" in raw:
            line = raw[:raw.index(b"\r\n")].count(b"\n") + 1
            deviations.append(Deviation(catalog.CRLF_LINE_ENDINGS.id, name, line, ""))
        try:
            texts[name] = raw.decode().replace("\r\n", "\n")
        except UnicodeDecodeError:
            return Reading(None, f"unreadable output: {name}: not a text file", [])
        separator = other_separator(name, texts[name])
        if separator:
            return Reading(None, f"unreadable output: {separator}", [])
    try:
        (train, train_deviations), (validation, validation_deviations) = (
            labels(name, texts[name]) for name in OUTPUT_NAMES[:2])
        rows, metrics_deviations = metrics(OUTPUT_NAMES[2], texts[OUTPUT_NAMES[2]])
    except compare.FormatError as e:
        return Reading(None, f"unreadable output: {e}", [])
    kept: List[Deviation] = []
    left_out: Dict[str, int] = {}
    for deviation in deviations + train_deviations + validation_deviations + metrics_deviations:
        if sum(d.mistake_id == deviation.mistake_id for d in kept) < KEPT:
            kept.append(deviation._replace(text=deviation.text[:LONGEST_METRIC_LINE]))
        else:
            left_out[deviation.mistake_id] = left_out.get(deviation.mistake_id, 0) + 1
    return Reading((train, validation, rows), "", kept, left_out)
