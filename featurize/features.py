"""Mood features of one clip: named families of frame-wise descriptors, summarised over time.

Every family is computed from intermediates that are shared and computed once per clip:
one magnitude STFT (spectral shape and contrast, tuning estimate, mel spectrogram, HPSS on
the mel spectrogram), one constant-Q transform (chroma, tonnetz, key, chords, pitched layers,
and through one pitch salience the melody and the pitch contours), one onset envelope
(tempogram and rhythm).  The descriptors librosa does not define are in
:mod:`featurize.descriptors`.  Where librosa defines a family, each value
equals what the corresponding librosa function computes from the audio with its default
parameters (``librosa.feature.tempogram(y=y, sr=sr)``, ...), chroma and tonnetz to about 1e-7
(``librosa.feature.chroma_cqt(y=y, sr=sr)``, ``librosa.feature.tonnetz(y=y, sr=sr)``; see
:mod:`featurize.cqt`): see ``tests/test_features.py``.
"""

import warnings
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache

import librosa
import numpy as np
import scipy.stats

from featurize import descriptors
from featurize.cqt import cqt_magnitude, estimate_tuning
from moodclass.errors import UsageError

#: Bumped whenever a change alters the values of existing columns or the default set.
#: 2: the ``mood`` preset and its families; ``spectral`` computed from shared intermediates.
#: 3: ``contours`` joins the ``mood`` preset.
#: 4: ``chroma_patterns`` joins the ``mood`` preset.
FEATURE_SET_VERSION = 4

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

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
TONNETZ_AXES = ("fifth_x", "fifth_y", "minor_x", "minor_y", "major_x", "major_y")
CHROMA_BINS_PER_OCTAVE = 36
CHROMA_OCTAVES = 7
TEMPOGRAM_WIN = 384
N_MFCC = 20
CONTRAST_BANDS = 6
MEL_GROUPS = 16
#: Lower edges of spectral contrast's octave bands (Hz), the last band reaching the Nyquist frequency.
OCTAVE_EDGES = (0.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 6400.0)
#: Candidate melody pitches, in bins of the 36-per-octave CQT from C1: G#2 (104 Hz) to G#5 (831 Hz),
#: leaving room for the fifth harmonic within its 7 octaves.
MELODY_BINS = (60, 168)
#: Candidate pitches of the pitch salience, an octave below the melody's too (G#1, 52 Hz), for the
#: contours of every line, bass included.
SALIENCE_BINS = (MELODY_BINS[0] - CHROMA_BINS_PER_OCTAVE, MELODY_BINS[1])
TEMPO_RATIOS = (4, 8 / 3, 3, 2, 4 / 3, 3 / 2, 1, 2 / 3, 3 / 4, 1 / 2, 1 / 3, 3 / 8, 1 / 4)

# Krumhansl-Kessler key profiles, C major and C minor.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


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
        """Settings from :meth:`to_dict`'s output."""
        return cls(**d)

    def differences(self, other: "FeatureSettings") -> list[str]:
        """The settings in which `other` differs, as ``'name: ours vs theirs'`` strings."""
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


