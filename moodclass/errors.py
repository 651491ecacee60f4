"""The project's errors: what a user's input or data can cause, each reported by the commands in
one line naming the file and what to do (:func:`moodclass.cli.run_command`). Any other exception
is a bug, and shows its traceback.

Every class derives from :class:`MoodclassError`; where a built-in exception means the same
(a missing file, a bad value), the class derives from it too, so ``except FileNotFoundError``
still catches :class:`InputNotFoundError`.
"""

import errno


class MoodclassError(Exception):
    """Base of every error the commands report in one line."""


class UsageError(MoodclassError, ValueError):
    """Options or settings that cannot work together, or a place the tool will not write to."""


class InputNotFoundError(MoodclassError, FileNotFoundError):
    """A file or folder the user named (audio, labels, metadata, a model) that does not exist."""


class NoAudioError(MoodclassError):
    """The paths given hold no audio file."""


class AudioError(MoodclassError):
    """A file that cannot be analysed; the message is the reason, for the error table."""


class AnalysisCrashError(MoodclassError):
    """Analyses that crash their process, file after file: a fault of the machine or of the installation."""


class TableError(MoodclassError):
    """A feature table that cannot be used as asked; the message says why and what to do."""


class LabelError(MoodclassError):
    """Labels that cannot be used; the message says why."""


class ModelFileError(MoodclassError):
    """A file that is not a model saved by ``classify train``, or one that holds untrusted types."""


class SettingsMismatchError(MoodclassError):
    """Features made with other extraction settings than a model's."""


class DownloadError(MoodclassError):
    """A download that failed for good; the message says why."""


#: What a full or read-only disk raises, by errno: the user's situation, reported in one line.
_DISK_PROBLEMS = {errno.ENOSPC: "no space left on the disk", errno.EDQUOT: "disk quota exceeded",
                  errno.EROFS: "read-only file system", errno.EFBIG: "file too large for the file system"}


def disk_reason(err: BaseException) -> str | None:
    """What a full or read-only disk's OSError means, in a few words; None for any other error.

    Parameters
    ----------
    err : BaseException

    Returns
    -------
    str or None
    """
    return _DISK_PROBLEMS.get(err.errno) if isinstance(err, OSError) else None


def disk_problem(err: BaseException) -> str | None:
    """One line for an OSError of a full or read-only disk, naming the file; None for any other error.

    Parameters
    ----------
    err : BaseException

    Returns
    -------
    str or None
    """
    what = disk_reason(err)
    if what is None:
        return None
    where = f" writing {err.filename}" if err.filename else ""
    return f"{what}{where}: free some space (or choose another place) and run the same command again"
