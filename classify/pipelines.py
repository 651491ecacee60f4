"""The classifiers: scikit-learn Pipelines whose every fitted step (scaling, selection, tuning)
sees only the training part of a fold."""

from collections.abc import Sequence

import numpy as np
from scipy.linalg import solve
from scipy.spatial.distance import pdist
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    VotingClassifier,
)
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.pairwise import laplacian_kernel
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from featurize.features import MOOD_FAMILIES

#: Every classifier, in the order of the reports.
CLASSIFIERS = ("svm", "svm_l1", "svm_lda", "krr", "logreg", "knn", "rf", "hgb", "ensemble")
#: What ``python -m classify --cv repeated`` evaluates unless ``--classifiers`` says otherwise.
DEFAULT_CLASSIFIERS = ("svm", "svm_l1", "svm_lda", "krr", "logreg", "rf", "ensemble")
#: The classifiers that learn from the votes each class got (``--votes``), not only from the label.
LEARNS_VOTES = ("krr",)

#: Families left out of tables that hold the mood preset: absolute pitch classes depend on the
#: key and the raw tempogram lags on the tempo, neither on the mood; ``key``, ``intervals``,
#: ``chords`` and ``tonnetz`` carry the harmony key-independently, ``tempo_ratio`` and ``rhythm``
#: the metre. Measured (bench/bench_ablation.py, SVM): this view scores 0.025 macro-F1 above weighing
#: the mood preset's families equally on MIREX-like, and about the same on Emotify. The 108
#: ``chroma_patterns`` columns are left out too, except by ``svm_lda``'s linear discriminant
#: (:data:`LINEAR_ONLY`): they blur the L1 SVM's distances and the kernel ridge's.
MOOD_VIEW_DROP = ("chroma", "tempogram", "chroma_patterns")
#: Families of the mood view that only :class:`SvmLdaClassifier`'s discriminant sees.
LINEAR_ONLY = ("chroma_patterns",)


class FamilyWeighting(TransformerMixin, BaseEstimator):
    """Weight standardised columns by feature family, leaving out whole families if asked.

    After standardisation every column has unit variance, so a family of 768 tempogram
    columns would outweigh a family of one RMS column 768 to 1 in an RBF kernel's distance.
    With ``per='family'`` each column of a family of k columns, among F families, is scaled
    by 1 / sqrt(k F): every family then adds the same variance. With ``per='column'`` every
    column is scaled by 1 / sqrt(n): each counts the same, which suits a set of many small,
    comparable families. Either way the columns add up to variance 1, so a kernel's gamma
    means the same whatever the number of features (gamma 1 is scikit-learn's 'scale').

    Parameters
    ----------
    families : sequence of str, optional
        The family of each input column; by default every column is a family of its own.
    per : {'family', 'column'}
        What gets equal weight.
    drop : sequence of str
        Families left out of the output.
    """

    def __init__(self, families=None, per="family", drop=()):
        self.families = families
        self.per = per
        self.drop = drop

    def fit(self, X, y=None):
        X = validate_data(self, X)
        n = X.shape[1]
        families = np.arange(n).astype(str) if self.families is None else np.asarray(self.families, dtype=str)
        if len(families) != n:
            raise ValueError(f"{len(families)} family names for {n} columns")
        if self.per not in ("family", "column"):
            raise ValueError(f"per must be 'family' or 'column', not {self.per!r}")
        self.keep_ = ~np.isin(families, list(self.drop))
        if not self.keep_.any():
            raise ValueError(f"dropping {', '.join(self.drop)} leaves no column")
        kept = families[self.keep_]
        if self.per == "family":
            _, inverse, counts = np.unique(kept, return_inverse=True, return_counts=True)
            self.weights_ = 1.0 / np.sqrt(counts[inverse] * len(counts))
        else:
            self.weights_ = np.full(len(kept), 1.0 / np.sqrt(len(kept)))
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return X[:, self.keep_] * self.weights_

    def get_feature_names_out(self, input_features=None):
        """Names of the columns kept, in order."""
        check_is_fitted(self)
        if input_features is None:
            input_features = getattr(self, "feature_names_in_", [f"x{i}" for i in range(self.n_features_in_)])
        if len(input_features) != self.n_features_in_:
            raise ValueError(f"{len(input_features)} input feature names for {self.n_features_in_} columns")
        return np.asarray(input_features, dtype=object)[self.keep_]


