"""Feature tables computed elsewhere: FMA's ``features.csv``, Spotify-style audio features, any numeric table.

``classify --features FILE`` takes, besides featurize's own Parquet tables, a CSV (comma,
semicolon as openSMILE writes, or tab separated) or Parquet file of features someone else
computed: its numeric columns are the features, and an id or path column finds each row's labels. A model trained on them says so
(:class:`ForeignFeatures`), takes only tables with the same columns, and refuses audio,
whose features it cannot compute.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from classify.labels import PATH_COLUMNS
from featurize.table import TableError, is_feature_table

#: Columns that name a row rather than describe its sound; the first found is the row's id.
ROW_ID_COLUMNS = PATH_COLUMNS + ("track_id", "id", "track", "uri", "track_uri", "spotify_id", "song_id", "name")
#: Columns never taken as features even when numeric: time stamps and positions, not sound.
NOT_FEATURES = ("index", "unnamed: 0", "year", "popularity", "frametime")


@dataclass(frozen=True)
class ForeignFeatures:
    """What a model trained on a foreign table expects: that table's kind and feature columns.

    Stands where :class:`featurize.features.FeatureSettings` stands for featurize's tables
    (``to_dict``, ``differences``, ``column_families``).
    """

    source: str
    layout: str
    names: tuple

    def to_dict(self) -> dict:
        return {"foreign": True, "source": self.source, "layout": self.layout, "names": list(self.names)}

    @classmethod
    def from_dict(cls, d: dict) -> "ForeignFeatures":
        return cls(d["source"], d["layout"], tuple(d["names"]))

    def differences(self, other) -> list[str]:
        """How `other` (settings or foreign features) differs, for an error message.

        Parameters
        ----------
        other : ForeignFeatures or FeatureSettings

        Returns
        -------
        list of str
        """
        if not isinstance(other, ForeignFeatures):
            return [f"features from {self.source} ({self.layout}) vs features computed by featurize"]
        missing = [c for c in self.names if c not in other.names]
        out = [f"{len(missing)} of the model's columns missing (e.g. {missing[0]})"] if missing else []
        if not missing and list(self.names) != list(other.names):
            out.append("the same columns in another order")
        return out

    def columns(self) -> list[str]:
        return list(self.names)

    def column_families(self):
        """None: every foreign column is weighed as a family of its own."""
        return None


def is_foreign(path: str | Path) -> bool:
    """Whether `path` names a table not made by featurize (a CSV, or a Parquet file without its settings).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    bool
    """
    path = Path(path)
    if path.suffix.lower() in (".csv", ".tsv"):
        return True
    if path.suffix.lower() != ".parquet" or not path.is_file():
        return False
    with open(path, "rb") as f:
        parquet = f.read(4) == b"PAR1"
    return parquet and not is_feature_table(path)  # a damaged table of ours is reported as such


def read_foreign(path: str | Path, *, drop_incomplete: bool = True) -> tuple[pd.DataFrame, ForeignFeatures, list[str]]:
    """A foreign feature table: its rows with ``path`` (and ``track_id``) first, its features, notes.

    FMA's ``features.csv`` (three header rows: feature, statistics, number; track ids first)
    gets columns ``feature_statistics_number`` and ``track_id``; any other CSV or Parquet file
    gets its first id column (:data:`ROW_ID_COLUMNS`) as ``path``, and every other numeric column
    as a feature. Rows with a missing or infinite feature value are left out, and said so
    (with ``drop_incomplete=False`` they stay, for the caller to report each one).

    Parameters
    ----------
    path : str or Path
    drop_incomplete : bool
        Leave out rows with a missing or infinite value (False: keep them, for predict to answer).

    Raises
    ------
    TableError
        With one line saying what is wrong with the file: unreadable, no rows, no id or
        numeric column, or two rows with one id (which of them would the labels belong to?).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such feature table")
    try:
        if path.suffix.lower() == ".parquet":
            df, layout = pd.read_parquet(path), "table"
        elif _is_fma_features(path):
            df, layout = pd.read_csv(path, index_col=0, header=[0, 1, 2], low_memory=False), "fma-features"
            df.columns = ["_".join(map(str, c)) for c in df.columns]
            ids = pd.to_numeric(df.index, errors="coerce")
            df = df[~np.isnan(ids)]
            df.insert(0, "track_id", ids[~np.isnan(ids)].astype(int))
        else:
            df, layout = pd.read_csv(path, sep=_delimiter(path), low_memory=False), "table"
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError, ValueError, OSError) as err:
        raise TableError(f"{path}: not a readable feature table ({err})") from None
    lower = {c.lower(): c for c in df.columns}
    id_col = next((lower[c] for c in ROW_ID_COLUMNS if c in lower), None)
    if id_col is None:
        raise TableError(f"{path}: no column naming the rows (one of {', '.join(ROW_ID_COLUMNS[:7])}, ...): labels could "
                         "not be joined to them")
    table = pd.DataFrame({"path": df[id_col].astype(str).str.strip("'\"").to_numpy()})  # openSMILE quotes names
    if "track_id" in lower:
        table["track_id"] = pd.array(pd.to_numeric(df[lower["track_id"]], errors="coerce"), dtype="Int64")
    skip = {id_col, lower.get("track_id")} | {lower[c] for c in NOT_FEATURES if c in lower}
    names = [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])
             and not pd.api.types.is_bool_dtype(df[c])]
    if table.empty:
        raise TableError(f"{path}: the table has no rows")
    if not names:
        raise TableError(f"{path}: no numeric feature columns")
    twice = table["path"][table["path"].duplicated()].unique()
    if len(twice):
        raise TableError(f"{path}: {len(twice)} ids name more than one row (e.g. {twice[0]!r} in column '{id_col}'): "
                         "give each row its own id")
    values = df[names].to_numpy(dtype=np.float64)
    finite = np.isfinite(values).all(axis=1)
    notes = [f"features: {path} ({layout}, {len(df)} rows, {len(names)} numeric columns, rows named by '{id_col}')"]
    if not finite.all() and drop_incomplete:
        notes.append(f"rows with a missing or infinite feature, left out: {int((~finite).sum())}")
    table = pd.concat([table, pd.DataFrame(values, columns=[str(c) for c in names])], axis=1)
    if drop_incomplete:
        table = table[finite].reset_index(drop=True)
    table.attrs["id_column"] = id_col  # a labels CSV may name the rows by the same column
    return table, ForeignFeatures(path.name, layout, tuple(str(c) for c in names)), notes


def _delimiter(path: Path) -> str:
    """The CSV's field separator, from its first line: ',' (pandas, Spotify), ';' (openSMILE) or a tab."""
    with open(path, encoding="utf-8", errors="replace") as f:
        first = f.readline()
    return max([",", ";", "\t"], key=first.count)


def _is_fma_features(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as f:
        heads = [f.readline().split(",", 1)[0].strip().lower() for _ in range(3)]
    return heads == ["feature", "statistics", "number"]
