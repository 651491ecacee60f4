"""The row median filter gives scipy.ndimage's values, edges and even windows included."""

import numpy as np
import pytest
import scipy.ndimage

from featurize.filters import median_filter_rows


@pytest.mark.parametrize("mode", ["reflect", "nearest", "mirror"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_same_values_as_scipy_median_filter(mode, dtype):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, size=(6, 40)).astype(dtype)  # few distinct values: many ties
    x[0] = rng.random(40)
    for size in (1, 2, 5, 9, 22, 43):  # even sizes take the upper middle; 43 spans more than a row
        expected = scipy.ndimage.median_filter(x, size=(1, size), mode=mode)
        got = median_filter_rows(x, size, mode=mode)
        assert got.dtype == x.dtype and got.flags.c_contiguous and np.array_equal(got, expected), size


def test_a_spike_is_removed_and_a_step_kept():
    x = np.zeros((1, 11))
    x[0, 5] = 9.0
    assert not median_filter_rows(x, 3).any()
    step = np.repeat([[0.0, 1.0]], 6, axis=1)
    assert np.array_equal(median_filter_rows(step, 3), step)


@pytest.mark.parametrize("args, message", [((np.zeros(4), 3), "2-D"), ((np.zeros((2, 4)), 0), "at least 1"),
                                           ((np.zeros((2, 4)), 3, "wrap"), "unknown mode")])
def test_bad_arguments_are_refused(args, message):
    x, size, *mode = args
    with pytest.raises(ValueError, match=message):
        median_filter_rows(x, size, **({"mode": mode[0]} if mode else {}))
