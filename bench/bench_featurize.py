"""Speed of feature extraction: the project's extractor against the straightforward librosa recipe.

Run from the repository's root:

    python -m bench.bench_featurize                # 40 clips side by side, then the whole set
    python -m bench.bench_featurize --clips 100 --skip-full
    python -m bench.bench_featurize --against HEAD~2 --skip-full   # the mood preset before and after

Prints, for the same Emotify clips in one process (after a warm-up clip): ms per clip of
the straightforward recipe and of the project's extractor with the same six (classic)
families, their ratio, and the largest difference between the two. The project's extractor
builds a CQT filter bank once per tuning value (about 100 values), so it is timed twice: on
its first pass over the clips, building banks as it meets new tunings, and on a second pass,
as in a long run where every bank is built. The second pass also times the default ``mood``
preset clip by clip beside the classic six, and prints the ratio. Then: the time a new
process takes to analyse its first clip (cold start), and clips/s of ``featurize`` (default
``mood`` preset) over the whole folder with 2 jobs. With ``--against REV``, first the default preset's
ms per clip in a checkout of REV (a temporary git worktree) and in this one, each in a new
process over the same clips, interleaved twice, their ratio, and this checkout's ten costliest
functions (cProfile, own time).
"""

import argparse
import cProfile
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import librosa
import numpy as np

from bench.common import EMOTIFY_AUDIO, ROOT, checkout_of, save_results
from featurize.audio import find_audio, load_audio
from featurize.cqt import _filter_bank
from featurize.features import CLASSIC_FAMILIES, FeatureSettings, extract_features
from featurize.run import featurize


def straightforward(path):
    """The recipe a newcomer writes: librosa.load, one call per feature, mean and std over time."""
    y, sr = librosa.load(path, sr=22050)
    frames = {
        "chroma": librosa.feature.chroma_cqt(y=y, sr=sr),
        "tonnetz": librosa.feature.tonnetz(y=y, sr=sr),
        "tempogram": librosa.feature.tempogram(y=y, sr=sr),
        "contrast": librosa.feature.spectral_contrast(y=y, sr=sr),
        "zcr": librosa.feature.zero_crossing_rate(y),
        "rms": librosa.feature.rms(y=y),
    }
    return np.concatenate([np.stack([f.mean(axis=1), f.std(axis=1)], axis=1).ravel() for f in frames.values()])


def ours(path, settings):
    return extract_features(load_audio(path, settings.sr), settings)


def side_by_side(files, settings, mood):
    """ms per clip: ours with filter banks built as needed, ours again with every bank built, the recipe,
    and the `mood` settings (second pass, interleaved with ours)."""
    ours(files[0], settings)  # warm-up: numba compilation, filter banks of the first tuning
    ours(files[0], mood)
    straightforward(files[0])
    t_cold = t_warm = t_ref = t_mood = 0.0
    max_diff = 0.0
    for f in files:
        t = time.perf_counter()
        a = ours(f, settings)
        t_cold += time.perf_counter() - t
        t = time.perf_counter()
        b = straightforward(f)
        t_ref += time.perf_counter() - t
        max_diff = max(max_diff, float(np.max(np.abs(a - b))))
    for f in files:
        t = time.perf_counter()
        ours(f, settings)
        t_warm += time.perf_counter() - t
        t = time.perf_counter()
        ours(f, mood)
        t_mood += time.perf_counter() - t
    n = len(files) / 1000
    return t_cold / n, t_warm / n, t_ref / n, t_mood / n, max_diff


#: Run in a checkout's root: ms per clip of the default preset over the files given (after two warm-up clips).
TIME_PRESET = """
import sys, time
from featurize.audio import load_audio
from featurize.features import FeatureSettings, extract_features
settings = FeatureSettings()
clips = [load_audio(f, settings.sr) for f in sys.argv[1:]]
for y in clips[:2]:
    extract_features(y, settings)
start = time.perf_counter()
for y in clips:
    extract_features(y, settings)
print(1000 * (time.perf_counter() - start) / len(clips))
"""


def preset_ms(checkout, files):
    """ms per clip of the default preset in a new process running `checkout`'s code."""
    run = subprocess.run([sys.executable, "-c", TIME_PRESET, *map(str, files)], cwd=checkout, check=True,
                         capture_output=True, text=True)
    return float(run.stdout.split()[-1])


