"""The mood descriptors on synthetic signals whose answer is known by construction."""

import numpy as np
import pytest

from featurize import harmony, melody, spectral
from featurize.features import FeatureSettings, extract_features

SR = 22050
FPS = SR / 512


def tone(f0, seconds=4.0, *, harmonics=4, amplitude=0.3, sr=SR):
    """A harmonic tone at `f0` Hz (scalar or per-sample array), harmonics falling as 1/h."""
    t = np.arange(int(seconds * sr)) / sr
    f0 = np.broadcast_to(np.asarray(f0, dtype=float), t.shape)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    y = sum(np.sin(h * phase) / h for h in range(1, harmonics + 1))
    return (amplitude * y / np.max(np.abs(y))).astype(np.float32)


def midi_hz(m):
    return 440.0 * 2 ** ((m - 69) / 12)


def family(y, name):
    """The named values of one family, mean and std over frames for frame-wise ones."""
    settings = FeatureSettings(families=(name,))
    return dict(zip(settings.columns(), extract_features(y, settings)))


def test_modulation_finds_rate_and_extent_of_a_sinusoid():
    t = np.arange(200) / FPS
    rate, extent = melody.modulation(60 + 0.5 * np.sin(2 * np.pi * 6.0 * t) + 0.3 * t, FPS)
    assert rate == pytest.approx(6.0, abs=0.2)
    assert extent == pytest.approx(1.0, rel=0.15)  # peak to peak of +-0.5
    assert np.isnan(melody.modulation(np.zeros(5), FPS)[0])


def test_a_contour_that_does_not_move_has_no_modulation_rate():
    # A pitch held on one bin, or a straight glide: what is left after the line is rounding noise,
    # whose largest peak is no rate (it used to be one, and could differ between machines).
    t = np.arange(40) / FPS
    for still in (np.full(40, 61 + 1 / 3), 48.0 + 2.0 * t):
        rate, extent = melody.modulation(still, FPS)
        assert np.isnan(rate) and extent == 0.0
    assert np.isfinite(melody.modulation(60 + 0.01 * np.sin(2 * np.pi * 5.0 * t), FPS)[0])  # a small wobble is one


def test_contour_segments_split_at_jumps_and_silences():
    pitch = np.array([60.0] * 10 + [np.nan] * 3 + [64.0] * 6 + [70.0] * 8 + [71.0] * 2)
    segments = melody.contour_segments(pitch, max_jump=1.0, min_frames=5)
    assert [(s.start, s.stop) for s in segments] == [(0, 10), (13, 19), (19, 29)]


def test_vibrato_tone_has_the_vibrato_rate_it_was_made_with():
    t = np.arange(int(5 * SR)) / SR
    for rate in (4.5, 6.0):
        f0 = 440.0 * 2 ** (0.5 * np.sin(2 * np.pi * rate * t) / 12)  # +-0.5 semitone
        melody = family(tone(f0, 5.0), "melody")
        assert melody["melody_vibrato_rate"] == pytest.approx(rate, abs=0.5)
        assert melody["melody_vibrato_share"] > 0.5
        assert melody["melody_voiced_share"] > 0.8
    steady = family(tone(440.0, 5.0), "melody")
    assert steady["melody_vibrato_extent"] < 0.1
    # The pitch found is the tone's: A4 is 45 + 12 semitones above the lowest candidate, G#2.
    assert steady["melody_pitch_mean"] == pytest.approx(60 / 3 + (69 - 44), abs=0.3)


def test_tremolo_tone_has_the_tremolo_rate_it_was_made_with():
    t = np.arange(int(5 * SR)) / SR
    trembling = tone(440.0, 5.0) * (1 + 0.5 * np.sin(2 * np.pi * 5.0 * t)).astype(np.float32)
    melody = family(trembling, "melody")
    assert melody["melody_tremolo_rate"] == pytest.approx(5.0, abs=0.5)
    assert melody["melody_tremolo_extent"] > 3 * family(tone(440.0, 5.0), "melody")["melody_tremolo_extent"]


def test_glissando_is_larger_for_a_sliding_tone():
    t = np.arange(int(4 * SR)) / SR
    slide = tone(midi_hz(60 + 12 * (t % 2) / 2), 4.0)  # an octave up every 2 s
    assert family(slide, "melody")["melody_glissando"] > 3 * family(tone(midi_hz(60)), "melody")["melody_glissando"]


def notes(midis, seconds=0.4, gap=0.1):
    """A melody of harmonic tones at these MIDI notes, each `seconds` long, with `gap` s of silence between."""
    silence = np.zeros(int(gap * SR), dtype=np.float32)
    return np.concatenate([part for m in midis for part in (tone(midi_hz(m), seconds), silence)])


