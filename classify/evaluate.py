"""Repeated (group-)stratified k-fold cross-validation and its report."""

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedGroupKFold
from sklearn.utils.parallel import delayed

from classify.calibration import probability_scores
from classify.labels import display_name
from moodclass.infra import atomic_write, parallel, progress_bar, save_figure


def cv_splits(y: np.ndarray, *, groups: np.ndarray | None = None, n_splits: int = 10, n_repeats: int = 10,
              random_state: int = 0) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """``(repeat, train_idx, test_idx)`` for every fold of every repeat.

    Without groups: repeated stratified k-fold. With groups: stratified group k-fold,
    reshuffled with seed ``random_state + repeat`` for each repeat, so no group spans two folds.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        The classes the folds are stratified by.
    groups : np.ndarray [shape=(n,)], optional
        Clips of one group are kept in one fold.
    n_splits, n_repeats : int
        Folds per repeat, and repeats.
    random_state : int
        Seed of the shuffles.

    Yields
    ------
    repeat : int
    train, test : np.ndarray
        Indices.
    """
    folds, repeats, seed = n_splits, n_repeats, random_state
    X = np.zeros((len(y), 1))
    if groups is None:
        splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
        for i, (train, test) in enumerate(splitter.split(X, y)):
            yield i // folds, train, test
    else:
        for r in range(repeats):
            splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed + r)
            for train, test in splitter.split(X, y, groups):
                yield r, train, test


def _fit_predict(estimator, X, y, train, test, fit_params=None, method="predict"):
    params = {k: v[train] for k, v in (fit_params or {}).items()}  # per-clip arrays, cut like X
    model = clone(estimator).fit(X[train], y[train], **params)
    return test, getattr(model, method)(X[test])


def mean_and_std(per_repeat: list[dict]) -> dict:
    """``{'mean': {...}, 'std': {...}}`` of each score over the repeats' score dicts.

    Parameters
    ----------
    per_repeat : list of dict
        Each repeat's scores, by name.

    Returns
    -------
    dict
    """
    keys = list(per_repeat[0])
    return {"mean": {k: float(np.mean([s[k] for s in per_repeat])) for k in keys},
            "std": {k: float(np.std([s[k] for s in per_repeat])) for k in keys}}


def out_of_fold_predictions(estimator, X: np.ndarray, y: np.ndarray, *, splits: list, n_repeats: int,
                            n_jobs: int = -1, progress: bool = True, desc: str = "cv", fit_params: dict | None = None,
                            method: str = "predict") -> np.ndarray:
    """Each repeat's out-of-fold predictions of `y` (classes, or a regressor's targets), or with
    ``method='predict_proba'`` the class probabilities.

    Parameters
    ----------
    estimator : sklearn estimator
        Cloned for every fold.
    X : np.ndarray [shape=(n, d)]
    y : np.ndarray [shape=(n,)] or [shape=(n, targets)]
    splits : list of (repeat, train_idx, test_idx)
        From :func:`cv_splits`; every clip is in one test fold per repeat, or (clips that only
        ever train, e.g. another data set's) in none: their rows stay unset (NaN or None).
    n_repeats : int
        Repeats in `splits`.
    n_jobs : int
        Parallel fits (-1: all cores).
    progress : bool
        Show a progress bar, labelled `desc`.
    desc : str
    fit_params : dict, optional
        Passed to every ``fit``: arrays with a row per clip, of which each fit gets its
        training rows (e.g. the votes of each class).
    method : {'predict', 'predict_proba'}
        What each fitted model gives for its test clips.

    Returns
    -------
    np.ndarray [shape=(repeats,) + y.shape], or [shape=(repeats, n, classes)] of probabilities
    (columns in the sorted order of the classes)
    """
    repeats = n_repeats
    if method == "predict_proba":
        predictions = np.full((repeats, len(y), len(np.unique(y))), np.nan)
    else:
        predictions = np.full((repeats,) + y.shape, None if y.dtype.kind in "OUS" else np.nan,
                              dtype=object if y.dtype.kind in "OUS" else np.float64)
    jobs = parallel(n_jobs, return_as="generator")(
        delayed(_fit_predict)(estimator, X, y, train, test, fit_params, method) for _, train, test in splits
    )
    for (r, _, _), (test, pred) in progress_bar(iterable=zip(splits, jobs), total=len(splits), desc=desc, unit="fit",
                                                disable=not progress, leave=False):
        predictions[r, test] = np.asarray(pred).reshape((len(test),) + predictions.shape[2:])
    return predictions


def repeated_cv(estimator, X: np.ndarray, y: np.ndarray, *, groups: np.ndarray | None = None, n_splits: int = 10,
                n_repeats: int = 10, random_state: int = 0, n_jobs: int = -1, progress: bool = True, desc: str = "cv",
                fit_params: dict | None = None, probabilities: bool = False) -> dict:
    """Repeated cross-validation of `estimator`: every fit sees only its training fold.

    Unlike :func:`sklearn.model_selection.cross_validate`, which scores each fold, this scores
    each repeat's out-of-fold predictions of every clip, and gives their mean and standard
    deviation over the repeats.

    Parameters
    ----------
    estimator : sklearn estimator
        Cloned for every fold.
    X : np.ndarray [shape=(n, d)]
    y : np.ndarray [shape=(n,)]
    groups : np.ndarray [shape=(n,)], optional
        Clips of one group are never split between training and test.
    n_splits, n_repeats : int
        Folds per repeat, and repeats.
    random_state : int
        Seed of the splits.
    n_jobs : int
        Parallel fits (-1: all cores).
    progress : bool
        Show a progress bar, labelled `desc`.
    desc : str
    fit_params : dict, optional
        Per-clip arrays passed to every ``fit``, cut to its training rows (e.g. votes,
        :func:`classify.pipelines.fit_params`).
    probabilities : bool
        Predict with ``predict_proba`` (the most probable class is the prediction) and score the
        probabilities too: Brier score, log loss and expected calibration error
        (:func:`classify.calibration.probability_scores`).

    Returns
    -------
    dict
        ``classes``; ``per_repeat``, the scores of each repeat's out-of-fold predictions;
        ``mean`` and ``std`` over repeats of accuracy, balanced accuracy and macro-F1 (and of
        the probability scores); ``confusion``, summed over all folds and repeats; ``per_class``
        scores of that sum.
    """
    splits = list(cv_splits(y, groups=groups, n_splits=n_splits, n_repeats=n_repeats, random_state=random_state))
    predictions = out_of_fold_predictions(estimator, X, y, splits=splits, n_repeats=n_repeats, n_jobs=n_jobs,
                                          progress=progress, desc=desc, fit_params=fit_params,
                                          method="predict_proba" if probabilities else "predict")
    return score_predictions(y, predictions)


