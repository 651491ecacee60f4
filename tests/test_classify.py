"""Labels, cross-validation, training and prediction, on real scikit-learn models and real files."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import SR, write_clip
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from classify.__main__ import main as classify_main
from classify.dataset import load_dataset
from classify.evaluate import cv_splits, repeated_cv
from classify.labels import (
    GEMS_QUADRANTS,
    LabelError,
    csv_labels,
    match_paths,
    quadrants,
    scale_midpoint,
    vote_columns,
    vote_counts,
)
from classify.model import MoodModel, SettingsMismatchError
from classify.pipelines import (
    CLASSIFIERS,
    FamilyWeighting,
    KernelRidgeClassifier,
    LaplacianSVC,
    RbfSVC,
    SvmLdaClassifier,
    fit_params,
    make_classifier,
)
from featurize.demo import synth_clip
from featurize.features import PRESETS, FeatureSettings
from featurize.run import featurize

SETTINGS = FeatureSettings(families=("chroma", "tonnetz", "contrast", "zcr", "rms", "key"))


@pytest.fixture(scope="module")
def demo_table(demo_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("tables") / "demo.parquet"
    featurize([demo_corpus], output=out, settings=SETTINGS, n_jobs=2, progress=False)
    return out


def test_scores_of_a_classifier_that_always_says_the_same_class():
    from sklearn.dummy import DummyClassifier

    y = np.repeat(["a", "b"], 30)
    result = repeated_cv(DummyClassifier(strategy="most_frequent"), np.zeros((60, 1)), y, n_splits=5, n_repeats=2,
                            progress=False)
    # Every clip called 'a': recall 1 and precision 1/2 for 'a', nothing right for 'b'.
    assert result["per_class"]["a"] == pytest.approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 30})
    assert result["per_class"]["b"] == pytest.approx({"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 30})
    assert result["mean"] == pytest.approx({"accuracy": 0.5, "balanced_accuracy": 0.5, "macro_f1": 1 / 3})
    assert result["confusion"] == [[60, 0], [60, 0]]


class RecordingScaler(StandardScaler):
    """A StandardScaler that notes how many rows each fit saw."""

    fitted_on = []

    def fit(self, X, y=None, sample_weight=None):
        RecordingScaler.fitted_on.append(len(X))
        return super().fit(X, y, sample_weight)


def test_scaling_is_fitted_inside_each_training_fold():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 5)), np.repeat(["a", "b", "c"], 20)
    RecordingScaler.fitted_on.clear()
    pipeline = Pipeline([("scale", RecordingScaler()), ("svm", SVC())])
    repeated_cv(pipeline, X, y, n_splits=5, n_repeats=2, n_jobs=1, progress=False)
    assert RecordingScaler.fitted_on == [48] * 10  # 4/5 of the clips, never all 60
    steps = [name for name, _ in make_classifier("svm").steps]
    assert steps.index("scale") < steps.index("svm")


def test_groups_never_span_training_and_test():
    y = np.repeat(["a", "b"], 30)
    groups = np.array([f"artist{i % 12}" for i in range(60)])
    seen_splits = set()
    for r, train, test in cv_splits(y, groups=groups, n_splits=4, n_repeats=3, random_state=0):
        assert not set(groups[train]) & set(groups[test])
        seen_splits.add((r, tuple(sorted(test))))
    assert len(seen_splits) == 12
    tests_per_repeat = {r: sorted(i for rr, t in seen_splits if rr == r for i in t) for r in range(3)}
    assert all(v == list(range(60)) for v in tests_per_repeat.values())


def test_cross_validation_is_seeded_and_reports_every_metric():
    rng = np.random.default_rng(1)
    y = np.repeat(["Q1", "Q2"], 30)
    X = rng.normal(size=(60, 4)) + (y == "Q1")[:, None] * 2.0
    a = repeated_cv(make_classifier("svm"), X, y, n_splits=5, n_repeats=3, random_state=7, progress=False)
    b = repeated_cv(make_classifier("svm"), X, y, n_splits=5, n_repeats=3, random_state=7, progress=False)
    assert a == b
    assert a["mean"]["macro_f1"] > 0.8 and len(a["per_repeat"]) == 3
    assert np.sum(a["confusion"]) == 60 * 3 and a["per_class"]["Q1"]["support"] == 30


def test_quadrants_from_valence_and_arousal():
    assert list(quadrants([0.9, 0.1, 0.1, 0.9, 0.5], [0.9, 0.9, 0.1, 0.1, 0.5], 0.5, 0.5)) == ["Q1", "Q2", "Q3", "Q4", "Q1"]
    assert scale_midpoint([1.5, 8.2]) == 5 and scale_midpoint([0.1, 0.7]) == 0.5 and scale_midpoint([-0.4, 0.3]) == 0


def test_label_paths_match_by_whole_trailing_components():
    table = ["classical/001.mp3", "rock/001.mp3", "rock/002.mp3"]
    labels = ["audio/rock/001.mp3", "002.mp3", "001.mp3", "rock/003.mp3", "ock/002.mp3"]
    assert match_paths(table, labels).tolist() == [1, 2, -1, -1, -1]


def test_valence_arousal_csv_gives_quadrant_labels(tmp_path):
    table = pd.DataFrame({"path": ["a.mp3", "b.mp3", "c.mp3", "d.mp3", "e.mp3"]})
    pd.DataFrame({"file": ["a.mp3", "b.mp3", "c.mp3", "d.mp3", "x.mp3"], "valence": [7, 2, 3, 8, 5],
                  "arousal": [8, 6, 2, 1, 5]}).to_csv(tmp_path / "va.csv", index=False)
    labels, _, message = csv_labels(table, tmp_path / "va.csv")
    assert labels.tolist() == ["Q1", "Q2", "Q3", "Q4", None]
    assert "threshold 5" in message and "4 of 5 rows" in message


def test_cv_command_prints_report_and_writes_json_and_png(demo_table, demo_corpus, tmp_path, capsys):
    code = classify_main(["--cv", "repeated", "--features", str(demo_table), "--labels", str(demo_corpus / "labels.csv"),
                          "--folds", "5", "--repeats", "2", "--report-dir", str(tmp_path), "-q"])
    out = capsys.readouterr().out
    assert code == 0
    assert "SVM: macro-F1" in out and "RF: macro-F1" in out and "Q3 sad/melancholic" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["classifiers"]["svm"]["mean"]["macro_f1"] > 0.7  # the demo moods are easy
    assert report["seed"] == 0 and report["feature_settings"] == SETTINGS.to_dict()
    assert (tmp_path / "confusion_svm.png").read_bytes()[:4] == b"\x89PNG"


def test_cv_command_one_line_errors(demo_table, demo_corpus, tmp_path, capsys):
    pd.DataFrame({"path": ["elsewhere/x.mp3"], "quadrant": ["Q1"]}).to_csv(tmp_path / "none.csv", index=False)
    assert classify_main(["--features", str(demo_table), "--labels", str(tmp_path / "none.csv"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "no clip" in err and "(40 clips)" in err and "matched by 'path': 0 of 1 rows" in err
    assert classify_main(["--features", str(demo_table), "--folds", "11", "-q"]) == 2
    assert "fewer clips than the 11 folds" in capsys.readouterr().err
    assert classify_main(["--features", str(tmp_path / "missing.parquet"), "-q"]) == 2
    assert "no such feature table" in capsys.readouterr().err


def test_nan_in_a_table_is_a_one_line_error(demo_table, tmp_path, capsys):
    from featurize.table import read_table, write_table

    table, meta = read_table(demo_table)
    table.loc[3, "rms_energy_mean"] = np.nan
    write_table(table, tmp_path / "nan.parquet", meta)
    assert classify_main(["--features", str(tmp_path / "nan.parquet"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "clips with NaN or infinite features: 1" in err


def test_nested_tuning_runs_inside_the_outer_folds(demo_table, demo_corpus):
    data = load_dataset(demo_table, labels="folder")
    tuned = make_classifier("svm", tune=True, inner_folds=2)
    result = repeated_cv(tuned, data.X, data.y, n_splits=3, n_repeats=1, progress=False)
    assert result["mean"]["macro_f1"] > 0.5  # chance is 0.25


def test_every_model_train_can_write_is_loaded_as_trusted_types(demo_table, tmp_path):
    # Every classifier, and selection and tuning (their scorers and score functions), saved as
    # `classify train` saves them, then loaded in a new process: there skops.io is imported as
    # classify.model imports it, trusting only TRUSTED_TYPES beyond its basic types.
    data = load_dataset(demo_table, labels="folder")
    families = data.settings.column_families()
    variants = [(n, {}) for n in CLASSIFIERS] + [("svm", {"select": 5}), ("logreg", {"tune": True, "inner_folds": 2})]
    paths = []
    for name, options in variants:
        paths.append(tmp_path / f"{name}-{len(paths)}.skops")
        MoodModel.fit(make_classifier(name, families=families, probability=True, **options), data, name, 0).save(paths[-1])
    check = ("import sys; import numpy as np; from classify.model import MoodModel\n"
             "X = np.load(sys.argv[1])\n"
             "for path in sys.argv[2:]:\n"
             "    print(MoodModel.load(path).estimator.predict_proba(X).shape)")
    np.save(tmp_path / "X.npy", data.X[:3])
    run = subprocess.run([sys.executable, "-c", check, str(tmp_path / "X.npy"), *map(str, paths)], capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:-1] == ["(3, 4)"] * len(variants)


def test_model_refuses_features_made_with_other_settings(demo_table, tmp_path):
    data = load_dataset(demo_table, labels="folder")
    model = MoodModel.fit(make_classifier("rf"), data, "rf", 0)
    model.save(tmp_path / "m.skops")
    loaded = MoodModel.load(tmp_path / "m.skops")
    assert loaded.predict_proba(data.X[:3], data.settings).shape == (3, 4)
    with pytest.raises(SettingsMismatchError, match="sr: 22050 vs 16000"):
        loaded.predict_proba(data.X[:3], FeatureSettings(families=SETTINGS.families, sr=16000))


def test_train_then_predict_files_of_mixed_quality(demo_table, demo_corpus, tmp_path, capsys):
    model = tmp_path / "model.skops"
    assert classify_main(["train", "--features", str(demo_table), "--classifier", "svm", "--folds", "5",
                          "--repeats", "1", "-o", str(model), "-q"]) == 0
    assert "model:" in capsys.readouterr().out
    files = tmp_path / "mine"
    write_clip(files / "happy.mp3", synth_clip("Q1", 6.0, SR, seed=123))
    write_clip(files / "sad.wav", synth_clip("Q3", 6.0, SR, seed=123))
    (files / "broken.mp3").write_bytes(b"ID3" + bytes(500))
    write_clip(files / "tiny.mp3", synth_clip("Q1", 2.0, SR, seed=1))
    code = classify_main(["predict", str(files), "--model", str(model), "--format", "json", "-q", "-j", "1"])
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in json.loads(capsys.readouterr().out)}
    assert code == 1  # some files failed
    assert rows["happy.mp3"]["mood"] == "Q1" and rows["sad.wav"]["mood"] == "Q3"
    assert sum(rows["happy.mp3"]["probabilities"].values()) == pytest.approx(1, abs=1e-3)
    assert "cannot decode" in rows["broken.mp3"]["error"] and "too short" in rows["tiny.mp3"]["error"]
    # A feature table made with other settings is refused.
    other = tmp_path / "other.parquet"
    featurize([files], output=other, settings=FeatureSettings(families=("rms",)), n_jobs=1, progress=False)
    assert classify_main(["predict", str(other), "--model", str(model), "-q"]) == 2
    assert "refuses" in capsys.readouterr().err


def test_family_weighting_gives_every_family_the_same_variance():
    rng = np.random.default_rng(2)
    X = StandardScaler().fit_transform(rng.normal(size=(500, 7)))
    families = ["tempogram"] * 5 + ["rms", "zcr"]
    Z = FamilyWeighting(families=families).fit_transform(X)
    per_family = {f: Z[:, [i for i, g in enumerate(families) if g == f]].var(axis=0).sum() for f in set(families)}
    assert per_family == pytest.approx({"tempogram": 1 / 3, "rms": 1 / 3, "zcr": 1 / 3})
    assert FamilyWeighting().fit(X).weights_ == pytest.approx(np.full(7, 1 / np.sqrt(7)))
    with pytest.raises(ValueError, match="2 family names for 7 columns"):
        FamilyWeighting(families=["a", "b"]).fit(X)


def test_family_weighting_per_column_and_dropping_families():
    X = StandardScaler().fit_transform(np.random.default_rng(3).normal(size=(300, 6)))
    families = ["chroma", "chroma", "mfcc", "mfcc", "mfcc", "rms"]
    w = FamilyWeighting(families=families, per="column", drop=("chroma",)).fit(X)
    Z = w.transform(X)
    assert Z.shape == (300, 4) and np.allclose(Z, X[:, 2:] / 2)  # 4 columns kept, each 1/sqrt(4)
    assert Z.var(axis=0).sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="leaves no column"):
        FamilyWeighting(families=families, drop=("chroma", "mfcc", "rms")).fit(X)


def test_feature_view_of_the_mood_preset_and_of_the_classic_six():
    from classify.pipelines import MOOD_VIEW_DROP, feature_view
    from featurize.features import CLASSIC_FAMILIES, MOOD_FAMILIES

    mood = FeatureSettings(families=MOOD_FAMILIES).column_families()
    assert feature_view(mood) == {"per": "column", "drop": MOOD_VIEW_DROP}
    assert feature_view(FeatureSettings(families=CLASSIC_FAMILIES).column_families()) == {"per": "family", "drop": ()}
    assert feature_view(mood, view="families") == {"per": "family", "drop": ()}
    with pytest.raises(ValueError, match="unknown view"):
        feature_view(mood, view="best")


@pytest.mark.parametrize("name", ["svm", "svm_l1", "svm_lda", "krr", "logreg", "knn", "rf", "hgb", "ensemble"])
def test_every_classifier_learns_separable_moods_with_probabilities(name):
    rng = np.random.default_rng(4)
    y = np.repeat(["Q1", "Q2", "Q3"], 30)
    X = rng.normal(size=(90, 6)) + np.stack([(y == c) * 2.5 for c in ("Q1", "Q2", "Q3")] * 2, axis=1)
    families = ["a", "a", "b", "b", "c", "c"]
    model = make_classifier(name, random_state=0, families=families, probability=True)
    result = repeated_cv(make_classifier(name, random_state=0, families=families), X, y, n_splits=3, n_repeats=1, progress=False)
    assert result["mean"]["macro_f1"] > 0.8  # chance is 0.33
    proba = model.fit(X, y).predict_proba(X[:5])
    assert proba.shape == (5, 3) and np.allclose(proba.sum(axis=1), 1)


def test_selection_is_fitted_inside_the_pipeline_and_keeps_k_columns():
    rng = np.random.default_rng(5)
    y = np.repeat(["a", "b"], 40)
    X = np.hstack([rng.normal(size=(80, 1)) + 3 * (y == "a")[:, None], rng.normal(size=(80, 9))])
    model = make_classifier("svm", select=3).fit(X, y)
    assert [n for n, _ in model.steps] == ["scale", "weigh_families", "select", "svm"]
    kept = model.named_steps["select"].get_support()
    assert kept.sum() == 3 and kept[0]  # the informative column is among them


def test_cv_command_evaluates_all_classifiers_on_request(demo_table, demo_corpus, tmp_path, capsys):
    code = classify_main(["--features", str(demo_table), "--labels", str(demo_corpus / "labels.csv"), "--classifiers",
                          "all", "--folds", "3", "--repeats", "1", "--report-dir", str(tmp_path), "-q"])
    out = capsys.readouterr().out
    assert code == 0
    for name in ("SVM", "LOGREG", "KNN", "RF", "HGB", "ENSEMBLE"):
        assert f"{name}: macro-F1" in out
    assert classify_main(["--features", str(demo_table), "--classifiers", "svm,boost", "-q"]) == 2
    assert "unknown classifier 'boost'" in capsys.readouterr().err


def test_model_of_an_older_feature_set_version_is_refused(demo_table, tmp_path):
    import dataclasses

    data = load_dataset(demo_table, labels="folder")
    model = MoodModel.fit(make_classifier("logreg"), data, "logreg", 0)
    model.settings = dataclasses.replace(model.settings, version=1)
    model.save(tmp_path / "old.skops")
    with pytest.raises(SettingsMismatchError, match="feature-set version 1.*retrain"):
        MoodModel.load(tmp_path / "old.skops")


@pytest.mark.parametrize("argv, message", [
    (["--folds", "1"], "--folds: 1 is too small: give 2 or more"),
    (["--repeats", "0"], "--repeats: 0 is too small: give 1 or more"),
    (["-j", "0"], "-j/--jobs: 0 workers"),
    (["--select", "0"], "--select: 0 is too small"),
    (["predict", "x.mp3", "-j", "0"], "-j/--jobs: 0 workers"),
])
def test_classify_numbers_are_checked_when_parsed(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        classify_main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_a_file_that_is_not_a_table_is_a_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.parquet"
    bad.write_text("path,quadrant\na.mp3,Q1\n")
    assert classify_main(["--features", str(bad), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(bad) in err and "not a readable Parquet table" in err


def test_conflicting_label_rows_are_an_error_and_duplicates_are_not(tmp_path):
    table = pd.DataFrame({"path": ["a.mp3", "b.mp3"]})
    pd.DataFrame({"path": ["a.mp3", "b.mp3", "a.mp3"], "quadrant": ["Q1", "Q2", "Q1"]}).to_csv(tmp_path / "dup.csv")
    labels, _, _ = csv_labels(table, tmp_path / "dup.csv")
    assert labels.tolist() == ["Q1", "Q2"]
    pd.DataFrame({"path": ["a.mp3", "b.mp3", "a.mp3"], "quadrant": ["Q1", "Q2", "Q3"]}).to_csv(tmp_path / "two.csv")
    with pytest.raises(LabelError, match="clip a.mp3 has two labels, Q1 and Q3"):
        csv_labels(table, tmp_path / "two.csv")


def test_grouped_cv_with_fewer_groups_than_folds_runs_once(demo_table, demo_corpus, tmp_path, capsys):
    labels = pd.read_csv(demo_corpus / "labels.csv")
    labels["studio"] = [f"s{i % 3}" for i in range(len(labels))]
    labels.to_csv(tmp_path / "labels.csv", index=False)
    code = classify_main(["--features", str(demo_table), "--labels", str(tmp_path / "labels.csv"), "--groups", "studio",
                          "--classifiers", "logreg", "--report-dir", str(tmp_path / "r"), "-q"])
    assert code == 0
    assert "only 3 groups" in capsys.readouterr().out
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["folds"] == 3 and report["repeats"] == 1
    assert len(report["classifiers"]["logreg"]["per_repeat"]) == 1


def test_files_that_are_not_models_are_refused_in_one_line(demo_table, tmp_path, capsys):
    import os

    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    from featurize.table import read_table, write_table

    data = load_dataset(demo_table, labels="folder")
    good = tmp_path / "good.skops"
    MoodModel.fit(make_classifier("logreg"), data, "logreg", 0).save(good)
    (tmp_path / "text.skops").write_text("not a model\n")
    (tmp_path / "cut.skops").write_bytes(good.read_bytes()[:2000])
    skops.io.dump({"estimator": FunctionTransformer(os.system)}, tmp_path / "evil.skops")
    skops.io.dump({"hello": [1, 2]}, tmp_path / "other.skops")
    (tmp_path / "old.joblib").write_bytes(b"\x80\x04K\x01.")
    table, meta = read_table(demo_table)
    write_table(table, tmp_path / "table.parquet", meta)
    song = write_clip(tmp_path / "song.wav", synth_clip("Q1", 6.0, SR, seed=3))
    expected = {"text.skops": "not a model file", "cut.skops": "not a model file", "evil.skops": "never holds",
                "other.skops": "not a model written by", "old.joblib": "pickled models", "table.parquet": "not a model file"}
    for name, message in expected.items():
        assert classify_main(["predict", str(song), "--model", str(tmp_path / name), "-q"]) == 2, name
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and name in err and message in err, (name, err)
    assert classify_main(["predict", str(song), "--model", str(good), "-q", "-j", "1"]) == 0


def test_train_output_folder_and_report_dir_file_are_refused(demo_table, tmp_path, capsys):
    assert classify_main(["train", "--features", str(demo_table), "-o", str(tmp_path), "-q"]) == 2
    assert "a folder; name the model file" in capsys.readouterr().err
    (tmp_path / "report").write_text("mine")
    assert classify_main(["--features", str(demo_table), "--report-dir", str(tmp_path / "report"), "-q"]) == 2
    assert "a file, not a folder" in capsys.readouterr().err and (tmp_path / "report").read_text() == "mine"


def test_predict_names_every_skipped_file_and_keeps_the_order_given(demo_table, tmp_path, capsys):
    data = load_dataset(demo_table, labels="folder")
    model = tmp_path / "m.skops"
    MoodModel.fit(make_classifier("logreg"), data, "logreg", 0).save(model)
    z = write_clip(tmp_path / "z.wav", synth_clip("Q1", 6.0, SR, seed=1))
    folder = tmp_path / "album"
    write_clip(folder / "b.wav", synth_clip("Q2", 6.0, SR, seed=2))
    write_clip(folder / "a.wav", synth_clip("Q3", 6.0, SR, seed=3))
    (folder / "cover.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / "song.mid").write_bytes(b"MThd" + b"\x00" * 100)
    (tmp_path / "broken.m4a").write_bytes(b"\x00" * 100)
    given = [str(z), str(tmp_path / "missing.mp3"), str(tmp_path / "song.mid"), str(tmp_path / "broken.m4a"),
             str(folder)]
    code = classify_main(["predict", *given, "--model", str(model), "--format", "csv", "-q", "-j", "1"])
    out, err = capsys.readouterr()
    rows = pd.read_csv(__import__("io").StringIO(out))
    assert code == 1
    assert [p.rsplit("/", 1)[-1] for p in rows["path"]] == ["z.wav", "missing.mp3", "song.mid", "broken.m4a",
                                                              "a.wav", "b.wav"]
    assert rows["mood"].notna().tolist() == [True, False, False, False, True, True]
    assert "no such file" in rows["error"][1] and "not an audio file by its ending ('.mid')" in rows["error"][2]
    assert "cannot decode" in rows["error"][3] and "FFmpeg" in rows["error"][3]
    assert "files skipped, not audio by their ending: 1 (" in err and "cover.jpg" in err


def test_train_never_replaces_a_model_of_other_labels_unasked(demo_table, demo_corpus, tmp_path, capsys):
    model = tmp_path / "m.skops"
    base = ["train", "--features", str(demo_table), "--classifier", "logreg", "--no-cv", "-q", "-o", str(model)]
    assert classify_main(base) == 0  # folder labels: Q1..Q4
    assert classify_main(base) == 0 and "replacing" in capsys.readouterr().out
    other = tmp_path / "other.csv"
    pd.read_csv(demo_corpus / "labels.csv").assign(quadrant=lambda d: d["quadrant"].map(
        {"Q1": "high", "Q2": "high", "Q3": "low", "Q4": "low"})).to_csv(other, index=False)
    before = model.read_bytes()
    assert classify_main(base + ["--labels", str(other)]) == 2
    assert "trained on other labels" in capsys.readouterr().err and model.read_bytes() == before
    assert classify_main(base + ["--labels", str(other), "--overwrite"]) == 0
    assert MoodModel.load(model).classes == ["high", "low"]
    (tmp_path / "notes.skops").write_text("mine")
    assert classify_main(base[:-2] + ["-o", str(tmp_path / "notes.skops"), "-q"]) == 2
    assert (tmp_path / "notes.skops").read_text() == "mine"


def test_the_command_may_follow_the_options_and_the_tools_say_their_version(demo_table, tmp_path, capsys):
    from classify.__main__ import build_parser, with_command_first

    build_parser()  # fills the options that take a value
    assert with_command_first(["--features", "t.parquet", "train"]) == ["train", "--features", "t.parquet"]
    assert with_command_first(["--cv", "repeated", "--labels", "train"])[0] == "cv"  # 'train' is a value here
    assert with_command_first(["predict", "train"]) == ["predict", "train"]
    model = tmp_path / "m.skops"
    assert classify_main(["--features", str(demo_table), "train", "--classifier", "logreg", "--no-cv", "-q",
                          "-o", str(model)]) == 0 and model.exists()
    with pytest.raises(SystemExit) as exit_:
        classify_main(["--version"])
    assert exit_.value.code == 0 and "python -m classify 0." in capsys.readouterr().out


@parametrize_with_checks([FamilyWeighting(), FamilyWeighting(per="column"), LaplacianSVC(random_state=0),
                          RbfSVC(random_state=0), KernelRidgeClassifier(random_state=0), SvmLdaClassifier(random_state=0)])
def test_our_transformer_and_classifiers_are_scikit_learn_estimators(estimator, check):
    check(estimator)


def test_a_cross_validation_worker_does_not_load_librosa():
    # A worker runs folds from classify.evaluate on estimators of classify.estimators; librosa's
    # compiled parts would add seconds to its start, one process at a time (featurize/_librosa.py).
    code = "import sys, classify.evaluate, classify.estimators; print(sorted(m for m in sys.modules if 'librosa' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["[]"]


@pytest.mark.parametrize("gamma", ["scale", "auto", 0.3])
def test_the_rbf_svm_on_its_gram_matrix_is_scikit_learns_rbf_svm(gamma):
    rng = np.random.default_rng(5)
    y = np.repeat(["Q1", "Q2", "Q3", "Q4"], 60)
    X = rng.normal(size=(240, 30)) + 0.6 * (y[:, None] == np.array(["Q1", "Q2", "Q3", "Q4"])).repeat(8, axis=1)[:, :30]
    train, test = np.arange(240) % 3 != 0, np.arange(240) % 3 == 0
    ours = RbfSVC(C=3.0, gamma=gamma, random_state=0).fit(X[train], y[train])
    theirs = SVC(kernel="rbf", C=3.0, gamma=gamma, class_weight="balanced", random_state=0).fit(X[train], y[train])
    assert ours.gamma_ == pytest.approx(theirs._gamma)
    assert np.array_equal(ours.predict(X[test]), theirs.predict(X[test]))
    np.testing.assert_allclose(ours.decision_function(X[test]), theirs.decision_function(X[test]), atol=1e-9)
    assert (ours.predict(X[test]) == y[test]).mean() > 0.4  # well above chance (0.25): the comparison means something
    with pytest.raises(ValueError, match="gamma"):
        RbfSVC(gamma=-1.0).fit(X[train], y[train])


def test_the_l1_svm_separates_what_an_l1_distance_separates():
    rng = np.random.default_rng(0)
    # Two classes that differ by 1 in every one of 50 columns, each column also with rare large outliers.
    y = np.repeat([0, 1], 100)
    X = rng.normal(size=(200, 50)) + y[:, None] + 30 * (rng.random((200, 50)) < 0.02) * rng.normal(size=(200, 50))
    train, test = np.arange(200) % 2 == 0, np.arange(200) % 2 == 1
    l1 = LaplacianSVC(random_state=0).fit(X[train], y[train])
    assert (l1.predict(X[test]) == y[test]).mean() > 0.9
    assert l1.decision_function(X[test]).shape == (100,) and l1.gamma_ > 0


def test_the_discriminant_finds_what_hides_under_a_shared_swing():
    rng = np.random.default_rng(0)
    # Two classes that differ by +-0.2 in opposite halves of 40 columns, under a loud swing that
    # moves all columns together: large in any distance, gone in the discriminant's covariance.
    y = np.repeat([0, 1], 150)
    X = 10 * rng.normal(size=(300, 1)) + 0.5 * rng.normal(size=(300, 40))
    X += 0.2 * np.where(y[:, None] == 1, 1, -1) * np.r_[np.ones(20), -np.ones(20)]
    train, test = np.arange(300) % 2 == 0, np.arange(300) % 2 == 1
    accuracy = {w: (SvmLdaClassifier(lda_weight=w, random_state=0).fit(X[train], y[train]).predict(X[test]) == y[test]).mean()
                for w in (0.75, 5.0)}
    svm = (LaplacianSVC(random_state=0).fit(X[train], y[train]).predict(X[test]) == y[test]).mean()
    assert svm < 0.6 and accuracy[0.75] > svm + 0.08 and accuracy[5.0] > 0.95
    # Columns flagged lda_only go to the discriminant alone: here they hold all the signal.
    noise = rng.normal(size=(300, 5))
    flagged = SvmLdaClassifier(lda_weight=5.0, random_state=0, lda_only=np.r_[np.zeros(5), np.ones(40)].astype(bool))
    flagged.fit(np.c_[noise, X][train], y[train])
    assert flagged.svm_.n_features_in_ == 5 and flagged.lda_.n_features_in_ == 45
    assert (flagged.predict(np.c_[noise, X][test]) == y[test]).mean() > 0.9
    with pytest.raises(ValueError, match="3 flags for 40 columns"):
        SvmLdaClassifier(lda_only=[True, False, False]).fit(X, y)


def test_in_the_mood_view_only_svm_lda_sees_chroma_patterns():
    families = FeatureSettings(families=PRESETS["mood"]).column_families()
    X = np.random.default_rng(0).normal(size=(40, len(families)))
    y = np.repeat(["Q1", "Q2"], 20)
    patterns = families.count("chroma_patterns")
    others = sum(f not in ("chroma", "tempogram", "chroma_patterns") for f in families)
    fused = make_classifier("svm_lda", families=families).fit(X, y)["svm_lda"]
    assert patterns == 108 and fused.lda_.n_features_in_ == others + patterns and fused.svm_.n_features_in_ == others
    assert make_classifier("svm_l1", families=families).fit(X, y)["svm_l1"].n_features_in_ == others


def test_family_weighting_names_the_columns_it_keeps():
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 3)), columns=["chroma_C_mean", "rms_mean", "zcr_mean"])
    w = FamilyWeighting(families=["chroma", "rms", "zcr"], drop=("chroma",)).fit(X)
    assert w.get_feature_names_out().tolist() == ["rms_mean", "zcr_mean"]


def test_every_error_a_user_can_cause_is_a_moodclass_error():
    # Every exception class the project defines, found by importing each of its modules: none is
    # left outside the base class the commands report in one line.
    import importlib
    import inspect
    import pkgutil

    from moodclass.errors import MoodclassError, UsageError

    found = set()
    for package in ("featurize", "classify", "moodclass"):
        for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
            if info.name.endswith("__main__"):
                continue
            module = importlib.import_module(info.name)
            found |= {obj for _, obj in inspect.getmembers(module, inspect.isclass)
                      if issubclass(obj, Exception) and obj.__module__ == module.__name__}
    assert len(found) >= 9 and {c.__name__ for c in found} >= {"AudioError", "TableError", "ModelFileError", "UsageError"}
    for error in found:
        assert issubclass(error, MoodclassError), f"{error.__module__}.{error.__name__} is not a MoodclassError"
    with pytest.raises(UsageError, match="unknown feature families"):
        FeatureSettings(families=("loudness",))


def test_votes_teach_the_kernel_ridge_classifier_what_one_vote_per_clip_hides():
    rng = np.random.default_rng(0)
    # The share of listeners who hear "B" rises with the first column; each clip's label is one
    # listener's vote (noisy), its votes those of many listeners.
    X = rng.normal(size=(600, 5))
    p_b = 1 / (1 + np.exp(-3 * X[:, 0]))
    shares = np.c_[1 - p_b, p_b]
    y = np.where(rng.random(600) < p_b, "B", "A")
    truth = np.where(p_b > 0.5, "B", "A")
    train, test = slice(0, 300), slice(300, None)
    from_labels = KernelRidgeClassifier(random_state=0).fit(X[train], y[train])
    from_shares = KernelRidgeClassifier(random_state=0).fit(X[train], y[train], votes=shares[train])
    acc_labels = (from_labels.predict(X[test]) == truth[test]).mean()
    acc_shares = (from_shares.predict(X[test]) == truth[test]).mean()
    assert acc_shares > 0.85 and acc_shares > acc_labels + 0.05
    # Votes that are the labels (one-hot) are the labels: the same model; so are counts that are
    # shares times the same number of voters for every clip.
    one_hot = np.c_[y == "A", y == "B"].astype(float)
    same = KernelRidgeClassifier(random_state=0).fit(X[train], y[train], votes=one_hot[train])
    assert np.allclose(same.predict_proba(X[test]), from_labels.predict_proba(X[test]))
    counts = KernelRidgeClassifier(random_state=0).fit(X[train], y[train], votes=20 * shares[train])
    assert np.allclose(counts.predict_proba(X[test]), from_shares.predict_proba(X[test]))
    proba = from_shares.predict_proba(X[test])
    assert np.allclose(proba.sum(axis=1), 1) and (from_shares.classes_[proba.argmax(1)] == from_shares.predict(X[test])).all()
    with pytest.raises(ValueError, match="votes of shape"):
        KernelRidgeClassifier().fit(X[train], y[train], votes=shares[:10])
    with pytest.raises(ValueError, match="non-negative"):
        KernelRidgeClassifier().fit(X[train], y[train], votes=-shares[train])


def test_clips_with_more_voters_count_more():
    rng = np.random.default_rng(1)
    # Half the clips were heard by 40 listeners, whose shares follow the first column; the other half
    # by 2 listeners each, whose shares are noise. Counting votes trusts the first half more.
    X = rng.normal(size=(800, 5))
    p_b = 1 / (1 + np.exp(-3 * X[:, 0]))
    many = np.arange(800) % 2 == 0
    voters = np.where(many, 40, 2)
    b_votes = np.where(many, rng.binomial(40, p_b), rng.binomial(2, 0.5, 800))
    counts = np.c_[voters - b_votes, b_votes].astype(float)
    y = np.where(b_votes * 2 > voters, "B", "A")
    truth = np.where(p_b > 0.5, "B", "A")
    train, test = slice(0, 400), slice(400, None)
    by_counts = KernelRidgeClassifier(random_state=0).fit(X[train], y[train], votes=counts[train])
    by_shares = KernelRidgeClassifier(random_state=0).fit(X[train], y[train], votes=counts[train] / voters[train, None])
    acc_counts = (by_counts.predict(X[test]) == truth[test]).mean()
    acc_shares = (by_shares.predict(X[test]) == truth[test]).mean()
    assert acc_counts > 0.85 and acc_counts > acc_shares + 0.03


def test_vote_columns_of_a_labels_csv():
    quads = ["Q1", "Q2", "Q3", "Q4"]
    gems = [c for cols in GEMS_QUADRANTS.values() for c in cols] + ["solemnity"]
    assert vote_columns(["path", "quadrant", *quads], quads) == {q: (q,) for q in quads}
    assert vote_columns(["path", "quadrant", *gems], quads) == GEMS_QUADRANTS
    assert vote_columns(["path", "quadrant", *gems], quads, spec="none") is None
    assert vote_columns(["path", "cluster"], ["C1", "C2"]) is None
    assert vote_columns(["sad", "calm", "x"], ["Q3", "Q4"], spec="Q3=sad,Q4=calm+x") == {"Q3": ("sad",), "Q4": ("calm", "x")}
    for spec, message in [("Q3=sad", "no columns for class Q4"), ("Q3=sad,Q4=nope", "no column 'nope'"),
                          ("Q3sad", "CLASS=COLUMN")]:
        with pytest.raises(LabelError, match=message):
            vote_columns(["sad", "calm"], ["Q3", "Q4"], spec=spec)
    numbers = pd.DataFrame({"a": [3.0, 0.0, np.nan], "b": [1.0, 0.0, 2.0], "c": [0.0, 0.0, 2.0]})
    votes, fallback = vote_counts(numbers, {"X": ("a",), "Y": ("b", "c")}, np.array(["X", "Y", "X"]))
    assert np.allclose(votes, [[3, 1], [0, 4], [4, 0]]) and fallback == 2  # no votes: the label, as many as the mean
    votes, _ = vote_counts(numbers.fillna(0.5), {"X": ("a",), "Y": ("b", "c")}, np.array(["X", "Y", "X"]),
                           voters=np.array([10, 1, 2]))
    assert np.allclose(votes[[0, 2]], [[30, 10], [1, 8]])


def test_cv_and_train_learn_from_votes_in_the_labels_csv(demo_table, demo_corpus, tmp_path, capsys):
    labels = pd.read_csv(demo_corpus / "labels.csv")
    for q in ("Q1", "Q2", "Q3", "Q4"):
        labels[q] = np.where(labels["quadrant"] == q, 0.7, 0.1)
    labels["listeners"] = np.arange(len(labels)) % 3 + 10
    labels.to_csv(tmp_path / "votes.csv", index=False)
    data = load_dataset(demo_table, labels=tmp_path / "votes.csv")
    listeners = labels.set_index("path").loc[data.paths, "listeners"].to_numpy()
    assert data.votes.shape == (len(data.y), 4)
    assert np.allclose(data.votes.sum(axis=1), listeners)  # fractions (summing to 1) times the listeners
    assert "the most voted class is the clip's label for 100% of clips" in " ".join(data.messages)
    assert fit_params("krr", data.votes)["krr__votes"] is data.votes and fit_params("svm", data.votes) == {}
    code = classify_main(["--features", str(demo_table), "--labels", str(tmp_path / "votes.csv"), "--classifiers",
                          "krr,svm", "--folds", "5", "--repeats", "1", "--report-dir", str(tmp_path / "r"), "-q"])
    out = capsys.readouterr().out
    assert code == 0 and "votes: Q1=Q1,Q2=Q2,Q3=Q3,Q4=Q4 x listeners" in out and "KRR: macro-F1" in out
    assert json.loads((tmp_path / "r" / "report.json").read_text())["classifiers"]["krr"]["mean"]["macro_f1"] > 0.7
    model_path = tmp_path / "krr.skops"
    assert classify_main(["train", "--features", str(demo_table), "--labels", str(tmp_path / "votes.csv"),
                          "--classifier", "krr", "--no-cv", "-o", str(model_path), "-q"]) == 0
    assert MoodModel.load(model_path).info["votes"] == "Q1=Q1,Q2=Q2,Q3=Q3,Q4=Q4 x listeners"
    # Counts (not fractions) are votes as they are.
    labels[["Q1", "Q2", "Q3", "Q4"]] *= 10
    labels.to_csv(tmp_path / "counts.csv", index=False)
    counted = load_dataset(demo_table, labels=tmp_path / "counts.csv")
    assert np.allclose(counted.votes.sum(axis=1), 10) and counted.votes_source == "Q1=Q1,Q2=Q2,Q3=Q3,Q4=Q4"
    capsys.readouterr()
    assert classify_main(["--features", str(demo_table), "--labels", str(tmp_path / "votes.csv"),
                          "--votes", "Q1=Q1,Q2=Q2,Q3=Q3,Q4=nope", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no column 'nope' for --votes" in err
    assert classify_main(["--features", str(demo_table), "--votes", "Q1=a,Q2=b", "-q"]) == 2
    assert "--votes needs the votes in a labels CSV" in capsys.readouterr().err


def test_importance_ranks_first_the_family_that_carries_the_label_and_a_learning_curve_rises():
    from classify.inspection import family_importance, learning_curve

    rng = np.random.default_rng(0)
    y = np.repeat(["Q1", "Q2", "Q3", "Q4"], 40)
    signal = np.eye(4)[np.searchsorted(["Q1", "Q2", "Q3", "Q4"], y)] * 2.0 + rng.normal(size=(160, 4))
    X = np.hstack([rng.normal(size=(160, 6)), signal, rng.normal(size=(160, 5))])
    families = ["noise_a"] * 6 + ["carrier"] * 4 + ["noise_b"] * 5
    splits = list(cv_splits(y, n_splits=4, n_repeats=2, random_state=0))
    model = make_classifier("logreg", families=families)
    importance = family_importance(model, X, y, families=families, splits=splits, n_repeats=2, n_jobs=1,
                                   progress=False)
    assert importance["families"][0] == "carrier" and importance["mean"]["carrier"] > 0.3
    assert abs(importance["mean"]["noise_a"]) < 0.05 and abs(importance["mean"]["noise_b"]) < 0.05
    curve = learning_curve(model, X, y, splits=splits, n_repeats=2, train_shares=(0.1, 0.3, 1.0), n_jobs=1,
                           progress=False)
    assert curve["train_clips"] == [12.0, 36.0, 120.0]
    assert curve["mean"][0] < curve["mean"][1] < curve["mean"][2] and curve["mean"][2] > 0.7


def test_cv_importance_and_learning_curve_land_in_the_report(demo_table, tmp_path, capsys):
    out = tmp_path / "r"
    assert classify_main(["--features", str(demo_table), "--classifiers", "logreg", "--folds", "3", "--repeats", "1",
                          "--importance", "--learning-curve", "--report-dir", str(out), "-q", "-j", "1"]) == 0
    text = capsys.readouterr().out
    assert "drop in macro-F1 when a family's columns are shuffled" in text and "against the training clips" in text
    report = json.loads((out / "report.json").read_text())["classifiers"]["logreg"]
    families = set(FeatureSettings.from_dict(json.loads((out / "report.json").read_text())["feature_settings"])
                   .column_families())
    assert set(report["importance"]["families"]) == families
    assert len(report["learning_curve"]["mean"]) == len(report["learning_curve"]["train_clips"]) == 6
    for png in ("importance_logreg.png", "learning_curve_logreg.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
