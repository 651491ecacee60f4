"""The classifiers: scikit-learn Pipelines whose every fitted step (scaling, selection, tuning)
sees only the training part of a fold."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted

CLASSIFIERS = ("svm", "rf")


class FamilyWeighting(TransformerMixin, BaseEstimator):
    """Weight standardised columns so that every feature family counts the same.

    After standardisation every column has unit variance, so a family of 768 tempogram
    columns would outweigh a family of one RMS column 768 to 1 in an RBF kernel's distance.
    Each column of a family of k columns, among F families, is scaled by 1 / sqrt(k F):
    every family then adds the same variance, and all of them add up to 1, so a kernel's
    gamma means the same whatever the number of features.

    Parameters
    ----------
    families : sequence of str, optional
        The family of each input column; by default every column is a family of its own.
    """

    def __init__(self, families=None):
        self.families = families

    def fit(self, X, y=None):
        n = np.shape(X)[1]
        families = np.arange(n) if self.families is None else np.asarray(self.families)
        if len(families) != n:
            raise ValueError(f"{len(families)} family names for {n} columns")
        _, inverse, counts = np.unique(families, return_inverse=True, return_counts=True)
        self.weights_ = 1.0 / np.sqrt(counts[inverse] * len(counts))
        self.n_features_in_ = n
        return self

    def transform(self, X):
        check_is_fitted(self)
        return np.asarray(X) * self.weights_


#: Grids searched by ``--tune``. The SVM's inputs have total variance 1 (see
#: :class:`FamilyWeighting`), where gamma 1 is scikit-learn's 'scale'.
PARAM_GRIDS = {
    "svm": {"svm__C": [0.3, 1, 3, 10], "svm__gamma": [0.25, 1.0, 4.0]},
    "rf": {"rf__n_estimators": [250, 500], "rf__max_features": ["sqrt", 0.1, 0.3]},
}


def make_classifier(name, seed=0, families=None, probability=False, tune=False, inner_folds=3):
    """An unfitted classifier Pipeline.

    Parameters
    ----------
    name : {'svm', 'rf'}
        ``svm``: standardise, weight feature families equally (:class:`FamilyWeighting`),
        then an RBF-kernel SVM with balanced class weights. ``rf``: a random forest of 500 trees
        with balanced class weights.
    seed : int
        Seed of every random step.
    families : sequence of str, optional
        Family of each feature column (``FeatureSettings.column_families()``); by default
        each column is weighted as a family of its own.
    probability : bool
        Give the SVM calibrated class probabilities (sigmoid calibration on 5 internal
        folds, a slower fit); the forest always has them.
    tune : bool
        Wrap the pipeline in a grid search over :data:`PARAM_GRIDS` with `inner_folds`
        stratified folds, scored by macro-F1, so that tuning sees only training data.
    inner_folds : int
        Folds of the inner search.

    Returns
    -------
    sklearn estimator
    """
    if name == "svm":
        families = None if families is None else list(families)
        steps = [("scale", StandardScaler()), ("weigh_families", FamilyWeighting(families)),
                 ("svm", SVC(kernel="rbf", C=1.0, gamma="scale", class_weight="balanced", random_state=seed))]
    elif name == "rf":
        steps = [("rf", RandomForestClassifier(n_estimators=500, max_features="sqrt", class_weight="balanced",
                                               random_state=seed, n_jobs=1))]
    else:
        raise ValueError(f"unknown classifier {name!r}; choose from {', '.join(CLASSIFIERS)}")
    model = Pipeline(steps)
    if tune:
        inner = StratifiedKFold(n_splits=inner_folds, shuffle=True, random_state=seed)
        model = GridSearchCV(model, PARAM_GRIDS[name], scoring="f1_macro", cv=inner, n_jobs=1)
    if probability and name == "svm":
        # Platt scaling fitted on internal folds; the forest has its own probabilities.
        model = CalibratedClassifierCV(model, method="sigmoid", cv=StratifiedKFold(5, shuffle=True, random_state=seed),
                                       ensemble=False)
    return model
