"""Re-measure the accuracy of every artifact in a run file, independently of edgebench.

    python ci/verify_accuracy.py RUN.json

For records on the ``digits`` dataset, this script rebuilds the test split with
scikit-learn directly, resizes with TensorFlow's own ``tf.image.resize`` (bilinear,
half-pixel centres), runs the artifact file with the plain ``ai_edge_litert``
Interpreter or ``onnxruntime.InferenceSession`` (quantizing int8 inputs itself), and
compares the top-1 accuracy with what the record says. Exits 1 on any mismatch.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np


def digits_test_split() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[..., None]
    _, x_test, _, y_test = train_test_split(
        images, bunch.target, test_size=0.2, stratify=bunch.target, random_state=0
    )
    return x_test, y_test


def resize(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if tuple(x.shape[1:]) == tuple(shape):
        return x
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    out = tf.image.resize(x, shape[:2], method="bilinear").numpy()
    if out.shape[-1] != shape[-1]:
        out = np.repeat(out, shape[-1], axis=-1)
    return out.astype(np.float32)


def tflite_predictions(path: str, x: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    x = resize(x, tuple(inp["shape"][1:]))
    predictions = []
    for sample in x:
        data = sample[None]
        scale, zero = inp["quantization"]
        if inp["dtype"] != np.float32:
            data = np.clip(np.round(data / scale) + zero, -128, 127).astype(inp["dtype"])
        interpreter.set_tensor(inp["index"], data)
        interpreter.invoke()
        predictions.append(int(np.argmax(interpreter.get_tensor(out["index"]))))
    return np.array(predictions)


def onnx_predictions(path: str, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    x = resize(x, tuple(inp.shape[1:]))
    return np.concatenate(
        [np.argmax(session.run(None, {inp.name: x[i : i + 1]})[0], axis=1) for i in range(len(x))]
    )


def main() -> int:
    run = json.loads(Path(sys.argv[1]).read_text())
    x_test, y_test = digits_test_split()
    checked, problems, done = 0, [], {}
    for record in run["records"]:
        if record["dataset"] != "digits" or record.get("accuracy") is None:
            continue
        path = record["artifact_path"]
        if path not in done:
            predict = (
                tflite_predictions if record["artifact_format"] == "tflite" else onnx_predictions
            )
            done[path] = float(np.mean(predict(path, x_test) == y_test))
        checked += 1
        if abs(done[path] - record["accuracy"]) > 1e-9:
            problems.append(
                f"{record['model']} {record['recipe']} {record['runtime']}: record says "
                f"{record['accuracy']:.6f}, independent run gives {done[path]:.6f}"
            )
    for line in problems:
        print(f"verify_accuracy: {line}", file=sys.stderr)
    print(f"verify_accuracy: {checked} records, {len(done)} artifacts, {len(problems)} mismatches")
    return 1 if problems or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