def test_melody_notes_tell_steps_from_leaps_and_rising_from_repeated():
    scale = family(notes([60, 62, 64, 65, 67, 69, 71, 72, 74, 76]), "melody_notes")
    assert scale["melody_notes_steps"] == pytest.approx(1) and scale["melody_notes_leaps"] == 0
    assert scale["melody_notes_ascending"] == pytest.approx(1)
    assert scale["melody_notes_interval_mean"] == pytest.approx(16 / 9, abs=0.15)  # 16 semitones in 9 steps
    leaps = family(notes([60, 67, 60, 67, 60, 67, 60, 67]), "melody_notes")
    assert leaps["melody_notes_leaps"] == pytest.approx(1) and leaps["melody_notes_ascending"] == pytest.approx(0.5, abs=0.1)
    assert leaps["melody_notes_interval_mean"] == pytest.approx(7, abs=0.3)
    repeated = family(notes([64] * 8), "melody_notes")
    assert repeated["melody_notes_repeats"] == pytest.approx(1) and repeated["melody_notes_interval_mean"] < 0.3
    # One pitch class: no uncertainty; two alternating ones, equally long: one bit.
    assert repeated["melody_notes_pitch_class_entropy"] == pytest.approx(0, abs=1e-9)
    assert leaps["melody_notes_pitch_class_entropy"] == pytest.approx(1, abs=0.05)
    # Even notes have no spread of length; notes of 0.2 and 0.8 s have some.
    uneven = np.concatenate([notes([60], 0.2), notes([62], 0.8), notes([64], 0.2), notes([65], 0.8), notes([67], 0.2)])
    assert scale["melody_notes_duration_cv"] < 0.1 < family(uneven, "melody_notes")["melody_notes_duration_cv"]
    # Fewer than three notes: zeros.
    assert not any(family(tone(440.0, 2.0), "melody_notes").values())


def test_a_chord_has_more_layers_than_a_single_tone():
    single = tone(midi_hz(60))
    chord = sum(tone(midi_hz(m)) for m in (48, 55, 64, 71)) / 4
    assert family(chord, "texture")["texture_layers_mean"] >= family(single, "texture")["texture_layers_mean"] + 2


