"""harmonize: public transcriptome metadata, grounded to ontologies, queryable in DuckDB."""

__version__ = "0.1.0"
__all__ = ["__version__"]
