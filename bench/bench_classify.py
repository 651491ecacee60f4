"""Mood classification accuracy: the `mood` preset against the six classic families, side by side.

Run from the repository's root (featurizes the clips first, or reuses the tables under
cache/features/bench-*):

    python -m bench.bench_classify                                  # Emotify and MIREX-like, both feature sets
    python -m bench.bench_classify --datasets emotify --classifiers svm,rf --repeats 3

For each data set, feature set and protocol it prints macro-F1, mean ± std over repeats of
10-fold cross-validation (seed 0), of every classifier asked for, the best one marked, and
the time each evaluation took. ``krr`` learns from Emotify's votes (its GEMS columns times
its listeners, ``--votes auto``); the others from the labels. Protocols: plain stratified
folds, and folds grouped so that no group spans training and test: artists on MIREX-like,
genres on Emotify (four genres: leave one genre out). MIREX-like's audio is expected under data/mirexlike/ (see
datasets/mirexlike.md); the data set is skipped with a note when it is missing.
"""

import argparse
import time

from bench.common import DATASETS, FEATURES, audio_folder, save_results
from classify.dataset import load_dataset
from classify.evaluate import repeated_cv
from classify.pipelines import CLASSIFIERS, fit_params, make_classifier
from featurize.features import PRESETS, FeatureSettings
from featurize.run import featurize


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", default="emotify,mirexlike", help="comma-separated: emotify, mirexlike")
    p.add_argument("--feature-sets", default="classic,mood", help="comma-separated presets (default: classic,mood)")
    p.add_argument("--classifiers", default="svm,svm_l1,svm_lda,krr,logreg,ensemble",
                   help=f"comma-separated, from {', '.join(CLASSIFIERS)} (default: svm,svm_l1,svm_lda,krr,logreg,ensemble)")
    p.add_argument("--folds", type=int, default=10)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=-1, help="parallel fits and feature extraction (default: all cores)")
    args = p.parse_args()
    classifiers = args.classifiers.split(",")

    print(f"macro-F1, mean ± std over {args.repeats} repeats of {args.folds}-fold CV, seed {args.seed}; "
          "scaling, weighting and fitting inside the folds")
    results = {"folds": args.folds, "repeats": args.repeats, "seed": args.seed, "macro_f1": {}}
    for name in args.datasets.split(","):
        audio = audio_folder(name)
        if audio is None:
            continue
        labels, column, group = DATASETS[name].labels, DATASETS[name].label_column, DATASETS[name].group
        for preset in args.feature_sets.split(","):
            settings = FeatureSettings(families=PRESETS[preset])
            table = FEATURES / f"bench-{name}-{preset}.parquet"
            s = featurize([audio], output=table, settings=settings, n_jobs=args.jobs,
                          progress=False)
            print(f"\n{name}, {preset} ({len(settings.columns())} columns; {s.rows} clips, {s.computed} computed "
                  f"in {s.seconds:.0f} s)")
            for groups in (None, group):
                data = load_dataset(table, labels=labels, label_column=column, groups=groups)
                folds = data.n_folds(args.folds)
                repeats = 1 if folds < args.folds else args.repeats  # one group per fold: the same split each repeat
                scheme = f"grouped by {group} ({folds} folds)" if groups else "stratified"
                scores = {}
                for clf in classifiers:
                    start = time.monotonic()
                    model = make_classifier(clf, random_state=args.seed, families=settings.column_families())
                    r = repeated_cv(model, data.X, data.y, groups=data.groups, n_splits=folds, n_repeats=repeats,
                                       random_state=args.seed, n_jobs=args.jobs, progress=False,
                                       fit_params=fit_params(clf, data.votes))
                    scores[clf] = (r["mean"]["macro_f1"], r["std"]["macro_f1"], time.monotonic() - start)
                best = max(scores, key=lambda c: scores[c][0])
                cells = "  ".join(f"{c} {m:.3f} ± {sd:.3f} ({t:.0f} s){' *' if c == best else ''}"
                                  for c, (m, sd, t) in scores.items())
                print(f"  {scheme:28s} {cells}")
                results["macro_f1"][f"{name} {preset} {scheme}"] = {
                    c: {"mean": m, "std": sd, "seconds": round(t, 1)} for c, (m, sd, t) in scores.items()}
    print("\n* the best classifier of the row")
    print(f"results: {save_results('bench_classify', results)}")


if __name__ == "__main__":
    main()
