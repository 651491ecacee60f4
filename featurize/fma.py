"""The Free Music Archive (FMA): folder layout, metadata tables and Echonest quadrant labels.

Formats, as FMA's own ``utils.load`` reads them:

- audio: ``fma_small/000/000002.mp3``, the folder being the first three digits of the
  six-digit, zero-padded track id;
- ``fma_metadata/tracks.csv``: two header rows (``('artist', 'id')``, ``('set', 'subset')``, ...),
  the track id as index;
- ``fma_metadata/echonest.csv``: three header rows
  (``('echonest', 'audio_features', 'valence')``, ...), the track id as index.
"""

import re
from pathlib import Path, PurePosixPath

import pandas as pd

from moodclass.errors import InputNotFoundError, UsageError

#: Columns that ``featurize`` copies from tracks.csv into the feature table.
TRACK_COLUMNS = {
    "artist_id": ("artist", "id"),
    "album_id": ("album", "id"),
    "genre_top": ("track", "genre_top"),
    "subset": ("set", "subset"),
}

_FMA_FILE = re.compile(r"^(\d{3})/(\d{6})\.mp3$", re.IGNORECASE)


def track_id_from_path(rel_path: str) -> int | None:
    """FMA track id of a path in FMA's layout (``'000/000002.mp3'`` -> 2), else None.

    Parameters
    ----------
    rel_path : str
        ``000/000002.mp3``.

    Returns
    -------
    int or None
    """
    parts = PurePosixPath(rel_path).parts[-2:]
    m = _FMA_FILE.match("/".join(parts))
    if m and m.group(2).startswith(m.group(1)):
        return int(m.group(2))
    return None


def find_metadata(audio_root: str | Path) -> Path | None:
    """The ``fma_metadata`` folder beside or inside `audio_root`, or None.

    Parameters
    ----------
    audio_root : str or Path

    Returns
    -------
    Path or None
    """
    root = Path(audio_root)
    for candidate in (root.parent / "fma_metadata", root / "fma_metadata"):
        if (candidate / "tracks.csv").is_file():
            return candidate
    return None


def _metadata_file(metadata_dir, name):
    path = Path(metadata_dir) / name
    if not path.is_file():
        raise InputNotFoundError(f"{path}: not found (expected FMA's fma_metadata folder with {name})")
    return path


def read_tracks(metadata_dir: str | Path) -> pd.DataFrame:
    """Artist id, album id, top genre and subset of each track, from tracks.csv.

    Parameters
    ----------
    metadata_dir : str or Path
        FMA's ``fma_metadata`` folder.

    Returns
    -------
    pd.DataFrame
        Indexed by integer track id, with the columns of :data:`TRACK_COLUMNS`; missing
        values are NA.
    """
    raw = pd.read_csv(_metadata_file(metadata_dir, "tracks.csv"), index_col=0, header=[0, 1], low_memory=False)
    out = pd.DataFrame(index=raw.index.astype(int))
    out.index.name = "track_id"
    for name, col in TRACK_COLUMNS.items():
        if col not in raw.columns:
            raise UsageError(f"tracks.csv has no column {col}: is this FMA's tracks.csv?")
        values = raw[col].to_numpy()
        out[name] = pd.array(values, dtype="Int64") if name.endswith("_id") else pd.array(values, dtype="string")
    return out


def read_echonest(metadata_dir: str | Path) -> pd.DataFrame:
    """Echonest valence and energy of each track that has them, from echonest.csv.

    Parameters
    ----------
    metadata_dir : str or Path

    Returns
    -------
    pd.DataFrame

    Returns
    -------
    pd.DataFrame
        Indexed by integer track id, columns ``valence`` and ``energy`` in [0, 1].
    """
    raw = pd.read_csv(_metadata_file(metadata_dir, "echonest.csv"), index_col=0, header=[0, 1, 2], low_memory=False)
    cols = {name: ("echonest", "audio_features", name) for name in ("valence", "energy")}
    missing = [c for c in cols.values() if c not in raw.columns]
    if missing:
        raise UsageError(f"echonest.csv has no column {missing[0]}: is this FMA's echonest.csv?")
    out = pd.DataFrame({name: pd.to_numeric(raw[col], errors="coerce") for name, col in cols.items()})
    out.index = out.index.astype(int)
    out.index.name = "track_id"
    return out.dropna()
