"""Featurizing on a real Dask cluster (LocalCluster, worker processes): same table, dead workers, killed clients."""

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from conftest import write_clip

from featurize.demo import synth_clip
from featurize.features import FeatureSettings
from featurize.run import featurize
from featurize.table import journal_path, read_errors, read_table

pytestmark = pytest.mark.cluster
distributed = pytest.importorskip("distributed", reason="the dask extra is not installed: pip install -e '.[dask]'")

SETTINGS = FeatureSettings(families=("chroma", "tonnetz", "contrast", "mfcc", "melody"))


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


def journalled(out):
    """Clips recorded in the journal so far."""
    journal = journal_path(out)
    return len(journal.read_text().splitlines()) - 1 if journal.exists() else 0


def wait_for(condition, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.01)


def feature_values(path):
    table, _ = read_table(path)
    return table.sort_values("path")[SETTINGS.columns()].to_numpy(), sorted(table["path"])


def test_cluster_table_equals_the_local_one_though_a_worker_dies(cluster, demo_corpus, tmp_path):
    local, remote = tmp_path / "local.parquet", tmp_path / "cluster.parquet"
    featurize([demo_corpus], output=local, settings=SETTINGS, n_jobs=2, progress=False)
    with distributed.Client(cluster.scheduler_address) as client:
        pids = list(client.run(os.getpid).values())

    killed_at = []

    def kill_a_worker():  # once some clips are in, one worker process dies with its tasks
        wait_for(lambda: journalled(remote) >= 4)
        os.kill(pids[0], signal.SIGKILL)
        killed_at.append(journalled(remote))

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    summary = featurize([demo_corpus], output=remote, settings=SETTINGS, progress=False,
                        scheduler=cluster.scheduler_address)
    killer.join()
    assert 4 <= killed_at[0] < 40  # the worker died mid-run
    assert summary.computed == summary.rows == 40 and not summary.failed
    ours, theirs = feature_values(remote), feature_values(local)
    assert ours[1] == theirs[1] and np.array_equal(ours[0], theirs[0])


def test_a_killed_client_is_resumed_without_recomputing(cluster, demo_corpus, tmp_path):
    out = tmp_path / "t.parquet"
    cmd = [sys.executable, "-m", "featurize", str(demo_corpus), "-o", str(out), "-q", "--scheduler",
           cluster.scheduler_address, "--features", ",".join(SETTINGS.families)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for(lambda: journalled(out) >= 3)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before_kill = journalled(out)
    assert 3 <= done_before_kill < 40 and not out.exists()
    summary = featurize([demo_corpus], output=out, settings=SETTINGS, progress=False, scheduler=cluster.scheduler_address)
    assert summary.reused == done_before_kill and summary.computed == 40 - done_before_kill
    assert summary.rows == 40 and not journal_path(out).exists()


def test_bad_files_on_the_cluster_are_recorded_with_their_reason(cluster, tmp_path):
    root = tmp_path / "music"
    write_clip(root / "good.wav", synth_clip("Q1", 6.0, 22050, seed=0))
    (root / "broken.mp3").write_bytes(b"ID3" + bytes(400))
    (root / "gone.mp3").symlink_to(tmp_path / "nowhere.mp3")  # a path no worker can read
    summary = featurize([root], output=tmp_path / "t.parquet", settings=SETTINGS, progress=False,
                        scheduler=cluster.scheduler_address)
    reasons = dict(zip(read_errors(tmp_path / "t.parquet")["path"], read_errors(tmp_path / "t.parquet")["reason"]))
    assert summary.rows == 1 and set(reasons) == {"broken.mp3", "gone.mp3"}
    assert "cannot decode" in reasons["broken.mp3"] and "cannot read" in reasons["gone.mp3"]


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path, capsys):
    from featurize.__main__ import main

    write_clip(tmp_path / "a.wav", synth_clip("Q1", 6.0, 22050, seed=0))
    assert main([str(tmp_path), "-o", str(tmp_path / "t.parquet"), "-q", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no scheduler answers there" in err


def test_cross_validation_on_the_cluster_gives_the_local_results(cluster, demo_corpus, tmp_path, capsys):
    import json

    from classify.__main__ import main as classify_main

    table = tmp_path / "demo.parquet"
    featurize([demo_corpus], output=table, settings=SETTINGS, n_jobs=2, progress=False)
    def task_kinds():  # the kinds of task the scheduler has ever run
        with distributed.Client(cluster.scheduler_address) as client:
            return set(client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes)))

    before = task_kinds()
    reports = {}
    for where, extra in (("local", []), ("cluster", ["--scheduler", cluster.scheduler_address])):
        out = tmp_path / where
        assert classify_main(["--features", str(table), "--labels", str(demo_corpus / "labels.csv"), "--classifiers",
                              "svm,rf", "--folds", "5", "--repeats", "2", "--report-dir", str(out), "-q", *extra]) == 0
        reports[where] = json.loads((out / "report.json").read_text())["classifiers"]
    assert task_kinds() - before  # the fits ran on the cluster
    for name in ("svm", "rf"):
        for key in ("per_repeat", "confusion", "per_class"):
            assert reports["local"][name][key] == reports["cluster"][name][key]
