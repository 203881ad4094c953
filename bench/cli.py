"""Benchmark: how long the commands people type take to start and answer.

Medians of 7 runs of each command, each a fresh process of the installed `coalition` script:
- `coalition --help` (target <= 0.8),
- `coalition slack manifest` (target <= 0.8),
- `coalition ask "next deadlines"` on the synced example (target <= 2.5),
each as a ratio to the median of `python -c "import sqlalchemy"`, measured in the same run,
the runs interleaved so that a machine that slows down slows every figure alike. Our packages
are byte-compiled first, as `pip install .` (and the Docker image) does. Prints JSON.

    .venv/bin/python bench/cli.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COALITION = Path(sys.executable).with_name("coalition")
TARGETS = {"help": 0.8, "slack_manifest": 0.8, "ask_next_deadlines": 2.5}


def compile_ours() -> None:
    """Byte-compile our packages, as `pip install .` does: an editable install run with
    PYTHONDONTWRITEBYTECODE would compile every module at every start, which no deployment
    does."""
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    subprocess.run([sys.executable, "-m", "compileall", "-q",
                    *(str(ROOT / p.removesuffix("*")) for p in packages if "." not in p)],
                   check=True, capture_output=True)


def timed(command: list[str], cwd: str, env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.decode()[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    compile_ours()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COALITION_", "SLACK_"))}
    with tempfile.TemporaryDirectory() as work:
        shutil.copytree(ROOT / "examples", Path(work) / "examples")
        subprocess.run([str(COALITION), "sync"], cwd=work, env=env, check=True,
                       capture_output=True)
        commands = {
            "floor_import_sqlalchemy": [sys.executable, "-c", "import sqlalchemy"],
            "help": [str(COALITION), "--help"],
            "slack_manifest": [str(COALITION), "slack", "manifest"],
            "ask_next_deadlines": [str(COALITION), "ask", "next deadlines", "--now",
                                   "2017-10-06"],
        }
        for command in commands.values():  # warm the file cache
            timed(command, work, env)
        seconds: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                seconds[name].append(timed(command, work, env))
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    floor = medians.pop("floor_import_sqlalchemy")
    result = {"runs": runs, "floor_import_sqlalchemy_s": round(floor, 3)}
    for name, median in medians.items():
        ratio = median / floor
        result[name] = {"median_s": round(median, 3), "ratio": round(ratio, 2),
                        "target": TARGETS[name], "met": ratio <= TARGETS[name]}
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
