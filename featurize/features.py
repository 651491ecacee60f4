"""Mood features of one clip: the settings, the presets, and each family's values summarised over time.

The families are defined in their domain modules (:mod:`featurize.spectral`, ``dynamics``,
``rhythm``, ``harmony``, ``melody``, ``texture``; see :mod:`featurize.family`), each from the
intermediates a :class:`featurize.clip.Clip` computes once. Where librosa defines a family, each value
equals what the corresponding librosa function computes from the audio with its default
parameters (``librosa.feature.tempogram(y=y, sr=sr)``, ...), chroma and tonnetz to about 1e-7
(``librosa.feature.chroma_cqt(y=y, sr=sr)``, ``librosa.feature.tonnetz(y=y, sr=sr)``; see
:mod:`featurize.cqt`): see ``tests/test_features.py``.
"""

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import scipy.stats

# Each domain module registers its families in FAMILIES when imported.
from featurize import dynamics, harmony, melody, rhythm, spectral, texture  # noqa: F401
from featurize.clip import Clip, ClipWindow
from featurize.family import FAMILIES
from moodclass.errors import UsageError

#: Bumped whenever a change alters the values of existing columns or the default set.
#: 2: the ``mood`` preset and its families; ``spectral`` computed from shared intermediates.
#: 3: ``contours`` joins the ``mood`` preset.
#: 4: ``chroma_patterns`` joins the ``mood`` preset.
#: 5: no vibrato or tremolo rate for a line that does not move (its value was rounding noise, and
#: could differ between machines).
FEATURE_SET_VERSION = 5

#: The six families the tool started with (``--features classic``).
CLASSIC_FAMILIES = ("chroma", "tonnetz", "tempogram", "contrast", "zcr", "rms")
#: The ``mood`` preset, the default: the classic six plus timbre, dynamics, texture, harmony,
#: melody and rhythm families (see the README's table for what each measures).
MOOD_FAMILIES = CLASSIC_FAMILIES + (
    "mfcc", "mfcc_delta", "spectral", "spectral_shape", "flatness_bands", "mel_bands",  # timbre and spectral shape
    "dynamics", "fluctuation", "tempo_ratio", "rhythm",  # dynamics and rhythm
    "texture", "roughness", "chords", "key", "chroma_patterns",  # texture, harmony ("intervals" lowered MIREX-like's)
    "melody", "melody_notes", "contours",  # melody, expressivity and the lines of the texture
)
DEFAULT_FAMILIES = MOOD_FAMILIES
#: Named sets of families that ``--features`` accepts besides family names ('all' is every family).
PRESETS = {"mood": MOOD_FAMILIES, "classic": CLASSIC_FAMILIES, "default": DEFAULT_FAMILIES}
DEFAULT_STATS = ("mean", "std")


