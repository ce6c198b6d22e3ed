"""Task metrics against cases computed by hand: segmentation IoU, detection AP (pycocotools),
classification top-k."""

from __future__ import annotations

import numpy as np
import pytest

from edgebench.tasks.segment import (
    IGNORE_LABEL,
    SegmentTask,
    confusion_matrix,
    score_layout,
    segmentation_scores,
)


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes, dtype=np.float32)[labels]  # NHWC scores


def halves(shift: int = 0) -> np.ndarray:
    """4x4 masks: class 0 on the left half, class 1 on the right (moved right by shift)."""
    mask = np.zeros((1, 4, 4), dtype=np.int64)
    mask[:, :, 2 + shift :] = 1
    return mask


def evaluate_segment(truth, scores, batch_size=8):
    from edgebench.measurements.accuracy import precomputed

    return SegmentTask().evaluate(precomputed(scores), np.zeros(len(truth)), truth, batch_size)


def test_a_perfect_mask_scores_one():
    truth = halves()
    scores = evaluate_segment(truth, one_hot(truth, 2))
    assert scores["miou"] == 1.0 and scores["pixel_accuracy"] == 1.0


def test_a_mask_shifted_by_one_column():
    # per row: truth 0 0 1 1, predicted 0 0 0 1 -> confusion [[8, 0], [4, 4]] over 4 rows
    truth, predicted = halves(), halves(shift=1)
    assert confusion_matrix(truth, predicted, 2).tolist() == [[8, 0], [4, 4]]
    scores = evaluate_segment(truth, one_hot(predicted, 2))
    assert scores["pixel_accuracy"] == 12 / 16
    assert scores["class_iou"] == pytest.approx([8 / 12, 4 / 8])
    assert scores["miou"] == pytest.approx((8 / 12 + 4 / 8) / 2)


def test_a_class_nobody_has_is_left_out_and_a_missed_class_counts_zero():
    truth = halves()
    truth[0, 0, 0] = 2  # class 2 is in the mask, never predicted: IoU 0
    scores = evaluate_segment(truth, one_hot(halves(), 4))  # class 3: nowhere at all
    assert scores["class_iou"][2] == 0.0 and scores["class_iou"][3] is None
    iou0 = 7 / 8  # the 8 class-0 pixels predicted, one of them truly class 2
    assert scores["miou"] == pytest.approx((iou0 + 1.0 + 0.0) / 3)


def test_ignored_pixels_count_nowhere():
    truth = halves()
    truth[0, :, 3] = IGNORE_LABEL
    wrong = halves()
    wrong[0, :, 3] = 0  # wrong only where the label is ignored
    scores = evaluate_segment(truth, one_hot(wrong, 2))
    assert scores["miou"] == 1.0 and scores["pixel_accuracy"] == 1.0
    with pytest.raises(ValueError, match="no labelled pixels"):
        segmentation_scores(np.zeros((2, 2)))


def test_nchw_and_low_resolution_scores_read_like_nhwc():
    truth = np.repeat(np.repeat(halves(), 2, axis=1), 2, axis=2)  # 8x8 masks
    nchw = one_hot(halves(), 2).transpose(0, 3, 1, 2)  # 4x4, classes on axis 1
    assert score_layout(nchw.shape, (8, 8)) == ("nchw", 2)
    assert evaluate_segment(truth, nchw)["miou"] == 1.0


def test_batches_accumulate_one_confusion_matrix():
    truth = np.concatenate([halves(), halves(), halves()])
    predicted = np.concatenate([halves(), halves(shift=1), halves()])
    whole = evaluate_segment(truth, one_hot(predicted, 2), batch_size=3)
    assert evaluate_segment(truth, one_hot(predicted, 2), batch_size=1) == whole


pytest.importorskip("pycocotools")
from edgebench.tasks.detect import DetectTask, detection_scores  # noqa: E402

GT = np.array([[[0, 0.0, 0.0, 0.4, 0.4]]])  # one image, one box of class 0


def shifted(dx: float, score: float = 0.9, cls: int = 0) -> list[float]:
    return [dx, 0.0, 0.4 + dx, 0.4, score, cls]


def iou_shift(iou: float) -> float:
    """The horizontal shift of a 0.4x0.4 box that leaves IoU ``iou`` with GT:
    (0.4 - d) / (0.4 + d) = iou."""
    return 0.4 * (1 - iou) / (1 + iou)


def test_a_box_at_iou_051_matches_at_050_and_one_at_049_does_not():
    at_051 = detection_scores(GT, np.array([[shifted(iou_shift(0.51))]]), 1)
    assert at_051["map50"] == pytest.approx(1.0)
    assert at_051["map"] == pytest.approx(0.1)  # matched at t=0.50 only, of ten thresholds
    at_049 = detection_scores(GT, np.array([[shifted(iou_shift(0.49))]]), 1)
    assert at_049["map50"] == pytest.approx(0.0) and at_049["map"] == pytest.approx(0.0)


