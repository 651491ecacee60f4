"""Finishing a feature table at corpus scale: time and peak memory of resuming and writing it.

Run from the repository's root:

    python -m bench.bench_table                     # 100,000 rows of the default (mood) columns
    python -m bench.bench_table --rows 20000

Makes a synthetic table of ROWS clips with the default columns, and a journal of 1,000 newly
finished clips, then, each in a fresh process, does what a resumed run does with them two ways:

- streamed (what featurize does): read the table's index and the journal's to plan the run,
  then merge the table and the journal in path order, a few row groups at a time, into the
  new table (``bookkeeping.resume`` and ``bookkeeping.finish``);
- in memory (what featurize did before): read the whole table, add the journal's rows, sort,
  and write the whole table again.

Prints the table's size, the time of each step, and each process's peak resident memory
against the size of the values themselves, beside that of a process that only imports.
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
from featurize.table import ID_COLUMNS, Journal, read_table, write_table


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


def streamed(folder):
    """Resume and finish the way featurize does; timings and peak memory as JSON."""
    settings = FeatureSettings()
    header = {"settings": settings.to_dict(), "root": "/music"}
    journal = Journal(folder / "t.journal")
    start = time.perf_counter()
    done, failed = bookkeeping.resume(journal, folder / "t.parquet", header, settings, overwrite=False)
    resumed = time.perf_counter() - start
    start = time.perf_counter()
    rows, _ = bookkeeping.finish(folder / "t.parquet", journal, {p: (0, 0) for p in done}, settings, header)
    return {"resume": resumed, "finish": time.perf_counter() - start, "rows": rows}


def in_memory(folder):
    """Resume and finish by reading the whole table, as featurize did before; timings as JSON."""
    settings = FeatureSettings()
    header = {"settings": settings.to_dict(), "root": "/music"}
    start = time.perf_counter()
    table, _ = read_table(folder / "t.parquet")
    journal = Journal(folder / "t.journal")
    records = journal.records()[1:]
    resumed = time.perf_counter() - start
    start = time.perf_counter()
    columns = settings.columns()
    new = pd.DataFrame(np.array([r["values"] for r in records]), columns=columns)
    for i, c in enumerate(ID_COLUMNS):
        new.insert(i, c, [r.get(c) for r in records] if c != "track_id" else pd.array([None] * len(records), "Int64"))
    table = pd.concat([table, new], ignore_index=True).sort_values("path", ignore_index=True)
    write_table(table, folder / "t.parquet", header)
    return {"resume": resumed, "finish": time.perf_counter() - start, "rows": len(table)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--new", type=int, default=1000, help="clips in the journal (default: 1000)")
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)  # a child process's job: WAY FOLDER
    p.add_argument("--make", type=Path, help=argparse.SUPPRESS)  # a child process's job: make the table here
    args = p.parse_args()
    if args.make:
        make(args.make, args.rows, args.new)
        return
    if args.child:
        way, folder = args.child
        r = WAYS[way](Path(folder))
        r["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(r))
        return
    columns = len(FeatureSettings().columns())
    values_mib = args.rows * columns * 8 / 2**20
    results = {}
    for way in WAYS:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            # Every step in a process of its own: a child inherits its parent's peak memory.
            subprocess.run([sys.executable, "-m", "bench.bench_table", "--make", str(folder), "--rows", str(args.rows), "--new",
                            str(args.new)], check=True)
            size_mib = (folder / "t.parquet").stat().st_size / 2**20
            child = subprocess.run([sys.executable, "-m", "bench.bench_table", "--child", way, str(folder)], capture_output=True,
                                   text=True, check=True)
            results[way] = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"{args.rows} rows x {columns} feature columns ({values_mib:.0f} MiB of float64 values, {size_mib:.0f} MiB "
          f"of Parquet), {args.new} clips in the journal")
    for way, r in results.items():
        print(f"  {way:12s}: resume {r['resume']:.1f} s, finish {r['finish']:.1f} s; {r['rows']} rows; "
              f"peak memory {r['peak_mib']:.0f} MiB = {r['peak_mib'] / values_mib:.2f}x the values")
    s, m = results["streamed"], results["in memory"]
    print(f"  streamed / in memory: time {(s['resume'] + s['finish']) / (m['resume'] + m['finish']):.2f}x, "
          f"peak memory {s['peak_mib'] / m['peak_mib']:.2f}x")


def imports_only(folder):
    """Nothing: the peak memory of a process that has imported featurize (librosa, numba, pyarrow)."""
    return {"resume": 0.0, "finish": 0.0, "rows": 0}


WAYS = {"streamed": streamed, "in memory": in_memory, "imports only": imports_only}

if __name__ == "__main__":
    main()
