"""Harmony families: pitch classes, tonal centroids, key, intervals, dissonance, chords and recurring
harmonic patterns, from the shared chroma and STFT."""

import numpy as np

from featurize._librosa import librosa
from featurize.family import EPS, family
from featurize.filters import median_filter_rows


def interval_content(chroma: np.ndarray) -> np.ndarray:
    """How much each interval class sounds in each frame: a frame's chroma against itself transposed.

    Row k (k = 1..6 semitones: minor second, major second, minor third, major third,
    fourth, tritone) is ``sum_i c_i c_{i+k} / sum_i c_i^2``. Minor seconds and tritones
    mark dissonance, thirds and fourths (fifths) consonant harmony.

    Parameters
    ----------
    chroma : np.ndarray [shape=(12, t)]

    Returns
    -------
    np.ndarray [shape=(6, t)]
    """
    c = np.asarray(chroma, dtype=np.float64)
    energy = (c ** 2).sum(axis=0) + EPS
    return np.vstack([(c * np.roll(c, -k, axis=0)).sum(axis=0) / energy for k in range(1, 7)])


def spectral_peaks(S: np.ndarray, freqs: np.ndarray, *, n_peaks: int, fmin: float = 50.0,
                   fmax: float = 5000.0) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies and magnitudes of the `n_peaks` strongest local maxima of each frame.

    Returns
    -------
    f, a : np.ndarray [shape=(n_peaks, t)]
        Peak frequencies (Hz, refined by parabolic interpolation) and magnitudes; 0 where a
        frame has fewer peaks.
    """
    band = (freqs >= fmin) & (freqs <= fmax)
    X = np.asarray(S[band], dtype=np.float64)
    fb = freqs[band]
    is_peak = np.zeros_like(X, dtype=bool)
    is_peak[1:-1] = (X[1:-1] > X[:-2]) & (X[1:-1] >= X[2:])
    masked = np.where(is_peak, X, 0.0)
    order = np.argsort(-masked, axis=0)[:n_peaks]
    cols = np.arange(X.shape[1])
    a = masked[order, cols]
    # Parabolic refinement of each peak's frequency.
    lo = X[np.clip(order - 1, 0, len(fb) - 1), cols]
    hi = X[np.clip(order + 1, 0, len(fb) - 1), cols]
    denom = lo - 2 * a + hi
    shift = np.where(np.abs(denom) > EPS, 0.5 * (lo - hi) / np.where(denom == 0, 1, denom), 0.0)
    step = fb[1] - fb[0]
    f = np.where(a > 0, fb[order] + np.clip(shift, -0.5, 0.5) * step, 0.0)
    return f, a


def roughness(S: np.ndarray, freqs: np.ndarray, *, n_peaks: int = 16) -> np.ndarray:
    """Sensory dissonance of each frame: Plomp and Levelt's curve summed over pairs of spectral peaks.

    Sethares' parametrisation: a pair of partials at f1 < f2 with amplitudes a1, a2 adds
    ``a1 a2 (exp(-3.5 s (f2 - f1)) - exp(-5.75 s (f2 - f1)))`` with
    ``s = 0.24 / (0.021 f1 + 19)``: most for partials about a quarter of a critical band
    apart (a minor second), little for a fifth or an octave. Normalised by the frame's
    peak power, so it measures dissonance, not loudness.

    Parameters
    ----------
    S : np.ndarray [shape=(f, t)]
        Magnitude spectrogram.
    freqs : np.ndarray [shape=(f,)]
    n_peaks : int
        Strongest peaks per frame taken into account.

    Returns
    -------
    np.ndarray [shape=(1, t)]
    """
    f, a = spectral_peaks(S, freqs, n_peaks=n_peaks)
    f1, f2 = f[:, np.newaxis], f[np.newaxis, :]
    a1, a2 = a[:, np.newaxis], a[np.newaxis, :]
    lower = np.minimum(f1, f2)
    s = 0.24 / (0.021 * lower + 19.0)
    df = np.abs(f2 - f1)
    d = a1 * a2 * (np.exp(-3.5 * s * df) - np.exp(-5.75 * s * df))
    upper = np.triu(np.ones((len(f), len(f)), dtype=bool), k=1)[:, :, np.newaxis]
    total = np.where(upper, d, 0.0).sum(axis=(0, 1))
    return (total / ((a ** 2).sum(axis=0) + EPS))[np.newaxis, :]


#: Chord templates: 12 major and 12 minor triads over the chroma bins.
_TRIADS = np.array([np.roll([1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0], k) for k in range(12)]
                   + [np.roll([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0], k) for k in range(12)], dtype=np.float64)


def chords(chroma: np.ndarray, fps: float, *, smooth: float = 0.5) -> np.ndarray:
    """Chord rhythm and clarity from chroma matched to major and minor triads.

    Each frame's chroma (median-smoothed over `smooth` seconds) is correlated with the
    24 triad templates; its chord is the best match.

    Parameters
    ----------
    chroma : np.ndarray [shape=(12, t)]
    fps : float
        Frames per second.
    smooth : float
        Seconds of the median filter along time.

    Returns
    -------
    np.ndarray [shape=(5,)]
        ``change_rate`` (chord changes per second), ``strength`` (mean correlation of the
        best triad), ``major_share`` (share of frames whose best triad is major),
        ``vocabulary`` (fewest chords covering 90 % of frames), ``hcdf`` (mean distance
        between consecutive smoothed chroma vectors, normalised: the harmonic change rate).
    """
    size = max(1, int(round(smooth * fps)))
    c = median_filter_rows(np.asarray(chroma, dtype=np.float64), size, mode="nearest")
    cz = c - c.mean(axis=0)
    cz /= np.linalg.norm(cz, axis=0) + EPS
    tz = _TRIADS - _TRIADS.mean(axis=1, keepdims=True)
    tz /= np.linalg.norm(tz, axis=1, keepdims=True)
    corr = tz @ cz
    best = np.argmax(corr, axis=0)
    seconds = c.shape[1] / fps
    counts = np.sort(np.bincount(best, minlength=24))[::-1]
    vocabulary = int(np.searchsorted(np.cumsum(counts) / len(best), 0.9) + 1)
    cn = c / (np.linalg.norm(c, axis=0) + EPS)
    hcdf = np.mean(np.linalg.norm(np.diff(cn, axis=1), axis=0)) * fps if c.shape[1] > 1 else 0.0
    return np.array([np.count_nonzero(np.diff(best)) / seconds, np.mean(corr.max(axis=0)),
                     np.mean(best < 12), float(vocabulary), hcdf])


def chroma_patterns(chroma: np.ndarray, fps: float, *, block: float = 0.5, patch: int = 16) -> np.ndarray:
    """Recurring harmonic patterns, whatever the key: the 2-D Fourier transform magnitude of chroma patches.

    The chroma is averaged over `block`-second blocks, each block scaled to a maximum of 1,
    and cut into patches of `patch` blocks (8 s by default), one every half patch. The
    magnitude of a patch's 2-D discrete Fourier transform over pitch class and time does not
    change when the music is transposed (a rotation of the pitch-class axis), and hardly when
    it is shifted in time (not at all for a circular shift; Bertin-Mahieux & Ellis, ISMIR
    2012: "Large-scale cover song recognition using the 2D Fourier transform magnitude"): it
    says which pitch-class patterns recur, and how fast, in any key. A held chord puts its
    energy at time frequency 0, a chord alternation every second at the rate of that
    alternation, a scale climbing a semitone per block on a diagonal. The median over
    patches is returned.

    Parameters
    ----------
    chroma : np.ndarray [shape=(12, t)]
    fps : float
        Frames per second.
    block : float
        Seconds averaged into one block (> 0).
    patch : int
        Blocks per patch (even, >= 2); a clip shorter than one patch is padded with silence.

    Returns
    -------
    np.ndarray [shape=(12 * (patch // 2 + 1),)]
        Row-major over pitch-class frequency k = -6 ... 5 (cycles per octave) and time
        frequency l = 0 ... patch / 2 (cycles per patch); zeros for a clip shorter than a block.
    """
    if block <= 0 or patch < 2 or patch % 2:
        raise ValueError(f"block must be positive and patch an even number >= 2, not {block} and {patch}")
    c = np.asarray(chroma, dtype=np.float64)
    size = max(1, int(round(block * fps)))
    n = c.shape[1] // size
    if n == 0:
        return np.zeros(len(c) * (patch // 2 + 1))
    blocks = c[:, :n * size].reshape(len(c), n, size).mean(axis=2)
    blocks /= blocks.max(axis=0) + EPS
    if n < patch:
        blocks = np.pad(blocks, ((0, 0), (0, patch - n)))
    starts = range(0, max(n, patch) - patch + 1, patch // 2)
    patches = np.stack([blocks[:, s:s + patch] for s in starts])
    magnitude = np.abs(np.fft.fft2(patches))[:, :, :patch // 2 + 1]
    return np.fft.fftshift(np.median(magnitude, axis=0), axes=0).ravel()


PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
TONNETZ_AXES = ("fifth_x", "fifth_y", "minor_x", "minor_y", "major_x", "major_y")
#: Krumhansl-Kessler key profiles, C major and C minor.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def key_strengths(chroma: np.ndarray) -> np.ndarray:
    """Key clarity and mode: correlation of the mean chroma with the 24 major and minor key profiles.

    Parameters
    ----------
    chroma : np.ndarray [shape=(12, t)]

    Returns
    -------
    np.ndarray [shape=(4,)]
        The best correlation, best major minus best minor, the margin between the two best
        keys, and 1 where a major key fits best (all 0 for a flat chroma).
    """
    profile = np.mean(chroma, axis=1)
    if np.ptp(profile) == 0:
        return np.zeros(4)
    major = [np.corrcoef(profile, np.roll(MAJOR_PROFILE, k))[0, 1] for k in range(12)]
    minor = [np.corrcoef(profile, np.roll(MINOR_PROFILE, k))[0, 1] for k in range(12)]
    best_major, best_minor = max(major), max(minor)
    all_keys = np.sort(np.concatenate([major, minor]))
    return np.array([max(best_major, best_minor), best_major - best_minor, all_keys[-1] - all_keys[-2],
                     float(best_major >= best_minor)])


@family("chroma", coefficients=PITCH_CLASSES, reference="librosa.feature.chroma_cqt")
def _chroma(clip):
    """chroma-CQT, 12 pitch classes"""
    return clip.chroma


@family("tonnetz", coefficients=TONNETZ_AXES,
        reference="Harte, Sandler & Gasser (2006), Detecting harmonic change in musical audio; librosa.feature.tonnetz")
def _tonnetz(clip):
    """tonal centroids (fifths, minor and major thirds)"""
    return librosa.feature.tonnetz(chroma=clip.chroma)


@family("key", coefficients=("clarity", "mode", "margin", "is_major"), frame_wise=False,
        reference="Krumhansl (1990), Cognitive foundations of musical pitch (key profiles)")
def _key(clip):
    """key clarity and major/minor mode"""
    return key_strengths(clip.chroma)


@family("intervals", coefficients=("m2", "M2", "m3", "M3", "P4", "TT"),
        reference="Panda, Malheiro & Paiva (2018) (harmonic intervals)")
def _intervals(clip):
    """interval content of the chroma: minor second ... tritone"""
    return interval_content(clip.chroma)


@family("roughness", coefficients=("sethares",),
        reference="Plomp & Levelt (1965), Tonal consonance and critical bandwidth; Sethares (1993), "
                  "Local consonance and the relationship between timbre and scale")
def _roughness(clip):
    """sensory dissonance of the spectral peaks (Plomp-Levelt, Sethares)"""
    return roughness(clip.stft_magnitude, clip.stft_freqs)


@family("chords", coefficients=("change_rate", "strength", "major_share", "vocabulary", "hcdf"), frame_wise=False,
        reference="Harte, Sandler & Gasser (2006) (harmonic change detection function)")
def _chords(clip):
    """chord changes per second, triad clarity, major share, vocabulary, harmonic change"""
    return chords(clip.chroma, clip.fps)


@family("chroma_patterns", coefficients=tuple(f"k{k:+d}_l{m}" for k in range(-6, 6) for m in range(9)),
        frame_wise=False, reference="Bertin-Mahieux & Ellis (2012), Large-scale cover song recognition using "
                                    "the 2D Fourier transform magnitude")
def _chroma_patterns(clip):
    """recurring harmonic patterns in any key: 2-D Fourier transform magnitude of 8-s chroma patches
    (pitch-class frequency k by time frequency l)"""
    return chroma_patterns(clip.chroma, clip.fps)
