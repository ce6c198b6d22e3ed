from pathlib import Path

import pytest

from edgebench.artifacts.sources import ModelFile, discover_model_files, model_file, resolve_models
from edgebench.artifacts.zoo import ZooSpec, load_architectures, parse_zoo_spec
from edgebench.errors import UsageError

MODELS = Path(__file__).parent.parent / "models"


@pytest.fixture(scope="module")
def zoo():
    return load_architectures(MODELS)


def test_zoo_finds_the_builders(zoo):
    assert {"mobilenet_v1", "small_cnn"} <= set(zoo)
    mobilenet = zoo["mobilenet_v1"]
    assert mobilenet.defaults["alpha"] == 0.5
    assert mobilenet.input_shape_for((8, 8, 1)) == (32, 32, 1)
    assert mobilenet.input_shape_for((64, 48, 3)) == (64, 48, 3)
    assert len(mobilenet.source_sha256) == 64


def test_zoo_spec_ids_and_parameters(zoo):
    assert parse_zoo_spec("mobilenet_v1", zoo).id == "mobilenet_v1"
    spec = parse_zoo_spec("mobilenet_v1:alpha=0.75", zoo)
    assert spec.id == "mobilenet_v1:alpha=0.75"
    assert spec.builder_params(zoo["mobilenet_v1"])["alpha"] == 0.75
    # a parameter equal to its default does not change the id (same model, same cache entry)
    assert parse_zoo_spec("mobilenet_v1:alpha=0.5", zoo) == ZooSpec("mobilenet_v1")
    assert parse_zoo_spec("small_cnn:widths=[8,16]", zoo).id == "small_cnn:widths=(8,16)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("resnet", "unknown zoo model 'resnet'; known zoo models: det_centernet, efficientnet_b0"),
        ("mobilenet_v1:beta=1", "has no parameter"),
        ("mobilenet_v1:alpha", "use key=value"),
        ("mobilenet_v1:alpha=big", "not a Python literal"),
    ],
)
def test_zoo_spec_errors(zoo, text, message):
    with pytest.raises(UsageError, match=message):
        parse_zoo_spec(text, zoo)


def test_broken_zoo_module_is_a_usage_error(tmp_path):
    (tmp_path / "bad.py").write_text("raise RuntimeError('boom')\n")
    with pytest.raises(UsageError, match="cannot import zoo module .*bad.py.*boom"):
        load_architectures(tmp_path)


