"""The input contract: read where the file makes it certain, declared where it does not,
refused with the declaration to add, applied the same way everywhere."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edgebench.data.contract import (
    InputContract,
    apply,
    infer_layout,
    parse_declaration,
    read_sidecar,
    resolve,
)
from edgebench.errors import UsageError


@pytest.mark.parametrize(
    ("shape", "layout"),
    [
        ((3, 224, 224), "NCHW"),
        ((1, 28, 28), "NCHW"),
        ((224, 224, 3), "NHWC"),
        ((32, 32, 1), "NHWC"),
        ((3, 3, 3), None),  # both ends could be channels
        ((3, None, None), None),  # the Paddle text detector: dynamic
        ((None, None, 3), None),
        ((64, 64, 64), None),  # neither end is a channel count
        ((64,), "flat"),
    ],
)
def test_a_layout_is_read_only_where_the_shape_makes_it_certain(shape, layout):
    assert infer_layout(shape) == layout


def test_an_nchw_model_that_declares_nothing_is_refused_with_the_declaration_to_add():
    with pytest.raises(UsageError) as caught:
        resolve(InputContract(), (3, None, None), "det.onnx")
    message = str(caught.value)
    assert "may be NCHW or NHWC" in message and "--model det.onnx:layout=NCHW" in message
    assert "\n" not in message
    with pytest.raises(
        UsageError, match="declare the size it runs at: --model det.onnx:layout=NCHW:size="
    ):
        resolve(InputContract(layout="NCHW"), (3, None, None), "det.onnx")
    contract, hwc = resolve(InputContract(layout="NCHW", size=(64, 96)), (3, None, None), "d")
    assert contract.layout == "NCHW" and hwc == (64, 96, 3)


def test_a_declaration_overrides_what_the_file_suggests():
    contract, hwc = resolve(InputContract(layout="NHWC"), (3, 3, 3), "cube.onnx")
    assert contract.layout == "NHWC" and hwc == (3, 3, 3)


def test_apply_turns_nhwc_unit_images_into_the_models_tensor():
    images = np.random.default_rng(0).random((2, 4, 4, 3), dtype=np.float32)
    contract = parse_declaration(
        {"layout": "NCHW", "channels": "bgr", "scale": "255", "mean": "1,2,3", "std": "2"},
        "m.onnx",
    )
    x = apply(images, contract, (4, 4, 3))
    assert x.shape == (2, 3, 4, 4) and x.dtype == np.float32
    # by hand: channel 0 of the model is the image's blue channel, scaled then normalised
    np.testing.assert_allclose(x[:, 0], (images[..., 2] * 255 - 1) / 2, rtol=1e-6)
    np.testing.assert_allclose(x[:, 2], (images[..., 0] * 255 - 3) / 2, rtol=1e-6)
    nhwc = apply(images, InputContract(layout="NHWC"), (4, 4, 3))
    np.testing.assert_array_equal(nhwc, images)  # the default contract is the identity


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"layout": "CHW"}, "layout must be NHWC or NCHW"),
        ({"size": "big"}, "size must be HxW"),
        ({"size": "0x10"}, "between 1 and 16384"),
        ({"channels": "cmyk"}, "channels must be rgb, bgr or grey"),
        ({"std": "0"}, "divides by zero"),
        ({"mean": "nan"}, "finite numbers"),
        ({"colour": "rgb"}, "unknown input declaration(s) colour"),
    ],
)
def test_a_wrong_declaration_is_one_line(values, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_declaration(values, "m.onnx")


def test_a_sidecar_beside_the_model_declares_it(tmp_path):
    model = tmp_path / "net.onnx"
    model.write_bytes(b"")
    assert read_sidecar(model) == {}
    (tmp_path / "net.onnx.edgebench.json").write_text(
        json.dumps({"input": {"layout": "NCHW", "mean": [0.485, 0.456, 0.406]}})
    )
    contract = parse_declaration(read_sidecar(model), "net.onnx")
    assert contract.layout == "NCHW" and contract.mean == (0.485, 0.456, 0.406)
    (tmp_path / "net.onnx.edgebench.json").write_text("{not json")
    with pytest.raises(UsageError, match="not a JSON declaration"):
        read_sidecar(model)


@given(
    st.dictionaries(
        st.sampled_from(["layout", "size", "channels", "scale", "mean", "std", "other"]),
        st.text(max_size=12),
        max_size=4,
    )
)
def test_any_declaration_parses_or_is_refused_in_one_line(values):
    try:
        contract = parse_declaration(values, "m.onnx")
    except UsageError as exc:
        assert "\n" not in str(exc)
        return
    assert contract.layout in (None, "NHWC", "NCHW")


def test_a_one_channel_sigmoid_segmenter_is_scored_as_two_classes():
    """The adapter for text, person and salient-object models: a probability map scored
    against the true masks, in both layouts, with its threshold."""
    from edgebench.tasks.adapters import adapted
    from edgebench.tasks.segment import SegmentTask

    rng = np.random.default_rng(0)
    masks = (rng.random((4, 16, 16)) > 0.5).astype(np.uint8)
    probabilities = np.where(masks == 1, 0.8, 0.3).astype(np.float32)
    task = SegmentTask()
    x = np.zeros((4, 16, 16, 3), np.float32)
    index = {id(x): None}

    def model_nchw(batch):  # the model's "outputs": the map of the batch's images
        start = 0 if index.get("n") is None else index["n"]
        index["n"] = start + len(batch)
        return probabilities[start : start + len(batch)][:, None]

    perfect = task.evaluate(adapted(model_nchw, "sigmoid-mask"), x, masks, 2)
    assert perfect["miou"] == pytest.approx(1.0)
    index["n"] = None
    everything = task.evaluate(adapted(model_nchw, "sigmoid-mask:threshold=0.1"), x, masks, 2)
    assert everything["miou"] < 0.75  # every pixel called foreground
    with pytest.raises(UsageError, match="one-channel map"):
        adapted(lambda b: np.zeros((1, 3, 4, 4)), "sigmoid-mask")(x[:1])
