"""Feature values against librosa's own functions, on short synthetic signals."""

import librosa
import numpy as np
import pytest

from featurize.cqt import cqt_magnitude
from featurize.features import FAMILIES, STATS, FeatureSettings, extract_features

SR = 22050


def summarise(frames):
    return np.stack([frames.mean(axis=1), frames.std(axis=1)], axis=1).ravel()


LIBROSA_RECIPES = {
    "chroma": lambda y: librosa.feature.chroma_cqt(y=y, sr=SR),
    "tonnetz": lambda y: librosa.feature.tonnetz(y=y, sr=SR),
    "tempogram": lambda y: librosa.feature.tempogram(y=y, sr=SR),
    "contrast": lambda y: librosa.feature.spectral_contrast(y=y, sr=SR),
    "zcr": lambda y: librosa.feature.zero_crossing_rate(y),
    "rms": lambda y: librosa.feature.rms(y=y),
    "mfcc": lambda y: librosa.feature.mfcc(y=y, sr=SR),
    "tempo_ratio": lambda y: librosa.feature.tempogram_ratio(y=y, sr=SR),
    "mfcc_delta": lambda y: librosa.feature.delta(librosa.feature.mfcc(y=y, sr=SR)),
    "spectral": lambda y: np.vstack([
        librosa.feature.spectral_centroid(y=y, sr=SR), librosa.feature.spectral_bandwidth(y=y, sr=SR),
        librosa.feature.spectral_rolloff(y=y, sr=SR), librosa.feature.spectral_flatness(y=y),
    ]),
}


@pytest.mark.parametrize("family", sorted(LIBROSA_RECIPES))
def test_family_matches_librosa(chord, family):
    settings = FeatureSettings(families=(family,))
    ours = extract_features(chord, settings)
    expected = summarise(LIBROSA_RECIPES[family](chord))
    assert ours.shape == expected.shape
    # Spectral centroid, bandwidth and rolloff are in Hz (thousands): compare them relatively.
    np.testing.assert_allclose(ours, expected, rtol=1e-7 if family == "spectral" else 0, atol=1e-6)


@pytest.mark.parametrize("hop, n_bins, bpo, tuning", [(512, 252, 36, 0.07), (512, 84, 12, -0.3), (2048, 60, 12, 0.2)])
def test_cqt_magnitude_equals_librosa_to_float32_rounding(chord, hop, n_bins, bpo, tuning):
    expected = np.abs(librosa.cqt(chord, sr=SR, hop_length=hop, n_bins=n_bins, bins_per_octave=bpo, tuning=tuning))
    for _ in range(2):  # the second call reuses the cached filter bank
        ours = cqt_magnitude(chord, sr=SR, hop_length=hop, n_bins=n_bins, bins_per_octave=bpo, tuning=tuning)
        assert ours.shape == expected.shape and ours.dtype == np.float32
        np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-5 * expected.max())


def test_every_family_and_statistic_is_finite_and_named(chord):
    settings = FeatureSettings(families=tuple(FAMILIES), stats=tuple(STATS))
    values = extract_features(chord, settings)
    columns = settings.columns()
    assert len(values) == len(columns) == len(set(columns))
    assert np.all(np.isfinite(values))


def test_constant_descriptor_has_zero_skew_and_kurtosis(chord):
    # Lag 0 of the normalised tempogram is 1 in every frame.
    settings = FeatureSettings(families=("tempogram",), stats=("skew", "kurtosis"))
    values = dict(zip(settings.columns(), extract_features(chord, settings)))
    assert values["tempogram_lag000_skew"] == 0.0 and values["tempogram_lag000_kurtosis"] == 0.0


def test_key_family_tells_major_from_minor():
    from featurize.demo import synth_clip

    settings = FeatureSettings(families=("key",))
    major = dict(zip(settings.columns(), extract_features(synth_clip("Q4", 6.0, SR, seed=0), settings)))
    minor = dict(zip(settings.columns(), extract_features(synth_clip("Q3", 6.0, SR, seed=0), settings)))
    assert major["key_mode"] > minor["key_mode"]


def test_mood_preset_is_the_default_and_a_superset_of_the_classic_six():
    from featurize.features import CLASSIC_FAMILIES, MOOD_FAMILIES, PRESETS

    assert FeatureSettings().families == MOOD_FAMILIES == PRESETS["mood"]
    assert set(CLASSIC_FAMILIES) < set(MOOD_FAMILIES) and set(MOOD_FAMILIES) <= set(FAMILIES)
    from featurize.__main__ import build_parser

    assert build_parser().parse_args(["x", "--features", "classic,mfcc"]).features == CLASSIC_FAMILIES + ("mfcc",)
    assert build_parser().parse_args(["x", "--features", "mood"]).features == MOOD_FAMILIES


