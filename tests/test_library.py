"""Moods into a music library: tags written into real MP3, FLAC, Ogg, M4A and WAV files without
touching their audio, mood playlists read back by a real M3U8 parser, AAC decoded by PyAV, and
inputs that are not music said to be so."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import av
import m3u8
import mutagen
import numpy as np
import pytest
import soundfile as sf
from conftest import without_dac

from classify.__main__ import main as classify_main
from classify.model import DEFAULT_MODEL, MoodModel
from featurize.audio import load_audio
from featurize.features import extract_features

EMOTIFY = Path(__file__).resolve().parents[2] / "shared" / "data" / "emotify" / "audio"
MUSIC = [EMOTIFY / "rock" / "101.mp3", EMOTIFY / "classical" / "001.mp3"]
SR = 44100

pytestmark = pytest.mark.skipif(not MUSIC[0].is_file(), reason="needs the Emotify clips in ../shared/data")


def encode(y: np.ndarray, sr: int, path: Path, codec: str, *, bit_rate: int = 192000) -> Path:
    """Encode mono float32 `y` with PyAV's FFmpeg, in the container `path`'s ending names."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=sr, layout="mono")
        stream.bit_rate = bit_rate
        for i in range(0, len(y), 1024):
            frame = av.AudioFrame.from_ndarray(y[None, i:i + 1024], format="fltp", layout="mono")
            frame.sample_rate, frame.pts = sr, i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def audio_packets(path: Path) -> str:
    """A hash of the audio stream's packets as FFmpeg demuxes them: the audio, byte for byte."""
    digest = hashlib.sha256()
    with av.open(str(path)) as container:
        for packet in container.demux(container.streams.audio[0]):
            digest.update(bytes(packet))
    return digest.hexdigest()


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """Two real songs in five formats each (the MP3 as it is, the others made from its decode)."""
    root = tmp_path_factory.mktemp("library")
    for k, src in enumerate(MUSIC):
        y = load_audio(src, SR)
        shutil.copy(src, root / f"song{k}.mp3")
        sf.write(root / f"song{k}.flac", y, SR)
        sf.write(root / f"song{k}.ogg", y, SR)
        sf.write(root / f"song{k}.wav", y, SR)
        encode(y, SR, root / f"song{k}.m4a", "aac")
    return root


def test_tags_hold_the_mood_and_the_audio_stream_stays_byte_identical(library, tmp_path, capsys):
    music = tmp_path / "music"
    shutil.copytree(library, music)
    before = {p.name: audio_packets(p) for p in music.iterdir()}
    samples = {p.name: sf.read(p)[0] for p in music.iterdir() if p.suffix != ".m4a"}
    assert classify_main(["tag", str(music), "-q", "-j", "2"]) == 0
    assert "tagged 10 files" in capsys.readouterr().out
    for p in music.iterdir():
        assert audio_packets(p) == before[p.name], p.name
        if p.suffix != ".m4a":
            np.testing.assert_array_equal(sf.read(p)[0], samples[p.name])
        tags = mutagen.File(p).tags
        if p.suffix in (".mp3", ".wav"):  # ID3v2.4: the standard mood frame and AcousticBrainz's names
            mood, sad = str(tags["TMOO"]), float(str(tags["TXXX:mood_sad"]))
        elif p.suffix == ".m4a":
            mood = bytes(tags["----:com.apple.iTunes:MOOD"][0]).decode()
            sad = float(bytes(tags["----:com.apple.iTunes:MOOD_SAD"][0]).decode())
        else:  # Vorbis comments (FLAC, Ogg)
            mood, sad = tags["MOOD"][0], float(tags["MOOD_SAD"][0])
        assert mood.split()[0] in ("Q1", "Q2", "Q3", "Q4") and 0 <= sad <= 1, (p.name, mood)
    from classify.tags import read_mood_tags

    for k in range(len(MUSIC)):  # the same song in five formats: one quadrant
        quadrants = {p.suffix: read_mood_tags(p)["mood_quadrant"] for p in music.glob(f"song{k}.*")}
        assert len(set(quadrants.values())) == 1, quadrants


def test_a_dry_run_writes_nothing_and_a_second_run_skips_what_is_tagged(library, tmp_path, capsys):
    music = tmp_path / "music"
    music.mkdir()
    for name in ("song0.flac", "song1.m4a"):
        shutil.copy(library / name, music / name)
    raw = {p.name: p.read_bytes() for p in music.iterdir()}
    assert classify_main(["tag", str(music), "--dry-run", "-q"]) == 0
    out = capsys.readouterr().out
    assert "song0.flac: mood: - -> Q" in out and "would tag 2 files" in out
    assert {p.name: p.read_bytes() for p in music.iterdir()} == raw  # nothing written
    assert classify_main(["tag", str(music), "-q"]) == 0
    tagged = {p.name: p.read_bytes() for p in music.iterdir()}
    assert classify_main(["tag", str(music), "-q"]) == 0
    assert "tagged 0 files" in capsys.readouterr().out.splitlines()[-1]
    assert {p.name: p.read_bytes() for p in music.iterdir()} == tagged  # skipped: untouched
    assert classify_main(["tag", str(music), "-q", "--force"]) == 0
    assert "tagged 2 files" in capsys.readouterr().out


