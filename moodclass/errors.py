"""The project's errors: what a user's input or data can cause, each reported by the commands in
one line naming the file and what to do. Any other exception is a bug, and shows its traceback."""


class MoodclassError(Exception):
    """Base of every error the commands report in one line."""


class UsageError(MoodclassError, ValueError):
    """Options or settings that cannot work together, or a place the tool will not write to."""
