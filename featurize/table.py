"""The feature table on disk: Parquet with its settings in the schema metadata, written atomically.

The table is one Parquet file written in row groups of a few thousand clips, so that a run
streams it (:func:`iter_table`, :func:`write_frames`) and never holds more than a few row
groups of it in memory, whatever the corpus. One file rather than a partitioned dataset:
it is replaced by a single atomic rename (a folder of parts cannot be), and pandas, pyarrow,
DuckDB and Spark read it as one table as it is.

Beside ``NAME.parquet`` live ``NAME.errors.csv`` (clips that could not be analysed, with the
reason) and, while a run is going on, ``NAME.journal`` (one JSON line per finished clip, so
a killed run loses only the clips in flight; the next run folds it into the table).
"""

import glob
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from moodclass.errors import TableError
from moodclass.infra import atomic_write

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

METADATA_KEY = b"featurize"

#: Columns that describe a clip rather than its sound, in table order.
ID_COLUMNS = ["path", "track_id", "duration", "size", "mtime_ns"]
ERROR_COLUMNS = ["path", "reason", "size", "mtime_ns"]


#: Clips per row group of a table: about 10 MB of values with the default columns.
ROW_GROUP = 2048


def write_table(df: pd.DataFrame, path: str | Path, metadata: dict) -> None:
    """Write `df` to Parquet at `path` atomically, with `metadata` (a dict) in its schema.

    Parameters
    ----------
    df : pd.DataFrame
    path : str or Path
    metadata : dict
        Stored in the schema metadata (settings, root, versions).
    """
    write_frames(path, [df], metadata, pa.Schema.from_pandas(df, preserve_index=False))


def write_frames(path: str | Path, frames: Iterable[pd.DataFrame], metadata: dict, schema: pa.Schema) -> int:
    """Write the rows of `frames`, one after the other, as one Parquet table at `path`, atomically.

    Only one frame is in memory at a time; each becomes row groups of at most :data:`ROW_GROUP`
    rows. Every frame is converted to `schema` (the columns' types, and pandas' dtypes in its
    metadata); `metadata` (a dict) is stored beside it.

    Parameters
    ----------
    path : str or Path
    frames : iterable of pd.DataFrame
        The rows, a few row groups at a time, in `schema`.
    metadata : dict
    schema : pyarrow.Schema

    Returns
    -------
    int
        Rows written.

    Returns
    -------
    int
        Rows written.
    """
    meta = dict(schema.metadata or {})
    meta[METADATA_KEY] = json.dumps(metadata, sort_keys=True).encode()
    schema = schema.with_metadata(meta)
    rows = 0

    def write(tmp):
        nonlocal rows
        # Page checksums: a table damaged on disk is refused when read, never read as wrong numbers.
        with pq.ParquetWriter(tmp, schema, write_page_checksum=True) as writer:
            for df in frames:
                writer.write_table(pa.Table.from_pandas(df, schema=schema, preserve_index=False), ROW_GROUP)
                rows += len(df)

    atomic_write(path, write)
    return rows


