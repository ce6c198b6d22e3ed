"""Datasets and ground truth for the corpus, through each vendor's own pipeline.

Nothing here imports edgebench: the images are cut from photographs that ship in wheels
(scikit-image's astronaut, cameraman, coffee, cat, rocket and motorcycle; matplotlib's
Grace Hopper) or drawn (text lines), and every label that is not known by construction is
the vendor's fp32 output, computed with the vendor's preprocessing (written out below from
each package's source, cited per function) on the raw runtime: onnxruntime, LiteRT's
Interpreter or Keras. ``build(name, model, images, out)`` writes ``out/<name>.npz`` (the
edgebench ``npz:`` layout) and returns the truth: the metric the vendor's pipeline scores
on the test split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

#: where the faces are in the photographs (x1, y1, x2, y2 in pixels), read off the images.
FACES = {
    "astronaut": (150, 30, 260, 150),
    "grace_hopper": (150, 110, 370, 340),
    "camera": (150, 60, 235, 150),
}
PEOPLE = ("astronaut", "grace_hopper", "camera")
#: images per split.
TRAIN, TEST = 24, 40


def load_photos(folder: Path) -> dict[str, np.ndarray]:
    """The photographs fetched into ``folder`` as RGB uint8 arrays."""
    photos = {}
    for path in sorted(folder.glob("*")):
        if path.suffix.lower() in (".png", ".jpg"):
            photos[path.stem] = np.asarray(Image.open(path).convert("RGB"))
    return photos


def _crop(photo: np.ndarray, box: tuple[int, int, int, int], size: tuple[int, int]) -> np.ndarray:
    """``photo[box]`` resized to ``size`` (H, W) with Pillow's bilinear filter."""
    image = Image.fromarray(photo).crop(box).resize((size[1], size[0]), Image.BILINEAR)
    return np.asarray(image)


def scene_crops(
    photos: dict[str, np.ndarray],
    size: tuple[int, int],
    count: int,
    seed: int,
    names: tuple[str, ...] | None = None,
) -> np.ndarray:
    """``count`` random crops (60-100% of the shorter side, the aspect of ``size``), some
    mirrored, with brightness and contrast jitter, of the photographs ``names``."""
    rng = np.random.default_rng(seed)
    keys = list(names or sorted(photos))
    out = np.zeros((count, *size, 3), np.uint8)
    aspect = size[1] / size[0]
    for i in range(count):
        photo = photos[keys[i % len(keys)]]
        h, w = photo.shape[:2]
        ch = int(min(h, w / aspect) * rng.uniform(0.6, 1.0))
        cw = int(ch * aspect)
        y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        image = _crop(photo, (x, y, x + cw, y + ch), size).astype(np.float32)
        if rng.random() < 0.5:
            image = image[:, ::-1]
        image = (image - 128) * rng.uniform(0.8, 1.2) + 128 + rng.uniform(-20, 20)
        out[i] = np.clip(image, 0, 255).astype(np.uint8)
    return out


def face_crops(photos: dict[str, np.ndarray], size: int, count: int, seed: int) -> np.ndarray:
    """``count`` grey square crops around the known faces (jittered by up to 15% of the
    face), as fer's detector would hand them to its classifier, shape (N, size, size, 1)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((count, size, size, 1), np.uint8)
    names = sorted(FACES)
    for i in range(count):
        name = names[i % len(names)]
        x1, y1, x2, y2 = FACES[name]
        side = max(x2 - x1, y2 - y1) * rng.uniform(0.9, 1.2)
        cx = (x1 + x2) / 2 + rng.uniform(-0.15, 0.15) * side
        cy = (y1 + y2) / 2 + rng.uniform(-0.15, 0.15) * side
        box = tuple(int(v) for v in (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2))
        grey = Image.fromarray(photos[name]).convert("L").crop(box).resize((size, size))
        image = np.asarray(grey, np.float32)
        if rng.random() < 0.5:
            image = image[:, ::-1]
        out[i, ..., 0] = np.clip(image * rng.uniform(0.85, 1.15), 0, 255).astype(np.uint8)
    return out


def text_lines(count: int, size: tuple[int, int], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` colour text lines of ``size`` (H, W); every other one turned 180 degrees
    (label 1), the others upright (label 0)."""
    rng = np.random.default_rng(seed)
    words = [
        "invoice",
        "total",
        "edge",
        "board",
        "latency",
        "quantized",
        "model",
        "2026",
        "Raspberry",
        "runtime",
        "battery",
        "sensor",
        "camera",
        "pixel",
        "signal",
    ]
    images = np.zeros((count, *size, 3), np.uint8)
    labels = np.zeros(count, np.int64)
    for i in range(count):
        background = tuple(int(v) for v in rng.integers(170, 256, 3))
        ink = tuple(int(v) for v in rng.integers(0, 90, 3))
        canvas = Image.new("RGB", (size[1], size[0]), background)
        draw = ImageDraw.Draw(canvas)
        font = ImageFont.load_default(size=int(size[0] * rng.uniform(0.5, 0.7)))
        text = " ".join(rng.choice(words, 2))
        draw.text((int(rng.integers(2, 12)), int(size[0] * 0.12)), text, fill=ink, font=font)
        image = np.asarray(canvas)
        labels[i] = i % 2
        images[i] = image[::-1, ::-1] if labels[i] else image
    return images, labels