def median_l1_gamma(X: np.ndarray, scale: float, random_state=None) -> float:
    """``scale`` / the median L1 distance between rows of `X` (a sample of at most 500 rows):
    a Laplacian kernel width that follows the data, as gamma 'scale' does for the RBF kernel."""
    rng = np.random.default_rng(random_state)
    sample = X if len(X) <= 500 else X[rng.choice(len(X), 500, replace=False)]
    distances = pdist(sample, "cityblock") if len(sample) > 1 else np.ones(1)
    return scale / max(float(np.median(distances)), 1e-12)


class _LaplacianKernel:
    """The Laplacian kernel of :class:`LaplacianSVC` and :class:`KernelRidgeClassifier`, with a
    width that follows the training clips (:func:`median_l1_gamma`; needs ``scale`` and
    ``random_state`` parameters)."""

    def _training_kernel(self, X):
        """Fit the kernel's width to `X` and keep `X`; their Gram matrix."""
        self.gamma_ = median_l1_gamma(X, self.scale, self.random_state)
        self.X_fit_ = X
        return laplacian_kernel(X, gamma=self.gamma_)

    def _kernel(self, X):
        """The kernel between the rows of `X` and the training clips (checks the fit and `X`)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return laplacian_kernel(X, self.X_fit_, gamma=self.gamma_)


class LaplacianSVC(_LaplacianKernel, ClassifierMixin, BaseEstimator):
    """A support vector machine with the Laplacian kernel ``exp(-gamma * ||x - x'||_1)``.

    On hundreds of standardised descriptors the L1 distance is swayed less than the Euclidean
    one by the few columns in which two clips lie far apart (heavy-tailed descriptors), which
    an RBF kernel squares. ``gamma = scale / m``, with ``m`` the median L1 distance between
    training clips (of a sample of at most 500), so that, like the RBF SVM's gamma 'scale',
    it follows the data. The Gram matrix is computed whole: memory grows with the square of
    the training clips (about 400 MB at 7,000).

    Parameters
    ----------
    C : float
        Regularisation, as :class:`sklearn.svm.SVC`'s.
    scale : float
        Kernel width relative to the median distance (larger: narrower kernel).
    class_weight : dict, 'balanced' or None
    random_state : int, optional
        Seed of the sample the median is taken from.
    """

    def __init__(self, C=1.0, scale=2.0, class_weight="balanced", random_state=None):
        self.C = C
        self.scale = scale
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, X, y):
        self._fit(X, y)
        return self

    def _fit(self, X, y):
        """Fit; the decision values of the training clips, from the Gram matrix the fit used."""
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        K = self._training_kernel(X)
        self.svc_ = SVC(kernel="precomputed", C=self.C, class_weight=self.class_weight,
                        random_state=self.random_state).fit(K, y)
        self.classes_ = self.svc_.classes_
        return self.svc_.decision_function(K)

    def decision_function(self, X):
        """Distances to the separating hyperplanes, as :meth:`sklearn.svm.SVC.decision_function`."""
        K = self._kernel(X)  # checks the fit first
        return self.svc_.decision_function(K)

    def predict(self, X):
        """The class of each row of `X`."""
        K = self._kernel(X)
        return self.svc_.predict(K)


class KernelRidgeClassifier(_LaplacianKernel, ClassifierMixin, BaseEstimator):
    """Kernel ridge regression onto each class's share of the votes, Laplacian kernel.

    Where listeners voted (Emotify: 11-59 per clip), a clip that 40 % called sad and 35 %
    calm says more than its label "sad", and a clip 50 listeners agree on more than one that
    11 did. This classifier regresses each clip's shares of the votes (``fit(X, y,
    votes=...)``, counts or shares per class) with the kernel of :class:`LaplacianSVC`; a
    clip's departure from the average shares is scaled by the square root of its number of
    votes relative to the mean (a share estimated from n votes is known to about 1/sqrt(n)),
    so clips few listeners heard pull less. It predicts the class whose predicted share is
    largest relative to its share of the training votes (so every class counts the same, like
    balanced class weights). Without votes it regresses one-hot labels, the least-squares
    relative of an SVM. Measured on Emotify (mood preset, 10 x 10): 0.559 macro-F1 from the
    votes, 0.513 from the labels, the L1 SVM 0.528 (feature-set version 2: 0.553, 0.544 from
    the shares alone with every clip alike, 0.500, 0.524).

    Parameters
    ----------
    alpha : float
        Ridge penalty (kernel values are at most 1).
    scale : float
        Kernel width relative to the median L1 distance (:func:`median_l1_gamma`).
    random_state : int, optional
        Seed of the sample the median is taken from.
    """

    def __init__(self, alpha=0.1, scale=2.0, random_state=None):
        self.alpha = alpha
        self.scale = scale
        self.random_state = random_state

    def fit(self, X, y, votes=None):
        """Fit to labels `y` and, if given, `votes` [shape=(n, classes)]: each clip's votes for
        each class (counts, or shares), columns in the sorted order of the classes. Rows that
        sum to the same total count alike; a row with more votes counts more (as the square
        root of its total)."""
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_, index = np.unique(y, return_inverse=True)
        if votes is None:
            shares, weight = np.eye(len(self.classes_))[index], np.ones((len(X), 1))
        else:
            votes = check_array(votes, ensure_2d=True, dtype=np.float64)
            if votes.shape != (len(X), len(self.classes_)):
                raise ValueError(f"votes of shape {votes.shape} for {len(X)} clips and {len(self.classes_)} classes")
            totals = votes.sum(axis=1, keepdims=True)
            if (votes < 0).any() or not (totals > 0).all():
                raise ValueError("votes must be non-negative with a positive sum in every row")
            shares, weight = votes / totals, np.sqrt(totals / totals.mean())
        self.prior_ = np.maximum(shares.mean(axis=0), 1e-12)
        K = self._training_kernel(X)
        K[np.diag_indices_from(K)] += self.alpha
        self.dual_coef_ = solve(K, (shares - self.prior_) * weight, assume_a="pos")
        return self

    def _balanced_shares(self, X):
        """Each class's predicted share of the votes over its share of the training votes."""
        shares = self._kernel(X) @ self.dual_coef_ + self.prior_
        return shares / self.prior_

    def decision_function(self, X):
        """The balanced predicted shares, one column per class; with two classes, as scikit-learn's
        classifiers do, one number per clip: the second class's minus the first's."""
        scores = self._balanced_shares(X)
        return scores[:, 1] - scores[:, 0] if len(self.classes_) == 2 else scores

    def predict_proba(self, X):
        """The balanced predicted shares, clipped at 0 and normalised."""
        p = np.maximum(self._balanced_shares(X), 1e-6)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X):
        """The class of each row of `X`: the largest balanced predicted share."""
        scores = self._balanced_shares(X)  # checks the fit first
        return self.classes_[np.argmax(scores, axis=1)]


