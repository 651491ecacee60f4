"""Feature tables computed elsewhere: FMA's features.csv layout and a Spotify-style CSV, through cv, train, predict."""

import io
import json

import numpy as np
import pandas as pd
import pytest
from conftest import SR, write_clip

from classify.__main__ import main as classify_main
from classify.dataset import load_dataset
from classify.foreign import read_foreign
from featurize.demo import synth_clip
from featurize.features import FeatureSettings

QUADRANTS = np.array(["Q1", "Q2", "Q3", "Q4"])


def spotify_like(n, seed):
    """A Spotify-style table whose quadrant follows from valence and energy, as its labels do."""
    rng = np.random.default_rng(seed)
    q = rng.integers(0, 4, n)
    valence = np.where(np.isin(q, [0, 3]), 0.75, 0.25) + rng.normal(0, 0.08, n)
    energy = np.where(q < 2, 0.8, 0.2) + rng.normal(0, 0.08, n)
    df = pd.DataFrame({"id": [f"sp{seed}_{i:04d}" for i in range(n)], "name": [f"song {i}" for i in range(n)],
                       "danceability": rng.random(n), "energy": energy, "valence": valence,
                       "tempo": rng.normal(120, 20, n), "acousticness": rng.random(n)})
    return df, QUADRANTS[q]


