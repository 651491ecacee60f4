"""Mood descriptors beyond librosa's: small pure functions over spectrograms and contours.

Each takes arrays that :class:`featurize.features.Clip` computes once per clip (the
magnitude STFT, the constant-Q magnitude, chroma, frame-wise RMS) and returns either a
frame-wise array ``(coefficients, frames)`` or a 1-D array of clip-level values. None of
them decodes audio or computes a transform of its own, so adding one costs only its own
arithmetic. What each measures, and why it bears on mood, is in its docstring; the tests
(``tests/test_descriptors.py``) check each on synthetic signals with a known answer.
"""

from collections.abc import Sequence

import numpy as np
import scipy.ndimage
import scipy.signal
import scipy.stats

_EPS = 1e-10


# --------------------------------------------------------------------------- spectral shape


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
    total = S.sum(axis=0, dtype=np.float64) + _EPS
    # Central moments from raw ones: four matrix-vector products instead of full-size temporaries.
    m1, m2, m3, m4 = (np.power(fk, k) @ S / total for k in range(1, 5))
    var = np.maximum(m2 - m1 ** 2, _EPS)
    skewness = (m3 - 3 * m1 * m2 + 2 * m1 ** 3) / var ** 1.5
    kurtosis = (m4 - 4 * m1 * m3 + 6 * m1 ** 2 * m2 - 3 * m1 ** 4) / var ** 2
    power_sum = power.sum(axis=0, dtype=np.float64) + _EPS
    # Entropy of p = P / sum(P): -sum(p log p) = log(sum P) - sum(P log P) / sum(P).
    plogp = np.einsum("ft,ft->t", power, log_power, dtype=np.float64) / np.log(2)
    entropy = (np.log2(power_sum) - plogp / power_sum) / np.log2(S.shape[0])
    p = S / total.astype(np.float32)
    flux = np.concatenate([[0.0], np.sqrt(np.square(np.diff(p, axis=1)).sum(axis=0, dtype=np.float64))])
    brightness = power[fk >= brightness_cutoff / 1000.0].sum(axis=0, dtype=np.float64) / power_sum
    fc = fk - fk.mean()
    mean_mag = total / S.shape[0]
    slope = (fc @ S) / (fc ** 2).sum() / mean_mag
    crest = 20 * np.log10((S.max(axis=0) + _EPS) / mean_mag)
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


# --------------------------------------------------------------------------- rhythm


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


# --------------------------------------------------------------------------- dynamics


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
    total = weighted.sum() + _EPS
    k = int(np.argmax(weighted))
    return np.array([freqs[k], weighted[k], (freqs * weighted).sum() / total, total])


# --------------------------------------------------------------------------- harmony and texture


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
    energy = (c ** 2).sum(axis=0) + _EPS
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
    shift = np.where(np.abs(denom) > _EPS, 0.5 * (lo - hi) / np.where(denom == 0, 1, denom), 0.0)
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
    return (total / ((a ** 2).sum(axis=0) + _EPS))[np.newaxis, :]