def _model_bytes(tmp_path, data_dir):
    """Real model files of each kind, copied under names that say nothing."""
    import shutil

    shutil.copy(data_dir / "digits_mlp.keras", tmp_path / "a.keras")
    shutil.copy(data_dir / "digits_mlp.onnx", tmp_path / "c.onnx")
    shutil.copy(data_dir / "digits_mlp.tflite", tmp_path / "d.tflite")
    (tmp_path / "b.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))


def test_discovery_of_dropped_files(tmp_path, data_dir):
    _model_bytes(tmp_path, data_dir)
    for name in ("notes.txt", ".hidden.onnx"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "saved").mkdir()
    (tmp_path / "saved" / "saved_model.pb").write_bytes(b"x")
    (tmp_path / "other").mkdir()
    found = discover_model_files(tmp_path)
    assert [(f.id, f.kind) for f in found] == [
        ("a.keras", "keras"),
        ("b.h5", "h5"),
        ("c.onnx", "onnx"),
        ("d.tflite", "tflite"),
        ("saved", "savedmodel"),
    ]
    assert found[2].native_format == "onnx" and found[2].framework is None
    assert found[0].framework == "keras" and found[0].native_format is None
    assert not any(f.problem for f in found)


def test_the_content_decides_the_kind_not_the_name(tmp_path, data_dir):
    """A file renamed to another format's suffix is read as what its bytes are."""
    import shutil

    for source, renamed in (
        ("digits_mlp.onnx", "x.tflite"),
        ("digits_mlp.tflite", "x.onnx"),
        ("digits_mlp.keras", "x.h5"),
        ("digits_mlp.onnx", "x.caffemodel"),
    ):
        shutil.copy(data_dir / source, tmp_path / renamed)
    assert model_file(tmp_path / "x.tflite").kind == "onnx"
    assert model_file(tmp_path / "x.onnx").kind == "tflite"
    assert model_file(tmp_path / "x.h5").kind == "keras"
    assert model_file(tmp_path / "x.caffemodel").kind == "onnx"


def test_model_file_rejects_unknown_types(tmp_path):
    (tmp_path / "m.caffemodel").write_bytes(b"x")
    with pytest.raises(UsageError, match="unknown model file type '.caffemodel'"):
        model_file(tmp_path / "m.caffemodel")
    (tmp_path / "folder").mkdir()
    with pytest.raises(UsageError, match="not a SavedModel"):
        model_file(tmp_path / "folder")
    # a known name with bytes of no format: its rows fail with the reason, the run goes on
    (tmp_path / "m.onnx").write_bytes(b"not onnx")
    assert "its bytes are no model format" in model_file(tmp_path / "m.onnx").problem


def test_resolve_models(zoo, tmp_path, data_dir):
    import shutil

    shutil.copy(data_dir / "digits_mlp.onnx", tmp_path / "mine.onnx")
    auto = resolve_models("auto", zoo, tmp_path, tmp_path)
    assert [s.id for s in auto] == ["mobilenet_v1", "mine.onnx"]
    every = resolve_models("zoo", zoo, tmp_path, tmp_path)
    assert {"mobilenet_v1", "small_cnn"} <= {s.id for s in every}
    chosen = resolve_models("small_cnn, mine.onnx, small_cnn", zoo, tmp_path, tmp_path)
    assert [s.id for s in chosen] == ["small_cnn", "mine.onnx"]
    assert isinstance(chosen[1], ModelFile) and chosen[1].path == tmp_path / "mine.onnx"
    with pytest.raises(UsageError, match="neither a zoo model .* nor an existing file"):
        resolve_models("nothing.onnx", zoo, tmp_path, tmp_path)
    with pytest.raises(UsageError, match="selects no model"):
        resolve_models(" , ", zoo, tmp_path, tmp_path)


def test_two_files_of_one_name_keep_apart(zoo, tmp_path, data_dir):
    """a/x.tflite and b/x.tflite are two models with two ids, never one merged row."""
    import shutil

    for folder in ("a", "b", "c/a"):
        (tmp_path / folder).mkdir(parents=True)
        shutil.copy(data_dir / "digits_mlp.tflite", tmp_path / folder / "x.tflite")
    chosen = resolve_models("a/x.tflite,b/x.tflite", zoo, tmp_path, tmp_path)
    assert [s.id for s in chosen] == ["a/x.tflite", "b/x.tflite"]
    deeper = resolve_models("a/x.tflite,c/a/x.tflite", zoo, tmp_path, tmp_path)
    assert [s.id for s in deeper] == [f"{tmp_path.name}/a/x.tflite", "c/a/x.tflite"]
    # the same file named twice is one model
    assert len(resolve_models("a/x.tflite,./a/x.tflite", zoo, tmp_path, tmp_path)) == 1


def test_the_task_picks_the_zoo_models(zoo, tmp_path):
    assert zoo["seg_mobilenet"].task == "segment" and zoo["mobilenet_v1"].task == "classify"
    picked = resolve_models("auto", zoo, tmp_path, tmp_path, "segment")
    assert [s.id for s in picked] == ["seg_mobilenet"]
    assert [s.id for s in resolve_models("auto", zoo, tmp_path, tmp_path, "detect")] == [
        "det_centernet"
    ]
    assert "seg_mobilenet" not in [s.id for s in resolve_models("zoo", zoo, tmp_path, tmp_path)]
    with pytest.raises(UsageError, match="is a segment model and the task is classify"):
        resolve_models("seg_mobilenet", zoo, tmp_path, tmp_path, "classify")


def test_a_zoo_module_may_bring_its_own_objective():
    from types import SimpleNamespace

    from edgebench.frameworks.keras.objectives import objective_for

    module = SimpleNamespace(
        encode_targets=lambda y, shape, classes: ("encoded", shape, classes),
        loss=lambda classes: f"loss over {classes}",
    )
    model = SimpleNamespace(outputs=[SimpleNamespace(shape=(None, 16, 16, 7))])
    goal = objective_for(module, "detect", model, 3)
    assert goal.loss == "loss over 3" and goal.metrics == () and goal.monitor == "val_loss"
    assert goal.encode("boxes") == ("encoded", (None, 16, 16, 7), 3)
    plain = objective_for(None, "classify", model, 10)
    assert plain.loss == "sparse_categorical_crossentropy" and plain.monitor == "val_accuracy"
    assert plain.encode("labels") == "labels"


def test_model_files_declare_their_task_and_adapter(tmp_path):
    onnx = pytest.importorskip("onnx")
    from edgebench.artifacts.metadata import model_metadata
    from edgebench.options import _declared_by_files

    data = Path(__file__).parent / "data"
    model = onnx.load(str(data / "digits_mlp.onnx"))
    onnx.helper.set_model_props(
        model, {"edgebench.task": "detect", "edgebench.output_adapter": "centernet"}
    )
    onnx.save(model, tmp_path / "det.onnx")
    declared = {"task": "detect", "output_adapter": "centernet"}
    assert model_metadata(tmp_path / "det.onnx", "onnx") == declared
    assert model_metadata(data / "digits_mlp.onnx", "onnx") == {}
    assert model_metadata(data / "digits_mlp.tflite", "tflite") == {}
    assert _declared_by_files("auto", tmp_path, tmp_path) == declared
    onnx.helper.set_model_props(model, {"edgebench.task": "segment"})
    onnx.save(model, tmp_path / "seg.onnx")
    with pytest.raises(UsageError, match="declare different tasks"):
        _declared_by_files("auto", tmp_path, tmp_path)


def test_a_tflite_file_declares_its_task_in_a_metadata_entry(tmp_path):
    """A metadata entry named edgebench (JSON in its buffer), written with the TFLite
    schema's object API; the file still loads and runs."""
    flatbuffers = pytest.importorskip("flatbuffers")
    pytest.importorskip("ai_edge_litert.interpreter")
    import json

    from edgebench.artifacts.artifact import tflite_schema
    from edgebench.artifacts.metadata import model_metadata
    from edgebench.runtimes import make_runtime

    schema = tflite_schema()
    data = (Path(__file__).parent / "data" / "digits_mlp.tflite").read_bytes()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    declared = {"task": "detect", "output_adapter": "tflite-detection-postprocess"}
    buffer = schema.BufferT()
    buffer.data = list(json.dumps(declared).encode())
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name, entry.buffer = "edgebench", len(model.buffers) - 1
    model.metadata = [*(model.metadata or []), entry]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path = tmp_path / "declared.tflite"
    path.write_bytes(bytes(builder.Output()))
    assert model_metadata(path, "tflite") == declared
    assert make_runtime("litert").load(path, 1).input_shape == (8, 8, 1)


def test_the_onnx_sniffer_walks_fields_and_never_raises(tmp_path, data_dir):
    """Random bytes and cut-off ONNX files: a kind or None, never an exception; the whole
    file is ONNX, every prefix of it that cuts a field is not."""
    import io

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from edgebench.artifacts.sniff import looks_like_onnx, sniff_kind

    data = (data_dir / "digits_mlp.onnx").read_bytes()
    assert looks_like_onnx(io.BytesIO(data), len(data))
    assert not looks_like_onnx(io.BytesIO(data[:-1]), len(data) - 1)

    @settings(max_examples=100, deadline=None)
    @given(st.binary(max_size=64))
    def random_bytes(blob):
        path = tmp_path / "x.bin"
        path.write_bytes(blob)
        assert sniff_kind(path) in (None, "h5", "tflite", "onnx", "pickle")

    random_bytes()