class Clip:
    """A mono clip and its shared intermediates, each computed at most once.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)], float32
        Mono audio at ``settings.sr``.
    settings : FeatureSettings
    """

    def __init__(self, y, settings):
        self.y = y
        self.sr = settings.sr
        self.n_fft = settings.n_fft
        self.hop = settings.hop_length

    @cached_property
    def stft_magnitude(self):
        return np.abs(librosa.stft(self.y, n_fft=self.n_fft, hop_length=self.hop))

    @cached_property
    def tuning(self):
        # Same as chroma_cqt's own estimate_tuning(y=y), from the shared STFT.
        return estimate_tuning(self.stft_magnitude, sr=self.sr, n_fft=self.n_fft, bins_per_octave=CHROMA_BINS_PER_OCTAVE)

    @cached_property
    def fps(self):
        """Frames per second."""
        return self.sr / self.hop

    @cached_property
    def stft_power(self):
        """``|STFT|**2``, squared once for the mel spectrogram and the spectral descriptors."""
        return self.stft_magnitude ** 2.0

    @cached_property
    def stft_log_power(self):
        """``log(max(|STFT|**2, 1e-10))`` in single precision, shared by the flatness and entropy descriptors."""
        return np.log(np.maximum(self.stft_power, 1e-10).astype(np.float32))

    @cached_property
    def stft_freqs(self):
        return librosa.fft_frequencies(sr=self.sr, n_fft=self.n_fft)

    @cached_property
    def cqt(self):
        """Constant-Q magnitude, 7 octaves from C1 at 36 bins per octave, tuned (chroma_cqt's)."""
        return cqt_magnitude(
            self.y, sr=self.sr, hop_length=self.hop, n_bins=CHROMA_OCTAVES * CHROMA_BINS_PER_OCTAVE,
            bins_per_octave=CHROMA_BINS_PER_OCTAVE, tuning=self.tuning,
        )

    @cached_property
    def chroma(self):
        return librosa.feature.chroma_cqt(
            C=self.cqt, sr=self.sr, hop_length=self.hop, bins_per_octave=CHROMA_BINS_PER_OCTAVE,
            n_octaves=CHROMA_OCTAVES,
        )

    @cached_property
    def mel_power(self):
        # melspectrogram(y=y) with fmax=sr/2: what onset_strength(y=y) and mfcc(y=y) use.
        return np.einsum("...ft,mf->...mt", self.stft_power, _mel_basis(self.sr, self.n_fft), optimize=True)

    @cached_property
    def mel_db(self):
        return librosa.power_to_db(self.mel_power)

    @cached_property
    def mfcc(self):
        return librosa.feature.mfcc(S=self.mel_db, n_mfcc=N_MFCC)

    @cached_property
    def rms(self):
        return librosa.feature.rms(y=self.y, frame_length=self.n_fft, hop_length=self.hop)

    @cached_property
    def onset_envelope(self):
        return librosa.onset.onset_strength(S=self.mel_db, sr=self.sr, n_fft=self.n_fft, hop_length=self.hop)

    @cached_property
    def pitch_salience(self):
        """:func:`descriptors.harmonic_salience` of the candidate pitches of :data:`SALIENCE_BINS`, from the CQT."""
        return descriptors.harmonic_salience(self.cqt, bins_per_octave=CHROMA_BINS_PER_OCTAVE,
                                             fmin_bin=SALIENCE_BINS[0], fmax_bin=SALIENCE_BINS[1])

    @cached_property
    def melody_contour(self):
        """``(pitch, salience)``: predominant pitch per frame in semitones above C1 (NaN where
        unvoiced), and its salience, from the salience of the :data:`MELODY_BINS`."""
        pitch, salience = descriptors.melody_contour(self.pitch_salience[MELODY_BINS[0] - SALIENCE_BINS[0]:],
                                                     first_bin=MELODY_BINS[0])
        return pitch * 12.0 / CHROMA_BINS_PER_OCTAVE, salience

    @cached_property
    def tempogram(self):
        return librosa.feature.tempogram(
            onset_envelope=self.onset_envelope, sr=self.sr, hop_length=self.hop, win_length=TEMPOGRAM_WIN
        )


def _sliced(name):
    """A property giving frames ``[start, stop)`` of the whole clip's intermediate `name`."""
    return property(lambda self: getattr(self.clip, name)[..., self.start:self.stop],
                    doc=f"The whole clip's ``{name}``, frames ``[start, stop)``.")


