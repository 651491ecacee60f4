"""A beets plugin: the mood of every song, computed from its audio on this machine.

It fills the fields AcousticBrainz used to (``mood_happy``, ``mood_aggressive``, ``mood_sad``,
``mood_relaxed``: each Russell quadrant's probability) and ``mood_quadrant`` (Q1 happy, Q2
angry, Q3 sad, Q4 calm), ``mood_valence``, ``mood_arousal`` (-1 to 1), ``mood_music_like``
('music', 'uncertain', 'not music-like') and ``mood_model``. Enable it in beets' config::

    plugins: mood
    mood:
      auto: no              # yes: analyse on `beet import`
      model: ''             # a model from `python -m classify train`; empty: the shipped one
      include_uncertain: no # yes: also give moods to items that do not sound like music
      jobs: -1              # worker processes (-1: all cores)

then ``beet mood [QUERY]`` analyses the items without a mood (``-f``: all that match), and
``beet ls mood_quadrant:Q3`` lists the sad songs. Where beets writes tags (its ``write``
option, or ``beet mood -w``), the fields also go into the files, the audio untouched
(:mod:`classify.tags`).
"""

import os

from beets import ui
from beets.dbcore import types
from beets.plugins import BeetsPlugin

from classify.tags import QUADRANT_FIELDS, TagError, audio_fingerprint, model_identity, mood_fields, write_mood_tags

#: Items are analysed, stored and (where asked) written this many at a time, so an interrupted
#: run keeps what it did.
CHUNK = 32


class MoodPlugin(BeetsPlugin):
    """``beet mood``, and moods on ``beet import`` with ``auto: yes``."""

    item_types = {**{f: types.Float(4) for f in QUADRANT_FIELDS.values()}, "mood_valence": types.Float(4),
                  "mood_arousal": types.Float(4), "mood_music_distance": types.Float(4)}

    def __init__(self):
        super().__init__()
        self.config.add({"auto": False, "model": "", "include_uncertain": False, "jobs": -1})
        if self.config["auto"].get(bool):
            self.import_stages = [self.imported]
        self._model = None

    def commands(self):
        cmd = ui.Subcommand("mood", help="the mood of items, from their audio (happy, angry, sad, calm)")
        cmd.parser.add_option("-f", "--force", action="store_true", help="analyse items that have a mood already")
        cmd.parser.add_option("-w", "--write", action="store_true", default=None, help="also write the moods into "
                              "the files' tags (default: beets' write option)")
        cmd.parser.add_option("-W", "--nowrite", action="store_false", dest="write", help="do not write tags")
        cmd.func = self.command
        return [cmd]

    def command(self, lib, opts, args):
        write = ui.should_write(opts.write)
        self.analyse(list(lib.items(args)), force=opts.force, write=write)

    def imported(self, session, task):
        self.analyse(task.imported_items(), force=False, write=False)  # beets writes tags after this stage

    def _loaded(self):
        from classify.model import DEFAULT_MODEL, MoodModel
        from moodclass.arguments import package_version

        if self._model is None:
            path = self.config["model"].as_str() or DEFAULT_MODEL
            self._model = MoodModel.load(path), model_identity(path, package_version())
        return self._model

    def analyse(self, items, *, force, write):
        """Give each of `items` without a mood (all with `force`) its mood fields, stored at once."""
        from classify.predict import predict_paths

        todo = [i for i in items if force or "mood_quadrant" not in i]
        if not todo:
            self._log.info("every item has a mood already (-f to analyse them again)")
            return
        model, model_id = self._loaded()
        include = self.config["include_uncertain"].get(bool)
        done = 0
        for start in range(0, len(todo), CHUNK):
            part = todo[start:start + CHUNK]
            rows = predict_paths(model, [os.fsdecode(i.path) for i in part], n_jobs=self.config["jobs"].get(int),
                                 progress=False).files.to_dict("records")
            for item, row in zip(part, rows):
                if isinstance(row.get("error"), str):
                    self._log.warning("{}: {}", os.fsdecode(item.path), row["error"])
                    continue
                item["mood_music_like"], item["mood_music_distance"] = row["music_like"], float(row["music_distance"])
                if row["music_like"] not in ("music", "unknown") and not include:
                    self._log.info("{}: {} (distance {:.2f}): no mood given (include_uncertain: yes to give one)",
                                   os.fsdecode(item.path), row["music_like"], row["music_distance"])
                    item.store()
                    continue
                path = os.fsdecode(item.path)
                fields = mood_fields(row, model_id=model_id, fingerprint="")
                if write:
                    try:
                        fingerprint = audio_fingerprint(path)
                        write_mood_tags(path, {**fields, "mood_audio": fingerprint}, fingerprint=fingerprint)
                    except TagError as err:
                        self._log.warning("{}: tags not written: {}", path, err)
                for name, value in fields.items():
                    if name not in ("mood", "mood_audio"):
                        item[name] = float(value) if name in self.item_types else value
                item.store()
                done += 1
            self._log.info("moods: {} of {} items", done, len(todo))
