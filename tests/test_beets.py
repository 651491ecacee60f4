"""The beets plugin in a real beets library made in a temporary folder: `beet import -A`, then
`beet mood`, then queries on the mood fields; and moods given on import with `auto: yes`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import mutagen
import pytest

pytest.importorskip("beets", reason="needs the beets extra: pip install -e '.[beets]'")

EMOTIFY = Path(__file__).resolve().parents[2] / "shared" / "data" / "emotify" / "audio"
SONGS = [EMOTIFY / "rock" / "101.mp3", EMOTIFY / "classical" / "001.mp3", EMOTIFY / "pop" / "325.mp3"]

pytestmark = pytest.mark.skipif(not SONGS[0].is_file(), reason="needs the Emotify clips in ../shared/data")


def beet(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BEETSDIR": str(root)}  # nothing read from or written to the user's own beets folder
    done = subprocess.run([sys.executable, "-m", "beets", "-c", str(root / "config.yaml"), *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done


def library(tmp_path: Path, *, auto: bool, write: bool = False) -> Path:
    music = tmp_path / "music"
    music.mkdir()
    for song in SONGS:
        shutil.copy(song, music / f"{song.parent.name}-{song.name}")
    (tmp_path / "config.yaml").write_text(
        f"directory: {tmp_path / 'lib'}\nlibrary: {tmp_path / 'lib.db'}\nplugins: [mood]\n"
        f"import:\n  copy: no\n  write: {'yes' if write else 'no'}\n  autotag: no\n"
        f"mood:\n  auto: {'yes' if auto else 'no'}\n  jobs: 2\n")
    return music


def test_beet_mood_fills_the_acousticbrainz_fields_and_queries_find_them(tmp_path):
    music = library(tmp_path, auto=False)
    beet(tmp_path, "import", "-A", "-q", str(music))
    listed = beet(tmp_path, "ls", "-f", "$path|$mood_quadrant").stdout.split()
    assert len(listed) == 3 and all(line.endswith("|$mood_quadrant") for line in listed)  # no mood yet
    beet(tmp_path, "mood")
    rows = dict(line.split("|", 1) for line in beet(tmp_path, "ls", "-f", "$path|$mood_quadrant $mood_sad "
                                                    "$mood_music_like $mood_model").stdout.splitlines())
    assert len(rows) == 3
    for fields in rows.values():
        quadrant, sad, like, *model = fields.split()
        assert quadrant in ("Q1", "Q2", "Q3", "Q4") and 0 <= float(sad) <= 1 and like == "music"
        assert model[0] == "moodclass"
    # The same moods as `classify predict` gives, and a query by mood lists exactly those songs.
    from classify.model import DEFAULT_MODEL, MoodModel
    from classify.predict import predict_paths

    predicted = predict_paths(MoodModel.load(DEFAULT_MODEL), sorted(rows), progress=False).files
    for path, mood in zip(predicted["path"], predicted["mood"]):
        assert rows[path].split()[0] == mood
        shown = beet(tmp_path, "ls", f"mood_quadrant:{mood}", "-f", "$path").stdout.split()
        assert path in shown and all(rows[p].split()[0] == mood for p in shown)
    assert beet(tmp_path, "ls", "mood_sad:0.5..1", "-f", "$path").stdout.split() == \
        sorted(p for p, f in rows.items() if float(f.split()[1]) >= 0.5)
    # Items with a mood are not analysed again unless forced; the files were not written (write: no).
    assert "every item has a mood already" in beet(tmp_path, "-v", "mood").stderr
    assert all(mutagen.File(p).tags is None or "TMOO" not in mutagen.File(p).tags for p in rows)


def test_auto_gives_moods_on_import_and_write_puts_them_in_the_files(tmp_path):
    music = library(tmp_path, auto=True)
    beet(tmp_path, "import", "-A", "-q", str(music))
    quadrants = beet(tmp_path, "ls", "-f", "$mood_quadrant").stdout.split()
    assert len(quadrants) == 3 and set(quadrants) <= {"Q1", "Q2", "Q3", "Q4"}
    beet(tmp_path, "mood", "-f", "-w", f"path:{music / 'rock-101.mp3'}")  # a query: that song, into its file
    tags = {p.name: mutagen.File(p).tags for p in music.iterdir()}
    assert str(tags["rock-101.mp3"]["TMOO"]).split()[0] in quadrants
    assert all(t is None or "TMOO" not in t for name, t in tags.items() if name != "rock-101.mp3")
