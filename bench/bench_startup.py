"""How long a user waits for one song: ``python -m classify predict ONE_FILE``, start to end.

Run from the repository's root:

    python -m bench.bench_startup                       # this checkout, 5 runs
    python -m bench.bench_startup --against HEAD~3      # side by side with an earlier commit

Prints the median wall time (and the fastest) of ``python -m classify predict FILE -q`` with the
shipped model over ``--runs`` runs, on one 30-s clip of the 4Q development half (or Emotify
where it is missing); with ``--against REV``, the same command from a checkout of REV (a
temporary git worktree), runs interleaved so that both see the same machine, and the ratio.
Then where this checkout's time goes, measured in one process: imports, loading the model,
decoding, extracting; and the ten modules that take longest to import on their own
(``python -X importtime``, self time).
"""

import argparse
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from bench.common import DATASETS, EMOTIFY_AUDIO, ROOT, checkout_of, save_results, timer

BREAKDOWN = """
import time, sys
t0 = time.perf_counter()
import classify.__main__
from classify.model import DEFAULT_MODEL, MoodModel
t1 = time.perf_counter()
model = MoodModel.load(DEFAULT_MODEL)
t2 = time.perf_counter()
from featurize.audio import load_audio
from featurize.features import extract_features
y = load_audio(sys.argv[1], model.settings.sr)
t3 = time.perf_counter()
extract_features(y, model.settings)
t4 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, t4 - t3)
"""


def one_clip() -> Path:
    """A 30-s clip: the first of the 4Q half, else of Emotify."""
    for folder in (DATASETS["4q"].audio, EMOTIFY_AUDIO):
        files = sorted(folder.rglob("*.mp3")) if folder.is_dir() else []
        if files:
            return files[0]
    sys.exit("no audio: see datasets/4q.md or datasets/emotify.md")


def predict_seconds(checkout: Path, clip: Path) -> float:
    """Wall seconds of one ``python -m classify predict CLIP -q`` run from `checkout`."""
    with timer() as elapsed:
        # -m puts the working folder first on sys.path: the checkout's own packages are the ones run.
        subprocess.run([sys.executable, "-m", "classify", "predict", str(clip), "-q"], cwd=checkout, check=True,
                       stdout=subprocess.DEVNULL)
    return elapsed()


def import_profile(clip: Path, top: int = 10) -> list[tuple[float, str]]:
    """The `top` modules with the longest own import time (s) in one predict run."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "classify", "predict", str(clip), "-q"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    rows = []
    for line in run.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            own, _, name = line[len("import time:"):].split("|")
            rows.append((int(own) / 1e6, name.strip()))
    return sorted(rows, reverse=True)[:top]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--against", metavar="REV", help="also time this git revision's predict, interleaved")
    args = p.parse_args()
    clip = one_clip()
    print(f"python -m classify predict {clip.name} -q (shipped model), {args.runs} runs each")
    with checkout_of(args.against) if args.against else nullcontext() as old:
        checkouts = {args.against: old, "this checkout": ROOT} if args.against else {"this checkout": ROOT}
        for checkout in checkouts.values():  # warm-up: the file, the libraries, each checkout's
            predict_seconds(checkout, clip)  # bytecode and numba cache on disk
        times = {name: [] for name in checkouts}
        for _ in range(args.runs):
            for name, checkout in checkouts.items():
                times[name].append(predict_seconds(checkout, clip))
    results = {"clip": str(clip), "runs": args.runs, "wall_s": {}}
    for name, ts in times.items():
        results["wall_s"][name] = {"median": float(np.median(ts)), "min": float(np.min(ts))}
        print(f"  {name:16s} median {np.median(ts):.2f} s  (fastest {np.min(ts):.2f} s)")
    if args.against:
        ratio = np.median(times[args.against]) / np.median(times["this checkout"])
        results["speedup"] = float(ratio)
        print(f"  {args.against} / this checkout: {ratio:.2f}x")

    out = subprocess.run([sys.executable, "-c", BREAKDOWN, str(clip)], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    parts = dict(zip(("imports", "model load", "decode", "extract"), map(float, out)))
    results["breakdown_s"] = parts
    print("\nthis checkout, in one process: " + ", ".join(f"{k} {v:.2f} s" for k, v in parts.items()))
    profile = import_profile(clip)
    results["slowest_imports_s"] = {name: own for own, name in profile}
    print("slowest imports (own time, python -X importtime):")
    for own, name in profile:
        print(f"  {own:6.3f} s  {name}")
    print(f"results: {save_results('bench_startup', results)}")


if __name__ == "__main__":
    main()
