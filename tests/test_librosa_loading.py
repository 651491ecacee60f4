"""featurize/_librosa.py loads librosa without the two costs it skips, and leaves everything else as it was.

Each check runs in a fresh interpreter: the skipped work happens only the first time scipy.signal
and librosa load in a process, which in pytest's own process has happened long before.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LOADED = """
import importlib.util, inspect, json
import featurize._librosa
import librosa.core.audio
import scipy.signal
from scipy._lib import _array_api, _docscrape

def lazily_reported(name):
    # the message lazy_loader keeps for an optional resampler that is not installed
    try:
        getattr(getattr(librosa.core.audio, name), "resample")
    except ModuleNotFoundError as err:
        return str(err)
    return None

print(json.dumps({
    "stack_restored": inspect.stack.__code__.co_filename == inspect.__file__,
    "docscrape_restored": _array_api.FunctionDoc is _docscrape.FunctionDoc,
    "lfilter_doc": scipy.signal.lfilter.__doc__,
    "lfilter_capabilities": "lfilter" in {f.__name__ for f in _array_api.xp_capabilities_table if hasattr(f, "__name__")},
    "missing": {name: lazily_reported(name) for name in ("resampy", "samplerate")
                if importlib.util.find_spec(name) is None},
}))
"""


def _loaded():
    out = subprocess.run([sys.executable, "-c", LOADED], capture_output=True, text=True, timeout=300, cwd=ROOT,
                         check=True)
    return json.loads(out.stdout)


def test_loading_librosa_leaves_inspect_and_scipy_as_they_were():
    loaded = _loaded()
    assert loaded["stack_restored"] and loaded["docscrape_restored"]
    assert loaded["lfilter_capabilities"]  # scipy's table of what each function supports is filled as before


def test_scipy_docstrings_are_the_ones_written_without_the_array_libraries_table():
    doc = _loaded()["lfilter_doc"]
    assert doc.startswith("Filter data along one-dimension with an IIR or FIR filter.")
    assert "Parameters\n----------\nb : array_like" in doc and ">>> y = signal.filtfilt(b, a, xn)" in doc
    assert "Array API Standard Support" not in doc  # the table whose making the load skips


def test_a_missing_resampler_is_still_reported_where_librosa_asked_for_it():
    missing = _loaded()["missing"]
    for name, message in missing.items():
        assert f"No module named '{name}'" in message
        assert "librosa" in message and "audio.py, line" in message and "in <module>" in message
        assert "lazy.load" not in message  # its source line, which the load does not read any more