def pitched_layers(C: np.ndarray, *, bins_per_octave: int, threshold_db: float = -24.0, lowest_bin: int = 0,
                   highest_bin: int | None = None) -> np.ndarray:
    """Number of simultaneous pitched lines in each frame: peaks of the constant-Q spectrum.

    A bin counts when it is a local maximum over its two neighbours on each side and
    within `threshold_db` of the frame's strongest bin; frames more than 60 dB below
    the clip's loudest count no layers. A single tone counts one or a few (its strong
    harmonics), a chord of several notes more: the number tracks texture, from solo
    line to full band.

    Parameters
    ----------
    C : np.ndarray [shape=(n_bins, t)]
        Constant-Q magnitude.
    bins_per_octave : int
    threshold_db : float
    lowest_bin, highest_bin : int
        Range of bins searched.

    Returns
    -------
    np.ndarray [shape=(1, t)]
    """
    X = np.asarray(C[lowest_bin:highest_bin], dtype=np.float64)
    width = max(1, bins_per_octave // 18)  # two neighbours each side at 36 bins per octave
    local_max = scipy.ndimage.maximum_filter1d(X, size=2 * width + 1, axis=0, mode="constant")
    frame_max = X.max(axis=0)
    strong = X >= frame_max * 10 ** (threshold_db / 20)
    count = ((X == local_max) & strong & (X > 0)).sum(axis=0).astype(np.float64)
    count[frame_max < X.max() * 1e-3] = 0.0
    return count[np.newaxis, :]


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
    c = scipy.ndimage.median_filter(np.asarray(chroma, dtype=np.float64), size=(1, size), mode="nearest")
    cz = c - c.mean(axis=0)
    cz /= np.linalg.norm(cz, axis=0) + _EPS
    tz = _TRIADS - _TRIADS.mean(axis=1, keepdims=True)
    tz /= np.linalg.norm(tz, axis=1, keepdims=True)
    corr = tz @ cz
    best = np.argmax(corr, axis=0)
    seconds = c.shape[1] / fps
    counts = np.sort(np.bincount(best, minlength=24))[::-1]
    vocabulary = int(np.searchsorted(np.cumsum(counts) / len(best), 0.9) + 1)
    cn = c / (np.linalg.norm(c, axis=0) + _EPS)
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
    blocks /= blocks.max(axis=0) + _EPS
    if n < patch:
        blocks = np.pad(blocks, ((0, 0), (0, patch - n)))
    starts = range(0, max(n, patch) - patch + 1, patch // 2)
    patches = np.stack([blocks[:, s:s + patch] for s in starts])
    magnitude = np.abs(np.fft.fft2(patches))[:, :, :patch // 2 + 1]
    return np.fft.fftshift(np.median(magnitude, axis=0), axes=0).ravel()


# --------------------------------------------------------------------------- melody and expressivity

#: Harmonics summed into the salience of a pitch, and their weights.
_HARMONICS = np.arange(1, 6)
_HARMONIC_WEIGHTS = 0.8 ** (_HARMONICS - 1)


def harmonic_salience(C: np.ndarray, *, bins_per_octave: int, fmin_bin: int, fmax_bin: int) -> np.ndarray:
    """Salience of each candidate pitch in each frame, by harmonic summation over the CQT.

    The salience of a bin is the weighted sum (weights 0.8 ** (h - 1)) of the cube-root
    compressed magnitudes at its first five harmonics: a pitched sound scores at its
    fundamental, where all its partials line up.

    Parameters
    ----------
    C : np.ndarray [shape=(n_bins, t)]
        Constant-Q magnitude.
    bins_per_octave : int
    fmin_bin, fmax_bin : int
        Range of candidate pitches, in bins; ``fmax_bin`` plus the fifth harmonic's offset
        must stay within ``n_bins``.

    Returns
    -------
    np.ndarray [shape=(fmax_bin - fmin_bin, t)]
        Row ``i`` is the salience of bin ``fmin_bin + i``.
    """
    X = np.cbrt(np.asarray(C, dtype=np.float64))
    offsets = np.round(bins_per_octave * np.log2(_HARMONICS)).astype(int)
    if fmax_bin + offsets[-1] > X.shape[0]:
        raise ValueError(f"fmax_bin {fmax_bin} leaves no room for the 5th harmonic in {X.shape[0]} bins")
    candidates = np.arange(fmin_bin, fmax_bin)
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
        The CQT bin of the first candidate (``fmin_bin``).
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
    shift = np.where(denom < -_EPS, 0.5 * (lo - hi) / np.where(denom == 0, -1, denom), 0.0)
    pitch = first_bin + k + np.clip(shift, -0.5, 0.5)
    reference = np.percentile(peak, 95) + _EPS
    voiced = (peak >= voicing * reference) & (peak >= 1.5 * np.median(salience, axis=0))
    return np.where(voiced, pitch, np.nan), peak


def contour_segments(pitch: np.ndarray, *, max_jump: float = 1.0, min_frames: int = 5) -> list[slice]:
    """Stretches of consecutive voiced frames whose pitch moves less than `max_jump` per frame.

    Parameters
    ----------
    pitch : np.ndarray [shape=(t,)]
        Pitch in semitones, NaN where unvoiced.
    max_jump : float
        Largest change between neighbouring frames within one stretch, in semitones.
    min_frames : int
        Shorter stretches are dropped.

    Returns
    -------
    list of slice
    """
    voiced = ~np.isnan(pitch)
    breaks = ~voiced[1:] | ~voiced[:-1] | (np.abs(np.diff(np.nan_to_num(pitch))) > max_jump)
    segments, start = [], None
    for i in range(len(pitch)):
        if voiced[i] and start is None:
            start = i
        if start is not None and (i == len(pitch) - 1 or breaks[i]):
            if voiced[i] and i + 1 - start >= min_frames:
                segments.append(slice(start, i + 1))
            start = None
    return segments


def modulation(x: np.ndarray, fps: float, *, band: tuple[float, float] = (3.0, 10.0), min_frames: int = 16) -> tuple[float, float]:
    """Rate and extent of the strongest periodic modulation of a contour within `band` Hz.

    The contour is detrended (a line fitted and removed), windowed and zero-padded to a
    resolution of 0.1 Hz; the rate is the frequency of the largest spectral peak in
    `band`, the extent the peak-to-peak amplitude of a sinusoid with that peak's
    magnitude. Contours shorter than `min_frames` give ``(nan, nan)``.

    Parameters
    ----------
    x : np.ndarray [shape=(n,)]
    fps : float
    band : (float, float)
    min_frames : int

    Returns
    -------
    rate : float
        Hz.
    extent : float
        Peak-to-peak, in the units of `x`.
    """
    x = np.asarray(x, dtype=np.float64)
    if len(x) < min_frames:
        return np.nan, np.nan
    window = np.hanning(len(x))
    detrended = scipy.signal.detrend(x) * window
    n_fft = max(len(x), int(np.ceil(fps / 0.1)))
    spectrum = np.abs(np.fft.rfft(detrended, n=n_fft))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / fps)
    inside = (freqs >= band[0]) & (freqs <= band[1])
    if not inside.any():
        return np.nan, np.nan
    k = np.flatnonzero(inside)[np.argmax(spectrum[inside])]
    amplitude = 2.0 * spectrum[k] / window.sum()
    return float(freqs[k]), float(2.0 * amplitude)


def melody(pitch: np.ndarray, salience: np.ndarray, fps: float, *, vibrato_min: float = 0.15) -> np.ndarray:
    """Melody and expressivity of a clip from its predominant-pitch contour.

    Parameters
    ----------
    pitch : np.ndarray [shape=(t,)]
        Predominant pitch in semitones, NaN where unvoiced (:func:`melody_contour`, scaled).
    salience : np.ndarray [shape=(t,)]
        Peak salience of each frame.
    fps : float
        Frames per second.
    vibrato_min : float
        Smallest peak-to-peak pitch modulation (semitones) counted as vibrato.

    Returns
    -------
    np.ndarray [shape=(12,)]
        ``pitch_mean``, ``pitch_std``, ``pitch_range`` (p95 - p5) of the voiced pitch in
        semitones above the lowest bin; ``voiced_share``; ``note_rate`` (pitch stretches
        per second: note density) and ``note_length`` (mean seconds); ``vibrato_rate``
        (Hz) and ``vibrato_extent`` (semitones, peak to peak), medians over stretches of
        0.4 s or more; ``vibrato_share`` (share of those stretches with vibrato);
        ``tremolo_rate`` and ``tremolo_extent`` (the same for the salience in dB);
        ``glissando`` (mean absolute pitch slope within stretches, semitones per second).
        Clips with no voiced stretch get zeros.
    """
    voiced = pitch[~np.isnan(pitch)]
    segments = contour_segments(pitch)
    out = np.zeros(12)
    if len(voiced) == 0 or not segments:
        return out
    out[0], out[1] = np.mean(voiced), np.std(voiced)
    out[2] = np.subtract(*np.percentile(voiced, [95, 5]))
    out[3] = len(voiced) / len(pitch)
    out[4] = len(segments) / (len(pitch) / fps)
    out[5] = np.mean([s.stop - s.start for s in segments]) / fps
    long = [s for s in segments if s.stop - s.start >= int(0.4 * fps)]
    vib = np.array([modulation(pitch[s], fps) for s in long]).reshape(-1, 2)
    trem = np.array([modulation(20 * np.log10(salience[s] + _EPS), fps) for s in long]).reshape(-1, 2)
    if len(vib):
        has_vibrato = vib[:, 1] >= vibrato_min
        out[6], out[7] = np.median(vib[:, 0]), np.median(vib[:, 1])
        out[8] = np.mean(has_vibrato)
        out[9], out[10] = np.median(trem[:, 0]), np.median(trem[:, 1])
    out[11] = np.mean([abs(_slope(pitch[s], fps)) for s in segments])
    return out


def _slope(x: np.ndarray, fps: float) -> float:
    """Least-squares slope of `x` (evenly spaced frames) against time, units per second."""
    t = (np.arange(len(x)) - (len(x) - 1) / 2) / fps  # centred time: the slope is one projection
    return float(t @ x / (t @ t))


def _curvature(x: np.ndarray, fps: float) -> float:
    """Leading coefficient of the least-squares parabola through `x` (evenly spaced frames), units per
    second squared: over centred time, t**2 less its mean is orthogonal to 1 and t, so one projection."""
    t = (np.arange(len(x)) - (len(x) - 1) / 2) / fps
    t2 = t * t - np.mean(t * t)
    return float(t2 @ x / (t2 @ t2))


def melody_notes(pitch: np.ndarray, salience: np.ndarray, fps: float) -> np.ndarray:
    """The melody as a sequence of notes: intervals, contour, rhythm, tonality and prominence.

    Each stretch of the contour (:func:`contour_segments`) is a note, at its median pitch.

    Parameters
    ----------
    pitch : np.ndarray [shape=(t,)]
        Predominant pitch in semitones, NaN where unvoiced.
    salience : np.ndarray [shape=(t,)]
        Peak salience of each frame.
    fps : float

    Returns
    -------
    np.ndarray [shape=(16,)]
        ``interval_mean`` (mean absolute interval between successive notes, semitones) and
        ``interval_std`` (of the signed intervals); shares of the intervals that are
        ``steps`` (at most 2.5 semitones), ``leaps`` (4.5 or more), ``ascending`` (rising by
        more than half a semitone) and ``repeats`` (within half a semitone);
        ``duration_cv`` (spread of note lengths over their mean) and ``duration_median`` (s);
        ``pitch_skew`` and ``pitch_kurtosis`` of the voiced frames; shares of notes
        ``rising`` and ``falling`` within (slope beyond 1 semitone per second);
        ``pitch_class_entropy`` (bits, of the notes' pitch classes weighted by length: 0 for
        one pitch class, log2 12 for all alike); ``prominence`` (voiced minus unvoiced
        frames' mean salience, dB) and ``salience_std`` (dB, voiced frames); ``phrase_breaks``
        (share of gaps between notes longer than 0.3 s). Clips with fewer than three notes
        get zeros.
    """
    segments = contour_segments(pitch)
    out = np.zeros(16)
    if len(segments) < 3:
        return out
    notes = np.array([np.median(pitch[s]) for s in segments])
    length = np.array([(s.stop - s.start) / fps for s in segments])
    steps = np.diff(notes)
    size = np.abs(steps)
    out[0], out[1] = size.mean(), steps.std()
    out[2], out[3], out[4], out[5] = np.mean(size <= 2.5), np.mean(size >= 4.5), np.mean(steps > 0.5), np.mean(size < 0.5)
    out[6], out[7] = length.std() / length.mean(), np.median(length)
    voiced = ~np.isnan(pitch)
    out[8], out[9] = scipy.stats.skew(pitch[voiced]), scipy.stats.kurtosis(pitch[voiced])
    slopes = np.array([_slope(pitch[s], fps) for s in segments])
    out[10], out[11] = np.mean(slopes > 1.0), np.mean(slopes < -1.0)
    classes = np.bincount(np.round(notes).astype(int) % 12, weights=length, minlength=12)
    classes = classes[classes > 0] / classes.sum()
    out[12] = -np.sum(classes * np.log2(classes))
    level = 20 * np.log10(salience + _EPS)
    out[13] = level[voiced].mean() - (level[~voiced].mean() if (~voiced).any() else level[voiced].min())
    out[14] = level[voiced].std()
    gaps = np.array([b.start - a.stop for a, b in zip(segments[:-1], segments[1:])]) / fps
    out[15] = np.mean(gaps > 0.3)
    return np.nan_to_num(out)


def pitch_contours(salience: np.ndarray, *, strong: float = 0.9, spread: float = 0.9, max_step: int = 2,
                   max_gap: int = 4, min_frames: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pitch contours: the salience peaks that continue one another in time, melody and accompaniment alike.

    After Salamon and Gomez's contour tracking (MELODIA, 2012). The peaks of each frame's
    salience over pitch are kept if they reach the mean minus `spread` standard deviations of
    all peaks; the peaks within `strong` times their frame's highest one are strong. From the
    strongest peak not yet taken, a contour is followed forwards and backwards, frame by frame,
    to the most salient free peak within `max_step` bins, through at most `max_gap` weak peaks in
    a row; it is trimmed to its first and last strong peaks and kept if `min_frames` long.

    Parameters
    ----------
    salience : np.ndarray [shape=(n_candidates, t)]
        :func:`harmonic_salience`.
    strong, spread : float
    max_step, max_gap, min_frames : int

    Returns
    -------
    list of (frames, bins)
        Each contour's frame indices (consecutive) and salience rows (pitch bins), ``int`` arrays.
    """
    n_frames = salience.shape[1]
    is_peak = np.zeros(salience.shape, dtype=bool)
    is_peak[1:-1] = (salience[1:-1] > salience[:-2]) & (salience[1:-1] >= salience[2:])
    if not is_peak.any():
        return []
    values = salience[is_peak]
    peaks = is_peak & (salience >= values.mean() - spread * values.std())
    is_strong = peaks & (salience >= strong * salience.max(axis=0, keepdims=True))
    # The free peaks of each frame, {bin: (salience, strong)}: plain Python, as the walk below
    # looks at a handful of bins at a time, where numpy's per-call overhead would dominate.
    free = [{} for _ in range(n_frames)]
    bins, frames = np.nonzero(peaks)
    for b, t, value, strong_peak in zip(bins.tolist(), frames.tolist(), salience[bins, frames].tolist(),
                                        is_strong[bins, frames].tolist()):
        free[t][b] = (value, strong_peak)
    lines = []
    seeds = np.flatnonzero(is_strong)  # the strong peaks, most salient first
    for flat in seeds[np.argsort(-salience.ravel()[seeds], kind="stable")].tolist():
        b0, t0 = divmod(flat, n_frames)
        if free[t0].pop(b0, None) is None:
            continue
        found = {t0: b0}
        for step in (1, -1):
            b, t, weak = b0, t0 + step, 0
            while 0 <= t < n_frames:
                row, best = free[t], None
                for candidate in range(b - max_step, b + max_step + 1):  # the most salient; the lowest of ties
                    peak = row.get(candidate)
                    if peak is not None and (best is None or peak[0] > row[best][0]):
                        best = candidate
                if best is None:
                    break
                weak = 0 if row[best][1] else weak + 1
                if weak > max_gap:
                    break
                found[t], b = best, best
                del row[best]
                t += step
        frames = np.array(sorted(found))
        bins = np.array([found[t] for t in frames])
        ends = np.flatnonzero(is_strong[bins, frames])[[0, -1]]
        frames, bins = frames[ends[0]:ends[1] + 1], bins[ends[0]:ends[1] + 1]
        if len(frames) >= min_frames:
            lines.append((frames, bins))
    return lines


def contours(salience: np.ndarray, fps: float, *, bins_per_octave: int, first_bin: int = 0,
             vibrato_min: float = 0.15) -> np.ndarray:
    """The musical layers and their lines: statistics of all pitch contours (:func:`pitch_contours`).

    Where :func:`melody` follows one line, this counts and describes every pitched line,
    the way Panda et al. (2018) describe texture ("musical layers") and expressivity: how many
    lines sound at once, how long they hold, how much they wobble, bend and spread.

    Parameters
    ----------
    salience : np.ndarray [shape=(n_candidates, t)]
        :func:`harmonic_salience`.
    fps : float
        Frames per second.
    bins_per_octave : int
    first_bin : int
        The CQT bin of the first candidate; pitches are in semitones above the CQT's first bin.
    vibrato_min : float
        Smallest peak-to-peak modulation (semitones) counted as vibrato.

    Returns
    -------
    np.ndarray [shape=(25,)]
        ``rate`` (contours per second); ``layers`` (mean number of contours sounding at once),
        ``polyphonic`` and ``silent`` (shares of frames with two or more, and none);
        ``length_mean``, ``length_std`` and ``length_p90`` (s); ``wobble_mean``,
        ``wobble_std`` and ``wobble_weighted`` (pitch spread within a contour, semitones; the
        last weighted by length); ``pitch_mean``, ``pitch_spread`` (std over contours),
        ``pitch_weighted`` and ``pitch_range`` (95th minus 5th percentile) of the contours'
        mean pitches; ``salience_mean`` and ``salience_std`` of their log mean salience,
        ``weight_std`` of their log total salience; ``vibrato_share``, ``vibrato_rate`` and
        ``vibrato_extent`` (medians over contours of 0.4 s or more, as :func:`melody`);
        shares of contours of 8 frames or more ``rising`` and ``falling`` (slope beyond 1
        semitone per second), ``arch`` and ``valley`` shaped (curvature beyond 2 semitones per
        second squared), and their mean absolute ``slope``. No contour: zeros.
    """
    found = pitch_contours(salience)
    n_frames = salience.shape[1]
    if not found:
        return np.zeros(25)
    to_semitones = 12.0 / bins_per_octave
    length, wobble, pitch, level, weight, slope, curve, vibrato = ([] for _ in range(8))
    layers = np.zeros(n_frames)
    for frames, bins in found:
        p = (bins + first_bin) * to_semitones
        s = salience[bins, frames]
        layers[frames] += 1
        length.append(len(frames) / fps)
        wobble.append(p.std())
        pitch.append(p.mean())
        level.append(np.log(s.mean() + 1e-9))
        weight.append(np.log(s.sum() + 1e-9))
        if len(frames) >= 8:
            slope.append(_slope(p, fps))
            curve.append(_curvature(p, fps))
        if len(frames) >= int(0.4 * fps):
            vibrato.append(modulation(p, fps))
    length, wobble, pitch, slope, curve = map(np.asarray, (length, wobble, pitch, slope, curve))
    share = length / length.sum()
    vibrato = np.array(vibrato).reshape(-1, 2)
    has_vibrato = np.nan_to_num(vibrato[:, 1]) >= vibrato_min
    out = [len(found) / (n_frames / fps), layers.mean(), np.mean(layers >= 2), np.mean(layers == 0),
           length.mean(), length.std(), np.percentile(length, 90),
           wobble.mean(), wobble.std(), np.sum(share * wobble),
           pitch.mean(), pitch.std(), np.sum(share * pitch), np.subtract(*np.percentile(pitch, [95, 5])),
           np.mean(level), np.std(level), np.std(weight),
           np.mean(has_vibrato) if len(vibrato) else 0.0,
           np.nanmedian(vibrato[:, 0]) if len(vibrato) else 0.0, np.nanmedian(vibrato[:, 1]) if len(vibrato) else 0.0]
    out += [np.mean(slope > 1), np.mean(slope < -1), np.mean(curve < -2), np.mean(curve > 2),
            np.mean(np.abs(slope))] if len(slope) else [0.0] * 5
    return np.nan_to_num(np.array(out, dtype=np.float64))


def harmonic_share(mel_power: np.ndarray, *, kernel: int = 9, bands: int = 64) -> np.ndarray:
    """Share of each frame's energy that is harmonic (sustained tones) rather than percussive.

    Median-filtering harmonic/percussive separation with soft masks (Fitzgerald 2010;
    ``librosa.decompose.hpss`` with ``power=2``), run on the mel power spectrogram summed
    into `bands` bands: the same separation at a small fraction of the STFT's cost.
    Near 1 for held chords and strings, near 0 for drums alone.

    Parameters
    ----------
    mel_power : np.ndarray [shape=(m, t)]
        Mel power spectrogram; ``m`` a multiple of `bands`.
    kernel : int
        Median filter length, in frames (harmonic) and in bands (percussive).
    bands : int

    Returns
    -------
    np.ndarray [shape=(1, t)]
    """
    m, t = mel_power.shape
    X = np.asarray(mel_power, dtype=np.float32).reshape(bands, m // bands, t).sum(axis=1)
    harmonic = scipy.ndimage.median_filter(X, size=(1, kernel), mode="reflect")
    # Filtering along the rows of the transposed array is twice as fast as along the columns.
    percussive = scipy.ndimage.median_filter(np.ascontiguousarray(X.T), size=(1, kernel), mode="reflect").T
    h2, p2 = np.square(harmonic, dtype=np.float64), np.square(percussive, dtype=np.float64)
    mask = np.divide(h2, h2 + p2, out=np.full_like(h2, 0.5), where=(h2 + p2) > 0)
    return ((X * mask).sum(axis=0) / (X.sum(axis=0) + _EPS))[np.newaxis, :]
