"""The feature table's bookkeeping: what is done, what is left to compute, and folding finished clips in.

:func:`featurize.run.featurize` asks it what to analyse (:func:`plan`), starts from the table and
any journal a killed run left (:func:`resume`), and folds finished clips into the table
(:func:`fold`); the files themselves are kept by :mod:`featurize.table`.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from featurize import fma
from featurize.features import FeatureSettings
from featurize.table import ERROR_COLUMNS, ID_COLUMNS, Journal, TableError, check_replaceable, read_errors, read_table


def file_state(path: Path) -> tuple[int, int]:
    """``(size, mtime_ns)`` of a file, ``(-1, -1)`` where it cannot be read (a link to nothing): it is
    then analysed, and fails with its reason."""
    try:
        st = path.stat()
    except OSError:
        return -1, -1
    return st.st_size, st.st_mtime_ns


def resume(journal: Journal, output: Path, header: dict, settings: FeatureSettings,
           overwrite: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table and errors to build on, with a killed run's journal folded in; starts the journal."""
    if overwrite:
        check_replaceable(output)
        journal.remove()
        table, errors = empty_table(settings), pd.DataFrame(columns=ERROR_COLUMNS)
    else:
        table, errors = load_existing(output, header, settings)
        leftovers = journal.records()  # from a run that was killed: its clips count as done
        if leftovers:
            check_header(leftovers[0], header, journal.path)
            table, errors = fold(table, errors, leftovers[1:], settings)
    if not journal.path.exists():
        journal.append(header)
    return table, errors


def plan(files: list[Path], rel: dict, current: dict, table: pd.DataFrame, errors: pd.DataFrame, retry_failed: bool,
         summary) -> list[Path]:
    """The files to analyse: new or changed since their row or failure (counted in `summary`)."""
    done = {p: (s, m) for p, s, m in zip(table["path"], table["size"], table["mtime_ns"])}
    failed_before = {p: (s, m) for p, s, m in zip(errors["path"], errors["size"], errors["mtime_ns"])}
    summary.removed = int((~table["path"].isin(current)).sum())
    todo = []
    for f in files:
        state = current[rel[f]]
        if done.get(rel[f]) == state:
            summary.reused += 1
        elif failed_before.get(rel[f]) == state and not retry_failed:
            summary.skipped_failed += 1
        else:
            todo.append(f)
    return todo


def empty_table(settings: FeatureSettings) -> pd.DataFrame:
    return pd.DataFrame(columns=ID_COLUMNS + settings.columns())


def load_existing(output: Path, header: dict, settings: FeatureSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not output.exists():
        return empty_table(settings), pd.DataFrame(columns=ERROR_COLUMNS)
    table, metadata = read_table(output)
    check_header(metadata, header, output)
    return table, read_errors(output)


def check_header(found: dict, expected: dict, where: str | Path) -> None:
    if found.get("settings") != expected["settings"]:
        diffs = FeatureSettings.from_dict(found["settings"]).differences(FeatureSettings.from_dict(expected["settings"]))
        raise TableError(
            f"{where} was made with other extraction settings (table vs this run: {'; '.join(diffs)}); "
            "features are never mixed: choose another --output, or --overwrite to recompute all"
        )
    if found.get("root") != expected["root"]:
        raise TableError(
            f"{where} holds clips of {found.get('root')}, not {expected['root']}: choose another --output"
        )


def fold(table: pd.DataFrame, errors: pd.DataFrame, records: list[dict],
         settings: FeatureSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table and errors with the journal's records applied, the latest record of a path winning."""
    latest = {r["path"]: r for r in records}
    if not latest:
        return table, errors
    good = [r for r in latest.values() if "values" in r]
    bad = [r for r in latest.values() if "error" in r]
    columns = settings.columns()
    new_rows = pd.DataFrame(np.array([r["values"] for r in good], dtype=np.float64).reshape(len(good), len(columns)),
                            columns=columns)
    new_rows.insert(0, "path", [r["path"] for r in good])
    new_rows.insert(1, "track_id", pd.array([fma.track_id_from_path(r["path"]) for r in good], dtype="Int64"))
    new_rows.insert(2, "duration", [r["duration"] for r in good])
    new_rows.insert(3, "size", np.array([r["size"] for r in good], dtype=np.int64))
    new_rows.insert(4, "mtime_ns", np.array([r["mtime_ns"] for r in good], dtype=np.int64))
    new_errors = pd.DataFrame({"path": [r["path"] for r in bad], "reason": [r["error"] for r in bad],
                               "size": np.array([r["size"] for r in bad], dtype=np.int64),
                               "mtime_ns": np.array([r["mtime_ns"] for r in bad], dtype=np.int64)})
    table = table[~table["path"].isin(latest)]
    errors = errors[~errors["path"].isin(latest)]
    table = new_rows if table.empty else pd.concat([table[new_rows.columns], new_rows], ignore_index=True)
    errors = new_errors if errors.empty else pd.concat([errors, new_errors], ignore_index=True)
    return table.sort_values("path", ignore_index=True), errors.sort_values("path", ignore_index=True)


def with_track_metadata(table: pd.DataFrame, tracks: pd.DataFrame) -> pd.DataFrame:
    """Table with FMA's artist, album, genre and subset columns (re)joined on track id."""
    table = table.drop(columns=[c for c in fma.TRACK_COLUMNS if c in table.columns])
    joined = tracks.reindex(table["track_id"].fillna(-1).astype(int)).reset_index(drop=True)
    for i, name in enumerate(fma.TRACK_COLUMNS):
        table.insert(len(ID_COLUMNS) + i, name, joined[name].to_numpy())
    return table
