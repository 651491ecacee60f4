"""Moods in the files' own tags (mutagen): written without touching the audio, and read back.

The quadrant and its name go in the standard mood field (ID3v2.4 ``TMOO``, Vorbis/FLAC/Opus
``MOOD``, MP4 ``----:com.apple.iTunes:MOOD``, WMA ``WM/Mood``), which players and MusicBrainz
Picard show. The numbers go in free-form fields (ID3 ``TXXX``, Vorbis comments, MP4
``----:com.apple.iTunes:``) with the names AcousticBrainz-era tools used, which many libraries
still carry (beets' ``mood_happy``, ...): each quadrant's probability, then valence, arousal,
how music-like the audio is, and which model said so.

A file is tagged on a copy beside it, whose audio stream is checked to be the original's, packet
for packet (demuxed by the FFmpeg that PyAV bundles), before the copy replaces the original in
one rename: a crash leaves the file as it was or tagged, never half-written. ``mood_audio`` holds
a fingerprint of that audio stream and ``mood_model`` the model's identity, so a file already
tagged by the same model, its audio unchanged, is recognised and skipped.
"""

import hashlib
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path

from moodclass.errors import MoodclassError

#: The free-form field of each quadrant's probability (AcousticBrainz's names).
QUADRANT_FIELDS = {"Q1": "mood_happy", "Q2": "mood_aggressive", "Q3": "mood_sad", "Q4": "mood_relaxed"}
#: Every free-form field written, in order.
FIELDS = (*QUADRANT_FIELDS.values(), "mood_quadrant", "mood_valence", "mood_arousal", "mood_music_like",
          "mood_model", "mood_audio")
_MP4_FREEFORM = "----:com.apple.iTunes:"


class TagError(MoodclassError):
    """A file whose tags cannot be read or written; the message is the reason."""


