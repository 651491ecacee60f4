"""Labels for the clips of a feature table: from folder names, a CSV file, or FMA's Echonest data.

The Russell valence-arousal quadrants: Q1 high arousal and positive valence, Q2 high
arousal and negative valence, Q3 low arousal and negative valence, Q4 low arousal and
positive valence.
"""

from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from featurize import fma
from moodclass.errors import LabelError

QUADRANT_NAMES = {"Q1": "happy/excited", "Q2": "angry/tense", "Q3": "sad/melancholic", "Q4": "calm/relaxed"}

#: Common scales of valence and arousal ratings, smallest first; the midpoint of the first
#: one that holds all values is the default threshold.
SCALES = ((0, 1), (-1, 1), (1, 5), (1, 7), (1, 9), (0, 10), (-10, 10), (0, 100), (-100, 100))

_LABEL_COLUMNS = ("quadrant", "label", "class", "mood", "emotion")
#: Columns of a labels CSV (or a foreign feature table) that name a clip by its path.
PATH_COLUMNS = ("path", "file", "filename", "file_path", "relative_path")
_AROUSAL_COLUMNS = ("arousal", "energy")
GROUP_ALIASES = {"artist": "artist_id", "album": "album_id", "genre": "genre_top"}
#: Columns of a labels CSV that hold how many people voted on each clip.
VOTER_COLUMNS = ("listeners", "voters", "raters", "annotators")
#: Emotify's nine GEMS categories summed into the quadrant each stands for, the way its
#: ``quadrant`` column was made (solemnity counts for none; datasets/emotify.md). Its columns
#: hold the share of a clip's listeners who ticked each; times ``listeners`` they are votes.
GEMS_QUADRANTS = {"Q1": ("joyful_activation", "amazement"), "Q2": ("tension", "power"),
                  "Q3": ("sadness", "nostalgia"), "Q4": ("calmness", "tenderness")}


def display_name(label: str) -> str:
    """``'Q1 happy/excited'`` for a quadrant, the label itself otherwise.

    Parameters
    ----------
    label : str

    Returns
    -------
    str
    """
    return f"{label} {QUADRANT_NAMES[label]}" if label in QUADRANT_NAMES else str(label)


def quadrants(valence, arousal, valence_threshold: float, arousal_threshold: float) -> np.ndarray:
    """Russell quadrant of each (valence, arousal) pair; a value at the threshold counts as high.

    Parameters
    ----------
    valence, arousal : array-like
    valence_threshold, arousal_threshold : float

    Returns
    -------
    np.ndarray of str, 'Q1' to 'Q4'
    """
    v = np.asarray(valence, dtype=float) >= valence_threshold
    a = np.asarray(arousal, dtype=float) >= arousal_threshold
    return np.where(a, np.where(v, "Q1", "Q2"), np.where(v, "Q4", "Q3"))


def are_quadrants(classes: Sequence[str]) -> bool:
    """Whether `classes` are the four quadrants, Q1 to Q4.

    Parameters
    ----------
    classes : sequence of str

    Returns
    -------
    bool
    """
    return sorted(map(str, classes)) == sorted(QUADRANT_NAMES)


