"""librosa, with its compiled parts loaded one process at a time: featurize's modules import it from here.

librosa compiles its numba gufuncs when these modules first load (half a minute on a fresh
install) and caches them on disk. Two processes compiling them at once can cache a kernel and
its wrapper from different compilations, after which every run crashes in them (numba issue
#10128): so one process at a time loads them (the others then read the cache). They load here,
not when the package does, so that a process that needs only feature tables or FMA's metadata
(a cross-validation's worker) does not wait for them.
tests/test_compile_cache.py checks that featurize compiles no other gufunc.
"""

from moodclass.infra import one_process_at_a_time

with one_process_at_a_time("librosa-compile"):
    import librosa
    import librosa.core.audio
    import librosa.core.pitch
    import librosa.util.utils  # noqa: F401

__all__ = ["librosa"]
