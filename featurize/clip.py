"""One clip and the intermediates its families share, each computed at most once.

One magnitude STFT (spectral shape and contrast, the tuning estimate, the mel spectrogram
and the harmonic/percussive split on it), one constant-Q transform (chroma, tonnetz, key,
chords, pitched layers, and through one pitch salience the melody and the pitch contours),
one onset envelope (tempogram and rhythm). A family asks the :class:`Clip` for what it needs;
a :class:`ClipWindow` answers with the whole clip's intermediates, sliced.
"""

from functools import cached_property, lru_cache

import numpy as np

from featurize._librosa import librosa
from featurize.cqt import cqt_magnitude, estimate_tuning
from featurize.pitch import harmonic_salience, melody_contour

#: The CQT's resolution and range: 36 bins per octave, 7 octaves from C1 (chroma_cqt's).
CHROMA_BINS_PER_OCTAVE = 36
CHROMA_OCTAVES = 7
#: Frames of the tempogram's onset autocorrelation window (librosa's default, about 9 s).
TEMPOGRAM_WIN = 384
N_MFCC = 20
#: Candidate melody pitches, in bins of the 36-per-octave CQT from C1: G#2 (104 Hz) to G#5 (831 Hz),
#: leaving room for the fifth harmonic within its 7 octaves.
MELODY_BINS = (60, 168)
#: Candidate pitches of the pitch salience, an octave below the melody's too (G#1, 52 Hz), for the
#: contours of every line, bass included.
SALIENCE_BINS = (MELODY_BINS[0] - CHROMA_BINS_PER_OCTAVE, MELODY_BINS[1])


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
        self.hop_length = settings.hop_length

    @cached_property
    def stft_magnitude(self):
        return np.abs(librosa.stft(self.y, n_fft=self.n_fft, hop_length=self.hop_length))

    @cached_property
    def tuning(self):
        # Same as chroma_cqt's own estimate_tuning(y=y), from the shared STFT.
        return estimate_tuning(self.stft_magnitude, sr=self.sr, n_fft=self.n_fft, bins_per_octave=CHROMA_BINS_PER_OCTAVE)

    @cached_property
    def fps(self):
        """Frames per second."""
        return self.sr / self.hop_length

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
            self.y, sr=self.sr, hop_length=self.hop_length, n_bins=CHROMA_OCTAVES * CHROMA_BINS_PER_OCTAVE,
            bins_per_octave=CHROMA_BINS_PER_OCTAVE, tuning=self.tuning,
        )

    @cached_property
    def chroma(self):
        return librosa.feature.chroma_cqt(
            C=self.cqt, sr=self.sr, hop_length=self.hop_length, bins_per_octave=CHROMA_BINS_PER_OCTAVE,
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
        return librosa.feature.rms(y=self.y, frame_length=self.n_fft, hop_length=self.hop_length)

    @cached_property
    def onset_envelope(self):
        return librosa.onset.onset_strength(S=self.mel_db, sr=self.sr, n_fft=self.n_fft, hop_length=self.hop_length)

    @cached_property
    def pitch_salience(self):
        """:func:`featurize.pitch.harmonic_salience` of the candidate pitches of :data:`SALIENCE_BINS`, from the CQT."""
        return harmonic_salience(self.cqt, bins_per_octave=CHROMA_BINS_PER_OCTAVE,
                                 first_bin=SALIENCE_BINS[0], stop_bin=SALIENCE_BINS[1])

    @cached_property
    def melody_contour(self):
        """``(pitch, salience)``: predominant pitch per frame in semitones above C1 (NaN where
        unvoiced), and its salience, from the salience of the :data:`MELODY_BINS`."""
        pitch, salience = melody_contour(self.pitch_salience[MELODY_BINS[0] - SALIENCE_BINS[0]:],
                                         first_bin=MELODY_BINS[0])
        return pitch * 12.0 / CHROMA_BINS_PER_OCTAVE, salience

    @cached_property
    def tempogram(self):
        return librosa.feature.tempogram(
            onset_envelope=self.onset_envelope, sr=self.sr, hop_length=self.hop_length, win_length=TEMPOGRAM_WIN
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
        self.y = clip.y[start * clip.hop_length:stop * clip.hop_length]
        self.sr, self.n_fft, self.hop_length = clip.sr, clip.n_fft, clip.hop_length
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


@lru_cache(maxsize=8)
def _mel_basis(sr, n_fft):
    return librosa.filters.mel(sr=sr, n_fft=n_fft, fmax=0.5 * sr)