def test_settings_validate_and_round_trip():
    s = FeatureSettings(families=("chroma", "rms"), stats=("mean",))
    assert FeatureSettings.from_dict(s.to_dict()) == s
    assert s.columns()[:2] == ["chroma_C_mean", "chroma_C#_mean"]
    with pytest.raises(ValueError, match="unknown feature families"):
        FeatureSettings(families=("chroma", "loudness"))
    with pytest.raises(ValueError, match="unknown statistics"):
        FeatureSettings(stats=("mode",))
    assert FeatureSettings().differences(FeatureSettings(sr=16000)) == ["sr: 22050 vs 16000"]


@pytest.mark.parametrize("seed", range(4))
def test_tuning_estimate_equals_librosa(seed):
    from featurize.cqt import estimate_tuning
    from featurize.demo import synth_clip

    # Detune the clip by a random fraction of a semitone.
    y = librosa.effects.pitch_shift(synth_clip("Q2", 4.0, SR, seed=seed), sr=SR, n_steps=(seed - 1.5) / 7)
    S = np.abs(librosa.stft(y))
    expected = librosa.estimate_tuning(y=y, sr=SR, bins_per_octave=36)
    assert estimate_tuning(S, sr=SR, n_fft=2048, bins_per_octave=36) == expected


def test_sparsified_filters_equal_librosa():
    from featurize.cqt import _sparsify_rows

    x = np.fft.fft(np.random.default_rng(0).normal(size=(12, 256)))[:, :129]
    ours, theirs = _sparsify_rows(x, 0.01, np.complex64), librosa.util.sparsify_rows(x, quantile=0.01, dtype=np.complex64)
    assert ours.nnz == theirs.nnz and abs(ours - theirs).max() == 0


@pytest.mark.parametrize("tuning", [0.0, 0.13, -0.41])
def test_filter_banks_equal_librosas_bit_for_bit(tuning):
    from librosa.core import constantq

    from featurize.cqt import _filter_bank

    vqt_filter_fft = getattr(constantq, "__vqt_filter_fft")
    bank = _filter_bank(float(SR), 512, 252, 36, tuning)
    fmin = librosa.note_to_hz("C1") * 2.0 ** (tuning / 36)
    freqs = librosa.interval_frequencies(n_bins=252, fmin=fmin, intervals="equal", bins_per_octave=36, sort=True)
    alpha = librosa.filters._relative_bandwidth(freqs=freqs)
    my_sr = float(SR)
    for i, (ours, n_fft) in enumerate(bank.octaves):
        sl = slice(-36, None) if i == 0 else slice(-36 * (i + 1), -36 * i)
        theirs, their_n_fft, _ = vqt_filter_fft(my_sr, freqs[sl], 1, 1, 0.01, window="hann", gamma=0,
                                                dtype=np.complex64, alpha=alpha[sl])
        theirs[:] *= np.sqrt(SR / my_sr)
        assert n_fft == their_n_fft and (ours != theirs).nnz == 0
        my_sr /= 2


def test_every_family_describes_itself_once_in_its_domain_module():
    from featurize.family import family

    domains = {"featurize.spectral", "featurize.dynamics", "featurize.rhythm", "featurize.harmony", "featurize.melody",
               "featurize.texture"}
    for name, fam in FAMILIES.items():
        assert fam.name == name and fam.description and fam.reference, name
        assert fam.compute.__module__ in domains, (name, fam.compute.__module__)
    with pytest.raises(ValueError, match="defined twice"):
        family("rms", coefficients=("energy",))(lambda clip: clip.rms)
    with pytest.raises(ValueError, match="docstring"):
        family("nameless", coefficients=("x",))(lambda clip: clip.rms)
    assert "nameless" not in FAMILIES


def test_a_family_written_as_the_readme_shows_is_computed(tmp_path):
    """The README's example family, run as written: registered, named, and right on a known signal."""
    import re
    from pathlib import Path

    from featurize import dynamics

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    code = re.search(r"### Adding a feature family.*?```python\n(.*?)```", readme, re.S).group(1)
    namespace = {**vars(dynamics), "librosa": librosa}
    try:
        exec(compile(code, "README.md", "exec"), namespace)
        settings = FeatureSettings(families=("rms", "crest"), stats=("mean",))
        assert settings.columns() == ["rms_energy_mean", "crest_db_mean"]
        sr = settings.sr
        sine = (0.5 * np.sin(2 * np.pi * 441 * np.arange(3 * sr) / sr)).astype(np.float32)
        rms, crest = extract_features(sine, settings)
        assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.02)
        assert crest == pytest.approx(20 * np.log10(np.sqrt(2)), abs=0.2)  # a sine's crest factor, 3 dB
    finally:
        FAMILIES.pop("crest", None)
