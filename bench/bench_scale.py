"""Cross-validation at FMA-small scale: time of SVM and random forest on an 8,000-clip table.

Run from the repository's root (needs bench/bench_classify.py's Emotify mood table, or makes it):

    python bench/bench_scale.py                  # 10-fold x 1 repeat on 8,000 clips, then Emotify's scores
    python bench/bench_scale.py --repeats 10     # the full 10 x 10

The 8,000 clips are Emotify's 400 rows drawn with replacement, each with Gaussian noise of 5 % of
the column's spread (so no two rows are equal), labels kept. For each classifier it prints, side by
side in one run, the time of the repeated CV with the current settings and with the lighter forest
(200 trees, each on half the clips), and both forests' macro-F1 on Emotify itself (10 x 10, seed 0).
"""

import argparse
import time

import numpy as np
from bench_classify import DATASETS, ROOT
from sklearn.ensemble import RandomForestClassifier

from classify.dataset import load_dataset
from classify.evaluate import cross_validate
from classify.pipelines import make_classifier
from featurize.features import FeatureSettings
from featurize.run import featurize


def former_forest(families, seed):
    """The random-forest Pipeline as it was: 500 trees, each grown on all the training clips."""
    model = make_classifier("rf", seed=seed, families=families)
    model.set_params(rf=RandomForestClassifier(n_estimators=500, max_features="sqrt", class_weight="balanced",
                                               random_state=seed, n_jobs=1))
    return model


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=8000)
    p.add_argument("--repeats", type=int, default=1, help="repeats of 10-fold CV on the large table (default: 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skip-former", action="store_true", help="time only the current settings")
    args = p.parse_args()

    audio, labels, _, _ = DATASETS["emotify"]
    table = ROOT / "cache" / "features" / "bench-emotify-mood.parquet"
    featurize([audio], output=table, settings=FeatureSettings(), progress=False)
    data = load_dataset(table, labels=labels)
    families = data.settings.column_families()
    rng = np.random.default_rng(args.seed)
    rows = rng.integers(0, len(data.y), args.clips)
    X = data.X[rows] + rng.normal(scale=0.05, size=(args.clips, data.X.shape[1])) * data.X.std(axis=0)
    y = data.y[rows]
    print(f"{args.clips} clips x {X.shape[1]} columns (Emotify's rows with noise), 10-fold x {args.repeats}, 2 jobs")
    models = {"svm": make_classifier("svm", seed=args.seed, families=families),
              "rf, 200 trees on half the clips (now)": make_classifier("rf", seed=args.seed, families=families),
              "rf, 500 trees on all (before)": former_forest(families, args.seed)}
    if args.skip_former:
        del models["rf, 500 trees on all (before)"]
    for name, model in models.items():
        start = time.monotonic()
        cross_validate(model, X, y, folds=10, repeats=args.repeats, seed=args.seed, n_jobs=2, progress=False)
        print(f"  {name:38s} {time.monotonic() - start:7.0f} s", flush=True)
    print("macro-F1 on Emotify's 400 clips, 10 x 10:")
    for name in [n for n in models if n.startswith("rf")]:
        r = cross_validate(models[name], data.X, data.y, folds=10, repeats=10, seed=args.seed, n_jobs=2, progress=False)
        print(f"  {name:38s} {r['mean']['macro_f1']:.3f} ± {r['std']['macro_f1']:.3f}", flush=True)


if __name__ == "__main__":
    main()
