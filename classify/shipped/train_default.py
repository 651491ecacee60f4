"""Rebuild the model that ships with the project, ``classify/shipped/default.skops``.

Run from the repository's root (needs ../shared/data/emotify and the MIREX-like audio under
data/mirexlike/, see datasets/mirexlike.md):

    python classify/shipped/train_default.py

Trains on every quadrant-labelled clip we can honestly label: Emotify's 400 clips (listeners'
votes) and the 593 MIREX-like clips whose AllMusic mood the word norms place in a quadrant
(datasets/mirexlike_quadrants.csv), with the default (`mood`) features. A classifier that
learns from votes (krr) gets Emotify's (its GEMS columns times its listeners) and each MIREX-like
label as all the votes. Before fitting it measures, and stores with the model: the cross-data-set score
(trained on one set, tested on the other) and 10 x 10 repeated stratified CV on the combined set
(seed 0).
"""

import argparse
from pathlib import Path

import pandas as pd
from sklearn.metrics import f1_score

from classify.dataset import combine, load_dataset
from classify.evaluate import cross_validate, format_report
from classify.model import DEFAULT_MODEL, MoodModel
from classify.pipelines import CLASSIFIERS, fit_params, make_classifier
from featurize.features import FeatureSettings
from featurize.run import featurize
from moodclass.infra import DEFAULT_CACHE, atomic_write

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
QUADRANTS = ("Q1", "Q2", "Q3", "Q4")


def mirexlike_quadrant_labels(labels_csv, out):
    """Write ``path,quadrant,artist`` for the MIREX-like clips whose mood has a quadrant."""
    clips = pd.read_csv(labels_csv)
    mapping = pd.read_csv(ROOT / "datasets" / "mirexlike_quadrants.csv").dropna(subset=["quadrant"])
    labelled = clips.merge(mapping[["category", "quadrant"]], on="category")[["path", "quadrant", "artist"]]
    atomic_write(out, lambda tmp: labelled.to_csv(tmp, index=False))
    return out


def cross_dataset(name, train, test, seed):
    """Macro-F1 on `test` of the classifier fitted on every clip of `train`."""
    model = make_classifier(name, seed=seed, families=train.settings.column_families())
    model.fit(train.X, train.y, **fit_params(name, train.votes))
    return float(f1_score(test.y, model.predict(test.X), labels=list(QUADRANTS), average="macro"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--emotify", type=Path, default=SHARED / "emotify", help="Emotify folder (audio/, labels.csv)")
    p.add_argument("--mirexlike-audio", type=Path, default=ROOT / "data" / "mirexlike" / "dataset" / "Audio")
    p.add_argument("--mirexlike-labels", type=Path, default=SHARED / "mirexlike" / "labels.csv")
    p.add_argument("--classifier", choices=CLASSIFIERS, default="ensemble")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", type=Path, default=DEFAULT_MODEL)
    args = p.parse_args()

    settings = FeatureSettings()
    tables = DEFAULT_CACHE / "features"
    featurize([args.emotify / "audio"], output=tables / "emotify-audio.parquet", settings=settings)
    featurize([args.mirexlike_audio], output=tables / "mirexlike.parquet", settings=settings)
    emotify = load_dataset(tables / "emotify-audio.parquet", labels=args.emotify / "labels.csv")
    quadrant_csv = mirexlike_quadrant_labels(args.mirexlike_labels, DEFAULT_CACHE / "labels" / "mirexlike-quadrants.csv")
    mirexlike = load_dataset(tables / "mirexlike.parquet", labels=quadrant_csv)
    for d in (emotify, mirexlike):
        print("\n".join(d.messages))

    cross = {"emotify->mirexlike": cross_dataset(args.classifier, emotify, mirexlike, args.seed),
             "mirexlike->emotify": cross_dataset(args.classifier, mirexlike, emotify, args.seed)}
    print("cross-data-set macro-F1: " + ", ".join(f"{k} {v:.3f}" for k, v in cross.items()))

    data = combine([emotify, mirexlike], ["emotify", "mirexlike"])
    families = data.settings.column_families()
    result = cross_validate(make_classifier(args.classifier, seed=args.seed, families=families), data.X, data.y,
                            folds=10, repeats=args.repeats, seed=args.seed, fit_params=fit_params(args.classifier, data.votes))
    print(format_report(args.classifier.upper(), result))
    cv = {"folds": 10, "repeats": args.repeats, "seed": args.seed, "groups": None,
          "mean": result["mean"], "std": result["std"]}

    estimator = make_classifier(args.classifier, seed=args.seed, families=families, probability=True)
    model = MoodModel.fit(estimator, data, args.classifier, args.seed, cv, fit_params=fit_params(args.classifier, data.votes))
    model.info["labels"] = f"{args.emotify / 'labels.csv'} (quadrant) + {quadrant_csv} (word norms)"
    model.info["cross_dataset_macro_f1"] = cross
    model.save(args.output)
    print(f"model: {args.output} ({len(data.y)} clips, classes {', '.join(model.classes)})")


if __name__ == "__main__":
    main()
