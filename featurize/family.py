"""What a feature family is, and the registry every domain module adds its families to.

A family is one function from a :class:`featurize.clip.Clip` to an array, registered with
:func:`family` beside the pure descriptors it calls::

    @family("roughness", coefficients=("sethares",), reference="Sethares (1993) ...")
    def _roughness(clip):
        \"\"\"sensory dissonance of the spectral peaks (Plomp-Levelt, Sethares)\"\"\"
        return roughness(clip.stft_magnitude, clip.stft_freqs)

Its first docstring paragraph says what it measures (``python -m featurize --list-features``
prints it); its coefficients name the rows of a frame-wise family (summarised over time by the
chosen statistics) or the values of a clip-level one; the reference says where it comes from.
The domain modules are :mod:`featurize.spectral`, :mod:`~featurize.dynamics`,
:mod:`~featurize.rhythm`, :mod:`~featurize.harmony`, :mod:`~featurize.melody` and
:mod:`~featurize.texture`; :mod:`featurize.features` imports them all, so that
:data:`FAMILIES` is complete wherever settings are made.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Floor of the denominators and logarithms of the descriptors: far below any audible level
#: of float32 audio, and keeps silence finite.
EPS = 1e-10


@dataclass(frozen=True)
class Family:
    """A named group of descriptors (see :func:`family`).

    Attributes
    ----------
    name : str
        The family's name, the prefix of its column names.
    compute : callable
        ``compute(clip)``: a 2-D array ``(coefficients, frames)`` when `frame_wise`, else a
        1-D array of clip-level values.
    coefficients : tuple of str
        Names of its rows (or values).
    frame_wise : bool
    description : str
        What it measures, in one line.
    reference : str
        Where the descriptor comes from (a paper, or the librosa function it equals).
    """

    name: str
    compute: Callable[[object], np.ndarray]
    coefficients: tuple
    frame_wise: bool = True
    description: str = ""
    reference: str = ""


#: Every family, by name, in the order the domain modules register them.
FAMILIES: dict[str, Family] = {}


def family(name: str, *, coefficients, frame_wise: bool = True, reference: str = ""):
    """Register the decorated function ``compute(clip) -> np.ndarray`` as the feature family `name`.

    Parameters
    ----------
    name : str
        The family's name: lower case, unique.
    coefficients : sequence of str
        Names of the rows the function returns (frame-wise) or of its values (clip-level).
    frame_wise : bool
        True when the function returns ``(coefficients, frames)``, summarised over time by the
        table's statistics; False when it returns one value per coefficient.
    reference : str
        Where it comes from.

    Returns
    -------
    callable
        The decorator; it returns the function unchanged.
    """
    def register(compute):
        if name in FAMILIES:
            raise ValueError(f"feature family {name!r} is defined twice")
        doc = inspect.getdoc(compute)
        if not doc:
            raise ValueError(f"feature family {name!r}: its function needs a docstring saying what it measures")
        if not coefficients or len(set(coefficients)) != len(coefficients):
            raise ValueError(f"feature family {name!r}: coefficient names must be given and distinct")
        description = " ".join(doc.split("\n\n")[0].split())
        FAMILIES[name] = Family(name, compute, tuple(coefficients), frame_wise, description, reference)
        return compute
    return register
