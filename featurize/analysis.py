"""Analysing one audio file: its features as a journal record, whole or in windows, never an exception.

What a worker process (:mod:`featurize.workers`) or a Dask worker (:mod:`featurize.cluster`) runs
for each file.
"""

import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from featurize.audio import AudioError, load_audio
from featurize.features import Clip, FeatureSettings, clip_features, window_features

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
        y = load_audio(path, settings.sr, min_duration=min_duration)
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
