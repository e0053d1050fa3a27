"""WaveGAN: the port's checkpoints load and draw the port's waveforms; the sound distances keep
the distance contract (exact = bp); the synthesised notes are what their model says."""

import numpy as np
import pytest
import torch

from gan_geometry import GeometryError, load_distance, load_generator, metric_tensor
from tests.reference_files import save_wavegan_checkpoint, wavegan_forward, wavegan_state

LAYOUTS = [(16384, True, False), (16384, False, True), (16384, True, True), (32768, True, True),
           (65536, False, False)]


@pytest.mark.parametrize(("slice_len", "upsample", "batch_norm"), LAYOUTS)
def test_a_checkpoint_of_the_port_draws_the_ports_waveform(tmp_path, slice_len, upsample, batch_norm):
    state = wavegan_state(2, slice_len, upsample, batch_norm, seed=slice_len + upsample)
    path = tmp_path / "gan_exp1.tar"
    save_wavegan_checkpoint(path, state)
    options = {"slice_len": slice_len} if slice_len != 16384 else {}
    G = load_generator("wavegan-notes", weights_path=str(path), **options)
    assert G.image_shape == (1, 1, slice_len) and G.sample_rate == 16000
    assert G.weights_info["config"] == {"model_size": 2, "num_channels": 1, "upsample": upsample,
                                        "slice_len": slice_len, "use_batch_norm": batch_norm}
    z = G.sample(3, seed=1)
    expected = (wavegan_forward(state, z, slice_len, upsample, batch_norm) + 1) / 2
    assert torch.allclose(G(z), expected.reshape(3, 1, 1, slice_len), atol=1e-5)
    assert expected.std() > 1e-3  # a waveform, not silence


def test_a_bare_state_dict_loads_and_ambiguous_or_foreign_files_are_refused(tmp_path):
    state = wavegan_state(2, 32768, True, False, seed=3)
    torch.save(state, tmp_path / "g.pt")
    with pytest.raises(GeometryError, match="slice_len=32768 or slice_len=65536 says which"):
        load_generator("wavegan-notes", weights_path=str(tmp_path / "g.pt"))
    G = load_generator("wavegan-notes", weights_path=str(tmp_path / "g.pt"), slice_len=65536)
    assert G.image_shape[-1] == 65536
    torch.save({"netG_state_dict": {"main.0.weight": torch.zeros(1)}}, tmp_path / "dcgan.pt")
    with pytest.raises(GeometryError, match="is a DCGAN \\(gan-face-generate\\) checkpoint, not WaveGAN"):
        load_generator("wavegan-notes", weights_path=str(tmp_path / "dcgan.pt"))


@pytest.fixture(scope="module")
def small_wavegan():
    return load_generator("wavegan-notes", random_weights=True, model_size=2)


@pytest.mark.parametrize("distance", ["mse", "stft", "stft-power", "stft-db", "logmel"])
def test_sound_distances_give_exact_equal_to_bp(small_wavegan, distance):
    D = load_distance(distance)
    z = small_wavegan.sample(1, seed=2)[0]
    exact, bp = metric_tensor(small_wavegan, D, z), metric_tensor(small_wavegan, D, z, method="bp")
    assert np.abs(exact.H - bp.H).max() <= 1e-5 * np.abs(bp.H).max()
    assert exact.eigvals[0] > 0 and (exact.eigvals > -1e-9 * exact.eigvals[0]).all()


def test_sound_distances_refuse_images_and_images_distances_refuse_sound(small_wavegan):
    face = torch.rand(2, 3, 64, 64)
    with pytest.raises(GeometryError, match="stft compares sounds: waveforms"):
        load_distance("stft")(face[:1], face)
    x = small_wavegan(small_wavegan.sample(2, seed=0))
    sounds = "mse, stft, stft-power, stft-db, logmel"
    with pytest.raises(GeometryError, match=f"lpips-alex compares images, and these are sounds .* {sounds}"):
        load_distance("lpips-alex")(x[:1], x)


def test_the_stft_distance_is_the_mean_squared_magnitude_difference():
    """Against numpy's FFT on the same frames: a 1 kHz and a 2 kHz tone."""
    t = np.arange(4096) / 16000
    a, b = 0.5 * np.sin(2 * np.pi * 1000 * t), 0.5 * np.sin(2 * np.pi * 2000 * t)
    x = torch.tensor(np.stack([a, b]), dtype=torch.float64).reshape(2, 1, 1, -1) / 2 + 0.5

    def spectrum(w):
        padded = np.pad(w, 256, mode="reflect")
        frames = np.stack([padded[i:i + 512] for i in range(0, len(padded) - 511, 128)])
        return np.abs(np.fft.rfft(frames * np.hanning(513)[:-1], axis=1))

    readings = {"stft": spectrum, "stft-power": lambda w: spectrum(w) ** 2,
                "stft-db": lambda w: 10 * np.log10(spectrum(w) ** 2 + 1e-10),
                "stft-db+floor=0.001": lambda w: 10 * np.log10(spectrum(w) ** 2 + 1e-3)}
    for name, reading in readings.items():
        expected = np.mean((reading(a) - reading(b)) ** 2)
        got = load_distance(name).double()(x[:1], x[1:])[0].item()
        assert got == pytest.approx(expected, rel=1e-6), name
    assert load_distance("stft-db", floor=1e-3).name == "stft-db+floor=0.001"  # the floor travels in the name
    with pytest.raises(GeometryError, match="the floor of stft-db must be a positive number"):
        load_distance("stft-db", floor=0)


@pytest.mark.parametrize("distance", ["stft-power", "stft-db"])
def test_the_new_spectrogram_readings_are_exact_on_the_trained_wavegan(distance):
    """exact = bp within 1e-4 on wavegan-notes itself (its trained weights)."""
    G, D = load_generator("wavegan-notes"), load_distance(distance)
    z = G.sample(1, seed=0)[0]
    exact, bp = metric_tensor(G, D, z), metric_tensor(G, D, z, method="bp")
    assert np.abs(exact.H - bp.H).max() <= 1e-4 * np.abs(bp.H).max()


def test_the_notes_are_struck_strings_of_the_stated_pitch():
    from gan_geometry.training.notes import note_set

    clips = note_set(6, seed=0)
    assert clips.shape == (6, 16384) and np.abs(clips).max() <= 0.8 + 1e-6
    assert np.array_equal(clips[:3], note_set(3, seed=0))  # a prefix of the set is the smaller set
    for clip in clips:
        spectrum = np.abs(np.fft.rfft(clip))
        f0 = np.argmax(spectrum) * 16000 / clip.size
        assert 60 < f0 < 2000  # E2..E5 fundamentals, or one of their low partials
        assert np.abs(clip[-2000:]).max() < np.abs(clip).max()  # it decays
