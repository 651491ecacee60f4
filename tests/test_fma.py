"""FMA support on fixtures in FMA's exact formats: multi-row headers, missing values, the folder layout."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import SR, write_clip

from classify.__main__ import main as classify_main
from classify.labels import echonest_labels
from featurize import fma
from featurize.__main__ import main as featurize_main
from featurize.demo import synth_clip
from featurize.table import read_table

# track id -> (artist id, album id, genre, quadrant the clip is synthesised in, echonest (valence, energy))
TRACKS = {}
for i in range(48):
    q = ("Q1", "Q2", "Q3", "Q4")[i % 4]
    va = {"Q1": (0.8, 0.9), "Q2": (0.2, 0.8), "Q3": (0.1, 0.2), "Q4": (0.7, 0.3)}[q]
    TRACKS[2 + 137 * i] = (100 + i // 3, 500 + i // 6, ("Rock", "Electronic", "Folk", "Pop")[i % 4], q, va)
NO_ECHONEST = [2 + 137 * 47]  # a track that Echonest never analysed


def write_tracks_csv(path, tracks):
    """tracks.csv as FMA ships it: two header rows, the track id as index, blanks for missing values."""
    cols = pd.MultiIndex.from_tuples([("album", "id"), ("album", "title"), ("artist", "id"), ("artist", "name"),
                                      ("set", "split"), ("set", "subset"), ("track", "genre_top"), ("track", "title")])
    rows = [[alb, f"Album {alb}", art, f"Artist {art}", "training", "small", genre, f"Song {tid}"]
            for tid, (art, alb, genre, _, _) in tracks.items()]
    df = pd.DataFrame(rows, index=pd.Index(list(tracks), name="track_id"), columns=cols)
    df.loc[list(tracks)[5], ("track", "genre_top")] = np.nan  # FMA leaves some genres blank
    df.to_csv(path)


def write_echonest_csv(path, tracks):
    """echonest.csv as FMA ships it: three header rows, e.g. ('echonest', 'audio_features', 'valence')."""
    names = ["acousticness", "danceability", "energy", "instrumentalness", "liveness", "speechiness", "tempo", "valence"]
    cols = pd.MultiIndex.from_tuples([("echonest", "audio_features", n) for n in names]
                                     + [("echonest", "metadata", "artist_name")])
    ids = [t for t in tracks if t not in NO_ECHONEST]
    rows = [[0.5, 0.5, tracks[t][4][1], 0.5, 0.1, 0.05, 120.0, tracks[t][4][0], f"Artist {tracks[t][0]}"] for t in ids]
    pd.DataFrame(rows, index=pd.Index(ids, name="track_id"), columns=cols).to_csv(path)


@pytest.fixture(scope="module")
def fma_root(tmp_path_factory):
    base = tmp_path_factory.mktemp("fma")
    audio = base / "fma_small"
    for tid, (_, _, _, q, _) in TRACKS.items():
        tid6 = f"{tid:06d}"
        write_clip(audio / tid6[:3] / f"{tid6}.mp3", synth_clip(q, 6.0, SR, seed=tid))
    (base / "fma_metadata").mkdir()
    write_tracks_csv(base / "fma_metadata" / "tracks.csv", TRACKS)
    write_echonest_csv(base / "fma_metadata" / "echonest.csv", TRACKS)
    return base


def test_header_rows_are_as_fma_ships_them(fma_root):
    lines = (fma_root / "fma_metadata" / "tracks.csv").read_text().splitlines()
    assert lines[0].startswith(",album,album,artist") and lines[1].startswith(",id,title,id")
    assert lines[2].startswith("track_id,") and lines[3].startswith("2,")
    lines = (fma_root / "fma_metadata" / "echonest.csv").read_text().splitlines()
    assert lines[2].startswith(",acousticness,") and lines[3].startswith("track_id,")


def test_track_ids_from_paths():
    assert fma.track_id_from_path("000/000002.mp3") == 2
    assert fma.track_id_from_path("fma_small/099/099134.mp3") == 99134
    assert fma.track_id_from_path("001/000002.mp3") is None  # folder is not the id's prefix
    assert fma.track_id_from_path("rock/001.mp3") is None


def test_read_tracks_and_echonest(fma_root):
    tracks = fma.read_tracks(fma_root / "fma_metadata")
    assert tracks.loc[2, "artist_id"] == 100 and tracks.loc[2, "subset"] == "small"
    assert pd.isna(tracks.loc[list(TRACKS)[5], "genre_top"])
    labels, message = echonest_labels(pd.DataFrame({"track_id": pd.array(list(TRACKS), dtype="Int64")}),
                                      fma_root / "fma_metadata")
    expected = [TRACKS[t][3] if t not in NO_ECHONEST else None for t in TRACKS]
    assert labels.tolist() == expected
    assert f"{len(TRACKS) - 1} of {len(TRACKS)} tracks" in message


def test_featurize_then_grouped_cv_on_fma_layout(fma_root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert featurize_main([str(fma_root / "fma_small"), "-q", "-j", "2", "--features", "chroma,contrast,rms,key"]) == 0
    table, _ = read_table(tmp_path / "cache" / "features" / "fma_small.parquet")
    assert len(table) == len(TRACKS)
    row = table.set_index("track_id").loc[2 + 137 * 7]
    assert row["artist_id"] == TRACKS[2 + 137 * 7][0] and row["album_id"] == TRACKS[2 + 137 * 7][1]
    assert row["path"] == f"{2 + 137 * 7:06d}"[:3] + f"/{2 + 137 * 7:06d}.mp3"
    capsys.readouterr()
    code = classify_main(["--cv", "repeated", "--labels", "fma-echonest", "--groups", "artist", "--folds", "4",
                          "--repeats", "2", "-q", "--classifiers", "svm"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"{len(TRACKS) - 1} of {len(TRACKS)} tracks have Echonest data" in out
    assert "clips without a label, left out: 1" in out and "groups: 'artist_id', 16 groups" in out
    report = json.loads((tmp_path / "cache" / "reports" / "fma_small-by-artist" / "report.json").read_text())
    assert report["n_clips"] == len(TRACKS) - 1 and report["groups"] == "artist"


def test_echonest_labels_need_metadata(tmp_path, capsys):
    from featurize.run import featurize

    root = tmp_path / "music"
    for q in ("Q1", "Q3"):
        write_clip(root / f"{q}.mp3", synth_clip(q, 6.0, SR))
    from featurize.features import FeatureSettings

    featurize([root], output=tmp_path / "t.parquet", settings=FeatureSettings(families=("rms",)), n_jobs=1, progress=False)
    assert classify_main(["--features", str(tmp_path / "t.parquet"), "--labels", "fma-echonest", "-q"]) == 2
    assert "needs FMA's metadata" in capsys.readouterr().err