def test_a_spotify_style_csv_is_cross_validated_trained_on_and_predicted(tmp_path, capsys):
    df, quadrant = spotify_like(120, seed=0)
    features = tmp_path / "spotify.csv"
    df.to_csv(features, index=False)
    labels = tmp_path / "moods.csv"
    pd.DataFrame({"id": df["id"], "quadrant": quadrant}).to_csv(labels, index=False)

    data = load_dataset(features, labels=str(labels))
    assert data.feature_columns == ["danceability", "energy", "valence", "tempo", "acousticness"]
    assert data.X.shape == (120, 5) and data.settings.to_dict()["foreign"] is True

    assert classify_main(["--features", str(features), "--labels", str(labels), "--classifiers", "svm,logreg",
                          "--folds", "5", "--repeats", "2", "--report-dir", str(tmp_path / "r"), "-q"]) == 0
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["classifiers"]["logreg"]["mean"]["macro_f1"] > 0.9  # the quadrant is in valence and energy

    model = tmp_path / "m.skops"
    assert classify_main(["train", "--features", str(features), "--labels", str(labels), "--classifier", "logreg",
                          "--no-cv", "-o", str(model), "-q"]) == 0
    capsys.readouterr()
    fresh, fresh_q = spotify_like(40, seed=1)
    fresh_path = tmp_path / "new.csv"
    fresh.to_csv(fresh_path, index=False)
    assert classify_main(["predict", str(fresh_path), "--model", str(model), "--format", "csv"]) == 0
    rows = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert rows["path"].tolist() == fresh["id"].tolist() and (rows["mood"] == fresh_q).mean() > 0.9
    # It cannot compute its features from audio, and says so in one line.
    song = write_clip(tmp_path / "song.wav", synth_clip("Q1", 6.0, SR, seed=1))
    assert classify_main(["predict", str(song), "--model", str(model), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "computed elsewhere (spotify.csv)" in err and "cannot compute them from audio" in err
    # A table without the model's columns is refused.
    fresh.drop(columns="tempo").to_csv(fresh_path, index=False)
    assert classify_main(["predict", str(fresh_path), "--model", str(model), "-q"]) == 2
    assert "lacks 1 of the model's feature columns (e.g. tempo)" in capsys.readouterr().err


def test_columns_that_are_labels_are_never_features(tmp_path, capsys):
    df, _ = spotify_like(80, seed=2)
    features = tmp_path / "spotify.csv"
    df.to_csv(features, index=False)
    # Labels made from the same table's valence and energy: those two columns must not be features.
    data = load_dataset(features, labels=str(features))
    assert "valence" not in data.feature_columns and "energy" not in data.feature_columns
    assert any("labels come from, left out of the features: energy, valence" in m for m in data.messages)
    assert data.feature_columns == ["danceability", "tempo", "acousticness"]
    assert set(data.y) <= set(QUADRANTS)

    # A table that holds each clip's votes per quadrant beside its label: the votes are labels too.
    votes = pd.DataFrame(np.random.default_rng(3).dirichlet(np.ones(4), len(df)), columns=QUADRANTS)
    table = pd.concat([df, votes], axis=1).assign(quadrant=QUADRANTS[votes.to_numpy().argmax(axis=1)])
    table.to_csv(features, index=False)
    data = load_dataset(features, labels=str(features))
    assert data.feature_columns == ["danceability", "energy", "valence", "tempo", "acousticness"]
    assert np.allclose(data.votes, votes.to_numpy())
    assert any("the votes come from, left out of the features: Q1, Q2, Q3, Q4" in m for m in data.messages)


def fma_features_csv(path, track_ids, values):
    """A CSV in the layout of FMA's features.csv: three header rows (feature, statistics, number)."""
    columns = [("mfcc", "mean", "01"), ("mfcc", "mean", "02"), ("rmse", "std", "01")]
    lines = ["feature," + ",".join(c[0] for c in columns), "statistics," + ",".join(c[1] for c in columns),
             "number," + ",".join(c[2] for c in columns), "track_id" + "," * len(columns)]
    lines += [f"{t}," + ",".join(f"{v:.6f}" for v in row) for t, row in zip(track_ids, values)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_fma_features_csv_layout_joins_labels_by_track_id(tmp_path):
    rng = np.random.default_rng(3)
    ids = np.arange(2, 2 + 60) * 3
    q = rng.integers(0, 2, len(ids))
    values = np.column_stack([q * 2.0 + rng.normal(0, 0.3, len(ids)), rng.normal(size=len(ids)), rng.random(len(ids))])
    path = fma_features_csv(tmp_path / "features.csv", ids, values)
    table, features, notes = read_foreign(path)
    assert features.layout == "fma-features" and features.names == ("mfcc_mean_01", "mfcc_mean_02", "rmse_std_01")
    assert table["track_id"].tolist() == ids.tolist() and table["mfcc_mean_01"].to_numpy() == pytest.approx(values[:, 0], abs=1e-6)
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"track_id": ids[::-1], "quadrant": QUADRANTS[q][::-1]}).to_csv(labels, index=False)
    data = load_dataset(path, labels=str(labels))
    assert len(data.y) == len(ids) and data.y.tolist() == QUADRANTS[q].tolist()
    assert classify_main(["--features", str(path), "--labels", str(labels), "--classifiers", "logreg", "--folds", "5",
                          "--repeats", "1", "--report-dir", str(tmp_path / "r"), "-q"]) == 0


def test_regressors_learn_valence_and_arousal_ratings(tmp_path, capsys):
    from sklearn.linear_model import LinearRegression

    from classify.regression import repeated_cv_regression

    rng = np.random.default_rng(4)
    n = 160
    X = rng.uniform(-1, 1, size=(n, 6))
    valence = 5 + 1.5 * X[:, 0] - 1.0 * X[:, 1]  # ratings on a 1-9 scale, exactly linear in two columns
    arousal = 5 + 1.2 * X[:, 2] + 0.8 * X[:, 3]
    strata = np.where(arousal >= 5, np.where(valence >= 5, "Q1", "Q2"), np.where(valence >= 5, "Q4", "Q3"))
    exact = repeated_cv_regression(LinearRegression(), X, np.column_stack([valence, arousal]), strata=strata,
                                   names=["valence", "arousal"], n_splits=5, n_repeats=2, n_jobs=1, progress=False,
                                      thresholds=(5, 5))
    assert exact["mean"]["r2_valence"] == pytest.approx(1) and exact["mean"]["rmse_arousal"] == pytest.approx(0, abs=1e-9)
    assert exact["mean"]["quadrant_accuracy"] == 1 and exact["thresholds"] == [5, 5]

    # From the command line, on a feature CSV with noisy ratings: both regressors, every score reported.
    noisy_v, noisy_a = valence + rng.normal(0, 0.4, n), arousal + rng.normal(0, 0.4, n)
    features = tmp_path / "features.csv"
    pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]).assign(id=[f"c{i}" for i in range(n)]).to_csv(features, index=False)
    labels = tmp_path / "ratings.csv"
    pd.DataFrame({"id": [f"c{i}" for i in range(n)], "valence": noisy_v, "arousal": noisy_a}).to_csv(labels, index=False)
    assert classify_main(["--features", str(features), "--labels", str(labels), "--target", "valence,arousal",
                          "--folds", "5", "--repeats", "3", "--report-dir", str(tmp_path / "r"), "-q"]) == 0
    out = capsys.readouterr().out
    assert "R²" in out and "quadrant accuracy from the two numbers" in out
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    svr = report["regressors"]["svr"]
    assert svr["mean"]["r2_valence"] > 0.6 and svr["mean"]["pearson_r_arousal"] > 0.8
    assert svr["mean"]["quadrant_accuracy"] > 0.7 and set(report["regressors"]) == {"svr", "rf"}
    assert len(svr["per_repeat"]) == 3 and svr["std"]["r2_valence"] >= 0
    # Ratings with no relation to the features: nothing learnt.
    pd.DataFrame({"id": [f"c{i}" for i in range(n)], "valence": rng.normal(5, 1, n),
                  "arousal": rng.normal(5, 1, n)}).to_csv(labels, index=False)
    assert classify_main(["--features", str(features), "--labels", str(labels), "--target", "valence,arousal",
                          "--folds", "5", "--repeats", "2", "--report-dir", str(tmp_path / "r"), "-q"]) == 0
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["regressors"]["svr"]["mean"]["r2_valence"] < 0.1


