"""Texture: how many pitched layers sound at once (CQT peaks), and how much of the energy is harmonic."""

import numpy as np
import scipy.ndimage

from featurize.clip import CHROMA_BINS_PER_OCTAVE, MELODY_BINS
from featurize.family import EPS, family
from featurize.filters import median_filter_rows


def pitched_layers(C: np.ndarray, *, bins_per_octave: int, threshold_db: float = -24.0, first_bin: int = 0,
                   stop_bin: int | None = None) -> np.ndarray:
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
    first_bin, stop_bin : int
        Range of bins searched.

    Returns
    -------
    np.ndarray [shape=(1, t)]
    """
    X = np.asarray(C[first_bin:stop_bin], dtype=np.float64)
    width = max(1, bins_per_octave // 18)  # two neighbours each side at 36 bins per octave
    local_max = scipy.ndimage.maximum_filter1d(X, size=2 * width + 1, axis=0, mode="constant")
    frame_max = X.max(axis=0)
    strong = X >= frame_max * 10 ** (threshold_db / 20)
    count = ((X == local_max) & strong & (X > 0)).sum(axis=0).astype(np.float64)
    count[frame_max < X.max() * 1e-3] = 0.0
    return count[np.newaxis, :]


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
    harmonic = median_filter_rows(X, kernel, mode="reflect")
    percussive = median_filter_rows(X.T, kernel, mode="reflect").T
    h2, p2 = np.square(harmonic, dtype=np.float64), np.square(percussive, dtype=np.float64)
    mask = np.divide(h2, h2 + p2, out=np.full_like(h2, 0.5), where=(h2 + p2) > 0)
    return ((X * mask).sum(axis=0) / (X.sum(axis=0) + EPS))[np.newaxis, :]


@family("texture", coefficients=("layers", "harmonic"),
        reference="Panda, Malheiro & Paiva (2018) (musical layers); Fitzgerald (2010), Harmonic/percussive "
                  "separation using median filtering")
def _texture(clip):
    """simultaneous pitched layers (CQT peaks), harmonic share of energy (HPSS)"""
    return np.vstack([
        pitched_layers(clip.cqt, bins_per_octave=CHROMA_BINS_PER_OCTAVE, first_bin=MELODY_BINS[0],
                       stop_bin=MELODY_BINS[1] + 2 * CHROMA_BINS_PER_OCTAVE),
        harmonic_share(clip.mel_power),
    ])
