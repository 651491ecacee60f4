"""Why a classifier works, for the people who use it: each feature family's permutation importance,
and the learning curve (macro-F1 against the number of training clips).

Both run on the folds of the cross-validation (:func:`classify.evaluate.cv_splits`), with the
same Pipelines, so every fit sees only its training part. The importance of a family is the drop
in macro-F1 on a held-out fold when the family's columns are shuffled together (one permutation
of the fold's rows for all of them, so the family's own structure is kept and only its link to
the labels is broken): scikit-learn's ``permutation_importance``, on grouped columns.
"""

from collections.abc import Sequence

import numpy as np
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.utils.parallel import delayed

from moodclass.infra import parallel, progress_bar, save_figure

#: Shares of each training fold the learning curve is measured at.
TRAIN_SHARES = (0.1, 0.2, 0.35, 0.5, 0.75, 1.0)


def _macro_f1(y, predicted) -> float:
    return float(f1_score(y, predicted, average="macro", zero_division=0))


def _split_importance(estimator, X, y, train, test, groups, fit_params, n_permutations, seed):
    params = {k: v[train] for k, v in (fit_params or {}).items()}
    model = clone(estimator).fit(X[train], y[train], **params)
    base = _macro_f1(y[test], model.predict(X[test]))
    rng = np.random.default_rng(seed)
    drops = {}
    for name, columns in groups.items():
        scores = []
        for _ in range(n_permutations):
            shuffled = X[test].copy()
            shuffled[:, columns] = shuffled[rng.permutation(len(test))][:, columns]
            scores.append(_macro_f1(y[test], model.predict(shuffled)))
        drops[name] = base - float(np.mean(scores))
    return base, drops


def family_importance(estimator, X: np.ndarray, y: np.ndarray, *, families: Sequence[str], splits: list,
                      n_repeats: int, n_permutations: int = 1, random_state: int = 0, n_jobs: int = -1,
                      fit_params: dict | None = None, progress: bool = True, desc: str = "importance") -> dict:
    """Each feature family's permutation importance on the held-out folds of `splits`.

    Parameters
    ----------
    estimator : sklearn classifier
        Cloned and fitted on each training fold.
    X : np.ndarray [shape=(n, d)]
    y : np.ndarray [shape=(n,)]
    families : sequence of str
        The family of each column (``FeatureSettings.column_families()``).
    splits : list of (repeat, train_idx, test_idx)
        From :func:`classify.evaluate.cv_splits`.
    n_repeats : int
        Repeats in `splits`.
    n_permutations : int
        Shuffles of each family per fold, averaged.
    random_state : int
        Seed of the shuffles (each fold's its own, drawn from it).
    n_jobs : int
        Parallel folds (-1: all cores).
    fit_params : dict, optional
        Per-clip arrays passed to every ``fit``, cut to its training rows.
    progress : bool
    desc : str

    Returns
    -------
    dict
        ``families`` (most important first), ``mean`` and ``std`` over repeats of each family's
        drop in macro-F1 (each repeat's drop the mean over its folds), ``baseline`` (macro-F1
        unshuffled, mean over repeats), ``n_permutations``.
    """
    families = np.asarray(families, dtype=str)
    if len(families) != X.shape[1]:
        raise ValueError(f"{len(families)} family names for {X.shape[1]} columns")
    groups = {f: np.flatnonzero(families == f) for f in dict.fromkeys(families)}
    seeds = np.random.default_rng(random_state).integers(0, 2**31, len(splits))
    jobs = parallel(n_jobs, return_as="generator")(
        delayed(_split_importance)(estimator, X, y, train, test, groups, fit_params, n_permutations, seed)
        for (_, train, test), seed in zip(splits, seeds))
    base = np.zeros(n_repeats)
    drops = {f: np.zeros(n_repeats) for f in groups}
    counts = np.zeros(n_repeats)
    for (r, _, _), (score, drop) in progress_bar(iterable=zip(splits, jobs), total=len(splits), desc=desc, unit="fit",
                                                 disable=not progress, leave=False):
        base[r] += score
        counts[r] += 1
        for f, d in drop.items():
            drops[f][r] += d
    mean = {f: float(np.mean(d / counts)) for f, d in drops.items()}
    order = sorted(mean, key=mean.get, reverse=True)
    return {"families": order, "mean": {f: mean[f] for f in order},
            "std": {f: float(np.std(drops[f] / counts)) for f in order},
            "baseline": float(np.mean(base / counts)), "n_permutations": n_permutations}


def _split_curve(estimator, X, y, train, test, sizes, fit_params, seed):
    order = np.random.default_rng(seed).permutation(train)
    scores = []
    for n in sizes:
        part = order[:n]
        if len(np.unique(y[part])) < len(np.unique(y)):  # a class missing: no score at this size
            scores.append(np.nan)
            continue
        params = {k: v[part] for k, v in (fit_params or {}).items()}
        try:
            model = clone(estimator).fit(X[part], y[part], **params)
        except ValueError:  # too few clips of a class for an inner split
            scores.append(np.nan)
            continue
        scores.append(_macro_f1(y[test], model.predict(X[test])))
    return scores


