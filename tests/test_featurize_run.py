"""Featurizing folders: bad files, resuming, refusing mixed settings, FMA track ids, the CLI."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import soundfile as sf
from conftest import BAD_REASONS, SR, write_clip

from featurize.__main__ import main as featurize_main
from featurize.audio import AudioError, find_audio, load_audio
from featurize.demo import synth_clip
from featurize.features import FeatureSettings
from featurize.run import featurize
from featurize.table import TableError, errors_path, journal_path, read_errors, read_table

FAST = FeatureSettings(families=("chroma", "contrast", "zcr", "rms"))


def test_load_audio_mixes_stereo_and_resamples(tmp_path):
    left = synth_clip("Q1", 6.0, 44100, seed=0)
    right = synth_clip("Q4", 6.0, 44100, seed=0)
    path = write_clip(tmp_path / "stereo.wav", np.stack([left, right], axis=1), sr=44100)
    import librosa

    expected, _ = librosa.load(path, sr=SR)
    y = load_audio(path, SR)
    assert y.dtype == np.float32 and len(y) == 6 * SR
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("name", sorted(BAD_REASONS))
def test_load_audio_gives_a_reason_for_each_bad_file(bad_folder, name):
    with pytest.raises(AudioError, match=BAD_REASONS[name]):
        load_audio(bad_folder / name, SR, min_duration=5.0)


def test_unreadable_file_is_reported(tmp_path):
    link = tmp_path / "gone.mp3"
    link.symlink_to(tmp_path / "missing.mp3")
    with pytest.raises(AudioError, match="cannot read"):
        load_audio(link, SR)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_file_without_read_permission_is_reported(tmp_path):
    path = write_clip(tmp_path / "locked.mp3", synth_clip("Q1", 6.0, SR))
    path.chmod(0)
    with pytest.raises(AudioError, match="permission denied"):
        load_audio(path, SR)


def test_find_audio_skips_other_endings(bad_folder):
    files, ignored, unreadable = find_audio([bad_folder])
    assert files == sorted(files) and all(f.is_absolute() for f in files)
    assert "notes.txt" not in {f.name for f in files} and ignored == 1 and unreadable == []
    assert len(files) == 2 + len(BAD_REASONS)


def test_bad_files_are_recorded_and_good_ones_kept(bad_folder, tmp_path):
    out = tmp_path / "t.parquet"
    summary = featurize([bad_folder], output=out, settings=FAST, n_jobs=2, progress=False)
    table, meta = read_table(out)
    assert sorted(table["path"]) == ["good1.mp3", "sub/good2.wav"]
    assert np.isfinite(table[FAST.columns()].to_numpy()).all()
    errors = read_errors(out).set_index("path")["reason"]
    assert set(errors.index) == set(BAD_REASONS)
    for name, reason in BAD_REASONS.items():
        assert re.search(reason, errors[name])
    assert len(summary.failed) == len(BAD_REASONS) and summary.errors == len(BAD_REASONS)
    assert meta["settings"] == FAST.to_dict() and "librosa" in meta["versions"]
    assert not journal_path(out).exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_rerun_computes_only_new_or_changed_clips(bad_folder, tmp_path):
    out = tmp_path / "t.parquet"
    featurize([bad_folder], output=out, settings=FAST, n_jobs=1, progress=False)
    again = featurize([bad_folder], output=out, settings=FAST, n_jobs=1, progress=False)
    assert again.computed == 0 and again.reused == 2 and again.skipped_failed == len(BAD_REASONS)
    write_clip(bad_folder / "new.mp3", synth_clip("Q2", 6.0, SR, seed=9))
    write_clip(bad_folder / "good1.mp3", synth_clip("Q3", 7.0, SR, seed=9))  # changed
    (bad_folder / "sub" / "good2.wav").unlink()
    third = featurize([bad_folder], output=out, settings=FAST, n_jobs=1, progress=False)
    assert third.computed == 2 and third.reused == 0 and third.removed == 1
    table, _ = read_table(out)
    assert sorted(table["path"]) == ["good1.mp3", "new.mp3"]
    assert table.set_index("path").loc["good1.mp3", "duration"] == pytest.approx(7.0, abs=0.01)
    retried = featurize([bad_folder], output=out, settings=FAST, n_jobs=1, progress=False, retry_failed=True)
    assert len(retried.failed) == len(BAD_REASONS)


def test_other_settings_are_refused_not_mixed(bad_folder, tmp_path):
    out = tmp_path / "t.parquet"
    featurize([bad_folder], output=out, settings=FAST, n_jobs=1, progress=False)
    before = out.read_bytes()
    other = FeatureSettings(families=FAST.families, hop_length=256)
    with pytest.raises(TableError, match="table vs this run: hop_length: 512 vs 256"):
        featurize([bad_folder], output=out, settings=other, n_jobs=1, progress=False)
    assert out.read_bytes() == before
    summary = featurize([bad_folder], output=out, settings=other, n_jobs=1, progress=False, overwrite=True)
    assert summary.computed == 2 and read_table(out)[1]["settings"]["hop_length"] == 256


def test_killed_run_resumes_without_losing_finished_clips(demo_corpus, tmp_path):
    out = tmp_path / "t.parquet"
    cmd = [sys.executable, "-m", "featurize", str(demo_corpus), "-o", str(out), "-j", "1", "-q",
           "--features", "chroma,rms"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    journal = journal_path(out)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if journal.exists() and len(journal.read_text().splitlines()) >= 4:  # header + 3 clips
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before_kill = len(journal.read_text().splitlines()) - 1
    assert 3 <= done_before_kill < 40 and not out.exists()
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    table, _ = read_table(out)
    assert len(table) == 40 and table["path"].is_unique
    assert f"{40 - done_before_kill} computed" in result.stdout
    assert not journal.exists()


def test_fma_layout_records_track_ids(tmp_path):
    root = tmp_path / "fma_small"
    for tid in (2, 140, 1482):
        write_clip(root / f"{tid:06d}"[:3] / f"{tid:06d}.mp3", synth_clip("Q1", 6.0, SR, seed=tid))
    featurize([root], output=tmp_path / "f.parquet", settings=FAST, n_jobs=1, progress=False)
    table, _ = read_table(tmp_path / "f.parquet")
    assert table["track_id"].tolist() == [2, 140, 1482]
    assert str(table["track_id"].dtype) == "Int64"


def test_cli_one_line_errors(tmp_path, capsys):
    assert featurize_main([str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file or folder" in err
    (tmp_path / "empty").mkdir()
    assert featurize_main([str(tmp_path / "empty")]) == 2
    assert "no audio files" in capsys.readouterr().err


def test_cli_exit_status_and_summary(bad_folder, tmp_path, capsys):
    out = tmp_path / "t.parquet"
    code = featurize_main([str(bad_folder), "-o", str(out), "-q", "--features", "chroma,rms", "-j", "1"])
    text = capsys.readouterr().out
    assert code == 1
    assert "2 clips" in text and f"clips that could not be analysed: {len(BAD_REASONS)}" in text
    assert "FAILED silent.flac: silent" in text and str(errors_path(out)) in text
    assert pq.read_schema(out).metadata[b"featurize"]


def test_demo_command_makes_and_featurizes_a_corpus(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert featurize_main(["--demo", "demo", "-q", "--features", "rms"]) == 0
    labels = pd.read_csv(tmp_path / "demo" / "labels.csv")
    assert sorted(labels["quadrant"].unique()) == ["Q1", "Q2", "Q3", "Q4"]
    table, _ = read_table(tmp_path / "cache" / "features" / "demo.parquet")
    assert len(table) == len(labels) == 48


def test_demo_clips_written_in_parallel_are_each_whole_in_its_own_file(tmp_path):
    from featurize.demo import make_demo

    mask = os.umask(0o022)
    try:
        labels = make_demo(tmp_path / "d", per_quadrant=3, duration=2.0, fmt="wav")
        assert os.umask(0o022) == 0o022  # the threads left the process's umask as it was
    finally:
        os.umask(mask)
    for row in labels.itertuples():
        path = tmp_path / "d" / row.path
        y, sr = sf.read(path, dtype="float32")
        expected = synth_clip(row.quadrant, 2.0, sr, seed=int(path.stem.split("_")[1]))
        assert len(y) == len(expected) and np.abs(y - expected).max() < 1e-4  # 16-bit PCM of the right clip
        assert path.stat().st_mode & 0o777 == 0o644
    assert len(labels) == 12 and not list((tmp_path / "d").rglob("*.tmp"))


def test_a_second_writer_is_refused_while_the_first_holds_the_table(bad_folder, tmp_path):
    from featurize.table import writer_lock

    out = tmp_path / "t.parquet"
    with writer_lock(out):
        with pytest.raises(TableError, match="being written by another featurize run"):
            featurize([bad_folder], output=out, settings=FAST, n_jobs=1, progress=False)
    assert featurize([bad_folder], output=out, settings=FAST, n_jobs=1, progress=False).computed == 2
    assert not out.with_name("t.lock").exists()


def test_a_torn_last_journal_line_loses_no_clip(tmp_path):
    from featurize.table import Journal

    root = tmp_path / "music"
    for i in range(3):
        write_clip(root / f"c{i}.wav", synth_clip("Q1", 6.0, SR, seed=i))
    out = tmp_path / "t.parquet"
    featurize([root], output=out, settings=FAST, n_jobs=1, progress=False)
    _, metadata = read_table(out)
    # A crash left the journal's last record half-written; then a new clip arrives.
    header = json.dumps({"settings": metadata["settings"], "root": metadata["root"]})
    journal_path(out).write_text(header + '\n{"path": "c9.wav", "size": 1, "mtime_ns"')
    write_clip(root / "c3.wav", synth_clip("Q2", 6.0, SR, seed=3))
    summary = featurize([root], output=out, settings=FAST, n_jobs=1, progress=False)
    table, _ = read_table(out)
    assert summary.computed == 1 and summary.rows == len(table) == 4
    assert sorted(table["path"]) == ["c0.wav", "c1.wav", "c2.wav", "c3.wav"]
    # The journal itself: the torn bytes are cut, the new record starts its own line.
    j = Journal(tmp_path / "j.journal")
    j.path.write_text('{"a": 1}\n{"b": 2, "c"')
    j.append({"d": 3})
    j.close()
    assert j.records() == [{"a": 1}, {"d": 3}]


@pytest.mark.parametrize("argv, message", [
    (["x", "--sr", "100"], "--sr: 100 is too small: give 8000 or more"),
    (["x", "-j", "0"], "-j/--jobs: 0 workers"),
    (["x", "--min-duration", "-1"], "--min-duration: -1 is too small"),
    (["x", "--hop-length", "ten"], "'ten' is not a whole number"),
])
def test_featurize_numbers_are_checked_when_parsed(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        featurize_main(argv + ["-o", str(tmp_path / "t.parquet")])
    assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "t.parquet").exists()


def test_jobs_minus_one_uses_every_core_and_fills_the_table(tmp_path):
    root = tmp_path / "music"
    for i in range(3):
        write_clip(root / f"c{i}.wav", synth_clip("Q3", 6.0, SR, seed=i))
    code = featurize_main([str(root), "-o", str(tmp_path / "t.parquet"), "-j", "-1", "--features", "rms,zcr", "-q"])
    assert code == 0 and len(read_table(tmp_path / "t.parquet")[0]) == 3


def test_a_damaged_table_is_an_error_not_wrong_numbers(tmp_path, capsys):
    from featurize.table import write_table

    marker = 1234.56789
    df = pd.DataFrame({"path": [f"{i}.mp3" for i in range(50)], "x": np.linspace(0, 1, 50)})
    df.loc[25, "x"] = marker
    path = tmp_path / "t.parquet"
    write_table(df, path, {"settings": FAST.to_dict(), "root": "/music"})
    data = bytearray(path.read_bytes())
    at = bytes(data).find(np.float64(marker).tobytes())
    assert at > 0
    data[at + 7] ^= 0x01  # one bit of the stored value flips on disk
    path.write_bytes(bytes(data))
    with pytest.raises(TableError, match="damaged.*--overwrite"):
        read_table(path)
    # Featurize names the file and what to do, in one line, instead of a traceback.
    root = tmp_path / "music"
    write_clip(root / "a.wav", synth_clip("Q1", 6.0, SR, seed=0))
    out = tmp_path / "out.parquet"
    out.write_bytes(b"PAR1 this is not a table PAR1")
    assert featurize_main([str(root), "-o", str(out), "-q", "-j", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(out) in err and "--overwrite" in err


def test_symlinked_files_and_folders_keep_the_paths_they_are_found_at(tmp_path):
    real = tmp_path / "library"
    write_clip(real / "a.mp3", synth_clip("Q1", 6.0, SR, seed=1))
    write_clip(real / "album" / "b.wav", synth_clip("Q2", 6.0, SR, seed=2))
    links = tmp_path / "playlist"
    links.mkdir()
    (links / "first.mp3").symlink_to(real / "a.mp3")
    (links / "album").symlink_to(real / "album", target_is_directory=True)
    (links / "gone.mp3").symlink_to(tmp_path / "deleted.mp3")
    (links / "loop").symlink_to(links, target_is_directory=True)  # must not be followed forever
    out = tmp_path / "t.parquet"
    code = featurize_main([str(links), "-o", str(out), "--features", "rms,zcr", "-q", "-j", "1"])
    table, _ = read_table(out)
    assert code == 1  # one bad file, the others analysed
    assert sorted(table["path"]) == ["album/b.wav", "first.mp3"]
    errors = read_errors(out)
    assert errors["path"].tolist() == ["gone.mp3"] and "cannot read" in errors["reason"].iloc[0]
    files, _, _ = find_audio([links])
    assert [f.name for f in files] == ["b.wav", "first.mp3", "gone.mp3"] and all(str(f).startswith(str(links)) for f in files)


def test_demo_refuses_a_folder_it_did_not_make(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "labels.csv").write_text("path,quadrant\nmy.mp3,Q1\n")
    assert featurize_main(["--demo", str(mine), "-q"]) == 2
    assert "not a demo corpus" in capsys.readouterr().err
    assert (mine / "labels.csv").read_text() == "path,quadrant\nmy.mp3,Q1\n" and sorted(os.listdir(mine)) == ["labels.csv"]
    from featurize.demo import make_demo

    demo = tmp_path / "demo"
    make_demo(demo, per_quadrant=1, duration=6.0)
    assert len(make_demo(demo, per_quadrant=1, duration=6.0)) == 4  # its own folder: filled again


def test_overwrite_replaces_only_feature_tables(tmp_path, capsys):
    root = tmp_path / "music"
    write_clip(root / "a.wav", synth_clip("Q1", 6.0, SR, seed=0))
    csv = tmp_path / "notes.csv"
    csv.write_text("my,precious,data\n")
    assert featurize_main([str(root), "-o", str(csv), "--overwrite", "-q", "-j", "1"]) == 2
    assert "not a feature table made by featurize" in capsys.readouterr().err and csv.read_text() == "my,precious,data\n"
    out = tmp_path / "t.parquet"
    assert featurize_main([str(root), "-o", str(out), "--features", "rms", "-q", "-j", "1"]) == 0
    assert featurize_main([str(root), "-o", str(out), "--features", "zcr", "--overwrite", "-q", "-j", "1"]) == 0
    assert "zcr_rate_mean" in read_table(out)[0].columns
