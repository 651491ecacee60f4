"""Analysing audio files on a Dask cluster: the local pool's records, streamed back as they finish.

Dask (``pip install -e '.[dask]'``) is imported only when ``--scheduler`` is given
(:mod:`moodclass.cluster` connects). Each clip is one task, :func:`featurize.analysis.analyse_file`, which never raises:
a file a worker cannot read or decode comes back as a record with its reason, like any bad
file. A worker that dies takes its tasks with it; the scheduler hands them to the others (and
the nanny restarts the dead worker). At most a few tasks per worker thread are in flight, so
the client holds nothing per clip beyond the records it is handed, whatever the corpus size.
"""

import ctypes
import uuid
from collections.abc import Iterator, Sequence
from itertools import count, islice
from pathlib import Path

from featurize.analysis import analyse_one
from featurize.features import FeatureSettings
from moodclass.cluster import dask_client

#: Tasks in flight per worker thread: enough to keep every worker busy between results.
TASKS_PER_THREAD = 4

_malloc_tuned = False


def _analyse_on_worker(path: Path, settings: FeatureSettings, min_duration: float) -> dict:
    """:func:`featurize.analysis.analyse_one` in a Dask worker, with glibc's allocator set for large arrays.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also pins glibc's
    mmap threshold at 128 KiB: every spectrogram is then allocated by mmap and freed back to the
    system, and a clip takes 1.7 times as long as in a local worker process (measured). Raising
    both thresholds once per worker process gives the local speed back.
    """
    global _malloc_tuned
    if not _malloc_tuned:
        _malloc_tuned = True
        try:
            libc = ctypes.CDLL("libc.so.6")
            libc.mallopt(-3, 1 << 28)  # M_MMAP_THRESHOLD: 256 MiB
            libc.mallopt(-1, 1 << 28)  # M_TRIM_THRESHOLD: 256 MiB
        except (OSError, AttributeError):  # not glibc: nothing to tune
            pass
    return analyse_one(path, settings, min_duration)


def analyse_on_cluster(files: Sequence[Path], settings: FeatureSettings, min_duration: float,
                       address: str) -> Iterator[tuple[Path, dict]]:
    """Analyse `files` on the cluster at `address`, yielding ``(file, record)`` as each one finishes.

    The records are those of :func:`featurize.analysis.analyse_file`; a task the cluster itself
    gives up on (its workers died too often) is recorded as a failure of that clip.
    """
    with dask_client(address) as client:
        from dask.distributed import as_completed  # installed: dask_client checked

        threads = max(1, sum(client.nthreads().values()))
        run = uuid.uuid4().hex[:8]  # task keys unique to this run: a rerun never reuses an old result
        queue, numbers = iter(files), count()
        by_key = {}

        def submit(f):
            future = client.submit(_analyse_on_worker, f, settings, min_duration, key=f"analyse-{run}-{next(numbers)}",
                                   pure=False)
            by_key[future.key] = f
            return future

        pending = as_completed([submit(f) for f in islice(queue, TASKS_PER_THREAD * threads)])
        for future in pending:
            f = by_key.pop(future.key)
            try:
                record = future.result()
            except Exception as err:  # the cluster gave up on the task (e.g. KilledWorker): that clip failed
                record = {"error": f"analysis failed on the cluster: {type(err).__name__}: {err}"}
            future.release()
            yield f, record
            following = next(queue, None)
            if following is not None:
                pending.add(submit(following))
