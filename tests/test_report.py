"""The report of predictions, opened in a real headless Chromium (Debian's, driven by Playwright)."""

import io
import shutil

import numpy as np
import pandas as pd
import pytest

from classify.__main__ import main as classify_main
from classify.report import DENSITY_FROM, MARKER, plot_plane

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# As the machine's notes advise: no sandbox as root, no background connections to a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine: the README's test command installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.mark.browser
def test_report_page_shows_its_pictures_and_a_sortable_table_of_every_file(quadrant_model, demo_corpus, tmp_path,
                                                                            browser, capsys):
    files = sorted(demo_corpus.rglob("*.mp3"))[::5]  # a few of each quadrant
    report = tmp_path / "report"
    code = classify_main(["predict", *map(str, files), str(tmp_path / "missing.mp3"), "--model", str(quadrant_model),
                          "--timeline", "6", "--report", str(report), "-q", "-j", "2"])
    assert code == 1  # the missing file; the others are in the report
    assert "report: " in capsys.readouterr().err
    written = {p.relative_to(report).as_posix() for p in report.rglob("*") if p.is_file()}
    assert {"index.html", "plane.png", "moods.png", "predictions.csv", "timeline.csv", MARKER} <= written
    assert sum(name.startswith("timeline/") for name in written) == len(files)

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed to load {r.url}"))
    page.goto((report / "index.html").as_uri())
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # the timelines load lazily
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    page.screenshot(path=tmp_path / "report.png", full_page=True)
    images = page.evaluate("Array.from(document.images).map(i => [i.alt, i.naturalWidth, i.naturalHeight])")
    assert len(images) == 2 + len(files) and all(w > 200 and h > 100 for _, w, h in images), images
    assert "The collection on the valence-arousal plane" in [alt for alt, _, _ in images]
    rows = page.locator("#files tbody tr")
    assert rows.count() == len(files) + 1
    assert "no such file" in page.locator("#files").inner_text()
    # Sorting: a click on the valence header orders the rows by it, a second click reverses them.
    header = page.locator("#files th", has_text="valence")
    column = page.evaluate("Array.from(document.querySelectorAll('#files th')).findIndex(h => h.textContent == 'valence')")
    values = f"Array.from(document.querySelectorAll('#files tbody tr')).map(r => r.cells[{column}].dataset.sort)"
    header.click()
    ascending = [float(v) for v in page.evaluate(values) if v is not None]
    header.click()
    descending = [float(v) for v in page.evaluate(values) if v is not None]
    assert ascending == sorted(ascending) and descending == sorted(ascending, reverse=True) and len(ascending) == len(files)
    assert problems == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
    # The same folder may be written again; a folder of the user's may not.
    predictions = pd.read_csv(report / "predictions.csv")
    assert len(predictions) == len(files) + 1 and predictions["valence"].abs().max() <= 1
    assert classify_main(["predict", str(files[0]), "--model", str(quadrant_model), "--report", str(report), "-q",
                          "-j", "1"]) == 0


def test_report_never_writes_into_a_folder_or_over_a_file_of_the_users(quadrant_model, demo_corpus, tmp_path, capsys):
    song = next(demo_corpus.rglob("*.mp3"))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "index.html").write_text("my page")
    assert classify_main(["predict", str(song), "--model", str(quadrant_model), "--report", str(mine), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a report of ours" in err and (mine / "index.html").read_text() == "my page"
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    assert classify_main(["predict", str(song), "--model", str(quadrant_model), "--report", str(notes), "-q"]) == 2
    assert "a file, not a folder" in capsys.readouterr().err and notes.read_text() == "mine"


@pytest.mark.parametrize("n, min_coloured", [(50, 0.005), (DENSITY_FROM - 1, 0.02), (DENSITY_FROM + 1000, 0.05)])
def test_the_plane_of_a_large_collection_is_no_black_blob(n, min_coloured):
    import matplotlib.image

    rng = np.random.default_rng(0)
    v, a = np.clip(rng.normal(0.3, 0.25, n), -1, 1), np.clip(rng.normal(-0.2, 0.25, n), -1, 1)
    moods = np.where(a >= 0, np.where(v >= 0, "Q1", "Q2"), np.where(v >= 0, "Q4", "Q3"))
    image = matplotlib.image.imread(io.BytesIO(plot_plane(pd.DataFrame({"valence": v, "arousal": a, "mood": moods}))))
    rgb = image[..., :3]
    dark = (rgb.max(axis=2) < 0.25).mean()  # near-black pixels: text, axes, and saturated overplotting
    coloured = (rgb.max(axis=2) - rgb.min(axis=2) > 0.2).mean()
    assert dark < 0.05 and coloured > min_coloured
