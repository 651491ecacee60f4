"""A labelled dataset for the classifiers: a feature table joined with its labels."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from classify.foreign import ForeignFeatures, is_foreign, read_foreign
from classify.labels import (
    GROUP_ALIASES,
    VOTER_COLUMNS,
    LabelError,
    csv_labels,
    csv_numbers,
    echonest_labels,
    echonest_numbers,
    folder_labels,
    label_columns,
    vote_columns,
    vote_counts,
)
from classify.pipelines import LEARNS_VOTES
from featurize import fma
from featurize.features import FeatureSettings
from featurize.table import TableError, read_table
from moodclass.infra import DEFAULT_CACHE


@dataclass
class Dataset:
    """Features, labels and (optionally) groups of the labelled clips of a feature table."""

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    paths: list
    feature_columns: list
    settings: FeatureSettings
    table: Path
    table_metadata: dict
    messages: list = field(default_factory=list)
    targets: np.ndarray | None = None
    target_names: list | None = None
    #: Each clip's votes for each class (columns in sorted class order), or None.
    votes: np.ndarray | None = None
    #: Where the votes come from (CLASS=COLUMN+COLUMN,... [x VOTERS]), for the model's record.
    votes_source: str | None = None
    #: Each clip's length in seconds, where the table says (featurize's do), or None.
    durations: np.ndarray | None = None

    def n_folds(self, folds: int) -> int:
        """`folds`, or the number of groups where there are fewer groups than that."""
        return folds if self.groups is None else min(folds, len(set(self.groups)))


def combine(datasets: Sequence[Dataset], names: Sequence[str]) -> Dataset:
    """One :class:`Dataset` of the clips of several, made with the same extraction settings.

    Groups, where every part has them, are prefixed with the part's name so that two data
    sets never share a group; paths likewise.

    Parameters
    ----------
    datasets : sequence of Dataset
    names : sequence of str
        Each one's name, the prefix of its groups and paths.

    Returns
    -------
    Dataset
    """
    first = datasets[0]
    for d in datasets[1:]:
        if d.settings != first.settings or d.feature_columns != first.feature_columns:
            raise TableError(f"{d.table} was made with other settings than {first.table}: cannot combine them "
                             f"({'; '.join(first.settings.differences(d.settings))})")
    groups = None
    if all(d.groups is not None for d in datasets):
        groups = np.concatenate([[f"{n}:{g}" for g in d.groups] for d, n in zip(datasets, names)])
    y = np.concatenate([d.y for d in datasets])
    votes, source = None, None
    if any(d.votes is not None for d in datasets):
        classes = np.unique(y)
        votes = np.vstack([_votes_over(d, classes) for d in datasets])
        source = "; ".join(f"{n}: {d.votes_source or 'labels'}" for d, n in zip(datasets, names))
    durations = None
    if all(d.durations is not None for d in datasets):
        durations = np.concatenate([d.durations for d in datasets])
    return Dataset(np.vstack([d.X for d in datasets]), y, groups,
                   [f"{n}:{p}" for d, n in zip(datasets, names) for p in d.paths], first.feature_columns,
                   first.settings, Path(" + ".join(str(d.table) for d in datasets)), first.table_metadata,
                   [m for d in datasets for m in d.messages], votes=votes, votes_source=source, durations=durations)


def _votes_over(dataset: Dataset, classes: np.ndarray) -> np.ndarray:
    """`dataset`'s votes in columns of `classes`, scaled to a mean of one vote per clip so that
    the parts of :func:`combine` count alike; a part without votes counts each label as its one vote."""
    if dataset.votes is None:
        return (dataset.y[:, None] == classes[None, :]).astype(np.float64)
    own = np.unique(dataset.y)
    out = np.zeros((len(dataset.y), len(classes)))
    out[:, np.searchsorted(classes, own)] = dataset.votes / dataset.votes.sum(axis=1).mean()
    return out


def _without_label_columns(features: ForeignFeatures, labels_csv, label_column, messages: list) -> ForeignFeatures:
    """`features` without the columns the labels come from (a table's own valence may be its labels)."""
    try:
        used = label_columns(pd.read_csv(labels_csv, nrows=0).columns, label_column=label_column, where=labels_csv)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError, LabelError):
        return features  # csv_labels reports it
    return _without_columns(features, used, "the labels", messages)