class SvmLdaClassifier(ClassifierMixin, BaseEstimator):
    """The L1 SVM and a shrinkage linear discriminant, their decision values added.

    :class:`LaplacianSVC` draws local, non-linear boundaries from L1 distances, blind to how
    descriptors vary together; linear discriminant analysis with a Ledoit-Wolf shrunk
    covariance (:class:`~sklearn.discriminant_analysis.LinearDiscriminantAnalysis`, solver
    'lsqr', shrinkage 'auto') draws one linear boundary per class from exactly that
    covariance. Alone the discriminant is the weaker (MIREX-like, mood preset: 0.42 macro-F1
    against 0.47), but it errs elsewhere: each one's decision values are divided by their
    spread over the training clips (the standard deviation after centring each clip's
    values) and added, the discriminant's weighed by `lda_weight`. The columns in `lda_only`
    go to the discriminant only: many correlated columns (``chroma_patterns``) that blur L1
    distances but that a discriminant weighs through their covariance.

    Parameters
    ----------
    C : float
        The SVM's regularisation.
    scale : float
        The SVM's kernel width relative to the median L1 distance (:func:`median_l1_gamma`).
    lda_weight : float
        Weight of the discriminant's scaled decision values (the SVM's: 1).
    lda_only : array-like of bool, optional
        One flag per column: True for the columns only the discriminant sees.
    random_state : int, optional
        Seed of the SVM's median sample.
    """

    def __init__(self, C=1.0, scale=2.0, lda_weight=0.75, lda_only=None, random_state=None):
        self.C = C
        self.scale = scale
        self.lda_weight = lda_weight
        self.lda_only = lda_only
        self.random_state = random_state

    def fit(self, X, y):
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        only = np.zeros(X.shape[1], bool) if self.lda_only is None else np.asarray(self.lda_only, dtype=bool)
        if only.shape != (X.shape[1],):
            raise ValueError(f"lda_only has {only.size} flags for {X.shape[1]} columns")
        if only.all():
            raise ValueError("lda_only leaves the SVM no column")
        self.svm_columns_ = ~only
        self.svm_ = LaplacianSVC(C=self.C, scale=self.scale, random_state=self.random_state)
        svm = self.svm_._fit(X[:, self.svm_columns_], y)
        self.lda_ = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(X, y)
        self.classes_ = self.svm_.classes_
        self.spreads_ = np.array([_spread(svm), _spread(self.lda_.decision_function(X))])
        return self

    def decision_function(self, X):
        """The SVM's scaled decision values plus `lda_weight` times the discriminant's: one
        column per class, or with two classes one number per clip (positive: the second)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        svm, lda = self.svm_.decision_function(X[:, self.svm_columns_]), self.lda_.decision_function(X)
        return svm / self.spreads_[0] + self.lda_weight * lda / self.spreads_[1]

    def predict(self, X):
        """The class of each row of `X`: the largest summed decision value."""
        scores = self.decision_function(X)
        return self.classes_[(scores > 0).astype(int) if scores.ndim == 1 else np.argmax(scores, axis=1)]


def _spread(decision: np.ndarray) -> float:
    """Standard deviation of decision values, each clip's centred first (what an argmax sees)."""
    centred = decision - decision.mean(axis=1, keepdims=True) if decision.ndim == 2 else decision
    return max(float(np.std(centred)), 1e-12)


