"""Knowledge distillation: ``kd<E>[-t<T>][-a<A>]``.

E epochs of fine-tuning the model so far (any recipe prefix: ``sprune0.5+kd5``, or a
zoo model of a narrower width with ``--kd-teacher`` naming the wide one) on the labels
and on the softened outputs of the fp32 teacher (the source's own float model unless
``--kd-teacher`` names another) (``compression.distillation``: temperature T, 4 by
default, and soft-term weight A, 0.9 by default; both in the token when set). Keras and
PyTorch. Exact zeros stay zero (a pruned student stays pruned). ``sprune0.5+kd5`` beside
``sprune0.5+ft5`` shows what distillation buys at equal epochs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from edgebench.compression.distillation import DEFAULT_ALPHA, DEFAULT_TEMPERATURE
from edgebench.errors import ConversionError, UsageError
from edgebench.recipes.core import BuildContext, Step, StepKind


def _classifier_only(context: BuildContext, token: str) -> None:
    if context.task != "classify":
        raise ConversionError(
            f"{token} distils classifiers (softened class probabilities); this dataset's "
            f"task is {context.task}: use ft<E> instead"
        )


@dataclass(frozen=True)
class Distill(Step):
    """``kd<E>``: E epochs of knowledge distillation from the fp32 teacher."""

    epochs: int
    temperature: float = DEFAULT_TEMPERATURE
    alpha: float = DEFAULT_ALPHA
    family: ClassVar[str] = "kd"
    group: ClassVar[str] = "distillation"
    trains: ClassVar[bool] = True
    #: learns from a teacher (``--kd-teacher`` is then part of its cache key).
    distils: ClassVar[bool] = True

    @property
    def token(self) -> str:
        token = f"kd{self.epochs}"
        if self.temperature != DEFAULT_TEMPERATURE:
            token += f"-t{self.temperature:g}"
        if self.alpha != DEFAULT_ALPHA:
            token += f"-a{self.alpha:g}"
        return token

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "epochs": self.epochs,
            "temperature": self.temperature,
            "alpha": self.alpha,
            "teacher": "fp32",
        }

    def _record(
        self, meta: dict[str, Any], teacher_params: int, context: BuildContext
    ) -> dict[str, Any]:
        return {
            **meta,
            "distillation": {
                "teacher": context.teacher_name(),
                "teacher_params": teacher_params,
                "temperature": self.temperature,
                "alpha": self.alpha,
            },
        }

    def transform(self, model: Any, context: BuildContext) -> tuple[Any, dict[str, Any]]:
        """(Keras) Distil into ``model``, keeping its exact zeros at zero."""
        from edgebench.frameworks.keras.distillation import (
            distillation_objective,
            teacher_logits,
        )
        from edgebench.recipes.training_steps import fit_model, keep_zeros_callback

        _classifier_only(context, self.token)
        teacher = context.teacher()
        shape = tuple(model.inputs[0].shape[1:])
        if tuple(teacher.inputs[0].shape[1:]) != shape:
            raise ConversionError(
                f"the teacher takes inputs {tuple(teacher.inputs[0].shape[1:])} and the student "
                f"{shape}; distillation feeds both the same images"
            )
        x, _ = context.training_data(shape)
        logits = teacher_logits(teacher, x)
        goal = distillation_objective(model, logits, self.temperature, self.alpha)
        callbacks = keep_zeros_callback(model)
        meta = fit_model(model, context, self.epochs, "recipe", callbacks, goal=goal)
        return model, self._record(meta, int(teacher.count_params()), context)

    def supports_torch(self) -> bool:
        return True

    def transform_torch(self, module: Any, context: BuildContext) -> dict[str, Any]:
        """(PyTorch) Distil into ``module`` in place, keeping its exact zeros at zero."""
        from edgebench.frameworks.pytorch.distillation import distillation_loss, teacher_logits
        from edgebench.frameworks.pytorch.modules import count_parameters
        from edgebench.frameworks.pytorch.pruning import keep_zeros
        from edgebench.frameworks.pytorch.training import check_task, fine_tune
        from edgebench.recipes.training_steps import FINE_TUNE_LR_FRACTION

        _classifier_only(context, self.token)
        check_task(context.task)
        teacher = context.teacher()
        data = context.training_data(context.model_input_shape())
        logits = teacher_logits(teacher, data[0])
        meta = fine_tune(
            module,
            context,
            self.epochs,
            "recipe",
            lr_fraction=FINE_TUNE_LR_FRACTION,
            after_step=keep_zeros(module),
            loss=distillation_loss(logits, self.temperature, self.alpha),
            data=data,
        )
        return self._record(meta, count_parameters(teacher), context)


def _parse(match: re.Match[str]) -> Distill:
    epochs = int(match[1])
    temperature = float(match[2]) if match[2] else DEFAULT_TEMPERATURE
    alpha = float(match[3]) if match[3] else DEFAULT_ALPHA
    if epochs < 1:
        raise UsageError(f"{match[0]}: distillation needs at least one epoch")
    if temperature <= 0:
        raise UsageError(f"{match[0]}: the temperature must be above 0")
    if not 0 <= alpha <= 1:
        raise UsageError(f"{match[0]}: the soft-term weight must be between 0 and 1")
    return Distill(epochs, temperature, alpha)


DISTILLATION = StepKind(
    "kd",
    re.compile(r"kd(\d+)(?:-t(\d*\.\d+|\d+))?(?:-a(\d*\.\d+|\d+))?"),
    _parse,
    "E epochs of knowledge distillation from the fp32 teacher (-tT temperature, default "
    f"{DEFAULT_TEMPERATURE:g}; -aA soft-term weight, default {DEFAULT_ALPHA:g})",
    "sprune0.5+kd5",
)
