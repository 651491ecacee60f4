"""The named classifiers and regressors: a declarative registry of scikit-learn Pipelines whose
every fitted step (scaling, weighting, selection, tuning) sees only the training part of a fold.

Each entry of :data:`REGISTRY` says how to make its final estimator, which grid ``--tune``
searches, whether it is evaluated by default, and whether it learns from votes; the Pipeline
around it (:func:`make_classifier`, :func:`make_regressor`) is the same for all: standardise,
weigh the columns by family (:func:`feature_view`), optionally select, then the estimator.
The project's own estimators are in :mod:`classify.estimators`.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
    VotingClassifier,
)
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

# Re-exported: saved models name these classes by this module's path too (see classify.model).
from classify.estimators import FamilyWeighting, KernelRidgeClassifier, LaplacianSVC, RbfSVC, SvmLdaClassifier
from featurize.features import MOOD_FAMILIES

__all__ = ["FamilyWeighting", "KernelRidgeClassifier", "LaplacianSVC", "RbfSVC", "SvmLdaClassifier", "REGISTRY",
           "CLASSIFIERS", "DEFAULT_CLASSIFIERS", "LEARNS_VOTES", "PARAM_GRIDS", "REGRESSORS", "feature_view",
           "make_classifier", "make_regressor", "minimum_clips", "fit_params"]

#: Families left out of tables that hold the mood preset: absolute pitch classes depend on the
#: key and the raw tempogram lags on the tempo, neither on the mood; ``key``, ``intervals``,
#: ``chords`` and ``tonnetz`` carry the harmony key-independently, ``tempo_ratio`` and ``rhythm``
#: the metre. Measured (``python -m bench.bench_ablation``, SVM): this view scores 0.025 macro-F1 above weighing
#: the mood preset's families equally on MIREX-like, and about the same on Emotify. The 108
#: ``chroma_patterns`` columns are left out too, except by ``svm_lda``'s linear discriminant
#: (:data:`LINEAR_ONLY`): they blur the L1 SVM's distances and the kernel ridge's.
MOOD_VIEW_DROP = ("chroma", "tempogram", "chroma_patterns")
#: Families of the mood view that only :class:`SvmLdaClassifier`'s discriminant sees.
LINEAR_ONLY = ("chroma_patterns",)


#: The ways :func:`feature_view` weighs a table's columns.
VIEWS = ("auto", "mood", "families")


def feature_view(families: Sequence[str] | None, *, view: str = "auto") -> dict:
    """How the classifiers weigh the columns of a table with these column `families`.

    Parameters
    ----------
    families : sequence of str, optional
        The family of each column (``FeatureSettings.column_families()``); None for a table
        whose columns are not featurize's families.
    view : {'auto', 'mood', 'families'}
        ``'mood'``: every column counts the same and the :data:`MOOD_VIEW_DROP` families are
        left out. ``'families'``: every family counts the same. ``'auto'``: ``'mood'`` for a
        table that holds the whole mood preset, ``'families'`` for any other (the classic
        six, a hand-picked list), where one large family would otherwise drown the small ones.

    Returns
    -------
    dict
        Keyword arguments of :class:`FamilyWeighting` other than `families`.
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; choose from {', '.join(VIEWS)}")
    if view == "auto":
        view = "mood" if families is not None and set(MOOD_FAMILIES) <= set(families) else "families"
    if view == "mood":
        return {"per": "column", "drop": MOOD_VIEW_DROP}
    return {"per": "family", "drop": ()}


@dataclass(frozen=True)
class Learner:
    """One named estimator of the registry.

    Attributes
    ----------
    make : callable
        ``make(random_state=..., per=..., lda_only=...)``: the unfitted final estimator; `per`
        is the column weighting's (:class:`FamilyWeighting`), `lda_only` the flags of
        :class:`SvmLdaClassifier` (the others ignore both).
    grid : dict
        The grid ``--tune`` searches, keyed by the estimator's parameters (without the step's name).
    default : bool
        Whether ``--cv repeated`` evaluates it unless ``--classifiers`` says otherwise.
    learns_votes : bool
        Whether its ``fit`` takes ``votes`` (each class's votes per clip) beside the labels.
    platt : bool
        Whether probabilities need Platt scaling on internal folds (the SVMs), or it has its own.
    step : str
        Its step's name in the Pipeline (the grid's prefix).
    """

    make: Callable
    grid: dict = field(default_factory=dict)
    default: bool = True
    learns_votes: bool = False
    platt: bool = False
    step: str = ""


