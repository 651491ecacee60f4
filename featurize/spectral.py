"""Spectral families: timbre and the shape of the spectrum, from the shared STFT and mel spectrogram.

librosa's own descriptors where it defines them (contrast, zero-crossing rate, MFCCs and their
deltas, centroid, bandwidth, rolloff, flatness: equal values), and further shape descriptors
(Peeters 2004) that share the STFT's power and log power.
"""

from collections.abc import Sequence

import numpy as np

from featurize._librosa import librosa
from featurize.clip import N_MFCC
from featurize.family import EPS, family


def spectral_basic(S: np.ndarray, freqs: np.ndarray, *, power: np.ndarray, log_power: np.ndarray,
                   roll_percent: float = 0.85) -> np.ndarray:
    """librosa's spectral centroid, bandwidth, rolloff and flatness of each frame, equal values.

    ``librosa.feature.spectral_centroid(S=S)``, ``spectral_bandwidth(S=S)``,
    ``spectral_rolloff(S=S)`` and ``spectral_flatness(S=S)`` each make full-size
    temporaries; here the centroid and bandwidth come from two matrix-vector products, and
    the flatness from the power and log power that :func:`band_flatness` and
    :func:`spectral_shape` share.

    Parameters
    ----------
    S : np.ndarray [shape=(f, t)]
        Magnitude spectrogram.
    freqs : np.ndarray [shape=(f,)]
    power : np.ndarray [shape=(f, t)]
        ``S**2``, in S's precision (as librosa's flatness squares it).
    log_power : np.ndarray [shape=(f, t)]
        ``log(max(S**2, 1e-10))`` (float32 is enough: flatness to about 1e-7).
    roll_percent : float

    Returns
    -------
    np.ndarray [shape=(4, t)]
    """
    f = np.asarray(freqs, dtype=np.float64)
    S64 = np.asarray(S, dtype=np.float64)
    total = S64.sum(axis=0)
    tiny = np.finfo(S64.dtype).tiny
    safe = np.where(total > tiny, total, 1.0)
    m1 = f @ S64 / safe
    m2 = (f ** 2) @ S64 / safe
    centroid = np.where(total > tiny, m1, 0.0)
    bandwidth = np.sqrt(np.maximum(m2 - m1 ** 2, 0.0)) * (total > tiny)
    # Rolloff and flatness in S's own precision, as librosa computes them.
    cumulative = np.cumsum(S, axis=0)
    rolloff = f[np.argmax(cumulative >= roll_percent * cumulative[-1], axis=0)]
    floored = np.maximum(power, 1e-10)
    flatness = np.exp(log_power.mean(axis=0, dtype=np.float64)) / floored.mean(axis=0, dtype=np.float64)
    return np.vstack([centroid, bandwidth, rolloff, flatness])