def test_a_file_that_cannot_be_tagged_gets_its_line_and_stays_as_it_was(library, tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    shutil.copy(library / "song0.flac", music / "good.flac")
    shutil.copy(library / "song0.flac", music / "readonly.flac")
    (music / "readonly.flac").chmod(0o444)
    sf.write(music / "plain.au", sf.read(library / "song1.wav")[0], SR)  # AU holds no tags
    damaged = bytearray((library / "song1.mp3").read_bytes())
    damaged[:10] = b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f"  # an ID3 header claiming more than the file holds
    (music / "damaged.mp3").write_bytes(bytes(damaged))
    before = {p.name: p.read_bytes() for p in music.iterdir()}
    done = subprocess.run([sys.executable, "-m", "classify", "tag", str(music), "-q"], capture_output=True, text=True,
                          timeout=300, preexec_fn=without_dac)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("FAILED") and "readonly.flac" in line and "read-only" in line for line in lines)
    assert any(line.startswith("FAILED") and "plain.au" in line and "holds no tags" in line for line in lines)
    assert any(line.startswith("FAILED") and "damaged.mp3" in line for line in lines), done.stdout
    assert "Traceback" not in done.stderr and "tagged 1 files" in done.stdout
    for name, data in before.items():
        if name != "good.flac":
            assert (music / name).read_bytes() == data, name
    assert not [p for p in music.iterdir() if p.name.startswith(".")], "temporary copies left behind"


def test_playlists_open_in_a_real_m3u8_parser_clearest_first(library, tmp_path, capsys):
    music = tmp_path / "Musik für mich"
    music.mkdir()
    for k in range(2):
        shutil.copy(library / f"song{k}.mp3", music / f"Lied {k} – ç.mp3")
    lists = tmp_path / "lists"
    assert classify_main(["predict", str(music), "-q", "--format", "json", "--playlists", str(lists)]) == 0
    moods = {Path(r["path"]).name: r for r in json.loads(capsys.readouterr().out)}
    names = sorted(p.name for p in lists.glob("*.m3u8"))
    assert names == ["Q1 happy-excited.m3u8", "Q2 angry-tense.m3u8", "Q3 sad-melancholic.m3u8",
                     "Q4 calm-relaxed.m3u8", "calm to energetic.m3u8", "sad to happy.m3u8"]
    for playlist in lists.glob("*.m3u8"):
        text = playlist.read_bytes().decode("utf-8")  # UTF-8 throughout
        parsed = m3u8.loads(text)
        files = [(lists / s.uri).resolve() for s in parsed.segments]
        assert all(f.is_file() for f in files) and all(not Path(s.uri).is_absolute() for s in parsed.segments)
        assert all(s.duration == pytest.approx(30, abs=1) for s in parsed.segments)
        if playlist.name.startswith("Q"):
            q = playlist.name[:2]
            chosen = [moods[f.name] for f in files]
            assert all(r["mood"] == q for r in chosen)
            p = [r["probabilities"][q] for r in chosen]
            assert p == sorted(p, reverse=True)  # the clearest example first
            assert len(files) == sum(r["mood"] == q for r in moods.values())
        else:
            key = "arousal" if playlist.name.startswith("calm") else "valence"
            values = [moods[f.name][key] for f in files]
            assert values == sorted(values) and len(values) == 2
    (lists / "notes.m3u8").write_text("mine")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "Q1 happy-excited.m3u8").write_text("a user's playlist")
    assert classify_main(["predict", str(music), "-q", "--playlists", str(mine)]) == 2
    assert (mine / "Q1 happy-excited.m3u8").read_text() == "a user's playlist"


def test_aac_in_m4a_is_decoded_and_its_features_are_close_to_the_wav_it_came_from(library, tmp_path):
    model = MoodModel.load(DEFAULT_MODEL)
    scale, columns = model.likeness.scale_, model.likeness.columns_  # the music's own spread of each column
    for k in range(len(MUSIC)):
        wav = extract_features(load_audio(library / f"song{k}.wav", 22050), model.settings)
        aac = extract_features(load_audio(library / f"song{k}.m4a", 22050), model.settings)
        z = np.abs(wav - aac)[columns] / scale
        assert np.median(z) < 0.05 and np.percentile(z, 95) < 0.5, (np.median(z), np.percentile(z, 95))
    (tmp_path / "broken.m4a").write_bytes(b"\x00\x00\x00\x20ftypM4A " + os.urandom(4000))
    from featurize.audio import AudioError

    with pytest.raises(AudioError, match="cannot decode"):
        load_audio(tmp_path / "broken.m4a", 22050)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs Debian's espeak-ng (the README's test command "
                    "installs it)")