def learning_curve(estimator, X: np.ndarray, y: np.ndarray, *, splits: list, n_repeats: int,
                   train_shares: Sequence[float] = TRAIN_SHARES, random_state: int = 0, n_jobs: int = -1,
                   fit_params: dict | None = None, progress: bool = True, desc: str = "learning curve") -> dict:
    """Macro-F1 on the held-out folds of `splits` against the number of training clips.

    Each training fold is shuffled (seeded) and its first ``share`` of clips used, so the
    smaller training sets are nested in the larger ones, as in
    :func:`sklearn.model_selection.learning_curve`.

    Parameters
    ----------
    estimator : sklearn classifier
    X : np.ndarray [shape=(n, d)]
    y : np.ndarray [shape=(n,)]
    splits : list of (repeat, train_idx, test_idx)
        From :func:`classify.evaluate.cv_splits`.
    n_repeats : int
    train_shares : sequence of float
        Shares of each training fold, in (0, 1].
    random_state : int
        Seed of the shuffles.
    n_jobs : int
    fit_params : dict, optional
    progress : bool
    desc : str

    Returns
    -------
    dict
        ``train_clips`` (the mean number of training clips at each share), ``mean`` and
        ``std`` over repeats of macro-F1 at each (NaN where a training set lacked a class).
    """
    shares = np.asarray(train_shares, dtype=float)
    if not len(shares) or (shares <= 0).any() or (shares > 1).any():
        raise ValueError(f"train shares must lie in (0, 1], not {list(train_shares)}")
    seeds = np.random.default_rng(random_state).integers(0, 2**31, len(splits))
    sizes_of = [np.maximum(1, np.round(shares * len(train)).astype(int)) for _, train, _ in splits]
    jobs = parallel(n_jobs, return_as="generator")(
        delayed(_split_curve)(estimator, X, y, train, test, sizes, fit_params, seed)
        for (_, train, test), sizes, seed in zip(splits, sizes_of, seeds))
    per_repeat = np.zeros((n_repeats, len(shares)))
    counts = np.zeros(n_repeats)
    for (r, _, _), scores in progress_bar(iterable=zip(splits, jobs), total=len(splits), desc=desc, unit="fold",
                                          disable=not progress, leave=False):
        per_repeat[r] += np.asarray(scores, dtype=float)
        counts[r] += 1
    per_repeat /= counts[:, None]
    return {"train_shares": shares.tolist(), "train_clips": np.mean(sizes_of, axis=0).tolist(),
            "mean": np.mean(per_repeat, axis=0).tolist(), "std": np.std(per_repeat, axis=0).tolist()}


def format_importance(name: str, result: dict, *, top: int = 12) -> str:
    """The families' importance as lines for people, most important first.

    Parameters
    ----------
    name : str
    result : dict
        From :func:`family_importance`.
    top : int
        Families shown.

    Returns
    -------
    str
    """
    lines = [f"{name}: drop in macro-F1 when a family's columns are shuffled on the held-out folds "
             f"(mean ± std over repeats; unshuffled {result['baseline']:.3f})"]
    for f in result["families"][:top]:
        lines.append(f"  {f:16s} {result['mean'][f]:+.3f} ± {result['std'][f]:.3f}")
    if len(result["families"]) > top:
        lines.append(f"  ... {len(result['families']) - top} more in report.json")
    return "\n".join(lines)


def format_learning_curve(name: str, result: dict) -> str:
    """The learning curve as lines for people.

    Parameters
    ----------
    name : str
    result : dict
        From :func:`learning_curve`.

    Returns
    -------
    str
    """
    lines = [f"{name}: macro-F1 on the held-out folds against the training clips (mean ± std over repeats)"]
    for n, m, s in zip(result["train_clips"], result["mean"], result["std"]):
        lines.append(f"  {n:7.0f} clips  {m:.3f} ± {s:.3f}")
    return "\n".join(lines)


def plot_importance(result: dict, path, *, title: str, top: int = 20) -> None:
    """A bar chart of the `top` families' importance, with the spread over repeats, saved as a PNG.

    Parameters
    ----------
    result : dict
        From :func:`family_importance`.
    path : str or Path
        Written atomically.
    title : str
    top : int
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = result["families"][:top][::-1]
    fig, ax = plt.subplots(figsize=(6.4, 1.2 + 0.28 * len(shown)))
    ax.barh(shown, [result["mean"][f] for f in shown], xerr=[result["std"][f] for f in shown], color="#4c72b0",
            ecolor="#333333", capsize=2)
    ax.axvline(0, color="#999999", lw=0.8)
    ax.set_xlabel("drop in macro-F1 when shuffled")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)


def plot_learning_curve(result: dict, path, *, title: str, chance: float) -> None:
    """Macro-F1 against the training clips, with the spread over repeats and chance, saved as a PNG.

    Parameters
    ----------
    result : dict
        From :func:`learning_curve`.
    path : str or Path
        Written atomically.
    title : str
    chance : float
        Macro-F1 of guessing (1 / classes), drawn as a line.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    n, m, s = (np.asarray(result[k], dtype=float) for k in ("train_clips", "mean", "std"))
    ax.fill_between(n, m - s, m + s, color="#4c72b0", alpha=0.2, lw=0)
    ax.plot(n, m, "o-", color="#4c72b0", label="held-out folds")
    ax.axhline(chance, color="#999999", ls="--", lw=0.8, label="chance")
    ax.set_xlabel("training clips")
    ax.set_ylabel("macro-F1")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
