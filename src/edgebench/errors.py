"""The exceptions edgebench raises, each carrying a message meant for a user."""

from __future__ import annotations


class EdgebenchError(Exception):
    """Base class: the message says what went wrong and what to do about it."""


class UsageError(EdgebenchError):
    """A bad option value or configuration (unknown device, malformed recipe, ...)."""


class DatasetUnavailable(EdgebenchError):
    """A dataset that cannot be had here (offline, missing file); the message says how to get it."""


class DatasetInvalid(EdgebenchError):
    """A dataset whose contents cannot be used as given (labels out of range, non-finite
    images, lengths that differ, an empty split); the message names the dataset, the split,
    the first bad index and its value."""


class ModelLoadError(EdgebenchError):
    """A model file that cannot be loaded (corrupt, unsupported, unsafe)."""


class ConversionError(EdgebenchError):
    """A converter refused a model (unsupported op, calibration failure, ...)."""


class RuntimeUnavailable(EdgebenchError):
    """A runtime that is not installed, or that cannot run this artifact format."""


class InferenceError(EdgebenchError):
    """A runtime failed while loading or running an artifact."""


class NotApplicable(EdgebenchError):
    """A recipe that cannot apply to this model (e.g. structured pruning of a model with
    no prunable convolution); its tests are skipped with the reason."""


class DeviceUnreachable(EdgebenchError):
    """A board that cannot be reached or logged into (refused, timed out, key refused), or
    whose link dropped; the message names the host and the cause."""


class JobNotSupported(NotApplicable):
    """A target that does not run a kind of job (a timer-only target asked for an operator
    profile); the measurement's fields are null with this message as the reason."""
