"""Command line: ``python -m featurize PATH...``; see ``python -m featurize --help``."""

from moodclass import startup  # first: it pauses the garbage collector while the libraries load

# isort: split

# librosa before the other libraries: its lazy loader walks the call stack for each optional backend
# it lacks, at a cost that grows with the modules loaded before (about 0.5 s of `predict`'s start
# after scikit-learn and pandas).
import featurize._librosa  # noqa: F401

# isort: split

import argparse
import os
from pathlib import Path

from featurize.analysis import DEFAULT_MIN_DURATION
from featurize.demo import make_demo
from featurize.download import download_dataset
from featurize.features import DEFAULT_FAMILIES, DEFAULT_STATS, FAMILIES, PRESETS, STATS, FeatureSettings
from featurize.run import RunSummary, featurize
from featurize.table import errors_path
from moodclass import arguments
from moodclass.cli import run_command

startup.loaded()

EXAMPLES = """examples:
  python -m featurize --demo demo            make a small four-mood corpus in demo/ and featurize it
  python -m featurize fma_small/             every clip under fma_small/ -> cache/features/fma_small.parquet
  python -m featurize music/ --features classic,mfcc,key --stats mean,std,skew
  python -m featurize --download fma_small data/     fetch and unpack fma_small.zip and fma_metadata.zip

exit status: 0 all clips analysed, 1 some clips or folders failed (listed; clips kept in NAME.errors.csv),
2 nothing could be done (bad arguments, no audio, mismatched table), 130 interrupted."""


def parse_list(text: str, choices, defaults, what: str, presets: dict | None = None) -> tuple[str, ...]:
    """Comma-separated names; 'default' stands for `defaults`, 'all' for every choice, a preset for its names."""
    names = []
    named = {"default": list(defaults), "all": list(choices), **{k: list(v) for k, v in (presets or {}).items()}}
    for item in filter(None, (s.strip() for s in text.split(","))):
        expanded = named.get(item, [item])
        names += [n for n in expanded if n not in names]
    unknown = [n for n in names if n not in choices]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {what} {', '.join(unknown)}; choose from {', '.join(choices)}")
    return tuple(names)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m featurize",
        description="Extract mood features from every audio file under the given folders into a Parquet table. "
        "Re-running computes only new or changed clips.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {arguments.package_version()}")
    p.add_argument("paths", nargs="*", metavar="PATH", help="audio files or folders (searched recursively)")
    p.add_argument("-o", "--output", type=Path, help="feature table to write (default: cache/features/NAME.parquet)")
    p.add_argument("-j", "--jobs", type=arguments.jobs, default=-1,
                   help="worker processes: N, or -1 for all cores (the default), -2 for all but one")
    p.add_argument("--features", default="default", metavar="LIST",
                   type=lambda s: parse_list(s, FAMILIES, DEFAULT_FAMILIES, "feature families", PRESETS),
                   help="comma-separated feature families or presets: 'mood' (the default: every family "
                   "that helps tell moods apart), 'classic' (the six original families), 'all'; see --list-features")
    p.add_argument("--stats", default="default", metavar="LIST",
                   type=lambda s: parse_list(s, STATS, DEFAULT_STATS, "statistics"),
                   help=f"summaries over time: {', '.join(STATS)} (default: {','.join(DEFAULT_STATS)})")
    p.add_argument("--scheduler", metavar="ADDRESS", default=os.environ.get("DASK_SCHEDULER_ADDRESS"),
                   help="analyse on a Dask cluster: a scheduler's address (tcp://host:8786; default: the "
                   "DASK_SCHEDULER_ADDRESS variable), or 'local' for a LocalCluster on this machine; needs the "
                   "dask extra (pip install -e '.[dask]')")
    p.add_argument("--sr", type=arguments.int_at_least(8000), default=22050,
                   help="sampling rate to analyse at, 8000 or more (default: 22050)")
    p.add_argument("--hop-length", type=arguments.int_at_least(1), default=512,
                   help="samples between frames (default: 512)")
    p.add_argument("--n-fft", type=arguments.int_at_least(16), default=2048,
                   help="STFT window length, at least the hop length (default: 2048)")
    p.add_argument("--min-duration", type=arguments.float_at_least(0), default=DEFAULT_MIN_DURATION,
                   help=f"shorter clips are recorded as failures (default: {DEFAULT_MIN_DURATION:g} s)")
    p.add_argument("--metadata", type=Path, metavar="DIR",
                   help="FMA's fma_metadata folder, for artist/album/genre columns (default: found beside the audio)")
    p.add_argument("--overwrite", action="store_true", help="recompute everything, replacing the table")
    p.add_argument("--retry-failed", action="store_true", help="analyse again the files that failed before")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--list-features", action="store_true", help="list the feature families and exit")
    p.add_argument("--demo", type=Path, metavar="DIR", help="write a synthetic four-mood corpus to DIR and featurize it")
    p.add_argument("--download", nargs=2, metavar=("DATASET", "DEST"),
                   help="download and unpack a dataset (fma_small, fma_metadata) into DEST")
    p.add_argument("--mirror", metavar="URL", help="with --download: base address to fetch from instead of FMA's")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command("featurize", lambda: _run(args))


