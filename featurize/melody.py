"""Melody families: the predominant line's pitch, notes and expressivity (vibrato, tremolo,
glissando), and the contours of every pitched line, from the clip's pitch salience
(:mod:`featurize.pitch`)."""

import numba
import numpy as np
import scipy.stats

from featurize.clip import CHROMA_BINS_PER_OCTAVE, SALIENCE_BINS
from featurize.family import EPS, family


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
    magnitude. Contours shorter than `min_frames` give ``(nan, nan)``; a contour that does not
    move (a pitch held on one bin, or a straight line) has no modulation: ``(nan, 0.0)``, where
    its largest peak would be the frequency of rounding noise.

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
    residual = _detrended(x)
    if np.abs(residual).max() <= 1e-9 * max(1.0, np.abs(x).max()):
        return np.nan, 0.0
    window = np.hanning(len(x))
    detrended = residual * window
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
    trem = np.array([modulation(20 * np.log10(salience[s] + EPS), fps) for s in long]).reshape(-1, 2)
    if len(vib):
        has_vibrato = vib[:, 1] >= vibrato_min
        out[6], out[7] = _median_rate(vib[:, 0]), np.median(vib[:, 1])
        out[8] = np.mean(has_vibrato)
        out[9], out[10] = _median_rate(trem[:, 0]), np.median(trem[:, 1])
    out[11] = np.mean([abs(_slope(pitch[s], fps)) for s in segments])
    return out


def _detrended(x: np.ndarray) -> np.ndarray:
    """`x` less its least-squares line (``scipy.signal.detrend(x)`` to rounding): over centred
    time the line's slope is one projection, with no solver per contour."""
    t = np.arange(len(x)) - (len(x) - 1) / 2
    return x - x.mean() - (t @ x / (t @ t)) * t


def _median_rate(rates: np.ndarray) -> float:
    """Median of the modulation rates that exist (:func:`modulation`), 0 where none does."""
    rates = rates[np.isfinite(rates)]
    return float(np.median(rates)) if len(rates) else 0.0


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
    level = 20 * np.log10(salience + EPS)
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
    is_peak = np.zeros(salience.shape, dtype=bool)
    is_peak[1:-1] = (salience[1:-1] > salience[:-2]) & (salience[1:-1] >= salience[2:])
    if not is_peak.any():
        return []
    values = salience[is_peak]
    peaks = is_peak & (salience >= values.mean() - spread * values.std())
    is_strong = peaks & (salience >= strong * salience.max(axis=0, keepdims=True))
    order = np.flatnonzero(is_strong)  # the strong peaks, most salient first
    order = order[np.argsort(-salience.ravel()[order], kind="stable")]
    starts, frames, bins = _follow_contours(np.ascontiguousarray(salience, dtype=np.float64), peaks, is_strong, order,
                                            max_step, max_gap, min_frames)
    return [(frames[a:b], bins[a:b]) for a, b in zip(starts[:-1].tolist(), starts[1:].tolist())]


@numba.njit(cache=True)
def _follow_contours(salience, peaks, is_strong, order, max_step, max_gap, min_frames):  # pragma: no cover (compiled)
    """The walk of :func:`pitch_contours`, compiled: it visits a handful of bins per frame, one
    frame at a time, where numpy's per-call cost would dominate. Returns the contours' frames and
    bins end to end, and where each starts (with the end as a last entry)."""
    n_frames = salience.shape[1]
    free = peaks.copy()
    starts = [0]
    out_frames, out_bins = [], []
    ahead = np.empty(n_frames, dtype=np.int64)  # bins found after the seed's frame, in order
    behind = np.empty(n_frames, dtype=np.int64)  # and before it, nearest first
    for flat in order:
        b0, t0 = flat // n_frames, flat % n_frames
        if not free[b0, t0]:
            continue
        free[b0, t0] = False
        n_after = _walk(salience, free, is_strong, b0, t0, 1, max_step, max_gap, ahead)
        n_before = _walk(salience, free, is_strong, b0, t0, -1, max_step, max_gap, behind)
        first_frame = t0 - n_before
        line = np.concatenate((behind[:n_before][::-1], np.array([b0]), ahead[:n_after]))
        strong = np.array([is_strong[line[i], first_frame + i] for i in range(len(line))])
        keep = np.flatnonzero(strong)  # trimmed to its first and last strong peaks (the seed is one)
        first, last = keep[0], keep[-1]
        if last - first + 1 >= min_frames:
            for i in range(first, last + 1):
                out_frames.append(first_frame + i)
                out_bins.append(line[i])
            starts.append(len(out_frames))
    return np.array(starts, dtype=np.int64), np.array(out_frames, dtype=np.int64), np.array(out_bins, dtype=np.int64)