def _without_columns(features: ForeignFeatures, used, what: str, messages: list) -> ForeignFeatures:
    """`features` without the columns named in `used` (any case), which `what` come from."""
    dropped = [c for c in features.names if c.lower() in {u.lower() for u in used}]
    if not dropped:
        return features
    messages.append(f"columns {what} come from, left out of the features: {', '.join(dropped)}")
    kept = tuple(c for c in features.names if c not in dropped)
    if not kept:
        raise TableError(f"{features.source}: its only numeric columns are {what}' ({', '.join(dropped)})")
    return ForeignFeatures(features.source, features.layout, kept)


def default_table(cache: str | Path = DEFAULT_CACHE) -> Path:
    """The most recently written table under ``cache/features``.

    Parameters
    ----------
    cache : str or Path

    Returns
    -------
    Path
    """
    tables = sorted(Path(cache, "features").glob("*.parquet"), key=lambda p: p.stat().st_mtime)
    if not tables:
        raise TableError(f"no feature table under {Path(cache, 'features')}/: run `python -m featurize FOLDER` "
                         "first, or name one with --features")
    return tables[-1]


def feature_columns(table: pd.DataFrame, settings: FeatureSettings) -> tuple[list[str], np.ndarray]:
    """The feature columns of `table` for `settings`, checked to be present and finite.

    Parameters
    ----------
    table : pd.DataFrame
    settings : FeatureSettings

    Returns
    -------
    columns : list of str
    X : np.ndarray [shape=(len(table), len(columns))]
    """
    columns = settings.columns()
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise TableError(f"the table lacks {len(missing)} feature columns its settings promise (e.g. {missing[0]})")
    values = table[columns].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        raise TableError(f"clips with NaN or infinite features: {int(bad.sum())} (e.g. {table['path'].iloc[np.flatnonzero(bad)[0]]}); "
                         "re-make the table with `python -m featurize`")
    return columns, values


def load_dataset(table_path: str | Path | None = None, *, labels: str | Path = "folder", label_column: str | None = None,
                 thresholds: tuple[float | None, float | None] = (None, None), metadata_dir: str | Path | None = None,
                 groups: str | None = None, min_per_class: int = 2, targets: Sequence[str] | None = None,
                 votes: str = "auto") -> Dataset:
    """Read a feature table and join labels (and groups) to its clips.

    Parameters
    ----------
    table_path : str or Path, optional
        Default :func:`default_table`.
    labels : str
        ``'folder'`` (parent folder names), ``'fma-echonest'`` (FMA's Echonest valence and
        energy), or the path of a CSV file (see :func:`classify.labels.csv_labels`).
    label_column : str, optional
        The CSV's class column.
    thresholds : (float or None, float or None)
        Valence and arousal thresholds for quadrant labels.
    metadata_dir : str or Path, optional
        FMA's ``fma_metadata`` folder; by default looked for beside the table's audio folder.
    groups : str, optional
        Column (of the labels CSV or the table; ``artist``, ``album``, ``genre`` are aliases)
        whose clips must stay in one fold.
    min_per_class : int
        Fewest clips a class needs (the number of CV folds).
    targets : sequence of str, optional
        Numeric columns of the labels CSV (e.g. valence, arousal) to keep as
        :attr:`Dataset.targets` for regression; clips without all of them are left out.
    votes : str
        Where each class's votes are in the labels CSV (:func:`classify.labels.vote_columns`:
        'auto', 'none', or 'CLASS=COLUMN+...,...'); with a ``listeners`` (voters, raters,
        annotators) column, fractions are multiplied by it (:func:`_votes`).

    Returns
    -------
    Dataset
    """
    table_path = Path(table_path) if table_path else default_table()
    table, settings, metadata, messages, metadata_dir = _read_features(table_path, labels, label_column, metadata_dir)
    columns, values = _values(table, settings)
    y, extra = _labels(table, labels, label_column, thresholds, metadata_dir, messages)
    labelled = y.notna().to_numpy()
    target_values = None
    if targets:
        target_values, labelled = _target_values(table, labels, targets, metadata_dir, labelled, messages)
    if not labelled.any():
        raise LabelError(f"no clip of {table_path} ({len(table)} clips) got a label; {messages[-1]}")
    if target_values is not None:
        constant = [t for t, column in zip(targets, target_values[labelled].T) if np.ptp(column) == 0]
        if constant:
            raise LabelError(f"--target {', '.join(constant)}: the same value for every labelled clip: nothing to learn "
                             "(an R² would mean nothing); choose columns that vary")
    if not labelled.all():
        messages.append(f"clips without a label, left out: {int((~labelled).sum())}")
    group_values = _group_values(extra, groups, columns, labelled, messages) if groups else None
    y = y[labelled].astype(str).to_numpy()
    classes = _check_classes(y, min_per_class, labels, messages)
    vote_values, source = None, None
    if votes != "none" and labels not in ("folder", "fma-echonest"):
        vote_values, source, narrowed = _vote_values(table, labels, votes, classes, labelled, y, settings, messages)
        if narrowed is not settings:
            settings = narrowed
            columns, values = _values(table, settings)
    elif votes not in ("none", "auto"):
        raise LabelError("--votes needs the votes in a labels CSV (--labels FILE.csv)")
    durations = table["duration"].to_numpy(dtype=np.float64)[labelled] if "duration" in table else None
    return Dataset(values[labelled], y, group_values, table["path"][labelled].tolist(), columns, settings,
                   table_path, metadata, messages,
                   None if target_values is None else target_values[labelled], list(targets) if targets else None,
                   vote_values, source, durations)


