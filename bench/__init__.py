"""Benchmarks: run each from the repository's root as ``python -m bench.NAME``; results go to
``cache/bench/NAME.json`` (:mod:`bench.common`)."""
