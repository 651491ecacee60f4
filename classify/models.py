"""The classifiers: scikit-learn Pipelines whose every fitted step (scaling, selection) sees
only the training part of a fold."""

from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_selection import VarianceThreshold
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

CLASSIFIERS = ("svm", "rf")

#: Grids searched by ``--tune``, inside each outer training fold.
PARAM_GRIDS = {
    "svm": {"svm__C": [0.3, 1, 3, 10, 30], "svm__gamma": ["scale", 1e-4, 1e-3, 1e-2]},
    "rf": {"rf__n_estimators": [300, 600], "rf__max_features": ["sqrt", 0.05, 0.15]},
}


def make_classifier(name, seed=0, probability=False, tune=False, inner_folds=3):
    """An unfitted classifier Pipeline.

    Parameters
    ----------
    name : {'svm', 'rf'}
        ``svm``: standardise, then an RBF-kernel SVM with balanced class weights.
        ``rf``: a random forest of 500 trees with balanced class weights.
    seed : int
        Seed of every random step.
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
        steps = [
            ("drop_constant", VarianceThreshold()),
            ("scale", StandardScaler()),
            ("svm", SVC(kernel="rbf", C=1.0, gamma="scale", class_weight="balanced", random_state=seed)),
        ]
    elif name == "rf":
        steps = [
            ("drop_constant", VarianceThreshold()),
            ("rf", RandomForestClassifier(n_estimators=500, max_features="sqrt", class_weight="balanced",
                                          random_state=seed, n_jobs=1)),
        ]
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