class ClipWindow(Clip):
    """Frames ``[start, stop)`` of a :class:`Clip`, analysed like a clip of its own.

    Its intermediates are the whole clip's, sliced: the windows of a file share one STFT, one
    CQT and one onset envelope, computed once. Each frame of these depends only on the audio
    around it, so a window's frames are those a separate analysis of its audio would give,
    except near its edges, where the neighbouring audio stands in for padding: within half an
    FFT, and for the tempogram within its 384-frame autocorrelation window (about 9 s).

    Parameters
    ----------
    clip : Clip
    start, stop : int
        Frame range.
    """

    def __init__(self, clip, start, stop):
        self.y = clip.y[start * clip.hop:stop * clip.hop]
        self.sr, self.n_fft, self.hop = clip.sr, clip.n_fft, clip.hop
        self.clip, self.start, self.stop = clip, start, stop

    tuning = property(lambda self: self.clip.tuning, doc="The whole clip's tuning estimate.")
    stft_magnitude = _sliced("stft_magnitude")
    stft_power = _sliced("stft_power")
    stft_log_power = _sliced("stft_log_power")
    cqt = _sliced("cqt")
    pitch_salience = _sliced("pitch_salience")
    chroma = _sliced("chroma")
    mel_power = _sliced("mel_power")
    mel_db = _sliced("mel_db")
    mfcc = _sliced("mfcc")
    rms = _sliced("rms")
    onset_envelope = _sliced("onset_envelope")
    tempogram = _sliced("tempogram")


