"""Every bad input a user can give, table-driven: the exit status, the one line that says what to do,
and nothing the user made changed (the folder is hashed before and after).

The commands run in this process (``featurize.__main__.main``, ``classify.__main__.main``)
unless a case needs another user's permissions or its own process.
"""

import errno
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import socketserver
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io
from conftest import SR, without_dac, write_clip

from classify.__main__ import main as classify_main
from featurize.__main__ import main as featurize_main
from featurize.demo import synth_clip
from featurize.table import read_table


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A user's folder: eight MP3 clips in D/ (two of each quadrant), their table, labels and models."""
    root = tmp_path_factory.mktemp("user")
    for i in range(8):
        write_clip(root / "D" / f"c{i}.mp3", synth_clip(f"Q{i % 4 + 1}", 8.0, SR, seed=200 + i))
    assert featurize_main([str(root / "D"), "-o", str(root / "t.parquet"), "-j", "1", "-q"]) == 0
    paths = [f"c{i}.mp3" for i in range(8)]
    pd.DataFrame({"path": paths, "quadrant": [f"Q{i % 4 + 1}" for i in range(8)], "const": 1.0,
                  "valence": np.arange(8.0)}).to_csv(root / "labels.csv", index=False)
    # 32 labelled rows for the model: the eight clips' features with small noise, under other ids.
    table = read_table(root / "t.parquet")[0]
    features = [c for c in table.columns if c not in ("path", "track_id", "duration", "size", "mtime_ns")]
    rng = np.random.default_rng(0)
    rows = pd.concat([table[features]] * 4, ignore_index=True) * (1 + 0.01 * rng.standard_normal((32, len(features))))
    rows.insert(0, "id", [f"r{i}" for i in range(32)])
    rows.to_csv(root / "rows.csv", index=False)
    pd.DataFrame({"id": rows["id"], "quadrant": [f"Q{i % 4 + 1}" for i in range(32)]}).to_csv(root / "rowlabels.csv",
                                                                                                index=False)
    assert classify_main(["train", "--features", str(root / "t.parquet"), "--labels", str(root / "labels.csv"),
                          "--classifier", "logreg", "--no-cv", "--folds", "2", "-o", str(root / "m.skops")]) == 0
    assert classify_main(["train", "--features", str(root / "rows.csv"), "--labels", str(root / "rowlabels.csv"),
                          "--classifier", "logreg", "--no-cv", "--folds", "2", "-o", str(root / "rows.skops")]) == 0
    return root


@pytest.fixture
def user(base, tmp_path):
    """A copy of the user's folder to break things in; the working folder."""
    folder = tmp_path / "u"
    shutil.copytree(base, folder, symlinks=True)
    cwd = os.getcwd()
    os.chdir(folder)
    yield folder
    os.chdir(cwd)


def _hashes(folder: Path) -> dict:
    out = {}
    for p in sorted(folder.rglob("*")):
        st = p.lstat()
        out[str(p.relative_to(folder))] = (st.st_mode, hashlib.sha1(p.read_bytes()).hexdigest() if p.is_file() else None)
    return out


def _run(argv, capsys):
    try:
        status = featurize_main(argv[1:]) if argv[0] == "featurize" else classify_main(argv)
    except SystemExit as stop:  # argparse's own errors
        status = stop.code
    out, err = capsys.readouterr()
    return status, out, err


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    return lines[-1] if lines else ""


def _model_with(path, target, **changes):
    payload = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
    skops.io.dump({**payload, **changes}, target)


