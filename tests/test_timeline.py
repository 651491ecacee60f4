"""Beyond one label per file: valence and arousal from a quadrant model, and the mood of windows over time."""

import io
import json

import numpy as np
import pandas as pd
import pytest
from conftest import SR, write_clip

from classify.__main__ import main as classify_main
from classify.labels import valence_arousal
from featurize.demo import synth_clip
from featurize.features import Clip, FeatureSettings, extract_features, window_features, window_starts
from featurize.run import featurize


def test_valence_and_arousal_are_the_expected_side_of_each_axis():
    classes = ["Q1", "Q2", "Q3", "Q4"]
    v, a = valence_arousal(np.eye(4), classes)
    assert v.tolist() == [1, -1, -1, 1] and a.tolist() == [1, 1, -1, -1]
    v, a = valence_arousal(np.full((1, 4), 0.25), classes)
    assert v[0] == pytest.approx(0) and a[0] == pytest.approx(0)
    v, a = valence_arousal(np.array([[0.1, 0.0, 0.9, 0.0]]), ["Q4", "Q2", "Q1", "Q3"])  # any column order
    assert v[0] == pytest.approx(1) and a[0] == pytest.approx(0.9 - 0.1)
    assert valence_arousal(np.eye(3), ["happy", "sad", "calm"]) is None


@pytest.mark.parametrize("duration, starts", [(30, [0, 5, 10, 15, 20]), (27, [0, 5, 10, 15, 17]), (4, [0]),
                                              (10, [0])])
def test_windows_cover_the_clip_to_its_end(duration, starts):
    assert window_starts(duration, window=10, hop=5).tolist() == starts


def test_each_window_hears_its_own_part_of_the_clip():
    settings = FeatureSettings(families=("chroma", "rms"))
    t = np.arange(3 * SR) / SR
    # Three seconds of a quiet A4, then three of a loud C5.
    y = np.concatenate([0.1 * np.sin(2 * np.pi * 440 * t), 0.5 * np.sin(2 * np.pi * 523.25 * t)]).astype(np.float32)
    starts, ends, X = window_features(Clip(y, settings), settings, window=2.0, hop=4.0)
    assert starts.tolist() == [0, 4] and ends.tolist() == [2, 6]
    columns = settings.columns()
    chroma_means = [[row[columns.index(f"chroma_{p}_mean")] for p in ("A", "C")] for row in X]
    assert chroma_means[0][0] > 0.9 > chroma_means[0][1] and chroma_means[1][1] > 0.9 > chroma_means[1][0]
    rms = X[:, columns.index("rms_energy_mean")]
    assert rms == pytest.approx([0.1 / np.sqrt(2), 0.5 / np.sqrt(2)], rel=0.02)
    # Frame-local descriptors inside a window are those of analysing its audio alone.
    alone = extract_features(y[4 * SR:6 * SR], FeatureSettings(families=("rms",)))
    assert X[1, columns.index("rms_energy_mean")] == pytest.approx(alone[0], rel=0.02)


def test_timeline_follows_a_song_whose_mood_changes(quadrant_model, tmp_path, capsys):
    song = write_clip(tmp_path / "song.wav", np.concatenate([synth_clip("Q1", 6.0, SR, seed=5),
                                                              synth_clip("Q3", 6.0, SR, seed=6)]))
    assert classify_main(["predict", str(song), "--model", str(quadrant_model), "--timeline", "6", "--hop", "6",
                          "--format", "csv", "-q", "-j", "1"]) == 0
    rows = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert rows["scope"].tolist() == ["file", "window", "window"]
    windows = rows[rows["scope"] == "window"]
    assert windows["start"].tolist() == [0, 6] and windows["end"].tolist() == [6, 12]
    assert windows["mood"].tolist() == ["Q1", "Q3"]
    # Happy, then sad: valence falls, arousal falls.
    assert windows["valence"].iloc[0] > windows["valence"].iloc[1]
    assert windows["arousal"].iloc[0] > windows["arousal"].iloc[1]
    assert rows[["valence", "arousal"]].abs().le(1).all().all()
    # The default hop is half the window; json nests the windows under their file.
    assert classify_main(["predict", str(song), "--model", str(quadrant_model), "--timeline", "6", "--format", "json", "-q",
                          "-j", "1"]) == 0
    [record] = json.loads(capsys.readouterr().out)
    assert [w["start"] for w in record["timeline"]] == [0, 3, 6] and record["duration"] == pytest.approx(12)
    assert set(record) >= {"valence", "arousal", "probabilities"}


def test_timeline_refuses_windows_too_short_and_feature_tables(quadrant_model, tmp_path, capsys):
    song = write_clip(tmp_path / "song.wav", synth_clip("Q2", 6.0, SR, seed=5))
    assert classify_main(["predict", str(song), "--model", str(quadrant_model), "--timeline", "2", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--timeline 2: windows must last at least 5 s" in err
    assert classify_main(["predict", str(song), "--model", str(quadrant_model), "--hop", "2", "-q"]) == 2
    assert "give --timeline too" in capsys.readouterr().err
    table = tmp_path / "t.parquet"
    featurize([tmp_path], output=table, settings=FeatureSettings(families=("rms",)), n_jobs=1, progress=False)
    assert classify_main(["predict", str(table), "--model", str(quadrant_model), "--timeline", "6", "-q"]) == 2
    assert "--timeline needs audio" in capsys.readouterr().err
