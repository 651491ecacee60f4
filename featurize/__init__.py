"""Mood features from audio: ``python -m featurize FOLDER`` (see the README)."""

from moodclass.infra import one_process_at_a_time

# librosa compiles its numba gufuncs when these modules first load (half a minute on a fresh
# install) and caches them on disk. Two processes compiling them at once can cache a kernel and
# its wrapper from different compilations, after which every run crashes in them (numba issue
# #10128): so one process at a time loads them (the others then read the cache).
# tests/test_compile_cache.py checks that featurize compiles no other gufunc.
with one_process_at_a_time("librosa-compile"):
    import librosa.core.audio  # noqa: F401
    import librosa.core.pitch  # noqa: F401
    import librosa.util.utils  # noqa: F401
