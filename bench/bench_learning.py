"""Other ways for the classical models to learn, each measured against the same classifier without it.

Run from the repository's root after ``python -m bench.bench_classify`` (it reuses that script's
``cache/features/bench-*-mood.parquet`` tables):

    python -m bench.bench_learning                        # 3 repeats of 10-fold CV, seed 0
    python -m bench.bench_learning --segments --repeats 10

On the 4Q development half (folds grouped by artist), MIREX-like and Emotify (plain folds), it
prints macro-F1 (mean ± std over repeats) of ``krr`` and ``svm_lda`` as they are, and of:

- ``pquad votes`` (4Q): krr learns from soft labels, each clip's ``pquad`` (the share of its
  AllMusic mood words in its quadrant) for its quadrant and the rest spread over the others;
- ``ReliefF K``: krr on the K columns (of the mood view's 290) that ReliefF (Kononenko 1994, 10
  neighbours, L1) ranks highest, chosen inside each training fold;
- ``quantile scaling``: krr with each column mapped to normal quantiles (fitted in the fold)
  instead of standardised;
- ``stacking``: logistic regression on the out-of-fold probabilities of krr, svm_lda and logreg;
- ``+ Emotify`` (4Q): Emotify's 400 clips added to every 4Q training fold, never to a test fold;
- ``segments`` (with ``--segments``): each clip's 10-s windows every 5 s are featurized too
  (cached under cache/features/segments-NAME.npz); a second model of the same kind learns from the
  windows of the training clips, each labelled with its clip, and its decision averaged over a
  test clip's windows is blended half and half with the clip model's.

Every fitted step (scaling, selection, the models) sees only the training part of a fold.
"""

import argparse

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.spatial.distance import cdist
from sklearn.base import BaseEstimator
from sklearn.ensemble import StackingClassifier
from sklearn.feature_selection import SelectorMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import QuantileTransformer, StandardScaler

from bench.common import DATASETS, FEATURES, save_results
from classify.dataset import combine, load_dataset
from classify.evaluate import cv_splits, repeated_cv
from classify.pipelines import fit_params, make_classifier
from featurize.audio import find_audio
from featurize.workers import analyse_files

SEGMENT, SEGMENT_HOP = 10.0, 5.0


class ReliefF(SelectorMixin, BaseEstimator):
    """The `k` columns with the highest ReliefF weights (Kononenko 1994): how much more a column
    differs between a clip and its nearest clips of other classes than its nearest of its own."""

    def __init__(self, k=250, n_neighbors=10):
        self.k = k
        self.n_neighbors = n_neighbors

    def fit(self, X, y):
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
        span = np.ptp(X, axis=0)
        Z = X / np.where(span > 0, span, 1.0)
        D = cdist(Z, Z, "cityblock")
        np.fill_diagonal(D, np.inf)
        classes, counts = np.unique(y, return_counts=True)
        prior = dict(zip(classes, counts / len(y)))
        members = {c: np.flatnonzero(y == c) for c in classes}
        weights = np.zeros(X.shape[1])
        for i in range(len(y)):
            for c in classes:
                idx = members[c][members[c] != i]
                near = idx[np.argsort(D[i, idx])[:self.n_neighbors]]
                diff = np.abs(Z[near] - Z[i]).mean(axis=0)
                weights += -diff if c == y[i] else prior[c] / (1 - prior[y[i]]) * diff
        self.scores_ = weights / len(y)
        return self

    def _get_support_mask(self):
        mask = np.zeros(len(self.scores_), dtype=bool)
        mask[np.argsort(-self.scores_)[:self.k]] = True
        return mask


def load(name, grouped):
    data = DATASETS[name]
    return load_dataset(FEATURES / f"bench-{name}-mood.parquet", labels=data.labels, label_column=data.label_column,
                        groups=data.group if grouped else None)


