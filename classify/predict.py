"""Moods of audio files (or of the clips of a feature table) with a trained model."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from classify.dataset import feature_columns
from classify.foreign import is_foreign, read_foreign
from classify.labels import display_name
from classify.model import MoodModel, SettingsMismatchError
from featurize.analysis import DEFAULT_MIN_DURATION
from featurize.audio import AUDIO_EXTENSIONS, audio_under
from featurize.features import FeatureSettings
from featurize.table import read_table
from featurize.workers import analyse_files
from moodclass.errors import NoAudioError, UsageError
from moodclass.infra import path_text


@dataclass
class Predictions:
    """What :func:`predict_paths` found.

    Attributes
    ----------
    files : pd.DataFrame
        One row per clip, in the order asked (a folder's clips sorted): ``path``, ``duration``
        (seconds), ``windows`` (how many windows of the model's clip length the answer is the
        mean of; 1: the file judged whole), ``mood`` (None where it failed), ``error`` (None
        where it worked), one
        ``p_CLASS`` probability column per class and, for a quadrant model, ``valence`` and
        ``arousal`` (:func:`classify.labels.valence_arousal`).
    timeline : pd.DataFrame or None
        With windows asked for: one row per window of each clip, ``path``, ``start``, ``end``
        (seconds) and the columns of `files` from ``mood`` on.
    skipped : list of Path
        Files inside the folders given that were passed over for their ending.
    classes : list of str
    """

    files: pd.DataFrame
    timeline: pd.DataFrame | None
    skipped: list
    classes: list


#: The shortest step between --timeline windows, seconds: a bound on the analyses a file costs.
MIN_HOP = 0.5


def predict_paths(model: MoodModel, paths: Sequence[str | Path], *, n_jobs: int | None = None,
                  min_duration: float = DEFAULT_MIN_DURATION, progress: bool = True,
                  timeline: tuple[float, float] | None = None, whole_files: bool = False) -> Predictions:
    """Predict the mood of every audio file under `paths`; ``.parquet`` paths are feature tables.

    Audio is analysed with exactly the model's extraction settings. A feature table must
    have been made with them, or :class:`classify.model.SettingsMismatchError` is raised.
    A path that does not exist, or a file named whose ending is not an audio one, gets a row
    with its error; the others are classified all the same.

    A file much longer than the clips the model learnt from (more than
    :data:`featurize.analysis.SONG_FACTOR` times :attr:`MoodModel.clip_seconds`: a 3-minute song
    for a model of 30-s clips) is judged as such clips: its answer is the mean of the
    probabilities of windows of that length every half of it (column ``windows``: how many; 1
    where the file was judged whole).

    Parameters
    ----------
    timeline : (float, float), optional
        Also predict the mood of windows of this length and hop, seconds, from the same decode
        and intermediates as the whole file (:func:`featurize.features.window_features`).
        Windows shorter than `min_duration` are refused, as are feature tables (they hold one
        row per clip).
    whole_files : bool
        Judge every file from its whole length, however long.

    Returns
    -------
    Predictions
    """
    if timeline:
        _check_timeline(*timeline, min_duration=min_duration)
    entries, skipped = _entries(model, paths, timeline=timeline)
    if not entries:
        raise NoAudioError(f"no audio files under {', '.join(map(str, paths))}")
    files = list(dict.fromkeys(e for e in entries if isinstance(e, Path)))
    song_window = None if whole_files else model.clip_seconds
    records = dict(analyse_files(files, model.settings, min_duration=min_duration, n_jobs=n_jobs,
                                 progress=progress, windows=timeline, song_window=song_window)) if files else {}
    done = [f for f in files if "error" not in records[f]]
    predicted = _predicted_files(model, done, records) if done else {}
    rows = [e if isinstance(e, dict) else predicted.get(e) or {"path": path_text(e), "mood": None, "error": records[e]["error"]}
            for e in entries]
    columns = ["path", "duration", "windows", "mood", "error"] + model.output_columns()[1:]
    windows = _window_rows(model, done, records, columns) if timeline else None
    return Predictions(pd.DataFrame(rows, columns=columns), windows, skipped, list(model.classes))


def _check_timeline(window: float, hop: float, *, min_duration: float) -> None:
    """Refuse windows shorter than the shortest clip analysed, or a hop below :data:`MIN_HOP`."""
    if window < min_duration:
        raise UsageError(f"--timeline {window:g}: windows must last at least {min_duration:g} s, the shortest "
                         "clip the model's features are computed on (--min-duration)")
    if not hop >= MIN_HOP:
        raise UsageError(f"--hop {hop:g}: give {MIN_HOP:g} s or more (a window every {MIN_HOP:g} s is already "
                         f"{1 / MIN_HOP:g} analyses a second of audio)")


def _entries(model: MoodModel, paths, *, timeline) -> tuple[list, list]:
    """What each path gives, in order: finished rows (dicts: a table's rows, errors) and audio
    files to analyse (Paths); and the files passed over in folders, not audio by their ending."""
    entries, skipped = [], []
    for given in paths:
        if is_foreign(given) and Path(given).is_file():
            entries += _foreign_rows(model, given)
            continue
        if str(given).endswith(".parquet"):
            if timeline:
                raise UsageError(f"{given}: --timeline needs audio; a feature table holds one row per clip")
            table, metadata = read_table(given)
            settings = FeatureSettings.from_dict(metadata["settings"])
            model.check_settings(settings)
            _, X = feature_columns(table, settings)
            entries += _rows(model, X, settings, path=table["path"].tolist(),
                             duration=table["duration"].tolist(), windows=[1] * len(table))
            continue
        if not model.takes_audio:
            raise UsageError(f"{given}: the model was trained on features computed elsewhere "
                             f"({model.settings.source}) and cannot compute them from audio; give a CSV or Parquet "
                             "table with the same columns")
        try:
            found, passed_over, unreadable = audio_under(given)
        except FileNotFoundError:
            entries.append({"path": path_text(given), "mood": None, "error": "no such file or folder"})
            continue
        if Path(given).is_dir():
            skipped += passed_over
        else:
            entries += [{"path": path_text(f), "mood": None, "error": f"not an audio file by its ending ('{f.suffix}'); "
                         f"endings read: {', '.join(sorted(AUDIO_EXTENSIONS))}"} for f in passed_over]
        entries += found
        entries += [{"path": path_text(d), "mood": None, "error": "cannot read this folder: permission denied or a read "
                     "error; its files were not classified"} for d in unreadable]
    return entries, skipped


def _predicted_files(model: MoodModel, done: list, records: dict) -> dict:
    """Each analysed file's row: from the whole file's features, or the mean answer of its windows'."""
    features = [np.array([records[f]["values"]]) if records[f]["values"] is not None
                else np.array(records[f]["song_windows"]["values"]) for f in done]
    given = pd.DataFrame({"path": [path_text(f) for f in done], "duration": [records[f]["duration"] for f in done],
                          "windows": [len(x) for x in features]})
    moods = model.predict_songs(features, model.settings)
    return dict(zip(done, pd.concat([given, moods], axis=1).assign(error=None).to_dict("records")))


def _window_rows(model: MoodModel, done: list, records: dict, columns: list) -> pd.DataFrame:
    """The ``--timeline`` rows: every window of every analysed file, in file and time order."""
    parts, order = [], {path_text(f): i for i, f in enumerate(done)}
    for f in done:
        w = records[f]["windows"]
        parts += _rows(model, np.array(w["values"]), model.settings, path=[path_text(f)] * len(w["start"]),
                       start=w["start"], end=w["end"])
        parts += [{"path": path_text(f), "start": a, "end": b, "mood": None, "error": why} for a, b, why in w["failed"]]
    parts.sort(key=lambda r: (order[r["path"]], r["start"]))
    return pd.DataFrame(parts, columns=["path", "start", "end"] + columns[3:])


def _foreign_rows(model: MoodModel, path) -> list[dict]:
    """Prediction rows of a foreign feature table (:mod:`classify.foreign`)."""
    if model.takes_audio:
        raise SettingsMismatchError(f"{path}: features computed elsewhere; the model was trained on featurize's "
                                    "and refuses them (train one on this kind of table: classify train --features FILE)")
    table, features, _ = read_foreign(path, drop_incomplete=False)
    missing = [c for c in model.feature_columns if c not in features.names]
    if missing:
        raise SettingsMismatchError(f"{path} lacks {len(missing)} of the model's feature columns (e.g. {missing[0]}): "
                                    "the model refuses it")
    X = table[model.feature_columns].to_numpy(dtype=np.float64)
    finite = np.isfinite(X).all(axis=1)
    rows = _rows(model, X[finite], model.settings, path=table["path"][finite].tolist(),
                 duration=[np.nan] * int(finite.sum()), windows=[1] * int(finite.sum())) if finite.any() else []
    answers = iter(rows)  # every row in, in its order: its answer, or why it has none
    return [next(answers) if ok else
            {"path": p, "mood": None, "error": "a missing or infinite feature value "
             f"(first in {model.feature_columns[int(np.flatnonzero(~np.isfinite(x))[0])]}): not classified"}
            for p, ok, x in zip(table["path"], finite, X)]


def _rows(model, X, settings, **columns):
    """Prediction rows: the given `columns` (lists), then error and the model's outputs."""
    moods = model.predict_moods(X, settings)
    given = pd.DataFrame(columns)
    return pd.concat([given, moods], axis=1).assign(error=None).to_dict("records")


def format_predictions(predictions: Predictions, fmt: str) -> str:
    """Predictions as text: ``table`` for people, ``csv`` or ``json`` for programs.

    With a timeline, ``csv`` gives each file's row (``scope`` 'file') followed by its windows'
    (``scope`` 'window'), ``json`` a ``timeline`` list in each file's record, and ``table``
    a block of windows under the files.
    """
    files, windows, classes = predictions.files, predictions.timeline, predictions.classes
    if fmt == "csv":
        if windows is None:
            return files.to_csv(index=False, float_format="%.4f").rstrip("\n")
        whole = files.assign(scope="file", start=0.0, end=files["duration"]).drop(columns="duration")
        parts = whole.assign(order=np.arange(len(whole)), sub=-1)
        order = dict(zip(files["path"], range(len(files))))
        parts = pd.concat([parts, windows.assign(scope="window", order=windows["path"].map(order),
                                                 sub=np.arange(len(windows)))])
        parts = parts.sort_values(["order", "sub"], kind="stable")
        columns = ["path", "scope", "start", "end"] + [c for c in whole.columns if c not in ("path", "scope", "start", "end")]
        return parts[columns].to_csv(index=False, float_format="%.4f").rstrip("\n")
    if fmt == "json":
        by_path = {} if windows is None else {p: w for p, w in windows.groupby("path", sort=False)}
        records = []
        for r in files.to_dict("records"):
            records.append(_json_record(r, classes))
            if r["path"] in by_path:
                records[-1]["timeline"] = [_json_record(w, classes) for w in
                                           by_path[r["path"]].drop(columns="path").to_dict("records")]
        return json.dumps(records, indent=2)
    return _text_table(files, classes) + ("" if windows is None else "\n\n" + _text_timeline(windows, classes))


def _json_record(r: dict, classes) -> dict:
    failed = pd.isna(r["mood"])
    rec = {k: r[k] for k in ("path", "start", "end", "duration") if k in r and not pd.isna(r[k])}
    if not pd.isna(r.get("windows")):
        rec["windows"] = int(r["windows"])
    rec.update(mood=None if failed else r["mood"], error=r["error"] if failed else None)
    if not failed:
        if classes:
            rec["probabilities"] = {c: round(r[f"p_{c}"], 4) for c in classes}
        rec.update({k: round(r[k], 4) for k in r if k in ("valence", "arousal") or k.startswith("rating_")})
        if "music_like" in r:
            distance = r.get("music_distance")
            rec.update(music_distance=None if pd.isna(distance) else round(distance, 4), music_like=r["music_like"])
    return rec


def _numbers(df: pd.DataFrame) -> list[str]:
    """Columns shown after the probabilities: valence, arousal and a regressor's ratings."""
    return [c for c in df.columns if c in ("valence", "arousal") or c.startswith("rating_")]


def _cells(r: dict, classes, numbers) -> str:
    like = r.get("music_like")
    return (f"{display_name(r['mood']):22s}" + "".join(f"{r[f'p_{c}']:8.2f}" for c in classes)
            + "".join(f"{r[c]:+{max(9, len(c) + 2)}.2f}" for c in numbers)
            + ("" if like in (None, "music", "unknown") else f"  {like.upper()}"))


def _header(classes, numbers) -> str:
    return f"{'mood':22s}" + "".join(f"{c:>8s}" for c in classes) + "".join(f"{c:>{max(9, len(c) + 2)}s}" for c in numbers)


def _text_table(files: pd.DataFrame, classes) -> str:
    numbers = _numbers(files)
    width = min(60, max(len(p) for p in files["path"]))
    lines = [f"{'file':{width}s}  " + _header(classes, numbers)]
    for r in files.to_dict("records"):
        path = r["path"] if len(r["path"]) <= width else "…" + r["path"][-(width - 1):]
        if pd.isna(r["mood"]):
            lines.append(f"{path:{width}s}  ERROR: {r['error']}")
        else:
            lines.append(f"{path:{width}s}  " + _cells(r, classes, numbers))
    flagged = files["music_like"].isin(["uncertain", "not music-like"]).sum() if "music_like" in files else 0
    if flagged:
        lines.append(f"{flagged} of {len(files)} files are UNCERTAIN or NOT MUSIC-LIKE: unlike the music the model "
                     "learnt from (speech, noise, tones, ...); their moods mean little")
    return "\n".join(lines)


def _text_timeline(windows: pd.DataFrame, classes) -> str:
    numbers = _numbers(windows)
    blocks = []
    for path, w in windows.groupby("path", sort=False):
        lines = [f"{path}:", f"  {'window':13s}  " + _header(classes, numbers)]
        for r in w.to_dict("records"):
            span = f"{_clock(r['start'])}-{_clock(r['end'])}"
            lines.append(f"  {span:13s}  " + (f"ERROR: {r['error']}" if pd.isna(r["mood"]) else _cells(r, classes, numbers)))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _clock(seconds: float) -> str:
    """``m:ss`` of a time in seconds."""
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"
