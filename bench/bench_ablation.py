"""What each feature family of the `mood` preset adds, and what it costs per clip.

Run from the repository's root after `bench/bench_classify.py` (it reuses that script's
`cache/features/bench-*-mood.parquet` tables, or makes them):

    python -m bench.bench_ablation
    python -m bench.bench_ablation --repeats 10
    python -m bench.bench_ablation --classifier svm_lda

For each family beyond the classic six it prints macro-F1 (mean over repeats of 10-fold CV,
seed 0; the RBF SVM, or ``--classifier``) of the classic six plus that family (families
weighed equally, as the classic six are), and of the whole mood preset less that family (the
mood view: columns equal, chroma, tempogram and, but for svm_lda's discriminant,
chroma_patterns left out), on Emotify (plain folds) and MIREX-like (plain and artist-grouped
folds); then the milliseconds per clip the family adds to the classic six's extraction
(median over clips, one process, after a warm-up pass that builds every clip's CQT filter
bank).
"""

import argparse
import time

import numpy as np

from bench.common import DATASETS, EMOTIFY_AUDIO, FEATURES, audio_folder, save_results
from classify.dataset import load_dataset
from classify.evaluate import repeated_cv
from classify.pipelines import CLASSIFIERS, make_classifier
from featurize.audio import find_audio, load_audio
from featurize.features import CLASSIC_FAMILIES, MOOD_FAMILIES, FeatureSettings, extract_features
from featurize.run import featurize


def macro_f1(data, keep, groups, args, view):
    """Mean macro-F1 of the classifier on the columns of the families in `keep`, weighed as `view` says."""
    families = np.array(data.settings.column_families())
    mask = np.isin(families, list(keep))
    model = make_classifier(args.classifier, random_state=args.seed, families=families[mask].tolist(), view=view)
    r = repeated_cv(model, data.X[:, mask], data.y, groups=groups, n_splits=data.n_folds(10), n_repeats=args.repeats,
                       random_state=args.seed, progress=False)
    return r["mean"]["macro_f1"]


def ms_per_clip(files, families):
    """Median ms of decoding and extracting `families` from each file."""
    settings = FeatureSettings(families=families)
    times = []
    for f in files:
        t = time.perf_counter()
        extract_features(load_audio(f, settings.sr), settings)
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3, help="repeats of 10-fold CV (default: 3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--classifier", choices=CLASSIFIERS, default="svm", help="default: svm (RBF)")
    p.add_argument("--timing-clips", type=int, default=20, help="Emotify clips timed per family (default: 20)")
    args = p.parse_args()

    sets = []
    for name in ("emotify", "mirexlike"):
        audio = audio_folder(name)
        if audio is None:
            continue
        labels, column, group = DATASETS[name].labels, DATASETS[name].label_column, DATASETS[name].group
        table = FEATURES / f"bench-{name}-mood.parquet"
        featurize([audio], output=table, settings=FeatureSettings(families=MOOD_FAMILIES), progress=False)
        data = load_dataset(table, labels=labels, label_column=column, groups=group)
        protocols = [("plain", None)] + ([("by artist", data.groups)] if name == "mirexlike" else [])
        sets += [(f"{name} {label}", data, groups) for label, groups in protocols]

    files, _, _ = find_audio([EMOTIFY_AUDIO])
    files = files[:: max(1, len(files) // args.timing_clips)][: args.timing_clips]
    ms_per_clip(files, MOOD_FAMILIES)  # warm-up: numba, and the CQT filter bank of every clip's tuning
    classic_ms = ms_per_clip(files, CLASSIC_FAMILIES)
    extra = [f for f in MOOD_FAMILIES if f not in CLASSIC_FAMILIES]

    print(f"macro-F1 of {args.classifier}, mean of {args.repeats} x 10-fold CV, seed {args.seed}; ms per Emotify clip, "
          f"one process, median of {len(files)} clips (decoding included)")
    print(f"{'':22s}" + "".join(f"{s:>24s}" for s, _, _ in sets) + f"{'ms/clip':>10s}")
    rows = [("classic six", CLASSIC_FAMILIES, "families", classic_ms),
            ("mood, families equal", MOOD_FAMILIES, "families", None),
            ("mood preset", MOOD_FAMILIES, "mood", ms_per_clip(files, MOOD_FAMILIES))]
    results = {"classifier": args.classifier, "repeats": args.repeats, "seed": args.seed, "sets": [s for s, _, _ in sets],
               "rows": {}, "families": {}}
    for label, keep, view, ms in rows:
        scores = [macro_f1(d, keep, g, args, view) for _, d, g in sets]
        results["rows"][label] = {"macro_f1": scores, "ms_per_clip": ms}
        print(f"{label:22s}" + "".join(f"{f:24.3f}" for f in scores) + (f"{ms:10.1f}" if ms else ""))
    print(f"{'family':22s}" + "".join(f"{'+ to classic / - from mood':>24s}" for _ in sets) + f"{'+ms':>10s}")
    for fam in extra:
        added = CLASSIC_FAMILIES + (fam,)
        removed = tuple(f for f in MOOD_FAMILIES if f != fam)
        pairs = [(macro_f1(d, added, g, args, "families"), macro_f1(d, removed, g, args, "mood")) for _, d, g in sets]
        extra_ms = ms_per_clip(files, added) - classic_ms
        results["families"][fam] = {"added_to_classic": [a for a, _ in pairs], "taken_from_mood": [r for _, r in pairs],
                                    "extra_ms": extra_ms}
        print(f"{fam:22s}" + "".join(f"{a:15.3f} / {r:.3f}" for a, r in pairs) + f"{extra_ms:10.1f}", flush=True)
    print(f"results: {save_results('bench_ablation', results)}")


if __name__ == "__main__":
    main()