def _shape_statistic(function, x):
    """Skew or kurtosis over frames; 0 for a (nearly) constant descriptor, where they are undefined."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        values = function(x, axis=1)
    return np.where(np.std(x, axis=1) > 1e-6 * (np.abs(np.mean(x, axis=1)) + 1e-12), np.nan_to_num(values), 0.0)


STATS = {
    "mean": lambda x: np.mean(x, axis=1),
    "std": lambda x: np.std(x, axis=1),
    "min": lambda x: np.min(x, axis=1),
    "max": lambda x: np.max(x, axis=1),
    "median": lambda x: np.median(x, axis=1),
    "skew": lambda x: _shape_statistic(scipy.stats.skew, x),
    "kurtosis": lambda x: _shape_statistic(scipy.stats.kurtosis, x),
    # Mean and std of the frame-to-frame change: how fast a descriptor moves.
    "dmean": lambda x: np.mean(np.abs(np.diff(x, axis=1)), axis=1),
    "dstd": lambda x: np.std(np.diff(x, axis=1), axis=1),
}


@dataclass(frozen=True)
class FeatureSettings:
    """Everything that determines the feature values; stored with every table and model.

    Parameters
    ----------
    sr : int
        Sampling rate the audio is resampled to.
    n_fft : int
        STFT window for the spectral families.
    hop_length : int
        Samples between frames, for every family.
    families : tuple of str
        Feature families to compute, names from :data:`FAMILIES`.
    stats : tuple of str
        Summaries over time of each frame-wise descriptor, names from :data:`STATS`.
    version : int
        :data:`FEATURE_SET_VERSION` of the code that computed the features.
    """

    sr: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    families: tuple = DEFAULT_FAMILIES
    stats: tuple = DEFAULT_STATS
    version: int = FEATURE_SET_VERSION

    def __post_init__(self):
        object.__setattr__(self, "families", tuple(self.families))
        object.__setattr__(self, "stats", tuple(self.stats))
        unknown = [f for f in self.families if f not in FAMILIES]
        if unknown or not self.families:
            raise UsageError(f"unknown feature families {unknown}; choose from {', '.join(FAMILIES)}")
        unknown = [s for s in self.stats if s not in STATS]
        if unknown or not self.stats:
            raise UsageError(f"unknown statistics {unknown}; choose from {', '.join(STATS)}")
        if self.sr < 8000 or self.hop_length <= 0 or self.n_fft < self.hop_length:
            raise UsageError(f"invalid sr/n_fft/hop_length: {self.sr}/{self.n_fft}/{self.hop_length}")

    def to_dict(self) -> dict:
        """Settings as a JSON-serialisable dict."""
        d = asdict(self)
        d["families"], d["stats"] = list(self.families), list(self.stats)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "FeatureSettings":
        """Settings from :meth:`to_dict`'s output.

        Parameters
        ----------
        d : dict

        Returns
        -------
        FeatureSettings
        """
        return cls(**d)

    def differences(self, other: "FeatureSettings") -> list[str]:
        """The settings in which `other` differs, as ``'name: ours vs theirs'`` strings.

        Parameters
        ----------
        other : FeatureSettings

        Returns
        -------
        list of str
        """
        a, b = self.to_dict(), other.to_dict()
        return [f"{k}: {a[k]} vs {b.get(k)}" for k in a if a[k] != b.get(k)]

    def columns(self) -> list[str]:
        """Names of the feature columns these settings produce, in table order."""
        return [name for name, _ in self._named_columns()]

    def column_families(self) -> list[str]:
        """The family of each column of :meth:`columns`."""
        return [family for _, family in self._named_columns()]

    def _named_columns(self):
        for fam in self.families:
            family = FAMILIES[fam]
            for c in family.coefficients:
                if family.frame_wise:
                    yield from ((f"{fam}_{c}_{s}", fam) for s in self.stats)
                else:
                    yield f"{fam}_{c}", fam


def extract_features(y: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """Feature vector of one mono clip.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)], float32
        Mono audio at ``settings.sr``.
    settings : FeatureSettings

    Returns
    -------
    np.ndarray [shape=(len(settings.columns()),)], float64
        Values in the order of ``settings.columns()``.
    """
    return clip_features(Clip(y, settings), settings)


def clip_features(clip: Clip, settings: FeatureSettings) -> np.ndarray:
    """Feature vector of a :class:`Clip` (or :class:`ClipWindow`); see :func:`extract_features`.

    Parameters
    ----------
    clip : Clip
    settings : FeatureSettings

    Returns
    -------
    np.ndarray [shape=(len(settings.columns()),)]
    """
    parts = []
    for name in settings.families:
        family = FAMILIES[name]
        values = family.compute(clip)
        if family.frame_wise:
            values = np.stack([STATS[s](values) for s in settings.stats], axis=1).ravel()
        parts.append(np.asarray(values, dtype=np.float64))
    return np.concatenate(parts)


def window_starts(duration: float, *, window: float, hop: float) -> np.ndarray:
    """Start times (s) of `window`-second windows every `hop` seconds over `duration` seconds.

    The last window ends at the end of the clip, so the tail is covered; a clip shorter than
    one window is one window.

    Parameters
    ----------
    duration : float
        Seconds.
    window, hop : float
        Seconds.

    Returns
    -------
    np.ndarray
    """
    if window <= 0 or hop <= 0:
        raise ValueError(f"window and hop must be positive, not {window} and {hop}")
    if duration <= window:
        return np.zeros(1)
    starts = np.arange(0.0, duration - window + 1e-9, hop)
    if starts[-1] + window < duration - 1e-9:
        starts = np.append(starts, duration - window)
    return starts


def window_features(clip: Clip, settings: FeatureSettings, *, window: float,
                    hop: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature vectors of overlapping windows of a clip, from one pass of its intermediates.

    Parameters
    ----------
    clip : Clip
        The whole clip; its intermediates are computed once (or reused) and sliced.
    settings : FeatureSettings
    window, hop : float
        Window length and the step between window starts, in seconds.

    Returns
    -------
    starts, ends : np.ndarray [shape=(w,)]
        Each window's start and end, seconds (see :func:`window_starts`).
    X : np.ndarray [shape=(w, len(settings.columns()))]
        Each window's features, as :func:`extract_features` gives a clip's (see :class:`ClipWindow`).
    """
    duration = len(clip.y) / clip.sr
    starts = window_starts(duration, window=window, hop=hop)
    ends = np.minimum(starts + window, duration)
    X = np.array([clip_features(ClipWindow(clip, round(a * clip.fps), round(b * clip.fps)), settings)
                  for a, b in zip(starts, ends)])
    return starts, ends, X