def _lying_array_header(source, target):
    """A copy of the model whose first array's header claims 2**31 elements."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as out:
        changed = False
        for name in src.namelist():
            data = src.read(name)
            if name.endswith(".npy") and not changed:
                size = int.from_bytes(data[8:10], "little")
                header = data[10:10 + size].decode("latin1")
                start, end = header.index("'shape': (") + 10, header.index(")", header.index("'shape': ("))
                header = (header[:start] + "2147483648," + header[end:]).ljust(size)[:size]
                data, changed = data[:10] + header.encode("latin1") + data[10 + size:], True
            out.writestr(name, data)


CV = ["cv", "--features", "t.parquet", "--labels", "labels.csv", "--folds", "2", "-q"]
TRAIN = ["train", "--features", "t.parquet", "--labels", "labels.csv", "--folds", "2", "-q"]

# name: (what the user made beside the base folder, the command, exit status, the line's pattern)
CASES = {
    "errors.csv empty": (lambda u: (u / "t2.errors.csv").write_text(""),
                         ["featurize", "D", "-o", "t2.parquet", "-q", "-j", "1"], 0, None),
    "errors.csv header only": (lambda u: (u / "t2.errors.csv").write_text("path,reason\n"),
                               ["featurize", "D", "-o", "t2.parquet", "-q", "-j", "1"], 0, None),
    "errors.csv truncated": (lambda u: (u / "t2.errors.csv").write_text('path,reason,size\nx.mp3,"bad'),
                             ["featurize", "D", "-o", "t2.parquet", "-q", "-j", "1"], 0, None),
    "errors.csv from a spreadsheet": (lambda u: (u / "t2.errors.csv").write_text(
        "path;reason;size;mtime_ns\r\nx.mp3;bad;1,0E+3;2\r\n", encoding="utf-16"),
        ["featurize", "D", "-o", "t2.parquet", "-q", "-j", "1"], 0, None),
    "-o an existing folder, --overwrite": (lambda u: (u / "out").mkdir(),
                                           ["featurize", "D", "-o", "out", "--overwrite", "-q"], 2, r"out: a folder"),
    "a path that does not exist": (None, ["featurize", "D", "/nonexistent", "-o", "x.parquet", "-q"], 2,
                                   r"/nonexistent: no such file or folder"),
    "a second path without audio": (lambda u: (u / "nothing").mkdir(),
                                     ["featurize", "D", "nothing", "-o", "t2.parquet", "-q", "-j", "1"], 1, None),
    "--download into a file": (None, ["featurize", "--download", "fma_small", "labels.csv"], 2,
                               r"labels.csv: a file, not a folder"),
    "a user's NAME.journal": (lambda u: (u / "t.journal").write_text("my notes\n"),
                              ["featurize", "D", "-o", "t.parquet", "-q"], 2, r"t.journal is not a journal of featurize"),
    "a read-only table": (lambda u: os.chmod(u / "t.parquet", 0o444),
                          ["featurize", "D", "-o", "t.parquet", "--overwrite", "-q"], 2, r"t.parquet: the file is read-only"),
    "--scheduler bogus": (None, ["featurize", "D", "-o", "s.parquet", "-q", "--scheduler", "bogus"], 2,
                          r"--scheduler bogus: not a scheduler's address"),
    "--scheduler http://h:1": (None, ["featurize", "D", "-o", "s.parquet", "-q", "--scheduler", "http://h:1"], 2,
                               r"not a scheduler's address"),
    "--labels a folder": (None, ["cv", "--features", "t.parquet", "--labels", "D", "--folds", "2", "--repeats", "1",
                                 "--classifiers", "logreg", "-q"], 2, r"--labels D: a folder"),
    "the ensemble, one clip of a class per training fold": (
        None, [*CV, "--repeats", "1", "--classifiers", "ensemble"], 2, r"ensemble needs 5 training clips of each class"),
    "train the ensemble on 8 clips": (
        None, [*TRAIN, "--classifier", "ensemble", "--no-cv", "-o", "e.skops"], 2, r"ensemble needs 5 training clips of each class"),
    "knn on 4 training clips": (
        None, [*CV, "--repeats", "1", "--classifiers", "knn"], 2, r"knn needs 15 training clips"),
    "--groups with one value": (
        None, [*CV, "--groups", "const", "--classifiers", "logreg"], 2, r"--groups const: every labelled clip is in one group"),
    "a constant --target": (
        None, [*CV, "--target", "const"], 2,
        r"--target const: the same value for every labelled clip"),
    "--valence-threshold nan": (
        None, [*CV, "--target", "valence", "--valence-threshold", "nan"], 2, r"--valence-threshold: 'nan' is not a finite number"),
    "train -o m.joblib": (
        None, [*TRAIN, "--classifier", "logreg", "-o", "m.joblib"], 2, r"-o m.joblib: models are saved as .skops files"),
    "a user's report.json in --report-dir": (
        lambda u: ((u / "mine").mkdir(), (u / "mine" / "report.json").write_text('{"mine": 1}'),
                   (u / "mine" / "confusion_logreg.png").write_bytes(b"my picture")),
        [*CV, "--repeats", "1", "--classifiers", "logreg", "--report-dir", "mine"], 2, r"--report-dir mine: the folder holds files"),
    "--report under a file": (lambda u: (u / "file.txt").write_text("hi"),
                              ["predict", "D/c0.mp3", "--model", "m.skops", "--report", "file.txt/sub", "-q"], 2,
                              r"--report file.txt/sub: .*file.txt is a file"),
    "--hop 0.001": (None, ["predict", "D/c0.mp3", "--model", "m.skops", "--timeline", "5", "--hop", "0.001", "-q"], 2,
                    r"--hop: 0.001 is too small"),
    "a model whose settings are a list": (lambda u: _model_with(u / "m.skops", u / "bad.skops", settings=[1, 2]),
                                          ["predict", "D/c0.mp3", "--model", "bad.skops", "-q"], 2,
                                          r"bad.skops: its contents are not a model's"),
    "a model whose classes are not its estimator's": (
        lambda u: _model_with(u / "m.skops", u / "bad.skops", classes=["Q1", "Q2", "Q3", "X"]),
        ["predict", "D/c0.mp3", "--model", "bad.skops", "-q"], 2, r"classes .* do not match the estimator's"),
    "a model whose array header claims 2**31 elements": (
        lambda u: _lying_array_header(u / "m.skops", u / "bad.skops"),
        ["predict", "D/c0.mp3", "--model", "bad.skops", "-q"], 2, r"bad.skops: damaged"),
    "a foreign table with two rows of one id": (
        lambda u: pd.read_csv(u / "rows.csv").assign(id=lambda d: d["id"].where(d.index != 5, "r4")).to_csv(
            u / "dup.csv", index=False),
        ["predict", "dup.csv", "--model", "rows.skops", "-q"], 2, r"dup.csv: 1 ids name more than one row"),
    "a foreign table without rows": (lambda u: pd.read_csv(u / "rows.csv").iloc[:0].to_csv(u / "none.csv", index=False),
                                     ["predict", "none.csv", "--model", "rows.skops", "-q"], 2, r"none.csv: the table has no rows"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input(user, capsys, case):
    make, argv, status, line = CASES[case]
    if make:
        make(user)
    before = _hashes(user)
    got, out, err = _run(argv, capsys)
    assert got == status, (out, err)
    if line:
        assert err.count("error:") == 1 and re.search(line, _one_line(err)), err
    else:
        _one_line(err)
    after = _hashes(user)
    made_by_us = {"t2.errors.csv"} if status in (0, 1) else set()  # a run that worked rewrites its error table
    assert {k: v for k, v in after.items() if k in before and k not in made_by_us} == \
        {k: v for k, v in before.items() if k not in made_by_us}, "a user's file changed"
    if status == 2:
        assert set(after) <= set(before) | {"cache"}, "a refused command left files behind"


def test_path_without_audio_does_not_widen_the_root(user, capsys):
    (user / "nothing").mkdir()
    status, out, _ = _run(["featurize", "D", "nothing", "-o", "t2.parquet", "-q", "-j", "1"], capsys)
    assert status == 1 and "FAILED nothing: no audio files there" in out
    assert read_table(user / "t2.parquet")[1]["root"] == str(user / "D")


def test_damaged_error_table_files_are_retried(user, capsys):
    (user / "t2.errors.csv").write_text('path,reason,size\nx.mp3,"bad')
    status, out, _ = _run(["featurize", "D", "-o", "t2.parquet", "-q", "-j", "1"], capsys)
    assert status == 0 and "8 clips" in out
    assert not (user / "t2.errors.csv").exists()  # rewritten: no clip failed


def test_stale_temporaries_are_removed(user, capsys):
    (user / ".t2.parquet.abc123.tmp").write_bytes(b"half a table")
    (user / ".t2.errors.csv.x.tmp").write_bytes(b"half")
    (user / ".mine.tmp").write_bytes(b"a user's")
    assert _run(["featurize", "D", "-o", "t2.parquet", "-q", "-j", "1"], capsys)[0] == 0
    assert sorted(p.name for p in user.iterdir() if p.name.startswith(".")) == [".mine.tmp"]


def test_replaced_table_keeps_its_permissions(user, capsys):
    assert _run(["featurize", "D", "-o", "t2.parquet", "-q", "-j", "1"], capsys)[0] == 0
    os.chmod(user / "t2.parquet", 0o640)
    (user / "D" / "c0.mp3").touch()  # changed: recomputed, the table rewritten
    assert _run(["featurize", "D", "-o", "t2.parquet", "-q", "-j", "1"], capsys)[0] == 0
    assert (user / "t2.parquet").stat().st_mode & 0o777 == 0o640


def test_name_that_is_not_utf8(user, capsys):
    if sys.platform == "darwin":
        pytest.skip("macOS file systems refuse names that are not UTF-8")
    odd = os.fsdecode(b"caf\xe9.mp3")
    shutil.copy(user / "D" / "c1.mp3", user / "D" / odd)
    status, out, err = _run(["featurize", "D", "-o", "t2.parquet", "-q", "-j", "1"], capsys)
    assert status == 0 and "9 clips" in out, err
    table = read_table(user / "t2.parquet")[0]
    assert "caf\\xe9.mp3" in set(table["path"])
    for fmt in ("table", "csv", "json"):
        status, out, err = _run(["predict", "D", "--model", "m.skops", "-q", "--format", fmt], capsys)
        assert status == 0 and "caf\\xe9.mp3" in out.replace("\\\\", "\\"), err


def test_every_row_of_a_foreign_table_answered(user, capsys):
    rows = pd.read_csv(user / "rows.csv")
    rows.loc[[2, 7], rows.columns[3]] = [np.nan, np.inf]
    rows.to_csv(user / "holes.csv", index=False)
    status, out, err = _run(["predict", "holes.csv", "--model", "rows.skops", "-q", "--format", "csv"], capsys)
    answers = pd.read_csv(io.StringIO(out))
    assert status == 1 and len(answers) == len(rows) and list(answers["path"]) == list(rows["id"])
    assert answers["mood"].isna().sum() == 2 and answers.loc[[2, 7], "error"].str.contains("missing or infinite").all()
    rows[rows.columns[1:]] = np.nan
    rows.to_csv(user / "all.csv", index=False)
    status, out, err = _run(["predict", "all.csv", "--model", "rows.skops", "-q", "--format", "csv"], capsys)
    assert status == 1 and pd.read_csv(io.StringIO(out))["mood"].isna().all()


def test_a_fifo_is_named_as_such(user, capsys):
    os.mkfifo(user / "D" / "pipe.mp3")
    status, out, err = _run(["predict", "D", "--model", "m.skops", "-q", "--format", "csv"], capsys)
    assert status == 1 and "pipe.mp3" in out and "not a regular file" in out


def test_rewritten_report_drops_the_earlier_timelines(user, capsys):
    assert _run(["predict", "D/c0.mp3", "D/c1.mp3", "--model", "m.skops", "--timeline", "5", "--report", "r", "-q"],
                capsys)[0] == 0
    assert len(list((user / "r" / "timeline").glob("*.png"))) == 2
    assert _run(["predict", "D/c2.mp3", "--model", "m.skops", "--report", "r", "-q"], capsys)[0] == 0
    assert not list((user / "r" / "timeline").glob("*.png")) and not (user / "r" / "timeline.csv").exists()


def test_analysis_warnings_stay_out_of_the_output(user, capsys):
    y = np.concatenate([synth_clip("Q1", 8.0, SR, seed=1), np.zeros(4 * SR, dtype=np.float32)])
    write_clip(user / "gap.wav", y)
    status, _, err = _run(["predict", "gap.wav", "--model", "m.skops", "-q", "--timeline", "5"], capsys)
    assert status == 0 and "Warning" not in err, err


# --- a Dask scheduler that is not one ---------------------------------------------------------

class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True  # a handler the client leaves waiting does not hold up shutdown


def _serve(handler_class):
    server = _Server(("127.0.0.1", 0), handler_class)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test's output is not the place for Dask's bytes
        pass


class _Garbage(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b"\xff" * 64)


@pytest.mark.parametrize("kind", ["web server", "garbage"])
def test_scheduler_that_is_not_dask(user, capsys, kind):
    pytest.importorskip("dask.distributed")
    server = _serve(_Quiet if kind == "web server" else _Garbage)
    try:
        address = f"tcp://127.0.0.1:{server.server_address[1]}"
        status, out, err = _run(["featurize", "D", "-o", "s.parquet", "-q", "--scheduler", address], capsys)
    finally:
        server.shutdown()
    assert status == 2 and "not a Dask scheduler" in _one_line(err) and not (user / "s.parquet").exists()


# --- other users' permissions ---------------------------------------------------------------

def _as_user(args, cwd):
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          preexec_fn=without_dac)


@pytest.fixture
def permissions(user):
    try:
        probe = _as_user(["featurize", "--version"], user)
    except (OSError, subprocess.SubprocessError) as err:
        pytest.skip(f"cannot run a command without root's file permissions here: {err}")
    if probe.returncode != 0:
        pytest.skip(f"cannot run a command without root's file permissions here: {probe.stderr.strip()}")
    return user


def test_unreadable_folder_and_file(permissions, capsys):
    user = permissions
    (user / "D" / "sub").mkdir()
    shutil.copy(user / "D" / "c0.mp3", user / "D" / "sub" / "s.mp3")
    assert _run(["featurize", "D", "-o", "t2.parquet", "-q", "-j", "1"], capsys)[0] == 0
    os.chmod(user / "D" / "sub", 0)
    shutil.copy(user / "D" / "c1.mp3", user / "D" / "new.mp3")
    os.chmod(user / "D" / "new.mp3", 0)
    (user / "other" / "locked").mkdir(parents=True)
    os.chmod(user / "other" / "locked", 0)
    try:
        done = _as_user(["featurize", "D", "-o", "t2.parquet", "-q", "-j", "1"], user)
        beside = _as_user(["featurize", "D", "other/locked", "-o", "t3.parquet", "-q", "-j", "1"], user)
        predicted = _as_user(["classify", "predict", "D", "--model", "m.skops", "-q", "--format", "csv"], user)
    finally:
        os.chmod(user / "D" / "sub", 0o755)
        os.chmod(user / "D" / "new.mp3", 0o644)
        os.chmod(user / "other" / "locked", 0o755)
    assert done.returncode == 1, done.stderr
    # A given folder that cannot be read, beside the others: named, and part of the table's root.
    assert beside.returncode == 1 and "FAILED other/locked/: cannot read this folder" in beside.stdout, beside.stderr
    assert "FAILED sub/: cannot read this folder" in done.stdout and "new.mp3: cannot read: permission denied" in done.stdout
    assert "sub/s.mp3" in set(read_table(user / "t2.parquet")[0]["path"]), "the unreadable folder's clips were dropped"
    assert "sub,,,,cannot read this folder" in predicted.stdout.replace(str(user / "D") + "/", "")
    assert "permission denied" in predicted.stdout


def test_read_only_output_folder_refused_before_any_work(permissions):
    user = permissions
    (user / "ro").mkdir()
    os.chmod(user / "ro", 0o555)
    try:
        runs = [_as_user(["featurize", "D", "-o", "ro/t.parquet", "-q"], user),
                _as_user(["classify", "train", "--features", "t.parquet", "--labels", "labels.csv", "--folds", "2",
                          "--classifier", "logreg", "-o", "ro/m.skops", "-q"], user),
                _as_user(["classify", "cv", "--features", "t.parquet", "--labels", "labels.csv", "--folds", "2",
                          "--classifiers", "logreg", "--report-dir", "ro/r", "-q"], user),
                _as_user(["classify", "predict", "D", "--model", "m.skops", "--report", "ro/r", "-q"], user)]
    finally:
        os.chmod(user / "ro", 0o755)
    for run in runs:
        assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
        assert "cannot write there" in run.stderr.strip().splitlines()[-1] and "ro" in run.stderr
        assert "cross-validation" not in run.stdout  # refused before the work
    assert not list((user / "ro").iterdir())


# --- a full disk ------------------------------------------------------------------------------

@pytest.fixture
def small_disk(user):
    """A 4 MiB tmpfs mounted in the user's folder (skipped where one cannot be mounted)."""
    disk = user / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def _leave_free(disk: Path, free: int):
    """Fill `disk` but for about `free` bytes."""
    st = os.statvfs(disk)
    with open(disk / "filler", "wb") as f:
        f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - free))


