"""The music-library features: how fast a folder is tagged, how well "not music" is told from
music, and how close AAC in M4A (decoded by PyAV) comes to the WAV it was made from.

Run from the repository's root (needs ../shared/data/emotify, MIREX-like's audio under data/ for
the unseen-music row, and Debian's espeak-ng for the speech)::

    python -m bench.bench_library                 # everything
    python -m bench.bench_library --skip-tagging  # the detector and the AAC check only

Tagging: every Emotify clip copied to a temporary folder and tagged with the shipped model,
analysis included, 2 jobs, files per second. The detector: the shipped model's music distance
(:class:`classify.estimators.MusicLikeness`) of Emotify (training music), MIREX-like (music the
model never saw; from its feature table) and of 30-s signals that are not music: speech in three
espeak-ng voices, white and pink noise, near-silent hiss, mains hum, three sine tones, and
digital silence. AAC: 20 Emotify clips written as float WAV and as 192 kb/s AAC in M4A, their
features' differences in units of each column's spread over the training music.
Results go to ``cache/bench/bench_library.json``.
"""

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from bench.common import EMOTIFY_AUDIO, FEATURES, save_results, timer
from classify.model import DEFAULT_MODEL, NOT_MUSIC_DISTANCE, UNCERTAIN_DISTANCE, MoodModel
from classify.tags import model_identity, tag_paths
from featurize.audio import find_audio, load_audio
from featurize.features import extract_features
from featurize.table import read_table
from moodclass.arguments import package_version

SR = 22050


def tagging(model, files):
    with tempfile.TemporaryDirectory() as tmp:
        for i, f in enumerate(files):
            shutil.copy(f, Path(tmp) / f"{i:04d}{f.suffix}")
        with timer() as elapsed:
            summary = tag_paths(model, [tmp], model_id=model_identity(DEFAULT_MODEL, package_version()), n_jobs=2,
                                progress=False)
    return {"files": len(files), "tagged": summary.tagged, "left_out": len(summary.left_out),
            "failed": len(summary.failed), "seconds": round(elapsed(), 1), "files_per_second": len(files) / elapsed()}


def not_music(tmp: Path) -> dict[str, Path]:
    """30-s signals that are not music, written as WAV files."""
    t = np.arange(30 * SR) / SR
    rng = np.random.default_rng(0)
    white = rng.standard_normal(len(t))
    pink = np.fft.irfft(np.fft.rfft(white) / np.sqrt(np.maximum(np.fft.rfftfreq(len(t), 1 / SR), 1.0)), len(t))
    signals = {"white noise": 0.1 * white, "pink noise": 0.1 * pink / pink.std(), "hiss (near silence)": 1e-4 * white,
               "mains hum": 0.2 * np.sin(2 * np.pi * 50 * t) + 0.05 * np.sin(2 * np.pi * 150 * t),
               "digital silence": np.zeros(len(t))}
    for f in (220.0, 440.0, 1000.0):
        signals[f"sine {f:g} Hz"] = 0.3 * np.sin(2 * np.pi * f * t)
    out = {}
    for name, y in signals.items():
        out[name] = tmp / f"{name}.wav"
        sf.write(out[name], y.astype(np.float32), SR)
    text = ("Welcome back to the show. Today we talk about the history of radio, how it changed the way people "
            "heard the news, and what podcasts took from it. My guest has worked in broadcasting for thirty years, "
            "and she has stories to tell. Let us start at the beginning, in a small studio with one microphone.")
    if shutil.which("espeak-ng"):
        for voice in ("en", "en-us", "de"):
            out[f"speech ({voice})"] = tmp / f"speech-{voice}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(out[f"speech ({voice})"]), text], check=True)
    else:
        print("espeak-ng not found: no speech rows (apt-get install espeak-ng)")
    return out