@numba.njit(cache=True)
def _walk(salience, free, is_strong, b0, t0, step, max_step, max_gap, found):  # pragma: no cover (compiled)
    """From the seed (b0, t0), frame by frame in the direction `step`, the most salient free peak
    within `max_step` bins of the last (the lowest bin of ties), through at most `max_gap` weak
    peaks in a row; each is taken (no longer free) and written to `found`. Returns how many."""
    n_bins, n_frames = salience.shape
    count, b, t, weak = 0, b0, t0 + step, 0
    while 0 <= t < n_frames:
        best = -1
        for candidate in range(max(b - max_step, 0), min(b + max_step + 1, n_bins)):
            if free[candidate, t] and (best < 0 or salience[candidate, t] > salience[best, t]):
                best = candidate
        if best < 0:
            break
        weak = 0 if is_strong[best, t] else weak + 1
        if weak > max_gap:
            break
        found[count] = best
        count += 1
        free[best, t] = False
        b = best
        t += step
    return count


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
           _median_rate(vibrato[:, 0]), np.nanmedian(vibrato[:, 1]) if len(vibrato) else 0.0]
    out += [np.mean(slope > 1), np.mean(slope < -1), np.mean(curve < -2), np.mean(curve > 2),
            np.mean(np.abs(slope))] if len(slope) else [0.0] * 5
    return np.nan_to_num(np.array(out, dtype=np.float64))


@family("melody", coefficients=("pitch_mean", "pitch_std", "pitch_range", "voiced_share", "note_rate", "note_length",
                                "vibrato_rate", "vibrato_extent", "vibrato_share", "tremolo_rate", "tremolo_extent",
                                "glissando"),
        frame_wise=False, reference="Salamon & Gómez (2012), Melody extraction from polyphonic music signals using "
                                    "pitch contour characteristics; Panda, Malheiro & Paiva (2018) (expressivity)")
def _melody(clip):
    """predominant pitch contour: range, voicing, note density, vibrato, tremolo, glissando"""
    return melody(*clip.melody_contour, clip.fps)


@family("melody_notes", coefficients=("interval_mean", "interval_std", "steps", "leaps", "ascending", "repeats",
                                      "duration_cv", "duration_median", "pitch_skew", "pitch_kurtosis", "rising",
                                      "falling", "pitch_class_entropy", "prominence", "salience_std", "phrase_breaks"),
        frame_wise=False, reference="Panda, Malheiro & Paiva (2018) (melodic features)")
def _melody_notes(clip):
    """the melody's notes: interval sizes and direction, steps and leaps, note lengths, contour,
    pitch-class entropy, prominence, phrasing"""
    return melody_notes(*clip.melody_contour, clip.fps)


@family("contours", coefficients=("rate", "layers", "polyphonic", "silent", "length_mean", "length_std", "length_p90",
                                  "wobble_mean", "wobble_std", "wobble_weighted", "pitch_mean", "pitch_spread",
                                  "pitch_weighted", "pitch_range", "salience_mean", "salience_std", "weight_std",
                                  "vibrato_share", "vibrato_rate", "vibrato_extent", "rising", "falling", "arch",
                                  "valley", "slope"),
        frame_wise=False, reference="Salamon, Rocha & Gómez (2012), Musical genre classification using melody "
                                    "features extracted from polyphonic music signals; Panda et al. (2018) "
                                    "(musical layers)")
def _contours(clip):
    """every pitched line (contours of the salience peaks): how many at once, their length,
    wobble, register, vibrato and shape"""
    return contours(clip.pitch_salience, clip.fps, bins_per_octave=CHROMA_BINS_PER_OCTAVE, first_bin=SALIENCE_BINS[0])
