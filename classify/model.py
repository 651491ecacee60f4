"""A trained mood model on disk: the fitted Pipeline with everything needed to use it honestly.

Saved with skops.io beside its metadata: classes, feature columns, the extraction settings
and library versions of its training features, training size, cross-validated score.
Loading runs no code from the file: skops rebuilds only types it trusts, and a model file
may hold nothing beyond skops's own basic types and :data:`TRUSTED_TYPES` (what this project's
Pipelines are made of); anything else is refused before it is loaded. A model refuses features
made with other settings.
"""

import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn.utils

from classify.estimators import FamilyWeighting, KernelRidgeClassifier, LaplacianSVC, MusicLikeness, RbfSVC, SvmLdaClassifier
from classify.foreign import ForeignFeatures
from classify.labels import are_quadrants, quadrants, rating_scale, target_thresholds, valence_arousal
from classify.pipelines import MOOD_VIEW_DROP
from featurize.features import FEATURE_SET_VERSION, FeatureSettings
from moodclass.errors import InputNotFoundError, ModelFileError, MoodclassError, SettingsMismatchError
from moodclass.infra import atomic_write, library_versions


def _import_skops():
    """skops.io, imported without its list of every scikit-learn estimator.

    On import, skops.io makes every estimator class of scikit-learn trusted by default, which it
    finds by importing all of scikit-learn (``sklearn.utils.all_estimators``; with dask installed,
    dask's array modules too): about half a second of every ``predict``'s start. A mood model
    is checked against its own list instead, :data:`TRUSTED_TYPES`, so skops's default list is
    left empty: skops then trusts less, never more. (If skops.io is already imported, its
    list stays as it was; the check below is the same either way.)
    """
    every_estimator = sklearn.utils.all_estimators
    sklearn.utils.all_estimators = lambda *args, **kwargs: []
    try:
        import skops.io
    finally:
        sklearn.utils.all_estimators = every_estimator
    return skops.io


skops_io = _import_skops()

#: The model that ships with the project (trained by ``classify/shipped/train_default.py``).
DEFAULT_MODEL = Path(__file__).parent / "shipped" / "default.skops"
MODEL_SUFFIX = ".skops"

_OWN_ESTIMATORS = (FamilyWeighting, KernelRidgeClassifier, LaplacianSVC, RbfSVC, SvmLdaClassifier, MusicLikeness)
#: Types a model file may hold beyond skops's basic ones (numpy arrays, scipy sparse matrices,
#: builtins): this project's estimators (by their module, and by classify.pipelines, where files
#: saved before the estimators had a module and which still exports them), and the scikit-learn
#: classes and functions that the Pipelines of :mod:`classify.pipelines` are made of, with
#: ``--tune`` and ``--select`` too (tests/test_classify.py checks that every one loads). Trees'
#: node storage (``Tree``, ``TreePredictor``) is among them, as the shipped ensemble needs: skops
#: does not trust it by default because a crafted file's node indices could crash ``predict``
#: (they run no code).
TRUSTED_TYPES = tuple(f"{c.__module__}.{c.__qualname__}" for c in _OWN_ESTIMATORS) + tuple(
    f"classify.pipelines.{c.__qualname__}" for c in _OWN_ESTIMATORS) + (
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.calibration._TemperatureScaling",
    "sklearn.decomposition._pca.PCA",
    "sklearn.discriminant_analysis.LinearDiscriminantAnalysis",
    "sklearn.ensemble._forest.ExtraTreesClassifier",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.ensemble._forest.RandomForestRegressor",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._voting.VotingClassifier",
    "sklearn.feature_selection._univariate_selection.SelectKBest",
    "sklearn.feature_selection._univariate_selection.f_classif",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.metrics._classification.f1_score",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._scorer._Scorer",
    "sklearn.model_selection._search.GridSearchCV",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.multioutput.MultiOutputRegressor",
    "sklearn.neighbors._classification.KNeighborsClassifier",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._label.LabelEncoder",
    "sklearn.svm._classes.SVC",
    "sklearn.svm._classes.SVR",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._classes.ExtraTreeClassifier",
    "sklearn.tree._tree.Tree",
    "sklearn.utils._bunch.Bunch",
)
_PAYLOAD_KEYS = {"estimator", "settings", "feature_columns", "classes", "info"}


