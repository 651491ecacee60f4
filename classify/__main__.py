"""Command line: ``python -m classify [cv|train|predict] ...``; see ``python -m classify --help``."""

from moodclass import startup  # first: it pauses the garbage collector while the libraries load

# isort: split

# librosa before the other libraries: its lazy loader walks the call stack for each optional backend
# it lacks, at a cost that grows with the modules loaded before (about 0.5 s of `predict`'s start
# after scikit-learn and pandas).
import featurize._librosa  # noqa: F401

# isort: split

import argparse
import os
import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from classify.dataset import load_dataset
from classify.evaluate import cv_splits, format_report, plot_confusion, repeated_cv, write_json
from classify.inspection import (
    family_importance,
    format_importance,
    format_learning_curve,
    learning_curve,
    plot_importance,
    plot_learning_curve,
)
from classify.labels import QUADRANT_NAMES
from classify.model import DEFAULT_MODEL, MODEL_SUFFIX, ModelFileError, MoodModel, SettingsMismatchError
from classify.pipelines import (
    CLASSIFIERS,
    DEFAULT_CLASSIFIERS,
    REGRESSORS,
    fit_params,
    make_classifier,
    make_regressor,
    minimum_clips,
)
from classify.playlists import check_playlist_folder, write_playlists
from classify.predict import MIN_HOP, format_predictions, predict_paths
from classify.regression import format_regression_report, repeated_cv_regression
from classify.report import MARKER, check_report_folder, write_report
from classify.tags import model_identity, tag_paths
from featurize.analysis import DEFAULT_MIN_DURATION
from moodclass import arguments
from moodclass.cli import run_command
from moodclass.errors import UsageError
from moodclass.infra import DEFAULT_CACHE, check_writable, library_versions, path_text

startup.loaded()

COMMANDS = ("cv", "train", "predict", "tag")

DESCRIPTION = """Mood classification of music from a featurize table.

commands (cv is the default):
  cv        cross-validate classifiers (SVM, logistic regression, random forest, ...) on a labelled feature table
  train     fit a classifier on every labelled clip and save it under cache/models/
  predict   the mood of audio files (or feature tables), with class probabilities, valence and arousal,
            over time (--timeline), as a page to look at (--report) and as mood playlists (--playlists)
  tag       write the predicted moods into the files' own tags (MP3, FLAC, Ogg, Opus, M4A, WMA, WAV, AIFF)

examples:
  python -m classify --cv repeated --labels ../shared/data/emotify/labels.csv
  python -m classify --cv repeated --labels labels.csv --groups artist --tune
  python -m classify train --labels labels.csv --classifier svm
  python -m classify predict song.mp3 music/ --format csv
  python -m classify predict music/ --timeline 10 --report cache/moods/music
  python -m classify tag music/ --dry-run
  python -m classify tag music/ --playlists music/playlists
  python -m classify --cv repeated --labels ratings.csv --target valence,arousal
  python -m classify --cv repeated --features spotify_features.csv --labels moods.csv"""


#: The options, of any command, that take a value (filled by :func:`_add`; see :func:`with_command_first`).
_VALUE_OPTIONS: set[str] = set()


def _add(parser: argparse.ArgumentParser, *flags, **kwargs) -> argparse.Action:
    """``parser.add_argument``, noting in :data:`_VALUE_OPTIONS` the options that take a value."""
    action = parser.add_argument(*flags, **kwargs)
    if action.nargs != 0:
        _VALUE_OPTIONS.update(action.option_strings)
    return action


