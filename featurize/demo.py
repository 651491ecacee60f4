"""A small synthetic corpus in the four mood quadrants, for the demo and the tests.

Each quadrant has the musical cues that listeners associate with it (Russell's model):

==== ======================= ========= ======= =====================
     harmony                 pulse     level   timbre
==== ======================= ========= ======= =====================
Q1   major triads            fast      loud    bright (many partials)
Q2   minor, with tritones    fast      loud    bright, noisy attacks
Q3   minor triads            slowest   soft    darkest (low register, few partials)
Q4   major triads            slow      soft    mellow
==== ======================= ========= ======= =====================
"""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from moodclass.errors import UsageError
from moodclass.infra import atomic_write

QUADRANTS = ("Q1", "Q2", "Q3", "Q4")

_STYLE = {
    #      chord intervals   bpm  level partials noise register
    "Q1": ((0, 4, 7), 140, 0.5, 8, 0.0, 0),
    "Q2": ((0, 3, 6, 10), 150, 0.5, 10, 0.15, 0),
    "Q3": ((0, 3, 7), 54, 0.08, 2, 0.0, -12),
    "Q4": ((0, 4, 7), 80, 0.08, 4, 0.0, 0),
}
# Root movements of the chord progression, in semitones from the key note.
_PROGRESSION = (0, 5, 7, 0, 9, 5, 7, 0)


def synth_clip(quadrant: str, duration: float = 10.0, sr: int = 22050, seed: int = 0) -> np.ndarray:
    """A mono clip with the harmony, pulse, level and timbre of a mood quadrant.

    Parameters
    ----------
    quadrant : {'Q1', 'Q2', 'Q3', 'Q4'}
    duration : float
        Seconds.
    sr : int
        Sampling rate.
    seed : int
        Varies key, tempo and voicing; the same seed gives the same samples.

    Returns
    -------
    np.ndarray [shape=(round(duration * sr),)], float32, peak below 1
    """
    if quadrant not in _STYLE:
        raise ValueError(f"quadrant must be one of {QUADRANTS}, not {quadrant!r}")
    intervals, bpm, level, partials, noise, register = _STYLE[quadrant]
    rng = np.random.default_rng(seed)
    bpm *= rng.uniform(0.92, 1.08)
    key = 48 + register + rng.integers(0, 12)  # MIDI note of the key, C3..B3 (an octave lower for Q3)
    n = int(round(duration * sr))
    beat = 60.0 / bpm
    y = np.zeros(n)
    ring = np.arange(int(2 * beat * sr)) / sr  # a note rings for two beats (its envelope is then below 4 %)
    harmonic_weights = 1.0 / np.arange(1, partials + 1) ** 1.2
    chords = {}  # every chord on a root sounds the same: onsets fall on whole samples
    for i, onset in enumerate(np.arange(0, duration, beat)):
        start = int(onset * sr)
        root = key + _PROGRESSION[(i // 4) % len(_PROGRESSION)]
        if root not in chords:
            f0 = 440.0 * 2 ** ((root + np.asarray(intervals) - 69) / 12)
            chords[root] = np.exp(-ring / (0.6 * beat)) * _harmonic_sum(f0, harmonic_weights, ring, sr)
        chord = chords[root][:n - start]
        y[start:start + len(chord)] += chord
        if noise:
            burst = y[start:start + int(0.03 * sr)]
            burst += noise * len(intervals) * rng.standard_normal(len(burst))
    y *= level / np.max(np.abs(y))
    return y.astype(np.float32)


def _harmonic_sum(f0: np.ndarray, weights: np.ndarray, t: np.ndarray, sr: int) -> np.ndarray:
    """Sum over fundamentals `f0` of their harmonics ``h``, weighted ``weights[h - 1]``, below Nyquist, at times `t`."""
    y = np.zeros_like(t)
    for f in f0:
        for h, w in enumerate(weights, start=1):
            if f * h < sr / 2:
                y += w * np.sin(2 * np.pi * f * h * t)
    return y


#: The file that marks a folder as a demo corpus, which a later demo run may fill again.
DEMO_MARKER = ".moodclass-demo"


def make_demo(dest: str | Path, per_quadrant: int = 12, duration: float = 10.0, sr: int = 22050, seed: int = 0,
              fmt: str = "mp3") -> pd.DataFrame:
    """Write a labelled demo corpus: ``dest/Q1/q1_00.mp3`` ... and ``dest/labels.csv``.

    Clips already in `dest` are kept, so that a second demo run has nothing to recompute. A
    folder that holds anything else than a demo corpus is refused: nothing of the user's is
    overwritten, and no demo clip is mixed among the user's files.

    Parameters
    ----------
    dest : str or Path
        Folder to create or fill.
    per_quadrant : int
        Clips per quadrant.
    duration : float
        Seconds per clip.
    sr : int
        Sampling rate of the files.
    seed : int
        Base seed; clip k of a quadrant uses ``seed * 1000 + k``.
    fmt : {'mp3', 'wav', 'flac', 'ogg'}
        File format.

    Returns
    -------
    pd.DataFrame
        The labels table written: ``path`` (relative to `dest`) and ``quadrant``.

    Raises
    ------
    UsageError
        If `dest` is a file, or a folder with files that no demo run made.
    """
    dest = Path(dest)
    marker = dest / DEMO_MARKER
    if dest.exists() and (not dest.is_dir() or (any(dest.iterdir()) and not marker.exists())):
        raise UsageError(f"{dest} already holds files that are not a demo corpus: nothing written; "
                         "give --demo a new or empty folder")
    dest.mkdir(parents=True, exist_ok=True)
    marker.write_text("A demo corpus written by `python -m featurize --demo`; the demo may rewrite this folder.\n")
    rows = [{"path": f"{q}/{q.lower()}_{k:02d}.{fmt}", "quadrant": q, "seed": seed * 1000 + k}
            for q in QUADRANTS for k in range(per_quadrant)]

    def write(row):
        # Encoding and numpy release the GIL: threads make the clips about twice as fast on two cores.
        clip = synth_clip(row["quadrant"], duration, sr, seed=row["seed"])
        atomic_write(dest / row["path"], lambda tmp: sf.write(tmp, clip, sr, format=fmt.upper()))

    missing = [r for r in rows if not (dest / r["path"]).exists()]  # same arguments, same clip: keep it
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(write, missing))
    labels = pd.DataFrame(rows).drop(columns="seed")
    atomic_write(dest / "labels.csv", lambda tmp: labels.to_csv(tmp, index=False))
    return labels