def _read_features(table_path, labels, label_column, metadata_dir):
    """The table, its settings and metadata, the first messages, and FMA's metadata folder."""
    if is_foreign(table_path):
        table, settings, messages = read_foreign(table_path)
        metadata = {"settings": settings.to_dict()}
        if isinstance(labels, (str, Path)) and str(labels).lower().endswith(".csv") and Path(labels).is_file():
            settings = _without_label_columns(settings, labels, label_column, messages)
        if metadata_dir is None:  # FMA's features.csv lies in fma_metadata, beside tracks.csv
            here = table_path.parent
            metadata_dir = here if (here / "tracks.csv").is_file() else fma.find_metadata(here)
        return table, settings, metadata, messages, metadata_dir
    table, metadata = read_table(table_path)
    settings = FeatureSettings.from_dict(metadata["settings"])
    messages = [f"features: {table_path} ({len(table)} clips, {len(settings.columns())} features)"]
    if metadata_dir is None and metadata.get("root"):
        metadata_dir = fma.find_metadata(metadata["root"])
    return table, settings, metadata, messages, metadata_dir


def _values(table, settings):
    """The feature columns' names and values: featurize's checked (:func:`feature_columns`), a
    foreign table's as they are."""
    if isinstance(settings, ForeignFeatures):
        return settings.columns(), table[settings.columns()].to_numpy(dtype=np.float64)
    return feature_columns(table, settings)


def _labels(table, labels, label_column, thresholds, metadata_dir, messages):
    """Each clip's label (None where it has none), and the table with the labels CSV's columns."""
    if labels not in ("folder", "fma-echonest") and Path(labels).is_dir():
        raise LabelError(f"--labels {labels}: a folder; give a CSV file of labels, or 'folder' for the clips' "
                         "parent folder names")
    if labels == "folder":
        y = folder_labels(table["path"])
        messages.append(f"labels: parent folder names ({int(y.notna().sum())} of {len(table)} clips in a folder)")
        return y, table
    if labels == "fma-echonest":
        y, msg = echonest_labels(table, metadata_dir, thresholds=thresholds)
        messages.append(msg)
        return y, table
    y, csv_extra, msg = csv_labels(table, labels, label_column=label_column, thresholds=thresholds)
    messages.append(msg)
    return y, pd.concat([table.drop(columns=[c for c in csv_extra.columns if c in table.columns]), csv_extra], axis=1)


def _target_values(table, labels, targets, metadata_dir, labelled, messages):
    """The `targets`' values of every clip, and the labelled clips that have all of them."""
    if labels == "folder":
        raise LabelError("--target needs numeric labels: a CSV with those columns (--labels FILE.csv), or "
                         "--labels fma-echonest with --target valence,energy")
    if labels == "fma-echonest":
        numbers, msg = echonest_numbers(table, metadata_dir, targets)
    else:
        numbers, msg = csv_numbers(table, labels, targets)
    messages.append(msg)
    finite = np.isfinite(numbers.to_numpy()).all(axis=1)
    if (labelled & ~finite).any():
        messages.append(f"clips without a number for every target, left out: {int((labelled & ~finite).sum())}")
    return numbers.to_numpy(), labelled & finite


