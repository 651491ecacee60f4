"""Dynamics families: energy, loudness and its fluctuation, from the frame-wise RMS and the mel spectrogram."""

import numpy as np
import scipy.signal

from featurize.family import EPS, family


def dynamics(rms: np.ndarray, fps: float, *, window: float = 1.0, quiet_db: float = -20.0) -> np.ndarray:
    """Loudness level, range and variation of a clip, from frame-wise RMS.

    Parameters
    ----------
    rms : np.ndarray [shape=(t,)]
        Frame-wise RMS of audio in [-1, 1].
    fps : float
        Frames per second.
    window : float
        Seconds of the windows whose mean loudness gives the long-term variation.
    quiet_db : float
        Frames this many dB below the clip's 95th percentile count as quiet.

    Returns
    -------
    np.ndarray [shape=(8,)]
        ``mean_db`` (mean power, in dB full scale), ``std_db``, ``p05``, ``p50``, ``p95``
        (percentiles of frame loudness, dB), ``range`` (p95 - p05, dB), ``quiet_share``
        (share of frames `quiet_db` below p95), ``long_term_std`` (std of `window`-second
        mean loudness, dB).
    """
    db = 20.0 * np.log10(np.maximum(np.asarray(rms, dtype=np.float64), 1e-5))
    p05, p50, p95 = np.percentile(db, [5, 50, 95])
    mean_db = 10.0 * np.log10(np.mean(np.asarray(rms, dtype=np.float64) ** 2) + 1e-10)
    n = max(1, int(round(window * fps)))
    blocks = db[: len(db) // n * n].reshape(-1, n).mean(axis=1) if len(db) >= 2 * n else db[:1]
    return np.array([mean_db, np.std(db), p05, p50, p95, p95 - p05, np.mean(db < p95 + quiet_db), np.std(blocks)])


def modulation_spectrum(x: np.ndarray, fps: float, *, window: float = 3.0, fmax: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """Mean magnitude spectrum of a detrended frame-wise curve over `window`-second stretches.

    Returns
    -------
    freqs : np.ndarray
        Modulation frequencies in Hz, from ``fps / n`` to `fmax`.
    spectrum : np.ndarray
        Mean magnitude at each frequency.
    """
    n = int(round(window * fps))
    x = np.asarray(x, dtype=np.float64)
    if len(x) < n:
        n = len(x)
    frames = x[: len(x) // n * n].reshape(-1, n)
    frames = scipy.signal.detrend(frames, axis=1) * np.hanning(n)
    spectrum = np.abs(np.fft.rfft(frames, axis=1)).mean(axis=0)
    freqs = np.fft.rfftfreq(n, 1.0 / fps)
    keep = (freqs > 0) & (freqs <= fmax)
    return freqs[keep], spectrum[keep]


def fluctuation(loudness_db: np.ndarray, fps: float) -> np.ndarray:
    """Fluctuation strength: how much and how fast loudness swings, 0.5 to 10 Hz.

    The modulation spectrum of the loudness curve is weighted by the sensation of
    fluctuation strength (Fastl's curve, peaking near 4 Hz), as in Pampalk's
    fluctuation patterns.

    Parameters
    ----------
    loudness_db : np.ndarray [shape=(t,)]
        Frame-wise loudness in dB (e.g. mean mel-band level).
    fps : float

    Returns
    -------
    np.ndarray [shape=(4,)]
        ``peak_hz`` (frequency of the strongest weighted modulation), ``peak`` (its
        weighted magnitude), ``centroid_hz``, ``strength`` (sum of the weighted spectrum).
    """
    freqs, spectrum = modulation_spectrum(loudness_db, fps)
    weight = 1.0 / (freqs / 4.0 + 4.0 / freqs)  # Fastl: 0.5 at 4 Hz, falling either side
    weighted = spectrum * weight
    total = weighted.sum() + EPS
    k = int(np.argmax(weighted))
    return np.array([freqs[k], weighted[k], (freqs * weighted).sum() / total, total])


@family("rms", coefficients=("energy",), reference="librosa.feature.rms")
def _rms(clip):
    """root-mean-square energy"""
    return clip.rms


@family("dynamics", coefficients=("mean_db", "std_db", "p05", "p50", "p95", "range", "quiet_share", "long_term_std"),
        frame_wise=False, reference="Panda, Malheiro & Paiva (2018), Novel audio features for music emotion "
                                    "recognition (dynamics)")
def _dynamics(clip):
    """loudness in dB: level, percentiles, range, share of quiet frames, 1-s variation"""
    return dynamics(clip.rms[0], clip.fps)


@family("fluctuation", coefficients=("peak_hz", "peak", "centroid_hz", "strength"), frame_wise=False,
        reference="Pampalk, Rauber & Merkl (2002), Content-based organization and visualization of music "
                  "archives; Fastl & Zwicker, Psychoacoustics (fluctuation strength)")
def _fluctuation(clip):
    """fluctuation strength: loudness modulation 0.5-10 Hz"""
    return fluctuation(np.mean(clip.mel_db, axis=0), clip.fps)
