"""Mood over time: cost per window of `predict --timeline`, against one full extraction per window.

Run from the repository's root:

    python -m bench.bench_timeline                  # a 30-s and a 5-minute track, 10-s windows every 5 s
    python -m bench.bench_timeline --window 6 --hop 3

The tracks are Emotify clips (one, then ten end to end), decoded once beforehand. For each
it times, side by side in one process and single-threaded: the whole-file features alone;
the whole file plus every window from one pass of the shared intermediates (what the tool
does, :func:`featurize.features.window_features`); and the whole file plus every window
extracted on its own. Prints ms per window of each way beyond the whole file's cost.
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from bench.common import EMOTIFY_AUDIO
from featurize.audio import load_audio
from featurize.features import Clip, FeatureSettings, clip_features, extract_features, window_features, window_starts


def best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--window", type=float, default=10.0)
    p.add_argument("--hop", type=float, default=5.0)
    p.add_argument("--repeats", type=int, default=3, help="best of this many runs (default: 3)")
    args = p.parse_args()
    settings = FeatureSettings()
    files = sorted(EMOTIFY_AUDIO.rglob("*.mp3"))[::40][:10]
    clips = [load_audio(f, settings.sr, min_duration=5.0) for f in files]
    tracks = {"30-s track": clips[0], f"{len(clips) * 30 / 60:.0f}-minute track": np.concatenate(clips)}
    extract_features(clips[0][: 10 * settings.sr], settings)  # warm up numba and the filter banks
    print(f"mood preset ({len(settings.columns())} columns), {args.window:g}-s windows every {args.hop:g} s, "
          f"one thread, best of {args.repeats}")
    with threadpool_limits(1):
        for name, y in tracks.items():
            n, whole, shared, alone = measure(y, settings, args.window, args.hop, args.repeats)
            print(f"  {name}, {n} windows: whole file {whole * 1e3:.0f} ms; per window beyond it: one pass "
                  f"{(shared - whole) / n * 1e3:.0f} ms, each window extracted alone {(alone - whole) / n * 1e3:.0f} ms "
                  f"({(alone - whole) / max(shared - whole, 1e-9):.1f}x)")


def measure(y, settings, window, hop, repeats):
    """Windows, and seconds for: the whole file; it and its windows in one pass; it and each window alone."""
    starts = window_starts(len(y) / settings.sr, window=window, hop=hop)

    def one_pass():
        clip = Clip(y, settings)
        clip_features(clip, settings)
        window_features(clip, settings, window=window, hop=hop)

    def separately():
        extract_features(y, settings)
        for a in starts:
            extract_features(y[int(a * settings.sr):int((a + window) * settings.sr)], settings)

    whole = best_of(repeats, lambda: extract_features(y, settings))
    return len(starts), whole, best_of(repeats, one_pass), best_of(repeats, separately)

if __name__ == "__main__":
    main()
