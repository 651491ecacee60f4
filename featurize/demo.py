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

from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from moodclass.errors import UsageError

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
    t = np.arange(n) / sr
    beat = 60.0 / bpm
    y = np.zeros(n)
    harmonic_weights = 1.0 / np.arange(1, partials + 1) ** 1.2
    ring = int(2 * beat * sr)  # a note rings for two beats (its envelope is then below 4 %)
    for i, onset in enumerate(np.arange(0, duration, beat)):
        start = int(onset * sr)
        seg = t[start:start + ring] - onset
        env = np.exp(-seg / (0.6 * beat))
        root = key + _PROGRESSION[(i // 4) % len(_PROGRESSION)]
        for interval in intervals:
            f0 = 440.0 * 2 ** ((root + interval - 69) / 12)
            for h, w in enumerate(harmonic_weights, start=1):
                if f0 * h < sr / 2:
                    y[start:start + ring] += w * env * np.sin(2 * np.pi * f0 * h * seg)
        if noise:
            burst = y[start:start + int(0.03 * sr)]
            burst += noise * len(intervals) * rng.standard_normal(len(burst))
    y *= level / np.max(np.abs(y))
    return y.astype(np.float32)


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
    rows = []
    for q in QUADRANTS:
        (dest / q).mkdir(parents=True, exist_ok=True)
        for k in range(per_quadrant):
            rel = f"{q}/{q.lower()}_{k:02d}.{fmt}"
            if not (dest / rel).exists():  # same arguments, same clip: keep it, and its features
                sf.write(dest / rel, synth_clip(q, duration, sr, seed=seed * 1000 + k), sr, format=fmt.upper())
            rows.append({"path": rel, "quadrant": q})
    labels = pd.DataFrame(rows)
    labels.to_csv(dest / "labels.csv", index=False)
    return labels