def test_a_duplicate_detection_is_a_false_positive():
    # two images, one box each; ranked: TP (0.95), duplicate FP (0.9), TP (0.8)
    truth = np.concatenate([GT, GT])
    dets = np.array([[shifted(0, 0.95), shifted(0, 0.9)], [shifted(0, 0.8), [0, 0, 0, 0, 0, -1]]])
    # precision envelope: 1.0 up to recall 0.5 (51 of COCO's 101 recall points), then 2/3
    expected = (51 * 1.0 + 50 * (2 / 3)) / 101
    assert detection_scores(truth, dets, 1)["map50"] == pytest.approx(expected, abs=1e-6)


def test_a_class_without_ground_truth_is_left_out_of_the_mean():
    dets = np.array([[shifted(0, 0.9), shifted(0.3, 0.8, cls=1)]])
    scores = detection_scores(GT, dets, 2)
    assert scores["map50"] == pytest.approx(1.0)
    assert scores["class_ap50"] == [pytest.approx(1.0), None]


def test_no_detections_score_zero_and_padding_is_ignored():
    assert detection_scores(GT, np.full((1, 3, 6), -1.0), 1)["map50"] == 0.0


def test_detect_task_checks_and_scores_decoded_outputs():
    from edgebench.data.datasets import Dataset

    task = DetectTask()
    data = Dataset("boxes", None, None, np.zeros((1, 8, 8, 3)), GT, 1, True, "test", "x")
    assert "(N, K, 6" in task.check_outputs(np.zeros((1, 10)), data)
    assert task.check_outputs(np.zeros((1, 5, 6)), data) is None
    perfect = np.array([[shifted(0)]])
    scores = task.evaluate(lambda x: perfect, np.zeros((1, 8, 8, 3)), GT, 1)
    assert scores["map50"] == pytest.approx(1.0)


def test_centernet_targets_decode_back_to_their_boxes():
    """Perfect head outputs (the encoded targets themselves) decode to boxes that COCOeval
    scores 1.0 at every IoU threshold: the encoder, the decoder and the box convention agree."""
    from edgebench.data.scenes import make_scenes
    from edgebench.tasks.centernet import decode, encode_targets

    _, _, boxes = make_scenes(40, seed=5)
    targets = encode_targets(boxes, (16, 16), 3)
    scores = detection_scores(boxes, decode(targets[..., :7]), 3)
    assert scores["map50"] == pytest.approx(1.0) and scores["map"] == pytest.approx(1.0)


def test_centernet_decoding_keeps_local_maxima_only():
    from edgebench.tasks.centernet import decode

    out = np.zeros((1, 4, 4, 5), np.float32)
    out[0, 1, 1, 0], out[0, 1, 2, 0] = 0.9, 0.6  # a neighbour of a stronger peak
    out[0, 3, 3, 0] = 0.04  # under the score floor
    found = decode(out, top_k=5)
    assert (found[0, :, 4] > 0).sum() == 1 and found[0, 0, 4] == pytest.approx(0.9)


def test_unknown_output_adapter_is_a_usage_error():
    from edgebench.errors import UsageError
    from edgebench.tasks.adapters import adapted, adapter

    with pytest.raises(UsageError, match="known: centernet"):
        adapter("yolo9")
    assert adapted(np.negative, None)(np.ones(2)).tolist() == [-1.0, -1.0]


def test_synthetic_scenes_are_deterministic_and_boxes_bound_their_masks():
    from edgebench.data.scenes import make_scenes

    images, masks, boxes = make_scenes(20, seed=7, size=32)
    again = make_scenes(20, seed=7, size=32)
    assert np.array_equal(images, again[0]) and np.array_equal(boxes, again[2])
    for mask, rows in zip(masks, boxes, strict=True):
        shown = rows[rows[:, 0] >= 0]
        assert len(shown) >= 1
        # every visible shape pixel lies in a box of its class
        for cls in np.unique(mask[mask > 0]):
            ys, xs = np.nonzero(mask == cls)
            inside = np.zeros(len(ys), bool)
            for _, x1, y1, x2, y2 in shown[shown[:, 0] == cls - 1]:
                inside |= (
                    (xs >= x1 * 32 - 1e-6)
                    & (xs < x2 * 32)
                    & (ys >= y1 * 32 - 1e-6)
                    & (ys < y2 * 32)
                )
            assert inside.all()


def test_end_to_end_latency_times_invoke_and_decoding_together():
    import time

    from edgebench.measurements.latency import end_to_end_latency

    outputs = np.zeros((1, 4, 4, 7), np.float32)

    def slow_run(batch):
        time.sleep(0.002)
        return outputs

    values, reasons = end_to_end_latency(slow_run, np.zeros((1, 8, 8, 3)), "centernet", 5, 1)
    assert not reasons and values["end_to_end_p50_ms"] >= 2.0
    assert values["end_to_end_p90_ms"] >= values["end_to_end_p50_ms"]
    values, reasons = end_to_end_latency(slow_run, np.zeros(1), None, 5, 1)
    assert not values and "no post-processing" in reasons["end_to_end_p50_ms"]