@dataclass
class MoodModel:
    """A fitted classifier and its metadata.

    Attributes
    ----------
    estimator : sklearn Pipeline
        Fitted; has ``predict_proba``.
    settings : FeatureSettings or ForeignFeatures
        Extraction settings of the features it expects, or the foreign table it was trained on
        (:mod:`classify.foreign`): such a model takes only tables with the same columns.
    feature_columns : list of str
    classes : list of str
    info : dict
        Classifier name, seed, training table and size, the median length of its training clips
        (``clip_seconds``, which :func:`classify.predict.predict_paths` judges long files by), CV
        scores, library versions, date.
    """

    estimator: object
    settings: "FeatureSettings | ForeignFeatures"
    feature_columns: list
    classes: list
    info: dict
    likeness: "MusicLikeness | None" = None

    @classmethod
    def fit(cls, estimator, dataset, name: str, seed: int, cv_scores: dict | None = None,
            thresholds: tuple[float | None, float | None] = (None, None), fit_params: dict | None = None) -> "MoodModel":
        """Fit `estimator` on every clip of `dataset` (a :class:`classify.dataset.Dataset`),
        passing `fit_params` (e.g. the votes, :func:`classify.pipelines.fit_params`) to its ``fit``.

        A dataset with ``targets`` (``--target``) fits a regressor of them; the model then
        records the targets, their rating scales and the quadrant `thresholds` (None: the
        scale's midpoint), and has no classes.

        Parameters
        ----------
        estimator : sklearn estimator
            Unfitted (:func:`classify.pipelines.make_classifier` or ``make_regressor``).
        dataset : classify.dataset.Dataset
        name : str
            The classifier's name, recorded.
        seed : int
            The `random_state` it was made with, recorded.
        cv_scores : dict, optional
            Its cross-validated scores, recorded.
        thresholds : (float or None, float or None)
            A regressor's valence and arousal thresholds.
        fit_params : dict, optional
            Passed to ``estimator.fit``.

        Returns
        -------
        MoodModel
        """
        info = {"classifier": name, "seed": seed, "trained_on": str(dataset.table), "n_train": len(dataset.y),
                "clip_seconds": _median_seconds(dataset.durations),
                "cv": cv_scores, "versions": library_versions(), "feature_versions": dataset.table_metadata.get("versions"),
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if dataset.targets is not None:
            estimator.fit(dataset.X, dataset.targets)
            info.update(targets=list(dataset.target_names),
                        scales=[list(rating_scale(dataset.targets[:, j])) for j in range(dataset.targets.shape[1])],
                        thresholds=target_thresholds(dataset.targets, thresholds=thresholds))
            return cls(estimator, dataset.settings, list(dataset.feature_columns), [], info, _likeness(dataset, seed))
        estimator.fit(dataset.X, dataset.y, **(fit_params or {}))
        if fit_params:
            info["votes"] = dataset.votes_source
        info["class_counts"] = {c: int(n) for c, n in zip(*np.unique(dataset.y, return_counts=True))}
        return cls(estimator, dataset.settings, list(dataset.feature_columns), [str(c) for c in estimator.classes_], info,
                   _likeness(dataset, seed))

    @property
    def targets(self) -> list[str]:
        """The numbers a regression model predicts (``train --target``); empty for a classifier."""
        return list(self.info.get("targets") or [])

    def _plane_targets(self) -> tuple[str, str] | None:
        """The targets that stand for valence and arousal (Echonest's energy stands for arousal)."""
        arousal = next((t for t in ("arousal", "energy") if t in self.targets), None)
        return ("valence", arousal) if "valence" in self.targets and arousal else None

    def output_columns(self) -> list[str]:
        """The columns :meth:`predict_moods` gives."""
        if self.targets:
            va = ["valence", "arousal"] if self._plane_targets() else []
            return ["mood"] + va + [f"rating_{t}" for t in self.targets] + LIKENESS_COLUMNS
        return (["mood"] + [f"p_{c}" for c in self.classes] + (["valence", "arousal"] if are_quadrants(self.classes) else [])
                + LIKENESS_COLUMNS)

    def music_distance(self, X: np.ndarray) -> np.ndarray:
        """Each row's distance from the music the model learnt from (:class:`~classify.estimators.MusicLikeness`).

        Parameters
        ----------
        X : np.ndarray [shape=(n, d)]

        Returns
        -------
        np.ndarray [shape=(n,)]
            NaN for a model saved without it.
        """
        if self.likeness is None:
            return np.full(len(X), np.nan)
        return self.likeness.distance(np.asarray(X, dtype=np.float64))

    def predict_moods(self, X: np.ndarray, settings) -> pd.DataFrame:
        """The mood of each row of `X` (features made with `settings`), columns :meth:`output_columns`.

        A classifier gives its most probable class, each class's probability and, for the
        quadrants, valence and arousal from them (:func:`classify.labels.valence_arousal`). A
        regressor gives its predicted ratings (``rating_TARGET``) and, when they are valence and
        arousal, the quadrant at its thresholds and both numbers mapped onto [-1, 1] (the scale's
        threshold at 0, its ends at -1 and 1).

        Parameters
        ----------
        X : np.ndarray [shape=(n, d)]
        settings : FeatureSettings or ForeignFeatures
            What made `X`; checked against the model's (:meth:`check_settings`).

        Returns
        -------
        pd.DataFrame
            One row per row of `X`.
        """
        return self._moods(self._outputs(X, settings), self.music_distance(X))

    def predict_songs(self, windows: Sequence[np.ndarray], settings) -> pd.DataFrame:
        """The mood of each song from the feature rows of its windows (`windows`: one array of
        rows per song, at least one song, made with `settings`): the mean of the windows' class
        probabilities (a regressor's ratings), then the columns of :meth:`predict_moods`.

        Parameters
        ----------
        windows : sequence of np.ndarray [shape=(w, d)]
        settings : FeatureSettings or ForeignFeatures

        Returns
        -------
        pd.DataFrame
            One row per song.
        """
        rows = np.vstack(windows)
        outputs, distances = self._outputs(rows, settings), self.music_distance(rows)
        parts = np.cumsum([len(w) for w in windows])[:-1]
        # A song's distance is its typical window's: a spoken intro does not make a song speech.
        return self._moods(np.array([part.mean(axis=0) for part in np.split(outputs, parts)]),
                           np.array([np.median(part) for part in np.split(distances, parts)]))

    @property
    def clip_seconds(self) -> float | None:
        """The typical length (median, seconds) of the clips the model learnt from, if recorded."""
        return self.info.get("clip_seconds")

    def _outputs(self, X, settings) -> np.ndarray:
        """A classifier's class probabilities, or a regressor's ratings, of the rows of `X`."""
        self.check_settings(settings)
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.feature_columns):
            raise SettingsMismatchError(f"expected {len(self.feature_columns)} features per clip, got {X.shape[-1]}")
        if not self.targets:
            return self.estimator.predict_proba(X)
        return np.asarray(self.estimator.predict(X), dtype=np.float64).reshape(len(X), -1)

    def _moods(self, outputs: np.ndarray, distances: np.ndarray) -> pd.DataFrame:
        """The columns of :meth:`predict_moods` from :meth:`_outputs` and :meth:`music_distance`."""
        out = self._mood_columns(outputs)
        out["music_distance"] = distances
        out["music_like"] = music_like(distances)
        return out[self.output_columns()]

    def _mood_columns(self, outputs: np.ndarray) -> pd.DataFrame:
        """The mood, its probabilities (or ratings), valence and arousal, from :meth:`_outputs`."""
        if not self.targets:
            proba = outputs
            out = pd.DataFrame(proba, columns=[f"p_{c}" for c in self.classes])
            out.insert(0, "mood", np.array(self.classes)[np.argmax(proba, axis=1)])
            va = valence_arousal(proba, self.classes)
            if va is not None:
                out["valence"], out["arousal"] = va
            return out
        ratings = outputs
        out = pd.DataFrame(ratings, columns=[f"rating_{t}" for t in self.targets])
        out.insert(0, "mood", None)
        if self._plane_targets():
            unit = {}
            for name, target in zip(("valence", "arousal"), self._plane_targets()):
                j = self.targets.index(target)
                (lo, hi), mid = self.info["scales"][j], self.info["thresholds"][j]
                x = ratings[:, j]
                unit[name] = np.clip(np.where(x >= mid, (x - mid) / max(hi - mid, 1e-12), (x - mid) / max(mid - lo, 1e-12)),
                                     -1, 1)
            out["valence"], out["arousal"] = unit["valence"], unit["arousal"]
            out["mood"] = quadrants(unit["valence"], unit["arousal"], 0.0, 0.0)
        return out

    @property
    def takes_audio(self) -> bool:
        """Whether the model's features can be computed from audio (False: trained on a foreign table)."""
        return isinstance(self.settings, FeatureSettings)

    def check_settings(self, settings: FeatureSettings) -> None:
        """Raise :class:`SettingsMismatchError` unless `settings` equal the model's.

        Parameters
        ----------
        settings : FeatureSettings or ForeignFeatures
        """
        if settings != self.settings:
            diffs = self.settings.differences(settings)
            raise SettingsMismatchError(f"features made with other extraction settings than the model's "
                                        f"(model vs features: {'; '.join(diffs)}): the model refuses them")

    def predict_proba(self, X: np.ndarray, settings: FeatureSettings) -> np.ndarray:
        """Class probabilities (columns in :attr:`classes` order) of feature rows made with `settings`.

        Parameters
        ----------
        X : np.ndarray [shape=(n, d)]
        settings : FeatureSettings or ForeignFeatures

        Returns
        -------
        np.ndarray [shape=(n, classes)]
        """
        return self.predict_moods(X, settings)[[f"p_{c}" for c in self.classes]].to_numpy()

    def save(self, path: str | Path) -> None:
        """Write the model atomically to `path` (skops.io, compressed).

        Parameters
        ----------
        path : str or Path
            A ``.skops`` file; replaced whole or not at all.
        """
        payload = {"estimator": self.estimator, "settings": self.settings.to_dict(),
                   "feature_columns": self.feature_columns, "classes": self.classes, "info": self.info,
                   "likeness": self.likeness}
        atomic_write(path, lambda tmp: skops_io.dump(payload, tmp, compression=zipfile.ZIP_DEFLATED, compresslevel=9))

    @classmethod
    def load(cls, path: str | Path) -> "MoodModel":
        """Read a model written by :meth:`save`; warns if scikit-learn's version differs from training.

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        MoodModel

        Raises
        ------
        ModelFileError
            If `path` is not such a model, or holds types outside :data:`TRUSTED_TYPES`.
        """
        path = Path(path)
        if path.is_dir():
            raise ModelFileError(f"{path}: a folder, not a model file (give the {MODEL_SUFFIX} file `classify train` wrote)")
        if not path.is_file():
            raise InputNotFoundError(f"{path}: no such model (train one with `python -m classify train`)")
        if path.suffix in (".joblib", ".pkl", ".pickle"):
            raise ModelFileError(f"{path}: pickled models can run code when loaded and are not read; models are "
                                 f"{MODEL_SUFFIX} files now: retrain with `python -m classify train`")
        try:
            untrusted = skops_io.get_untrusted_types(file=path)
        except Exception as err:  # whatever the file holds, it is not a model of ours
            raise ModelFileError(f"{path}: not a model file written by `classify train` "
                                 f"({type(err).__name__}: {err})") from None
        unknown = [t for t in untrusted if t not in TRUSTED_TYPES]
        if unknown:
            raise ModelFileError(f"{path}: holds types a mood model never holds ({', '.join(unknown[:3])}); "
                                 "refused, nothing in it was run")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # version skew is reported below, in one line
                payload = skops_io.load(path, trusted=untrusted)
        except Exception as err:  # a damaged file of trusted types (e.g. an array header that lies)
            raise ModelFileError(f"{path}: damaged, or not a model written by `classify train` "
                                 f"({type(err).__name__}: {err}); train it again") from None
        if not isinstance(payload, dict) or not _PAYLOAD_KEYS <= set(payload):
            raise ModelFileError(f"{path}: a skops file, but not a model written by `classify train`")
        try:
            foreign = payload["settings"].get("foreign", False)
            settings = (ForeignFeatures if foreign else FeatureSettings).from_dict(payload["settings"])
            model = cls(payload["estimator"], settings, payload["feature_columns"], payload["classes"], payload["info"],
                        payload.get("likeness"))
            _check_contents(model)
        except (AttributeError, KeyError, TypeError, ValueError, MoodclassError) as err:
            raise ModelFileError(f"{path}: its contents are not a model's ({type(err).__name__}: {err}); "
                                 "train it again") from None
        if not foreign and model.settings.version != FEATURE_SET_VERSION:
            raise SettingsMismatchError(
                f"{path} was trained on features of feature-set version {model.settings.version}; this code computes "
                f"version {FEATURE_SET_VERSION}, whose values differ: retrain it (`python -m classify train`)")
        trained = model.info.get("versions", {}).get("scikit-learn")
        current = library_versions().get("scikit-learn")
        if trained and trained != current:
            warnings.warn(f"{path} was trained with scikit-learn {trained}, this is {current}: "
                          "retrain it if predictions look wrong", stacklevel=2)
        return model