#: The ways :func:`feature_view` weighs a table's columns.
VIEWS = ("auto", "mood", "families")


def feature_view(families: Sequence[str] | None, view: str = "auto") -> dict:
    """How the classifiers weigh the columns of a table with these column `families`.

    ``'mood'``: every column counts the same and the :data:`MOOD_VIEW_DROP` families are
    left out. ``'families'``: every family counts the same. ``'auto'``: ``'mood'`` for a
    table that holds the whole mood preset, ``'families'`` for any other (the classic six, a
    hand-picked list), where one large family would otherwise drown the small ones.

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


#: Grids searched by ``--tune``. Inputs have total variance 1 (see :class:`FamilyWeighting`),
#: where an SVM's gamma 1 is scikit-learn's 'scale'.
PARAM_GRIDS = {
    "svm": {"svm__C": [0.3, 1, 3, 10], "svm__gamma": [0.25, 0.5, 1.0, 2.0]},
    "svm_l1": {"svm_l1__C": [0.3, 1, 3], "svm_l1__scale": [1.0, 2.0, 4.0]},
    "svm_lda": {"svm_lda__C": [0.3, 1, 3], "svm_lda__lda_weight": [0.5, 0.75, 1.0]},
    "krr": {"krr__alpha": [0.03, 0.1, 0.3], "krr__scale": [1.0, 2.0, 4.0]},
    "logreg": {"logreg__C": [0.1, 0.3, 1, 3]},
    "knn": {"knn__n_neighbors": [5, 15, 31]},
    "rf": {"rf__n_estimators": [200, 500], "rf__max_features": ["sqrt", 0.1, 0.3]},
    "hgb": {"hgb__learning_rate": [0.04, 0.08], "hgb__max_leaf_nodes": [7, 15]},
    "ensemble": {"vote__svm__estimator__C": [0.3, 1, 3], "vote__logreg__C": [0.3, 1, 3]},  # the L1 SVM's C
}


def _final_step(name, seed, per="family", lda_only=None):
    """The estimator at the end of each classifier's Pipeline (`per`: the weighting's, see
    :class:`FamilyWeighting`; `lda_only`: :class:`SvmLdaClassifier`'s)."""
    if name == "svm":
        return SVC(kernel="rbf", C=1.0, gamma="scale", class_weight="balanced", random_state=seed)
    if name == "svm_l1":
        return LaplacianSVC(C=1.0, scale=2.0, class_weight="balanced", random_state=seed)
    if name == "svm_lda":
        return SvmLdaClassifier(C=1.0, scale=2.0, lda_weight=0.75, lda_only=lda_only, random_state=seed)
    if name == "krr":
        return KernelRidgeClassifier(alpha=0.1, scale=2.0, random_state=seed)
    if name == "logreg":
        # On inputs of total variance 1, C = 1 is strong regularisation (C ~ 1/n on standardised columns).
        return LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000)
    if name == "knn":
        return KNeighborsClassifier(n_neighbors=15, weights="distance")
    if name == "rf":
        # 200 trees, each on half the training clips: as good as 500 full-sample trees on Emotify
        # (macro-F1 0.507 against 0.504) and 4 times faster, which 8,000-clip tables need (bench_scale.py).
        return RandomForestClassifier(n_estimators=200, max_samples=0.5, max_features="sqrt", class_weight="balanced",
                                      random_state=seed, n_jobs=1)
    if name == "hgb":
        # Small trees on a fifth of the columns each split, a fixed number of rounds: about 8 s a fit on
        # 900 clips, and no inner validation split that would vary with the fold.
        return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08, max_leaf_nodes=15, max_features=0.2,
                                              class_weight="balanced", early_stopping=False, random_state=seed)
    if name == "ensemble":
        # The SVM's probabilities by Platt scaling on internal folds. On columns weighed equally (the
        # mood view) the L1 SVM votes: 0.470 against the RBF SVM's 0.460 on MIREX-like, 0.527 against
        # 0.522 on Emotify (10 x 5). Family weights equalise Euclidean contributions, not L1 ones (a
        # family of k columns adds sqrt(k) times more to an L1 distance), so there the RBF SVM votes:
        # with the L1 SVM the classic six lost 0.02 on Emotify and 0.01 on MIREX-like.
        svm = CalibratedClassifierCV(_final_step("svm_l1" if per == "column" else "svm", seed), method="sigmoid",
                                     cv=StratifiedKFold(5, shuffle=True, random_state=seed), ensemble=False)
        trees = ExtraTreesClassifier(n_estimators=300, class_weight="balanced", random_state=seed, n_jobs=1)
        return VotingClassifier([("svm", svm), ("logreg", _final_step("logreg", seed)), ("trees", trees)],
                                voting="soft")
    raise ValueError(f"unknown classifier {name!r}; choose from {', '.join(CLASSIFIERS)}")