def four_output_detector(path):
    """An ONNX model with TFLite_Detection_PostProcess's four outputs (boxes as ymin, xmin,
    ymax, xmax; classes; scores; count): one box of class 1 whatever the image."""
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    values = {
        "boxes": np.array([[[0.1, 0.2, 0.5, 0.6], [0, 0, 0, 0]]], np.float32),
        "classes": np.array([[1, 0]], np.float32),
        "scores": np.array([[0.9, 0.0]], np.float32),
        "count": np.array([1], np.float32),
    }
    nodes = [
        helper.make_node("Constant", [], [name], value=numpy_helper.from_array(v, name))
        for name, v in values.items()
    ]
    graph = helper.make_graph(
        nodes,
        "postprocess",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 8, 8, 3])],
        [
            helper.make_tensor_value_info(n, TensorProto.FLOAT, list(v.shape))
            for n, v in values.items()
        ],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


#: the box the four-output detector writes, as ground truth ([class, x1, y1, x2, y2]).
FOUR_OUTPUT_TRUTH = np.array([[[1, 0.2, 0.1, 0.6, 0.5]]], np.float32)


def test_a_four_output_detector_is_scored_through_its_adapter(tmp_path):
    """Run by ONNX Runtime here, every output reaches the adapter in order, and the boxes
    it wrote score 1.0 against themselves."""
    from edgebench.runtimes import make_runtime
    from edgebench.tasks.adapters import adapted, model_outputs

    session = make_runtime("onnxruntime").load(four_output_detector(tmp_path / "ssd.onnx"), 1)
    name = "tflite-detection-postprocess"
    predict = adapted(model_outputs(session, name), name)
    x = np.zeros((2, 8, 8, 3), np.float32)
    truth = np.concatenate([FOUR_OUTPUT_TRUTH, FOUR_OUTPUT_TRUTH])
    scores = DetectTask().evaluate(predict, x, truth, batch_size=1)
    assert scores["map50"] == pytest.approx(1.0) and scores["map"] == pytest.approx(1.0)


def test_a_worker_returns_every_output_for_a_board_side_adapter(tmp_path):
    """The predict job a board runs: with all_outputs, every output comes back in one
    archive, in order, and the controller scores them as if it had run the model."""
    from edgebench.measurements.accuracy import precomputed
    from edgebench.targets.local_worker import run_worker
    from edgebench.tasks.adapters import adapted

    model = four_output_detector(tmp_path / "ssd.onnx")
    x = np.zeros((3, 8, 8, 3), np.float32)
    np.save(tmp_path / "inputs.npy", x)
    job = {
        "kind": "predict",
        "runtime": "onnxruntime",
        "artifact": str(model),
        "threads": 1,
        "inputs": str(tmp_path / "inputs.npy"),
        "outputs": str(tmp_path / "outputs.npy"),
        "batch_size": 2,
        "all_outputs": True,
    }
    result = run_worker(job)
    assert result["output_count"] == 4
    with np.load(result["outputs"], allow_pickle=False) as archive:
        outputs = [archive[f"output_{k}"] for k in range(4)]
    assert [o.shape for o in outputs] == [(3, 2, 4), (3, 2), (3, 2), (3,)]
    predict = adapted(precomputed(outputs), "tflite-detection-postprocess")
    truth = np.concatenate([FOUR_OUTPUT_TRUTH] * 3)
    assert DetectTask().evaluate(predict, x, truth, 2)["map50"] == pytest.approx(1.0)


def test_raw_ssd_outputs_decode_with_their_anchors(tmp_path):
    """Encodings written for known boxes against known anchors decode back to those boxes
    (COCOeval scores them 1.0); the duplicate anchor's box is suppressed."""
    from edgebench.tasks.adapters import adapter

    anchors = np.array([[0.3, 0.3, 0.2, 0.2], [0.3, 0.3, 0.2, 0.2], [0.7, 0.6, 0.3, 0.4]])
    np.save(tmp_path / "anchors.npy", anchors)
    # target boxes (centre y, x, h, w): anchor 0 and 1 -> the same box, anchor 2 -> another
    targets = np.array([[0.32, 0.28, 0.25, 0.2], [0.32, 0.28, 0.25, 0.2], [0.7, 0.6, 0.3, 0.4]])
    encodings = np.stack(
        [
            (targets[:, 0] - anchors[:, 0]) / anchors[:, 2] * 10,
            (targets[:, 1] - anchors[:, 1]) / anchors[:, 3] * 10,
            np.log(targets[:, 2] / anchors[:, 2]) * 5,
            np.log(targets[:, 3] / anchors[:, 3]) * 5,
        ],
        axis=1,
    )[None]
    scores = np.array([[[0.1, 0.9, 0.0], [0.2, 0.8, 0.0], [0.1, 0.0, 0.95]]])  # background first
    decode = adapter(f"ssd-anchors:anchors={tmp_path / 'anchors.npy'}")
    found = decode([encodings, scores])
    kept = found[0][found[0, :, 4] > 0]
    assert len(kept) == 2  # the duplicate is suppressed
    truth = np.array(
        [[[0, 0.18, 0.195, 0.38, 0.445], [1, 0.4, 0.55, 0.8, 0.85]]]
    )  # class, x1, y1, x2, y2
    assert detection_scores(truth, found, 2)["map"] == pytest.approx(1.0)
