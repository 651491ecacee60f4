"""Constant-Q magnitude spectrogram with filter banks reused across clips, and the tuning estimate.

`librosa.cqt` rebuilds its filter bank on every call, and the bank depends only
on the sampling rate, the hop and the clip's tuning (about a hundred distinct
values at librosa's 0.01-bin resolution).  :func:`cqt_magnitude` follows
librosa's recursive sub-sampling algorithm step by step, with the same filters
and resampler, but builds each filter bank once per process, and takes the
octaves' FFTs in single precision (librosa takes them in double precision and
stores the result in single precision): its output agrees with
``np.abs(librosa.cqt(...))`` to float32 rounding, and the chroma and tonnetz
summaries made from it to about 1e-7.
"""

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import scipy.fft
import scipy.sparse

from featurize._librosa import librosa

RES_TYPE = "soxr_hq"


def cqt_magnitude(y: np.ndarray, *, sr: float, hop_length: int, n_bins: int, bins_per_octave: int,
                  tuning: float) -> np.ndarray:
    """Magnitude of the constant-Q transform of `y`, as librosa's to float32 rounding.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)], float32
        Mono audio.
    sr : int
        Sampling rate of `y`.
    hop_length : int
        Samples between frames; must be divisible by 2 once per octave.
    n_bins : int
        Number of frequency bins, starting at C1 (tuned).
    bins_per_octave : int
        Bins per octave.
    tuning : float
        Tuning offset in fractions of a bin, as from `librosa.estimate_tuning`.

    Returns
    -------
    np.ndarray [shape=(n_bins, t)], float32
        ``np.abs(librosa.cqt(y, sr=sr, hop_length=hop_length, n_bins=n_bins,
        bins_per_octave=bins_per_octave, tuning=tuning))``, to float32 rounding.
    """
    bank = _filter_bank(float(sr), int(hop_length), int(n_bins), int(bins_per_octave), float(tuning))
    dtype = librosa.util.dtype_r2c(y.dtype)
    if bank.downsample > 1:
        y = librosa.resample(y, orig_sr=bank.downsample, target_sr=1, res_type=RES_TYPE, scale=True)
    responses = []
    hop = bank.hop_length
    for fft_basis, n_fft in bank.octaves:
        responses.append(fft_basis.dot(_centered_frames_rfft(y, n_fft, hop)))
        if hop % 2 == 0:
            hop //= 2
            y = librosa.resample(y, orig_sr=2, target_sr=1, res_type=RES_TYPE, scale=True)
    n_frames = min(r.shape[-1] for r in responses)
    C = np.empty((n_bins, n_frames), dtype=dtype, order="F")
    end = n_bins
    for r in responses:
        n_oct = r.shape[0]
        if end < n_oct:
            C[:end] = r[-end:, :n_frames]
        else:
            C[end - n_oct:end] = r[:, :n_frames]
        end -= n_oct
    C /= bank.sqrt_lengths[:, np.newaxis]
    return np.abs(C)