def _group_values(extra, groups, columns, labelled, messages):
    """Each labelled clip's group, from the column `groups` (or its alias) of the table or labels."""
    name = groups if groups in extra.columns else GROUP_ALIASES.get(groups, groups)
    if name not in extra.columns:
        raise LabelError(f"--groups {groups}: no such column in the labels or the table "
                         f"(have: {', '.join(c for c in extra.columns if c not in columns)})")
    g = extra[name].astype(object).to_numpy()[labelled]
    missing = pd.isna(g)
    if missing.any():
        # A clip with no group value is a group of its own.
        g[missing] = [f"__missing_{i}" for i in range(int(missing.sum()))]
        messages.append(f"clips without a '{name}' value, each its own group: {int(missing.sum())}")
    group_values = g.astype(str)
    messages.append(f"groups: '{name}', {len(set(group_values))} groups")
    return group_values


def _check_classes(y, min_per_class, labels, messages):
    """The classes of `y`, refused where there is one or one has fewer clips than the folds."""
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise LabelError(f"only one class ({classes[0]}) among the labelled clips: nothing to classify")
    small = [f"{c} ({n})" for c, n in zip(classes, counts) if n < min_per_class]
    if small:
        hint = " (labels from folder names: is --labels missing?)" if labels == "folder" else ""
        raise LabelError(f"classes with fewer clips than the {min_per_class} folds: {', '.join(small[:5])}"
                         f"{f' and {len(small) - 5} more' if len(small) > 5 else ''}{hint}; "
                         "use fewer --folds or more data")
    messages.append("classes: " + ", ".join(f"{c} {n}" for c, n in zip(classes, counts)))
    return classes


def _vote_values(table, labels, votes, classes, labelled, y, settings, messages):
    """The labelled clips' votes for each class (None where the CSV has none), where they come
    from, and the settings less a foreign table's own vote columns (labels, not features)."""
    csv_columns = pd.read_csv(labels, nrows=0).columns  # csv_labels has read the whole file already
    by_class = vote_columns(csv_columns, classes.tolist(), spec=votes, where=labels)
    if not by_class:
        return None, None, settings
    voters = next((c for c in VOTER_COLUMNS if c in csv_columns), None)
    vote_values, source, message = _votes(table, labels, by_class, voters, labelled, y)
    messages.append(message)
    if isinstance(settings, ForeignFeatures):
        used = {c for cols in by_class.values() for c in cols} | ({voters} if voters else set())
        settings = _without_columns(settings, used, "the votes", messages)
    return vote_values, source, settings


def _votes(table, labels_csv, by_class, voters, labelled, y) -> tuple[np.ndarray, str, str]:
    """The labelled clips' votes (:func:`classify.labels.vote_counts`), where they come from, and a message.

    Vote columns that hold fractions (every value within 0-1) are shares of the clip's voters
    and, where the CSV has a column `voters` (how many voted), are multiplied by it.
    """
    needed = list(dict.fromkeys(col for cols in by_class.values() for col in cols))
    numbers, _ = csv_numbers(table, labels_csv, needed + ([voters] if voters else []))
    numbers = numbers[labelled].reset_index(drop=True)
    fractions = bool(((numbers[needed] >= 0) & (numbers[needed] <= 1) | numbers[needed].isna()).all(axis=None))
    times = voters if voters and fractions else None
    votes, fallback = vote_counts(numbers, by_class, y, voters=None if times is None else numbers[times].to_numpy())
    source = ",".join(f"{c}={'+'.join(cols)}" for c, cols in by_class.items()) + (f" x {times}" if times else "")
    agree = float(np.mean(np.asarray(list(by_class))[votes.argmax(axis=1)] == y))
    message = (f"votes: {source} of {labels_csv} (learnt by {', '.join(LEARNS_VOTES)}); the most voted class is the "
               f"clip's label for {agree:.0%} of clips" + (f"; {fallback} clips without votes count their label" if fallback else ""))
    return votes, source, message
