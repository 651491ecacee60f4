"""Argument types shared by the ``featurize`` and ``classify`` commands.

Numbers are checked when the command line is parsed, before any work, and a bad one gets
argparse's one-line error naming the option and the valid range.
"""

import argparse
import math
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version


def at_least(minimum: float, kind: type = int) -> Callable[[str], float]:
    """An argparse type: a number of `kind` (int or float) no smaller than `minimum`."""
    what = "a whole number" if kind is int else "a number"

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        if not value >= minimum:
            raise argparse.ArgumentTypeError(f"{value:g} is too small: give {minimum:g} or more")
        return value

    return parse


def finite_float(text: str) -> float:
    """An argparse type: a finite number (not nan or inf)."""
    return at_least(-math.inf, float)(text)


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer no smaller than `minimum`."""
    return at_least(minimum, int)


def float_at_least(minimum: float) -> Callable[[str], float]:
    """An argparse type: a number no smaller than `minimum`."""
    return at_least(minimum, float)


def jobs(text: str) -> int:
    """An argparse type for ``--jobs``, as joblib reads it: N workers, -1 all cores, -2 all but one, ..."""
    value = int_at_least(-(2**31))(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 workers: give a positive number, or -1 for all cores (-2 all but one)")
    return value


def package_version() -> str:
    """The installed version of this project, for ``--version``."""
    try:
        return version("moodclass")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"
