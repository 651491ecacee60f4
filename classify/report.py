"""A report of predictions to look at: pictures and one self-contained ``index.html``.

``predict ... --report DIR`` writes into DIR:

- ``predictions.csv`` (and ``timeline.csv`` with ``--timeline``): the machine-readable results;
- ``plane.png``: the collection on the valence-arousal plane, one point per file coloured by
  quadrant (a quadrant model only); large collections are drawn with transparency, and above
  :data:`DENSITY_FROM` files as a density map, so that thousands of points stay readable;
- ``moods.png``: the share of each mood in the collection;
- ``timeline/NNNN.png``: each file's valence and arousal (or class probabilities) over time;
- ``index.html``: all of them with a sortable table of the files, the plane and the shares
  embedded and the timelines beside it, so the page opens from disk with no server and no
  internet.

DIR must be new, empty, or a report folder written before (it holds :data:`MARKER`): a
folder of the user's is never written into.
"""

import base64
import html
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from classify.labels import QUADRANT_NAMES, display_name
from classify.predict import Predictions
from moodclass.errors import UsageError
from moodclass.infra import atomic_write, check_writable

#: The file that marks a folder as a report of ours, which a new report may replace.
MARKER = ".moodclass-report"
#: From this many files on, the valence-arousal plane is a density map rather than points.
DENSITY_FROM = 2000
QUADRANT_COLOURS = {"Q1": "#e6a700", "Q2": "#d62728", "Q3": "#1f5fbf", "Q4": "#2ca02c"}


def check_report_folder(folder: str | Path, *, option: str = "--report") -> Path:
    """`folder` as a Path if a report may be written there, checked before any work: a new or
    empty folder, or one a report of ours was written to (it holds :data:`MARKER`); writable.

    Parameters
    ----------
    folder : str or Path
    option : str
        The command-line option that named it, for the message.

    Returns
    -------
    Path

    Raises
    ------
    UsageError
        Naming `option` and what to do.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{option} {folder}: a file, not a folder; name a new folder for the report")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).exists() and not _old_cv_report(folder):
        raise UsageError(f"{option} {folder}: the folder holds files that are not a report of ours; "
                         "name a new or empty folder")
    check_writable(folder / MARKER, option, shown=folder)
    return folder


def _old_cv_report(folder: Path) -> bool:
    """A cv report written before reports were marked: report.json with our keys, and figures."""
    try:
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    others = [p.name for p in folder.iterdir() if p.name != "report.json"]
    return (isinstance(report, dict) and "feature_settings" in report
            and all(n.startswith("confusion_") and n.endswith(".png") for n in others))


def write_report(predictions: Predictions, folder: str | Path, *, title: str = "Moods") -> Path:
    """Write the report of `predictions` into `folder`; returns the path of ``index.html``.

    Parameters
    ----------
    predictions : Predictions
        From :func:`classify.predict.predict_paths`.
    folder : str or Path
        Checked by :func:`check_report_folder`.
    title : str
        The page's title.

    Returns
    -------
    Path
    """
    folder = check_report_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).touch()
    # An earlier report's pictures and timelines (other files', maybe) must not outlive it.
    for old in [*folder.glob("timeline/*.png"), *(folder / n for n in ("timeline.csv", "plane.png", "moods.png"))]:
        old.unlink(missing_ok=True)
    files, windows = predictions.files, predictions.timeline
    done = files[files["mood"].notna()].reset_index(drop=True)
    _write_text(folder / "predictions.csv", files.to_csv(index=False, float_format="%.4f"))
    if windows is not None:
        _write_text(folder / "timeline.csv", windows.to_csv(index=False, float_format="%.4f"))
    pictures = {}
    if "valence" in done.columns and len(done):
        pictures["plane.png"] = ("The collection on the valence-arousal plane", plot_plane(done))
    if len(done):
        moods = predictions.classes or sorted(done["mood"].unique())  # a regressor's quadrants
        pictures["moods.png"] = ("Share of each mood", plot_shares(done["mood"], moods))
    timelines = []
    if windows is not None:
        for i, (path, w) in enumerate(windows.groupby("path", sort=False)):
            name = f"timeline/{i:04d}.png"
            timelines.append((path, name, plot_timeline(w, predictions.classes, path)))
    for name, (_, png) in pictures.items():
        _write_bytes(folder / name, png)
    for _, name, png in timelines:
        _write_bytes(folder / name, png)
    page = _html(title, files, predictions.classes, pictures, timelines)
    _write_text(folder / "index.html", page)
    return folder / "index.html"


def plot_plane(files: pd.DataFrame) -> bytes:
    """PNG of the files on the valence-arousal plane, coloured by quadrant, quadrants named.

    Parameters
    ----------
    files : pd.DataFrame
        One row per file, with ``valence``, ``arousal`` and ``mood``.

    Returns
    -------
    bytes
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.2, 6.0))
    v, a = files["valence"].to_numpy(float), files["arousal"].to_numpy(float)
    if len(files) >= DENSITY_FROM:
        hb = ax.hexbin(v, a, gridsize=40, extent=(-1, 1, -1, 1), cmap="YlGnBu", mincnt=1, bins="log")
        fig.colorbar(hb, ax=ax, shrink=0.8, label="files per cell")
    else:
        alpha = float(np.clip(20 / np.sqrt(len(files)), 0.15, 0.9))
        for q, colour in QUADRANT_COLOURS.items():
            mine = files["mood"].to_numpy() == q
            ax.scatter(v[mine], a[mine], s=28, c=colour, alpha=alpha, edgecolors="none",
                       label=f"{display_name(q)} ({int(mine.sum())})")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.27), ncol=2, fontsize=8, frameon=False)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.axvline(0, color="0.6", lw=0.8)
    corners = {"Q1": (0.97, 0.97, "right", "top"), "Q2": (-0.97, 0.97, "left", "top"),
               "Q3": (-0.97, -0.97, "left", "bottom"), "Q4": (0.97, -0.97, "right", "bottom")}
    for q, (x, y, ha, va) in corners.items():
        ax.text(x, y, f"{q} {QUADRANT_NAMES[q]}", ha=ha, va=va, fontsize=9, color=QUADRANT_COLOURS[q], weight="bold",
                zorder=5, bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.5})
    ax.set(xlim=(-1.05, 1.05), ylim=(-1.05, 1.05), aspect="equal",
           xlabel="valence (negative ← → positive)", ylabel="arousal (low ← → high)")
    ax.set_title(f"{len(files)} files on the valence-arousal plane", fontsize=10)
    return _png(fig)


