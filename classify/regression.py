"""Valence and arousal as numbers: the repeated cross-validation of the regressors
(:func:`classify.pipelines.make_regressor`) and its report.

``python -m classify --cv repeated --target valence,arousal --labels FILE.csv`` learns the
numbers themselves instead of the quadrants, where the labels are ratings.
"""

from collections.abc import Sequence

import numpy as np
from scipy.stats import pearsonr
from sklearn.metrics import accuracy_score, r2_score, root_mean_squared_error

from classify.evaluate import cv_splits, mean_and_std, out_of_fold_predictions
from classify.labels import quadrants, target_thresholds


def repeated_cv_regression(estimator, X: np.ndarray, Y: np.ndarray, *, strata: np.ndarray, names: Sequence[str],
                           groups: np.ndarray | None = None, n_splits: int = 10, n_repeats: int = 10,
                           random_state: int = 0, n_jobs: int = -1, progress: bool = True,
                           thresholds: Sequence[float | None] = (None, None)) -> dict:
    """Repeated k-fold cross-validation of a regressor of the columns of `Y`.

    Folds are stratified by `strata` (the quadrants) and, with `groups`, keep each group in
    one fold. Per repeat, from its out-of-fold predictions: R², Pearson r and RMSE of each
    target, and, with two targets (valence, arousal), the share of clips whose quadrant the
    two predicted numbers get right, at `thresholds` (None: the midpoint of the target's rating
    scale, as for quadrant labels).

    Parameters
    ----------
    estimator : sklearn regressor
        Cloned for every fold (:func:`classify.pipelines.make_regressor`).
    X : np.ndarray [shape=(n, d)]
    Y : np.ndarray [shape=(n, targets)]
    strata : np.ndarray [shape=(n,)]
        The classes the folds are stratified by.
    names : sequence of str
        The targets' names.
    groups : np.ndarray [shape=(n,)], optional
        Clips of one group are kept in one fold.
    n_splits, n_repeats, random_state, n_jobs, progress
        As for :func:`classify.evaluate.repeated_cv`.
    thresholds : (float or None, float or None)
        Valence and arousal thresholds of the quadrants.

    Returns
    -------
    dict
        ``targets``, ``per_repeat``, and ``mean`` and ``std`` over repeats of every score
        (keys ``r2_NAME``, ``pearson_r_NAME``, ``rmse_NAME``, ``quadrant_accuracy``).
    """
    Y = np.asarray(Y, dtype=np.float64).reshape(len(X), -1)
    splits = list(cv_splits(np.asarray(strata), groups=groups, n_splits=n_splits, n_repeats=n_repeats,
                            random_state=random_state))
    predictions = out_of_fold_predictions(estimator, X, Y, splits=splits, n_repeats=n_repeats, n_jobs=n_jobs,
                                          progress=progress, desc="regression")
    mids = target_thresholds(Y, thresholds=thresholds)
    per_repeat = []
    for p in predictions:
        scores = {}
        for j, name in enumerate(names):
            scores[f"r2_{name}"] = float(r2_score(Y[:, j], p[:, j]))
            scores[f"pearson_r_{name}"] = float(pearsonr(Y[:, j], p[:, j]).statistic)
            scores[f"rmse_{name}"] = float(root_mean_squared_error(Y[:, j], p[:, j]))
        if Y.shape[1] == 2:
            scores["quadrant_accuracy"] = float(accuracy_score(quadrants(Y[:, 0], Y[:, 1], *mids),
                                                               quadrants(p[:, 0], p[:, 1], *mids)))
        per_repeat.append(scores)
    return {"targets": list(names), "thresholds": mids, "per_repeat": per_repeat, **mean_and_std(per_repeat)}


def format_regression_report(name: str, result: dict) -> str:
    """The scores of :func:`cross_validate_regression` as a few lines for people."""
    mean, std = result["mean"], result["std"]
    lines = [f"{name}: mean ± std over repeats"]
    for t in result["targets"]:
        lines.append(f"  {t:10s} R² {mean[f'r2_{t}']:.3f} ± {std[f'r2_{t}']:.3f}   Pearson r "
                     f"{mean[f'pearson_r_{t}']:.3f} ± {std[f'pearson_r_{t}']:.3f}   RMSE {mean[f'rmse_{t}']:.3f} "
                     f"± {std[f'rmse_{t}']:.3f}")
    if "quadrant_accuracy" in mean:
        lines.append(f"  quadrant accuracy from the two numbers {mean['quadrant_accuracy']:.3f} "
                     f"± {std['quadrant_accuracy']:.3f} (thresholds {', '.join(f'{m:g}' for m in result['thresholds'])})")
    return "\n".join(lines)
