"""Finding audio files in folders and decoding them to mono at a fixed rate."""

import os
import stat
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import soundfile as sf

from featurize._librosa import librosa
from moodclass.errors import AudioError, InputNotFoundError

#: File endings libsndfile decodes (read with soundfile).
SNDFILE_EXTENSIONS = frozenset({".mp3", ".wav", ".flac", ".ogg", ".oga", ".opus", ".aif", ".aiff", ".au"})
#: File endings libsndfile cannot read, decoded with the FFmpeg that PyAV bundles: AAC and ALAC in
#: MP4 (iTunes' and phones' .m4a, audiobooks' .m4b), raw AAC, WMA, Opus or Vorbis in WebM and
#: Matroska audio.
FFMPEG_EXTENSIONS = frozenset({".m4a", ".m4b", ".mp4", ".aac", ".alac", ".wma", ".asf", ".webm", ".mka", ".ac3"})
#: File endings handled as audio.
AUDIO_EXTENSIONS = SNDFILE_EXTENSIONS | FFMPEG_EXTENSIONS

RESAMPLER = "soxr_hq"


def find_audio(paths: Iterable[str | Path]) -> tuple[list[Path], int, list[Path]]:
    """Audio files under the given files or folders, sorted, as found (symbolic links not resolved).

    Parameters
    ----------
    paths : list of str or Path
        Files and folders; folders are searched recursively (see :func:`audio_under`).

    Returns
    -------
    files : list of Path
        Absolute paths of the audio files as found under `paths`, sorted, without duplicates.
    ignored : int
        Number of files skipped because their ending is not an audio one.
    unreadable : list of Path
        Folders under `paths` that could not be searched (no permission, a read error).

    Raises
    ------
    FileNotFoundError
        If one of `paths` does not exist.
    """
    files, ignored, unreadable = set(), 0, set()
    for p in paths:
        found, skipped, failed = audio_under(p)
        files.update(found)
        unreadable.update(failed)
        ignored += len(skipped)
    return sorted(files), ignored, sorted(unreadable)


def audio_under(path: str | Path) -> tuple[list[Path], list[Path], list[Path]]:
    """The audio files at or under one file or folder, the files skipped for their ending, and
    the folders that could not be searched.

    Symbolically linked folders are searched too, each real folder once, so a link that points
    back up the tree does not loop. A link to nothing is listed like any file (it then fails to
    load, with its reason). Hidden files and folders are passed over.

    Returns
    -------
    files : list of Path
        Absolute paths as found, sorted.
    skipped : list of Path
        Files whose ending is not an audio one, sorted.
    unreadable : list of Path
        Folders that could not be listed (no permission, a read error), sorted.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    """
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        raise InputNotFoundError(f"{p}: no such file or folder")
    if not p.is_dir():
        p = Path(os.path.abspath(p))
        return ([p], [], []) if p.suffix.lower() in AUDIO_EXTENSIONS else ([], [p], [])
    files, skipped, visited, unreadable = [], [], set(), []
    for dirpath, dirnames, filenames in os.walk(os.path.abspath(p), followlinks=True,
                                                onerror=lambda err: unreadable.append(Path(err.filename))):
        real = os.path.realpath(dirpath)
        if real in visited:  # a linked folder already searched: a loop, or two links to one folder
            dirnames[:] = []
            continue
        visited.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.startswith("."):
                is_audio = Path(name).suffix.lower() in AUDIO_EXTENSIONS
                (files if is_audio else skipped).append(Path(dirpath) / name)
    return sorted(files), sorted(skipped), sorted(unreadable)


