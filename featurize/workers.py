"""The worker pool: audio files analysed (:mod:`featurize.analysis`) in parallel processes, or on a Dask
cluster (:mod:`featurize.cluster`), each result streamed back as it finishes."""

import os
import signal
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

from joblib import effective_n_jobs
from threadpoolctl import threadpool_limits

from featurize.analysis import DEFAULT_MIN_DURATION, analyse_file, analyse_one
from featurize.cluster import analyse_on_cluster
from featurize.features import FeatureSettings
from moodclass.infra import die_with_parent, progress_bar


def _init_worker(parent: int):
    # The parent handles Ctrl-C and dies with the workers; each worker uses one BLAS thread
    # (the cores are the workers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)
    threadpool_limits(1)


def analyse_files(files: Sequence[Path], settings: FeatureSettings, *, min_duration: float = DEFAULT_MIN_DURATION,
                  n_jobs: int | None = None, progress: bool = True, scheduler: str | None = None,
                  windows: tuple[float, float] | None = None,
                  song_window: float | None = None) -> Iterator[tuple[Path, dict]]:
    """Analyse audio files in parallel, yielding ``(file, record)`` as each one finishes.

    Parameters
    ----------
    files : list of Path
    settings : FeatureSettings
    min_duration : float
        Shorter clips fail.
    n_jobs : int, optional
        Worker processes, as joblib counts them (default -1: all cores; -2: all but one); 1 runs
        in this process.
    progress : bool
        Show a progress bar.
    scheduler : str, optional
        Analyse on a Dask cluster instead of local processes: a scheduler's address
        (``tcp://host:8786``), or ``'local'`` for a LocalCluster on this machine (see
        :mod:`featurize.cluster`); `n_jobs` is then the cluster's business.
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
    # As joblib counts them (-1 all cores, -2 all but one), and no more workers than files: one file is
    # analysed in this process, without the half second a pool of workers takes to start and stop.
    jobs = min(effective_n_jobs(n_jobs or -1), max(len(files), 1))
    bar = progress_bar(total=len(files), unit="clip", disable=not progress or not files)
    failed = 0
    try:
        if scheduler:
            if windows or song_window:
                raise ValueError("windows are analysed by local processes only")
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
