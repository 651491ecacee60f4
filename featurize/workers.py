"""The worker pool: audio files analysed (:mod:`featurize.analysis`) in parallel processes, or on a Dask
cluster (:mod:`featurize.cluster`), each result streamed back as it finishes."""

import os
import shlex
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from joblib import effective_n_jobs
from threadpoolctl import threadpool_limits

from featurize.analysis import DEFAULT_MIN_DURATION, analyse_file, analyse_one
from featurize.cluster import analyse_on_cluster
from featurize.features import FeatureSettings
from moodclass.errors import AnalysisCrashError
from moodclass.infra import die_with_parent, path_text, progress_bar

#: The reason of a file whose analysis killed its worker process by itself.
CRASHED = "its analysis crashed the process (in a compiled library): check that the file plays, or report it"
#: Files in a row whose analysis crashes, each by itself, after which the run stops.
CRASHES_IN_A_ROW = 3


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
    # A worker that dies (a crash in a compiled library, a kill) takes every file in flight with its
    # pool. Those files are analysed again one at a time, so that only a file that kills its worker
    # by itself fails; when CRASHES_IN_A_ROW files in a row do, the fault is not theirs and the run
    # stops, their failures unrecorded so that the next run tries them again.
    todo, suspects, crashed = deque(files), deque(), []
    task = (settings, min_duration, windows, song_window)
    while todo or suspects:
        alone = bool(suspects)
        lost = []
        for f, result in _pool(suspects if alone else todo, 1 if alone else jobs, task, lost):
            yield from ((c, {"error": CRASHED}) for c in crashed)  # not the fault of them all
            crashed.clear()
            yield f, result
        if not alone:
            suspects.extend(lost)
            continue
        crashed += lost
        if len(crashed) >= CRASHES_IN_A_ROW:
            raise AnalysisCrashError(
                f"{len(crashed)} files in a row crashed the analysis process, the last {path_text(crashed[-1])}: "
                "the clips finished are kept and the next run tries these again. If it goes on, numba's compiled "
                "code on disk may be damaged (numba issue #10128): delete it with "
                f"find {shlex.quote(_numba_cache())} -name '*.nb[ic]' -delete")
    yield from ((c, {"error": CRASHED}) for c in crashed)


def _pool(queue, workers, task, lost):
    """Analyse the files of `queue` (taken as it goes) in `workers` processes, yielding
    ``(file, record)``; when a worker dies, the files in flight go to `lost` and the pool ends."""
    pending = {}
    depth = 4 * workers if workers > 1 else 1  # alone: one file in flight, the one a crash names
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(os.getpid(),)) as pool:
        try:
            while True:
                while len(pending) < depth and queue:
                    f = queue.popleft()
                    pending[pool.submit(analyse_file, f, *task)] = f
                if not pending:
                    return
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                if any(isinstance(fut.exception(), BrokenProcessPool) for fut in finished):
                    wait(pending)  # the pool ends every other future too, finished or broken
                    broken = [fut for fut in pending if isinstance(fut.exception(), BrokenProcessPool)]
                    lost += [pending.pop(fut) for fut in broken]
                    for fut in list(pending):
                        yield pending.pop(fut), fut.result()
                    return
                for fut in finished:
                    yield pending.pop(fut), fut.result()
        finally:
            for fut in pending:
                fut.cancel()


def _numba_cache() -> str:
    """Where numba keeps librosa's compiled code: ``NUMBA_CACHE_DIR``, or beside librosa's modules."""
    import librosa

    return os.environ.get("NUMBA_CACHE_DIR") or os.path.dirname(librosa.__file__)
