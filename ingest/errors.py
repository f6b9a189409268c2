"""Errors raised by ingest; all are :class:`graph_schema.errors.ValidationError` subclasses."""

from __future__ import annotations

from graph_schema.errors import ValidationError

__all__ = [
    "IngestError",
    "EncodingDetectionError",
    "FileTooLargeError",
    "MissingColumnError",
    "MappingError",
    "UnknownDatasetError",
]


class IngestError(ValidationError):
    """A source file or a mapping cannot be ingested as given."""


class EncodingDetectionError(IngestError):
    """The file decodes in none of the candidate encodings."""


class FileTooLargeError(IngestError):
    """The file exceeds the size limit of whole-file reading; read it in chunks instead."""


class MissingColumnError(IngestError):
    """A column the reader, adapter or mapping needs is absent from the file."""


class MappingError(IngestError):
    """A column-mapping YAML file is malformed or refers to unknown labels or properties."""


class UnknownDatasetError(IngestError):
    """The name of a bundled dataset adapter is not known."""
