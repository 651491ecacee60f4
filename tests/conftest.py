"""Shared fixtures: short synthetic clips written as real MP3 files."""

import ctypes
import os

import numpy as np
import pytest
import soundfile as sf

from featurize.demo import make_demo, synth_clip

SR = 22050


def write_clip(path, y, sr=SR):
    """Write `y` to `path` in the format its ending names (mp3, wav, flac...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y, sr, format=path.suffix.lstrip(".").upper())
    return path


def without_dac():
    """In a child process (``preexec_fn``): drop root's power to read and write what permissions
    forbid (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so permission tests mean the same as root."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (1, 2):
            if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "cannot drop a capability")


@pytest.fixture(scope="session")
def demo_corpus(tmp_path_factory):
    """A 4 x 10 clip, 6-second demo corpus in Q1..Q4 folders, with labels.csv."""
    root = tmp_path_factory.mktemp("demo")
    make_demo(root, per_quadrant=10, duration=6.0)
    return root


@pytest.fixture
def chord():
    """Six seconds of a C major chord with clicks on the beat, at 22050 Hz."""
    return synth_clip("Q1", duration=6.0, sr=SR, seed=1)


@pytest.fixture
def bad_folder(tmp_path):
    """A folder with two good clips and every kind of bad file the featurizer must survive."""
    root = tmp_path / "music"
    write_clip(root / "good1.mp3", synth_clip("Q1", 6.0, SR, seed=2))
    write_clip(root / "sub" / "good2.wav", synth_clip("Q3", 6.0, SR, seed=3))
    (root / "empty.mp3").write_bytes(b"")
    (root / "corrupt.mp3").write_bytes(np.random.default_rng(0).bytes(20000))
    (root / "text.wav").write_text("this is not audio\n" * 100)
    full = write_clip(tmp_path / "full.mp3", synth_clip("Q2", 6.0, SR, seed=4)).read_bytes()
    (root / "truncated.mp3").write_bytes(full[:300])
    write_clip(root / "short.mp3", synth_clip("Q4", 1.0, SR, seed=5))
    write_clip(root / "silent.flac", np.zeros(6 * SR, dtype=np.float32))
    (root / "notes.txt").write_text("not audio, ignored by its ending")
    return root


BAD_REASONS = {
    "empty.mp3": "empty file",
    "corrupt.mp3": "cannot decode",
    "text.wav": "cannot decode",
    "truncated.mp3": "too short|cannot decode",  # 300 bytes: a sliver of audio at most
    "short.mp3": "too short",
    "silent.flac": "silent",
}


@pytest.fixture(scope="session")
def quadrant_model(demo_corpus, tmp_path_factory):
    """A logistic-regression model of the four quadrants, trained on the demo corpus (a few families)."""
    from classify.dataset import load_dataset
    from classify.model import MoodModel
    from classify.pipelines import make_classifier
    from featurize.features import FeatureSettings
    from featurize.run import featurize

    settings = FeatureSettings(families=("chroma", "tonnetz", "contrast", "zcr", "rms", "key", "mfcc"))
    folder = tmp_path_factory.mktemp("quadrant-model")
    featurize([demo_corpus], output=folder / "demo.parquet", settings=settings, n_jobs=2, progress=False)
    data = load_dataset(folder / "demo.parquet", labels="folder")
    path = folder / "m.skops"
    MoodModel.fit(make_classifier("logreg", families=settings.column_families()), data, "logreg", 0).save(path)
    return path
