"""numba's on-disk cache of compiled code survives processes that start at once on a fresh install.

librosa's gufuncs compiled by two processes at the same moment can be cached half from one
compilation and half from the other, after which every process that loads them crashes (numba
issue #10128). featurize loads them one process at a time; the test starts with an empty cache
(``NUMBA_CACHE_DIR``), as a fresh install does, and compiles it for real (half a minute).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

ANALYSE = """
import os, pathlib
import numpy as np
import featurize
from featurize.features import FeatureSettings, extract_features

def gufuncs():
    return sorted(p.name for p in pathlib.Path(os.environ["NUMBA_CACHE_DIR"]).rglob("guf-*.nbi"))

loaded = gufuncs()
t = np.arange(5 * 22050) / 22050
y = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 2 * t))).astype(np.float32)
finite = np.isfinite(extract_features(y, FeatureSettings())).mean()
# gufuncs compiled in the analysis, after importing featurize, would be compiled outside its lock
print(finite, len(loaded), gufuncs() == loaded)
"""


@pytest.mark.slow
def test_two_first_runs_at_once_leave_a_cache_every_later_run_can_use(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"), "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen([sys.executable, "-c", ANALYSE], env=env, stdout=subprocess.PIPE, text=True)
    time.sleep(3)  # the second starts while the first compiles, the moment that damaged the cache
    second = subprocess.Popen([sys.executable, "-c", ANALYSE], env=env, stdout=subprocess.PIPE, text=True)
    for p in (first, second):
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0
        finite, loaded, unchanged = out.split()
        assert float(finite) > 0.9 and int(loaded) > 0 and unchanged == "True"
    later = subprocess.run([sys.executable, "-c", ANALYSE], env=env, capture_output=True, text=True, timeout=300)
    assert later.returncode == 0, f"a run after them crashed (status {later.returncode}): {later.stderr[-500:]}"
    assert float(later.stdout.split()[0]) > 0.9
