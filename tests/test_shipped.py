"""The model users get: calibrated probabilities, whole songs judged as the clips it learnt from,
recipes evaluated without leaks, and the shipped file itself."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SR, write_clip

from classify.__main__ import main as classify_main
from classify.calibration import calibration_error_floor, expected_calibration_error, plot_reliability, probability_scores
from classify.dataset import Dataset
from classify.evaluate import repeated_cv
from classify.model import DEFAULT_MODEL, MoodModel
from classify.pipelines import make_classifier
from classify.recipes import Recipe, artist_key, fit_model, fit_params, grouped_cv, leave_one_source_out, training_set
from featurize.audio import load_audio
from featurize.demo import synth_clip
from featurize.features import FeatureSettings, window_starts

QUADRANTS = ["Q1", "Q2", "Q3", "Q4"]


def test_expected_calibration_error_tells_honest_from_overconfident_probabilities():
    rng = np.random.default_rng(0)
    n = 20000
    confidence = rng.uniform(0.25, 1.0, n)
    # Honest: the most probable class is right exactly as often as its probability says.
    right = rng.uniform(size=n) < confidence
    y = np.where(right, "Q1", "Q2")
    proba = np.column_stack([confidence, *(np.full((3, n), 1 - confidence) / 3)])
    assert expected_calibration_error(y, proba, QUADRANTS) < 0.01
    # Overconfident: right 60 % of the time at a stated 0.9.
    y = np.where(rng.uniform(size=n) < 0.6, "Q1", "Q2")
    proba = np.tile([0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3], (n, 1))
    assert expected_calibration_error(y, proba, QUADRANTS) == pytest.approx(0.3, abs=0.02)
    # What chance alone leaves on few clips, even for probabilities true by construction.
    assert 0.005 < calibration_error_floor(proba[:300], QUADRANTS) < 0.06
    assert calibration_error_floor(proba, QUADRANTS) < calibration_error_floor(proba[:300], QUADRANTS)


def test_brier_score_is_zero_for_certainty_and_two_for_certain_error():
    y = np.array(QUADRANTS)
    assert probability_scores(y, np.eye(4), QUADRANTS)["brier"] == pytest.approx(0)
    assert probability_scores(y, np.roll(np.eye(4), 1, axis=1), QUADRANTS)["brier"] == pytest.approx(2)
    with pytest.raises(ValueError, match="shape"):
        probability_scores(y, np.eye(3), QUADRANTS)


def test_reliability_diagram_is_a_picture(tmp_path):
    rng = np.random.default_rng(1)
    proba = rng.dirichlet(np.ones(4), 200)
    y = np.array(QUADRANTS)[rng.integers(0, 4, 200)]
    plot_reliability(y, proba, QUADRANTS, tmp_path / "r.png", title="random")
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_out_of_fold_probabilities_sum_to_one_and_score_like_the_predictions():
    rng = np.random.default_rng(2)
    y = np.repeat(QUADRANTS, 30)
    X = rng.normal(size=(120, 5))
    X[:, 0] += 2 * np.repeat(np.arange(4), 30)
    result = repeated_cv(make_classifier("logreg"), X, y, n_splits=3, n_repeats=2, progress=False, n_jobs=1,
                            probabilities=True)
    assert set(result["mean"]) >= {"macro_f1", "brier", "ece", "log_loss"}
    assert 0 <= result["mean"]["ece"] <= 1 and 0 <= result["mean"]["brier"] <= 2
    assert sum(sum(row) for row in result["confusion"]) == 240


def _source(X, y, artists, name):
    settings = FeatureSettings(families=("rms",))
    return Dataset(X, np.asarray(y), np.array([artist_key(a) for a in artists]), [f"{name}{i}.mp3" for i in range(len(y))],
                   settings.columns(), settings, f"{name}.parquet", {}, durations=np.full(len(y), 30.0))


def test_votes_reach_krr_through_the_vote_and_the_calibration(tmp_path):
    # Four clusters labelled Q1..Q4 by experts; a second source's clips sit at a fifth place,
    # labelled Q1, but their listeners voted Q3. Learning the votes, the model calls that place
    # sad; learning the labels, happy.
    rng = np.random.default_rng(5)
    centres = {"Q1": (0, 0), "Q2": (6, 0), "Q3": (0, 6), "Q4": (6, 6)}
    y = np.repeat(QUADRANTS, 15)
    X = np.array([centres[q] for q in y]) + rng.normal(scale=0.5, size=(60, 2))
    listeners = _source(np.array([3.0, -6.0]) + rng.normal(scale=0.5, size=(20, 2)), ["Q1"] * 20,
                        [f"L{i}" for i in range(20)], "e")
    listeners.votes = np.ones((20, 1))  # a Dataset's votes are over its own classes (Q1 here): set below
    sources = {"4q": _source(X, y, [f"A{i}" for i in range(60)], "q"), "emotify": listeners}
    recipe = Recipe("test", ("4q", "emotify"), "svm_lda+krr", "temperature", votes=True)
    data = training_set(recipe, sources)
    votes = data.votes.copy()
    votes[60:] = [0.1, 0.0, 0.9, 0.0]  # as combine scales them: a mean of one vote per clip
    data.votes = votes
    assert fit_params(recipe, data)["votes"].shape == (80, 4) and not fit_params(Recipe("x", ("4q",), "krr"), data)
    place = np.array([[3.0, -6.0]])
    learnt = fit_model(recipe, data)
    labels_only = fit_model(Recipe("test", ("4q", "emotify"), "krr", "temperature"), data)
    from_votes = fit_model(Recipe("test", ("4q", "emotify"), "krr", "temperature", votes=True), data)
    assert labels_only.estimator.predict(place)[0] == "Q1" and from_votes.estimator.predict(place)[0] == "Q3"
    # The pair's krr member learnt the votes too (its SVM the labels); the saved model predicts the same.
    krr = learnt.estimator.named_estimators_["krr"]  # fitted on the vote's encoded classes
    assert learnt.estimator.classes_[krr.predict(place)[0]] == "Q3"
    learnt.save(tmp_path / "m.skops")
    assert np.allclose(MoodModel.load(tmp_path / "m.skops").estimator.predict_proba(X), learnt.estimator.predict_proba(X))


def test_artist_names_compare_as_words():
    assert artist_key("Brown, Ruth") == artist_key("Ruth Brown") == artist_key("ruth  BROWN")
    assert artist_key("Ruth Brown") != artist_key("James Brown")


def test_grouped_cv_keeps_a_test_artists_clips_of_other_sources_out_of_training():
    # Labels that no feature predicts; the other source holds exact copies of every clip, by the
    # same artists. A nearest-neighbour vote finds a copy if one is in training: perfect scores
    # would mean the copies of the test artists' clips leaked in.
    rng = np.random.default_rng(3)
    n = 120
    X = rng.normal(size=(n, 2))
    y = np.array(QUADRANTS)[rng.permutation(np.arange(n) % 4)]
    artists = [f"Artist {i // 2}" for i in range(n)]
    copies = [", ".join(reversed(a.split(" "))) for a in artists]  # "2, Artist": the same names, other order
    sources = {"4q": _source(X, y, artists, "q"), "copies": _source(X.copy(), y, copies, "c")}
    recipe = Recipe("test", ("4q", "copies"), "knn")
    result = grouped_cv(recipe, sources, n_splits=5, n_repeats=1, n_jobs=1, progress=False)
    assert result["mean"]["macro_f1"] < 0.5
    assert result["proba"].shape == (1, n, 4) and np.allclose(result["proba"].sum(axis=2), 1)
    # Left out, each source is tested with a model that learnt from the other alone: the copies.
    loso = leave_one_source_out(recipe, sources)
    assert loso["4q"]["trained_on"] == ["copies"] and loso["4q"]["mean"]["macro_f1"] == pytest.approx(1)


def test_a_long_file_is_judged_from_windows_of_the_models_clip_length(quadrant_model, tmp_path, capsys):
    model = MoodModel.load(quadrant_model)
    assert model.clip_seconds == pytest.approx(6.0, abs=0.1)  # the demo corpus's clips
    song = write_clip(tmp_path / "song.wav", np.concatenate([synth_clip("Q1", 10.0, SR, seed=7),
                                                              synth_clip("Q3", 10.0, SR, seed=8)]))
    hop = model.clip_seconds / 2
    assert classify_main(["predict", str(song), "--model", str(quadrant_model), "--format", "json", "-q", "-j", "1",
                          "--timeline", str(model.clip_seconds), "--hop", str(hop)]) == 0
    captured = capsys.readouterr()
    [record] = json.loads(captured.out)
    assert "mean of its" in captured.err
    starts = window_starts(20.0, window=model.clip_seconds, hop=hop)
    assert record["windows"] == len(starts) == len(record["timeline"])
    for c in model.classes:  # the file's answer is the mean of its windows'
        mean = np.mean([w["probabilities"][c] for w in record["timeline"]])
        assert record["probabilities"][c] == pytest.approx(mean, abs=2e-4)
    assert sum(record["probabilities"].values()) == pytest.approx(1, abs=1e-3)
    assert classify_main(["predict", str(song), "--model", str(quadrant_model), "--format", "json", "-q", "-j", "1",
                          "--whole-files"]) == 0
    [whole] = json.loads(capsys.readouterr().out)
    assert whole["windows"] == 1 and whole["probabilities"] != record["probabilities"]
    # A file no longer than 1.5 clips is judged whole.
    short = write_clip(tmp_path / "short.wav", synth_clip("Q1", 8.0, SR, seed=9))
    assert classify_main(["predict", str(short), "--model", str(quadrant_model), "--format", "json", "-q", "-j", "1"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["windows"] == 1


EMOTIFY = Path(__file__).resolve().parents[2] / "shared" / "data" / "emotify"


@pytest.mark.skipif(not (EMOTIFY / "labels.csv").is_file(), reason="needs ../shared/data/emotify (real music)")
def test_shipped_model_learnt_from_expert_labels_and_tells_sad_from_happy(tmp_path, capsys):
    # Real music: the synthetic demo clips are not music-like to a model of recordings (it calls
    # them all calm). The Emotify clips most of whose listeners felt sadness, and joy; the model
    # learnt from them (its honest scores are the grouped CV and the left-out sources).
    model = MoodModel.load(DEFAULT_MODEL)  # refuses a model of another feature-set version
    assert model.settings == FeatureSettings() and model.classes == QUADRANTS
    assert "4q" in model.info["labels"] and model.clip_seconds == pytest.approx(30, abs=1)
    cv = model.info["cv"]
    assert cv["groups"].startswith("artist") and cv["mean"]["macro_f1"] > 0.6 and cv["mean"]["ece"] < 0.1
    assert min(cv["recall"].values()) > 0.45
    labels = pd.read_csv(EMOTIFY / "labels.csv")
    sad = labels.assign(share=labels["sadness"] + labels["nostalgia"]).query("quadrant == 'Q3'").nlargest(4, "share")
    happy = labels.assign(share=labels["joyful_activation"] + labels["amazement"]).query("quadrant == 'Q1'").nlargest(1, "share")
    song = write_clip(tmp_path / "song.wav", np.concatenate([load_audio(EMOTIFY / p, SR) for p in sad["path"]]))
    files = [EMOTIFY / sad["path"].iloc[0], EMOTIFY / happy["path"].iloc[0], song]
    assert classify_main(["predict", *map(str, files), "--format", "json", "-q", "-j", "2"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["mood"] for r in rows] == ["Q3", "Q1", "Q3"]
    assert rows[0]["valence"] < 0 < rows[1]["valence"] and rows[0]["arousal"] < 0 < rows[1]["arousal"]
    windows = window_starts(rows[2]["duration"], window=model.clip_seconds, hop=model.clip_seconds / 2)
    assert rows[0]["windows"] == rows[1]["windows"] == 1 and rows[2]["windows"] == len(windows) > 1
    for r in rows:
        assert sum(r["probabilities"].values()) == pytest.approx(1, abs=1e-3)