def _platt(estimator, random_state):
    """`estimator` with probabilities by Platt scaling, fitted on 5 internal stratified folds."""
    return CalibratedClassifierCV(estimator, method="sigmoid", ensemble=False,
                                  cv=StratifiedKFold(5, shuffle=True, random_state=random_state))


def _logreg(**_):
    # On inputs of total variance 1, C = 1 is strong regularisation (C ~ 1/n on standardised columns).
    return LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000)


def _ensemble(*, random_state, per, **_):
    # Families weighed equally equalise Euclidean contributions, not L1 ones (a family of k columns
    # adds sqrt(k) times more to an L1 distance): the RBF SVM votes there, the L1 SVM where every
    # column counts the same (the mood view), each the better of the two in its view
    # (MIREX-like and Emotify, 10 x 5).
    svm = (LaplacianSVC(random_state=random_state) if per == "column"
           else RbfSVC(random_state=random_state))
    # 100 trees vote as well as 300 (10 x 10, mood: 4Q grouped 0.664 against 0.665, MIREX-like
    # 0.467 against 0.468, Emotify 0.530 against 0.526; README) in half the time and a third of the file.
    trees = ExtraTreesClassifier(n_estimators=100, class_weight="balanced", random_state=random_state, n_jobs=1)
    return VotingClassifier([("svm", _platt(svm, random_state)), ("logreg", _logreg()), ("trees", trees)],
                            voting="soft")


#: Every classifier, in the order of the reports. Inputs have total variance 1 (see
#: :class:`FamilyWeighting`), where an SVM's gamma 1 is scikit-learn's 'scale'.
REGISTRY = {
    "svm": Learner(lambda *, random_state, **_: RbfSVC(C=1.0, gamma="scale", random_state=random_state),
                   {"C": [0.3, 1, 3, 10], "gamma": [0.25, 0.5, 1.0, 2.0]}, platt=True),
    "svm_l1": Learner(lambda *, random_state, **_: LaplacianSVC(random_state=random_state),
                      {"C": [0.3, 1, 3], "scale": [1.0, 2.0, 4.0]}, platt=True),
    "svm_lda": Learner(lambda *, random_state, lda_only=None, **_: SvmLdaClassifier(lda_only=lda_only,
                                                                                    random_state=random_state),
                       {"C": [0.3, 1, 3], "lda_weight": [0.5, 0.75, 1.0]}, platt=True),
    "krr": Learner(lambda *, random_state, **_: KernelRidgeClassifier(random_state=random_state),
                   {"alpha": [0.03, 0.1, 0.3], "scale": [1.0, 2.0, 4.0]}, learns_votes=True),
    "logreg": Learner(_logreg, {"C": [0.1, 0.3, 1, 3]}),
    "knn": Learner(lambda **_: KNeighborsClassifier(n_neighbors=15, weights="distance"),
                   {"n_neighbors": [5, 15, 31]}, default=False),
    # 200 trees, each on half the training clips: as good as 500 full-sample trees on Emotify
    # (macro-F1 0.507 against 0.504) and 4 times faster, which 8,000-clip tables need (bench_scale).
    "rf": Learner(lambda *, random_state, **_: RandomForestClassifier(
        n_estimators=200, max_samples=0.5, max_features="sqrt", class_weight="balanced", random_state=random_state,
        n_jobs=1), {"n_estimators": [200, 500], "max_features": ["sqrt", 0.1, 0.3]}),
    # Small trees on a fifth of the columns each split, a fixed number of rounds: about 8 s a fit on
    # 900 clips, and no inner validation split that would vary with the fold.
    "hgb": Learner(lambda *, random_state, **_: HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.08, max_leaf_nodes=15, max_features=0.2, class_weight="balanced",
        early_stopping=False, random_state=random_state),
        {"learning_rate": [0.04, 0.08], "max_leaf_nodes": [7, 15]}, default=False),
    "ensemble": Learner(_ensemble, {"svm__estimator__C": [0.3, 1, 3], "logreg__C": [0.3, 1, 3]}, step="vote"),
}
#: Regressors for ``--target`` (valence and arousal as numbers).
REGRESSORS_REGISTRY = {
    "svr": Learner(lambda **_: MultiOutputRegressor(SVR(kernel="rbf", C=1.0, gamma="scale"))),
    "rf": Learner(lambda *, random_state, **_: RandomForestRegressor(
        n_estimators=200, max_samples=0.5, max_features="sqrt", random_state=random_state, n_jobs=1)),
}