def zero_crossing_rate(y: np.ndarray, frame_length: int, hop_length: int, threshold: float = 1e-10) -> np.ndarray:
    """``librosa.feature.zero_crossing_rate(y, frame_length=..., hop_length=...)``, equal values.

    librosa tests every sample pair once per frame that holds it (four times with the
    default hop); this tests each pair once and counts per frame with a cumulative sum.
    """
    padded = np.pad(y, frame_length // 2, mode="edge")
    # Samples within the threshold count as zero, and zero as positive.
    negative = np.signbit(np.where(np.abs(padded) <= np.float64(threshold), 0, padded))
    crossed = np.concatenate([[0], np.cumsum(negative[1:] != negative[:-1])])
    starts = np.arange(1 + (len(padded) - frame_length) // hop_length) * hop_length
    return ((crossed[starts + frame_length - 1] - crossed[starts]) / frame_length)[np.newaxis, :]


@lru_cache(maxsize=8)
def _mel_basis(sr, n_fft):
    return librosa.filters.mel(sr=sr, n_fft=n_fft, fmax=0.5 * sr)


@dataclass(frozen=True)
class Family:
    """A named group of descriptors.

    `compute` maps a :class:`Clip` to a 2-D array (coefficients x frames) when `frame_wise`
    (then summarised by the chosen statistics), or to a 1-D array of clip-level values;
    `coefficients` names its rows (or values).
    """

    compute: object
    coefficients: tuple
    frame_wise: bool = True
    description: str = ""


def _key_strengths(clip):
    """Correlation of the mean chroma with the 24 major and minor key profiles."""
    profile = np.mean(clip.chroma, axis=1)
    if np.ptp(profile) == 0:
        return np.zeros(4)
    major = [np.corrcoef(profile, np.roll(_MAJOR_PROFILE, k))[0, 1] for k in range(12)]
    minor = [np.corrcoef(profile, np.roll(_MINOR_PROFILE, k))[0, 1] for k in range(12)]
    best_major, best_minor = max(major), max(minor)
    all_keys = np.sort(np.concatenate([major, minor]))
    return np.array([max(best_major, best_minor), best_major - best_minor, all_keys[-1] - all_keys[-2],
                     float(best_major >= best_minor)])


def _rhythm(clip):
    """Tempo, pulse clarity and onset density from the onset envelope and tempogram."""
    oenv = clip.onset_envelope
    tempo = librosa.feature.tempo(onset_envelope=oenv, sr=clip.sr, hop_length=clip.hop)[0]
    mean_tg = np.mean(clip.tempogram[1:], axis=1)  # lag 0 is 1 by normalisation
    onsets = librosa.onset.onset_detect(onset_envelope=oenv, sr=clip.sr, hop_length=clip.hop)
    seconds = len(clip.y) / clip.sr
    return np.array([tempo, np.max(mean_tg), np.mean(mean_tg), len(onsets) / seconds, np.mean(oenv), np.std(oenv)])


FAMILIES = {
    "chroma": Family(lambda c: c.chroma, PITCH_CLASSES, description="chroma-CQT, 12 pitch classes"),
    "tonnetz": Family(
        lambda c: librosa.feature.tonnetz(chroma=c.chroma), TONNETZ_AXES,
        description="tonal centroids (fifths, minor and major thirds)",
    ),
    "tempogram": Family(
        lambda c: c.tempogram, tuple(f"lag{k:03d}" for k in range(TEMPOGRAM_WIN)),
        description=f"onset autocorrelation tempogram, {TEMPOGRAM_WIN} lags",
    ),
    "contrast": Family(
        lambda c: librosa.feature.spectral_contrast(S=c.stft_magnitude, sr=c.sr),
        tuple(f"band{k}" for k in range(CONTRAST_BANDS + 1)),
        description="spectral contrast in 7 octave bands",
    ),
    "zcr": Family(
        lambda c: zero_crossing_rate(c.y, frame_length=c.n_fft, hop_length=c.hop),
        ("rate",), description="zero-crossing rate",
    ),
    "rms": Family(lambda c: c.rms, ("energy",), description="root-mean-square energy"),
    "mfcc": Family(lambda c: c.mfcc, tuple(f"{k:02d}" for k in range(N_MFCC)), description=f"{N_MFCC} MFCCs"),
    "mfcc_delta": Family(
        lambda c: librosa.feature.delta(c.mfcc), tuple(f"{k:02d}" for k in range(N_MFCC)),
        description=f"first derivative of the {N_MFCC} MFCCs over time (librosa.feature.delta)",
    ),
    "spectral": Family(
        lambda c: descriptors.spectral_basic(c.stft_magnitude, c.stft_freqs, power=c.stft_power,
                                             log_power=c.stft_log_power),
        ("centroid", "bandwidth", "rolloff", "flatness"),
        description="spectral centroid, bandwidth, rolloff and flatness",
    ),
    "tempo_ratio": Family(
        lambda c: descriptors.tempogram_ratio(
            c.tempogram, librosa.tempo_frequencies(len(c.tempogram), sr=c.sr, hop_length=c.hop),
            librosa.feature.tempo(tg=c.tempogram, sr=c.sr, hop_length=c.hop, aggregate=None), np.array(TEMPO_RATIOS),
        ),
        tuple(f"r{k:02d}" for k in range(len(TEMPO_RATIOS))),
        description="tempogram ratio at 13 metrical factors of the local tempo",
    ),
    "rhythm": Family(
        _rhythm, ("tempo", "pulse_clarity", "pulse_mean", "onset_rate", "onset_mean", "onset_std"),
        frame_wise=False, description="tempo, pulse clarity, onset density",
    ),
    "key": Family(
        _key_strengths, ("clarity", "mode", "margin", "is_major"),
        frame_wise=False, description="key clarity and major/minor mode",
    ),
    "spectral_shape": Family(
        lambda c: descriptors.spectral_shape(c.stft_magnitude, c.stft_freqs, power=c.stft_power,
                                             log_power=c.stft_log_power),
        ("skewness", "kurtosis", "entropy", "flux", "brightness", "slope", "crest"),
        description="spectral skewness, kurtosis, entropy, flux, brightness (>1.5 kHz), slope, crest",
    ),
    "flatness_bands": Family(
        lambda c: descriptors.band_flatness(c.stft_power, c.stft_freqs, OCTAVE_EDGES + (c.sr / 2 + 1,),
                                           log_power=c.stft_log_power),
        tuple(f"band{k}" for k in range(len(OCTAVE_EDGES))),
        description="spectral flatness in 7 octave bands (spectral contrast's)",
    ),
    "mel_bands": Family(
        lambda c: descriptors.band_power_db(c.mel_power, MEL_GROUPS), tuple(f"band{k:02d}" for k in range(MEL_GROUPS)),
        description=f"power of {MEL_GROUPS} groups of mel bands, dB: the average power spectrum",
    ),
    "dynamics": Family(
        lambda c: descriptors.dynamics(c.rms[0], c.fps),
        ("mean_db", "std_db", "p05", "p50", "p95", "range", "quiet_share", "long_term_std"),
        frame_wise=False, description="loudness in dB: level, percentiles, range, share of quiet frames, 1-s variation",
    ),
    "fluctuation": Family(
        lambda c: descriptors.fluctuation(np.mean(c.mel_db, axis=0), c.fps),
        ("peak_hz", "peak", "centroid_hz", "strength"),
        frame_wise=False, description="fluctuation strength: loudness modulation 0.5-10 Hz",
    ),
    "texture": Family(
        lambda c: np.vstack([
            descriptors.pitched_layers(c.cqt, bins_per_octave=CHROMA_BINS_PER_OCTAVE,
                                       lowest_bin=MELODY_BINS[0], highest_bin=MELODY_BINS[1] + 2 * CHROMA_BINS_PER_OCTAVE),
            descriptors.harmonic_share(c.mel_power),
        ]),
        ("layers", "harmonic"), description="simultaneous pitched layers (CQT peaks), harmonic share of energy (HPSS)",
    ),
    "intervals": Family(
        lambda c: descriptors.interval_content(c.chroma), ("m2", "M2", "m3", "M3", "P4", "TT"),
        description="interval content of the chroma: minor second ... tritone",
    ),
    "roughness": Family(
        lambda c: descriptors.roughness(c.stft_magnitude, c.stft_freqs), ("sethares",),
        description="sensory dissonance of the spectral peaks (Plomp-Levelt, Sethares)",
    ),
    "chords": Family(
        lambda c: descriptors.chords(c.chroma, c.fps), ("change_rate", "strength", "major_share", "vocabulary", "hcdf"),
        frame_wise=False, description="chord changes per second, triad clarity, major share, vocabulary, harmonic change",
    ),
    "chroma_patterns": Family(
        lambda c: descriptors.chroma_patterns(c.chroma, c.fps),
        tuple(f"k{k:+d}_l{m}" for k in range(-6, 6) for m in range(9)), frame_wise=False,
        description="recurring harmonic patterns in any key: 2-D Fourier transform magnitude of 8-s chroma patches "
                    "(pitch-class frequency k by time frequency l)",
    ),
    "melody": Family(
        lambda c: descriptors.melody(*c.melody_contour, c.fps),
        ("pitch_mean", "pitch_std", "pitch_range", "voiced_share", "note_rate", "note_length", "vibrato_rate",
         "vibrato_extent", "vibrato_share", "tremolo_rate", "tremolo_extent", "glissando"),
        frame_wise=False, description="predominant pitch contour: range, voicing, note density, vibrato, tremolo, glissando",
    ),
    "melody_notes": Family(
        lambda c: descriptors.melody_notes(*c.melody_contour, c.fps),
        ("interval_mean", "interval_std", "steps", "leaps", "ascending", "repeats", "duration_cv", "duration_median",
         "pitch_skew", "pitch_kurtosis", "rising", "falling", "pitch_class_entropy", "prominence", "salience_std",
         "phrase_breaks"),
        frame_wise=False,
        description="the melody's notes: interval sizes and direction, steps and leaps, note lengths, contour, "
                    "pitch-class entropy, prominence, phrasing",
    ),
    "contours": Family(
        lambda c: descriptors.contours(c.pitch_salience, c.fps, bins_per_octave=CHROMA_BINS_PER_OCTAVE,
                                       first_bin=SALIENCE_BINS[0]),
        ("rate", "layers", "polyphonic", "silent", "length_mean", "length_std", "length_p90", "wobble_mean",
         "wobble_std", "wobble_weighted", "pitch_mean", "pitch_spread", "pitch_weighted", "pitch_range",
         "salience_mean", "salience_std", "weight_std", "vibrato_share", "vibrato_rate", "vibrato_extent",
         "rising", "falling", "arch", "valley", "slope"),
        frame_wise=False,
        description="every pitched line (contours of the salience peaks): how many at once, their length, "
                    "wobble, register, vibrato and shape",
    ),
}


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
    """Feature vector of a :class:`Clip` (or :class:`ClipWindow`); see :func:`extract_features`."""
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
