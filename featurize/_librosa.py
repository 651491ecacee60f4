"""librosa, loaded once per process, one process at a time, quickly: featurize's modules import it from here.

librosa compiles its numba gufuncs when these modules first load (half a minute on a fresh
install) and caches them on disk. Two processes compiling them at once can cache a kernel and
its wrapper from different compilations, after which every run crashes in them (numba issue
#10128): so one process at a time loads them (the others then read the cache). They load here,
not when the package does, so that a process that needs only feature tables or FMA's metadata
(a cross-validation's worker) does not wait for them.
tests/test_compile_cache.py checks that featurize compiles no other gufunc.

Two costs of loading librosa buy nothing this project uses, and are skipped while it loads
(:func:`_stack_without_source`, :func:`_scipy_docstrings_as_written`): about 0.2 s each when
librosa is imported alone, 0.3 s of ``predict``'s start together (``bench/bench_startup.py``).
"""

import copy
import inspect
import sys
from contextlib import contextmanager

from moodclass.infra import one_process_at_a_time


@contextmanager
def _stack_without_source():
    """``inspect.stack`` that reads no source code, within the block.

    librosa asks lazy_loader for two optional resamplers (samplerate, resampy). For each one not
    installed, lazy_loader notes where it was asked with ``inspect.stack()``, which reads the
    source of every frame on the stack and searches all of ``sys.modules`` for each frame's module
    (CPython issue #92041): about 0.2 s, for the text of an error raised only if that resampler is
    ever used. Within the block, ``inspect.stack`` gives the same frames, files, lines and
    function names, without their source lines (``code_context`` None, which lazy_loader's
    message allows).
    """
    every_frame = inspect.stack

    def stack(context=1):
        frames = []
        frame = sys._getframe(1)
        while frame is not None:
            code = frame.f_code
            frames.append(inspect.FrameInfo(frame, code.co_filename, frame.f_lineno, code.co_name, None, None))
            frame = frame.f_back
        return frames

    inspect.stack = stack
    try:
        yield
    finally:
        inspect.stack = every_frame


@contextmanager
def _scipy_docstrings_as_written():
    """scipy's functions keep the docstrings they were written with, within the block.

    As scipy.signal and scipy.stats load (librosa needs both), scipy 1.17 parses and rewrites the
    docstring of each of some 650 functions to append a table of the array libraries it
    supports (``scipy._lib._array_api.xp_capabilities``): about 0.2 s. Within the block that
    table is not appended: ``help()`` shows these functions' docstrings as written (cleaned as
    ``inspect.getdoc`` cleans them), and nothing else changes; the table of capabilities that
    scipy's own tests read is filled as before. A scipy without that decorator loads as it is.
    """
    try:
        from scipy._lib import _array_api, _docscrape

        rewritten = _array_api.FunctionDoc
    except (ImportError, AttributeError):
        yield
        return

    class DocAsWritten(_docscrape.FunctionDoc):
        """A FunctionDoc whose text is the function's docstring, unparsed; its sections are empty."""

        def __init__(self, func, role="func", doc=None, config=None):
            self._f, self._role = func, role
            self._parsed_data = copy.deepcopy(self.sections)
            self._written = (inspect.getdoc(func) or "") if doc is None else doc

        def __str__(self):
            # xp_capabilities drops the first line, where FunctionDoc puts the function's signature
            return "\n" + self._written

    _array_api.FunctionDoc = DocAsWritten
    try:
        yield
    finally:
        _array_api.FunctionDoc = rewritten


with one_process_at_a_time("librosa-compile"), _stack_without_source(), _scipy_docstrings_as_written():
    import librosa
    import librosa.core.audio
    import librosa.core.pitch
    import librosa.util.utils  # noqa: F401

__all__ = ["librosa"]