CLASSIFIERS = tuple(REGISTRY)
DEFAULT_CLASSIFIERS = tuple(n for n, e in REGISTRY.items() if e.default)
LEARNS_VOTES = tuple(n for n, e in REGISTRY.items() if e.learns_votes)
REGRESSORS = tuple(REGRESSORS_REGISTRY)


def _step(name: str) -> str:
    return REGISTRY[name].step or name


#: Grids searched by ``--tune``, keyed by the Pipeline's parameter names.
PARAM_GRIDS = {n: {f"{_step(n)}__{k}": v for k, v in e.grid.items()} for n, e in REGISTRY.items()}


def _steps(families, view):
    """The Pipeline's first steps: standardise, then weigh the columns as `view` says for `families`."""
    weighting = feature_view(families, view=view)
    return [("scale", StandardScaler()), ("weigh_families", FamilyWeighting(families=families, **weighting))], weighting


def make_classifier(name: str, *, random_state: int = 0, families: Sequence[str] | None = None,
                    probability: bool = False, tune: bool = False, inner_folds: int = 3, select: int | None = None,
                    view: str = "auto"):
    """An unfitted classifier Pipeline.

    Every Pipeline standardises the columns and weighs them (:class:`FamilyWeighting`,
    as :func:`feature_view` says for the table's families), optionally keeps the `select`
    columns with the highest ANOVA F score, then:

    - ``svm``: RBF-kernel SVM (C 1, gamma 'scale'; :class:`RbfSVC`), balanced class weights;
    - ``svm_l1``: SVM with the Laplacian (L1) kernel, gamma 2 / median L1 distance
      (:class:`LaplacianSVC`), C 1, balanced class weights;
    - ``svm_lda``: the L1 SVM's decision values plus 0.75 times a shrinkage linear
      discriminant's, each scaled by its spread on the training clips
      (:class:`SvmLdaClassifier`); in the mood view the discriminant alone also sees the
      :data:`LINEAR_ONLY` families (unless `select` is given);
    - ``krr``: kernel ridge regression onto the classes' shares of the votes, trusted more
      where more voted (the labels alone without ``--votes``), Laplacian kernel
      (:class:`KernelRidgeClassifier`);
    - ``logreg``: L2-regularised multinomial logistic regression, balanced class weights;
    - ``knn``: 15 nearest neighbours, weighted by inverse distance;
    - ``rf``: random forest of 200 trees, each grown on half the training clips, balanced class weights;
    - ``hgb``: histogram gradient boosting, 150 rounds of 15-leaf trees, balanced class weights;
    - ``ensemble``: soft vote of an SVM (Platt-scaled; the L1 SVM on columns weighed equally,
      the RBF SVM on families weighed equally), the logistic regression and 100 extremely
      randomised trees (a forest that is fast to fit and errs differently).

    Parameters
    ----------
    name : str
        One of :data:`CLASSIFIERS`.
    random_state : int
        Seed of every random step.
    families : sequence of str, optional
        Family of each feature column (``FeatureSettings.column_families()``); by default
        each column is weighted as a family of its own.
    probability : bool
        Give the SVMs calibrated class probabilities (sigmoid calibration on 5 internal
        folds, a slower fit); the others always have them.
    tune : bool
        Wrap the pipeline in a grid search over :data:`PARAM_GRIDS` with `inner_folds`
        stratified folds, scored by macro-F1, so that tuning sees only training data.
    inner_folds : int
        Folds of the inner search.
    select : int, optional
        Keep this many columns, chosen by ANOVA F score on the training part (after the
        weighting's family drop).
    view : {'auto', 'mood', 'families'}
        How columns are weighed (:func:`feature_view`).

    Returns
    -------
    sklearn estimator
    """
    if name not in REGISTRY:
        raise ValueError(f"unknown classifier {name!r}; choose from {', '.join(CLASSIFIERS)}")
    families = None if families is None else list(families)
    steps, weighting = _steps(families, view)
    lda_only = None
    if name == "svm_lda" and not select and set(LINEAR_ONLY) & set(weighting["drop"]):
        # The discriminant sees the LINEAR_ONLY families the view leaves out; the SVM does not.
        weighting = {**weighting, "drop": tuple(f for f in weighting["drop"] if f not in LINEAR_ONLY)}
        steps[1] = ("weigh_families", FamilyWeighting(families=families, **weighting))
        lda_only = np.isin([f for f in families if f not in weighting["drop"]], LINEAR_ONLY)
    if select:
        steps.append(("select", SelectKBest(f_classif, k=select)))
    learner = REGISTRY[name]
    steps.append((_step(name), learner.make(random_state=random_state, per=weighting["per"], lda_only=lda_only)))
    model = Pipeline(steps)
    if tune:
        inner = StratifiedKFold(n_splits=inner_folds, shuffle=True, random_state=random_state)
        model = GridSearchCV(model, PARAM_GRIDS[name], scoring="f1_macro", cv=inner, n_jobs=1)
    if probability and learner.platt:
        model = _platt(model, random_state)
    return model