def _octave_basis(freqs, sr, alpha):
    """One octave's FFT filter basis, as librosa's ``__vqt_filter_fft`` makes it (before the
    octave's scaling)."""
    basis, lengths = librosa.filters.wavelet(
        freqs=freqs, sr=sr, filter_scale=1, norm=1, pad_fft=True, window="hann", gamma=0, alpha=alpha
    )
    n_fft = basis.shape[1]
    basis *= lengths[:, np.newaxis] / float(n_fft)
    fft_basis = librosa.get_fftlib().fft(basis, n=n_fft, axis=1)[:, : n_fft // 2 + 1]
    return _sparsify_rows(fft_basis, quantile=0.01, dtype=np.complex64), n_fft


def _centered_frames_rfft(y, n_fft, hop_length):
    """``librosa.stft(y, n_fft, hop_length, window='ones', pad_mode='constant')`` in y's precision."""
    padded = np.pad(y, n_fft // 2, mode="constant")
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop_length]
    # Transformed along the first axis of the frames' transposed view: the same values as along the
    # last axis then transposed, but laid out row by row, as the sparse filter basis's product needs
    # (it would copy a transposed array first).
    return scipy.fft.rfft(frames.T, axis=0)


class _FilterBank(NamedTuple):
    """Per-octave FFT filter bases and the scaling `librosa.vqt` applies."""

    downsample: int
    hop_length: int
    octaves: tuple
    sqrt_lengths: np.ndarray


@lru_cache(maxsize=128)
def _filter_bank(sr, hop_length, n_bins, bins_per_octave, tuning):
    # The steps of librosa.vqt with gamma=0 (a CQT), minus the transforms.
    n_octaves = int(np.ceil(n_bins / bins_per_octave))
    n_filters = min(bins_per_octave, n_bins)
    fmin = librosa.note_to_hz("C1") * 2.0 ** (tuning / bins_per_octave)
    freqs = librosa.interval_frequencies(
        n_bins=n_bins, fmin=fmin, intervals="equal", bins_per_octave=bins_per_octave, sort=True
    )
    alpha = librosa.filters._relative_bandwidth(freqs=freqs)
    _, cutoff = librosa.filters.wavelet_lengths(
        freqs=freqs, sr=sr, window="hann", filter_scale=1, gamma=0, alpha=alpha
    )
    nyquist = sr / 2.0
    if cutoff > nyquist:
        raise ValueError(f"CQT filters reach {cutoff:.0f} Hz, above the Nyquist frequency {nyquist:.0f} Hz")

    # Early downsampling, as librosa's __early_downsample_count.
    count1 = max(0, int(np.ceil(np.log2(nyquist / cutoff)) - 1) - 1)
    twos = 0
    h = hop_length
    while h > 0 and h % 2 == 0:
        twos += 1
        h //= 2
    count2 = max(0, twos - n_octaves + 1)
    downsample = 2 ** min(count1, count2)
    # After early downsampling librosa scales the filters and lengths by the new rate.
    sr = sr / downsample
    lengths, _ = librosa.filters.wavelet_lengths(
        freqs=freqs, sr=sr, window="hann", filter_scale=1, gamma=0, alpha=alpha
    )
    my_sr, my_hop = sr, hop_length // downsample
    hop0 = my_hop

    # An octave's filters depend on its frequencies only relative to its sampling rate, and
    # halving both changes no bit of them: octaves with equal relative frequencies and
    # bandwidths (most of them) share one basis.
    shared = {}
    octaves = []
    for i in range(n_octaves):
        sl = slice(-n_filters, None) if i == 0 else slice(-n_filters * (i + 1), -n_filters * i)
        key = ((freqs[sl] / my_sr).tobytes(), alpha[sl].tobytes())
        if key not in shared:
            shared[key] = _octave_basis(freqs[sl], my_sr, alpha[sl])
        fft_basis, n_fft = shared[key]
        fft_basis = fft_basis.copy()
        fft_basis[:] *= np.sqrt(sr / my_sr)
        octaves.append((fft_basis, n_fft))
        if my_hop % 2 == 0:
            my_hop //= 2
            my_sr /= 2.0
    return _FilterBank(downsample, hop0, tuple(octaves), np.sqrt(lengths))


def _sparsify_rows(x, quantile, dtype):
    """``librosa.util.sparsify_rows``, equal output, without its row-by-row sparse assignments.

    Keeps in each row the largest-magnitude entries that hold all but `quantile` of the
    row's total magnitude.
    """
    mags = np.abs(x)
    norms = np.sum(mags, axis=1, keepdims=True)
    mag_sort = np.sort(mags, axis=1)
    cumulative = np.cumsum(mag_sort / norms, axis=1)
    threshold_idx = np.argmin(cumulative < quantile, axis=1)
    keep = mags >= mag_sort[np.arange(len(x)), threshold_idx][:, np.newaxis]
    return scipy.sparse.csr_matrix(np.where(keep, x, 0).astype(dtype))


def estimate_tuning(S: np.ndarray, *, sr: float, n_fft: int, bins_per_octave: int, fmin: float = 150.0,
                    fmax: float = 4000.0, threshold: float = 0.1, resolution: float = 0.01) -> float:
    """Tuning offset of a magnitude spectrogram, equal to ``librosa.estimate_tuning(S=S, ...)``.

    librosa's `piptrack` interpolates peaks over every frequency bin and then keeps those
    between `fmin` and `fmax`; this computes the same peaks on that band only (plus one
    neighbouring bin on each side, which the local-maximum test needs).

    Parameters
    ----------
    S : np.ndarray [shape=(1 + n_fft // 2, t)]
        Magnitude STFT.
    sr : int
    n_fft : int
    bins_per_octave : int
    fmin, fmax, threshold, resolution : float
        As in `librosa.piptrack` and `librosa.estimate_tuning`.

    Returns
    -------
    float
        Tuning in fractions of a bin, in [-0.5, 0.5).
    """
    freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    band = np.flatnonzero((max(fmin, 0) <= freqs) & (freqs < min(fmax, sr / 2)))
    lo, hi = max(band[0] - 1, 0), min(band[-1] + 2, S.shape[0])
    sub = S[lo:hi]
    ref = threshold * np.max(S, axis=0, keepdims=True)
    peaks = librosa.util.localmax(sub * (sub > ref), axis=0)
    inner = np.zeros(len(sub), dtype=bool)
    inner[band[0] - lo:band[-1] + 1 - lo] = True
    rows, cols = np.nonzero(peaks & inner[:, np.newaxis])
    shift = librosa.core.pitch._parabolic_interpolation(sub, axis=0)
    avg = np.gradient(sub, axis=0)
    # Stored in S's dtype, as piptrack's output arrays are.
    pitch = ((rows + lo + shift[rows, cols]) * float(sr) / n_fft).astype(S.dtype)
    mag = (sub[rows, cols] + 0.5 * avg[rows, cols] * shift[rows, cols]).astype(S.dtype)
    keep = pitch > 0
    cutoff = np.median(mag[keep]) if keep.any() else 0.0
    return librosa.pitch_tuning(pitch[keep & (mag >= cutoff)], resolution=resolution, bins_per_octave=bins_per_octave)
