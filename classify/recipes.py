"""Recipes of the shipped model and their honest evaluation.

A recipe says which labelled sources a four-quadrant model learns from, its classifier and
how its probabilities are calibrated. The sources:

- ``4q``: the development half of 4Q (datasets/4q.md), 450 clips labelled by AllMusic's
  experts, balanced over the quadrants; the music the model is judged on.
- ``emotify``: Emotify's 400 clips (datasets/emotify.md), quadrants of listeners' felt emotions.
- ``mirexlike``: the 593 MIREX-like clips whose AllMusic mood word norms place in a quadrant
  (datasets/mirexlike.md).

Two measures, neither of which ever tests a model on a clip, or an artist, it learnt from:

- :func:`grouped_cv`: repeated artist-grouped k-fold over the 4Q half. The recipe's other
  sources join every training fold, less their clips by an artist of the test fold (names
  compared as sets of words: "Brown, Ruth" is "Ruth Brown").
- :func:`leave_one_source_out`: for each source, the recipe trained on its other sources
  (or, for a source it does not use, on all of them) and tested on that one.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import VotingClassifier
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from classify.dataset import Dataset, combine, load_dataset
from classify.evaluate import out_of_fold_predictions, score_predictions
from classify.model import MoodModel
from classify.pipelines import LEARNS_VOTES, make_classifier
from classify.predict import predict_paths
from featurize.features import FeatureSettings
from featurize.run import featurize
from moodclass.infra import DEFAULT_CACHE, atomic_write

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
#: The sources, in the order of the reports.
SOURCES = ("4q", "emotify", "mirexlike")


@dataclass(frozen=True)
class Recipe:
    """What a shipped model is made of.

    Attributes
    ----------
    name : str
    sources : tuple of str
        From :data:`SOURCES`.
    classifier : str
        A name of :data:`classify.pipelines.CLASSIFIERS`.
    calibration : {'temperature', 'sigmoid', None}
        How its probabilities are calibrated, on 5 inner folds of each training set
        (:class:`sklearn.calibration.CalibratedClassifierCV`); None: the classifier's own
        probabilities (the SVMs' Platt-scaled).
    votes : bool
        Whether ``krr`` learns from Emotify's listeners' votes (each clip's shares; a clip of
        another source is one vote for its label) rather than from the labels alone. The
        votes reach it through the soft vote and the calibration's inner folds by
        scikit-learn's metadata routing (:func:`fit_params`).
    """

    name: str
    sources: tuple
    classifier: str
    calibration: str | None = None
    votes: bool = False

    def describe(self) -> str:
        return (f"{self.classifier} on {' + '.join(self.sources)}"
                f"{f', {self.calibration}-calibrated' if self.calibration else ''}"
                f"{', krr learning from Emotify votes' if self.votes else ''}")


#: The baseline the shipped model is measured against: the ensemble on Emotify and MIREX-like by word norms.
BEFORE = Recipe("before", ("emotify", "mirexlike"), "ensemble")
#: The model that ships (classify/shipped/train_default.py): see the README's model card.
SHIPPED = Recipe("shipped", ("4q", "emotify"), "svm_lda+krr", "temperature", votes=True)


def artist_key(name) -> str:
    """An artist's name as a set of lower-case words, so that "Brown, Ruth" is "Ruth Brown"."""
    return " ".join(sorted(re.findall(r"[a-z0-9]+", str(name).lower())))


def load_sources(names: Sequence[str] = SOURCES, *, cache: str | Path = DEFAULT_CACHE, progress: bool = True) -> dict:
    """The labelled sources `names` as :class:`~classify.dataset.Dataset` objects, featurized
    with the default settings first where their tables are missing or out of date.

    Groups are artists (:func:`artist_key`); Emotify, which names none, has a group per clip.
    A source whose audio is missing raises :class:`FileNotFoundError` naming where to get it.

    Parameters
    ----------
    names : sequence of str
        From :data:`SOURCES`.
    cache : str or Path
        Where the feature tables are (``cache/features``).
    progress : bool
        Show featurize's progress bar.

    Returns
    -------
    dict
        Name -> Dataset.
    """
    settings = FeatureSettings()
    tables = Path(cache) / "features"
    out = {}
    for name in names:
        audio, labels, guide = _SOURCE_FILES[name]
        if not Path(audio).is_dir():
            raise FileNotFoundError(f"{audio}: no audio of source {name!r}; see {guide} to get it")
        table = tables / f"{name}.parquet"
        featurize([audio], output=table, settings=settings, progress=progress)
        if name == "mirexlike":
            labels = mirexlike_quadrant_labels(labels, Path(cache) / "labels" / "mirexlike-quadrants.csv")
        data = load_dataset(table, labels=labels, groups=None if name == "emotify" else "artist",
                            votes="auto" if name == "emotify" else "none")
        data.groups = (np.array([f"emotify:{p}" for p in data.paths]) if data.groups is None
                       else np.array([artist_key(g) for g in data.groups]))
        out[name] = data
    return out


def mirexlike_quadrant_labels(labels_csv, out) -> Path:
    """Write ``path,quadrant,artist`` for the MIREX-like clips whose mood has a quadrant
    (datasets/mirexlike_quadrants.csv); returns `out`."""
    clips = pd.read_csv(labels_csv)
    mapping = pd.read_csv(ROOT / "datasets" / "mirexlike_quadrants.csv").dropna(subset=["quadrant"])
    labelled = clips.merge(mapping[["category", "quadrant"]], on="category")[["path", "quadrant", "artist"]]
    atomic_write(out, lambda tmp: labelled.to_csv(tmp, index=False))
    return Path(out)


_SOURCE_FILES = {
    # name: (audio folder, labels CSV, where to read how to get the audio)
    "4q": (ROOT / "data" / "4q", SHARED / "4q" / "labels.csv", "datasets/4q.md"),
    "emotify": (SHARED / "emotify" / "audio", SHARED / "emotify" / "labels.csv", "datasets/emotify.md"),
    "mirexlike": (ROOT / "data" / "mirexlike" / "dataset" / "Audio", SHARED / "mirexlike" / "labels.csv",
                  "datasets/mirexlike.md"),
}


def make_estimator(recipe: Recipe, families: Sequence[str], *, random_state: int = 0):
    """The recipe's unfitted estimator: the classifier's Pipeline (:func:`classify.pipelines.make_classifier`),
    calibrated as the recipe says; it has ``predict_proba``. Classifiers joined by ``+``
    (``'svm_lda+krr'``) are each calibrated, and their probabilities averaged (a soft vote).

    Parameters
    ----------
    recipe : Recipe
    families : sequence of str
        The family of each feature column.
    random_state : int
    """
    names = recipe.classifier.split("+")
    if len(names) > 1:
        members = [make_estimator(replace(recipe, classifier=n), families, random_state=random_state) for n in names]
        return VotingClassifier(list(zip(names, members)), voting="soft")
    if recipe.calibration is None:
        return make_classifier(recipe.classifier, random_state=random_state, families=families, probability=True)
    model = make_classifier(recipe.classifier, random_state=random_state, families=families)
    if recipe.votes and recipe.classifier in LEARNS_VOTES:
        with routing():
            model.steps[-1][1].set_fit_request(votes=True)
    return CalibratedClassifierCV(model, method=recipe.calibration, ensemble=False,
                                  cv=StratifiedKFold(5, shuffle=True, random_state=random_state))


def routing():
    """The context in which a recipe's estimators are made and fitted: scikit-learn's metadata
    routing on, so that ``fit(X, y, votes=...)`` reaches the members that ask for votes
    (and joblib's workers get the setting: :func:`moodclass.infra.parallel`)."""
    return config_context(enable_metadata_routing=True)


def fit_params(recipe: Recipe, data: Dataset) -> dict:
    """What ``fit`` of the recipe's estimator takes beside X and y for the clips of `data`:
    their votes (:attr:`Recipe.votes`), or nothing."""
    if not recipe.votes or data.votes is None:
        return {}
    return {"votes": data.votes}


def fit_model(recipe: Recipe, data: Dataset, *, random_state: int = 0, cv_scores: dict | None = None):
    """The recipe's :class:`~classify.model.MoodModel`, fitted on every clip of `data` (with
    their votes where the recipe learns from them).

    Parameters
    ----------
    recipe : Recipe
    data : Dataset
    random_state : int
    cv_scores : dict, optional
        Recorded with the model.

    Returns
    -------
    classify.model.MoodModel
    """
    estimator = make_estimator(recipe, data.settings.column_families(), random_state=random_state)
    with routing():
        model = MoodModel.fit(estimator, data, recipe.classifier, random_state, cv_scores,
                              fit_params=fit_params(recipe, data))
    _forget_fit_requests(model.estimator)
    return model


def _forget_fit_requests(obj, seen=None) -> None:
    """Drop the fit requests (``set_fit_request``) left on `obj` and every estimator within it:
    they matter only while fitting, and skops cannot save them."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, (list, tuple)):
        for item in obj:
            _forget_fit_requests(item, seen)
    elif isinstance(obj, dict):
        for item in obj.values():
            _forget_fit_requests(item, seen)
    elif hasattr(obj, "__dict__") and not isinstance(obj, (type, np.ndarray)):
        obj.__dict__.pop("_metadata_request", None)
        for item in list(obj.__dict__.values()):
            _forget_fit_requests(item, seen)


def training_set(recipe: Recipe, sources: dict, *, leave_out: str | None = None) -> Dataset:
    """Every clip of the recipe's sources (less `leave_out`), as one Dataset.

    Parameters
    ----------
    recipe : Recipe
    sources : dict
        Source name -> :class:`~classify.dataset.Dataset` (:func:`load_sources`).
    leave_out : str, optional
        A source left out.

    Returns
    -------
    Dataset
    """
    names = [n for n in recipe.sources if n != leave_out]
    return combine([sources[n] for n in names], names)


def grouped_cv(recipe: Recipe, sources: dict, *, target: str = "4q", n_splits: int = 10, n_repeats: int = 10,
               random_state: int = 0, n_jobs: int = -1, progress: bool = True) -> dict:
    """Repeated artist-grouped cross-validation of `recipe` over the `target` source.

    The target's clips are split by :class:`~sklearn.model_selection.StratifiedGroupKFold`
    (reshuffled with seed ``random_state + repeat``); every training fold also holds the
    recipe's other sources, less their clips by an artist of the test fold. Only the target's
    clips are ever tested.

    Parameters
    ----------
    recipe : Recipe
    sources : dict
        Source name -> :class:`~classify.dataset.Dataset` (:func:`load_sources`).
    target : str
        The source tested.
    n_splits, n_repeats : int
    random_state : int
        Seed of the splits and the models.
    n_jobs : int
        Parallel fits (-1: all cores).
    progress : bool
        Show a progress bar.

    Returns
    -------
    dict
        :func:`classify.evaluate.score_predictions` of the out-of-fold probabilities (macro-F1,
        per-class recall, Brier score, expected calibration error, ...), and ``proba``: those
        probabilities [shape=(n_repeats, clips, 4)], ``y``: the target's labels.
    """
    if target not in recipe.sources:
        raise ValueError(f"{recipe.name} does not learn from {target}: use leave_one_source_out")
    data = sources[target]
    others = [sources[n] for n in recipe.sources if n != target]
    X = np.vstack([data.X] + [o.X for o in others])
    y = np.concatenate([data.y] + [o.y for o in others])
    groups = np.concatenate([data.groups] + [o.groups for o in others])
    params = fit_params(recipe, combine([data] + others, [target] + [n for n in recipe.sources if n != target]))
    n = len(data.y)
    extra = np.arange(n, len(y))
    splits = []
    for r in range(n_repeats):
        splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state + r)
        for train, test in splitter.split(data.X, data.y, data.groups):
            kept = extra[~np.isin(groups[extra], np.unique(data.groups[test]))]
            splits.append((r, np.concatenate([train, kept]), test))
    estimator = make_estimator(recipe, data.settings.column_families(), random_state=random_state)
    with routing():
        proba = out_of_fold_predictions(estimator, X, y, splits=splits, n_repeats=n_repeats, n_jobs=n_jobs, progress=progress,
                                        desc=f"{recipe.name}: {target} by artist", fit_params=params,
                                        method="predict_proba")[:, :n]
    return {**score_predictions(data.y, proba), "proba": proba, "y": data.y}


def leave_one_source_out(recipe: Recipe, sources: dict, *, random_state: int = 0) -> dict:
    """Each source of `sources` tested with the recipe trained without it (on the recipe's other
    sources; a source the recipe does not use, on all of them).

    Parameters
    ----------
    recipe : Recipe
    sources : dict
        Source name -> :class:`~classify.dataset.Dataset` (:func:`load_sources`).
    random_state : int

    Returns
    -------
    dict
        Source -> :func:`classify.evaluate.score_predictions` of that test (one repeat), with
        ``trained_on`` (the sources); a source the recipe would have to learn from nothing is
        left out.
    """
    out = {}
    for name, test in sources.items():
        train_names = [n for n in recipe.sources if n != name]
        if not train_names:
            continue
        train = training_set(recipe, sources, leave_out=name)
        model = make_estimator(recipe, train.settings.column_families(), random_state=random_state)
        with routing():
            model.fit(train.X, train.y, **fit_params(recipe, train))
        out[name] = {**score_predictions(test.y, model.predict_proba(test.X)[np.newaxis]), "trained_on": train_names}
    return out


def long_tracks(recipe: Recipe, sources: dict, *, target: str = "4q", clips_per_track: int = 6, n_splits: int = 5,
                random_state: int = 0, n_jobs: int = -1, progress: bool = True) -> dict:
    """Whether whole songs keep their quadrant: clips of one quadrant of the `target` source joined
    into long tracks, judged as ``classify predict`` judges a long file (the mean probabilities
    of its windows, :func:`classify.predict.predict_paths`), against the clips judged alone.

    Artist-grouped `n_splits`-fold over the target: in each fold the recipe is trained on the
    training clips (with its other sources, less the test fold's artists, as in
    :func:`grouped_cv`); the test fold's clips of each quadrant, shuffled, are split into
    ``len // clips_per_track`` tracks of nearly equal size (at least `clips_per_track` clips
    each), joined into WAV files. A recipe
    that does not learn from the target is trained on its own sources in every fold.

    Parameters
    ----------
    recipe : Recipe
    sources : dict
        Source name -> :class:`~classify.dataset.Dataset` (:func:`load_sources`).
    target : str
        The source whose clips make the tracks.
    clips_per_track : int
    n_splits : int
    random_state : int
        Seed of the splits and the models.
    n_jobs : int
        Parallel fits (-1: all cores).
    progress : bool
        Show a progress bar.

    Returns
    -------
    dict
        ``clips`` and ``tracks``: :func:`classify.evaluate.score_predictions` of the clips' and
        the tracks' answers (one repeat); ``track_seconds``: the tracks' median length;
        ``windows``: the median number of windows a track was judged from.
    """
    import tempfile

    import soundfile as sf

    from featurize.audio import load_audio

    data = sources[target]
    others = [sources[n] for n in recipe.sources if n != target]
    root = Path(data.table_metadata["root"])
    rng = np.random.default_rng(random_state)
    clip_true, clip_proba, track_true, track_proba, seconds, windows = [], [], [], [], [], []
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    for _, test in splitter.split(data.X, data.y, data.groups):
        parts, names = [_without_groups(o, data.groups[test]) for o in others], [n for n in recipe.sources if n != target]
        if target in recipe.sources:
            parts.insert(0, _without_groups(data, data.groups[test]))
            names.insert(0, target)
        train_set = combine(parts, names)
        model = fit_model(recipe, train_set, random_state=random_state)
        clip_true += list(data.y[test])
        clip_proba.append(model.estimator.predict_proba(data.X[test]))
        with tempfile.TemporaryDirectory() as tmp:
            files, quadrants = [], []
            for q in np.unique(data.y[test]):
                members = rng.permutation(test[data.y[test] == q])
                n_tracks = max(1, len(members) // clips_per_track)
                for k, chunk in enumerate(np.array_split(members, n_tracks)):
                    y = np.concatenate([load_audio(root / data.paths[i], data.settings.sr) for i in chunk])
                    files.append(Path(tmp) / f"{q}-{k:02d}.wav")
                    sf.write(files[-1], y, data.settings.sr, subtype="PCM_16")
                    quadrants.append(q)
            judged = predict_paths(model, files, n_jobs=n_jobs, progress=progress).files
        if judged["mood"].isna().any():
            raise RuntimeError(f"a joined track failed: {judged['error'].dropna().iloc[0]}")
        track_true += quadrants
        track_proba.append(judged[[f"p_{c}" for c in model.classes]].to_numpy())
        seconds += judged["duration"].tolist()
        windows += judged["windows"].tolist()
    return {"clips": score_predictions(np.array(clip_true), np.vstack(clip_proba)[np.newaxis]),
            "tracks": score_predictions(np.array(track_true), np.vstack(track_proba)[np.newaxis]),
            "track_seconds": float(np.median(seconds)), "windows": float(np.median(windows))}


def _without_groups(data: Dataset, groups) -> Dataset:
    """`data` less its clips whose group is in `groups`."""
    keep = ~np.isin(data.groups, np.unique(groups))
    return Dataset(data.X[keep], data.y[keep], data.groups[keep], [p for p, k in zip(data.paths, keep) if k],
                   data.feature_columns, data.settings, data.table, data.table_metadata,
                   votes=None if data.votes is None else data.votes[keep], votes_source=data.votes_source,
                   durations=None if data.durations is None else data.durations[keep])


def summary(result: dict) -> dict:
    """What a model card shows of a :func:`classify.evaluate.score_predictions` result: the
    mean and std over repeats of each score, and the recall of each class."""
    return {"mean": result["mean"], "std": result["std"],
            "recall": {c: round(v["recall"], 3) for c, v in result["per_class"].items()}}


def format_scores(result: dict) -> str:
    """One line of a :func:`classify.evaluate.score_predictions` result with probability scores:
    macro-F1, recall per class, Brier score and expected calibration error (with its floor on
    this many clips, :func:`classify.calibration.calibration_error_floor`); ± std over repeats
    where there are several."""
    m, s = result["mean"], result["std"]
    def spread(key):
        return f" ± {s[key]:.3f}" if len(result["per_repeat"]) > 1 else ""

    recall = " / ".join(f"{v['recall']:.2f}" for v in result["per_class"].values())
    return (f"macro-F1 {m['macro_f1']:.3f}{spread('macro_f1')}  recall {recall}  Brier {m['brier']:.3f}  "
            f"ECE {m['ece']:.3f}{spread('ece')} (floor {m['ece_floor']:.3f})")
