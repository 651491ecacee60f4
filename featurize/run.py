"""Featurizing folders: which clips need computing, computing them in parallel, keeping the table.

A run never loses finished work: every analysed clip goes to the journal as soon as it is
done, and the table is only ever replaced whole (see :mod:`featurize.table`).
"""

import os
import signal
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import effective_n_jobs
from threadpoolctl import threadpool_limits

from featurize import fma
from featurize.audio import AUDIO_EXTENSIONS, AudioError, find_audio, load_audio
from featurize.features import FeatureSettings, extract_features
from featurize.table import (
    ERROR_COLUMNS,
    ID_COLUMNS,
    Journal,
    TableError,
    check_replaceable,
    journal_path,
    read_errors,
    read_table,
    write_errors,
    write_table,
    writer_lock,
)
from moodclass.errors import MoodclassError
from moodclass.infra import DEFAULT_CACHE, library_versions, progress_bar

DEFAULT_MIN_DURATION = 5.0
_GENERIC_NAMES = {"audio", "music", "clips", "songs", "tracks", "mp3", "wav", "data", "files"}


class NoAudioError(MoodclassError):
    """The paths given hold no audio file."""


@dataclass
class RunSummary:
    """What a run did: `failed` lists this run's failures (path, reason), `errors` counts all
    the clips in the error table."""

    table: Path
    rows: int = 0
    computed: int = 0
    reused: int = 0
    removed: int = 0
    ignored_files: int = 0
    skipped_failed: int = 0
    failed: list = field(default_factory=list)
    errors: int = 0
    interrupted: bool = False
    seconds: float = 0.0


def default_output(paths, cache=DEFAULT_CACHE):
    """``cache/features/NAME.parquet``, NAME from the folder (``emotify-audio`` for ``emotify/audio``)."""
    root = common_root(paths)
    name = root.name or "root"
    if name.lower() in _GENERIC_NAMES and root.parent.name:
        name = f"{root.parent.name}-{name}"
    return Path(cache) / "features" / f"{name}.parquet"


def common_root(paths):
    """The deepest folder containing every path given."""
    dirs = [p if p.is_dir() else p.parent for p in (Path(os.path.abspath(p)) for p in paths)]
    return Path(os.path.commonpath(dirs))


def featurize(paths, output=None, settings=None, jobs=None, min_duration=DEFAULT_MIN_DURATION,
              metadata_dir=None, overwrite=False, retry_failed=False, progress=True):
    """Compute the feature table of every audio file under `paths`, reusing what is done.

    Parameters
    ----------
    paths : list of str or Path
        Audio files and folders (searched recursively).
    output : str or Path, optional
        The Parquet table; default :func:`default_output`.
    settings : FeatureSettings, optional
        Extraction settings; an existing table must have been made with the same ones.
    jobs : int, optional
        Worker processes, as joblib counts them: default all cores, -1 the same, -2 all but one.
    min_duration : float
        Clips shorter than this many seconds are recorded as failures.
    metadata_dir : str or Path, optional
        FMA's ``fma_metadata`` folder: adds artist, album, genre and subset columns. By
        default it is looked for beside the audio folder.
    overwrite : bool
        Recompute everything, replacing a table made with other settings.
    retry_failed : bool
        Analyse again the files that failed before and have not changed since.
    progress : bool
        Show a progress bar.

    Returns
    -------
    RunSummary

    Raises
    ------
    FileNotFoundError, NoAudioError, TableError
        With a one-line message for the user.
    """
    start = time.monotonic()
    settings = settings or FeatureSettings()
    files, ignored = find_audio(paths)
    if not files:
        kinds = ", ".join(sorted(e.lstrip(".") for e in AUDIO_EXTENSIONS))
        raise NoAudioError(f"no audio files ({kinds}) under {', '.join(map(str, paths))}")
    root = common_root(paths)
    output = Path(output) if output else default_output(paths)
    if metadata_dir is None:
        metadata_dir = fma.find_metadata(root)
    tracks = fma.read_tracks(metadata_dir) if metadata_dir else None
    header = {"settings": settings.to_dict(), "root": str(root)}
    with writer_lock(output):  # one run at a time may write a table
        journal = Journal(journal_path(output))
        table, errors = _resume(journal, output, header, settings, overwrite)
        rel = {f: f.relative_to(root).as_posix() for f in files}
        current = {rel[f]: _file_state(f) for f in files}
        summary = RunSummary(table=output, ignored_files=ignored)
        todo = _plan(files, rel, current, table, errors, retry_failed, summary)
        try:
            for f, result in analyse_files(todo, settings, min_duration, jobs, progress):
                journal.append({"path": rel[f], "size": current[rel[f]][0], "mtime_ns": current[rel[f]][1], **result})
                if "error" in result:
                    summary.failed.append((rel[f], result["error"]))
                else:
                    summary.computed += 1
        except KeyboardInterrupt:
            summary.interrupted = True
        finally:
            journal.close()
            table, errors = _fold(table, errors, journal.records()[1:], settings)
            # Files no longer on disk leave the table.
            table = table[table["path"].isin(current)].reset_index(drop=True)
            errors = errors[errors["path"].isin(current)].reset_index(drop=True)
            if tracks is not None:
                table = _with_track_metadata(table, tracks)
            metadata = {**header, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        "versions": library_versions(), "min_duration": min_duration}
            write_table(table, output, metadata)
            write_errors(errors, output)
            journal.remove()
    summary.rows, summary.errors = len(table), len(errors)
    summary.seconds = time.monotonic() - start
    return summary


