"""A quick start and a quick end for the command lines.

``python -m classify predict song.mp3`` first imports numpy, scipy, scikit-learn, librosa and
numba: millions of objects, none of them garbage, over which Python's cyclic garbage collector
runs its passes again and again as they are made (about 0.2 s of the start on this project's
2-core machines), and once more while the interpreter tears itself down at exit (about 0.45 s).
So a command's ``__main__`` imports this module first, which pauses the collector; once its
imports are done, :func:`loaded` freezes what they made (the collector skips it from then on:
modules live until exit anyway) and resumes collecting; :func:`leave` freezes again and exits,
so the interpreter's last collections have nothing to walk. Nothing is collected less than it
would be: a frozen object is still freed when its last reference goes.
"""

import gc
import sys

gc.disable()


def loaded() -> None:
    """Freeze the objects made so far (the libraries' own) and resume garbage collection."""
    gc.freeze()
    gc.enable()


def leave(status: int) -> None:
    """Exit with `status`, without the interpreter's last walk over every object."""
    gc.freeze()
    sys.exit(status)