def valence_arousal(proba: np.ndarray, classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """Valence and arousal in [-1, 1] from the probabilities of the four quadrants.

    ``arousal = P(Q1) + P(Q2) - P(Q3) - P(Q4)`` and ``valence = P(Q1) + P(Q4) - P(Q2) - P(Q3)``:
    the expected side of each axis under the model's belief. They are not ratings: a clip the
    model is unsure of sits near 0 on both axes whatever its music, and they are only as good
    as the quadrant probabilities.

    Parameters
    ----------
    proba : np.ndarray [shape=(n, len(classes))]
    classes : sequence of str
        The columns of `proba`.

    Returns
    -------
    (valence, arousal), or None when `classes` are not the four quadrants.
    """
    if not are_quadrants(classes):
        return None
    p = {c: np.asarray(proba)[:, i] for i, c in enumerate(classes)}
    return p["Q1"] + p["Q4"] - p["Q2"] - p["Q3"], p["Q1"] + p["Q2"] - p["Q3"] - p["Q4"]


def rating_scale(values) -> tuple[float, float]:
    """The smallest common rating scale (:data:`SCALES`) that holds all `values` (else their range).

    Parameters
    ----------
    values : array-like

    Returns
    -------
    (float, float)
    """
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    return next(((a, b) for a, b in SCALES if a <= lo and hi <= b), (lo, hi))


def scale_midpoint(values) -> float:
    """Midpoint of the smallest common rating scale (:data:`SCALES`) that holds all `values`.

    Parameters
    ----------
    values : array-like

    Returns
    -------
    float
    """
    lo, hi = rating_scale(values)
    return (lo + hi) / 2


def target_thresholds(Y: np.ndarray, *, thresholds: Sequence[float | None] = (None, None)) -> list[float]:
    """The quadrant threshold of each column of `Y` (valence, arousal ratings): the one given in
    `thresholds`, else the midpoint of the column's rating scale (:func:`scale_midpoint`).

    Parameters
    ----------
    Y : np.ndarray [shape=(n, targets)]
    thresholds : sequence of float or None

    Returns
    -------
    list of float
    """
    given = list(thresholds)[:Y.shape[1]]
    given += [None] * (Y.shape[1] - len(given))
    return [t if t is not None else scale_midpoint(Y[:, j]) for j, t in enumerate(given)]


def folder_labels(paths: Iterable[str]) -> pd.Series:
    """Each clip's parent folder name (``Q1/song.mp3`` -> ``Q1``); None for clips at the top.

    Parameters
    ----------
    paths : iterable of str
        Relative paths, ``/``-separated.

    Returns
    -------
    pd.Series
    """
    return pd.Series([PurePosixPath(p).parent.name or None for p in paths], dtype=object)


def match_paths(table_paths: Sequence[str], label_paths: Sequence[str]) -> np.ndarray:
    """Position in `table_paths` of each label path, or -1.

    Paths match when one ends with the other, whole components only, so labels may be
    relative to a parent folder of the table's root (``audio/rock/001.mp3`` matches
    ``rock/001.mp3``); an ending shared by several clips matches none of them.

    Parameters
    ----------
    table_paths, label_paths : sequence of str

    Returns
    -------
    np.ndarray of int
    """
    by_suffix, whole = {}, {}
    for i, p in enumerate(table_paths):
        parts = PurePosixPath(p).parts
        whole["/".join(parts)] = i
        for k in range(len(parts)):
            key = "/".join(parts[k:])
            by_suffix[key] = -2 if key in by_suffix else i  # -2: ambiguous
    out = np.full(len(label_paths), -1)
    for j, p in enumerate(label_paths):
        parts = PurePosixPath(str(p).replace("\\", "/")).parts
        hit = by_suffix.get("/".join(parts), -1)  # the label path ends a table path
        for k in range(1, len(parts)):
            if hit != -1:
                break
            hit = whole.get("/".join(parts[k:]), -1)  # a table path ends the label path
        out[j] = max(hit, -1)
    return out


def csv_labels(table: pd.DataFrame, csv_path: str | Path, *, label_column: str | None = None,
               thresholds: tuple[float | None, float | None] = (None, None)) -> tuple[pd.Series, pd.DataFrame, str]:
    """Labels from a CSV keyed by ``path`` (or ``file``...) or ``track_id``, or for a foreign
    table (:mod:`classify.foreign`) by the column that names its rows.

    The CSV holds a class column (`label_column`, or the first of quadrant, label, class,
    mood, emotion), or numeric ``valence`` and ``arousal`` (or ``energy``) columns that map
    to quadrants, thresholded at `thresholds` (default: the rating scale's midpoint).

    Parameters
    ----------
    table : pd.DataFrame
        The feature table's identifying columns.
    csv_path : str or Path
    label_column : str, optional
    thresholds : (float or None, float or None)
        Valence and arousal thresholds, where the labels are ratings.

    Returns
    -------
    labels : pd.Series
        Aligned with `table`'s rows; None where a clip has no label.
    extra : pd.DataFrame
        The CSV's other columns aligned with `table` (for ``--groups``).
    message : str
        How the labels were found, for the user.
    """
    csv_path = Path(csv_path)
    df = _read_labels_csv(csv_path)
    rows, key = _csv_rows(table, df, csv_path)

    used = label_columns(df.columns, label_column=label_column, where=csv_path)
    if len(used) == 1:
        values, how = df[used[0]].astype(object), f"column '{used[0]}'"
    else:
        v = pd.to_numeric(df[used[0]], errors="coerce")
        a = pd.to_numeric(df[used[1]], errors="coerce")
        vt = thresholds[0] if thresholds[0] is not None else scale_midpoint(v)
        at = thresholds[1] if thresholds[1] is not None else scale_midpoint(a)
        values = pd.Series(quadrants(v, a, vt, at), dtype=object).where(v.notna() & a.notna(), None)
        how = f"quadrants of '{used[0]}' (threshold {vt:g}) and '{used[1]}' (threshold {at:g})"
    hit = rows >= 0
    _refuse_conflicts(table, rows[hit], values[hit].to_numpy(), csv_path)
    labels = pd.Series([None] * len(table), dtype=object)
    extra = pd.DataFrame(index=range(len(table)), columns=df.columns, dtype=object)
    labels.iloc[rows[hit]] = values[hit].to_numpy()
    extra.iloc[rows[hit]] = df[hit].to_numpy()
    message = f"labels: {how} of {csv_path}, matched by {key}: {int(hit.sum())} of {len(df)} rows"
    return labels.where(labels.notna(), None), extra, message


def _read_labels_csv(csv_path: Path) -> pd.DataFrame:
    """The labels CSV at `csv_path`; a :class:`LabelError` naming it if it cannot be read."""
    try:
        return pd.read_csv(csv_path)
    except FileNotFoundError:
        raise LabelError(f"{csv_path}: no such labels file") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise LabelError(f"{csv_path}: not a readable CSV ({err})") from None


def _csv_rows(table: pd.DataFrame, df: pd.DataFrame, csv_path) -> tuple[np.ndarray, str]:
    """The row of `table` each row of the labels CSV `df` belongs to (-1: none), and the key used."""
    cols = {c.lower(): c for c in df.columns}
    path_col = next((cols[c] for c in PATH_COLUMNS if c in cols), None)
    own = str(table.attrs.get("id_column", "")).lower()  # the id column of a foreign table (classify.foreign)
    if own and own in cols and own not in PATH_COLUMNS:
        index = {p: i for i, p in enumerate(table["path"])}
        rows = np.array([index.get(str(v), -1) for v in df[cols[own]]])
        key = f"'{cols[own]}'"
    elif path_col is not None:
        rows = match_paths(table["path"].tolist(), df[path_col].astype(str).tolist())
        key = f"'{path_col}'"
    elif "track_id" in cols and "track_id" in table:
        ids = {int(t): i for i, t in enumerate(table["track_id"]) if pd.notna(t)}
        rows = np.array([ids.get(int(t), -1) if pd.notna(t) else -1 for t in df[cols["track_id"]]])
        key = "'track_id'"
    else:
        raise LabelError(f"{csv_path}: needs a 'path' or 'track_id' column to find the clips; it has {list(df.columns)}")

    return rows, key


def csv_numbers(table: pd.DataFrame, csv_path: str | Path, columns: Sequence[str]) -> tuple[pd.DataFrame, str]:
    """Numeric `columns` of a labels CSV (keyed as in :func:`csv_labels`), aligned with `table`.

    Parameters
    ----------
    table : pd.DataFrame
    csv_path : str or Path
    columns : sequence of str

    Returns
    -------
    values : pd.DataFrame [shape=(len(table), len(columns))]
        NaN where a clip has no row or no number.
    message : str
    """
    csv_path = Path(csv_path)
    df = _read_labels_csv(csv_path)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise LabelError(f"{csv_path}: no column {missing[0]!r} for --target; it has {list(df.columns)}")
    rows, key = _csv_rows(table, df, csv_path)
    hit = rows >= 0
    out = pd.DataFrame(np.nan, index=range(len(table)), columns=list(columns))
    out.iloc[rows[hit]] = df.loc[hit, list(columns)].apply(pd.to_numeric, errors="coerce").to_numpy()
    return out, f"targets: {', '.join(columns)} of {csv_path}, matched by {key}: {int(hit.sum())} of {len(df)} rows"


def label_columns(columns: Sequence[str], *, label_column: str | None = None, where: str | Path = "the labels file") -> list[str]:
    """The columns of a labels CSV the labels come from: `label_column`, or the first class
    column (quadrant, label, class, mood, emotion), or valence and arousal (or energy).

    Parameters
    ----------
    columns : sequence of str
        The CSV's columns.
    label_column : str, optional
    where : str or Path
        The file, for the message.

    Raises
    ------
    LabelError
        If there is none.
    """
    columns = [str(c) for c in columns]
    cols = {c.lower(): c for c in columns}
    if label_column:
        if label_column not in columns:
            raise LabelError(f"{where}: no column {label_column!r}; it has {columns}")
        return [label_column]
    if any(c in cols for c in _LABEL_COLUMNS):
        return [next(cols[c] for c in _LABEL_COLUMNS if c in cols)]
    if "valence" in cols and any(c in cols for c in _AROUSAL_COLUMNS):
        return [cols["valence"], next(cols[c] for c in _AROUSAL_COLUMNS if c in cols)]
    raise LabelError(f"{where}: no label column ({', '.join(_LABEL_COLUMNS)}, or valence and arousal); "
                     f"name one with --label-column; it has {columns}")


def _refuse_conflicts(table, rows, values, csv_path):
    """Raise :class:`LabelError` if two label rows give one clip different classes."""
    seen = {}
    for row, value in zip(rows, values):
        if pd.isna(value):
            continue
        if seen.setdefault(row, value) != value:
            raise LabelError(f"{csv_path}: clip {table['path'].iloc[row]} has two labels, {seen[row]} and {value}; "
                             "keep one row per clip")


def echonest_numbers(table: pd.DataFrame, metadata_dir: str | Path | None,
                     columns: Sequence[str]) -> tuple[pd.DataFrame, str]:
    """Echonest `columns` (``valence``, ``energy``) of each track of `table`, NaN where missing.

    Parameters
    ----------
    table : pd.DataFrame
    metadata_dir : str or Path or None
    columns : sequence of str
    """
    unknown = [c for c in columns if c not in ("valence", "energy")]
    if unknown:
        raise LabelError(f"--target {unknown[0]}: Echonest gives valence and energy (--target valence,energy)")
    echonest_labels(table, metadata_dir)  # the same checks: metadata given, track ids present
    en = fma.read_echonest(metadata_dir).reindex(table["track_id"].fillna(-1).astype(int))
    out = en[list(columns)].reset_index(drop=True)
    return out, f"targets: Echonest {', '.join(columns)} of {int(out.notna().all(axis=1).sum())} of {len(table)} tracks"


def echonest_labels(table: pd.DataFrame, metadata_dir: str | Path | None, *,
                    thresholds: tuple[float | None, float | None] = (0.5, 0.5)) -> tuple[pd.Series, str]:
    """Quadrants from Echonest valence and energy (energy standing for arousal), by track id.

    Parameters
    ----------
    table : pd.DataFrame
    metadata_dir : str or Path or None
    thresholds : (float or None, float or None)

    Returns
    -------
    labels : pd.Series
        Aligned with `table`; None for tracks without Echonest data.
    message : str
    """
    if metadata_dir is None:
        raise LabelError("--labels fma-echonest needs FMA's metadata: pass --metadata PATH/fma_metadata")
    vt = 0.5 if thresholds[0] is None else thresholds[0]
    et = 0.5 if thresholds[1] is None else thresholds[1]
    if "track_id" not in table or table["track_id"].isna().all():
        raise LabelError("--labels fma-echonest: the table has no FMA track ids (is it an fma_small/000/000002.mp3 layout?)")
    en = fma.read_echonest(metadata_dir)
    en = en.reindex(table["track_id"].fillna(-1).astype(int))
    values = quadrants(en["valence"], en["energy"], vt, et)
    labels = pd.Series(values, dtype=object).where(en["valence"].notna().to_numpy(), None)
    n = int(labels.notna().sum())
    return labels, (f"labels: quadrants of Echonest valence (threshold {vt:g}) and energy (threshold {et:g}): "
                    f"{n} of {len(table)} tracks have Echonest data")


def vote_columns(columns: Sequence[str], classes: Sequence[str], *, spec: str = "auto",
                 where: str | Path = "the labels file") -> dict[str, tuple[str, ...]] | None:
    """Which columns of a labels CSV hold each class's votes (counts or shares), summed per class.

    Parameters
    ----------
    columns : sequence of str
        The CSV's columns.
    classes : sequence of str
        The classes of the labels.
    spec : str
        ``'none'``; ``'auto'``: a column named after each class, else for the quadrants the
        GEMS columns of an Emotify-style CSV (:data:`GEMS_QUADRANTS`), else none; or
        ``'CLASS=COLUMN[+COLUMN...],...'`` naming them for every class.

    Returns
    -------
    dict or None
        Class -> columns; None where there are no votes.
    """
    columns = [str(c) for c in columns]
    if spec == "none":
        return None
    if spec == "auto":
        if all(c in columns for c in classes):
            return {c: (c,) for c in classes}
        if set(classes) <= set(GEMS_QUADRANTS) and all(col in columns for cols in GEMS_QUADRANTS.values() for col in cols):
            return {c: GEMS_QUADRANTS[c] for c in classes}
        return None
    chosen = {}
    for part in spec.split(","):
        name, sep, cols = part.partition("=")
        if not sep or not name.strip() or not cols.strip():
            raise LabelError(f"--votes {spec}: write CLASS=COLUMN[+COLUMN...] for each class, e.g. "
                             "Q1=joyful+excited,Q2=angry,... (or 'auto', 'none')")
        chosen[name.strip()] = tuple(c.strip() for c in cols.split("+"))
    missing = [c for c in classes if c not in chosen]
    if missing:
        raise LabelError(f"--votes {spec}: no columns for class {', '.join(missing)} (the classes: {', '.join(classes)})")
    unknown = [col for cols in chosen.values() for col in cols if col not in columns]
    if unknown:
        raise LabelError(f"{where}: no column {unknown[0]!r} for --votes; it has {columns}")
    return {c: chosen[c] for c in classes}


def vote_counts(numbers: pd.DataFrame, by_class: dict[str, tuple[str, ...]], y: np.ndarray, *,
                voters: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Each clip's votes for each class of `by_class` (columns in its order): the sum of the
    columns of `numbers` each class names, times the clip's number of `voters` if given
    (for columns that hold the share of voters who chose a category, as Emotify's do).

    A clip without usable numbers (missing, negative, all zero) counts its label `y` as all of
    the votes, as many as the others' mean. Returns the votes and the number of such clips.

    Parameters
    ----------
    numbers : pd.DataFrame
        The labels CSV's numbers, aligned with `y`.
    by_class : dict
        Class -> the columns of its votes (:func:`vote_columns`).
    y : np.ndarray
        Each clip's label.
    voters : np.ndarray, optional
        Each clip's number of voters.
    """
    classes = list(by_class)
    votes = np.column_stack([numbers[list(cols)].to_numpy(dtype=np.float64).sum(axis=1) for cols in by_class.values()])
    if voters is not None:
        votes = votes * np.asarray(voters, dtype=np.float64)[:, None]
    usable = np.isfinite(votes).all(axis=1) & (votes >= 0).all(axis=1) & (votes.sum(axis=1) > 0)
    one_hot = np.asarray(y)[:, None] == np.asarray(classes)[None, :]
    typical = votes[usable].sum(axis=1).mean() if usable.any() else 1.0
    votes[~usable] = one_hot[~usable] * typical
    return votes, int((~usable).sum())
