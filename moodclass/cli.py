"""How both commands end: one line for what the user can fix, a traceback for a bug."""

import errno
import os
import sys
from collections.abc import Callable

from moodclass.errors import MoodclassError, disk_problem

#: An OSError of a file the user named, with one of these, is the user's to fix (a missing file,
#: a folder where a file was meant, no permission): reported in one line, as the OS words it.
USER_FILE_ERRNOS = (errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EACCES, errno.EPERM)


def run_command(prog: str, command: Callable[[], int]) -> int:
    """Run `command`, and turn what a user's input or situation causes into one line and an exit status.

    Parameters
    ----------
    prog : str
        The command's name, the start of each line (``featurize: error: ...``).
    command : callable
        Runs the command; returns its exit status.

    Returns
    -------
    int
        `command`'s status; 2 for a :class:`~moodclass.errors.MoodclassError`, a full or
        read-only disk, or a file of the user's that is missing or cannot be read; 130 when
        interrupted; 141 when the output's reader stopped reading (``| head``). Any other
        exception propagates, with its traceback: a bug.
    """
    try:
        return command()
    except MoodclassError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as err:
        if disk_problem(err) is not None:
            print(f"{prog}: error: {disk_problem(err)}", file=sys.stderr)
            return 2
        if err.errno in USER_FILE_ERRNOS and err.filename:
            print(f"{prog}: error: {err}", file=sys.stderr)
            return 2
        raise
