import numpy as np
import pytest

from edgebench.data.preprocess import adapt_images, match_channels, resize_bilinear


def test_resize_same_size_is_identity():
    x = np.random.default_rng(0).random((2, 5, 5, 1), dtype=np.float32)
    assert resize_bilinear(x, 5, 5) is x


def test_upsample_two_by_two_half_pixel_centres():
    x = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)[None, :, :, None]
    out = resize_bilinear(x, 4, 4)[0, :, :, 0]
    # half-pixel centres: output column centres map to -0.25, 0.25, 0.75, 1.25 (clipped)
    np.testing.assert_allclose(out[0], [0.0, 0.25, 0.75, 1.0])
    np.testing.assert_allclose(out[:, 0], [0.0, 0.5, 1.5, 2.0])


def test_downsample_averages_neighbours():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    out = resize_bilinear(x, 2, 2)[0, :, :, 0]
    np.testing.assert_allclose(out, [[2.5, 4.5], [10.5, 12.5]])


def test_channel_mapping():
    grey = np.ones((1, 2, 2, 1), np.float32)
    assert match_channels(grey, 3).shape == (1, 2, 2, 3)
    colour = np.stack([np.zeros((2, 2)), np.ones((2, 2)), np.full((2, 2), 2.0)], -1)[None]
    np.testing.assert_allclose(match_channels(colour.astype(np.float32), 1), 1.0)
    with pytest.raises(ValueError):
        match_channels(np.ones((1, 2, 2, 2), np.float32), 3)


def test_adapt_images_to_model_shapes():
    x = np.ones((3, 8, 8, 1), np.float32)
    assert adapt_images(x, (32, 32, 3)).shape == (3, 32, 32, 3)
    assert adapt_images(x, (64,)).shape == (3, 64)
    with pytest.raises(ValueError, match="do not fit"):
        adapt_images(x, (10,))
    with pytest.raises(ValueError, match="not fully known"):
        adapt_images(x, (None, None, 1))