def test_a_trained_regressor_predicts_valence_and_arousal_of_audio(tmp_path, demo_corpus, capsys):
    from featurize.run import featurize

    table = tmp_path / "demo.parquet"
    families = ("chroma", "tonnetz", "contrast", "zcr", "rms", "key", "mfcc")
    featurize([demo_corpus], output=table, settings=FeatureSettings(families=families), n_jobs=2, progress=False)
    # Ratings on a 1-9 scale that follow the demo's quadrants: Q1 happy (7, 7) ... Q3 sad (3, 3).
    corners = {"Q1": (7, 7), "Q2": (3, 7), "Q3": (3, 3), "Q4": (7, 3)}
    clips = sorted(demo_corpus.rglob("*.mp3"))
    rng = np.random.default_rng(5)
    ratings = pd.DataFrame({"path": [c.relative_to(demo_corpus).as_posix() for c in clips],
                            "valence": [corners[c.parent.name][0] + rng.normal(0, 0.3) for c in clips],
                            "arousal": [corners[c.parent.name][1] + rng.normal(0, 0.3) for c in clips]})
    ratings.to_csv(tmp_path / "ratings.csv", index=False)
    model = tmp_path / "va.skops"
    assert classify_main(["train", "--features", str(table), "--labels", str(tmp_path / "ratings.csv"), "--target",
                          "valence,arousal", "--folds", "5", "--repeats", "1", "-o", str(model), "-q"]) == 0
    out = capsys.readouterr().out
    assert "targets valence, arousal" in out and "quadrant accuracy" in out
    song = write_clip(tmp_path / "new" / "happy.wav", synth_clip("Q1", 6.0, SR, seed=77))
    write_clip(tmp_path / "new" / "sad.wav", synth_clip("Q3", 6.0, SR, seed=78))
    assert classify_main(["predict", str(song.parent), "--model", str(model), "--format", "csv", "-q", "-j", "1"]) == 0
    rows = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index(pd.Index(["happy", "sad"]))
    assert rows.loc["happy", "mood"] == "Q1" and rows.loc["sad", "mood"] == "Q3"
    assert rows.loc["happy", "rating_valence"] > 5 > rows.loc["sad", "rating_valence"]
    assert rows[["valence", "arousal"]].abs().le(1).all().all() and rows.loc["happy", "arousal"] > 0 > rows.loc["sad", "arousal"]


def test_an_opensmile_style_semicolon_csv_is_read(tmp_path):
    rng = np.random.default_rng(6)
    lines = ["name;frameTime;pcm_RMSenergy_sma_amean;F0final_sma_stddev"]
    lines += [f"'clip{i}.wav';0.000000;{rng.random():.6f};{rng.random():.6f}" for i in range(5)]
    (tmp_path / "smile.csv").write_text("\n".join(lines) + "\n")
    table, features, _ = read_foreign(tmp_path / "smile.csv")
    assert features.names == ("pcm_RMSenergy_sma_amean", "F0final_sma_stddev")  # frameTime is no feature
    assert table["path"].tolist() == [f"clip{i}.wav" for i in range(5)]
