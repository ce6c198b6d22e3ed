"""Knowledge distillation for PyTorch students: the loss of ``compression.distillation``
in torch, with the teacher's logits computed once over the training split."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from edgebench.frameworks.pytorch.modules import import_torch, to_nchw

PREDICT_BATCH = 256


def teacher_logits(teacher: Any, x: np.ndarray) -> Any:
    """The teacher module's logits on NHWC images ``x`` (a tensor, no gradient)."""
    torch = import_torch()
    teacher.eval()
    images = torch.from_numpy(to_nchw(x))
    with torch.no_grad():
        parts = [
            teacher(images[i : i + PREDICT_BATCH]) for i in range(0, len(images), PREDICT_BATCH)
        ]
    return torch.cat(parts).float()


def distillation_loss(
    logits: Any, temperature: float, alpha: float
) -> Callable[[Any, Any, Any], Any]:
    """``loss(student_logits, labels, index)`` for ``frameworks.pytorch.training.fit``:
    cross-entropy on the labels and the softened teacher's ``logits`` at ``index``."""
    torch = import_torch()
    functional = torch.nn.functional

    def loss(student: Any, labels: Any, index: Any) -> Any:
        teacher = logits[index]
        hard = functional.cross_entropy(student, labels)
        soft = functional.kl_div(
            functional.log_softmax(student / temperature, dim=1),
            functional.log_softmax(teacher / temperature, dim=1),
            reduction="batchmean",
            log_target=True,
        )
        return (1.0 - alpha) * hard + alpha * temperature**2 * soft

    return loss
