"""Rhythm families: the tempogram, its ratios at metrical factors, tempo, pulse clarity and onset
density, from the shared onset envelope."""

import numpy as np

from featurize._librosa import librosa
from featurize.clip import TEMPOGRAM_WIN
from featurize.family import family


def tempogram_ratio(tg: np.ndarray, freqs: np.ndarray, bpm: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """``librosa.feature.tempogram_ratio``: the tempogram at metrical multiples of each frame's tempo.

    librosa interpolates with one ``scipy.interpolate.interp1d`` per frame (about 100 ms for
    a 30-s clip); this does the same linear interpolation for all frames at once, with the same
    values (0 outside the tempogram's range).

    Parameters
    ----------
    tg : np.ndarray [shape=(lags, t)]
        Tempogram.
    freqs : np.ndarray [shape=(lags,)]
        Tempo of each lag in BPM (``librosa.tempo_frequencies``; infinite at lag 0).
    bpm : np.ndarray [shape=(t,)]
        Tempo of each frame.
    factors : np.ndarray [shape=(h,)]
        Multiples of the tempo.

    Returns
    -------
    np.ndarray [shape=(h, t)]
    """
    finite = np.isfinite(freqs)
    order = np.argsort(freqs[finite])
    x = freqs[finite][order]
    data = tg[finite][order]
    target = np.multiply.outer(factors, bpm)
    hi = np.clip(np.searchsorted(x, target), 1, len(x) - 1)
    lo = hi - 1
    cols = np.broadcast_to(np.arange(tg.shape[1]), target.shape)
    y_lo, y_hi = data[lo, cols], data[hi, cols]
    slope = (y_hi - y_lo) / (x[hi] - x[lo])
    out = slope * (target - x[lo]) + y_lo
    inside = (target >= x[0]) & (target <= x[-1])
    return np.where(inside, np.nan_to_num(out, nan=0.0), 0.0)


#: Metrical factors of the local tempo at which ``tempo_ratio`` samples the tempogram.
TEMPO_RATIOS = (4, 8 / 3, 3, 2, 4 / 3, 3 / 2, 1, 2 / 3, 3 / 4, 1 / 2, 1 / 3, 3 / 8, 1 / 4)


@family("tempogram", coefficients=tuple(f"lag{k:03d}" for k in range(TEMPOGRAM_WIN)),
        reference="Grosche, Müller & Kurth (2010), Cyclic tempogram; librosa.feature.tempogram")
def _tempogram(clip):
    """onset autocorrelation tempogram, 384 lags"""
    return clip.tempogram


@family("tempo_ratio", coefficients=tuple(f"r{k:02d}" for k in range(len(TEMPO_RATIOS))),
        reference="Peeters (2011), Spectral and temporal periodicity representations of rhythm; "
                  "librosa.feature.tempogram_ratio")
def _tempo_ratio(clip):
    """tempogram ratio at 13 metrical factors of the local tempo"""
    tg = clip.tempogram
    return tempogram_ratio(
        tg, librosa.tempo_frequencies(len(tg), sr=clip.sr, hop_length=clip.hop_length),
        librosa.feature.tempo(tg=tg, sr=clip.sr, hop_length=clip.hop_length, aggregate=None), np.array(TEMPO_RATIOS),
    )


@family("rhythm", coefficients=("tempo", "pulse_clarity", "pulse_mean", "onset_rate", "onset_mean", "onset_std"),
        frame_wise=False, reference="Lartillot et al. (2008), Multi-feature modeling of pulse clarity")
def _rhythm(clip):
    """tempo, pulse clarity, onset density

    Tempo from the onset envelope, pulse clarity as the tempogram's highest mean
    autocorrelation (lag 0 aside), onsets per second.
    """
    oenv = clip.onset_envelope
    tempo = librosa.feature.tempo(onset_envelope=oenv, sr=clip.sr, hop_length=clip.hop_length)[0]
    mean_tg = np.mean(clip.tempogram[1:], axis=1)  # lag 0 is 1 by normalisation
    onsets = librosa.onset.onset_detect(onset_envelope=oenv, sr=clip.sr, hop_length=clip.hop_length)
    seconds = len(clip.y) / clip.sr
    return np.array([tempo, np.max(mean_tg), np.mean(mean_tg), len(onsets) / seconds, np.mean(oenv), np.std(oenv)])