def _run(args) -> int:
    if args.list_features:
        for name, family in FAMILIES.items():
            mark = "*" if name in DEFAULT_FAMILIES else " "
            print(f"{mark} {name:15s} {family.description}")
        print("(* = in the default preset; each family is defined, with its reference, in featurize/"
              "{spectral,dynamics,rhythm,harmony,melody,texture}.py)")
        for name in ("mood", "classic"):
            print(f"preset {name}: {','.join(PRESETS[name])}")
        return 0
    if args.download:
        download_dataset(args.download[0], Path(args.download[1]), mirror=args.mirror, progress=not args.quiet)
        return 0
    paths = args.paths
    if args.demo:
        labels = make_demo(args.demo)
        print(f"demo corpus: {len(labels)} clips in {args.demo}/Q1..Q4, labels in {args.demo / 'labels.csv'}")
        paths = [args.demo]
    if not paths:
        build_parser().error("give at least one PATH (or --demo DIR)")
    settings = FeatureSettings(sr=args.sr, n_fft=args.n_fft, hop_length=args.hop_length,
                               families=args.features, stats=args.stats)
    summary = featurize(paths, args.output, settings=settings, n_jobs=args.jobs,
                        min_duration=args.min_duration, metadata_dir=args.metadata, overwrite=args.overwrite,
                        retry_failed=args.retry_failed, progress=not args.quiet, scheduler=args.scheduler)
    report(summary)
    if summary.interrupted:
        return 130
    return 1 if summary.errors or summary.unreadable or summary.empty else 0


def report(summary: RunSummary) -> None:
    """Print what a run did, with every failure and its reason."""
    rate = summary.computed / summary.seconds if summary.seconds else 0.0
    print(f"{summary.table}: {summary.rows} clips ({summary.computed} computed in {summary.seconds:.1f} s"
          f"{f', {rate:.1f} clips/s' if summary.computed else ''}; {summary.reused} already done)")
    if summary.removed:
        print(f"  removed, their files being gone: {summary.removed}")
    if summary.ignored_files:
        print(f"  files ignored, not audio by their ending: {summary.ignored_files}")
    for path in summary.empty:
        print(f"  FAILED {path}: no audio files there; left out (the table's root is the other paths' folder)")
    for folder in summary.unreadable:
        print(f"  FAILED {folder}: cannot read this folder (permission denied or a read error); its clips were not "
              "searched, and those already in the table are kept")
    for path, reason in summary.failed:
        print(f"  FAILED {path}: {reason}")
    if summary.skipped_failed:
        print(f"  unchanged files that failed before, skipped: {summary.skipped_failed} (--retry-failed to retry)")
    if summary.errors:
        print(f"  clips that could not be analysed: {summary.errors}, reasons in {errors_path(summary.table)}")
    if summary.interrupted:
        print("  interrupted: finished clips are saved; run the same command again to complete the table")


if __name__ == "__main__":
    startup.leave(main())
