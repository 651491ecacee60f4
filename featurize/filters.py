"""Median filtering along the rows of a small array, as ``scipy.ndimage.median_filter`` does it.

``median_filter(x, size=(1, n))`` runs scipy's general rank filter, which for the short
windows of the harmonic/percussive separation and of chord smoothing costs about 12 ms a clip
each; selecting the middle value of every window with ``np.partition`` gives the same values
(a median of a window is one of its values: nothing is computed, so nothing rounds) at a
fraction of that.
"""

import numpy as np

#: scipy.ndimage's edge modes and numpy.pad's names for them.
_PAD_MODES = {"reflect": "symmetric", "nearest": "edge", "mirror": "reflect"}


def median_filter_rows(x: np.ndarray, size: int, *, mode: str = "reflect") -> np.ndarray:
    """``scipy.ndimage.median_filter(x, size=(1, size), mode=mode)``, the same values.

    Parameters
    ----------
    x : np.ndarray [shape=(r, t)]
    size : int
        Window length along the rows; for an even `size`, the upper of the two middle values,
        as scipy's rank ``size // 2``.
    mode : {'reflect', 'nearest', 'mirror'}
        How the rows are extended past their ends (scipy.ndimage's names).

    Returns
    -------
    np.ndarray [shape=(r, t)], x's dtype
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D, not of shape {x.shape}")
    if size < 1:
        raise ValueError(f"size must be at least 1, not {size}")
    if mode not in _PAD_MODES:
        raise ValueError(f"unknown mode {mode!r}; choose from {', '.join(_PAD_MODES)}")
    before = size // 2  # scipy centres a window of `size` on element `before` of it
    padded = np.pad(x, ((0, 0), (before, size - 1 - before)), mode=_PAD_MODES[mode])
    windows = np.lib.stride_tricks.sliding_window_view(padded, size, axis=1)
    # Contiguous, as scipy's: the sums and products downstream then add in the same order.
    return np.ascontiguousarray(np.partition(windows, before, axis=-1)[..., before])
