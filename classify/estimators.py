"""The project's own scikit-learn estimators: a per-family column weighting, SVMs with the
Laplacian (L1) and the RBF kernel on their Gram matrices, kernel ridge regression onto vote
shares, the L1 SVM joined with a linear discriminant, and a novelty distance from the training
music.

Each keeps every setting in ``__init__`` (keyword-only), learns only in ``fit``, uses only the
public API of the others, and passes scikit-learn's ``check_estimator``
(``tests/test_classify.py``). Which of them, and of scikit-learn's, make up the named
classifiers is :mod:`classify.pipelines`'s business.
"""

import numpy as np
from scipy.linalg import solve
from scipy.spatial.distance import cdist, pdist
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics.pairwise import laplacian_kernel, rbf_kernel
from sklearn.svm import SVC
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, validate_data


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

    def __init__(self, *, families=None, per="family", drop=()):
        self.families = families
        self.per = per
        self.drop = drop

    def fit(self, X, y=None):
        """Learn which columns to keep and their weights.

        Parameters
        ----------
        X : array-like [shape=(n, d)]
        y : ignored

        Returns
        -------
        self
        """
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
        """The kept columns of `X`, weighted.

        Parameters
        ----------
        X : array-like [shape=(n, d)]

        Returns
        -------
        np.ndarray [shape=(n, kept)]
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return X[:, self.keep_] * self.weights_

    def get_feature_names_out(self, input_features=None):
        """Names of the columns kept, in order.

        Parameters
        ----------
        input_features : sequence of str, optional
            Names of the input columns (default: those seen in ``fit``, or ``x0``, ``x1``, ...).

        Returns
        -------
        np.ndarray of str
        """
        check_is_fitted(self)
        if input_features is None:
            input_features = getattr(self, "feature_names_in_", [f"x{i}" for i in range(self.n_features_in_)])
        if len(input_features) != self.n_features_in_:
            raise ValueError(f"{len(input_features)} input feature names for {self.n_features_in_} columns")
        return np.asarray(input_features, dtype=object)[self.keep_]


#: Rows of the sample :func:`median_l1_gamma` takes the median distance of.
MEDIAN_SAMPLE = 500


def median_l1_gamma(X: np.ndarray, *, scale: float, random_state=None) -> float:
    """A Laplacian kernel width that follows the data, as gamma 'scale' does for the RBF kernel.

    Parameters
    ----------
    X : np.ndarray [shape=(n, d)]
    scale : float
        The width relative to the median distance (larger: a narrower kernel).
    random_state : int, optional
        Seed of the sample of :data:`MEDIAN_SAMPLE` rows the median is taken over, when `X` has more.

    Returns
    -------
    float
        ``scale`` / the median L1 distance between rows of (a sample of) `X`.
    """
    rng = np.random.default_rng(random_state)
    sample = X if len(X) <= MEDIAN_SAMPLE else X[rng.choice(len(X), MEDIAN_SAMPLE, replace=False)]
    distances = pdist(sample, "cityblock") if len(sample) > 1 else np.ones(1)
    return scale / max(float(np.median(distances)), 1e-12)


class _GramKernel:
    """A kernel whose width is fitted to the training clips, which it keeps: subclasses give
    ``_width(X)``, the fitted ``gamma_``, and ``_pairwise(A, B=None)``, the kernel of ``gamma_``."""

    def _training_kernel(self, X):
        """Fit the kernel's width to `X` and keep `X`; their Gram matrix."""
        self.gamma_ = self._width(X)
        self.X_fit_ = X
        return self._pairwise(X)

    def _kernel(self, X):
        """The kernel between the rows of `X` and the training clips (checks the fit and `X`)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self._pairwise(X, self.X_fit_)


class _LaplacianKernel(_GramKernel):
    """The Laplacian kernel of :class:`LaplacianSVC` and :class:`KernelRidgeClassifier`, with a
    width that follows the training clips (:func:`median_l1_gamma`; needs ``scale`` and
    ``random_state`` parameters)."""

    def _width(self, X):
        return median_l1_gamma(X, scale=self.scale, random_state=self.random_state)

    def _pairwise(self, A, B=None):
        return laplacian_kernel(A, B, gamma=self.gamma_)


class _PrecomputedKernelSVC(ClassifierMixin, BaseEstimator):
    """An SVM fitted on the Gram matrix of its training clips, computed whole by the subclass
    (``_training_kernel(X)``, ``_kernel(X)``); needs ``C``, ``class_weight`` and ``random_state``
    parameters. Memory grows with the square of the training clips (about 400 MB at 7,000)."""

    def fit(self, X, y):
        """Fit the kernel and the SVM to the training clips.

        Parameters
        ----------
        X : array-like [shape=(n, d)]
        y : array-like [shape=(n,)]
            The classes.

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        K = self._training_kernel(X)
        self.svc_ = SVC(kernel="precomputed", C=self.C, class_weight=self.class_weight,
                        random_state=self.random_state).fit(K, y)
        self.classes_ = self.svc_.classes_
        return self

    def decision_function(self, X):
        """Distances to the separating hyperplanes, as :meth:`sklearn.svm.SVC.decision_function`.

        Parameters
        ----------
        X : array-like [shape=(n, d)]

        Returns
        -------
        np.ndarray [shape=(n, classes)], or [shape=(n,)] with two classes
        """
        K = self._kernel(X)  # checks the fit first
        return self.svc_.decision_function(K)

    def predict(self, X):
        """The class of each row of `X`.

        Parameters
        ----------
        X : array-like [shape=(n, d)]

        Returns
        -------
        np.ndarray [shape=(n,)]
        """
        K = self._kernel(X)
        return self.svc_.predict(K)