def pquad_votes(data):
    """4Q's soft labels: pquad for the clip's quadrant, the rest shared by the other three."""
    labels = pd.read_csv(DATASETS["4q"].labels)
    pquad = dict(zip(labels["path"], labels["pquad"]))
    share = np.array([pquad["/".join(str(p).split("/")[-2:])] for p in data.paths])
    own = data.y[:, None] == np.unique(data.y)[None, :]
    return np.where(own, share[:, None], ((1 - share) / 3)[:, None])


def scores_of(predictions, y, splits, repeats):
    """Macro-F1 of each repeat's out-of-fold predictions."""
    out = []
    for r in range(repeats):
        pred = np.empty(len(y), dtype=object)
        for (rep, _, test), p in zip(splits, predictions):
            if rep == r:
                pred[test] = p
        out.append(f1_score(y, pred.astype(str), average="macro"))
    return np.mean(out), np.std(out)


def cv(model, data, args, votes=None):
    r = repeated_cv(model, data.X, data.y, groups=data.groups, n_splits=10, n_repeats=args.repeats,
                    random_state=args.seed, n_jobs=args.jobs, progress=False, fit_params=votes)
    return r["mean"]["macro_f1"], r["std"]["macro_f1"]


def with_extra_training(name, data, extra, args):
    """`name` on `data`'s folds with every clip of `extra` added to each training fold."""
    both = combine([data, extra], ["4q", "emotify"])
    n = len(data.y)
    families = both.settings.column_families()
    splits = list(cv_splits(data.y, groups=data.groups, n_splits=10, n_repeats=args.repeats, random_state=args.seed))

    def fold(train, test):
        rows = np.concatenate([train, n + np.arange(len(extra.y))])
        votes = {k: v[rows] for k, v in fit_params(name, both.votes).items()}
        model = make_classifier(name, random_state=args.seed, families=families)
        return model.fit(both.X[rows], both.y[rows], **votes).predict(both.X[test])

    return scores_of(Parallel(n_jobs=args.jobs)(delayed(fold)(tr, te) for _, tr, te in splits), data.y, splits,
                     args.repeats)


def segment_values(name, data):
    """Each clip's window features (``SEGMENT`` s every ``SEGMENT_HOP`` s): rows, and the clip of each."""
    cache = FEATURES / f"segments-{name}.npz"
    if not cache.exists():
        files, _, _ = find_audio([DATASETS[name].audio])
        paths, rows = [], []
        for f, record in analyse_files(files, data.settings, n_jobs=-1, progress=True, windows=(SEGMENT, SEGMENT_HOP)):
            if "error" not in record:
                paths += [str(f)] * len(record["windows"]["values"])
                rows += record["windows"]["values"]
        np.savez(cache, paths=np.array(paths), X=np.array(rows), columns=np.array(data.settings.columns()))
    stored = np.load(cache)
    keep = [list(stored["columns"]).index(c) for c in data.feature_columns]
    root = str(DATASETS[name].audio) + "/"
    clip_of = {root + str(p): i for i, p in enumerate(data.paths)}
    clip = np.array([clip_of.get(p, -1) for p in stored["paths"]])
    return stored["X"][clip >= 0][:, keep], clip[clip >= 0]