def spectral_shape(S: np.ndarray, freqs: np.ndarray, *, power: np.ndarray, log_power: np.ndarray,
                   brightness_cutoff: float = 1500.0) -> np.ndarray:
    """Higher moments and texture of each frame's magnitude spectrum.

    Parameters
    ----------
    S : np.ndarray [shape=(f, t)]
        Magnitude spectrogram.
    freqs : np.ndarray [shape=(f,)]
        Centre frequency of each row, in Hz.
    power : np.ndarray [shape=(f, t)]
        ``S**2``.
    log_power : np.ndarray [shape=(f, t)]
        ``log(max(S**2, 1e-10))``.
    brightness_cutoff : float
        Frequency above which energy counts as bright.

    Returns
    -------
    np.ndarray [shape=(7, t)]
        Rows: ``skewness`` and ``kurtosis`` of the spectrum as a distribution over
        frequency (weights: magnitudes, as librosa's centroid and bandwidth); ``entropy``
        of the normalised power spectrum, in [0, 1] (1: white noise); ``flux``, the
        Euclidean distance between consecutive normalised magnitude spectra (0 in the
        first frame); ``brightness``, the share of power above `brightness_cutoff`;
        ``slope``, of a line fitted to magnitude over frequency (per kHz, normalised by
        the frame's mean magnitude); ``crest``, peak over mean magnitude, in dB.
    """
    S = np.asarray(S, dtype=np.float32)  # single precision: these are not compared with librosa's
    fk = (np.asarray(freqs, dtype=np.float64) / 1000.0).astype(np.float32)  # kHz keeps the raw moments well scaled
    total = S.sum(axis=0, dtype=np.float64) + EPS
    # Central moments from raw ones: four matrix-vector products instead of full-size temporaries.
    m1, m2, m3, m4 = (np.power(fk, k) @ S / total for k in range(1, 5))
    var = np.maximum(m2 - m1 ** 2, EPS)
    skewness = (m3 - 3 * m1 * m2 + 2 * m1 ** 3) / var ** 1.5
    kurtosis = (m4 - 4 * m1 * m3 + 6 * m1 ** 2 * m2 - 3 * m1 ** 4) / var ** 2
    power_sum = power.sum(axis=0, dtype=np.float64) + EPS
    # Entropy of p = P / sum(P): -sum(p log p) = log(sum P) - sum(P log P) / sum(P).
    plogp = np.einsum("ft,ft->t", power, log_power, dtype=np.float64) / np.log(2)
    entropy = (np.log2(power_sum) - plogp / power_sum) / np.log2(S.shape[0])
    p = S / total.astype(np.float32)
    flux = np.concatenate([[0.0], np.sqrt(np.square(np.diff(p, axis=1)).sum(axis=0, dtype=np.float64))])
    brightness = power[fk >= brightness_cutoff / 1000.0].sum(axis=0, dtype=np.float64) / power_sum
    fc = fk - fk.mean()
    mean_mag = total / S.shape[0]
    slope = (fc @ S) / (fc ** 2).sum() / mean_mag
    crest = 20 * np.log10((S.max(axis=0) + EPS) / mean_mag)
    return np.vstack([skewness, kurtosis, entropy, flux, brightness, slope, crest])


def band_flatness(power: np.ndarray, freqs: np.ndarray, edges: Sequence[float], *, log_power: np.ndarray) -> np.ndarray:
    """Spectral flatness (geometric over arithmetic mean of power) in each frequency band.

    Tonal bands (a held note, a chord) are near 0, noisy ones (cymbals, distortion,
    breath) near 1; per band, it tells where in the spectrum a sound is tonal.

    Parameters
    ----------
    power : np.ndarray [shape=(f, t)]
        Power spectrogram.
    freqs : np.ndarray [shape=(f,)]
    edges : sequence of float
        Band edges in Hz, increasing: ``len(edges) - 1`` bands.
    log_power : np.ndarray [shape=(f, t)]
        ``log(max(S**2, 1e-10))``.

    Returns
    -------
    np.ndarray [shape=(len(edges) - 1, t)]
    """
    floored = np.maximum(power, 1e-10)
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        band = (freqs >= lo) & (freqs < hi)
        rows.append(np.exp(log_power[band].mean(axis=0, dtype=np.float64)) / floored[band].mean(axis=0, dtype=np.float64))
    return np.vstack(rows)