def read_metadata(path: str | Path) -> dict:
    """The featurize metadata dict of the table at `path`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict

    Raises
    ------
    TableError
        If the file is not a Parquet table made by featurize.
    """
    try:
        schema = pq.read_schema(path)
    except FileNotFoundError:
        raise TableError(f"{path}: no such feature table") from None
    except (pa.ArrowInvalid, OSError) as err:
        raise TableError(f"{path}: not a readable Parquet table ({err}); if featurize made it, make it again "
                         "(`python -m featurize ... --overwrite`)") from None
    raw = (schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise TableError(f"{path}: not a feature table made by featurize (no settings in its metadata)")
    return json.loads(raw)


def is_feature_table(path: str | Path) -> bool:
    """Whether `path` is a Parquet table with featurize's settings in it (however else damaged).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    bool
    """
    try:
        read_metadata(path)
    except TableError:
        return False
    return True


def check_replaceable(path: str | Path) -> None:
    """Raise :class:`TableError` unless `path` is absent or a feature table, however damaged.

    What ``--overwrite`` may replace: never a file that featurize did not make.

    Parameters
    ----------
    path : str or Path
    """
    path = Path(path)
    if not path.exists():
        return
    with open(path, "rb") as f:
        is_parquet = f.read(4) == b"PAR1"
    if is_parquet:
        try:
            ours = METADATA_KEY in (pq.read_schema(path).metadata or {})
        except (pa.ArrowInvalid, OSError):
            ours = True  # a Parquet file too damaged to read its schema: a table of ours, broken
        if ours:
            return
    raise TableError(f"{path} is not a feature table made by featurize: --overwrite replaces only those; "
                     "choose another --output")


def _damaged(path, err) -> TableError:
    return TableError(f"{path}: the table is damaged ({err}); make it again (`python -m featurize ... --overwrite`)")


def read_table(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """The table at `path` as a DataFrame, and its metadata dict.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    table : pd.DataFrame
    metadata : dict
    """
    metadata = read_metadata(path)
    try:
        table = pq.read_table(path, page_checksum_verification=True)
    except (pa.ArrowInvalid, OSError) as err:
        raise _damaged(path, err) from None
    return table.to_pandas(), metadata


def _row_groups(path: str | Path, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
    """The table at `path`, a row group at a time (Arrow), every page's checksum verified."""
    try:
        # Row group by row group without pre-buffering: memory stays at about one row group
        # (iter_batches read ahead and held 1.3x the table's values in a 20,000-row test).
        with pq.ParquetFile(path, page_checksum_verification=True, pre_buffer=False) as f:
            for i in range(f.metadata.num_row_groups):
                yield f.read_row_group(i, columns=columns)
    except (pa.ArrowInvalid, OSError) as err:
        raise _damaged(path, err) from None


def iter_table(path: str | Path, columns: Sequence[str] | None = None) -> Iterator[pd.DataFrame]:
    """The rows of the table at `path`, a row group at a time, every page's checksum verified.

    Parameters
    ----------
    path : str or Path
    columns : sequence of str, optional
        Read only these.

    Yields
    ------
    pd.DataFrame
        A row group.

    Raises
    ------
    TableError
        If the file is damaged (when the damaged part is reached).
    """
    for group in _row_groups(path, columns):
        yield group.to_pandas()


def read_index(path: str | Path) -> pd.DataFrame:
    """The `path`, `size` and `mtime_ns` of every clip in the table at `path`.

    Reads, and so verifies, the whole table, a row group at a time: a damaged table is
    found before a run starts computing, not when it writes its results.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    pd.DataFrame
        ``path``, ``size`` and ``mtime_ns`` of every clip.
    """
    keep = ["path", "size", "mtime_ns"]
    parts = [group.select(keep).to_pandas() for group in _row_groups(path)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=keep)


#: The lock files this process holds open: a forked child closes its copies (see writer_lock).
_held_locks: set = set()


def _close_inherited_locks():
    for f in _held_locks:
        f.close()
    _held_locks.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited_locks)


@contextmanager
def writer_lock(table_path: str | Path) -> Iterator[None]:
    """Hold the table's lock file while writing it; a second writer gets a :class:`TableError`.

    The lock (``NAME.lock``, an advisory ``flock``) is held by this process alone and dies
    with it: forked worker processes close their copy of it at once, so a run killed with
    ``kill -9`` never leaves the table locked, even while its workers finish a clip. Taking it
    removes the temporary files (``.NAME.parquet.*.tmp``) of the table's writes that were killed. Where
    ``fcntl`` does not exist (Windows) nothing is locked.

    Parameters
    ----------
    table_path : str or Path
        The feature table (``NAME.parquet``).
    """
    p = Path(table_path)
    lock = p.with_name(p.stem + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as f:
        if fcntl is not None:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise TableError(f"{p} is being written by another featurize run; wait for it to finish") from None
        _held_locks.add(f)
        for name in (p.name, errors_path(p).name):  # temporary files of writes that were killed
            for stale in p.parent.glob(f".{glob.escape(name)}.*.tmp"):
                stale.unlink(missing_ok=True)
        try:
            yield
        finally:
            _held_locks.discard(f)
            lock.unlink(missing_ok=True)


def errors_path(table_path: str | Path) -> Path:
    """Where the error table of `table_path` lives.

    Parameters
    ----------
    table_path : str or Path
        The feature table (``NAME.parquet``).

    Returns
    -------
    Path
    """
    p = Path(table_path)
    return p.with_name(p.stem + ".errors.csv")


def journal_path(table_path: str | Path) -> Path:
    """Where the journal of `table_path` lives.

    Parameters
    ----------
    table_path : str or Path
        The feature table (``NAME.parquet``).

    Returns
    -------
    Path
    """
    p = Path(table_path)
    return p.with_name(p.stem + ".journal")


def read_errors(table_path: str | Path) -> pd.DataFrame:
    """The error table beside `table_path` (empty if there is none).

    It only saves retrying files that failed: one damaged, cut short or edited (in a
    spreadsheet, say) is read as far as it can be, and the files of rows that cannot be are
    simply analysed again; it is rewritten whole at the end of the run.

    Parameters
    ----------
    table_path : str or Path
        The feature table (``NAME.parquet``).

    Returns
    -------
    pd.DataFrame
        Columns :data:`ERROR_COLUMNS`.
    """
    p = errors_path(table_path)
    if not p.exists():
        return pd.DataFrame(columns=ERROR_COLUMNS)
    try:
        errors = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
        errors = pd.DataFrame(columns=ERROR_COLUMNS)
    if not set(ERROR_COLUMNS) <= set(errors.columns):
        return pd.DataFrame(columns=ERROR_COLUMNS)
    errors = errors[ERROR_COLUMNS].copy()
    for column in ("size", "mtime_ns"):
        errors[column] = pd.to_numeric(errors[column], errors="coerce")
    errors = errors.dropna(subset=["size", "mtime_ns"])
    return errors.astype({"size": np.int64, "mtime_ns": np.int64}).reset_index(drop=True)


def write_errors(errors: pd.DataFrame, table_path: str | Path) -> None:
    """Write the error table beside `table_path` atomically; remove it when there are no errors.

    Parameters
    ----------
    errors : pd.DataFrame
        Columns :data:`ERROR_COLUMNS`.
    table_path : str or Path
        The feature table (``NAME.parquet``).
    """
    p = errors_path(table_path)
    if len(errors) == 0:
        p.unlink(missing_ok=True)
        return
    atomic_write(p, lambda tmp: errors[ERROR_COLUMNS].to_csv(tmp, index=False))


#: How every journal starts: its header, ``{"settings": ..., "root": ...}`` (a run's json.dumps).
_JOURNAL_START = b'{"settings": '


class Journal:
    """Append-only record of finished clips: one JSON object per line, flushed as written.

    A line cut short by a crash is ignored when reading, and cut off before the next record
    is appended, so that the new record starts a line of its own (its clip is recomputed).
    """

    def __init__(self, path):
        self.path = Path(path)
        self._file = None

    def append(self, record: dict) -> None:
        """Add one record (a JSON-serialisable dict) and flush it to the operating system.

        Parameters
        ----------
        record : dict
            JSON-serialisable; the first one is the run's header.
        """
        try:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._drop_torn_line()
                self._file = open(self.path, "a", encoding="utf-8")
            self._file.write(json.dumps(record) + "\n")
            self._file.flush()
        except OSError as err:  # a full disk: name the journal
            raise OSError(err.errno, err.strerror, str(self.path)) from None

    def _drop_torn_line(self):
        """Truncate a last line that a crash left without its newline."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) == b"\n":
                return
            f.seek(0)
            data = f.read()
            f.truncate(data.rfind(b"\n") + 1)

    def is_foreign(self) -> bool:
        """Whether a file at the journal's path was not written by featurize (a user's file)."""
        if not self.path.is_file():
            return self.path.exists()
        with open(self.path, "rb") as f:
            start = f.read(len(_JOURNAL_START))
        return start != _JOURNAL_START[:len(start)]

    def close(self) -> None:
        """Close the file (records stay on disk)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def _lines(self) -> Iterator[tuple[int, dict]]:
        """``(offset, record)`` of every complete record on disk, oldest first."""
        if not self.path.exists():
            return
        with open(self.path, "rb") as f:
            offset = 0
            for line in f:
                try:
                    yield offset, json.loads(line)
                except json.JSONDecodeError:
                    pass  # the last line of a killed run
                offset += len(line)

    def records(self) -> list[dict]:
        """The complete records on disk, oldest first (all in memory: for small journals)."""
        return [record for _, record in self._lines()]

    def header(self) -> dict | None:
        """The first record (a run's header), or None for an empty journal."""
        return next((record for _, record in self._lines()), None)

    def latest(self) -> dict[str, tuple[int, dict]]:
        """The latest record of each clip after the header: ``{path: (offset, record)}``.

        The records' ``values`` are left out (read them with :meth:`values_at`), so that this
        index of a 100,000-clip journal stays small.
        """
        out = {}
        lines = self._lines()
        next(lines, None)  # the header
        for offset, record in lines:
            record.pop("values", None)
            out[record["path"]] = (offset, record)
        return out

    def values_at(self, offsets: Iterable[int]) -> list[list[float]]:
        """The ``values`` of the records that start at `offsets` (from :meth:`latest`).

        Parameters
        ----------
        offsets : iterable of int

        Returns
        -------
        list of list of float
        """
        out = []
        with open(self.path, "rb") as f:
            for offset in offsets:
                f.seek(offset)
                out.append(json.loads(f.readline())["values"])
        return out

    def remove(self) -> None:
        """Delete the journal once its records are safely in the table."""
        self.close()
        self.path.unlink(missing_ok=True)
