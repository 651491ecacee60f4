"""Argument types shared by the ``featurize`` and ``classify`` commands.

Numbers are checked when the command line is parsed, before any work, and a bad one gets
argparse's one-line error naming the option and the valid range.
"""

import argparse
from importlib.metadata import PackageNotFoundError, version


def int_at_least(minimum):
    """An argparse type: an integer no smaller than `minimum`."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is too small: give {minimum} or more")
        return value

    return parse


def float_at_least(minimum):
    """An argparse type: a number no smaller than `minimum`."""

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value >= minimum:
            raise argparse.ArgumentTypeError(f"{value:g} is too small: give {minimum:g} or more")
        return value

    return parse


def jobs(text):
    """An argparse type for ``--jobs``, as joblib reads it: N workers, -1 all cores, -2 all but one, ..."""
    value = int_at_least(-(2**31))(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 workers: give a positive number, or -1 for all cores (-2 all but one)")
    return value


def package_version():
    """The installed version of this project, for ``--version``."""
    try:
        return version("moodclass")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"