def make_regressor(name: str, *, random_state: int = 0, families: Sequence[str] | None = None,
                   view: str = "auto") -> Pipeline:
    """An unfitted Pipeline predicting every target column, in the classifiers' Pipeline.

    Parameters
    ----------
    name : {'svr', 'rf'}
        ``svr``: an RBF SVR per target, C 1; ``rf``: a random forest of 200 trees on half the
        clips each, all targets at once.
    random_state : int
        Seed of the forest.
    families : sequence of str, optional
        Family of each feature column, as for :func:`make_classifier`.
    view : {'auto', 'mood', 'families'}
        How columns are weighed (:func:`feature_view`).

    Returns
    -------
    sklearn.pipeline.Pipeline
    """
    if name not in REGRESSORS_REGISTRY:
        raise ValueError(f"unknown regressor {name!r}; choose from {', '.join(REGRESSORS)}")
    families = None if families is None else list(families)
    steps, weighting = _steps(families, view)
    final = REGRESSORS_REGISTRY[name].make(random_state=random_state, per=weighting["per"])
    return Pipeline(steps + [(name, final)])


def minimum_clips(name: str, *, probability: bool = False, tune: bool = False, inner_folds: int = 3) -> tuple[int, int]:
    """The fewest training clips :func:`make_classifier`'s `name` can be fitted on.

    Internal folds need a clip of each class in each (5 for the ensemble's and the SVMs' Platt
    scaling, `inner_folds` for tuning); the nearest-neighbour vote needs its neighbours.

    Parameters
    ----------
    name : str
        One of :data:`CLASSIFIERS`.
    probability, tune : bool
        As for :func:`make_classifier`.
    inner_folds : int
        Folds of the inner search.

    Returns
    -------
    per_class, total : int
    """
    per_class = 1
    if name == "ensemble" or (probability and REGISTRY[name].platt):
        per_class = 5
    if tune:
        per_class = max(per_class, inner_folds)
    total = 0
    if name == "knn":
        total = max(REGISTRY["knn"].grid["n_neighbors"]) * inner_folds // (inner_folds - 1) + 1 if tune else 15
    return per_class, total


def fit_params(name: str, votes: np.ndarray | None) -> dict:
    """What ``fit`` of :func:`make_classifier`'s `name` Pipeline takes beside X and y: the
    `votes` for a classifier in :data:`LEARNS_VOTES`, nothing for the others."""
    if votes is None or name not in LEARNS_VOTES:
        return {}
    return {f"{_step(name)}__votes": votes}