def band_power_db(mel_power: np.ndarray, n_bands: int) -> np.ndarray:
    """Power of ``n_bands`` equal groups of mel bands, in dB: a coarse average power spectrum.

    Parameters
    ----------
    mel_power : np.ndarray [shape=(m, t)]
        Mel power spectrogram; ``m`` must be a multiple of ``n_bands``.
    n_bands : int

    Returns
    -------
    np.ndarray [shape=(n_bands, t)]
    """
    m, t = mel_power.shape
    if m % n_bands:
        raise ValueError(f"{m} mel bands do not split into {n_bands} groups")
    grouped = mel_power.reshape(n_bands, m // n_bands, t).sum(axis=1)
    return 10.0 * np.log10(np.maximum(grouped, 1e-10))


CONTRAST_BANDS = 6
#: Lower edges of spectral contrast's octave bands (Hz), the last band reaching the Nyquist frequency.
OCTAVE_EDGES = (0.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 6400.0)
#: Groups of adjacent mel bands in ``mel_bands``.
MEL_GROUPS = 16


def zero_crossing_rate(y: np.ndarray, *, frame_length: int, hop_length: int, threshold: float = 1e-10) -> np.ndarray:
    """``librosa.feature.zero_crossing_rate(y, frame_length=..., hop_length=...)``, equal values.

    librosa tests every sample pair once per frame that holds it (four times with the
    default hop); this tests each pair once and counts per frame with a cumulative sum.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio.
    frame_length, hop_length : int
        Frame and hop, in samples (frames centred, edges padded with the edge sample).
    threshold : float
        Samples within it of zero count as zero, and zero as positive.

    Returns
    -------
    np.ndarray [shape=(1, t)]
    """
    padded = np.pad(y, frame_length // 2, mode="edge")
    negative = np.signbit(np.where(np.abs(padded) <= np.float64(threshold), 0, padded))
    crossed = np.concatenate([[0], np.cumsum(negative[1:] != negative[:-1])])
    starts = np.arange(1 + (len(padded) - frame_length) // hop_length) * hop_length
    return ((crossed[starts + frame_length - 1] - crossed[starts]) / frame_length)[np.newaxis, :]


@family("contrast", coefficients=tuple(f"band{k}" for k in range(CONTRAST_BANDS + 1)),
        reference="Jiang et al. (2002), Music type classification by spectral contrast feature; "
                  "librosa.feature.spectral_contrast")
def _contrast(clip):
    """spectral contrast in 7 octave bands"""
    return librosa.feature.spectral_contrast(S=clip.stft_magnitude, sr=clip.sr)


@family("zcr", coefficients=("rate",), reference="librosa.feature.zero_crossing_rate")
def _zcr(clip):
    """zero-crossing rate"""
    return zero_crossing_rate(clip.y, frame_length=clip.n_fft, hop_length=clip.hop_length)


@family("mfcc", coefficients=tuple(f"{k:02d}" for k in range(N_MFCC)),
        reference="Davis & Mermelstein (1980); librosa.feature.mfcc")
def _mfcc(clip):
    """20 MFCCs"""
    return clip.mfcc


@family("mfcc_delta", coefficients=tuple(f"{k:02d}" for k in range(N_MFCC)),
        reference="Furui (1986), Speaker-independent isolated word recognition using dynamic features; "
                  "librosa.feature.delta")
def _mfcc_delta(clip):
    """first derivative of the 20 MFCCs over time (librosa.feature.delta)"""
    return librosa.feature.delta(clip.mfcc)


@family("spectral", coefficients=("centroid", "bandwidth", "rolloff", "flatness"),
        reference="librosa.feature.spectral_centroid, _bandwidth, _rolloff, _flatness")
def _spectral(clip):
    """spectral centroid, bandwidth, rolloff and flatness"""
    return spectral_basic(clip.stft_magnitude, clip.stft_freqs, power=clip.stft_power, log_power=clip.stft_log_power)


@family("spectral_shape", coefficients=("skewness", "kurtosis", "entropy", "flux", "brightness", "slope", "crest"),
        reference="Peeters (2004), A large set of audio features for sound description; "
                  "Lartillot & Toiviainen (2007), MIRtoolbox (brightness)")
def _spectral_shape(clip):
    """spectral skewness, kurtosis, entropy, flux, brightness (>1.5 kHz), slope, crest"""
    return spectral_shape(clip.stft_magnitude, clip.stft_freqs, power=clip.stft_power, log_power=clip.stft_log_power)


@family("flatness_bands", coefficients=tuple(f"band{k}" for k in range(len(OCTAVE_EDGES))),
        reference="MPEG-7 audio spectrum flatness (ISO/IEC 15938-4); Peeters (2004)")
def _flatness_bands(clip):
    """spectral flatness in 7 octave bands (spectral contrast's)"""
    return band_flatness(clip.stft_power, clip.stft_freqs, OCTAVE_EDGES + (clip.sr / 2 + 1,),
                         log_power=clip.stft_log_power)


@family("mel_bands", coefficients=tuple(f"band{k:02d}" for k in range(MEL_GROUPS)),
        reference="the mel power spectrum, librosa.feature.melspectrogram")
def _mel_bands(clip):
    """power of 16 groups of mel bands, dB: the average power spectrum"""
    return band_power_db(clip.mel_power, MEL_GROUPS)
