"""Moods of audio files (or of the clips of a feature table) with a trained model."""

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from classify.dataset import feature_columns
from classify.labels import display_name
from classify.model import MoodModel
from featurize.audio import AUDIO_EXTENSIONS, audio_under
from featurize.features import FeatureSettings
from featurize.table import read_table
from featurize.workers import DEFAULT_MIN_DURATION, analyse_files


def predict_paths(model: MoodModel, paths: Sequence[str | Path], jobs: int | None = None,
                  min_duration: float = DEFAULT_MIN_DURATION, progress: bool = True) -> tuple[pd.DataFrame, list[Path]]:
    """Predict the mood of every audio file under `paths`; ``.parquet`` paths are feature tables.

    Audio is analysed with exactly the model's extraction settings. A feature table must
    have been made with them, or :class:`classify.model.SettingsMismatchError` is raised.
    A path that does not exist, or a file named whose ending is not an audio one, gets a row
    with its error; the others are classified all the same.

    Returns
    -------
    df : pd.DataFrame
        One row per clip, in the order of `paths` (a folder's clips sorted): ``path``,
        ``mood`` (None where it failed), ``error`` (None where it worked) and one ``p_CLASS``
        probability column per class.
    skipped : list of Path
        Files inside the folders given that were passed over for their ending.
    """
    entries, skipped = [], []  # entries: a finished row (dict), or a Path to analyse
    for given in paths:
        if str(given).endswith(".parquet"):
            table, metadata = read_table(given)
            settings = FeatureSettings.from_dict(metadata["settings"])
            model.check_settings(settings)
            _, X = feature_columns(table, settings)
            entries += _rows(model, table["path"].tolist(), model.predict_proba(X, settings))
            continue
        try:
            found, passed_over = audio_under(given)
        except FileNotFoundError:
            entries.append({"path": str(given), "mood": None, "error": "no such file or folder"})
            continue
        if Path(given).is_dir():
            skipped += passed_over
        else:
            entries += [{"path": str(f), "mood": None, "error": f"not an audio file by its ending ('{f.suffix}'); "
                         f"endings read: {', '.join(sorted(AUDIO_EXTENSIONS))}"} for f in passed_over]
        entries += found
    if not entries:
        raise FileNotFoundError(f"no audio files under {', '.join(map(str, paths))}")
    files = list(dict.fromkeys(e for e in entries if isinstance(e, Path)))
    records = dict(analyse_files(files, model.settings, min_duration, jobs, progress)) if files else {}
    done = [f for f in files if "error" not in records[f]]
    proba = {}
    if done:
        X = np.array([records[f]["values"] for f in done])
        proba = dict(zip(done, _rows(model, [str(f) for f in done], model.predict_proba(X, model.settings))))
    rows = [e if isinstance(e, dict) else proba.get(e) or {"path": str(e), "mood": None, "error": records[e]["error"]}
            for e in entries]
    columns = ["path", "mood", "error"] + [f"p_{c}" for c in model.classes]
    return pd.DataFrame(rows, columns=columns), skipped


def _rows(model, paths, proba):
    classes = np.array(model.classes)
    return [{"path": p, "mood": classes[np.argmax(pr)], "error": None,
             **{f"p_{c}": float(v) for c, v in zip(classes, pr)}} for p, pr in zip(paths, proba)]


def format_predictions(df: pd.DataFrame, fmt: str, classes: Sequence[str]) -> str:
    """Predictions as text: ``table`` for people, ``csv`` or ``json`` for programs."""
    if fmt == "csv":
        return df.to_csv(index=False, float_format="%.4f").rstrip("\n")
    if fmt == "json":
        records = []
        for r in df.to_dict("records"):
            failed = pd.isna(r["mood"])
            rec = {"path": r["path"], "mood": None if failed else r["mood"], "error": r["error"] if failed else None}
            if not failed:
                rec["probabilities"] = {c: round(r[f"p_{c}"], 4) for c in classes}
            records.append(rec)
        return json.dumps(records, indent=2)
    width = min(60, max(len(p) for p in df["path"]))
    head = f"{'file':{width}s}  {'mood':22s}" + "".join(f"{c:>8s}" for c in classes)
    lines = [head]
    for r in df.to_dict("records"):
        path = r["path"] if len(r["path"]) <= width else "…" + r["path"][-(width - 1):]
        if pd.isna(r["mood"]):
            lines.append(f"{path:{width}s}  ERROR: {r['error']}")
        else:
            lines.append(f"{path:{width}s}  {display_name(r['mood']):22s}" + "".join(f"{r[f'p_{c}']:8.2f}" for c in classes))
    return "\n".join(lines)