def _file_state(path):
    """``(size, mtime_ns)`` of a file, ``(-1, -1)`` where it cannot be read (a link to nothing): it is
    then analysed, and fails with its reason."""
    try:
        st = path.stat()
    except OSError:
        return -1, -1
    return st.st_size, st.st_mtime_ns


def _resume(journal, output, header, settings, overwrite):
    """The table and errors to build on, with a killed run's journal folded in; starts the journal."""
    if overwrite:
        check_replaceable(output)
        journal.remove()
        table, errors = _empty_table(settings), pd.DataFrame(columns=ERROR_COLUMNS)
    else:
        table, errors = _load_existing(output, header, settings)
        leftovers = journal.records()  # from a run that was killed: its clips count as done
        if leftovers:
            _check_header(leftovers[0], header, journal.path)
            table, errors = _fold(table, errors, leftovers[1:], settings)
    if not journal.path.exists():
        journal.append(header)
    return table, errors


def _plan(files, rel, current, table, errors, retry_failed, summary):
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


def _empty_table(settings):
    return pd.DataFrame(columns=ID_COLUMNS + settings.columns())


def _load_existing(output, header, settings):
    if not output.exists():
        return _empty_table(settings), pd.DataFrame(columns=ERROR_COLUMNS)
    table, metadata = read_table(output)
    _check_header(metadata, header, output)
    return table, read_errors(output)


def _check_header(found, expected, where):
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


def _fold(table, errors, records, settings):
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


def _with_track_metadata(table, tracks):
    """Table with FMA's artist, album, genre and subset columns (re)joined on track id."""
    table = table.drop(columns=[c for c in fma.TRACK_COLUMNS if c in table.columns])
    joined = tracks.reindex(table["track_id"].fillna(-1).astype(int)).reset_index(drop=True)
    for i, name in enumerate(fma.TRACK_COLUMNS):
        table.insert(len(ID_COLUMNS) + i, name, joined[name].to_numpy())
    return table


def _analyse(path, settings, min_duration):
    """Features of one file as a journal record: ``{'duration', 'values'}`` or ``{'error'}``."""
    try:
        y = load_audio(path, settings.sr, min_duration)
        values = extract_features(y, settings)
    except AudioError as err:
        return {"error": str(err)}
    except Exception as err:  # a clip that breaks an analysis must not stop the run
        return {"error": f"analysis failed: {type(err).__name__}: {err}"}
    if not np.all(np.isfinite(values)):
        bad = settings.columns()[int(np.flatnonzero(~np.isfinite(values))[0])]
        return {"error": f"analysis gave a non-finite value (first in {bad})"}
    return {"duration": len(y) / settings.sr, "values": values.tolist()}


def _init_worker():
    # The parent handles Ctrl-C; each worker uses one BLAS thread (the cores are the workers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threadpool_limits(1)


def analyse_files(files, settings, min_duration=DEFAULT_MIN_DURATION, jobs=None, progress=True):
    """Analyse audio files in parallel, yielding ``(file, record)`` as each one finishes.

    Parameters
    ----------
    files : list of Path
    settings : FeatureSettings
    min_duration : float
        Shorter clips fail.
    jobs : int, optional
        Worker processes, as joblib counts them (default -1: all cores; -2: all but one); 1 runs
        in this process.
    progress : bool
        Show a progress bar.

    Yields
    ------
    file : Path
    record : dict
        ``{'duration': seconds, 'values': list of float}``, or ``{'error': reason}``.
    """
    jobs = effective_n_jobs(jobs or -1)  # as joblib: -1 all cores, -2 all but one
    bar = progress_bar(total=len(files), unit="clip", disable=not progress or not files)
    failed = 0
    try:
        if jobs == 1:
            results = ((f, _analyse(f, settings, min_duration)) for f in files)
        else:
            results = _parallel(files, settings, min_duration, jobs)
        for f, result in results:
            failed += "error" in result
            bar.update(1)
            if failed:
                bar.set_postfix(failed=failed, refresh=False)
            yield f, result
    finally:
        bar.close()


def _parallel(files, settings, min_duration, jobs):
    pending = {}
    queue = iter(files)
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker) as pool:
        try:
            while True:
                while len(pending) < 4 * jobs:
                    f = next(queue, None)
                    if f is None:
                        break
                    pending[pool.submit(_analyse, f, settings, min_duration)] = f
                if not pending:
                    return
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    yield pending.pop(fut), fut.result()
        finally:
            for fut in pending:
                fut.cancel()
