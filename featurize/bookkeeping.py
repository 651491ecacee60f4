"""The life of a feature table in a run: lock, resume, plan, journal, finish.

:class:`TableUpdate` is all a run (:func:`featurize.run.featurize`) needs: it takes the table's
lock, starts from the table and any journal a killed run left (:func:`resume`), says what is
left to analyse (:func:`plan`), journals each finished clip, and streams them into the table
(:func:`finish`). The files' formats on disk (Parquet, error table, journal, lock) are
:mod:`featurize.table`'s.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from featurize import fma
from featurize.features import FeatureSettings
from featurize.table import (
    ERROR_COLUMNS,
    ID_COLUMNS,
    ROW_GROUP,
    Journal,
    TableError,
    check_replaceable,
    iter_table,
    journal_path,
    read_errors,
    read_index,
    read_metadata,
    write_errors,
    write_frames,
    writer_lock,
)


class TableUpdate:
    """One run's update of the feature table at `output`, as a context manager.

    Entering takes the table's lock (one run at a time writes a table), refuses a journal that
    featurize did not write, and counts in what the table and a killed run's journal hold.
    Each :meth:`record` goes to the journal at once, so a killed run loses only the clips in
    flight. Leaving folds the journal into the table (the old table's rows of files no longer
    on disk leave it) and removes the journal; on an exception other than the run's own
    interruption, only if there is something to keep.

    Parameters
    ----------
    output : Path
        The Parquet table.
    header : dict
        ``{"settings": ..., "root": ...}``: a table or journal with another header is refused.
    settings : FeatureSettings
    overwrite : bool
        Replace the table (``--overwrite``) instead of building on it.
    tracks : pd.DataFrame, optional
        FMA's track metadata, joined to the rows.
    metadata : dict
        Stored with the table besides `header` and the time it was written (versions, the
        minimum duration).

    Attributes
    ----------
    done, failed : dict
        ``{path: (size, mtime_ns)}`` of the clips already in the table (or journal), and of
        those that failed, when entered.
    rows : int
        Clips in the table written on leaving.
    errors : pd.DataFrame
        The error table written on leaving.
    """

    def __init__(self, output: Path, *, header: dict, settings: FeatureSettings, overwrite: bool = False,
                 tracks: pd.DataFrame | None = None, metadata: dict | None = None):
        self.output, self.header, self.settings = Path(output), header, settings
        self.overwrite, self.tracks, self.metadata = overwrite, tracks, metadata or {}
        self.current: dict | None = None  # set by plan(): until then there is nothing to finish
        self.rows, self.errors = 0, pd.DataFrame(columns=ERROR_COLUMNS)

    def __enter__(self) -> "TableUpdate":
        self._lock = writer_lock(self.output)
        self._lock.__enter__()
        try:
            self.journal = Journal(journal_path(self.output))
            if self.journal.is_foreign():
                raise TableError(f"{self.journal.path} is not a journal of featurize: it was left as it is; move it "
                                 "away, or choose another --output")
            self.done, self.failed = resume(self.journal, self.output, self.header, self.settings, self.overwrite)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def plan(self, files: list[Path], rel: dict, current: dict, *, retry_failed: bool, summary) -> list[Path]:
        """The files to analyse (:func:`plan`); `current` (``{path: (size, mtime_ns)}`` of the
        clips that exist) is what the table keeps on leaving."""
        self.current = current
        return plan(files, rel, current, self.done, self.failed, retry_failed, summary)

    def record(self, path: str, result: dict) -> None:
        """Journal one analysed clip: its features or its error."""
        size, mtime_ns = self.current[path]
        self.journal.append({"path": path, "size": size, "mtime_ns": mtime_ns, **result})

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.journal.close()
            if self.current is None:  # stopped before planning: the table and journal stay as they were
                return
            if exc_type is None or self.output.exists() or self.journal.latest():
                created = datetime.now(timezone.utc).isoformat(timespec="seconds")
                self.rows, self.errors = finish(self.output, self.journal, self.current, self.settings,
                                                {**self.header, "created": created, **self.metadata}, tracks=self.tracks,
                                                base=not self.overwrite)
            self.journal.remove()  # kept, with its clips, if finishing failed (a full disk)
        finally:
            self._lock.__exit__(None, None, None)


def file_state(path: Path) -> tuple[int, int]:
    """``(size, mtime_ns)`` of a file, ``(-1, -1)`` where it cannot be read (a link to nothing): it is
    then analysed, and fails with its reason.

    Parameters
    ----------
    path : Path

    Returns
    -------
    (int, int)
    """
    try:
        st = path.stat()
    except OSError:
        return -1, -1
    return st.st_size, st.st_mtime_ns


def resume(journal: Journal, output: Path, header: dict, settings: FeatureSettings,
           overwrite: bool) -> tuple[dict, dict]:
    """What is done already, with a killed run's journal counted in; starts the journal.

    Parameters
    ----------
    journal : Journal
    output : Path
        The table.
    header : dict
        This run's settings and root.
    settings : FeatureSettings
    overwrite : bool
        Start afresh, replacing the table.

    Returns
    -------
    done, failed : dict
        ``{path: (size, mtime_ns)}`` of the clips in the table or the journal, and of the
        clips that failed (in the error table or the journal).
    """
    done, failed = {}, {}
    if overwrite:
        check_replaceable(output)
        journal.remove()
    else:
        if output.exists():
            check_header(read_metadata(output), header, output)
            index = read_index(output)
            done = dict(zip(index["path"], zip(index["size"].tolist(), index["mtime_ns"].tolist())))
            errors = read_errors(output)
            failed = dict(zip(errors["path"], zip(errors["size"].tolist(), errors["mtime_ns"].tolist())))
        leftover = journal.header()  # a run that was killed: its clips count as done
        if leftover is not None:
            check_header(leftover, header, journal.path)
            for path, (_, record) in journal.latest().items():
                done.pop(path, None)
                failed.pop(path, None)
                (failed if "error" in record else done)[path] = (record["size"], record["mtime_ns"])
    if not journal.path.exists():
        journal.append(header)
    return done, failed


def plan(files: list[Path], rel: dict, current: dict, done: dict, failed: dict, retry_failed: bool,
         summary) -> list[Path]:
    """The files to analyse: new or changed since their row or failure (counted in `summary`)."""
    summary.removed = sum(p not in current for p in done)
    todo = []
    for f in files:
        state = current[rel[f]]
        if done.get(rel[f]) == state:
            summary.reused += 1
        elif failed.get(rel[f]) == state and not retry_failed:
            summary.skipped_failed += 1
        else:
            todo.append(f)
    return todo


def empty_table(settings: FeatureSettings, *, tracks: pd.DataFrame | None = None) -> pd.DataFrame:
    """A table of no clips with the columns and dtypes of `settings` (and FMA's `tracks`).

    Parameters
    ----------
    settings : FeatureSettings
    tracks : pd.DataFrame, optional

    Returns
    -------
    pd.DataFrame
    """
    table = pd.DataFrame({"path": pd.Series(dtype=str), "track_id": pd.Series(dtype="Int64"),
                          "duration": pd.Series(dtype=np.float64), "size": pd.Series(dtype=np.int64),
                          "mtime_ns": pd.Series(dtype=np.int64)})
    table = pd.concat([table, pd.DataFrame(np.empty((0, len(settings.columns()))), columns=settings.columns())], axis=1)
    return table if tracks is None else with_track_metadata(table, tracks)


def table_schema(settings: FeatureSettings, *, tracks: pd.DataFrame | None = None) -> pa.Schema:
    """The Parquet schema of a table of `settings` (and FMA's `tracks`).

    Parameters
    ----------
    settings : FeatureSettings
    tracks : pd.DataFrame, optional

    Returns
    -------
    pyarrow.Schema
    """
    return pa.Schema.from_pandas(empty_table(settings, tracks=tracks), preserve_index=False)


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


def finish(output: Path, journal: Journal, current: dict, settings: FeatureSettings, metadata: dict, *,
           tracks: pd.DataFrame | None = None, base: bool = True) -> tuple[int, pd.DataFrame]:
    """Replace the table and its errors with the journal's records folded in; the journal stays.

    The latest record of a clip wins; clips no longer among the `current` files leave. The
    old table and the journal are streamed and merged in path order, a few row groups at a
    time, so memory does not grow with the corpus (``python -m bench.bench_table`` measures it).

    Parameters
    ----------
    base : bool
        Build on the table at `output` (False: it is being replaced, ``--overwrite``).

    Returns
    -------
    rows : int
        Clips in the table written.
    errors : pd.DataFrame
        The error table written.
    """
    latest = journal.latest()
    old_errors = read_errors(output) if base else pd.DataFrame(columns=ERROR_COLUMNS)
    bad = [r for _, r in latest.values() if "error" in r and r["path"] in current]
    new_errors = pd.DataFrame({"path": [r["path"] for r in bad], "reason": [r["error"] for r in bad],
                               "size": np.array([r["size"] for r in bad], dtype=np.int64),
                               "mtime_ns": np.array([r["mtime_ns"] for r in bad], dtype=np.int64)})
    old_errors = old_errors[_kept(old_errors["path"], current, latest)]
    errors = new_errors if old_errors.empty else pd.concat([old_errors, new_errors], ignore_index=True)
    errors = errors.sort_values("path", ignore_index=True)

    columns = ID_COLUMNS + settings.columns()
    old = (b.loc[_kept(b["path"], current, latest), columns]
           for b in (iter_table(output) if base and output.exists() else ()))
    fresh = _journal_rows(journal, latest, current, settings)
    chunks = (c if tracks is None else with_track_metadata(c, tracks) for c in merge_sorted(old, fresh, "path"))
    rows = write_frames(output, chunks, metadata, table_schema(settings, tracks=tracks))
    write_errors(errors, output)
    return rows, errors


def _kept(paths: pd.Series, current: dict, latest: dict) -> np.ndarray:
    """Which of the old table's `paths` stay: still on disk and not redone in the journal."""
    return np.fromiter((p in current and p not in latest for p in paths), dtype=bool, count=len(paths))


def _journal_rows(journal: Journal, latest: dict, current: dict, settings: FeatureSettings,
                  chunk: int = ROW_GROUP) -> Iterator[pd.DataFrame]:
    """The journal's finished clips as table rows, in path order, `chunk` clips at a time."""
    paths = sorted(p for p, (_, r) in latest.items() if "error" not in r and p in current)
    columns = settings.columns()
    for start in range(0, len(paths), chunk):
        good = [latest[p] for p in paths[start:start + chunk]]
        values = np.array(journal.values_at(offset for offset, _ in good), dtype=np.float64)
        records = [r for _, r in good]
        rows = pd.DataFrame(values.reshape(len(good), len(columns)), columns=columns)
        rows.insert(0, "path", [r["path"] for r in records])
        rows.insert(1, "track_id", pd.array([fma.track_id_from_path(r["path"]) for r in records], dtype="Int64"))
        rows.insert(2, "duration", [r["duration"] for r in records])
        rows.insert(3, "size", np.array([r["size"] for r in records], dtype=np.int64))
        rows.insert(4, "mtime_ns", np.array([r["mtime_ns"] for r in records], dtype=np.int64))
        yield rows


def merge_sorted(a: Iterable[pd.DataFrame], b: Iterable[pd.DataFrame], key: str) -> Iterator[pd.DataFrame]:
    """Merge two streams of frames, each sorted by `key` across its frames, into one such stream.

    Holds at most one frame of each stream (and one output frame) at a time.

    Parameters
    ----------
    a, b : iterable of pd.DataFrame
    key : str
        The column both are sorted by.

    Yields
    ------
    pd.DataFrame
    """
    a = (f for f in a if len(f))
    b = (f for f in b if len(f))
    fa, fb = next(a, None), next(b, None)
    while fa is not None and fb is not None:
        bound = min(fa[key].iloc[-1], fb[key].iloc[-1])  # everything up to here is in fa or fb
        ia, ib = fa[key].searchsorted(bound, side="right"), fb[key].searchsorted(bound, side="right")
        yield pd.concat([fa[:ia], fb[:ib]], ignore_index=True).sort_values(key, ignore_index=True, kind="stable")
        fa = fa[ia:] if ia < len(fa) else next(a, None)
        fb = fb[ib:] if ib < len(fb) else next(b, None)
    for f, rest in ((fa, a), (fb, b)):
        if f is not None:
            yield f.reset_index(drop=True)
            yield from rest


def with_track_metadata(table: pd.DataFrame, tracks: pd.DataFrame) -> pd.DataFrame:
    """Table with FMA's artist, album, genre and subset columns (re)joined on track id.

    Parameters
    ----------
    table : pd.DataFrame
    tracks : pd.DataFrame
        FMA's track metadata, indexed by track id.

    Returns
    -------
    pd.DataFrame
    """
    table = table.drop(columns=[c for c in fma.TRACK_COLUMNS if c in table.columns])
    joined = tracks.reindex(table["track_id"].fillna(-1).astype(int)).reset_index(drop=True)
    for i, name in enumerate(fma.TRACK_COLUMNS):
        table.insert(len(ID_COLUMNS) + i, name, joined[name].array)
    return table
