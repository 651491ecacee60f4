"""What every benchmark shares: where the data lives, a timer, and results saved as versioned JSON.

Each benchmark prints its figures and writes them to ``cache/bench/NAME.json`` with the date,
the commit, the command line and the library versions, so that a figure quoted in the README
or a note comes from a file a command wrote.
"""

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from moodclass.infra import atomic_write, library_versions

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "cache" / "bench"
FEATURES = ROOT / "cache" / "features"

@dataclass(frozen=True)
class Data:
    """Where a dataset's labels and audio are, how to get the audio, and its label and group columns."""

    labels: Path
    audio: Path
    how: str
    label_column: str
    group: str


DATASETS = {
    "emotify": Data(SHARED / "emotify" / "labels.csv", SHARED / "emotify" / "audio", "datasets/emotify.md",
                    "quadrant", "genre"),
    "4q": Data(SHARED / "4q" / "labels.csv", ROOT / "data" / "4q", "datasets/4q.md", "quadrant", "artist"),
    "mirexlike": Data(SHARED / "mirexlike" / "labels.csv", ROOT / "data" / "mirexlike" / "dataset" / "Audio",
                      "datasets/mirexlike.md", "cluster", "artist"),
}
EMOTIFY_AUDIO = DATASETS["emotify"].audio


def audio_folder(name: str) -> Path | None:
    """The audio folder of dataset `name`, or None (saying how to get it) where it is missing."""
    data = DATASETS[name]
    if data.audio.is_dir():
        return data.audio
    print(f"{name}: no audio at {data.audio}; see {data.how} to get it")
    return None


@contextmanager
def timer() -> Callable[[], float]:
    """``with timer() as elapsed: ...``; ``elapsed()`` is the wall time in seconds so far, and
    after the block the block's time."""
    start = time.perf_counter()
    end = None

    def elapsed():
        return (end if end is not None else time.perf_counter()) - start

    try:
        yield elapsed
    finally:
        end = time.perf_counter()


@contextmanager
def checkout_of(rev: str):
    """``with checkout_of(REV) as folder: ...``: a temporary git worktree of revision `rev`, removed
    afterwards, for timing an earlier commit's code beside this checkout's (run it with ``cwd=folder``:
    ``python -m`` and ``python -c`` put the working folder first on sys.path)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "checkout"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(folder), rev], cwd=ROOT, check=True)
        try:
            yield folder
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, check=False)


def _commit() -> str:
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def save_results(name: str, results: dict) -> Path:
    """Write `results` to ``cache/bench/NAME.json`` (atomically) with when, what and how; its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    record = {"benchmark": name, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "commit": _commit(), "command": " ".join([Path(sys.executable).name, *sys.argv]),
              "versions": library_versions(), "results": results}
    atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=1, default=str) + "\n"))
    return path
