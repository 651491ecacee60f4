"""A trained mood model on disk: the fitted Pipeline with everything needed to use it honestly.

Saved with joblib beside its metadata: classes, feature columns, the extraction settings
and library versions of its training features, training size, cross-validated score.
A model refuses features made with other settings.
"""

import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import joblib
import numpy as np

from featurize.features import FEATURE_SET_VERSION, FeatureSettings
from featurize.table import atomic_write, library_versions

#: The model that ships with the project (trained by ``classify/models/train_default.py``).
DEFAULT_MODEL = Path(__file__).parent / "models" / "default.joblib"


class SettingsMismatchError(Exception):
    """Features made with other extraction settings than a model's."""


@dataclass
class MoodModel:
    """A fitted classifier and its metadata.

    Attributes
    ----------
    estimator : sklearn Pipeline
        Fitted; has ``predict_proba``.
    settings : FeatureSettings
        Extraction settings of the features it expects.
    feature_columns : list of str
    classes : list of str
    info : dict
        Classifier name, seed, training table and size, CV scores, library versions, date.
    """

    estimator: object
    settings: FeatureSettings
    feature_columns: list
    classes: list
    info: dict

    @classmethod
    def fit(cls, estimator, dataset, name, seed, cv_scores=None):
        """Fit `estimator` on every clip of `dataset` (a :class:`classify.dataset.Dataset`)."""
        estimator.fit(dataset.X, dataset.y)
        info = {
            "classifier": name, "seed": seed, "trained_on": str(dataset.table), "n_train": len(dataset.y),
            "class_counts": {c: int(n) for c, n in zip(*np.unique(dataset.y, return_counts=True))},
            "cv": cv_scores, "versions": library_versions(),
            "feature_versions": dataset.table_metadata.get("versions"),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        return cls(estimator, dataset.settings, list(dataset.feature_columns),
                   [str(c) for c in estimator.classes_], info)

    def check_settings(self, settings):
        """Raise :class:`SettingsMismatchError` unless `settings` equal the model's."""
        if settings != self.settings:
            diffs = self.settings.differences(settings)
            raise SettingsMismatchError(f"features made with other extraction settings than the model's "
                                        f"(model vs features: {'; '.join(diffs)}): the model refuses them")

    def predict_proba(self, X, settings):
        """Class probabilities (columns in :attr:`classes` order) of feature rows made with `settings`."""
        self.check_settings(settings)
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.feature_columns):
            raise SettingsMismatchError(f"expected {len(self.feature_columns)} features per clip, got {X.shape[-1]}")
        return self.estimator.predict_proba(X)

    def save(self, path):
        """Write the model atomically to `path` (joblib)."""
        payload = {"estimator": self.estimator, "settings": self.settings.to_dict(),
                   "feature_columns": self.feature_columns, "classes": self.classes, "info": self.info}
        atomic_write(path, lambda tmp: joblib.dump(payload, tmp, compress=3))

    @classmethod
    def load(cls, path):
        """Read a model written by :meth:`save`; warns if scikit-learn's version differs from training."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such model (train one with `python -m classify train`)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # version skew is reported below, in one line
            payload = joblib.load(path)
        model = cls(payload["estimator"], FeatureSettings.from_dict(payload["settings"]),
                    payload["feature_columns"], payload["classes"], payload["info"])
        if model.settings.version != FEATURE_SET_VERSION:
            raise SettingsMismatchError(
                f"{path} was trained on features of feature-set version {model.settings.version}; this code computes "
                f"version {FEATURE_SET_VERSION}, whose values differ: retrain it (`python -m classify train`)")
        trained = model.info.get("versions", {}).get("scikit-learn")
        current = library_versions().get("scikit-learn")
        if trained and trained != current:
            warnings.warn(f"{path} was trained with scikit-learn {trained}, this is {current}: "
                          "retrain it if predictions look wrong", stacklevel=2)
        return model
