"""Mood playlists: one extended M3U8 per mood, and whole collections ordered by arousal or valence.

Each playlist is UTF-8 (``.m3u8``), starts with ``#EXTM3U``, and gives every file an
``#EXTINF:SECONDS,TITLE`` line and its path relative to the playlist, with ``/`` separators, as
common players (VLC, foobar2000, mpv, Rhythmbox, iTunes' import) read them. A mood's playlist
runs from its clearest example (the highest probability of that mood) to the least clear.
Predictions marked 'uncertain' or 'not music-like' are left out unless asked.
"""

import os
from pathlib import Path

import pandas as pd

from classify.labels import QUADRANT_NAMES
from moodclass.errors import UsageError
from moodclass.infra import atomic_write

#: Marks a folder that holds this tool's playlists, which a new run may replace.
MARKER = ".moodclass-playlists"
#: The playlists of whole collections: name -> (column, what it runs from and to).
ORDERINGS = {"calm to energetic": "arousal", "sad to happy": "valence"}


def playlist_names(classes) -> list[str]:
    """The file names :func:`write_playlists` writes for a model of these classes.

    Parameters
    ----------
    classes : sequence of str

    Returns
    -------
    list of str
    """
    names = [f"{c} {QUADRANT_NAMES.get(c, '').replace('/', '-')}".strip() + ".m3u8" for c in classes]
    return names + [f"{name}.m3u8" for name in ORDERINGS]


def check_playlist_folder(folder: str | Path, classes) -> Path:
    """`folder` as a Path if playlists may be written there: new, or holding no file of those
    names that this tool did not write (it marks its folders with :data:`MARKER`).

    Parameters
    ----------
    folder : str or Path
    classes : sequence of str

    Returns
    -------
    Path

    Raises
    ------
    UsageError
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--playlists {folder}: a file; give a folder for the playlists")
    if folder.is_dir() and not (folder / MARKER).exists():
        clash = [n for n in playlist_names(classes) if (folder / n).exists()]
        if clash:
            raise UsageError(f"--playlists {folder}: it holds {clash[0]}, which this tool did not write; choose "
                             "another folder (nothing was overwritten)")
    return folder


def _extinf(row: dict) -> str:
    seconds = row.get("duration")
    seconds = -1 if seconds is None or pd.isna(seconds) else int(round(float(seconds)))
    title = Path(row["path"]).stem.replace("\n", " ")
    return f"#EXTINF:{seconds},{title}"


def _m3u8(rows: list[dict], folder: Path) -> str:
    lines = ["#EXTM3U"]
    for r in rows:
        lines += [_extinf(r), Path(os.path.relpath(Path(r["path"]).absolute(), folder.absolute())).as_posix()]
    return "\n".join(lines) + "\n"


def write_playlists(files: pd.DataFrame, folder: str | Path, classes, *, include_uncertain: bool = False) -> dict:
    """Write the mood playlists of `files` into `folder`.

    Parameters
    ----------
    files : pd.DataFrame
        One row per file: ``path`` (absolute, or relative to the working folder), ``duration``,
        ``mood``, ``p_CLASS`` for each class, and where the model gives them ``valence``,
        ``arousal`` and ``music_like``. Rows without a mood (errors) are left out.
    folder : str or Path
        Checked by :func:`check_playlist_folder`; created if missing.
    classes : sequence of str
        The model's classes, in order.
    include_uncertain : bool
        Also list the files whose ``music_like`` is not 'music'.

    Returns
    -------
    dict
        Playlist path -> number of files in it.
    """
    folder = check_playlist_folder(folder, classes)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).touch()
    rows = files[files["mood"].notna()]
    if not include_uncertain and "music_like" in rows:
        rows = rows[rows["music_like"].isin(["music", "unknown"])]
    written = {}
    for name, c in zip(playlist_names(classes), classes):
        mine = rows[rows["mood"] == c].sort_values(f"p_{c}", ascending=False, kind="stable")
        written[folder / name] = mine
    for name, column in ORDERINGS.items():
        if column in rows:
            written[folder / f"{name}.m3u8"] = rows.sort_values(column, kind="stable")
    for path, chosen in written.items():
        text = _m3u8(chosen.to_dict("records"), folder)
        atomic_write(path, lambda tmp, text=text: Path(tmp).write_text(text, encoding="utf-8"))
    return {path: len(chosen) for path, chosen in written.items()}