def load_audio(path: str | Path, sr: int, *, min_duration: float = 0.0) -> np.ndarray:
    """Decode a file to mono float32 at `sr`, as ``librosa.load(path, sr=sr)`` does.

    Parameters
    ----------
    path : str or Path
    sr : int
        Target sampling rate; resampling uses soxr's high quality mode, librosa's default.
    min_duration : float
        Shortest clip accepted, in seconds.

    Returns
    -------
    np.ndarray [shape=(n,)], float32

    Raises
    ------
    AudioError
        With the reason: unreadable, empty, not decodable, too short or silent.
    """
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):  # a FIFO would block the run, a device never end
            raise AudioError("not a regular file (a pipe, socket or device): not read")
        if status.st_size == 0:
            raise AudioError("empty file (0 bytes)")
        if not os.access(path, os.R_OK):  # libsndfile would only say "System error"
            raise PermissionError
        if Path(os.fsdecode(path)).suffix.lower() in FFMPEG_EXTENSIONS:
            y, native_sr = _decode_with_ffmpeg(path)
        else:
            # As bytes: soundfile encodes a str as UTF-8, which fails for names that are not UTF-8.
            with _native_stderr_silenced(), sf.SoundFile(os.fsencode(path)) as f:
                native_sr = f.samplerate
                y = f.read(dtype="float32", always_2d=True)
    except PermissionError:
        raise AudioError("cannot read: permission denied; make the file readable (chmod +r)") from None
    except (sf.LibsndfileError, RuntimeError, ValueError) as err:
        raise AudioError(f"cannot decode: not audio in a supported format, or corrupt (libsndfile: {_libsndfile_reason(err)})") from None
    except OSError as err:
        raise AudioError(f"cannot read: {err.strerror or err}") from None
    if y.shape[0] == 0:
        raise AudioError("holds no audio samples")
    y = _mix_to_mono(y)
    if native_sr != sr:
        y = librosa.resample(y, orig_sr=native_sr, target_sr=sr, res_type=RESAMPLER)
    duration = len(y) / sr
    if duration < min_duration:
        raise AudioError(f"too short: {duration:.2f} s of audio (minimum {min_duration:g} s)")
    if not np.all(np.isfinite(y)):
        raise AudioError("decoded samples are not finite")
    if not np.any(y):
        raise AudioError("silent: every sample is zero")
    return y


def _decode_with_ffmpeg(path) -> tuple[np.ndarray, int]:
    """The first audio stream of `path`, ``(samples, channels)`` float32 at its own rate, decoded by
    the FFmpeg that PyAV bundles (every channel kept: mixed to mono as soundfile's are)."""
    import av

    try:
        with av.open(os.fsdecode(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioError("holds no audio stream")
            stream = container.streams.audio[0]
            # Planar float at the stream's own rate and layout: no resampling or mixing here.
            resampler = av.AudioResampler(format="fltp", layout=stream.layout, rate=stream.rate)
            parts = []
            for frame in container.decode(stream):
                parts += [f.to_ndarray() for f in resampler.resample(frame)]
            parts += [f.to_ndarray() for f in resampler.resample(None)]
            rate = stream.rate
    except av.FFmpegError as err:
        raise AudioError(f"cannot decode: not audio in a supported format, or corrupt (FFmpeg: {err.strerror or err})") \
            from None
    if not parts:
        return np.zeros((0, 1), np.float32), rate
    return np.ascontiguousarray(np.concatenate(parts, axis=1).T, dtype=np.float32), rate


@contextmanager
def _native_stderr_silenced():
    """Silence file descriptor 2 while decoding: libsndfile's MP3 decoder prints notes about
    damaged frames there ('Illegal Audio-MPEG-Header ...'); the failure reason we record says
    what matters."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _mix_to_mono(y):
    """Mean over channels, summed in channel order: for stereo (L + R) / 2, the same values as
    ``librosa.to_mono`` (a strided ``mean(axis=1)`` over interleaved channels is 20x slower)."""
    mono = y[:, 0].copy()
    for c in range(1, y.shape[1]):
        mono += y[:, c]
    if y.shape[1] > 1:
        mono /= np.float32(y.shape[1])
    return mono


def _libsndfile_reason(err):
    text = str(err)
    text = text.split(": ", 1)[-1].rstrip(".") if "Error opening" in text else text
    # libsndfile's MP3 probe reports undecodable data as a missing file; the file exists.
    return "no decodable audio stream" if "does not exist" in text else text
