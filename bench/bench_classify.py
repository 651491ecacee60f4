"""Mood classification on Emotify: macro-F1 of SVM and random forest under honest cross-validation.

Run from the repository's root (featurizes the clips first, or reuses the table):

    python bench/bench_classify.py
    python bench/bench_classify.py --features default,mfcc,key --tune

Prints, for each classifier, macro-F1 mean ± std over 10 x 10 repeated stratified k-fold,
the same with genre-grouped folds (leave-one-genre-out: Emotify has four genres), and the
time each evaluation took.
"""

import argparse
import time
from pathlib import Path

from classify.dataset import load_dataset
from classify.evaluate import cross_validate
from classify.models import CLASSIFIERS, make_classifier
from featurize.__main__ import parse_list
from featurize.features import DEFAULT_FAMILIES, DEFAULT_STATS, FAMILIES, STATS, FeatureSettings
from featurize.run import featurize

EMOTIFY = Path(__file__).resolve().parents[2] / "shared" / "data" / "emotify"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--emotify", type=Path, default=EMOTIFY, help="Emotify folder (default: ../shared/data/emotify)")
    p.add_argument("--features", default="default", help="feature families, as for featurize")
    p.add_argument("--stats", default="default", help="statistics, as for featurize")
    p.add_argument("--folds", type=int, default=10)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tune", action="store_true", help="nested grid search")
    args = p.parse_args()

    settings = FeatureSettings(families=parse_list(args.features, FAMILIES, DEFAULT_FAMILIES, "families"),
                               stats=parse_list(args.stats, STATS, DEFAULT_STATS, "statistics"))
    name = "emotify-" + "-".join(settings.families) + "--" + "-".join(settings.stats)
    table = Path("cache") / "features" / f"{name}.parquet"
    s = featurize([args.emotify / "audio"], output=table, settings=settings, progress=False)
    print(f"features: {table} ({s.rows} clips, {len(settings.columns())} columns; "
          f"{s.computed} computed in {s.seconds:.1f} s)")
    print(f"protocol: seed {args.seed}{', nested grid search' if args.tune else ''}; scaling inside the folds")
    for groups in (None, "genre"):
        data = load_dataset(table, labels=args.emotify / "labels.csv", groups=groups)
        folds = data.n_folds(args.folds)
        scheme = f"leave-one-genre-out ({folds} folds)" if groups else f"stratified {folds}-fold"
        for clf in CLASSIFIERS:
            start = time.monotonic()
            model = make_classifier(clf, seed=args.seed, families=settings.column_families(), tune=args.tune)
            r = cross_validate(model, data.X, data.y, data.groups, folds=folds, repeats=args.repeats,
                               seed=args.seed, progress=False)
            print(f"  {clf.upper():3s} {scheme:32s} x {args.repeats} repeats: macro-F1 "
                  f"{r['mean']['macro_f1']:.3f} ± {r['std']['macro_f1']:.3f}  "
                  f"(accuracy {r['mean']['accuracy']:.3f})  {time.monotonic() - start:5.1f} s")


if __name__ == "__main__":
    main()
