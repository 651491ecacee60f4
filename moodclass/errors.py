"""The project's errors: what a user's input or data can cause, each reported by the commands in
one line naming the file and what to do. Any other exception is a bug, and shows its traceback."""

import errno


class MoodclassError(Exception):
    """Base of every error the commands report in one line."""


class UsageError(MoodclassError, ValueError):
    """Options or settings that cannot work together, or a place the tool will not write to."""


#: What a full or read-only disk raises, by errno: the user's situation, reported in one line.
_DISK_PROBLEMS = {errno.ENOSPC: "no space left on the disk", errno.EDQUOT: "disk quota exceeded",
                  errno.EROFS: "read-only file system", errno.EFBIG: "file too large for the file system"}


def disk_reason(err: BaseException) -> str | None:
    """What a full or read-only disk's OSError means, in a few words; None for any other error."""
    return _DISK_PROBLEMS.get(err.errno) if isinstance(err, OSError) else None


def disk_problem(err: BaseException) -> str | None:
    """One line for an OSError of a full or read-only disk, naming the file; None for any other error."""
    what = disk_reason(err)
    if what is None:
        return None
    where = f" writing {err.filename}" if err.filename else ""
    return f"{what}{where}: free some space (or choose another place) and run the same command again"
