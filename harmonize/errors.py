"""The family of errors harmonize raises.

::

    HarmonizeError                 every error the CLI turns into a one-line message
    ├── ParseError(ValueError)     a file or record that cannot be read (names the file/record)
    ├── FetchError                 NCBI/GEO unreachable or answering errors after all retries
    │   └── NCBIError              an error body from E-utilities (even inside HTTP 200)
    ├── OntologyError              an ontology/lexicon that cannot be loaded or a term not found
    │   └── AmbiguousTermError     a label that names several terms
    ├── WarehouseError             the DuckDB warehouse is missing, locked or inconsistent
    │   ├── ReadOnlyQueryError     DDL/DML sent to ``harmonize query``
    │   └── QueryAccessError       SQL reaching outside the warehouse (files, URLs, extensions)
    └── ConfigError                bad configuration or command-line values
"""

from __future__ import annotations


class HarmonizeError(Exception):
    """Base class: any error with a message a user can act on."""


class ParseError(HarmonizeError, ValueError):
    """A file or record could not be parsed."""

    def __init__(self, message: str, origin: str | None = None, record_id: str | None = None):
        self.origin = origin
        self.record_id = record_id
        where = origin or ""
        if record_id:
            where = f"{where} record {record_id}".strip()
        super().__init__(f"{where}: {message}" if where else message)


class FetchError(HarmonizeError):
    """A network request failed after all retries."""


class NCBIError(FetchError):
    """E-utilities returned an error body."""

    def __init__(self, message: str, transient: bool = False):
        self.transient = transient
        super().__init__(message)


class OntologyError(HarmonizeError):
    """An ontology, lexicon or term problem."""


class AmbiguousTermError(OntologyError):
    """A label names more than one term."""


class WarehouseError(HarmonizeError):
    """A warehouse problem."""


class ReadOnlyQueryError(WarehouseError):
    """A statement that would change the warehouse was sent to a read-only query."""


class QueryAccessError(WarehouseError):
    """SQL tried to read a file, URL or extension outside the warehouse."""


class ConfigError(HarmonizeError):
    """Invalid configuration or option values."""