@pytest.mark.parametrize("where", ["t.journal", "t.parquet"])
def test_full_disk_in_featurize_loses_nothing(user, small_disk, capsys, where):
    # Room for the journal's header, or for the whole journal (about its values as JSON) but not the table.
    values = read_table(user / "t.parquet")[0].iloc[:, 5:].to_numpy()
    journal = sum(len(json.dumps(row.tolist())) + 150 for row in values) + 2_000
    _leave_free(small_disk, 6_000 if where == "t.journal" else journal + 30_000)
    status, out, err = _run(["featurize", "D", "-o", str(small_disk / "t.parquet"), "-q", "-j", "1"],
                            capsys)
    assert status == 2 and "no space left on the disk" in _one_line(err) and where in _one_line(err), err
    assert not (small_disk / "t.parquet").exists()
    assert not [p for p in small_disk.iterdir() if p.name.endswith(".tmp")]
    journalled = (small_disk / "t.journal").read_text().count("\n") - 1 if (small_disk / "t.journal").exists() else 0
    (small_disk / "filler").unlink()
    status, out, err = _run(["featurize", "D", "-o", str(small_disk / "t.parquet"), "-q", "-j", "1"],
                            capsys)
    assert status == 0 and "8 clips" in out and f"{journalled} already done" in out, (out, err)
    assert where != "t.parquet" or journalled == 8  # the final write failed: every clip had been kept


@pytest.mark.parametrize("argv", [
    [*TRAIN, "--classifier", "logreg", "--no-cv", "-o", "disk/m.skops"],
    ["predict", "D/c0.mp3", "--model", "m.skops", "--report", "disk/r", "-q"],
    [*CV, "--repeats", "1", "--classifiers", "logreg", "--report-dir", "disk/r"],
], ids=["train -o", "predict --report", "cv --report-dir"])
def test_full_disk_in_classify(user, small_disk, capsys, argv):
    _leave_free(small_disk, 2_000)
    status, out, err = _run(argv, capsys)
    assert status == 2 and "no space left on the disk writing" in _one_line(err), err
    assert not [p for p in small_disk.rglob("*") if p.name.endswith(".tmp")]


def test_disk_errors_are_told_from_bugs():
    from moodclass.errors import disk_problem

    assert "no space left" in disk_problem(OSError(errno.ENOSPC, "No space left on device", "x.parquet"))
    assert disk_problem(OSError(errno.EBADF, "Bad file descriptor")) is None
    assert disk_problem(ValueError("x")) is None