def make_classifier(name: str, seed: int = 0, families: Sequence[str] | None = None, probability: bool = False,
                    tune: bool = False, inner_folds: int = 3, select: int | None = None, view: str = "auto"):
    """An unfitted classifier Pipeline.

    Every Pipeline standardises the columns and weighs them (:class:`FamilyWeighting`,
    as :func:`feature_view` says for the table's families), optionally keeps the `select`
    columns with the highest ANOVA F score, then:

    - ``svm``: RBF-kernel SVM (C 1, gamma 'scale'), balanced class weights;
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
      the RBF SVM on families weighed equally), the logistic regression and 300 extremely
      randomised trees (a forest that is fast to fit and errs differently).

    Parameters
    ----------
    name : str
        One of :data:`CLASSIFIERS`.
    seed : int
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
    if name not in CLASSIFIERS:
        raise ValueError(f"unknown classifier {name!r}; choose from {', '.join(CLASSIFIERS)}")
    families = None if families is None else list(families)
    weighting = feature_view(families, view)
    lda_only = None
    if name == "svm_lda" and not select and set(LINEAR_ONLY) & set(weighting["drop"]):
        # The discriminant sees the LINEAR_ONLY families the view leaves out; the SVM does not.
        weighting = {**weighting, "drop": tuple(f for f in weighting["drop"] if f not in LINEAR_ONLY)}
        lda_only = np.isin([f for f in families if f not in weighting["drop"]], LINEAR_ONLY)
    steps = [("scale", StandardScaler()), ("weigh_families", FamilyWeighting(families, **weighting))]
    if select:
        steps.append(("select", SelectKBest(f_classif, k=select)))
    final = "vote" if name == "ensemble" else name
    steps.append((final, _final_step(name, seed, weighting["per"], lda_only)))
    model = Pipeline(steps)
    if tune:
        inner = StratifiedKFold(n_splits=inner_folds, shuffle=True, random_state=seed)
        model = GridSearchCV(model, PARAM_GRIDS[name], scoring="f1_macro", cv=inner, n_jobs=1)
    if probability and name in ("svm", "svm_l1", "svm_lda"):
        # Platt scaling fitted on internal folds; the other classifiers have their own probabilities.
        model = CalibratedClassifierCV(model, method="sigmoid", cv=StratifiedKFold(5, shuffle=True, random_state=seed),
                                       ensemble=False)
    return model


def minimum_clips(name: str, *, probability: bool = False, tune: bool = False, inner_folds: int = 3) -> tuple[int, int]:
    """The fewest training clips :func:`make_classifier`'s `name` can be fitted on: ``(per class, in all)``.

    Internal folds need a clip of each class in each (5 for the ensemble's and the SVMs' Platt
    scaling, `inner_folds` for tuning); the nearest-neighbour vote needs its neighbours.
    """
    per_class = 1
    if name == "ensemble" or (probability and name in ("svm", "svm_l1", "svm_lda")):
        per_class = 5
    if tune:
        per_class = max(per_class, inner_folds)
    total = 0
    if name == "knn":
        total = max(PARAM_GRIDS["knn"]["knn__n_neighbors"]) * inner_folds // (inner_folds - 1) + 1 if tune else 15
    return per_class, total


def fit_params(name: str, votes: np.ndarray | None) -> dict:
    """What ``fit`` of :func:`make_classifier`'s `name` Pipeline takes beside X and y: the
    `votes` for a classifier in :data:`LEARNS_VOTES`, nothing for the others."""
    if votes is None or name not in LEARNS_VOTES:
        return {}
    return {f"{name}__votes": votes}
