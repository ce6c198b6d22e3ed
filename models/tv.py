"""torchvision classification architectures by name: ``--model tv:mobilenet_v2``.

``tv:NAME`` builds ``torchvision.models.get_model(NAME)`` with random weights for the
dataset's classes and trains it like any zoo model; ``tv:NAME:weights=DEFAULT`` (online)
starts from torchvision's pretrained weights and replaces the classifier's last linear
layer for the dataset's classes (then trains it with the model's budget). Grey images are
repeated to the three channels torchvision models take.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

FRAMEWORK = "torch"
DESCRIPTION = "a torchvision classification architecture: tv:NAME[:weights=DEFAULT]"
DEFAULTS: dict[str, Any] = {"arch": None, "weights": None}
#: ``tv:NAME`` means ``tv:arch=NAME``.
POSITIONAL = "arch"
#: not part of ``--model zoo`` (it names no architecture by itself).
LISTED = False
TRAINING: dict[str, Any] = {"epochs": 20, "batch_size": 32, "learning_rate": 1e-3}
MIN_INPUT_SIZE = 32
DEFAULT_INPUT_SHAPE = (32, 32, 3)


def _torchvision() -> Any:
    try:
        import torchvision
    except Exception as exc:  # noqa: BLE001 - ImportError, or torchvision's operator errors
        from edgebench.errors import ConversionError

        raise ConversionError(
            f"tv: models need torchvision, which does not import here ({type(exc).__name__}: "
            f"{exc}); install the torchvision release that matches your torch"
        ) from exc
    return torchvision


def build(
    torch: ModuleType,
    input_shape: tuple[int, int, int],
    num_classes: int,
    arch: str | None = None,
    weights: str | None = None,
) -> Any:
    """torchvision's ``arch`` for ``num_classes`` (random init, or ``weights`` with a new
    last linear layer), taking NCHW images of ``input_shape``."""
    from edgebench.errors import DatasetUnavailable, UsageError

    if not arch:
        raise UsageError("name a torchvision architecture: --model tv:mobilenet_v2")
    models = _torchvision().models
    known = sorted(models.list_models(module=models))
    if arch not in known:
        raise UsageError(
            f"{arch!r} is not a torchvision classification model; known: {', '.join(known)}"
        )
    if weights is None:
        model = models.get_model(arch, weights=None, num_classes=num_classes)
    else:
        try:
            model = models.get_model(arch, weights=weights)
        except OSError as exc:  # URLError is an OSError: offline
            raise DatasetUnavailable(
                f"torchvision's {arch} weights {weights!r} cannot be downloaded here ({exc}); "
                f"run once online, or use tv:{arch} (random weights)"
            ) from exc
        _replace_last_linear(torch, model, num_classes)
    if input_shape[2] == 3:
        return model

    class GreyToRGB(torch.nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, x: Any) -> Any:
            return self.model(x.expand(-1, 3, -1, -1))

        def output_layers(self) -> list[Any]:
            return _last_linear(torch, model)[1:]

    return GreyToRGB()


def _last_linear(torch: ModuleType, model: Any) -> tuple[str, Any] | tuple[()]:
    found = [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    return found[-1] if found else ()


def _replace_last_linear(torch: ModuleType, model: Any, num_classes: int) -> None:
    name, layer = _last_linear(torch, model)
    parent_name, _, attribute = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, attribute, torch.nn.Linear(layer.in_features, num_classes))
