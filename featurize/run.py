"""Featurizing folders: the run that finds the clips, has the missing ones analysed and keeps the table.

A run never loses finished work: every analysed clip goes to the journal as soon as it is
done, and the table is only ever replaced whole (see :mod:`featurize.table`). What is left to
do and the table's life are :mod:`featurize.bookkeeping`'s (:class:`~featurize.bookkeeping.TableUpdate`),
the analysing :mod:`featurize.workers`' (a local pool, or a Dask cluster).
"""

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from featurize import fma
from featurize.analysis import DEFAULT_MIN_DURATION
from featurize.audio import AUDIO_EXTENSIONS, find_audio
from featurize.bookkeeping import TableUpdate, file_state
from featurize.features import FeatureSettings
from featurize.workers import analyse_files
from moodclass.errors import NoAudioError
from moodclass.infra import DEFAULT_CACHE, check_writable, library_versions, path_text

_GENERIC_NAMES = {"audio", "music", "clips", "songs", "tracks", "mp3", "wav", "data", "files"}


@dataclass
class RunSummary:
    """What a run did: `failed` lists this run's failures (path, reason), `errors` counts all
    the clips in the error table, `unreadable` the folders that could not be searched, `empty`
    the paths given that hold no audio file."""

    table: Path
    rows: int = 0
    computed: int = 0
    reused: int = 0
    removed: int = 0
    ignored_files: int = 0
    skipped_failed: int = 0
    unreadable: list = field(default_factory=list)
    empty: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    errors: int = 0
    interrupted: bool = False
    seconds: float = 0.0


def default_output(paths: Sequence[str | Path], cache: str | Path = DEFAULT_CACHE) -> Path:
    """``cache/features/NAME.parquet``, NAME from the folder (``emotify-audio`` for ``emotify/audio``).

    Parameters
    ----------
    paths : sequence of str or Path
    cache : str or Path

    Returns
    -------
    Path
    """
    root = common_root(paths)
    name = root.name or "root"
    if name.lower() in _GENERIC_NAMES and root.parent.name:
        name = f"{root.parent.name}-{name}"
    return Path(cache) / "features" / f"{name}.parquet"


def common_root(paths: Sequence[str | Path]) -> Path:
    """The deepest folder containing every path given.

    Parameters
    ----------
    paths : sequence of str or Path

    Returns
    -------
    Path
    """
    dirs = [p if p.is_dir() else p.parent for p in (Path(os.path.abspath(p)) for p in paths)]
    return Path(os.path.commonpath(dirs))


def featurize(paths: Sequence[str | Path], output: str | Path | None = None, *, settings: FeatureSettings | None = None,
              n_jobs: int | None = None, min_duration: float = DEFAULT_MIN_DURATION, metadata_dir: str | Path | None = None,
              overwrite: bool = False, retry_failed: bool = False, progress: bool = True,
              scheduler: str | None = None) -> RunSummary:
    """Compute the feature table of every audio file under `paths`, reusing what is done.

    Parameters
    ----------
    paths : list of str or Path
        Audio files and folders (searched recursively).
    output : str or Path, optional
        The Parquet table; default :func:`default_output`.
    settings : FeatureSettings, optional
        Extraction settings; an existing table must have been made with the same ones.
    n_jobs : int, optional
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
    scheduler : str, optional
        Analyse on a Dask cluster: a scheduler's address, or ``'local'`` (see
        :mod:`featurize.cluster`). Each finished clip is journalled here, on the client, as it
        arrives, so a run is resumed the same way wherever it ran.

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
    files, ignored, unreadable = find_audio(paths)
    if not files and not unreadable:
        kinds = ", ".join(sorted(e.lstrip(".") for e in AUDIO_EXTENSIONS))
        raise NoAudioError(f"no audio files ({kinds}) under {', '.join(map(str, paths))}")
    # A path that holds no audio is named, and does not widen the table's root (to / at worst).
    given = [Path(os.path.abspath(p)) for p in paths]
    empty = [p for p, g in zip(paths, given) if not any(f == g or g in f.parents for f in [*files, *unreadable])]
    paths = [p for p in paths if p not in empty]
    root = common_root(paths)
    output = Path(output) if output else default_output(paths)
    check_writable(output, "--output")
    if metadata_dir is None:
        metadata_dir = fma.find_metadata(root)
    tracks = fma.read_tracks(metadata_dir) if metadata_dir else None
    header = {"settings": settings.to_dict(), "root": path_text(root)}
    metadata = {"versions": library_versions(), "min_duration": min_duration}
    rel = {f: path_text(f.relative_to(root).as_posix()) for f in files}
    hidden = [path_text(d.relative_to(root).as_posix()) + "/" for d in unreadable]
    hidden = ["" if h == "./" else h for h in hidden]  # "": the root itself
    summary = RunSummary(table=output, ignored_files=ignored, unreadable=hidden, empty=[path_text(p) for p in empty])
    update = TableUpdate(output, header=header, settings=settings, overwrite=overwrite, tracks=tracks,
                         metadata=metadata)
    with update:
        current = {rel[f]: file_state(f) for f in files}
        # The clips of a folder that cannot be read now are not gone: their rows and failures stay.
        current.update({p: s for p, s in (update.done | update.failed).items() if p.startswith(tuple(hidden))})
        todo = update.plan(files, rel, current, retry_failed=retry_failed, summary=summary)
        try:
            for f, result in analyse_files(todo, settings, min_duration=min_duration, n_jobs=n_jobs,
                                           progress=progress, scheduler=scheduler):
                update.record(rel[f], result)
                if "error" in result:
                    summary.failed.append((rel[f], result["error"]))
                else:
                    summary.computed += 1
        except KeyboardInterrupt:
            summary.interrupted = True
    summary.rows, summary.errors = update.rows, len(update.errors)
    summary.seconds = time.monotonic() - start
    return summary