def test_speech_noise_silence_and_a_tone_are_said_not_to_be_music(library, tmp_path, capsys):
    sr, seconds = 22050, 30
    t = np.arange(seconds * sr) / sr
    rng = np.random.default_rng(0)
    odd = tmp_path / "odd"
    odd.mkdir()
    subprocess.run(["espeak-ng", "-w", str(odd / "speech.wav"), "Welcome back to the show. Today we talk about the "
                    "history of radio, how it changed the way people heard the news, and what podcasts took from it. "
                    "My guest has worked in broadcasting for thirty years, and she has stories to tell."], check=True)
    sf.write(odd / "tone.wav", 0.3 * np.sin(2 * np.pi * 440 * t), sr)
    sf.write(odd / "noise.wav", 0.1 * rng.standard_normal(len(t)), sr)
    sf.write(odd / "hiss.wav", 1e-4 * rng.standard_normal(len(t)), sr)  # near silence
    sf.write(odd / "silence.wav", np.zeros(len(t)), sr)
    for k in range(2):
        shutil.copy(library / f"song{k}.flac", odd / f"song{k}.flac")
    assert classify_main(["predict", str(odd), "-q", "--format", "json"]) == 1  # digital silence is an error
    found = {Path(r["path"]).stem: r for r in json.loads(capsys.readouterr().out)}
    assert found["silence"]["mood"] is None and "silent" in found["silence"]["error"]
    for name in ("speech", "tone", "hiss"):
        assert found[name]["music_like"] == "not music-like", (name, found[name]["music_distance"])
    assert found["noise"]["music_like"] in ("uncertain", "not music-like")
    assert [found[f"song{k}"]["music_like"] for k in range(2)] == ["music", "music"]
    assert classify_main(["predict", str(odd), "-q"]) == 1
    table = capsys.readouterr().out
    assert "NOT MUSIC-LIKE" in table and "their moods mean little" in table
    assert classify_main(["tag", str(odd), "-q"]) == 1  # silence fails; the others are left out, untagged
    out = capsys.readouterr().out
    assert out.count("LEFT OUT") == 4 and "tagged 2 files" in out
    assert mutagen.File(odd / "speech.wav").tags is None


def test_ctrl_c_keeps_the_tags_written_and_the_next_run_does_only_the_rest(library, tmp_path):
    import signal
    import time

    from classify.tags import read_mood_tags

    music = tmp_path / "music"
    music.mkdir()
    for i in range(80):  # more than one batch of 64
        shutil.copy(library / f"song{i % 2}.flac", music / f"{i:03d}.flac")
    inodes = {p.name: p.stat().st_ino for p in music.iterdir()}
    # A shell's background job starts with SIGINT ignored, which Python would keep: restore it.
    proc = subprocess.Popen([sys.executable, "-m", "classify", "tag", str(music), "-q", "-j", "2"],
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 240
    # A tagged file is a new file renamed over the old one: watch the inodes, cheaply.
    while all(p.stat().st_ino == inodes[p.name] for p in music.glob("*.flac")) and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends: the whole process group
    tagged = lambda: sum("mood_model" in read_mood_tags(p) for p in music.glob("*.flac"))  # noqa: E731
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    first = tagged()
    assert 0 < first < 80
    assert not [p for p in music.iterdir() if p.name.startswith(".")], "temporary copies left behind"
    again = subprocess.run([sys.executable, "-m", "classify", "tag", str(music), "-q", "-j", "2"], capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"tagged {80 - first} files" in again.stdout and f"skipped: {first} " in again.stdout
    assert tagged() == 80


@pytest.mark.parametrize(("name", "codec", "lossless"), [("alac.m4a", "alac", True), ("flac.mka", "flac", True),
                                                         ("opus.webm", "opus", False), ("wma.wma", "wmav2", False)])
def test_formats_libsndfile_cannot_read_are_decoded_by_pyav(tmp_path, name, codec, lossless):
    sr = 48000 if codec == "opus" else SR
    y = (0.3 * np.sin(2 * np.pi * 440 * np.arange(2 * sr) / sr)).astype(np.float32)
    path = encode(y, sr, tmp_path / name, codec, bit_rate=128000)
    decoded = load_audio(path, sr)
    assert abs(len(decoded) - len(y)) < 0.03 * sr
    if lossless:
        np.testing.assert_allclose(decoded[:len(y)], y, atol=1e-4)
    else:  # lossy, with the codec's delay: the tone is where it was
        spectrum = np.abs(np.fft.rfft(decoded))
        assert np.fft.rfftfreq(len(decoded), 1 / sr)[np.argmax(spectrum)] == pytest.approx(440, abs=2)
