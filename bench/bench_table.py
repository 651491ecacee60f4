"""Finishing a feature table at corpus scale: time and peak memory of resuming and writing it.

Run from the repository's root:

    python bench/bench_table.py                     # 100,000 rows of the default (mood) columns
    python bench/bench_table.py --rows 20000

Makes a synthetic table of ROWS clips with the default columns, and a journal of 1,000 newly
finished clips, then, in a fresh process, does what a resumed run does with them: reads the
table, folds the journal in, and writes the table again. Prints the table's size, the time of
each step, and the process's peak resident memory against the size of the values themselves.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from featurize import bookkeeping
from featurize.features import FeatureSettings
from featurize.table import ID_COLUMNS, Journal, write_table


def make(folder, rows, new):
    """A table of `rows` clips and a journal of `new` more, with the default settings."""
    settings = FeatureSettings()
    columns = settings.columns()
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(rows, len(columns))), columns=columns)
    df.insert(0, "path", [f"{i // 1000:03d}/{i:06d}.mp3" for i in range(rows)])
    df.insert(1, "track_id", pd.array(np.arange(rows), dtype="Int64"))
    df.insert(2, "duration", 30.0)
    df.insert(3, "size", np.int64(1_000_000))
    df.insert(4, "mtime_ns", np.int64(0))
    header = {"settings": settings.to_dict(), "root": "/music"}
    write_table(df[ID_COLUMNS + columns], folder / "t.parquet", header)
    journal = Journal(folder / "t.journal")
    journal.append(header)
    for i in range(rows, rows + new):
        journal.append({"path": f"new/{i:06d}.mp3", "size": 1, "mtime_ns": 1, "duration": 30.0,
                        "values": rng.normal(size=len(columns)).tolist()})
    journal.close()


def finish(folder):
    """What a resumed run does with the table and its journal; prints timings and peak memory as JSON."""
    settings = FeatureSettings()
    header = {"settings": settings.to_dict(), "root": "/music"}
    times = {}
    start = time.perf_counter()
    table, errors = bookkeeping.load_existing(folder / "t.parquet", header, settings)
    times["read"] = time.perf_counter() - start
    start = time.perf_counter()
    table, errors = bookkeeping.fold(table, errors, Journal(folder / "t.journal").records()[1:], settings)
    times["fold"] = time.perf_counter() - start
    start = time.perf_counter()
    write_table(table, folder / "t.parquet", header)
    times["write"] = time.perf_counter() - start
    times["rows"] = len(table)
    times["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(times))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--new", type=int, default=1000, help="clips in the journal (default: 1000)")
    p.add_argument("--finish", type=Path, help=argparse.SUPPRESS)  # the child process's job
    args = p.parse_args()
    if args.finish:
        finish(args.finish)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make(folder, args.rows, args.new)
        columns = len(FeatureSettings().columns())
        values_mib = args.rows * columns * 8 / 2**20
        size_mib = (folder / "t.parquet").stat().st_size / 2**20
        child = subprocess.run([sys.executable, __file__, "--finish", str(folder)], capture_output=True, text=True,
                               check=True)
        r = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"{args.rows} rows x {columns} feature columns ({values_mib:.0f} MiB of float64 values, {size_mib:.0f} MiB "
          f"of Parquet), {args.new} clips in the journal")
    print(f"  read {r['read']:.1f} s, fold the journal in {r['fold']:.1f} s, write {r['write']:.1f} s; "
          f"{r['rows']} rows; peak memory {r['peak_mib']:.0f} MiB = {r['peak_mib'] / values_mib:.1f}x the values")


if __name__ == "__main__":
    main()
