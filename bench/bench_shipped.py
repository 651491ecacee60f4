"""The shipped model's figures, side by side for the recipe shipped before and the one shipped now.

Run from the repository's root (needs the 4Q development half under data/4q, datasets/4q.md;
../shared/data/emotify; MIREX-like's audio under data/mirexlike, datasets/mirexlike.md):

    python -m bench.bench_shipped                      # 10 x 10, long tracks, size and load time
    python -m bench.bench_shipped --repeats 2 --no-long-tracks

For each recipe of classify/recipes.py (``before``: Emotify + MIREX-like by word norms, the
ensemble; ``shipped``: see the README's model card) it prints:

- the 4Q half: artist-grouped 10-fold x REPEATS for a recipe that learns from it (its other
  sources in every training fold, less the test fold's artists), or the recipe trained on its
  own sources for one that does not (it never saw those clips);
- each source left out: trained on the recipe's other sources, tested on that one;
- macro-F1, recall per quadrant, Brier score and expected calibration error (top label, 10
  bins) of the probabilities;
- long tracks: clips of one quadrant of the 4Q half joined into tracks of at least six (3-4
  minutes; 7-8 clips with 5 folds of 450 clips), judged as
  ``classify predict`` judges a long file, against the same clips judged alone (artist-grouped
  5-fold);
- the fitted model's file size and the time ``MoodModel.load`` takes (median of 3).

Results also go to cache/bench/shipped.json.
"""

import argparse
import time

import numpy as np

from bench.common import RESULTS, save_results
from classify.model import MoodModel
from classify.recipes import (
    BEFORE,
    SHIPPED,
    SOURCES,
    fit_model,
    format_scores,
    grouped_cv,
    leave_one_source_out,
    load_sources,
    long_tracks,
    summary,
    training_set,
)
from moodclass.infra import library_versions


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-long-tracks", action="store_true", help="skip the long-track test (the slowest part)")
    args = p.parse_args()

    sources = load_sources(SOURCES)
    print("sources: " + ", ".join(f"{n} {len(d.y)} clips" for n, d in sources.items()))
    results = {"seed": args.seed, "repeats": args.repeats, "versions": library_versions(), "recipes": {}}
    for recipe in (BEFORE, SHIPPED):
        out = results["recipes"][recipe.name] = {"recipe": recipe.describe()}
        print(f"\n{recipe.name}: {recipe.describe()}")
        loso = leave_one_source_out(recipe, sources, random_state=args.seed)
        if "4q" in recipe.sources:
            cv = grouped_cv(recipe, sources, n_repeats=args.repeats, random_state=args.seed)
            print(f"  4Q half, artist-grouped 10 x {args.repeats}:  {format_scores(cv)}")
            out["4q_grouped_cv"] = summary(cv)
        for name, result in loso.items():
            print(f"  {name + ' left out':18s} (trained on {' + '.join(result['trained_on'])}):  {format_scores(result)}")
        out["leave_one_source_out"] = {k: {**summary(v), "trained_on": v["trained_on"]} for k, v in loso.items()}
        if not args.no_long_tracks:
            tracks = long_tracks(recipe, sources, random_state=args.seed)
            print(f"  4Q clips alone (grouped 5-fold):  {format_scores(tracks['clips'])}")
            print(f"  joined into {tracks['track_seconds']:.0f}-s tracks, {tracks['windows']:.0f} windows each: "
                  f"{format_scores(tracks['tracks'])}")
            out["long_tracks"] = {k: summary(tracks[k]) for k in ("clips", "tracks")}
            out["long_tracks"].update(track_seconds=tracks["track_seconds"], windows=tracks["windows"])
        data = training_set(recipe, sources)
        model = fit_model(recipe, data, random_state=args.seed)
        path = RESULTS / f"shipped-{recipe.name}.skops"
        model.save(path)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            MoodModel.load(path)
            times.append(time.perf_counter() - start)
        out.update(file_mb=path.stat().st_size / 1e6, load_seconds=float(np.median(times)))
        print(f"  model file {out['file_mb']:.1f} MB, loads in {out['load_seconds']:.2f} s")
    print(f"\nresults: {save_results('shipped', results)}")


if __name__ == "__main__":
    main()
