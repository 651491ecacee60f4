"""The worker pool: audio files analysed in parallel processes, each result streamed back as it finishes."""

import os
import signal
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

import numpy as np
from joblib import effective_n_jobs
from threadpoolctl import threadpool_limits

from featurize.audio import AudioError, load_audio
from featurize.features import Clip, FeatureSettings, clip_features, window_features
from moodclass.infra import die_with_parent, progress_bar

#: Clips shorter than this many seconds are recorded as failures.
DEFAULT_MIN_DURATION = 5.0
#: A file longer than this many times the clips a model learnt from is judged from windows of
#: that length (:func:`analyse_file`'s `song_window`): a 30-s model judges a 45-s file whole.
SONG_FACTOR = 1.5


def analyse_file(path: Path, settings: FeatureSettings, min_duration: float,
                 windows: tuple[float, float] | None = None, song_window: float | None = None) -> dict:
    """Features of one file as a journal record: ``{'duration', 'values'}`` or ``{'error'}``; never raises.

    With `windows` = ``(window, hop)`` seconds the record also has ``'windows'``: the
    ``'start'``, ``'end'`` and ``'values'`` of each window (:func:`featurize.features.window_features`),
    from the same decode and intermediates as the whole file's, and ``'failed'``: ``[start,
    end, reason]`` of each window whose analysis failed (left out of the others).

    With `song_window` (seconds), a file longer than :data:`SONG_FACTOR` times it is analysed as
    the clips a model of that clip length learnt from: ``'song_windows'`` holds the values of
    windows of that length every half of it, and ``'values'`` is None (the whole file's
    features, which such a model never saw, are not computed).
    """
    with warnings.catch_warnings():
        # librosa's and numpy's warnings about a clip would only clutter the run's output: what
        # matters of them is a non-finite value, which the record reports as the clip's failure.
        warnings.simplefilter("ignore")
        return _analyse(path, settings, min_duration, windows, song_window)


def _analyse(path, settings, min_duration, windows, song_window) -> dict:
    try:
        y = load_audio(path, settings.sr, min_duration)
        clip = Clip(y, settings)
        duration = len(y) / settings.sr
        song = song_window is not None and duration > SONG_FACTOR * song_window
        values = None if song else clip_features(clip, settings)
        spans = {}  # (starts, ends, values) of each kind of window asked for
        if windows:
            spans["windows"] = window_features(clip, settings, window=windows[0], hop=windows[1])
        if song:
            spans["song_windows"] = window_features(clip, settings, window=song_window, hop=song_window / 2)
    except AudioError as err:
        return {"error": str(err)}
    except Exception as err:  # a clip that breaks an analysis must not stop the run
        return {"error": f"analysis failed: {type(err).__name__}: {err}"}
    if values is not None and not np.isfinite(values).all():
        return {"error": f"analysis gave a non-finite value (first in {_first_bad(values[np.newaxis], settings)})"}
    record = {"duration": duration, "values": None if values is None else values.tolist()}
    for key, (starts, ends, X) in spans.items():
        # A window that fails is left out with its reason; the file fails only if all of them do.
        ok = np.isfinite(X).all(axis=1)
        if not ok.any():
            return {"error": f"analysis gave a non-finite value in every window (first in {_first_bad(X, settings)})"}
        record[key] = {"start": starts[ok].tolist(), "end": ends[ok].tolist(), "values": X[ok].tolist(),
                       "failed": [[float(a), float(b), f"analysis gave a non-finite value (first in "
                                   f"{_first_bad(X[i:i + 1], settings)})"]
                                  for i, (a, b) in enumerate(zip(starts, ends)) if not ok[i]]}
    return record


def _first_bad(rows: np.ndarray, settings: FeatureSettings) -> str:
    """The first column with a non-finite value in `rows`."""
    return settings.columns()[int(np.flatnonzero((~np.isfinite(rows)).any(axis=0))[0])]


def analyse_one(*args) -> dict:
    """:func:`analyse_file` with one BLAS thread, as in a worker process: the values are then
    the same bits whatever the number of jobs (a BLAS call's threads change its last bits)."""
    with threadpool_limits(1):
        return analyse_file(*args)


def _init_worker(parent: int):
    # The parent handles Ctrl-C and dies with the workers; each worker uses one BLAS thread
    # (the cores are the workers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)
    threadpool_limits(1)


def analyse_files(files: Sequence[Path], settings: FeatureSettings, min_duration: float = DEFAULT_MIN_DURATION,
                  jobs: int | None = None, progress: bool = True, scheduler: str | None = None,
                  windows: tuple[float, float] | None = None,
                  song_window: float | None = None) -> Iterator[tuple[Path, dict]]:
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
    scheduler : str, optional
        Analyse on a Dask cluster instead of local processes: a scheduler's address
        (``tcp://host:8786``), or ``'local'`` for a LocalCluster on this machine (see
        :mod:`featurize.cluster`); `jobs` is then the cluster's business.
    windows : (float, float), optional
        Also analyse windows of this length and hop, seconds (see :func:`analyse_file`); not
        with `scheduler`.
    song_window : float, optional
        Analyse files longer than :data:`SONG_FACTOR` times this as windows of this length
        (see :func:`analyse_file`); not with `scheduler`.

    Yields
    ------
    file : Path
    record : dict
        ``{'duration': seconds, 'values': list of float}`` (and the windows asked for), or
        ``{'error': reason}``.
    """
    jobs = effective_n_jobs(jobs or -1)  # as joblib: -1 all cores, -2 all but one
    bar = progress_bar(total=len(files), unit="clip", disable=not progress or not files)
    failed = 0
    try:
        if scheduler:
            if windows or song_window:
                raise ValueError("windows are analysed by local processes only")
            from featurize.cluster import analyse_on_cluster  # Dask is imported only when asked for

            results = analyse_on_cluster(files, settings, min_duration, scheduler)
        elif jobs == 1:
            results = ((f, analyse_one(f, settings, min_duration, windows, song_window)) for f in files)
        else:
            results = _parallel(files, settings, min_duration, jobs, windows, song_window)
        for f, result in results:
            failed += "error" in result
            bar.update(1)
            if failed:
                bar.set_postfix(failed=failed, refresh=False)
            yield f, result
    finally:
        bar.close()


def _parallel(files, settings, min_duration, jobs, windows, song_window):
    pending = {}
    queue = iter(files)
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(os.getpid(),)) as pool:
        try:
            while True:
                while len(pending) < 4 * jobs:
                    f = next(queue, None)
                    if f is None:
                        break
                    pending[pool.submit(analyse_file, f, settings, min_duration, windows, song_window)] = f
                if not pending:
                    return
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    yield pending.pop(fut), fut.result()
        finally:
            for fut in pending:
                fut.cancel()