def test_pitch_contours_follow_each_line_where_it_sounds():
    salience = np.full((60, 80), 0.01)
    salience[10, 0:40] = 1.0  # a steady line, frames 0-39
    rising = np.arange(20, 60)
    salience[30 + (rising - 20) // 4, rising] = 0.96  # a line rising one bin every 4 frames, frames 20-59
    salience[50, 60::5] = 0.2  # isolated weak peaks: too short for a contour
    found = sorted(melody.pitch_contours(salience), key=lambda c: c[0][0])
    assert len(found) == 2
    (frames_a, bins_a), (frames_b, bins_b) = found
    assert list(frames_a) == list(range(40)) and set(bins_a) == {10}
    assert list(frames_b) == list(rising) and list(bins_b) == list(30 + (rising - 20) // 4)
    assert melody.pitch_contours(np.ones((20, 10))) == []  # no peak, no contour


@pytest.mark.parametrize("weak_frames", [3, 6])
def test_a_contour_bridges_at_most_four_weak_frames_and_ends_on_a_strong_peak(weak_frames):
    salience = np.full((60, 40), 0.01)
    salience[10, :] = 1.0
    salience[10, 20:20 + weak_frames] = 0.8  # weak: under 0.9 times the frame's strongest peak...
    salience[30, 20:20 + weak_frames] = 1.0  # ...which is this line's
    salience[50, 0::2] = 0.2  # isolated low peaks, too short for a contour
    found = sorted((f.tolist(), set(b.tolist())) for f, b in melody.pitch_contours(salience))
    if weak_frames <= 4:  # bridged: one line at bin 10 from end to end (bin 30's, 3 frames, is too short)
        assert found == [(list(range(40)), {10})]
    else:  # broken: the walk stops at the fifth weak frame and each part is trimmed to its strong peaks
        assert found == [(list(range(20)), {10}), (list(range(20, 26)), {30}), (list(range(26, 40)), {10})]


def test_contours_of_a_tone_a_chord_a_vibrato_and_glides():
    single = family(tone(midi_hz(60)), "contours")
    assert single["contours_layers"] == pytest.approx(1, abs=0.05) and single["contours_polyphonic"] == 0
    assert single["contours_length_mean"] == pytest.approx(4.0, abs=0.2)  # one contour through the 4-s tone
    assert single["contours_pitch_mean"] == pytest.approx(60 - 24, abs=0.2)  # C4, in semitones above C1
    chord = family(sum(tone(midi_hz(m)) for m in (48, 55, 64, 71)) / 4, "contours")
    assert chord["contours_layers"] > single["contours_layers"] + 0.8 and chord["contours_polyphonic"] > 0.5
    assert chord["contours_pitch_range"] > 12  # lines more than an octave apart
    t = np.arange(int(5 * SR)) / SR
    for rate in (4.5, 6.0):
        f0 = 440.0 * 2 ** (0.5 * np.sin(2 * np.pi * rate * t) / 12)  # +-0.5 semitone
        vibrato = family(tone(f0, 5.0), "contours")
        assert vibrato["contours_vibrato_rate"] == pytest.approx(rate, abs=0.3)
        assert vibrato["contours_vibrato_share"] == 1 and vibrato["contours_vibrato_extent"] == pytest.approx(1, abs=0.2)
    assert single["contours_vibrato_share"] == 0 and single["contours_wobble_mean"] < 0.05
    assert single["contours_vibrato_rate"] == 0 and single["contours_vibrato_extent"] == 0  # a held pitch has none
    up = family(tone(midi_hz(60 + 12 * (t % 2.5) / 2.5), 5.0), "contours")  # an octave up every 2.5 s
    down = family(tone(midi_hz(72 - 12 * (t % 2.5) / 2.5), 5.0), "contours")
    assert up["contours_rising"] == 1 and up["contours_falling"] == 0
    assert down["contours_falling"] == 1 and down["contours_rising"] == 0
    assert up["contours_slope"] == pytest.approx(12 / 2.5, rel=0.1) and single["contours_slope"] < 1e-6
    assert not any(family(np.zeros(3 * SR, dtype=np.float32), "contours").values())


def test_sustained_tone_is_harmonic_and_clicks_are_percussive():
    clicks = np.zeros(int(4 * SR), dtype=np.float32)
    clicks[:: SR // 4] = 0.9
    assert family(tone(330.0), "texture")["texture_harmonic_mean"] > 0.8
    assert family(clicks, "texture")["texture_harmonic_mean"] < 0.3


def test_a_minor_second_is_rougher_than_a_fifth():
    second = tone(midi_hz(60)) + tone(midi_hz(61))
    fifth = tone(midi_hz(60)) + tone(midi_hz(67))
    assert family(second, "roughness")["roughness_sethares_mean"] > 2 * family(fifth, "roughness")["roughness_sethares_mean"]


def test_interval_content_of_a_cluster_and_a_triad():
    cluster = np.zeros((12, 3))
    cluster[[0, 1, 2]] = 1
    triad = np.zeros((12, 3))
    triad[[0, 4, 7]] = 1
    ic_cluster, ic_triad = harmony.interval_content(cluster), harmony.interval_content(triad)
    assert ic_cluster[0, 0] == pytest.approx(2 / 3) and ic_triad[0, 0] == 0  # minor seconds: C-C#, C#-D
    assert ic_triad[2, 0] == pytest.approx(1 / 3) and ic_triad[3, 0] == pytest.approx(1 / 3)  # E-G, C-E


def test_chord_progression_changes_once_a_second_and_is_mostly_major():
    # C, G, A minor, F, twice: one chord a second.
    progression = [(60, 64, 67), (55, 59, 62), (57, 60, 64), (53, 57, 60)] * 2
    y = np.concatenate([sum(tone(midi_hz(m), 1.0, harmonics=2) for m in chord) / 3 for chord in progression])
    chords = family(y, "chords")
    assert chords["chords_change_rate"] == pytest.approx(7 / 8, abs=0.3)
    assert chords["chords_major_share"] == pytest.approx(0.75, abs=0.15)
    assert chords["chords_vocabulary"] in (3, 4)
    held = family(sum(tone(midi_hz(m), 8.0, harmonics=2) for m in (60, 64, 67)) / 3, "chords")
    assert held["chords_change_rate"] < 0.2 and held["chords_major_share"] == 1.0


def test_chroma_patterns_of_a_held_chord_an_alternation_and_a_transposition():
    fps = 20.0  # 10 frames a block of 0.5 s, 16 blocks a patch
    held = np.zeros((12, 400))
    held[[0, 4, 7]] = 1
    patterns = harmony.chroma_patterns(held, fps).reshape(12, 9)  # k = -6..5 by l = 0..8
    assert patterns[:, 0].sum() > 0 and np.allclose(patterns[:, 1:], 0)  # nothing moves in time
    # C major and F major, one second each: a period of 4 blocks, 4 cycles a patch.
    alternating = np.zeros((12, 400))
    for start in range(0, 400, 40):
        alternating[[0, 4, 7], start:start + 20] = 1
        alternating[[5, 9, 0], start + 20:start + 40] = 1
    patterns = harmony.chroma_patterns(alternating, fps).reshape(12, 9)
    assert np.argmax(patterns[:, 1:].sum(axis=0)) + 1 == 4
    assert np.allclose(patterns[:, [1, 2, 3, 5, 6, 7]], 0, atol=1e-9)
    # Any key, any start: transposing by 5 semitones, or starting music that repeats every patch
    # 3 blocks later, changes nothing.
    music = np.tile(np.random.default_rng(0).random((12, 160)), 4)
    reference = harmony.chroma_patterns(music, fps)
    assert np.allclose(harmony.chroma_patterns(np.roll(music, 5, axis=0), fps), reference)
    assert np.allclose(harmony.chroma_patterns(np.roll(music, 30, axis=1), fps), reference)
    assert not np.allclose(harmony.chroma_patterns(np.random.default_rng(1).random((12, 640)), fps), reference)
    assert not harmony.chroma_patterns(held[:, :5], fps).any()  # shorter than a block
    with pytest.raises(ValueError, match="even"):
        harmony.chroma_patterns(held, fps, patch=15)


def test_chroma_patterns_of_a_melody_in_two_keys_are_alike():
    # C D E G, twice a second, for 16 s; the same a fourth higher. Through the family: CQT chroma.
    notes = [60, 62, 64, 67]
    melody = np.concatenate([tone(midi_hz(notes[i % 4]), 0.5, harmonics=2) for i in range(32)])
    fourth = np.concatenate([tone(midi_hz(notes[i % 4] + 5), 0.5, harmonics=2) for i in range(32)])
    a = np.array(list(family(melody, "chroma_patterns").values()))
    b = np.array(list(family(fourth, "chroma_patterns").values()))
    assert len(a) == 108 and np.linalg.norm(a - b) < 0.1 * np.linalg.norm(a)
    steady = np.array(list(family(tone(midi_hz(60), 16.0, harmonics=2), "chroma_patterns").values()))
    assert np.linalg.norm(a - steady) > 0.5 * np.linalg.norm(a)  # a melody is not a held note


def test_dynamics_of_a_signal_alternating_between_two_levels():
    loud, quiet = tone(440.0, 1.0, amplitude=0.5), tone(440.0, 1.0, amplitude=0.02)
    y = np.concatenate([loud, quiet] * 4)
    d = family(y, "dynamics")
    assert d["dynamics_range"] == pytest.approx(28.0, abs=2.0)  # 0.5 against 0.02: 28 dB
    assert d["dynamics_quiet_share"] == pytest.approx(0.5, abs=0.05)  # half the frames 28 dB down
    assert d["dynamics_long_term_std"] > 5.0
    steady = family(tone(440.0, 8.0, amplitude=0.5), "dynamics")
    assert steady["dynamics_range"] < 1.0 and steady["dynamics_long_term_std"] < 0.5
    assert steady["dynamics_mean_db"] > d["dynamics_mean_db"]


def test_fluctuation_peaks_at_the_rate_loudness_is_modulated():
    rng = np.random.default_rng(0)
    t = np.arange(int(6 * SR)) / SR
    for rate in (2.0, 5.0):
        y = (0.2 * rng.normal(size=len(t)) * (1 + np.sin(2 * np.pi * rate * t)) / 2).astype(np.float32)
        assert family(y, "fluctuation")["fluctuation_peak_hz"] == pytest.approx(rate, abs=0.4)


def test_spectral_shape_of_noise_and_of_a_tone():
    rng = np.random.default_rng(0)
    noise = (0.1 * rng.normal(size=4 * SR)).astype(np.float32)
    low, high = tone(200.0, harmonics=1), tone(4000.0, harmonics=1)
    assert family(noise, "spectral_shape")["spectral_shape_entropy_mean"] > 0.9
    assert family(low, "spectral_shape")["spectral_shape_entropy_mean"] < 0.3
    assert family(high, "spectral_shape")["spectral_shape_brightness_mean"] > 0.99
    assert family(low, "spectral_shape")["spectral_shape_brightness_mean"] < 0.01
    flat_noise, flat_tone = family(noise, "flatness_bands"), family(low, "flatness_bands")
    assert flat_noise["flatness_bands_band3_mean"] > 0.4 > 0.01 > flat_tone["flatness_bands_band1_mean"]


def test_band_power_rises_where_the_tone_is():
    bands = family(tone(3000.0, harmonics=1), "mel_bands")
    means = [bands[f"mel_bands_band{k:02d}_mean"] for k in range(16)]
    assert int(np.argmax(means)) == 9  # mel bands 72-79 hold 3 kHz
    with pytest.raises(ValueError, match="do not split"):
        spectral.band_power_db(np.ones((10, 4)), 3)