def detector(model):
    result = {"thresholds": {"uncertain": UNCERTAIN_DISTANCE, "not_music_like": NOT_MUSIC_DISTANCE}, "music": {},
              "not_music": {}}
    tables = {"emotify (training music)": FEATURES / "emotify.parquet",
              "mirexlike (never seen)": FEATURES / "mirexlike.parquet"}
    for name, table in tables.items():
        if not table.exists():
            print(f"{name}: no table at {table} (python -m featurize on its audio); skipped")
            continue
        df, _ = read_table(table)
        d = model.music_distance(df[model.feature_columns].to_numpy())
        result["music"][name] = {"clips": len(d), "max": float(d.max()), "p99": float(np.percentile(d, 99)),
                                 "uncertain": int(((d > UNCERTAIN_DISTANCE) & (d <= NOT_MUSIC_DISTANCE)).sum()),
                                 "not_music_like": int((d > NOT_MUSIC_DISTANCE).sum())}
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in not_music(Path(tmp)).items():
            try:
                d = float(model.music_distance(extract_features(load_audio(path, SR), model.settings)[None])[0])
                result["not_music"][name] = {"distance": d, "said": "not music-like" if d > NOT_MUSIC_DISTANCE else
                                             "uncertain" if d > UNCERTAIN_DISTANCE else "music"}
            except Exception as err:  # digital silence: refused before any mood
                result["not_music"][name] = {"distance": None, "said": f"error: {err}"}
    return result


def aac_against_wav(model, files):
    import av

    scale, columns = model.likeness.scale_, model.likeness.columns_
    medians, p95s = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            y = load_audio(f, 44100)
            wav, m4a = Path(tmp) / "x.wav", Path(tmp) / "x.m4a"
            sf.write(wav, y, 44100, subtype="FLOAT")
            with av.open(str(m4a), "w") as out:
                stream = out.add_stream("aac", rate=44100, layout="mono")
                stream.bit_rate = 192000
                for i in range(0, len(y), 1024):
                    frame = av.AudioFrame.from_ndarray(y[None, i:i + 1024], format="fltp", layout="mono")
                    frame.sample_rate, frame.pts = 44100, i
                    for packet in stream.encode(frame):
                        out.mux(packet)
                for packet in stream.encode(None):
                    out.mux(packet)
            a = extract_features(load_audio(wav, SR), model.settings)
            b = extract_features(load_audio(m4a, SR), model.settings)
            z = np.abs(a - b)[columns] / scale
            medians.append(float(np.median(z)))
            p95s.append(float(np.percentile(z, 95)))
    return {"clips": len(files), "median_of_median": float(np.median(medians)), "worst_median": max(medians),
            "median_of_p95": float(np.median(p95s)), "worst_p95": max(p95s)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skip-tagging", action="store_true")
    p.add_argument("--aac-clips", type=int, default=20)
    args = p.parse_args()
    model = MoodModel.load(DEFAULT_MODEL)
    files, _, _ = find_audio([EMOTIFY_AUDIO])
    results = {}
    if not args.skip_tagging:
        results["tagging"] = t = tagging(model, files)
        print(f"tagging {t['files']} Emotify clips (analysis included, 2 jobs): {t['seconds']:.1f} s = "
              f"{t['files_per_second']:.1f} files/s; tagged {t['tagged']}, left out {t['left_out']}, failed {t['failed']}")
    results["detector"] = d = detector(model)
    print(f"music distance (uncertain above {UNCERTAIN_DISTANCE}, not music-like above {NOT_MUSIC_DISTANCE}):")
    for name, r in d["music"].items():
        print(f"  {name:26s} {r['clips']} clips: max {r['max']:.2f}, 99th percentile {r['p99']:.2f}; "
              f"marked uncertain {r['uncertain']}, not music-like {r['not_music_like']}")
    for name, r in d["not_music"].items():
        shown = "" if r["distance"] is None else f"{r['distance']:.2f}  "
        print(f"  {name:26s} {shown}{r['said']}")
    results["aac"] = a = aac_against_wav(model, files[:: max(1, len(files) // args.aac_clips)][: args.aac_clips])
    print(f"AAC 192 kb/s in M4A against the WAV it came from, {a['clips']} Emotify clips, |difference| in units of "
          f"each column's spread over the training music: median {a['median_of_median']:.3f} (worst clip "
          f"{a['worst_median']:.3f}), 95th percentile {a['median_of_p95']:.3f} (worst clip {a['worst_p95']:.3f})")
    print(f"results: {save_results('bench_library', results)}")



if __name__ == "__main__":
    main()