def before_and_after(rev, files):
    """The default preset's ms per clip at `rev` and here, interleaved twice (the faster of each), and
    this checkout's ten costliest functions."""
    times = {rev: [], "this checkout": []}
    with checkout_of(rev) as old:
        for _ in range(2):
            times[rev].append(preset_ms(old, files))
            times["this checkout"].append(preset_ms(ROOT, files))
    before, after = min(times[rev]), min(times["this checkout"])
    print(f"default preset, {len(files)} clips, new process each, interleaved twice (the faster run of each):")
    print(f"  {rev:14s}: {before:6.1f} ms/clip")
    print(f"  this checkout : {after:6.1f} ms/clip   {before / after:.2f}x faster")
    settings = FeatureSettings()
    clips = [load_audio(f, settings.sr) for f in files]
    extract_features(clips[0], settings)
    profile = cProfile.Profile()
    profile.runcall(lambda: [extract_features(y, settings) for y in clips])
    print("  this checkout's ten costliest functions (cProfile, own time, ms per clip; the profiler inflates them):")
    stats = pstats.Stats(profile).stats
    for (path, line, name), (_, _, own, _, _) in sorted(stats.items(), key=lambda kv: -kv[1][2])[:10]:
        print(f"    {1000 * own / len(clips):6.1f}  {Path(path).name}:{line}({name})")
    return {"rev": rev, "ms_per_clip": times, "speedup": before / after}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--audio", type=Path, default=EMOTIFY_AUDIO, help="folder of clips (default: ../shared/data/emotify/audio)")
    p.add_argument("--clips", type=int, default=40, help="clips timed side by side (default: 40)")
    p.add_argument("--skip-full", action="store_true", help="skip the whole-folder run with 2 jobs")
    p.add_argument("--cluster", action="store_true",
                   help="also featurize the whole folder on a Dask LocalCluster (needs the dask extra)")
    p.add_argument("--against", metavar="REV", help="first, the default preset's time at this git revision and here")
    args = p.parse_args()

    files, _, _ = find_audio([args.audio])
    picked = files[:: max(1, len(files) // args.clips)][: args.clips]
    if args.against:
        results = before_and_after(args.against, picked)
        print(f"results: {save_results('bench_featurize_against', results)}\n")
    settings, mood = FeatureSettings(families=CLASSIC_FAMILIES), FeatureSettings()
    print(f"{len(picked)} clips of {args.audio}, one process, after a warm-up clip")
    cold, warm, ref, t_mood, diff = side_by_side(picked, settings, mood)
    banks = _filter_bank.cache_info().currsize
    print(f"  straightforward librosa recipe             : {ref:7.1f} ms/clip")
    print(f"  featurize, first pass (builds {banks:3d} CQT banks): {cold:7.1f} ms/clip   speed-up {ref / cold:.2f}x")
    print(f"  featurize, second pass (banks all built)   : {warm:7.1f} ms/clip   speed-up {ref / warm:.2f}x")
    print(f"  largest difference between the two feature sets: {diff:.2e}")
    print(f"  featurize, mood preset (default), second pass: {t_mood:7.1f} ms/clip   "
          f"{t_mood / warm:.2f}x the classic six, {ref / t_mood:.2f}x faster than the recipe of six; "
          f"{len(mood.columns())} columns against {len(settings.columns())}")

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "featurize", str(picked[0]), "-o", f"{tmp}/one.parquet", "-q", "-j", "1"],
                       check=True, stdout=subprocess.DEVNULL)
        print(f"cold start, new process analysing one clip: {time.perf_counter() - t:.2f} s")
        if not args.skip_full:
            s = featurize([args.audio], output=f"{tmp}/all.parquet", n_jobs=2, progress=False)
            print(f"whole folder, --jobs 2, mood preset: {s.computed} clips in {s.seconds:.1f} s = "
                  f"{s.computed / s.seconds:.1f} clips/s")
            if args.cluster:
                s = featurize([args.audio], output=f"{tmp}/cluster.parquet", scheduler="local", progress=False)
                print(f"whole folder, --scheduler local (LocalCluster, one single-threaded worker process per core): "
                      f"{s.computed} clips in {s.seconds:.1f} s = {s.computed / s.seconds:.1f} clips/s")


if __name__ == "__main__":
    main()