def _common(p):
    _add(p, "--target", metavar="COLUMNS",
                   help="learn these numeric columns of the labels CSV instead of classes, e.g. valence,arousal: "
                   "regressors scored by R², Pearson r, RMSE and quadrant accuracy")
    _add(p, "--features", type=Path, metavar="TABLE",
                   help="feature table from `python -m featurize` (default: the newest under cache/features/), or "
                   "features computed elsewhere: FMA's features.csv, a Spotify-style CSV, any CSV or Parquet file "
                   "with an id or path column and numeric feature columns")
    _add(p, "--labels", default="folder", metavar="SOURCE",
                   help="'folder' (parent folder names, the default), 'fma-echonest', or a CSV keyed by path or "
                   "track_id with a class column or valence and arousal columns")
    _add(p, "--label-column", metavar="NAME", help="the CSV's class column (default: quadrant, label, class, ...)")
    _add(p, "--valence-threshold", type=arguments.finite_float, metavar="V",
                   help="valence at or above V is positive (default: the scale's midpoint; 0.5 for Echonest)")
    _add(p, "--arousal-threshold", type=arguments.finite_float, metavar="A",
                   help="arousal (energy) at or above A is high (default: the scale's midpoint; 0.5 for Echonest)")
    _add(p, "--votes", default="auto", metavar="SPEC",
                   help="each class's votes per clip (counts, or shares) in the labels CSV, for the classifiers that "
                   "learn from them (krr): 'auto' (the default: a column named after each class, or Emotify's GEMS "
                   "columns for the quadrants; fractions times a 'listeners' column where there is one), 'none', or "
                   "CLASS=COLUMN[+COLUMN...],... for every class")
    _add(p, "--metadata", type=Path, metavar="DIR", help="FMA's fma_metadata folder (default: beside the audio)")
    _add(p, "--groups", metavar="COLUMN",
                   help="keep the clips of each group in one fold: artist, album, genre, or any labels column")
    _add(p, "--folds", type=arguments.int_at_least(2), default=10, help="folds per repeat, 2 or more (default: 10)")
    _add(p, "--repeats", type=arguments.int_at_least(1), default=10,
                   help="repeats of the k-fold split (default: 10)")
    _add(p, "--seed", type=arguments.int_at_least(0), default=0, help="seed of every split and model (default: 0)")
    _add(p, "--tune", action="store_true",
                   help="grid-search hyperparameters inside each training fold (nested CV)")
    _add(p, "--select", type=arguments.int_at_least(1), metavar="K",
                   help="keep the K columns with the highest ANOVA F score, chosen inside each training fold")
    _add(p, "-j", "--jobs", type=arguments.jobs, default=-1,
                   help="parallel fits: N, or -1 for all cores (the default), -2 for all but one")
    _add(p, "--scheduler", metavar="ADDRESS", default=os.environ.get("DASK_SCHEDULER_ADDRESS"),
                   help="run the fits on a Dask cluster (joblib's dask backend): a scheduler's address (default: the "
                   "DASK_SCHEDULER_ADDRESS variable), or 'local'; the same results as locally, seed for seed")
    _add(p, "-q", "--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m classify", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    _add(p, "--version", action="version", version=f"%(prog)s {arguments.package_version()}")
    sub = p.add_subparsers(dest="command", metavar="{cv,train,predict,tag}")
    cv = sub.add_parser("cv", help="cross-validate (the default command)")
    _common(cv)
    _add(cv, "--cv", choices=["repeated", "single"], default="repeated",
                    help="repeated: FOLDS x REPEATS (default); single: one FOLDS-fold split")
    _add(cv, "--classifiers", default=",".join(DEFAULT_CLASSIFIERS),
                    help=f"comma-separated, from {', '.join(CLASSIFIERS)}, or 'all' (default: {','.join(DEFAULT_CLASSIFIERS)})")
    _add(cv, "--importance", action="store_true",
         help="also each feature family's permutation importance on the held-out folds: table, report.json, "
         "importance_CLASSIFIER.png")
    _add(cv, "--learning-curve", action="store_true",
         help="also macro-F1 against the number of training clips, on the same folds: table, report.json, "
         "learning_curve_CLASSIFIER.png")
    _add(cv, "--report-dir", type=Path, help="where to write report.json and confusion PNGs "
                    "(default: cache/reports/TABLE[-by-GROUPS])")
    train = sub.add_parser("train", help="fit on all labelled clips and save the model")
    _common(train)
    _add(train, "--classifier", choices=CLASSIFIERS, default="ensemble", help="default: ensemble")
    _add(train, "--regressor", choices=REGRESSORS, default="svr", help="with --target (default: svr)")
    _add(train, "-o", "--output", type=Path,
                       help=f"model file (default: cache/models/TABLE-LABELS-CLASSIFIER{MODEL_SUFFIX})")
    _add(train, "--no-cv", action="store_true", help="skip the cross-validated score stored with the model")
    _add(train, "--overwrite", action="store_true",
                       help="replace the model file even if it was trained on other labels")
    pred = sub.add_parser("predict", help="moods of audio files")
    _add(pred, "paths", nargs="+", metavar="PATH",
                      help="audio files, folders, or feature tables (featurize's .parquet; a CSV or Parquet table "
                      "computed elsewhere for a model trained on one)")
    _add(pred, "--model", type=Path, default=DEFAULT_MODEL,
                      help="model from `classify train` (default: the model shipped with the project)")
    _add(pred, "--format", choices=["table", "csv", "json"], default="table")
    _add(pred, "--min-duration", type=arguments.float_at_least(0), default=DEFAULT_MIN_DURATION,
                      help=f"shorter clips get an error (default: {DEFAULT_MIN_DURATION:g} s)")
    _add(pred, "--timeline", type=arguments.float_at_least(0), metavar="SECONDS",
                      help="also the mood of windows of this length, over each file (from one decode)")
    _add(pred, "--hop", type=arguments.float_at_least(MIN_HOP), metavar="SECONDS",
                      help=f"step between window starts, {MIN_HOP:g} s or more (default: half the --timeline window)")
    _add(pred, "--whole-files", action="store_true",
                      help="judge every file from its whole length; by default a file longer than 1.5 times the "
                      "model's training clips (30 s for the shipped model) gets the mean probabilities of windows "
                      "of that length, every half of it")
    _add(pred, "--report", type=Path, metavar="DIR",
                      help="also write pictures and an index.html to open in a browser into this new folder")
    _add(pred, "-j", "--jobs", type=arguments.jobs, default=-1,
                      help="worker processes: N, or -1 for all cores (the default), -2 for all but one")
    _add(pred, "-q", "--quiet", action="store_true", help="no progress bar")
    _add(pred, "--playlists", type=Path, metavar="DIR",
         help="also write one M3U8 playlist per mood into DIR, clearest first, and the collection from calm to "
         "energetic and from sad to happy")
    _add(pred, "--include-uncertain", action="store_true",
         help="with --playlists: list files unlike music too ('uncertain', 'not music-like')")
    tag = sub.add_parser("tag", help="write the predicted moods into the files' own tags")
    _add(tag, "paths", nargs="+", metavar="PATH", help="audio files and folders")
    _add(tag, "--model", type=Path, default=DEFAULT_MODEL,
         help="model from `classify train` (default: the model shipped with the project)")
    _add(tag, "--dry-run", action="store_true", help="say what would change in each file; write nothing")
    _add(tag, "--force", action="store_true", help="retag files already tagged by this model")
    _add(tag, "--include-uncertain", action="store_true",
         help="also tag (and list in --playlists) files unlike music ('uncertain', 'not music-like')")
    _add(tag, "--playlists", type=Path, metavar="DIR", help="also write the mood playlists (see predict)")
    _add(tag, "--min-duration", type=arguments.float_at_least(0), default=DEFAULT_MIN_DURATION,
         help=f"shorter files are not tagged (default: {DEFAULT_MIN_DURATION:g} s)")
    _add(tag, "-j", "--jobs", type=arguments.jobs, default=-1,
         help="worker processes: N, or -1 for all cores (the default), -2 for all but one")
    _add(tag, "-q", "--quiet", action="store_true", help="no progress bar")
    return p


def with_command_first(argv: list[str]) -> list[str]:
    """`argv` with its command first: ``--features t.parquet train`` becomes ``train --features t.parquet``.

    The command is the first word that is not an option or an option's value; without one, ``cv``
    (so ``python -m classify --cv repeated`` cross-validates).
    """
    i = 0
    while i < len(argv):
        word = argv[i]
        if word in COMMANDS:
            return [word] + argv[:i] + argv[i + 1:]
        if not word.startswith("-"):
            break
        i += 2 if word in _VALUE_OPTIONS else 1
    return argv if argv[:1] in (["-h"], ["--help"], ["--version"]) else ["cv"] + argv


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = with_command_first(list(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    command = {"cv": run_cv, "train": run_train, "predict": run_predict, "tag": run_tag}[args.command]
    return run_command("classify", lambda: command(args))


def _dataset(args, targets=None):
    dataset = load_dataset(args.features, labels=args.labels, label_column=args.label_column,
                           thresholds=(args.valence_threshold, args.arousal_threshold),
                           metadata_dir=args.metadata, groups=args.groups, min_per_class=args.folds, targets=targets,
                           votes="none" if targets else args.votes)
    for m in dataset.messages:
        print(m)
    if args.labels == "folder" and not set(dataset.y) <= set(QUADRANT_NAMES):
        print(f"note: the classes are the clips' folder names ({', '.join(sorted(set(dataset.y)))}); "
              "for mood labels give --labels FILE.csv")
    if dataset.n_folds(args.folds) < 2:
        raise UsageError(f"--groups {args.groups}: every labelled clip is in one group; cross-validation needs two "
                         "or more (choose another --groups column)")
    # One repeat for ``--cv single`` (train has no --cv: repeated).
    folds = Folds(args.folds, args.repeats if getattr(args, "cv", "repeated") == "repeated" else 1)
    if dataset.n_folds(args.folds) < args.folds:
        # One group per fold: every repeat would split the clips the same way.
        folds = Folds(dataset.n_folds(args.folds), 1)
        print(f"only {folds.n_splits} groups: using {folds.n_splits} folds, one group each; every repeat would give "
              "the same split, so it runs once")
    return dataset, folds


@dataclass(frozen=True)
class Folds:
    """The cross-validation a command runs: folds per repeat and repeats (what the data allow of
    ``--folds``, ``--repeats`` and ``--cv``)."""

    n_splits: int
    n_repeats: int


@contextmanager
def _fits_on(scheduler):
    """Run the block's joblib fits on the Dask cluster at `scheduler`, or locally if None."""
    if not scheduler:
        yield
        return
    import joblib

    from moodclass.cluster import dask_client

    with dask_client(scheduler), joblib.parallel_config(backend="dask"):
        yield


def _check_enough(args, dataset, names, *, folds, final_fit=False):
    """Refuse, before any fit, classifiers the folds would leave with too few training clips."""
    classes, counts = np.unique(dataset.y, return_counts=True)
    for name in names:
        per_class, total = minimum_clips(name, probability=final_fit, tune=args.tune)
        # A test fold holds at most ceil(n / folds) of n clips; with groups, about as many.
        fewest = counts if final_fit else counts - -(-counts // folds.n_splits)
        clips = len(dataset.y) if final_fit else len(dataset.y) - -(-len(dataset.y) // folds.n_splits)
        short = [f"{c} ({n})" for c, n in zip(classes, fewest) if n < per_class]
        if short:
            raise UsageError(f"{name} needs {per_class} training clips of each class, and "
                             f"{'the data have' if final_fit else 'a training fold would have'} fewer of "
                             f"{', '.join(short)}: label more clips{'' if final_fit else ', use fewer --folds'}, "
                             "or choose another classifier")
        if clips < total:
            raise UsageError(f"{name} needs {total} training clips, and a training fold would have {clips}: "
                             "label more clips, or choose another classifier")


def _evaluate(args, dataset, name, folds):
    start = time.monotonic()
    estimator = make_classifier(name, random_state=args.seed, families=dataset.settings.column_families(),
                                tune=args.tune, select=args.select)
    with _fits_on(args.scheduler):
        result = repeated_cv(estimator, dataset.X, dataset.y, groups=dataset.groups, n_splits=folds.n_splits,
                             n_repeats=folds.n_repeats, random_state=args.seed, n_jobs=args.jobs,
                             progress=not args.quiet, desc=name, fit_params=fit_params(name, dataset.votes))
    result["seconds"] = round(time.monotonic() - start, 1)
    return result


def run_cv(args: argparse.Namespace) -> int:
    if args.target:
        return run_regression_cv(args)
    names = [n.strip() for n in args.classifiers.split(",") if n.strip()]
    names = list(CLASSIFIERS) if names == ["all"] else names
    for n in names:
        if n not in CLASSIFIERS:
            raise UsageError(f"unknown classifier {n!r}; choose from {', '.join(CLASSIFIERS)}")
    dataset, folds = _dataset(args)
    _check_enough(args, dataset, names, folds=folds)
    repeats = folds.n_repeats
    out = _report_dir(args, dataset.table.stem + (f"-by-{args.groups}" if args.groups else ""))
    scheme = ("stratified group" if dataset.groups is not None else "stratified") + f" {folds.n_splits}-fold"
    print(f"cross-validation: {scheme} x {repeats} repeats, seed {args.seed}"
          f"{', nested grid search' if args.tune else ''}{f', {args.select} columns selected' if args.select else ''}; "
          "scaling, weighting and any selection or tuning fitted inside each fold\n")
    report = {"features": str(dataset.table), "labels": args.labels, "groups": args.groups, "folds": folds.n_splits,
              "repeats": repeats, "seed": args.seed, "tuned": args.tune, "select": args.select, "n_clips": len(dataset.y),
              "feature_settings": dataset.settings.to_dict(), "versions": library_versions(), "classifiers": {}}
    for name in names:
        result = _evaluate(args, dataset, name, folds)
        report["classifiers"][name] = result
        print(format_report(name.upper(), result) + f"\n  ({result['seconds']:.1f} s)\n")
        title = (f"{name.upper()} on {dataset.table.stem}: macro-F1 {result['mean']['macro_f1']:.3f} "
                 f"± {result['std']['macro_f1']:.3f} (chance {1 / len(result['classes']):.2f})\n{scheme} x {repeats} "
                 f"repeats, seed {args.seed}; counts summed over the repeats")
        plot_confusion(result, title, out / f"confusion_{name}.png")
        if args.importance or args.learning_curve:
            _inspect(args, dataset, name, folds, result, out)
    write_json(report, out / "report.json")
    pictures = ", ".join(p for p, asked in (("confusion_*.png", True), ("importance_*.png", args.importance),
                                            ("learning_curve_*.png", args.learning_curve)) if asked)
    print(f"report: {out / 'report.json'}, pictures in {out}: {pictures}")
    return 0


def _inspect(args, dataset, name, folds, result, out):
    """``--importance`` and ``--learning-curve`` of one classifier, on the folds its CV used."""
    families = dataset.settings.column_families()
    estimator = make_classifier(name, random_state=args.seed, families=families, tune=args.tune, select=args.select)
    splits = list(cv_splits(dataset.y, groups=dataset.groups, n_splits=folds.n_splits, n_repeats=folds.n_repeats,
                            random_state=args.seed))
    common = {"n_repeats": folds.n_repeats, "random_state": args.seed, "n_jobs": args.jobs,
              "fit_params": fit_params(name, dataset.votes), "progress": not args.quiet}
    where = f"{name.upper()} on {dataset.table.stem}, {folds.n_splits}-fold x {folds.n_repeats}, seed {args.seed}"
    with _fits_on(args.scheduler):
        if args.importance:
            result["importance"] = imp = family_importance(estimator, dataset.X, dataset.y, families=families,
                                                           splits=splits, desc=f"{name} importance", **common)
            print(format_importance(name.upper(), imp) + "\n")
            plot_importance(imp, out / f"importance_{name}.png", title=f"Feature families' importance:\n{where}")
        if args.learning_curve:
            result["learning_curve"] = curve = learning_curve(estimator, dataset.X, dataset.y, splits=splits,
                                                              desc=f"{name} learning curve", **common)
            print(format_learning_curve(name.upper(), curve) + "\n")
            plot_learning_curve(curve, out / f"learning_curve_{name}.png", title=f"Learning curve:\n{where}",
                                chance=1 / len(result["classes"]))


def _report_dir(args, name: str) -> Path:
    """The cv report's folder, checked before any work: new, empty or a report of ours, writable."""
    out = check_report_folder(args.report_dir or DEFAULT_CACHE / "reports" / name, option="--report-dir")
    check_writable(out / "report.json", "--report-dir")
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).touch()
    return out


def _targets(args) -> list[str]:
    targets = [t.strip() for t in args.target.split(",") if t.strip()]
    if not targets:
        raise UsageError("--target: name the labels CSV's numeric columns to learn, e.g. valence,arousal")
    return targets


def _evaluate_regressor(args, dataset, name, folds):
    start = time.monotonic()
    model = make_regressor(name, random_state=args.seed, families=dataset.settings.column_families())
    with _fits_on(args.scheduler):
        result = repeated_cv_regression(model, dataset.X, dataset.targets, strata=dataset.y, names=dataset.target_names,
                                        groups=dataset.groups, n_splits=folds.n_splits, n_repeats=folds.n_repeats,
                                        random_state=args.seed, n_jobs=args.jobs, progress=not args.quiet,
                                        thresholds=(args.valence_threshold, args.arousal_threshold))
    result["seconds"] = round(time.monotonic() - start, 1)
    return result


def run_regression_cv(args: argparse.Namespace) -> int:
    targets = _targets(args)
    dataset, folds = _dataset(args, targets)
    repeats = folds.n_repeats
    scheme = ("stratified group" if dataset.groups is not None else "stratified") + f" {folds.n_splits}-fold"
    print(f"regression of {', '.join(targets)}: {scheme} (strata: the quadrants) x {repeats} repeats, seed {args.seed}; "
          "scaling and weighting fitted inside each fold\n")
    report = {"features": str(dataset.table), "labels": args.labels, "targets": targets, "groups": args.groups,
              "folds": folds.n_splits, "repeats": repeats, "seed": args.seed, "n_clips": len(dataset.y),
              "feature_settings": dataset.settings.to_dict(), "versions": library_versions(), "regressors": {}}
    out = _report_dir(args, dataset.table.stem + "-" + "-".join(targets))
    for name in REGRESSORS:
        result = _evaluate_regressor(args, dataset, name, folds)
        report["regressors"][name] = result
        print(format_regression_report(name.upper(), result) + f"\n  ({result['seconds']:.1f} s)\n")
    write_json(report, out / "report.json")
    print(f"report: {out / 'report.json'}")
    return 0


def run_train(args: argparse.Namespace) -> int:
    if args.output is not None and args.output.is_dir():
        raise ModelFileError(f"-o {args.output}: a folder; name the model file to write, e.g. "
                             f"{args.output / ('mood' + MODEL_SUFFIX)}")
    if args.output is not None and args.output.suffix != MODEL_SUFFIX:
        raise ModelFileError(f"-o {args.output}: models are saved as {MODEL_SUFFIX} files (skops, which loads nothing "
                             f"that could run code); name it {args.output.with_suffix(MODEL_SUFFIX)}")
    targets = _targets(args) if args.target else None
    dataset, folds = _dataset(args, targets)
    name = args.regressor if targets else args.classifier
    if not targets:
        _check_enough(args, dataset, [name], folds=folds, final_fit=True)
        if not args.no_cv:
            _check_enough(args, dataset, [name], folds=folds)
    label_name = args.labels if args.labels in ("folder", "fma-echonest") else Path(args.labels).stem
    output = args.output or DEFAULT_CACHE / "models" / f"{dataset.table.stem}-{label_name}-{name}{MODEL_SUFFIX}"
    check_writable(output, "-o")
    _check_model_replaceable(output, str(args.labels), targets or sorted(set(dataset.y)), args.overwrite)
    cv_scores = None
    if not args.no_cv:
        result = (_evaluate_regressor if targets else _evaluate)(args, dataset, name, folds)
        cv_scores = {"folds": folds.n_splits, "repeats": folds.n_repeats, "seed": args.seed, "groups": args.groups,
                     "mean": result["mean"], "std": result["std"]}
        print(format_regression_report(name.upper(), result) if targets else format_report(name.upper(), result))
    if targets:
        estimator = make_regressor(name, random_state=args.seed, families=dataset.settings.column_families())
    else:
        estimator = make_classifier(name, random_state=args.seed, families=dataset.settings.column_families(),
                                    probability=True, tune=args.tune, select=args.select)
    model = MoodModel.fit(estimator, dataset, name, args.seed, cv_scores,
                          thresholds=(args.valence_threshold, args.arousal_threshold),
                          fit_params=None if targets else fit_params(name, dataset.votes))
    model.info["labels"] = str(args.labels)
    model.save(output)
    what = f"targets {', '.join(model.targets)}" if targets else f"classes {', '.join(model.classes)}"
    print(f"model: {output} ({len(dataset.y)} clips, {what}); use it with `python -m classify predict --model {output} FILES`")
    return 0


def _check_model_replaceable(output, labels, classes, overwrite):
    """Refuse, unless `overwrite`, to replace a file that is not a model trained on the same labels
    (`classes`: the new model's classes, or its targets for a regressor)."""
    if not output.exists() or overwrite:
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            old = MoodModel.load(output)
    except (ModelFileError, SettingsMismatchError):
        raise ModelFileError(f"{output} exists and is not a model this version reads: not replaced; "
                             "choose another -o, or --overwrite") from None
    if old.info.get("labels") != labels or (old.classes or old.targets) != classes:
        raise ModelFileError(f"{output} holds a model trained on other labels ({old.info.get('labels')}: "
                             f"{', '.join(old.classes or old.targets)}): not replaced; choose another -o, or --overwrite")
    print(f"replacing {output}, trained on the same labels")


def run_predict(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    if args.hop is not None and args.timeline is None:
        raise UsageError("--hop is the step of --timeline windows: give --timeline too")
    timeline = (args.timeline, args.timeline / 2 if args.hop is None else args.hop) if args.timeline is not None else None
    if args.report:
        check_report_folder(args.report)  # before the analysis, not after
    if args.playlists:
        check_playlist_folder(args.playlists, model.classes)
    predictions = predict_paths(model, args.paths, n_jobs=args.jobs, min_duration=args.min_duration,
                                progress=not args.quiet, timeline=timeline, whole_files=args.whole_files)
    df, skipped = predictions.files, predictions.skipped
    windowed = df["windows"] > 1
    if windowed.any():
        print(f"{int(windowed.sum())} of {len(df)} files are longer than the model's {model.clip_seconds:.0f}-s training "
              f"clips: each one's mood is the mean of its {model.clip_seconds:.0f}-s windows every {model.clip_seconds / 2:.0f} s "
              "(column 'windows'; --whole-files judges them whole)", file=sys.stderr)
    if skipped:
        shown = ", ".join(path_text(p) for p in skipped[:20])
        print(f"files skipped, not audio by their ending: {len(skipped)} ({shown}"
              f"{f' and {len(skipped) - 20} more' if len(skipped) > 20 else ''})", file=sys.stderr)
    print(format_predictions(predictions, args.format))
    if args.report:
        page = write_report(predictions, args.report, title=f"Moods of {', '.join(map(path_text, args.paths))}"[:200])
        print(f"report: {page} (open it in a browser)", file=sys.stderr)
    if args.playlists:
        _playlists(df.assign(path=[str(Path(p).absolute()) for p in df["path"]]), args.playlists, model,
                   args.include_uncertain)
    failed = df["mood"].isna()
    if failed.any() and args.format == "table":
        print(f"{int(failed.sum())} of {len(df)} files could not be classified", file=sys.stderr)
    return 1 if failed.any() else 0


def _load_model(path):
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = lambda msg, *a, **k: print(f"classify: warning: {msg}", file=sys.stderr)
        return MoodModel.load(path)


def _playlists(files, folder, model, include_uncertain):
    written = write_playlists(files, folder, model.classes, include_uncertain=include_uncertain)
    listed = ", ".join(f"{p.name} ({n})" for p, n in written.items())
    print(f"playlists in {folder}: {listed}", file=sys.stderr)


def run_tag(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    if args.playlists:
        check_playlist_folder(args.playlists, model.classes)
    model_id = model_identity(args.model, arguments.package_version())
    summary = tag_paths(model, args.paths, model_id=model_id, dry_run=args.dry_run, force=args.force,
                        include_uncertain=args.include_uncertain, n_jobs=args.jobs, min_duration=args.min_duration,
                        progress=not args.quiet)
    for path, changed in summary.changes:
        shown = "; ".join(f"{k}: {'-' if old is None else old} -> {new}" for k, (old, new) in changed.items())
        print(f"{path}: {shown or 'unchanged'}")
    for path, why in summary.left_out:
        print(f"LEFT OUT {path}: {why}")
    for path, reason in summary.failed:
        print(f"FAILED {path}: {reason}")
    verb = "would tag" if args.dry_run else "tagged"
    print(f"{verb} {len(summary.changes) if args.dry_run else summary.tagged} files; already tagged by this model, "
          f"audio unchanged, skipped: {summary.skipped} (--force to retag); not music-like, left out: "
          f"{len(summary.left_out)}; failed: {len(summary.failed)}")
    if args.playlists and not args.dry_run and summary.rows:
        _playlists(pd.DataFrame(summary.rows), args.playlists, model, args.include_uncertain)
    if summary.interrupted:
        print("interrupted: the files tagged so far keep their tags; run the same command again to tag the rest",
              file=sys.stderr)
        return 130
    return 1 if summary.failed else 0


if __name__ == "__main__":
    startup.leave(main())
