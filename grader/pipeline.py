"""The whole grade of one submission, in the order a reader follows it.

1. env: read the source without running it (grader/env.py);
2. api and trace: the handout's functions on their own and stepped beside this project's (grader/api.py);
3. cli: each configuration run; its outputs read leniently, every deviation from the handout's
   format named (grader/outputs.py); the values recovered compared with this project's; where
   they differ, explained from the evidence: the runs repeated, the arguments probed, the source
   read, the catalog's variants reproduced (grader/cli.py, grader/catalog.py);
4. report: the results, as text or results.json (grader/report.py), written by the caller.

grade() takes the submission's bytes: whoever calls it reads the file (grade.py's command).
"""
import os
from typing import Callable, Dict, List, Optional

import course_data
from grader import api, cli, env, runs
from grader.report import Result
from grader.runner import Runner

DATA = course_data.folder()


def data_files(datasets: List[str]) -> Dict[str, bytes]:
    """The csv files of these datasets, by the name a run gives them, as bytes."""
    csvs = {}
    for name in datasets:
        for split in ("train", "validation"):
            with open(os.path.join(DATA, f"{name}_{split}.csv"), "rb") as f:
                csvs[f"{name}_{split}.csv"] = f.read()
    return csvs


def cli_configs(quick: bool) -> List[runs.Config]:
    """The command lines the cli section runs: every configuration, or with --quick the small set's."""
    return [c for c in runs.CONFIGS if not quick or c.dataset in runs.QUICK_DATASETS]


def max_score(quick: bool) -> Optional[float]:
    """What grade() is out of with grade.py's own weights, known before any run (for an upload that cannot be
    graded, which still has the points it would have been out of); None where the data that defines the api
    checks cannot be read (the grade then fails on its own, saying why)."""
    try:
        checks = api.all_checks(DATA)
    except Exception:  # noqa: BLE001  (a missing or broken data file: not this function's to report)
        return None
    return sum(api.check_weight(c.name) for c in checks) + sum(cli.POINTS[c.dataset] for c in cli_configs(quick))


def grade(submission: bytes, name: str, runner: Runner, quick: bool, tol: float,
          progress: Callable[[str], None] = lambda text: None) -> List[Result]:
    """Every check of the submission (its source as bytes; `name` is what progress calls it), in order; the
    runner's runs leave nothing behind. `progress` is told each step as it starts."""
    configs = cli_configs(quick)
    datasets = sorted({c.dataset for c in configs})
    data = runs.load_datasets(DATA, datasets)
    results = env.env_checks(submission)
    progress(f"api and trace of {name}")
    results += api.api_and_trace(runner, submission, api.all_checks(DATA))
    grading = cli.Grading(runner, submission, data_files(datasets), data, tol)
    for config in configs:
        progress(f"cli {config.describe()}")
        results.append(grading.cli_check(config))
    return results
