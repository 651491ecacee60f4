"""Rebuild the model that ships with the project, ``classify/shipped/default.skops``.

Run from the repository's root (needs the audio of the 4Q development half under data/4q,
datasets/4q.md, and ../shared/data/emotify; MIREX-like's under data/mirexlike for the
leave-one-source-out test, datasets/mirexlike.md):

    python classify/shipped/train_default.py

The recipe is :data:`classify.recipes.SHIPPED` (see the README's model card). Before fitting
it measures, prints and stores with the model: 10 x 10 artist-grouped cross-validation on the
4Q half (seed 0; macro-F1, recall per quadrant, Brier score and expected calibration error
of the out-of-fold probabilities) and each source left out. It draws the reliability diagram
of the out-of-fold probabilities into classify/shipped/reliability.png.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from classify.calibration import plot_reliability
from classify.evaluate import format_report
from classify.model import DEFAULT_MODEL
from classify.recipes import (
    SHIPPED,
    SOURCES,
    fit_model,
    format_scores,
    grouped_cv,
    leave_one_source_out,
    load_sources,
    summary,
    training_set,
)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", type=Path, default=DEFAULT_MODEL)
    p.add_argument("--diagram", type=Path, default=Path(__file__).parent / "reliability.png")
    args = p.parse_args()

    recipe = SHIPPED
    sources = load_sources(recipe.sources)
    for name in SOURCES:
        if name not in sources:
            try:
                sources.update(load_sources([name]))
            except FileNotFoundError as err:
                print(f"{name} is left out of the leave-one-source-out test: {err}")
    for name, data in sources.items():
        print(f"{name}: {len(data.y)} clips, " + ", ".join(f"{c} {n}" for c, n in zip(*np.unique(data.y, return_counts=True))))
    print(f"recipe: {recipe.describe()}")

    cv = grouped_cv(recipe, sources, n_repeats=args.repeats, random_state=args.seed)
    print(f"\n4Q half, artist-grouped 10-fold x {args.repeats}, seed {args.seed}, other sources in every training fold:")
    print(format_report(recipe.classifier.upper(), cv))
    print(f"  out of fold: {format_scores(cv)}")
    y, proba = cv["y"], cv["proba"]
    plot_reliability(np.tile(y, len(proba)), proba.reshape(-1, proba.shape[-1]), cv["classes"], args.diagram,
                     title=f"Shipped model, out of fold: 4Q half, artist-grouped 10 x {args.repeats}\n"
                     f"ECE {cv['mean']['ece']:.3f}, Brier {cv['mean']['brier']:.3f} (mean over repeats)")
    print(f"reliability diagram: {args.diagram}")

    loso = leave_one_source_out(recipe, sources, random_state=args.seed)
    print("\neach source left out (trained on the others):")
    for name, result in loso.items():
        print(f"  {name} (trained on {' + '.join(result['trained_on'])}): {format_scores(result)}")

    data = training_set(recipe, sources)
    start = time.monotonic()
    model = fit_model(recipe, data, random_state=args.seed,
                      cv_scores={"folds": 10, "repeats": args.repeats, "seed": args.seed, "groups": "artist (4Q half)",
                                 **summary(cv)})
    model.info.update(recipe=recipe.describe(), labels=" + ".join(recipe.sources),
                      leave_one_source_out={k: {**summary(v), "trained_on": v["trained_on"]} for k, v in loso.items()})
    model.save(args.output)
    print(f"\nmodel: {args.output} ({len(data.y)} clips, classes {', '.join(model.classes)}, "
          f"{args.output.stat().st_size / 1e6:.1f} MB, fitted in {time.monotonic() - start:.0f} s)")


if __name__ == "__main__":
    main()
