"""Cross-validation at FMA-small scale: time of SVM and random forest on an 8,000-clip table.

Run from the repository's root (featurizes Emotify's mood table if it is missing):

    python -m bench.bench_scale                  # 10-fold x 1 repeat on 8,000 clips, then Emotify's scores
    python -m bench.bench_scale --repeats 10     # the full 10 x 10
    python -m bench.bench_scale --libsvm         # also the SVM on libsvm's own kernel, side by side

The 8,000 clips are Emotify's 400 rows drawn with replacement, each with Gaussian noise of 5 % of
the column's spread (so no two rows are equal), and half of the labels shuffled among those rows, so
that the classes overlap as much as in real mood data (an SVM on separable rows keeps few support
vectors and would time an easier problem). It prints the time of the repeated CV
of each classifier, and the forest's macro-F1 on Emotify itself (10 x 10); results go to
``cache/bench/bench_scale.json``.
"""

import argparse

import numpy as np
from sklearn.svm import SVC

from bench.common import DATASETS, FEATURES, save_results, timer
from classify.dataset import load_dataset
from classify.evaluate import repeated_cv
from classify.pipelines import make_classifier
from featurize.features import FeatureSettings
from featurize.run import featurize


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=8000)
    p.add_argument("--repeats", type=int, default=1, help="repeats of 10-fold CV on the large table (default: 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--libsvm", action="store_true",
                   help="also time the SVM computing its kernel in libsvm (SVC(kernel='rbf')), as before RbfSVC")
    args = p.parse_args()

    emotify = DATASETS["emotify"]
    table = FEATURES / "bench-emotify-mood.parquet"
    featurize([emotify.audio], output=table, settings=FeatureSettings(), progress=False)
    data = load_dataset(table, labels=emotify.labels)
    families = data.settings.column_families()
    rng = np.random.default_rng(args.seed)
    rows = rng.integers(0, len(data.y), args.clips)
    X = data.X[rows] + rng.normal(scale=0.05, size=(args.clips, data.X.shape[1])) * data.X.std(axis=0)
    y = data.y[rows].copy()
    half = rng.choice(args.clips, args.clips // 2, replace=False)
    y[half] = rng.permutation(y[half])
    print(f"{args.clips} clips x {X.shape[1]} columns (Emotify's rows with noise, half the labels shuffled), "
          f"10-fold x {args.repeats}, 2 jobs")
    results = {"clips": args.clips, "repeats": args.repeats, "seed": args.seed, "seconds": {}}
    models = {"svm": make_classifier("svm", random_state=args.seed, families=families)}
    if args.libsvm:  # the same SVM with libsvm computing its kernel, as before RbfSVC
        models["svm, libsvm's kernel"] = make_classifier("svm", random_state=args.seed, families=families).set_params(
            svm=SVC(kernel="rbf", C=1.0, gamma="scale", class_weight="balanced", random_state=args.seed))
    models["rf"] = make_classifier("rf", random_state=args.seed, families=families)
    svm_score = None
    for name, model in models.items():
        with timer() as elapsed:
            r = repeated_cv(model, X, y, n_splits=10, n_repeats=args.repeats, random_state=args.seed, n_jobs=2,
                            progress=False)
        results["seconds"][name] = round(elapsed(), 1)
        same = ""
        if name == "svm":
            svm_score = r["mean"]["macro_f1"]
        elif name.startswith("svm"):
            same = f"  (macro-F1 {'the same' if r['mean']['macro_f1'] == svm_score else 'DIFFERENT'})"
        print(f"  {name:22s} {elapsed():7.0f} s{same}", flush=True)
    r = repeated_cv(make_classifier("rf", random_state=args.seed, families=families), data.X, data.y, n_splits=10,
                    n_repeats=10, random_state=args.seed, n_jobs=2, progress=False)
    results["emotify_rf_macro_f1"] = {"mean": r["mean"]["macro_f1"], "std": r["std"]["macro_f1"]}
    print(f"macro-F1 of rf on Emotify's 400 clips, 10 x 10: {r['mean']['macro_f1']:.3f} ± {r['std']['macro_f1']:.3f}")
    print(f"results: {save_results('bench_scale', results)}")


if __name__ == "__main__":
    main()
