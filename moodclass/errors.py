"""The project's errors: what a user's input or data can cause, each reported by the commands in
one line naming the file and what to do. Any other exception is a bug, and shows its traceback."""

import errno


class MoodclassError(Exception):
    """Base of every error the commands report in one line."""


class UsageError(MoodclassError, ValueError):
    """Options or settings that cannot work together, or a place the tool will not write to."""


#: What a full or read-only disk raises: the user's situation, reported in one line.
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def disk_problem(err: BaseException) -> str | None:
    """One line for an OSError of a full or read-only disk, naming the file; None for any other error."""
    if not isinstance(err, OSError) or err.errno not in _DISK_ERRNOS:
        return None
    what = {errno.ENOSPC: "no space left on the disk", errno.EDQUOT: "disk quota exceeded",
            errno.EROFS: "read-only file system", errno.EFBIG: "file too large for the file system"}[err.errno]
    where = f" writing {err.filename}" if err.filename else ""
    return f"{what}{where}: free some space (or choose another place) and run the same command again"
