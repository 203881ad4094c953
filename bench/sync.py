"""Benchmark: `coalition sync` of the example data file plus generated deadlines, into a fresh
SQLite store: the first sync, an unchanged re-sync, a re-sync with one entry changed, and a
file with one problem at its end (read, validated and reported, nothing written).

Prints JSON. Each figure is the whole of what the command does for the file: reading, TOML,
validation, hashing each entry, the store's work and the commit. Sizes are measured in the same
run, taking turns, each `--repeat` times into a fresh store, and each figure is the fastest of
its repetitions (the least disturbed by other work on a shared machine; all are listed), so the
growth ratio (10,000 vs 2,500 deadlines: 4 when linear) is free of the machine's speed of the
moment.

    python bench/sync.py [--sizes 2500,10000] [--repeat 3] [--store-dir DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from store.datafile import DataFileError  # noqa: E402
from store.engine import make_engine, unit_of_work  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.sync import sync_file  # noqa: E402

EXAMPLE = ROOT / "examples" / "ewaste-coalition.toml"
NOW = dt.datetime(2017, 10, 6, 8, 0, tzinfo=dt.UTC)
OWNERS = ["EMG", "BRS", "UNITAR", "ITU", "UNEP", "ILO", "UNIDO", "SAICM"]
STREAMS = ["ws1", "ws2", "internal", "communication", "knowledge"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def generated(n: int) -> str:
    """n deadlines as a secretariat writes them: dates and periods, one or two owners, some
    with descriptions, a few done."""
    parts = []
    for i in range(n):
        due = (f'"{MONTHS[i % 12]} {2018 + i % 5}"' if i % 3 else
               f"{2018 + i % 5}-{1 + i % 12:02d}-{1 + i % 28:02d}")
        owners = f'owners = ["{OWNERS[i % 8]}", "{OWNERS[(i + 3) % 8]}"]' if i % 4 == 0 else \
            f'owner = "{OWNERS[i % 8]}"'
        lines = ["[[deadlines]]", f'key = "gen-{i:05d}"',
                 f'title = "Generated deliverable {i} of work stream {STREAMS[i % 5]}"',
                 f"due = {due}", owners, f'work_stream = "{STREAMS[i % 5]}"']
        if i % 5 == 0:
            lines.append(f'description = """Deliverable {i}, described at some length so that '
                         'the entry is\nas long as the ones the secretariat writes."""')
        if i % 10 == 9:
            lines.append('status = "done"')
        lines.append('source = "Generated for the benchmark"')
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _timed(engine, path: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    with unit_of_work(engine) as session:
        report = sync_file(session=session, path=path, now=NOW)
    return time.perf_counter() - t0, report.summary()


def measure(n: int, folder: Path, attempt: int) -> dict:
    example = EXAMPLE.read_text()
    text = example + "\n" + generated(n)
    path = folder / f"data-{n}-{attempt}.toml"
    path.write_text(text)
    engine = make_engine(f"sqlite:///{folder / f'store-{n}-{attempt}.db'}")
    upgrade(engine)
    try:
        first, first_summary = _timed(engine, path)
        unchanged, unchanged_summary = _timed(engine, path)
        assert unchanged_summary == "no changes", unchanged_summary
        path.write_text(text.replace(f'title = "Generated deliverable {n // 2} ',
                                     f'title = "Renamed deliverable {n // 2} '))
        one_changed, one_summary = _timed(engine, path)
        assert one_summary == "updated 1 deadlines", one_summary
        path.write_text(text + '\n[[deadlines]]\nkey = "bad"\ntitle = "Bad"\ndue = "soon"\n')
        t0 = time.perf_counter()
        try:
            _timed(engine, path)
        except DataFileError as e:
            assert "line" in str(e) and "soon" in str(e), e
        else:
            raise AssertionError("the bad file was accepted")
        problem = time.perf_counter() - t0
    finally:
        engine.dispose()
    return {"deadlines": n + example.count("[[deadlines]]"), "file_bytes": len(text.encode()),
            "first_sync_seconds": first, "unchanged_resync_seconds": unchanged,
            "one_changed_resync_seconds": one_changed, "one_problem_reported_seconds": problem,
            "first_sync": first_summary}


FIGURES = ("first_sync_seconds", "unchanged_resync_seconds", "one_changed_resync_seconds",
           "one_problem_reported_seconds")


def fastest(attempts: list[dict]) -> dict:
    """Each figure's fastest repetition, and every repetition's."""
    run = dict(attempts[0])
    for figure in FIGURES:
        times = [a[figure] for a in attempts]
        run[figure] = round(min(times), 3)
        run[figure.replace("_seconds", "_all")] = [round(t, 3) for t in times]
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2500,10000",
                        help="generated deadlines per run, smallest first (default 2500,10000)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="repetitions of each size, taking turns (default 3)")
    parser.add_argument("--store-dir", type=Path, default=None,
                        help="where the stores and files go (default: a temporary folder)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.store_dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        attempts: dict[int, list[dict]] = {n: [] for n in sizes}
        for attempt in range(args.repeat):
            for n in sizes:
                attempts[n].append(measure(n, folder, attempt))
        runs = [fastest(attempts[n]) for n in sizes]
    small, large = runs[0], runs[-1]
    growth = large["first_sync_seconds"] / small["first_sync_seconds"]
    growth_unchanged = large["unchanged_resync_seconds"] / small["unchanged_resync_seconds"]
    print(json.dumps({
        "benchmark": "sync",
        "runs": runs,
        "first_sync_seconds": large["first_sync_seconds"],
        "target_first_sync_seconds": 10,
        "unchanged_resync_seconds": large["unchanged_resync_seconds"],
        "target_unchanged_resync_seconds": 2,
        "growth_first_sync": round(growth, 2),
        "growth_unchanged_resync": round(growth_unchanged, 2),
        "size_ratio": round(large["deadlines"] / small["deadlines"], 2),
        "target_growth": 6,
        "met": large["first_sync_seconds"] <= 10 and large["unchanged_resync_seconds"] <= 2
        and growth <= 6,
    }, indent=2))


if __name__ == "__main__":
    main()
