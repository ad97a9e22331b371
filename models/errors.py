"""Exceptions raised by ``models``.

ModelsError
 ├── DatasetUnavailable   the data set's files cannot be found or read
 │    └── DatasetNotFound  no uploaded data set has that name
 ├── DatasetExists        an uploaded data set already has that name
 ├── InvalidUpload        an uploaded data set is malformed; names the field at fault
 ├── TrainingDiverged     the loss became NaN or infinite
 └── ExportMismatch       the reloaded SavedModel disagrees with the network
"""


class ModelsError(Exception):
    """Base class of every error raised by ``models``."""


class DatasetUnavailable(ModelsError):
    """A data set cannot be loaded; the message says how to get it."""


class DatasetNotFound(DatasetUnavailable):
    """No uploaded data set has this name."""


class DatasetExists(ModelsError):
    """The name is taken: by a built-in data set or an earlier upload."""


class InvalidUpload(ModelsError):
    """An uploaded data set cannot be used; ``field`` is the form field or array at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


class TrainingDiverged(ModelsError):
    """The loss stopped being finite; the message says at which epoch and what to try."""


class ExportMismatch(ModelsError):
    """A freshly written SavedModel does not reproduce the network's outputs."""