def _check_contents(model: "MoodModel") -> None:
    """Raise ValueError where a model's parts disagree (a file edited or put together by hand)."""
    estimator = model.estimator
    if not hasattr(estimator, "predict"):
        raise ValueError(f"the estimator is a {type(estimator).__name__}, which cannot predict")
    if not isinstance(model.feature_columns, list) or not isinstance(model.info, dict):
        raise ValueError("feature_columns must be a list and info a dict")
    fitted = getattr(estimator, "classes_", None)
    if model.classes and (fitted is None or [str(c) for c in fitted] != [str(c) for c in model.classes]):
        raise ValueError(f"classes {model.classes} do not match the estimator's {None if fitted is None else list(fitted)}")
    width = getattr(estimator, "n_features_in_", None)
    if width is not None and width != len(model.feature_columns):
        raise ValueError(f"{len(model.feature_columns)} feature columns for an estimator of {width}")


#: Where :class:`~classify.estimators.MusicLikeness`'s distance marks a prediction: beyond
#: ``UNCERTAIN_DISTANCE`` the input is unlike the training music ('uncertain'), beyond
#: ``NOT_MUSIC_DISTANCE`` clearly so ('not music-like'). Music the shipped model never saw
#: (MIREX-like) stays under 1.2; speech, tones, hum and hiss lie above 1.5.
UNCERTAIN_DISTANCE = 1.2
NOT_MUSIC_DISTANCE = 1.5
#: The columns every prediction ends with.
LIKENESS_COLUMNS = ["music_distance", "music_like"]