class LaplacianSVC(_LaplacianKernel, _PrecomputedKernelSVC):
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

    def __init__(self, *, C=1.0, scale=2.0, class_weight="balanced", random_state=None):
        self.C = C
        self.scale = scale
        self.class_weight = class_weight
        self.random_state = random_state


class RbfSVC(_GramKernel, _PrecomputedKernelSVC):
    """:class:`sklearn.svm.SVC` with the RBF kernel, fitted on its Gram matrix computed whole.

    libsvm computes kernel values one pair at a time; one matrix product computes them all
    (:func:`sklearn.metrics.pairwise.rbf_kernel`), about four times faster on thousands of
    clips (a fold of 7,200 clips x 1,190 columns: 11 s against 3 s), with the same support
    vectors and predictions (decision values within 1e-12). Memory grows with the square of
    the training clips (about 400 MB at 7,000).

    Parameters
    ----------
    C : float
        Regularisation, as :class:`sklearn.svm.SVC`'s.
    gamma : {'scale', 'auto'} or float
        Kernel width, as :class:`sklearn.svm.SVC`'s.
    class_weight : dict, 'balanced' or None
    random_state : int, optional
        Seed of libsvm's shuffling (used only for probabilities, which this class leaves out).
    """

    def __init__(self, *, C=1.0, gamma="scale", class_weight="balanced", random_state=None):
        self.C = C
        self.gamma = gamma
        self.class_weight = class_weight
        self.random_state = random_state

    def _width(self, X):
        # As SVC computes it.
        if self.gamma == "scale":
            variance = X.var()
            return 1.0 / (X.shape[1] * variance) if variance != 0 else 1.0
        if self.gamma == "auto":
            return 1.0 / X.shape[1]
        if isinstance(self.gamma, str) or not self.gamma > 0:
            raise ValueError(f"gamma must be 'scale', 'auto' or a positive number, not {self.gamma!r}")
        return float(self.gamma)

    def _pairwise(self, A, B=None):
        return rbf_kernel(A, B, gamma=self.gamma_)


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
    relative of an SVM. Measured on Emotify (mood preset, 10 x 10, ``python -m bench.bench_classify``):
    0.559 macro-F1 from the votes, 0.513 from the labels, the L1 SVM 0.528.

    Parameters
    ----------
    alpha : float
        Ridge penalty (kernel values are at most 1).
    scale : float
        Kernel width relative to the median L1 distance (:func:`median_l1_gamma`).
    random_state : int, optional
        Seed of the sample the median is taken from.
    """

    def __init__(self, *, alpha=0.1, scale=2.0, random_state=None):
        self.alpha = alpha
        self.scale = scale
        self.random_state = random_state

    def fit(self, X, y, *, votes=None):
        """Fit to labels `y` and, if given, to each clip's `votes`.

        Parameters
        ----------
        X : array-like [shape=(n, d)]
        y : array-like [shape=(n,)]
            The classes.
        votes : array-like [shape=(n, classes)], optional
            Each clip's votes for each class (counts, or shares), columns in the sorted order
            of the classes. Rows that sum to the same total count alike; a row with more votes
            counts more (as the square root of its total).

        Returns
        -------
        self
        """
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
        classifiers do, one number per clip: the second class's minus the first's.

        Parameters
        ----------
        X : array-like [shape=(n, d)]

        Returns
        -------
        np.ndarray [shape=(n, classes)], or [shape=(n,)] with two classes
        """
        scores = self._balanced_shares(X)
        return scores[:, 1] - scores[:, 0] if len(self.classes_) == 2 else scores

    def predict_proba(self, X):
        """The balanced predicted shares, clipped at 1e-6 and normalised to sum to 1.

        Scores in the form of probabilities, for a soft vote (``VotingClassifier``) or a
        calibration to fit on them; not calibrated probabilities themselves: wrap the
        classifier in :class:`~sklearn.calibration.CalibratedClassifierCV` (or the shipped
        model's temperature scaling) where a probability must mean what it says.

        Parameters
        ----------
        X : array-like [shape=(n, d)]

        Returns
        -------
        np.ndarray [shape=(n, classes)]
        """
        p = np.maximum(self._balanced_shares(X), 1e-6)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X):
        """The class of each row of `X`: the largest balanced predicted share.

        Parameters
        ----------
        X : array-like [shape=(n, d)]

        Returns
        -------
        np.ndarray [shape=(n,)]
        """
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
    class_weight : dict, 'balanced' or None
        The SVM's class weights.
    shrinkage : 'auto', float or None
        The discriminant's covariance shrinkage (:class:`~sklearn.discriminant_analysis.LinearDiscriminantAnalysis`'s).
    random_state : int, optional
        Seed of the SVM's median sample.
    """

    def __init__(self, *, C=1.0, scale=2.0, lda_weight=0.75, lda_only=None, class_weight="balanced", shrinkage="auto",
                 random_state=None):
        self.C = C
        self.scale = scale
        self.lda_weight = lda_weight
        self.lda_only = lda_only
        self.class_weight = class_weight
        self.shrinkage = shrinkage
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the SVM (on the columns not in `lda_only`) and the discriminant (on all), and each one's
        spread of decision values on the training clips.

        Parameters
        ----------
        X : array-like [shape=(n, d)]
        y : array-like [shape=(n,)]
            The classes.

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        only = np.zeros(X.shape[1], bool) if self.lda_only is None else np.asarray(self.lda_only, dtype=bool)
        if only.shape != (X.shape[1],):
            raise ValueError(f"lda_only has {only.size} flags for {X.shape[1]} columns")
        if only.all():
            raise ValueError("lda_only leaves the SVM no column")
        self.svm_columns_ = ~only
        X_svm = X[:, self.svm_columns_]
        self.svm_ = LaplacianSVC(C=self.C, scale=self.scale, class_weight=self.class_weight,
                                 random_state=self.random_state).fit(X_svm, y)
        svm = self.svm_.decision_function(X_svm)
        self.lda_ = LinearDiscriminantAnalysis(solver="lsqr", shrinkage=self.shrinkage).fit(X, y)
        self.classes_ = self.svm_.classes_
        self.spreads_ = np.array([_spread(svm), _spread(self.lda_.decision_function(X))])
        return self

    def decision_function(self, X):
        """The SVM's scaled decision values plus `lda_weight` times the discriminant's: one
        column per class, or with two classes one number per clip (positive: the second).

        Parameters
        ----------
        X : array-like [shape=(n, d)]

        Returns
        -------
        np.ndarray [shape=(n, classes)], or [shape=(n,)] with two classes
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        svm, lda = self.svm_.decision_function(X[:, self.svm_columns_]), self.lda_.decision_function(X)
        return svm / self.spreads_[0] + self.lda_weight * lda / self.spreads_[1]

    def predict(self, X):
        """The class of each row of `X`: the largest summed decision value.

        Parameters
        ----------
        X : array-like [shape=(n, d)]

        Returns
        -------
        np.ndarray [shape=(n,)]
        """
        scores = self.decision_function(X)
        return self.classes_[(scores > 0).astype(int) if scores.ndim == 1 else np.argmax(scores, axis=1)]


