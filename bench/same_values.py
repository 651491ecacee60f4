"""Whether today's code computes the same feature values as a table made before a change, bit for bit.

Run from the repository's root, with a table made by an earlier commit::

    git worktree add /tmp/before REV && cd /tmp/before
    python -m featurize "$OLDPWD/../shared/data/emotify/audio" -o "$OLDPWD/cache/ref/mood.parquet"; cd -
    python -m bench.same_values cache/ref/mood.parquet cache/ref/classic.parquet

Each table's clips are featurized again with its own settings (from its metadata) into a
temporary table, and every value is compared with the stored one: equal bits, NaN where NaN.
With ``--reports BEFORE AFTER`` it compares instead two folders of ``classify --cv`` reports
(``*/report.json``), made by the same command before and after a change: every repeat's
scores and every confusion matrix, classifier by classifier. Prints one line per table (or
report) and writes ``cache/bench/same_values.json``.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench.common import save_results, timer
from featurize.features import FeatureSettings
from featurize.run import featurize
from featurize.table import read_table


def compare(reference: Path) -> dict:
    """Featurize `reference`'s clips again with its settings; how many values differ, and where."""
    before, metadata = read_table(reference)
    settings = FeatureSettings.from_dict(metadata["settings"])
    folder = Path(metadata["root"])
    with tempfile.TemporaryDirectory() as tmp, timer() as elapsed:
        featurize([folder], Path(tmp) / "now.parquet", settings=settings, n_jobs=2, progress=False)
        after, _ = read_table(Path(tmp) / "now.parquet")
    before, after = before.set_index("path").sort_index(), after.set_index("path").sort_index()
    columns = settings.columns()
    result = {"reference": str(reference), "clips": len(before), "columns": len(columns),
              "same_clips": before.index.equals(after.index), "seconds": round(elapsed(), 1)}
    if result["same_clips"]:
        a, b = before[columns].to_numpy(np.float64), after[columns].to_numpy(np.float64)
        differ = ~((a.view(np.int64) == b.view(np.int64)) | (np.isnan(a) & np.isnan(b)))
        result["values_differing"] = int(differ.sum())
        result["columns_differing"] = [c for c, d in zip(columns, differ.any(axis=0)) if d][:20]
        result["largest_relative_difference"] = float(np.nanmax(np.abs(a - b) / (np.abs(a) + 1e-300), initial=0.0))
    return result


def compare_reports(before: Path, after: Path) -> list[dict]:
    """For each ``*/report.json`` under `before` and its namesake under `after`: whether each
    classifier's (or regressor's) scores of every repeat and its confusion matrix are equal."""
    out = []
    for path in sorted(before.glob("*/report.json")):
        a, b = json.loads(path.read_text()), json.loads((after / path.relative_to(before)).read_text())
        kind = "classifiers" if "classifiers" in a else "regressors"
        for name, r in a[kind].items():
            other = b[kind].get(name, {})
            out.append({"report": path.parent.name, "estimator": name, "folds": a["folds"], "repeats": a["repeats"],
                        "seed": a["seed"], "mean": r["mean"], "identical": r["per_repeat"] == other.get("per_repeat")
                        and r.get("confusion") == other.get("confusion")})
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("tables", nargs="*", type=Path, help="feature tables made before the change")
    p.add_argument("--reports", nargs=2, type=Path, metavar=("BEFORE", "AFTER"),
                   help="compare two folders of cross-validation reports instead")
    args = p.parse_args()
    if args.reports:
        results = compare_reports(*args.reports)
        for r in results:
            score = r["mean"].get("macro_f1", next(iter(r["mean"].values())))
            print(f"{r['report']} ({r['folds']} folds x {r['repeats']}, seed {r['seed']}) {r['estimator']}: "
                  f"{score:.4f}, {'every repeat and confusion identical' if r['identical'] else 'DIFFERENT'}")
        print(f"results: {save_results('same_reports', {'reports': results})}")
        sys.exit(0 if results and all(r["identical"] for r in results) else 1)
    results = [compare(t) for t in args.tables]
    for r in results:
        if not r["same_clips"]:
            print(f"{r['reference']}: the clips differ")
        elif r["values_differing"]:
            print(f"{r['reference']}: {r['values_differing']} of {r['clips'] * r['columns']} values differ "
                  f"(largest relative difference {r['largest_relative_difference']:.2e}) in "
                  f"{', '.join(r['columns_differing'])}")
        else:
            print(f"{r['reference']}: {r['clips']} clips x {r['columns']} columns, every value bit-identical")
    print(f"results: {save_results('same_values', {'tables': results})}")
    sys.exit(0 if all(r["same_clips"] and not r["values_differing"] for r in results) else 1)


if __name__ == "__main__":
    main()