def with_segments(name, data, segments, args, weight=0.5):
    """`name` on clips blended with `name` on their windows (decisions scaled alike, then averaged)."""
    SX, clip = segments
    families = data.settings.column_families()
    classes = np.unique(data.y)
    splits = list(cv_splits(data.y, groups=data.groups, n_splits=10, n_repeats=args.repeats, random_state=args.seed))

    def scaled(d):
        d = d - d.mean(axis=1, keepdims=True)
        return d / (d.std() + 1e-12)

    def fold(train, test):
        votes = fit_params(name, data.votes)
        model = make_classifier(name, random_state=args.seed, families=families)
        model.fit(data.X[train], data.y[train], **{k: v[train] for k, v in votes.items()})
        on_clips = scaled(model.decision_function(data.X[test]))
        rows = np.isin(clip, train)
        windows = make_classifier(name, random_state=args.seed, families=families)
        windows.fit(SX[rows], data.y[clip[rows]], **{k: v[clip[rows]] for k, v in votes.items()})
        rows = np.isin(clip, test)
        position = np.searchsorted(test, clip[rows])  # test indices are sorted
        summed = np.zeros((len(test), len(classes)))
        np.add.at(summed, position, windows.decision_function(SX[rows]))
        on_windows = scaled(summed / np.bincount(position, minlength=len(test))[:, None])
        return classes[((1 - weight) * on_clips + weight * on_windows).argmax(axis=1)]

    return scores_of(Parallel(n_jobs=args.jobs)(delayed(fold)(tr, te) for _, tr, te in splits), data.y, splits,
                     args.repeats)


def measure(name, data, args):
    """Macro-F1 (mean, std) of every way of learning, on `data`, keyed by its label."""
    families = data.settings.column_families()
    votes = fit_params("krr", data.votes)

    def krr(**options):
        return make_classifier("krr", random_state=args.seed, families=families, **options)

    rows = {"krr": cv(krr(), data, args, votes),
            "svm_lda": cv(make_classifier("svm_lda", random_state=args.seed, families=families), data, args)}
    if name == "4q":
        rows["krr, pquad votes"] = cv(krr(), data, args, fit_params("krr", pquad_votes(data)))
    for k in (200, 250):
        rows[f"krr, ReliefF {k}"] = cv(krr(select=k).set_params(select=ReliefF(k=k)), data, args, votes)
    quantiles = make_pipeline(QuantileTransformer(n_quantiles=200, output_distribution="normal"), StandardScaler())
    rows["krr, quantile scaling"] = cv(krr().set_params(scale=quantiles), data, args, votes)
    base = [(n, make_classifier(n, random_state=args.seed, families=families, probability=n != "krr"))
            for n in ("krr", "svm_lda", "logreg")]
    stack = StackingClassifier(base, final_estimator=LogisticRegression(class_weight="balanced", max_iter=2000),
                               cv=StratifiedKFold(5, shuffle=True, random_state=args.seed))
    rows["stacking krr + svm_lda + logreg"] = cv(stack, data, args)
    if name == "4q" and (FEATURES / "bench-emotify-mood.parquet").exists():
        rows["krr, + Emotify in training"] = with_extra_training("krr", data, load("emotify", False), args)
    if args.segments:
        segments = segment_values(name, data)
        for clf in ("krr", "svm_lda"):
            rows[f"{clf}, + 10-s segments"] = with_segments(clf, data, segments, args)
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=-1)
    p.add_argument("--segments", action="store_true", help="also learn from 10-s windows (featurizes them once)")
    args = p.parse_args()
    print(f"macro-F1, mean ± std over {args.repeats} repeats of 10-fold CV, seed {args.seed}")
    results = {}
    for name, grouped in [("4q", True), ("mirexlike", False), ("emotify", False)]:
        if not (FEATURES / f"bench-{name}-mood.parquet").exists():
            print(f"{name}: no table; run python -m bench.bench_classify --datasets {name} --feature-sets mood first")
            continue
        data = load(name, grouped)
        rows = measure(name, data, args)
        scheme = "grouped by artist" if grouped else "plain"
        print(f"\n{name} ({len(data.y)} clips, {scheme}):")
        for label, (mean, std) in rows.items():
            against = "svm_lda" if label.startswith("svm_lda") else "krr"
            change = "" if label in ("krr", "svm_lda") else f"  ({mean - rows[against][0]:+.3f} against {against})"
            print(f"  {label:34s} {mean:.3f} ± {std:.3f}{change}")
        results[f"{name} {scheme}"] = {k: {"mean": m, "std": s} for k, (m, s) in rows.items()}
    print(f"results: {save_results('bench_learning', results)}")


if __name__ == "__main__":
    main()