def text_pages(
    photos: dict[str, np.ndarray], count: int, size: tuple[int, int], seed: int
) -> np.ndarray:
    """``count`` images of ``size`` with several text lines on photograph crops or plain
    paper, plus crops of scikit-image's scanned page and text images."""
    rng = np.random.default_rng(seed)
    out = scene_crops(photos, size, count, seed + 1)
    for i in range(count):
        if i % 4 == 3 and "page" in photos:
            out[i] = scene_crops(photos, size, 1, seed + i, ("page",))[0]
            continue
        canvas = Image.fromarray(out[i] if i % 2 else np.full((*size, 3), 235, np.uint8))
        draw = ImageDraw.Draw(canvas)
        for _ in range(int(rng.integers(2, 5))):
            font = ImageFont.load_default(size=int(rng.integers(14, 26)))
            x, y = int(rng.integers(0, size[1] // 2)), int(rng.integers(0, size[0] - 24))
            ink = tuple(int(v) for v in rng.integers(0, 60, 3))
            draw.text((x, y), f"edge bench {rng.integers(100, 999)}", fill=ink, font=font)
        out[i] = np.asarray(canvas)
    return out


# -- the vendors' pipelines ----------------------------------------------------------------


def ppocr_det_maps(model: Path, images: np.ndarray) -> np.ndarray:
    """rapidocr_onnxruntime 1.4.4 ``ch_ppocr_det.utils.DetPreProcess`` with
    ``limit_side_len=160`` (images already a multiple of 32 at that size, so its resize is
    the identity): the image as cv2 reads it (BGR), ``(x * 1/255 - 0.5) / 0.5``, HWC to CHW;
    the text map thresholded at the ``thresh: 0.3`` of its config."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    masks = []
    for rgb in images:
        bgr = rgb[..., ::-1].astype("float32")
        x = (bgr * (1 / 255.0) - np.array([0.5, 0.5, 0.5])) / np.array([0.5, 0.5, 0.5])
        x = x.transpose(2, 0, 1)[None].astype(np.float32)
        masks.append(session.run(None, {name: x})[0][0, 0] > 0.3)
    return np.stack(masks).astype(np.uint8)


def ppocr_cls_predict(model: Path, images: np.ndarray) -> np.ndarray:
    """rapidocr_onnxruntime 1.4.4 ``ch_ppocr_cls.TextClassifier.resize_norm_img`` for a
    48x192 line (no resize, no padding): BGR, ``/255``, ``(x - 0.5) / 0.5``, CHW; the
    class is the argmax (0: '0', 1: '180')."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    x = images[..., ::-1].astype("float32").transpose(0, 3, 1, 2) / 255
    x = ((x - 0.5) / 0.5).astype(np.float32)
    return np.argmax(session.run(None, {name: x})[0], axis=1)


def _nms_agnostic(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    """cv2.dnn.NMSBoxes' greedy suppression over all classes at once (nudenet calls it
    with every class's boxes together)."""
    order = list(np.argsort(-scores))
    keep: list[int] = []
    while order:
        i = order.pop(0)
        keep.append(i)
        rest = []
        for j in order:
            x1 = max(boxes[i, 0], boxes[j, 0])
            y1 = max(boxes[i, 1], boxes[j, 1])
            x2 = min(boxes[i, 0] + boxes[i, 2], boxes[j, 0] + boxes[j, 2])
            y2 = min(boxes[i, 1] + boxes[i, 3], boxes[j, 1] + boxes[j, 3])
            inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
            union = boxes[i, 2] * boxes[i, 3] + boxes[j, 2] * boxes[j, 3] - inter
            if union <= 0 or inter / union <= iou:
                rest.append(j)
        order = rest
    return keep


def nudenet_detect(model: Path, images: np.ndarray, max_boxes: int = 20) -> np.ndarray:
    """nudenet 3.4.2 ``_read_image`` + ``_postprocess`` for a square 320x320 image (no
    padding, no resize): RGB ``/255``; rows whose best class score is >= 0.2, class-agnostic
    NMS at score 0.25 and IoU 0.45. Boxes as ``(N, M, 5)`` rows ``[class, x1, y1, x2, y2]``
    in [0, 1], class -1 padding."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    size = images.shape[1]
    out = np.full((len(images), max_boxes, 5), -1, np.float32)
    for n, rgb in enumerate(images):
        x = (rgb.astype(np.float32) / 255).transpose(2, 0, 1)[None]
        rows = np.transpose(np.squeeze(session.run(None, {name: x})[0]))
        scores = rows[:, 4:].max(axis=1)
        chosen = rows[scores >= 0.2]
        best = scores[scores >= 0.2]
        classes = np.argmax(chosen[:, 4:], axis=1)
        xywh = chosen[:, :4].copy()
        xywh[:, 0] -= xywh[:, 2] / 2
        xywh[:, 1] -= xywh[:, 3] / 2
        xywh[:, 0:2] = np.clip(xywh[:, 0:2], 0, size)
        xywh[:, 2] = np.minimum(xywh[:, 2], size - xywh[:, 0])
        xywh[:, 3] = np.minimum(xywh[:, 3], size - xywh[:, 1])
        keep = [i for i in _nms_agnostic(xywh, best, 0.45) if best[i] >= 0.25][:max_boxes]
        for m, i in enumerate(keep):
            x1, y1, w, h = xywh[i] / size
            out[n, m] = (classes[i], x1, y1, x1 + w, y1 + h)
    return out


def fer_predict(model: Path, faces: np.ndarray) -> np.ndarray:
    """fer 25.10.3 ``FER.detect_emotions`` on a face crop already 64x64 grey: ``/255``, then
    ``(x - 0.5) * 2`` (``__preprocess_input``); the emotion is the argmax. The ``.hdf5``
    runs in Keras (``compile=False``, as fer loads it), the ``.tflite`` in LiteRT."""
    x = ((faces.astype(np.float32) / 255.0) - 0.5) * 2.0
    if model.suffix == ".tflite":
        return np.argmax(_litert_run(model, x), axis=1)
    import keras

    net = keras.models.load_model(str(model), compile=False)
    return np.argmax(net.predict(x, verbose=0), axis=1)


def _litert_run(model: Path, x: np.ndarray) -> np.ndarray:
    """The first output of ``model`` for each sample of ``x`` (LiteRT's Interpreter)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(str(model))
    interpreter.allocate_tensors()
    feed = interpreter.get_input_details()[0]["index"]
    fetch = interpreter.get_output_details()[0]["index"]
    outputs = []
    for sample in x:
        interpreter.set_tensor(feed, sample[None].astype(np.float32))
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(fetch)[0].copy())
    return np.stack(outputs)


def selfie_masks(model: Path, images: np.ndarray) -> np.ndarray:
    """MediaPipe 0.10.14 ``selfie_segmentation`` graph (ImageToTensorCalculator with
    ``output_tensor_float_range {min: 0 max: 1}``, RGB): the person map > 0.5 (the
    threshold of its ``SegmentationSmoothing``-free mask)."""
    x = images.astype(np.float32) / 255.0
    return (_litert_run(model, x)[..., 0] > 0.5).astype(np.uint8)


# -- datasets --------------------------------------------------------------------------------


def build(name: str, model: Path, photos: dict[str, np.ndarray], out: Path) -> dict[str, object]:
    """Write ``out/<name>.npz`` for corpus model ``name`` and return its truth: the metric
    the vendor's pipeline scores on the test split (``metric``, ``value``, ``labels``)."""
    count = TRAIN + TEST
    arrays: dict[str, np.ndarray]
    if name == "ppocr-det":
        images = text_pages(photos, count, (160, 320), seed=11)
        masks = ppocr_det_maps(model, images)
        arrays = {"masks": masks}
        truth = {"metric": "miou", "value": 1.0, "labels": "vendor fp32 masks"}
    elif name == "ppocr-cls":
        images, labels = text_lines(count, (48, 192), seed=12)
        predicted = ppocr_cls_predict(model, images[TRAIN:])
        arrays = {"y": labels}
        truth = {
            "metric": "accuracy",
            "value": float(np.mean(predicted == labels[TRAIN:])),
            "labels": "true orientation",
        }
    elif name == "nudenet-320n":
        images = scene_crops(photos, (320, 320), count, seed=13, names=PEOPLE + ("coffee",))
        arrays = {"boxes": nudenet_detect(model, images)}
        truth = {"metric": "map50", "value": 1.0, "labels": "vendor fp32 detections"}
    elif name in ("fer-emotion", "fer-emotion-tflite"):
        images = face_crops(photos, 64, count, seed=14)
        arrays = {"y": fer_predict(model, images)}
        truth = {"metric": "accuracy", "value": 1.0, "labels": "vendor fp32 predictions"}
    elif name in ("selfie-seg", "selfie-seg-landscape"):
        size = (256, 256) if name == "selfie-seg" else (144, 256)
        images = scene_crops(photos, size, count, seed=15, names=PEOPLE + ("coffee", "chelsea"))
        arrays = {"masks": selfie_masks(model, images)}
        truth = {"metric": "miou", "value": 1.0, "labels": "vendor fp32 masks"}
    elif name == "face-detect-short":
        images = scene_crops(photos, (128, 128), count, seed=16, names=PEOPLE)
        from blazeface_vendor import mediapipe_face_detections

        arrays = {"boxes": mediapipe_face_detections(model, images)}
        truth = {"metric": "map50", "value": 1.0, "labels": "vendor fp32 detections"}
    else:
        raise SystemExit(f"no dataset recipe for corpus model {name!r}")
    split = {"x_train": images[:TRAIN], "x_test": images[TRAIN:]}
    for key, value in arrays.items():
        split[f"{key}_train"], split[f"{key}_test"] = value[:TRAIN], value[TRAIN:]
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / f"{name}.npz", **split)
    return truth
