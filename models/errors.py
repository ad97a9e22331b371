"""Exceptions raised by ``models``.

ModelsError
 ├── DatasetUnavailable   the data set's files cannot be found or read
 ├── TrainingDiverged     the loss became NaN or infinite
 └── ExportMismatch       the reloaded SavedModel disagrees with the network
"""


class ModelsError(Exception):
    """Base class of every error raised by ``models``."""


class DatasetUnavailable(ModelsError):
    """A data set cannot be loaded; the message says how to get it."""


class TrainingDiverged(ModelsError):
    """The loss stopped being finite; the message says at which epoch and what to try."""


class ExportMismatch(ModelsError):
    """A freshly written SavedModel does not reproduce the network's outputs."""