def plot_shares(moods: pd.Series, classes) -> bytes:
    """PNG bar chart of the share of each mood among `moods`.

    Parameters
    ----------
    moods : pd.Series
    classes : sequence
        The bars, in order.

    Returns
    -------
    bytes
    """
    plt = _pyplot()
    counts = moods.value_counts().reindex(classes, fill_value=0)
    share = counts / max(counts.sum(), 1)
    fig, ax = plt.subplots(figsize=(6.2, 0.9 + 0.45 * len(classes)))
    colours = [QUADRANT_COLOURS.get(c, "0.45") for c in classes]
    bars = ax.barh([display_name(c) for c in classes], share, color=colours)
    for bar, n, s in zip(bars, counts, share):
        ax.text(bar.get_width() + 0.01, bar.get_y() + bar.get_height() / 2, f"{s:.0%} ({n})", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set(xlim=(0, min(1.0, share.max() + 0.2)), xlabel="share of the files")
    ax.set_title(f"Moods of {counts.sum()} files", fontsize=10)
    return _png(fig)


def plot_timeline(windows: pd.DataFrame, classes, path: str) -> bytes:
    """PNG of one file's valence and arousal (or class probabilities) against time.

    Parameters
    ----------
    windows : pd.DataFrame
        One file's windows, with ``start`` and ``end``.
    classes : sequence
    path : str
        The file, for the title.

    Returns
    -------
    bytes
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 2.6))
    t = (windows["start"].to_numpy(float) + windows["end"].to_numpy(float)) / 2
    if "valence" in windows.columns:
        ax.plot(t, windows["valence"], "o-", color="#7b3fb2", label="valence")
        ax.plot(t, windows["arousal"], "s-", color="#e07b00", label="arousal")
        ax.axhline(0, color="0.6", lw=0.8)
        ax.set(ylim=(-1.05, 1.05), ylabel="-1 … 1")
    else:
        for c in classes:
            ax.plot(t, windows[f"p_{c}"], "o-", label=display_name(c))
        ax.set(ylim=(0, 1), ylabel="probability")
    ax.set(xlim=(0, windows["end"].max()), xlabel="time (s), window centres")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.set_title("/".join(Path(path).parts[-2:]), fontsize=9)
    return _png(fig)


def _html(title, files, classes, pictures, timelines) -> str:
    columns = ["path", "duration", "mood"] + [f"p_{c}" for c in classes]
    columns += [c for c in files.columns if c in ("valence", "arousal") or c.startswith("rating_")]
    columns += [c for c in ("music_like",) if c in files.columns] + ["error"]
    head = "".join(f'<th data-type="{"text" if c in ("path", "mood", "music_like", "error") else "num"}">'
                   f'{html.escape(c)}</th>' for c in columns)
    body = []
    for r in files.to_dict("records"):
        cells = []
        for c in columns:
            value = r.get(c)
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                cells.append("<td></td>")
            elif c == "mood":
                cells.append(f'<td data-sort="{html.escape(value)}">{html.escape(display_name(value))}</td>')
            elif isinstance(value, float):
                cells.append(f'<td data-sort="{value:.6f}">{value:.2f}</td>')
            else:
                cells.append(f"<td>{html.escape(str(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    figures = "".join(f'<figure><img alt="{html.escape(caption)}" src="{_data_uri(png)}"><figcaption>'
                      f'{html.escape(caption)}</figcaption></figure>' for caption, png in pictures.values())
    # Beside the page rather than in it: a collection's thousands of timelines stay out of its size.
    lines = "".join(f'<figure class="timeline"><img loading="lazy" alt="mood over time of {html.escape(path)}" '
                    f'src="{name}"><figcaption>{html.escape(path)}</figcaption></figure>'
                    for path, name, _ in timelines)
    failed = int(files["mood"].isna().sum())
    summary = f"{len(files)} files" + (f", {failed} could not be classified" if failed else "")
    return _PAGE.format(title=html.escape(title), summary=summary, figures=figures,
                        timelines=f"<h2>Mood over time</h2>{lines}" if timelines else "",
                        head=head, rows="\n".join(body))


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }}
.figures {{ display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }}
figure {{ margin: 0; }} figure img {{ max-width: 100%; }} figcaption {{ font-size: 0.85em; color: #555; }}
figure.timeline {{ display: inline-block; max-width: 48%; margin: 0.3em; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }}
th {{ cursor: pointer; background: #f3f3f3; position: sticky; top: 0; }}
th[aria-sort="ascending"]::after {{ content: " ▲"; }} th[aria-sort="descending"]::after {{ content: " ▼"; }}
</style></head>
<body>
<h1>{title}</h1>
<p>{summary}. Valence and arousal come from the quadrant probabilities (P(Q1) + P(Q4) − P(Q2) − P(Q3),
P(Q1) + P(Q2) − P(Q3) − P(Q4)): where the model leans, not a rating. Click a column to sort.</p>
<div class="figures">{figures}</div>
<h2>Files</h2>
<table id="files"><thead><tr>{head}</tr></thead>
<tbody>
{rows}
</tbody></table>
{timelines}
<script>
document.querySelectorAll("#files th").forEach((th, col) => th.addEventListener("click", () => {{
  const body = document.querySelector("#files tbody");
  const ascending = th.getAttribute("aria-sort") !== "ascending";
  document.querySelectorAll("#files th").forEach(h => h.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  const key = td => td.dataset.sort ?? td.textContent;
  const numeric = th.dataset.type === "num";
  const rows = Array.from(body.rows).sort((a, b) => {{
    const x = key(a.cells[col]), y = key(b.cells[col]);
    const order = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y);
    return ascending ? order : -order;
  }});
  rows.forEach(r => body.appendChild(r));
}}));
</script>
</body></html>
"""


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110)
    fig.clf()
    _pyplot().close(fig)
    return buffer.getvalue()


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def _write_text(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))