def score_predictions(y: np.ndarray, predictions: np.ndarray) -> dict:
    """The scores :func:`repeated_cv` reports, of each repeat's out-of-fold `predictions` of `y`:
    classes [shape=(repeats, n)], or probabilities [shape=(repeats, n, classes)], columns in the
    sorted order of the classes.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
    predictions : np.ndarray
        From :func:`out_of_fold_predictions`.

    Returns
    -------
    dict
        As :func:`repeated_cv` returns.
    """
    classes = np.unique(y)
    proba = predictions if predictions.ndim == 3 else None
    if proba is not None:
        predictions = classes[proba.argmax(axis=2)]
    repeats = len(predictions)
    per_repeat = [{"accuracy": float(accuracy_score(y, p)), "balanced_accuracy": float(balanced_accuracy_score(y, p)),
                   "macro_f1": float(f1_score(y, p, labels=classes, average="macro", zero_division=0))}
                  for p in predictions]
    if proba is not None:
        for scores, p in zip(per_repeat, proba):
            scores.update(probability_scores(y, p, classes))
    # Per class: the out-of-fold predictions of every repeat pooled (a class never predicted: precision 0).
    precision, recall, f1, support = precision_recall_fscore_support(
        np.tile(y, repeats), predictions.ravel(), labels=classes, zero_division=0)
    return {
        "classes": classes.tolist(),
        "per_repeat": per_repeat,
        **mean_and_std(per_repeat),
        "confusion": confusion_matrix(np.tile(y, repeats), predictions.ravel(), labels=classes).tolist(),
        "per_class": {c: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                          "support": int(support[i] // repeats)} for i, c in enumerate(classes.tolist())},
    }


def format_report(name: str, result: dict) -> str:
    """A readable text report of one classifier's :func:`repeated_cv` result.

    Parameters
    ----------
    name : str
        The classifier's name, the report's first word.
    result : dict
        From :func:`repeated_cv`.

    Returns
    -------
    str
    """
    m, s = result["mean"], result["std"]
    lines = [
        f"{name}: macro-F1 {m['macro_f1']:.3f} ± {s['macro_f1']:.3f}   "
        f"accuracy {m['accuracy']:.3f} ± {s['accuracy']:.3f}   "
        f"balanced accuracy {m['balanced_accuracy']:.3f} ± {s['balanced_accuracy']:.3f}",
        f"  {'class':24s} {'precision':>9s} {'recall':>7s} {'F1':>6s} {'clips':>6s}",
    ]
    for c, pc in result["per_class"].items():
        lines.append(f"  {display_name(c):24s} {pc['precision']:9.3f} {pc['recall']:7.3f} {pc['f1']:6.3f} {pc['support']:6d}")
    classes = result["classes"]
    width = max(6, *(len(str(c)) for c in classes))
    lines.append("  confusion matrix, summed over folds and repeats (rows: true, columns: predicted)")
    lines.append("  " + " " * width + "".join(f"{str(c):>{width + 1}s}" for c in classes))
    for c, row in zip(classes, result["confusion"]):
        lines.append(f"  {str(c):>{width}s}" + "".join(f"{v:>{width + 1}d}" for v in row))
    return "\n".join(lines)


def plot_confusion(result: dict, title: str, path: str | Path) -> None:
    """Save the confusion matrix summed over folds and repeats, as rates per true class, as a PNG.

    Each cell shows the share of the true class's clips and, below it, their count summed over
    the repeats; `title` should name the data set, the protocol and the chance level.

    Parameters
    ----------
    result : dict
        From :func:`repeated_cv`.
    title : str
    path : str or Path
        The PNG, written atomically.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(result["confusion"], dtype=float)
    rates = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    labels = [display_name(c) for c in result["classes"]]
    fig, ax = plt.subplots(figsize=(2.6 + 1.1 * len(labels), 1.6 + 1.0 * len(labels)))
    display = ConfusionMatrixDisplay(rates, display_labels=labels)
    display.plot(ax=ax, cmap="Blues", colorbar=True, values_format=".2f", im_kw={"vmin": 0, "vmax": 1})
    for (i, j), text in np.ndenumerate(display.text_):
        text.set_text(f"{rates[i, j]:.2f}\n({int(cm[i, j])})")
        text.set_fontsize(8)
    display.im_.colorbar.set_label("share of the true class")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)


def write_json(report: dict, path: str | Path) -> None:
    """Write the full report (a dict) as JSON, atomically.

    Parameters
    ----------
    report : dict
    path : str or Path
    """

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)

    atomic_write(path, write)
