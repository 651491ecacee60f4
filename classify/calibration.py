"""Whether class probabilities mean what they say: Brier score, expected calibration error and a
reliability diagram of out-of-fold probabilities.

Users sort and filter by valence and arousal, which are sums of the quadrant probabilities
(:func:`classify.labels.valence_arousal`); a model that says 0.9 should be right about nine
times in ten.
"""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss

from moodclass.infra import save_figure

#: Equal-width confidence bins of :func:`expected_calibration_error` (Guo et al., ICML 2017).
ECE_BINS = 10


def expected_calibration_error(y_true: Sequence, proba: np.ndarray, classes: Sequence, *, n_bins: int = ECE_BINS) -> float:
    """Top-label expected calibration error: how far the confidence of the most probable class is
    from how often it is right, averaged over equal-width confidence bins weighed by their clips.

    Parameters
    ----------
    y_true : sequence [shape=(n,)]
        True classes.
    proba : np.ndarray [shape=(n, len(classes))]
        Predicted probabilities, columns in the order of `classes`.
    classes : sequence
    n_bins : int
        Bins of equal width over [0, 1].

    Returns
    -------
    float
        In [0, 1]; 0 for perfectly calibrated confidences.
    """
    proba = _checked(y_true, proba, classes)
    confidence = proba.max(axis=1)
    correct = np.asarray(classes)[proba.argmax(axis=1)] == np.asarray(y_true)
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        inside = bins == b
        total += inside.sum() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total / len(confidence))


def calibration_error_floor(proba: np.ndarray, classes: Sequence, *, n_draws: int = 20, random_state: int = 0) -> float:
    """The expected calibration error that perfectly calibrated probabilities `proba` would show
    on this few clips: the mean, over `n_draws` draws of each clip's class from its own
    probabilities, of :func:`expected_calibration_error`. A few hundred clips leave a few
    hundredths of error even where nothing is wrong; this says how many.

    Parameters
    ----------
    proba : np.ndarray [shape=(n, classes)]
    classes : sequence
        The columns' classes.
    n_draws : int
    random_state : int
        Seed of the draws.

    Returns
    -------
    float
    """
    proba = np.asarray(proba, dtype=np.float64)
    rng = np.random.default_rng(random_state)
    cumulative = np.cumsum(proba / proba.sum(axis=1, keepdims=True), axis=1)
    draws = []
    for _ in range(n_draws):
        index = np.minimum((rng.uniform(size=(len(proba), 1)) > cumulative).sum(axis=1), len(classes) - 1)
        draws.append(expected_calibration_error(np.asarray(classes)[index], proba, classes))
    return float(np.mean(draws))


def probability_scores(y_true: Sequence, proba: np.ndarray, classes: Sequence) -> dict:
    """Multi-class Brier score (the mean over clips of the squared distance between the
    probabilities and the one-hot truth, 0 to 2), log loss, top-label expected calibration
    error of `proba` and its floor on this many clips (:func:`calibration_error_floor`).

    Parameters
    ----------
    y_true : sequence
        Each clip's class.
    proba : np.ndarray [shape=(n, classes)]
    classes : sequence
        The columns' classes.

    Returns
    -------
    dict
        ``brier``, ``log_loss``, ``ece`` and ``ece_floor``.
    """
    proba = _checked(y_true, proba, classes)
    labels = list(classes)
    return {"brier": float(brier_score_loss(y_true, proba, labels=labels, scale_by_half=False)),
            "log_loss": float(log_loss(y_true, np.clip(proba, 1e-15, 1), labels=labels)),
            "ece": expected_calibration_error(y_true, proba, classes),
            "ece_floor": calibration_error_floor(proba, classes)}


def plot_reliability(y_true: Sequence, proba: np.ndarray, classes: Sequence, path: str | Path, *, title: str,
                     n_bins: int = ECE_BINS) -> None:
    """Save a reliability diagram as a PNG: for each class (one against the rest) and for the
    most probable class, how often it is true against the probability given, with
    :class:`sklearn.calibration.CalibrationDisplay`, and the histogram of confidences below.

    Parameters
    ----------
    y_true : sequence
    proba : np.ndarray [shape=(n, classes)]
    classes : sequence
    path : str or Path
        The PNG, written atomically.
    title : str
    n_bins : int
        Bins of probability.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import CalibrationDisplay

    from classify.labels import display_name

    proba = _checked(y_true, proba, classes)
    y_true = np.asarray(y_true)
    confidence = proba.max(axis=1)
    correct = np.asarray(classes)[proba.argmax(axis=1)] == y_true
    fig, (ax, hist) = plt.subplots(2, 1, figsize=(5.6, 6.4), height_ratios=(3, 1), sharex=True)
    for j, c in enumerate(classes):
        CalibrationDisplay.from_predictions(y_true == c, proba[:, j], n_bins=n_bins, ax=ax, name=display_name(c),
                                            ref_line=False, marker=".", alpha=0.7)
    CalibrationDisplay.from_predictions(correct, confidence, n_bins=n_bins, ax=ax, ref_line=True,
                                        name="most probable class", color="black", marker="o", linewidth=2)
    ax.set_xlabel("")
    ax.set_ylabel("how often it is true")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    hist.hist(confidence, bins=np.linspace(0, 1, n_bins + 1), color="grey")
    hist.set_xlabel("probability given (most probable class in the histogram)")
    hist.set_ylabel("clips")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def _checked(y_true, proba, classes) -> np.ndarray:
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape != (len(y_true), len(classes)):
        raise ValueError(f"probabilities of shape {proba.shape} for {len(y_true)} clips and {len(classes)} classes")
    return proba
