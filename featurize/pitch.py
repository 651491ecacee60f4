"""Pitch salience and the predominant melody: the pitch intermediates of a clip, from its CQT.

:class:`featurize.clip.Clip` computes them once; the families of :mod:`featurize.melody`
describe the melody and every pitched line from them.
"""

import numpy as np

from featurize.family import EPS

#: Harmonics summed into the salience of a pitch, and their weights.
_HARMONICS = np.arange(1, 6)
_HARMONIC_WEIGHTS = 0.8 ** (_HARMONICS - 1)


def harmonic_salience(C: np.ndarray, *, bins_per_octave: int, first_bin: int, stop_bin: int) -> np.ndarray:
    """Salience of each candidate pitch in each frame, by harmonic summation over the CQT.

    The salience of a bin is the weighted sum (weights 0.8 ** (h - 1)) of the cube-root
    compressed magnitudes at its first five harmonics: a pitched sound scores at its
    fundamental, where all its partials line up.

    Parameters
    ----------
    C : np.ndarray [shape=(n_bins, t)]
        Constant-Q magnitude.
    bins_per_octave : int
    first_bin, stop_bin : int
        Range of candidate pitches, in bins; ``stop_bin`` plus the fifth harmonic's offset
        must stay within ``n_bins``.

    Returns
    -------
    np.ndarray [shape=(stop_bin - first_bin, t)]
        Row ``i`` is the salience of bin ``first_bin + i``.
    """
    X = np.cbrt(np.asarray(C, dtype=np.float64))
    offsets = np.round(bins_per_octave * np.log2(_HARMONICS)).astype(int)
    if stop_bin + offsets[-1] > X.shape[0]:
        raise ValueError(f"stop_bin {stop_bin} leaves no room for the 5th harmonic in {X.shape[0]} bins")
    candidates = np.arange(first_bin, stop_bin)
    return sum(w * X[candidates + o] for w, o in zip(_HARMONIC_WEIGHTS, offsets))


def melody_contour(salience: np.ndarray, *, first_bin: int = 0, voicing: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Predominant pitch of each frame: its most salient candidate.

    The frame's pitch is its most salient bin (:func:`harmonic_salience`), refined by
    parabolic interpolation. A frame is voiced when its peak salience is at least `voicing`
    times the clip's 95th percentile of peak salience and stands out from the frame's median
    salience.

    Parameters
    ----------
    salience : np.ndarray [shape=(n_candidates, t)]
        :func:`harmonic_salience` of the candidate pitches.
    first_bin : int
        The CQT bin of the first candidate (:func:`harmonic_salience`'s ``first_bin``).
    voicing : float

    Returns
    -------
    pitch : np.ndarray [shape=(t,)]
        Pitch in CQT bins (fractional), NaN where unvoiced.
    salience : np.ndarray [shape=(t,)]
        Peak salience of each frame.
    """
    k = np.argmax(salience, axis=0)
    cols = np.arange(salience.shape[1])
    peak = salience[k, cols]
    lo = salience[np.maximum(k - 1, 0), cols]
    hi = salience[np.minimum(k + 1, len(salience) - 1), cols]
    denom = lo - 2 * peak + hi
    shift = np.where(denom < -EPS, 0.5 * (lo - hi) / np.where(denom == 0, -1, denom), 0.0)
    pitch = first_bin + k + np.clip(shift, -0.5, 0.5)
    reference = np.percentile(peak, 95) + EPS
    voiced = (peak >= voicing * reference) & (peak >= 1.5 * np.median(salience, axis=0))
    return np.where(voiced, pitch, np.nan), peak
