"""Benchmark neuralnet.py's whole CLI run against a baseline on fixed workloads.

    python3 benchmarks/bench.py                       # neuralnet.py vs the naive baseline
    python3 benchmarks/bench.py --runs 9 --workload small
    python3 benchmarks/bench.py --compare "python3 other/neuralnet.py"
    python3 benchmarks/bench.py --busy 2               # with 2 CPU-bound processes running beside it

Each workload runs every command --runs times, interleaved (A, B, A, B, ...)
so that noise on this shared machine hits both alike, and reports:
- the median wall time of the whole process (interpreter start included),
- the ratio of neuralnet.py's median to each other command's median,
- the marginal microseconds per SGD step: (median - median of a 0-epoch run)
  / (epochs * training rows), which includes the per-epoch evaluation,
- the peak resident memory of the process (max over runs),
and checks that every other command wrote the same labels and metrics as
neuralnet.py, within 1e-9: where they differ it says where first ("got" is that
command's output, "expected" neuralnet.py's), and the script exits with status 1
after printing every table (0 when every command's outputs match).

--busy N keeps N CPU-bound processes (pure-Python loops) running for the
whole measurement, started and stopped by this script: on 2 cores, --busy 2
is a machine whose every core is already in use, as a student's laptop or a
CPU-limited container often is.

Data comes from the repository's data/ (or the folder $NEURALNET_DATA names).
"""
import argparse
import contextlib
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
import compare  # noqa: E402
import course_data  # noqa: E402

WORKLOADS = {  # name: (data prefix, epochs, hidden units, init flag, learning rate)
    "small": ("small", 100, 50, 1, 0.001),
    "medium": ("medium", 10, 50, 1, 0.001),
}


def run_once(command, data_dir, prefix, epochs, hidden, init, lr, out_dir):
    """Run one command on one workload; return (seconds, peak KiB, output paths)."""
    outputs = [os.path.join(out_dir, name) for name in ("train.labels", "validation.labels", "metrics.txt")]
    argv = command + [os.path.join(data_dir, f"{prefix}_train.csv"),
                      os.path.join(data_dir, f"{prefix}_validation.csv"),
                      *outputs, str(epochs), str(hidden), str(init), str(lr)]
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if process.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({process.returncode}): {stderr.strip()}")
    return seconds, usage.ru_maxrss, outputs


def read_outputs(paths):
    return compare.read_labels(paths[0]), compare.read_labels(paths[1]), compare.read_metrics(paths[2])


OUTPUT_NAMES = ("train labels", "validation labels", "metrics")


def same_outputs(got, expected):
    """(whether they match, what differs): got a command's outputs, expected neuralnet.py's."""
    differences = [compare.compare_labels(got[0], expected[0]), compare.compare_labels(got[1], expected[1]),
                   compare.compare_metrics(got[2], expected[2])]
    return all(d.same for d in differences), "; ".join(
        f"{name}: {d.describe()}" for name, d in zip(OUTPUT_NAMES, differences) if not d.same)


@contextlib.contextmanager
def busy_processes(count):
    """Keep `count` CPU-bound processes running inside the with block."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for process in spinners:
            process.kill()
            process.wait()


def describe_machine():
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        cpu = platform.processor() or "?"
    import numpy
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
            f"numpy {numpy.__version__}; {platform.system()} {platform.release()}")


def main(argv=None):
    """Measure; return 0 when every command's outputs match neuralnet.py's, 1 when any differ."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per command and workload (default 5)")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), action="append",
                        help="workload(s) to run (default: all)")
    parser.add_argument("--compare", action="append", default=[], metavar="CMD",
                        help="another command taking the nine arguments, e.g. 'python3 x.py' (repeatable)")
    parser.add_argument("--no-naive", action="store_true", help="leave out the built-in naive baseline")
    parser.add_argument("--busy", type=int, default=0, metavar="N",
                        help="keep N CPU-bound processes running during the measurement (default 0)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.busy < 0:
        parser.error("--runs must be 1 or more and --busy 0 or more")

    data_dir = course_data.folder()
    if not os.path.isfile(os.path.join(data_dir, "small_train.csv")):
        sys.exit(f"course data not found in {data_dir}: set NEURALNET_DATA")
    commands = {"neuralnet.py": [sys.executable, os.path.join(ROOT, "neuralnet.py")]}
    if not args.no_naive:
        commands["naive"] = [sys.executable, os.path.join(HERE, "naive_neuralnet.py")]
    for text in args.compare:
        commands[text] = shlex.split(text)

    print(f"machine: {describe_machine()}")
    print(f"runs per command: {args.runs} (medians; commands interleaved); "
          f"{args.busy} CPU-bound processes beside them\n")
    with busy_processes(args.busy):
        matched = [measure(name, commands, data_dir, args.runs) for name in args.workload or list(WORKLOADS)]
    if not all(matched):
        print("bench.py: the outputs differ from neuralnet.py's (OUTPUTS DIFFER above)", file=sys.stderr)
        return 1
    return 0


def measure(name, commands, data_dir, runs):
    """Run every command on one workload, interleaved, and print its table; whether every output matched."""
    prefix, epochs, hidden, init, lr = WORKLOADS[name]
    rows = sum(1 for _ in open(os.path.join(data_dir, f"{prefix}_train.csv")))
    print(f"workload {name}: {prefix} set ({rows} training rows), {epochs} epochs, "
          f"{hidden} hidden, init {init}, lr {lr}")
    times = {label: [] for label in commands}
    zero_epoch_times = {label: [] for label in commands}
    peak = {label: 0 for label in commands}
    outputs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            for label, command in commands.items():
                out_dir = os.path.join(tmp, str(len(outputs)))
                os.makedirs(out_dir, exist_ok=True)
                seconds, kib, paths = run_once(command, data_dir, prefix, epochs, hidden, init, lr, out_dir)
                times[label].append(seconds)
                peak[label] = max(peak[label], kib)
                outputs[label] = read_outputs(paths)
                zero_epoch_times[label].append(
                    run_once(command, data_dir, prefix, 0, hidden, init, lr, out_dir)[0])
    ours = statistics.median(times["neuralnet.py"])
    matched = True
    for label in commands:
        median = statistics.median(times[label])
        per_step = (median - statistics.median(zero_epoch_times[label])) / (epochs * rows) * 1e6
        line = (f"  {label:14s} median {median:6.3f} s  (min {min(times[label]):.3f}, "
                f"max {max(times[label]):.3f})  {per_step:6.1f} us/SGD step  "
                f"peak {peak[label] / 1024:5.1f} MiB")
        if label != "neuralnet.py":
            ok, how = same_outputs(outputs[label], outputs["neuralnet.py"])
            matched = matched and ok
            line += f"  neuralnet.py/this = {ours / median:.2f}x"
            line += "  outputs match" if ok else \
                f"  OUTPUTS DIFFER (got this command's, expected neuralnet.py's: {how})"
        print(line)
    print()
    return matched


if __name__ == "__main__":
    sys.exit(main())