def music_like(distances: np.ndarray) -> np.ndarray:
    """'music', 'uncertain' or 'not music-like' for each distance (:data:`UNCERTAIN_DISTANCE`,
    :data:`NOT_MUSIC_DISTANCE`); 'unknown' where it is NaN (a model saved without the measure).

    Parameters
    ----------
    distances : np.ndarray

    Returns
    -------
    np.ndarray of str
    """
    d = np.asarray(distances, dtype=np.float64)
    return np.select([np.isnan(d), d > NOT_MUSIC_DISTANCE, d > UNCERTAIN_DISTANCE],
                     ["unknown", "not music-like", "uncertain"], "music").astype(object)


def _likeness(dataset, seed) -> MusicLikeness | None:
    """The novelty distance from `dataset`'s clips, on the columns the mood view weighs (featurize's
    tables) or all (a foreign table's); None for fewer clips than it needs (its predictions then
    say 'unknown')."""
    if len(dataset.X) < MusicLikeness().n_neighbors + 2:
        return None
    columns = None
    if isinstance(dataset.settings, FeatureSettings):
        columns = ~np.isin(dataset.settings.column_families(), MOOD_VIEW_DROP)
    return MusicLikeness(columns=columns, random_state=seed).fit(dataset.X)


def _median_seconds(durations) -> float | None:
    """The median of the finite `durations`, to 0.1 s; None without any."""
    finite = np.asarray([] if durations is None else durations, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    return round(float(np.median(finite)), 1) if len(finite) else None
