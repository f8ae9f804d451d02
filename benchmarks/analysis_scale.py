"""The whole analysis at size: ``collect_evidence(X)`` and ``bayesgmm fit data.csv``.

Data: N rows of a known mixture (K = 4 components, 5 features, full covariances;
means drawn with sd 3, unit covariances, equal weights, seed 0), for each N of
``--sizes`` (default 10,000 and 100,000). Each command runs with its defaults in a
fresh process, so every time includes imports and (cached) compilation; its peak
resident memory is the child's own (``os.wait4``). The progress lines give each
step's time; the table lists them, the steps skipped with their reasons, and the
recommendation beside the truth.

Usage::

    python benchmarks/analysis_scale.py [--sizes 10000 100000] [--out PATH]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
N_COMPONENTS, N_FEATURES = 4, 5

EVIDENCE = """
import sys
import numpy as np
from bayesgmm import collect_evidence
X = np.load(sys.argv[1])
evidence = collect_evidence(X)
print("RECOMMENDED", evidence.recommendation.get("label", evidence.recommendation["name"]))
for step, why in evidence.skipped.items():
    print("SKIPPED", step, "|", why)
"""


def make_data(n: int, directory: Path) -> tuple[Path, Path]:
    """The data as .npy (for collect_evidence) and .csv (for the CLI)."""
    rng = np.random.default_rng(0)
    centers = rng.normal(scale=3.0, size=(N_COMPONENTS, N_FEATURES))
    labels = rng.integers(N_COMPONENTS, size=n)
    X = centers[labels] + rng.normal(size=(n, N_FEATURES))
    npy, csv = directory / f"X{n}.npy", directory / f"X{n}.csv"
    np.save(npy, X)
    pd.DataFrame(X, columns=[f"x{j}" for j in range(N_FEATURES)]).to_csv(csv, index=False)
    return npy, csv


def run(command: list[str], log: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (GB) and exit status of ``command``; output to ``log``."""
    start = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1e6, os.waitstatus_to_exitcode(status)


def steps(text: str) -> list[tuple[str, float]]:
    """``(step, seconds)`` from the progress lines: ``==> step`` ... ``done in X s``."""
    found, current = [], None
    for line in text.splitlines():
        if line.startswith("==> "):
            current = line[4:].split(" (")[0].split(":")[0]
        match = re.match(r"\s+done in ([0-9.]+) s", line)
        if match and current is not None:
            found.append((current, float(match.group(1))))
            current = None
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/analysis_scale.md")
    args = parser.parse_args(argv)
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    rows, details = [], []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for n in args.sizes:
            npy, csv = make_data(n, directory)
            commands = {
                "collect_evidence(X)": [sys.executable, "-c", EVIDENCE, str(npy)],
                "bayesgmm fit data.csv": [
                    sys.executable, "-m", "bayesgmm", "fit", str(csv), "--out",
                    str(directory / f"out{n}"),
                ],
            }  # fmt: skip
            for name, command in commands.items():
                log = directory / f"{name.split()[0].strip('(')}{n}.log"
                seconds, rss, status = run(command, log)
                text = log.read_text()
                recommended = re.findall(r"^RECOMMENDED (.*)$", text, re.M)
                if not recommended:  # the CLI prints its chosen model
                    recommended = re.findall(r"^Chosen by \w+: (K=\d+, [^,]*)", text, re.M)
                skipped = re.findall(r"^SKIPPED (.*) \| (.*)$", text, re.M)
                timed = steps(text)
                rows.append(
                    {
                        "N": f"{n:,}",
                        "command": name,
                        "wall s": round(seconds, 1),
                        "peak RSS GB": round(rss, 2),
                        "exit": status,
                        "recommended (truth K=4)": recommended[0] if recommended else "-",
                        "steps (s)": "; ".join(f"{s} {t:.1f}" for s, t in timed),
                    }
                )
                details.extend(f"- N={n:,}, {name}: {step} skipped: {why}" for step, why in skipped)
                print(rows[-1], flush=True)
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows]
    header = (
        f"# The whole analysis at size\n\nDate: {date.today()}. Machine: {os.cpu_count()} "
        f"cores ({cpu}), Linux {platform.release()}. Command: `python "
        f"benchmarks/analysis_scale.py --sizes {' '.join(map(str, args.sizes))}`.\n\n"
        f"Data: {N_COMPONENTS}-component, {N_FEATURES}-feature full-covariance mixture "
        "(means with sd 3, unit covariances, equal weights, seed 0). Each command "
        "with its defaults, in a fresh process (imports and cached compilation included); "
        "peak RSS is that process's own.\n\n"
    )
    body = "\n".join(lines) + "\n"
    skipped = "\n\nSteps not run, with the reason given:\n\n" + "\n".join(details) + "\n"
    args.out.write_text(header + body + (skipped if details else ""))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