def _spread(decision: np.ndarray) -> float:
    """Standard deviation of decision values, each clip's centred first (what an argmax sees)."""
    centred = decision - decision.mean(axis=1, keepdims=True) if decision.ndim == 2 else decision
    return max(float(np.std(centred)), 1e-12)


class MusicLikeness(BaseEstimator):
    """How far a clip's features lie from the music a model learnt from: a novelty distance.

    A model asked about a podcast, a test tone or noise answers with a mood all the same;
    this says when the question is outside what it knows. Columns are centred on the training
    clips' medians and scaled by their interquartile ranges (robust to the training data's own
    outliers), clipped at ``±clip`` (so one wild column cannot decide alone), projected on
    `n_components` principal axes plus the norm of what the axes leave out; the distance of a
    clip is its mean distance to its `n_neighbors` nearest training clips, divided by the 99th
    percentile of the same distance among the training clips themselves (each left out of its
    own neighbours). So 1 is the edge of the training music's own spread.

    Measured with the shipped model's training music and settings (``python -m bench.bench_not_music``):
    MIREX-like's 903 clips, which it never saw, lie at most a little above 1; speech, sine
    tones, hum and hiss at 1.5 to 1.8; white noise at about 1.3; pink noise looks like music.

    Parameters
    ----------
    columns : array-like of bool, optional
        The columns used (default: all).
    n_components : int
        Principal axes kept (at most the training clips less one, and the columns).
    n_neighbors : int
    clip : float
        Bound of each scaled column.
    random_state : int, optional
        Seed of the principal axes' randomised solver.
    """

    def __init__(self, *, columns=None, n_components=32, n_neighbors=5, clip=10.0, random_state=None):
        self.columns = columns
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.clip = clip
        self.random_state = random_state

    def fit(self, X, y=None):
        """Learn the training clips' spread.

        Parameters
        ----------
        X : array-like [shape=(n, d)]
        y : ignored

        Returns
        -------
        self
        """
        from sklearn.decomposition import PCA

        X = validate_data(self, X)
        self.columns_ = np.ones(X.shape[1], bool) if self.columns is None else np.asarray(self.columns, dtype=bool)
        if self.columns_.shape != (X.shape[1],) or not self.columns_.any():
            raise ValueError(f"columns must flag some of the {X.shape[1]} columns")
        if len(X) < self.n_neighbors + 2:
            raise ValueError(f"{len(X)} clips: at least {self.n_neighbors + 2} are needed")
        A = X[:, self.columns_]
        self.center_ = np.median(A, axis=0)
        q1, q3 = np.percentile(A, [25, 75], axis=0)
        self.scale_ = np.maximum((q3 - q1) / 1.349, 1e-9 * (np.abs(self.center_) + 1e-12))
        Z = self._scaled(A)
        self.pca_ = PCA(n_components=min(self.n_components, len(Z) - 1, Z.shape[1]),
                        random_state=self.random_state).fit(Z)
        self.training_ = self._projected(Z)
        self.reference_ = 1.0
        self.reference_ = max(float(np.percentile(self._neighbour_distance(self.training_, leave_out=True), 99)), 1e-12)
        return self

    def _neighbour_distance(self, P, *, leave_out=False):
        """Mean distance of each row of `P` to its `n_neighbors` nearest training clips, over the
        reference (`leave_out`: `P` is the training clips, each not its own neighbour)."""
        d = cdist(P, self.training_)
        if leave_out:
            np.fill_diagonal(d, np.inf)
        nearest = np.partition(d, self.n_neighbors - 1, axis=1)[:, :self.n_neighbors]
        return nearest.mean(axis=1) / self.reference_

    def _scaled(self, A):
        return np.clip((A - self.center_) / self.scale_, -self.clip, self.clip) / np.sqrt(A.shape[1])

    def _projected(self, Z):
        P = self.pca_.transform(Z)
        rest = np.linalg.norm(Z - self.pca_.inverse_transform(P), axis=1, keepdims=True)
        return np.hstack([P, rest])

    def distance(self, X):
        """Each clip's distance from the training music (1: the edge of its own spread).

        Parameters
        ----------
        X : array-like [shape=(n, d)]

        Returns
        -------
        np.ndarray [shape=(n,)]
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self._neighbour_distance(self._projected(self._scaled(X[:, self.columns_])))
