"""Fault injection: runs killed with ``kill -9`` at random moments, resumed, and compared with a clean run.

What the README promises: a killed run loses at most the clips in flight, leaves nothing
running and nothing locked, and the next run completes the table with the values a run that
was never killed gives, at any ``--jobs`` and on a Dask cluster.
"""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import SR, write_clip

from featurize.demo import synth_clip
from featurize.features import FeatureSettings
from featurize.run import featurize
from featurize.table import read_table, writer_lock

pytestmark = pytest.mark.slow

SETTINGS = FeatureSettings()  # the default preset: every descriptor's values compared


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """32 MP3 clips of 8 s, the table of a run that was never killed (one job), and its path."""
    root = tmp_path_factory.mktemp("faults")
    for i in range(32):
        write_clip(root / "music" / f"c{i:02d}.mp3", synth_clip(f"Q{i % 4 + 1}", 8.0, SR, seed=100 + i))
    clean = root / "clean.parquet"
    featurize([root / "music"], output=clean, settings=SETTINGS, n_jobs=1, progress=False)
    (root / "labels.csv").write_text("path,quadrant\n" + "".join(f"c{i:02d}.mp3,Q{i % 4 + 1}\n" for i in range(32)))
    return root / "music", read_table(clean)[0].set_index("path"), clean


def _command(music, out, *extra):
    return [sys.executable, "-m", "featurize", str(music), "-o", str(out), "-q", *extra]


def _lines(journal: Path) -> int:
    """Lines in the journal so far: its header and a line per clip."""
    try:
        return journal.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _alive(pgid: int) -> list[int]:
    """Processes of process group `pgid` that are still running (zombies are dead)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def _kill_and_check(proc, out):
    """kill -9 the run; within seconds none of its processes runs and the table is not locked."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while _alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(proc.pid), "worker processes outlived the killed run"
    if out is not None:
        with writer_lock(out):  # raises TableError if anything still holds the lock
            pass


def _assert_complete(out, clean):
    table = read_table(out)[0]
    assert table["path"].is_unique
    table = table.set_index("path")
    assert sorted(table.index) == sorted(clean.index)
    columns = SETTINGS.columns()
    np.testing.assert_array_equal(table.loc[clean.index, columns].to_numpy(), clean[columns].to_numpy())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kill -9 and /proc: Linux")
@pytest.mark.parametrize("extra", [("-j", "2"), ("--scheduler", "local")], ids=["jobs2", "dask-local"])
def test_killed_at_random_moments_then_resumed(clips, tmp_path, extra):
    pytest.importorskip("dask.distributed") if "--scheduler" in extra else None
    music, clean, _ = clips
    out = tmp_path / "t.parquet"
    rng = random.Random(f"faults-{extra}")  # the moments are reported by the test id and this seed
    journal = out.with_name("t.journal")
    kills = 0
    for _ in range(6):
        # Killed once 1-5 more clips are journalled, and up to half a second later: in the middle of
        # a clip, of a journal line or of the table's writing, whatever the machine's speed.
        wanted, delay = _lines(journal) + rng.randint(1, 5), rng.uniform(0.0, 0.5)
        proc = subprocess.Popen(_command(music, out, *extra), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while proc.poll() is None and _lines(journal) < wanted:
            time.sleep(0.02)
        time.sleep(delay)
        if proc.poll() is not None:  # finished before the kill: the table is complete
            assert proc.returncode == 0, proc.stderr.read().decode()
            break
        _kill_and_check(proc, out)
        kills += 1
    assert kills >= 2, "the runs finished too fast for the kills to test anything"
    done = subprocess.run(_command(music, out, *extra), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    _assert_complete(out, clean)
    assert not out.with_name("t.journal").exists() and not out.with_name("t.lock").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files left behind"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kill -9 and /proc: Linux")
@pytest.mark.parametrize("command", ["cv", "predict"])
def test_killed_classify_leaves_no_worker(clips, tmp_path, command):
    music, _, table = clips
    if command == "cv":  # long enough to be killed mid-way: 40 repeats of the forest on 2 joblib workers
        args = ["cv", "--features", str(table), "--labels", str(table.parent / "labels.csv"), "--classifiers", "rf",
                "--repeats", "40", "--folds", "4", "--report-dir", str(tmp_path / "r")]
    else:
        args = ["predict", str(music)]
    proc = subprocess.Popen([sys.executable, "-m", "classify", *args, "-j", "2", "-q"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while len(_alive(proc.pid)) < 3 and time.monotonic() < deadline:  # the command and its two workers
        time.sleep(0.2)
    assert proc.poll() is None, f"{command} ended before its workers started: {proc.stderr.read().decode()}"
    time.sleep(2.0)  # the workers at work
    assert proc.poll() is None
    _kill_and_check(proc, None)


def _started(music, out, *, clips: int) -> subprocess.Popen:
    """``featurize -j 2`` in its own session, once `clips` clips are journalled."""
    proc = subprocess.Popen(_command(music, out, "-j", "2"), start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    while proc.poll() is None and _lines(out.with_suffix(".journal")) < clips + 1:  # and the header
        time.sleep(0.02)
    return proc


def _workers(pgid: int) -> list[int]:
    """The processes of run `pgid` (its own session) other than the run itself."""
    return [pid for pid in _alive(pgid) if pid != pgid]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and /proc: Linux")
def test_a_worker_that_crashes_costs_no_clip(clips, tmp_path):
    # A worker killed by SIGSEGV, as a crash in a compiled library kills it, in the middle of the run:
    # the clips it and the pool had in flight are analysed again, and the table is complete.
    music, clean, _ = clips
    out = tmp_path / "t.parquet"
    proc = _started(music, out, clips=3)
    victims = _workers(proc.pid)
    assert proc.poll() is None and victims, "the run ended before a worker could be killed"
    os.kill(victims[0], signal.SIGSEGV)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "FAILED" not in err
    _assert_complete(out, clean)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and /proc: Linux")
def test_a_run_whose_every_analysis_crashes_stops_in_one_line_and_keeps_its_clips(clips, tmp_path):
    # Every worker is killed as soon as it appears (a damaged installation): the run stops, saying
    # so in one line, keeps what it finished, records no clip as failed, and the next run completes.
    music, clean, _ = clips
    out = tmp_path / "t.parquet"
    proc = _started(music, out, clips=2)
    while proc.poll() is None:
        for pid in _workers(proc.pid):
            try:
                os.kill(pid, signal.SIGSEGV)
            except ProcessLookupError:
                pass
        time.sleep(0.01)
    err = proc.stderr.read()
    assert proc.returncode == 2, err
    assert "Traceback" not in err and "files in a row crashed the analysis" in err
    assert "-name '*.nb[ic]' -delete" in err
    kept = read_table(out)[0]
    assert 2 <= len(kept) < len(clean)
    np.testing.assert_array_equal(kept.set_index("path").loc[kept["path"], SETTINGS.columns()].to_numpy(),
                                  clean.loc[kept["path"], SETTINGS.columns()].to_numpy())
    done = subprocess.run(_command(music, out), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    _assert_complete(out, clean)
