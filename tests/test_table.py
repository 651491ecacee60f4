"""The feature table at corpus scale: streamed in row groups, merged with the journal in path order."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from featurize import bookkeeping
from featurize.features import FeatureSettings
from featurize.table import ID_COLUMNS, ROW_GROUP, Journal, iter_table, read_errors, read_table, write_frames

SETTINGS = FeatureSettings(families=("rms", "zcr"))
HEADER = {"settings": SETTINGS.to_dict(), "root": "/music"}


def rows(paths, rng):
    columns = SETTINGS.columns()
    df = pd.DataFrame(rng.normal(size=(len(paths), len(columns))), columns=columns)
    df.insert(0, "path", list(paths))
    df.insert(1, "track_id", pd.array([None] * len(paths), dtype="Int64"))
    df.insert(2, "duration", 30.0)
    df.insert(3, "size", np.int64(10))
    df.insert(4, "mtime_ns", np.int64(20))
    return df


@pytest.mark.parametrize("seed", range(5))
def test_merge_sorted_interleaves_two_sorted_streams_a_frame_at_a_time(seed):
    rng = np.random.default_rng(seed)
    keys = np.array(sorted(f"{k:05d}" for k in rng.choice(100_000, 600, replace=False)))
    in_a = rng.random(len(keys)) < 0.5

    def stream(part):
        cuts = np.sort(rng.choice(len(part), 6, replace=False))
        return [pd.DataFrame({"k": chunk, "v": chunk}) for chunk in np.split(part, cuts)]  # some chunks empty

    a, b = stream(keys[in_a]), stream(keys[~in_a])
    out = list(bookkeeping.merge_sorted(iter(a), iter(b), "k"))
    merged = pd.concat(out, ignore_index=True)
    assert merged["k"].tolist() == keys.tolist() and (merged["k"] == merged["v"]).all()
    biggest = max(len(f) for f in a) + max(len(f) for f in b)
    assert all(0 < len(f) <= biggest for f in out)


def test_finish_streams_the_old_table_and_the_journal_into_the_same_table_as_in_memory(tmp_path):
    rng = np.random.default_rng(0)
    out = tmp_path / "t.parquet"
    n = 2 * ROW_GROUP + 100  # three row groups
    old = rows([f"a/{i:05d}.mp3" for i in range(0, 2 * n, 2)], rng)
    write_frames(out, [old[:1000], old[1000:]], HEADER, bookkeeping.table_schema(SETTINGS))
    assert pq.ParquetFile(out).metadata.num_row_groups == 3
    # A run: some clips new (interleaved with the old ones), some recomputed, one now failing, one deleted.
    journal = Journal(tmp_path / "t.journal")
    journal.append(HEADER)
    new = rows([f"a/{i:05d}.mp3" for i in range(1, 2 * n, 14)] + ["a/00000.mp3", "a/00002.mp3", "z.mp3"], rng)
    for r in new.to_dict("records"):
        journal.append({"path": r["path"], "size": 10, "mtime_ns": 20, "duration": 30.0,
                        "values": [r[c] for c in SETTINGS.columns()]})
    journal.append({"path": "a/00002.mp3", "size": 10, "mtime_ns": 21, "error": "cannot decode"})  # latest wins
    journal.append({"path": "a/00004.mp3", "size": 10, "mtime_ns": 21, "error": "cannot decode"})
    journal.close()
    current = {p: (10, 20) for p in pd.concat([old["path"], new["path"]]) if p != "a/00006.mp3"}

    count, errors = bookkeeping.finish(out, journal, current, SETTINGS, HEADER)

    table, metadata = read_table(out)
    replaced = set(new["path"]) | {"a/00004.mp3", "a/00006.mp3"}
    expected = pd.concat([old[~old["path"].isin(replaced)], new[new["path"] != "a/00002.mp3"]])
    expected = expected.sort_values("path", ignore_index=True)
    pd.testing.assert_frame_equal(table, expected, check_dtype=True)
    assert count == len(table) and metadata == HEADER and table["track_id"].dtype == "Int64"
    assert errors["path"].tolist() == read_errors(out)["path"].tolist() == ["a/00002.mp3", "a/00004.mp3"]
    assert pq.ParquetFile(out).metadata.num_row_groups > 1
    assert sum(len(b) for b in iter_table(out, columns=ID_COLUMNS)) == len(table)
