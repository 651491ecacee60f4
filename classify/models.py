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
    """Scale each feature family's columns by 1 / sqrt(its column count).

    After standardisation every column has unit variance, so a family of 768 tempogram
    columns would outweigh a family of one RMS column 768 to 1 in an RBF kernel's distance.
    With this weighting every family adds the same total variance.

    Parameters
    ----------
    families : sequence of str
        The family of each input column.
    """

    def __init__(self, families):
        self.families = families

    def fit(self, X, y=None):
        families = np.asarray(self.families)
        if len(families) != np.shape(X)[1]:
            raise ValueError(f"{len(families)} family names for {np.shape(X)[1]} columns")
        _, inverse, counts = np.unique(families, return_inverse=True, return_counts=True)
        self.weights_ = 1.0 / np.sqrt(counts[inverse])
        self.n_features_in_ = len(families)
        return self

    def transform(self, X):
        check_is_fitted(self)
        return np.asarray(X) * self.weights_


def param_grid(name, families=None, n_features=None):
    """The grid ``--tune`` searches: SVM C and gamma (around scikit-learn's 'scale'); forest size and max_features."""
    if name == "svm":
        # With unit-variance inputs, 'scale' is 1 / n_features; with family weighting, 1 / n_families.
        n = len(set(families)) if families is not None else n_features
        base = 1.0 / n if n else 1.0
        return {"svm__C": [0.3, 1, 3, 10], "svm__gamma": [base / 4, base, base * 4]}
    return {"rf__n_estimators": [250, 500], "rf__max_features": ["sqrt", 0.1, 0.3]}


def make_classifier(name, seed=0, families=None, probability=False, tune=False, inner_folds=3, n_features=None):
    """An unfitted classifier Pipeline.

    Parameters
    ----------
    name : {'svm', 'rf'}
        ``svm``: standardise, weight feature families equally (if `families` is given), then
        an RBF-kernel SVM with balanced class weights. ``rf``: a random forest of 500 trees
        with balanced class weights.
    seed : int
        Seed of every random step.
    families : sequence of str, optional
        Family of each feature column (``FeatureSettings.column_families()``).
    probability : bool
        Give the SVM calibrated class probabilities (sigmoid calibration on 5 internal
        folds, a slower fit); the forest always has them.
    tune : bool
        Wrap the pipeline in a grid search over :func:`param_grid` with `inner_folds`
        stratified folds, scored by macro-F1, so that tuning sees only training data.
    inner_folds : int
        Folds of the inner search.
    n_features : int, optional
        Number of columns, for the SVM's gamma grid when `families` is not given.

    Returns
    -------
    sklearn estimator
    """
    if name == "svm":
        steps = [("scale", StandardScaler())]
        if families is not None:
            steps.append(("weigh_families", FamilyWeighting(list(families))))
        steps.append(("svm", SVC(kernel="rbf", C=1.0, gamma="scale", class_weight="balanced", random_state=seed)))
    elif name == "rf":
        steps = [("rf", RandomForestClassifier(n_estimators=500, max_features="sqrt", class_weight="balanced",
                                               random_state=seed, n_jobs=1))]
    else:
        raise ValueError(f"unknown classifier {name!r}; choose from {', '.join(CLASSIFIERS)}")
    model = Pipeline(steps)
    if tune:
        inner = StratifiedKFold(n_splits=inner_folds, shuffle=True, random_state=seed)
        model = GridSearchCV(model, param_grid(name, families, n_features), scoring="f1_macro", cv=inner, n_jobs=1)
    if probability and name == "svm":
        # Platt scaling fitted on internal folds; the forest has its own probabilities.
        model = CalibratedClassifierCV(model, method="sigmoid", cv=StratifiedKFold(5, shuffle=True, random_state=seed),
                                       ensemble=False)
    return model