def audio_fingerprint(path: str | Path) -> str:
    """A hash of the first audio stream's packets: what tagging must never change.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str
        16 hexadecimal digits.

    Raises
    ------
    TagError
        If no audio stream can be read.
    """
    import av

    digest = hashlib.sha256()
    try:
        with av.open(os.fsdecode(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise TagError("holds no audio stream")
            stream = container.streams.audio[0]
            for packet in container.demux(stream):
                if packet.size:
                    digest.update(bytes(packet))
    except av.FFmpegError as err:
        raise TagError(f"cannot read its audio stream (FFmpeg: {err.strerror or err})") from None
    return digest.hexdigest()[:16]


def _open(path):
    import mutagen

    try:
        audio = mutagen.File(os.fsdecode(path))
    except mutagen.MutagenError as err:
        raise TagError(f"cannot read its tags (mutagen: {err}); repair them with a tag editor, or leave the file out") \
            from None
    if audio is None:
        raise TagError(f"its format ('{Path(path).suffix}') holds no tags this tool can write")
    return audio


def _kind(tags) -> str:
    from mutagen.asf import ASFTags
    from mutagen.id3 import ID3
    from mutagen.mp4 import MP4Tags

    if isinstance(tags, ID3):
        return "id3"
    if isinstance(tags, MP4Tags):
        return "mp4"
    if isinstance(tags, ASFTags):
        return "asf"
    return "vorbis"


def duration_of(path: str | Path) -> float:
    """The file's length in seconds as its container says (mutagen), NaN where it says none.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    float
    """
    info = getattr(_open(path), "info", None)
    return float(getattr(info, "length", float("nan")) or float("nan"))


def read_mood_tags(path: str | Path) -> dict[str, str]:
    """The mood fields a file holds: ``mood`` (the standard field) and those of :data:`FIELDS`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict
        Field -> text; fields the file lacks are absent.

    Raises
    ------
    TagError
        If its tags cannot be read.
    """
    tags = _open(path).tags
    if tags is None:
        return {}
    kind, out = _kind(tags), {}
    for field in ("mood", *FIELDS):
        if kind == "id3":
            frames = tags.getall("TMOO" if field == "mood" else f"TXXX:{field}")
            values = [str(t) for f in frames for t in f.text]
        elif kind == "mp4":
            values = [bytes(v).decode("utf-8", "replace") for v in tags.get(_MP4_FREEFORM + field.upper(), [])]
        elif kind == "asf":
            values = [str(v) for v in tags.get("WM/Mood" if field == "mood" else field, [])]
        else:
            values = list(tags.get(field.upper(), []))
        if values:
            out[field] = values[0]
    return out


def _set(tags, kind, field, text):
    if kind == "id3":
        from mutagen.id3 import TMOO, TXXX

        if field == "mood":
            tags.setall("TMOO", [TMOO(encoding=3, text=[text])])
        else:
            tags.setall(f"TXXX:{field}", [TXXX(encoding=3, desc=field, text=[text])])
    elif kind == "mp4":
        from mutagen.mp4 import MP4FreeForm

        tags[_MP4_FREEFORM + field.upper()] = [MP4FreeForm(text.encode("utf-8"))]
    elif kind == "asf":
        tags["WM/Mood" if field == "mood" else field] = [text]
    else:
        tags[field.upper()] = [text]


def write_mood_tags(path: str | Path, fields: Mapping[str, str], *, fingerprint: str) -> None:
    """Write `fields` (``mood`` and any of :data:`FIELDS`) into the file's tags, audio untouched.

    Parameters
    ----------
    path : str or Path
    fields : mapping of str to str
    fingerprint : str
        The file's :func:`audio_fingerprint`, checked again on the tagged copy.

    Raises
    ------
    TagError
        If the file is read-only, its tags cannot be read or written, or tagging would change
        its audio; the file is then as it was.
    """
    path = Path(path)
    if not os.access(path, os.W_OK):
        raise TagError("read-only: not tagged (make it writable, e.g. chmod u+w, to tag it)")
    tmp = path.with_name(f".{path.name}.moodclass-tmp")
    try:
        shutil.copy2(path, tmp)
        audio = _open(tmp)
        if audio.tags is None:
            audio.add_tags()
        kind = _kind(audio.tags)
        for field, text in fields.items():
            _set(audio.tags, kind, field, text)
        audio.save()
        if audio_fingerprint(tmp) != fingerprint:
            raise TagError("tagging would change its audio stream: not tagged (please report this file's format)")
        os.replace(tmp, path)
    except OSError as err:
        raise TagError(f"cannot write: {err.strerror or err}") from None
    except Exception as err:
        import mutagen

        if isinstance(err, mutagen.MutagenError):
            raise TagError(f"cannot write its tags (mutagen: {err})") from None
        raise
    finally:
        tmp.unlink(missing_ok=True)


def model_identity(model_path: str | Path, version: str) -> str:
    """``moodclass VERSION NAME SHA1``: what ``mood_model`` holds, so a retag is detectable.

    Parameters
    ----------
    model_path : str or Path
        The model file.
    version : str
        This package's version.

    Returns
    -------
    str
    """
    digest = hashlib.sha1(Path(model_path).read_bytes()).hexdigest()[:12]
    return f"moodclass {version} {Path(model_path).stem} {digest}"


def row_from_tags(path: Path, tags: dict, classes) -> dict | None:
    """A prediction row rebuilt from a file's mood tags (:func:`read_mood_tags`), for the files a
    run skips as already tagged (their playlists); None where the tags lack a number.

    Parameters
    ----------
    path : Path
    tags : dict
    classes : sequence of str

    Returns
    -------
    dict or None
    """
    try:
        row = {"path": str(path), "duration": duration_of(path), "mood": tags["mood_quadrant"],
               "music_like": tags.get("mood_music_like", "unknown")}
        for c in classes:
            row[f"p_{c}"] = float(tags[QUADRANT_FIELDS[c]])
        row["valence"], row["arousal"] = float(tags["mood_valence"]), float(tags["mood_arousal"])
    except (KeyError, ValueError):
        return None
    return row


def mood_fields(row: Mapping, *, model_id: str, fingerprint: str) -> dict[str, str]:
    """The tag fields of one prediction row (:func:`classify.predict.predict_paths`' columns).

    Parameters
    ----------
    row : mapping
        ``mood``, ``p_Q1`` ... ``p_Q4``, ``valence``, ``arousal``, ``music_like``.
    model_id : str
        :func:`model_identity`.
    fingerprint : str
        :func:`audio_fingerprint`.

    Returns
    -------
    dict
        ``mood`` and every field of :data:`FIELDS`.
    """
    from classify.labels import display_name

    fields = {"mood": display_name(row["mood"])}
    fields.update({field: f"{row[f'p_{q}']:.4f}" for q, field in QUADRANT_FIELDS.items()})
    fields.update(mood_quadrant=str(row["mood"]), mood_valence=f"{row['valence']:.4f}",
                  mood_arousal=f"{row['arousal']:.4f}", mood_music_like=str(row.get("music_like", "unknown")),
                  mood_model=model_id, mood_audio=fingerprint)
    return fields


@dataclass
class TagSummary:
    """What :func:`tag_paths` did: files `tagged`, `skipped` (already tagged by the model, audio
    unchanged), `left_out` (``(path, why)``: not music-like, not tagged unless asked), `failed`
    (``(path, reason)``), in a dry run the `changes` (``(path, {field: (old, new)})``), `rows`
    (every file's prediction, for playlists), and whether it was `interrupted`."""

    tagged: int = 0
    skipped: int = 0
    left_out: list = _field(default_factory=list)
    failed: list = _field(default_factory=list)
    changes: list = _field(default_factory=list)
    rows: list = _field(default_factory=list)
    interrupted: bool = False


def tag_paths(model, paths, *, model_id: str, dry_run: bool = False, force: bool = False,
              include_uncertain: bool = False, n_jobs: int | None = None, min_duration: float = 0.0,
              progress: bool = True, chunk: int = 64) -> TagSummary:
    """Predict the mood of every audio file under `paths` and write it into the file's tags.

    Files are analysed and tagged `chunk` at a time, so an interrupted run (Ctrl-C) keeps every
    tag written so far and the next run, skipping the files already tagged, does the rest.

    Parameters
    ----------
    model : classify.model.MoodModel
        A quadrant classifier.
    paths : sequence of str or Path
        Audio files and folders.
    model_id : str
        :func:`model_identity` of `model`'s file.
    dry_run : bool
        Say what would change; write nothing.
    force : bool
        Retag files already tagged by this model.
    include_uncertain : bool
        Also tag files whose audio is unlike music ('uncertain', 'not music-like').
    n_jobs : int, optional
        Worker processes of the analysis.
    min_duration : float
        Shorter files fail.
    progress : bool
    chunk : int
        Files analysed between writes.

    Returns
    -------
    TagSummary
    """
    from classify.labels import are_quadrants
    from classify.predict import predict_paths
    from featurize.audio import find_audio
    from moodclass.errors import NoAudioError, UsageError
    from moodclass.infra import path_text, progress_bar

    if not are_quadrants(model.classes):
        raise UsageError("tag: the model must classify the four quadrants (Q1-Q4); this one gives "
                         f"{', '.join(model.classes) or 'numbers'}")
    files, _, unreadable = find_audio(paths)
    if not files and not unreadable:
        raise NoAudioError(f"no audio files under {', '.join(map(str, paths))}")
    summary = TagSummary()
    summary.failed += [(path_text(d), "cannot read this folder: its files were not tagged") for d in unreadable]
    pending = []
    bar = progress_bar(total=len(files), desc="tag", unit="file", disable=not progress)

    def flush():
        predictions = predict_paths(model, [f for f, _, _ in pending], n_jobs=n_jobs, min_duration=min_duration,
                                    progress=False).files.to_dict("records")
        for (f, tags, fp), row in zip(pending, predictions):
            _tag_one(f, tags, fp, row, summary, model_id=model_id, dry_run=dry_run, include_uncertain=include_uncertain)
        bar.update(len(pending))
        pending.clear()

    try:
        for f in files:
            try:
                tags, fp = read_mood_tags(f), audio_fingerprint(f)
            except TagError as err:
                summary.failed.append((path_text(f), str(err)))
                bar.update(1)
                continue
            if not force and tags.get("mood_model") == model_id and tags.get("mood_audio") == fp:
                summary.skipped += 1
                row = row_from_tags(f, tags, model.classes)
                if row is not None:
                    summary.rows.append(row)
                bar.update(1)
                continue
            pending.append((f, tags, fp))
            if len(pending) >= chunk:
                flush()
        if pending:
            flush()
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        bar.close()
    return summary


def _tag_one(f, tags, fp, row, summary, *, model_id, dry_run, include_uncertain):
    from moodclass.infra import path_text

    if isinstance(row.get("error"), str):
        summary.failed.append((path_text(f), row["error"]))
        return
    row = {**row, "path": str(f)}
    summary.rows.append(row)
    like = row.get("music_like", "unknown")
    if like not in ("music", "unknown") and not include_uncertain:
        summary.left_out.append((path_text(f), f"{like} (distance {row['music_distance']:.2f} from the training "
                                               "music): not tagged; --include-uncertain to tag it anyway"))
        return
    fields = mood_fields(row, model_id=model_id, fingerprint=fp)
    if dry_run:
        changed = {k: (tags.get(k), v) for k, v in fields.items() if tags.get(k) != v}
        summary.changes.append((path_text(f), changed))
        return
    try:
        write_mood_tags(f, fields, fingerprint=fp)
    except TagError as err:
        summary.failed.append((path_text(f), str(err)))
        return
    summary.tagged += 1
