"""The DuckDB warehouse: schema migrations, safe publishing, loading, query, export, report.

Modules, in data order: :mod:`db` (open, migrate, publish), :mod:`identity` (which accessions
name one sample), :mod:`load` (records in), :mod:`annotations` (grounding in and out),
:mod:`query` (read-only SQL), :mod:`export` (cohorts + manifest), :mod:`review` (curation queue),
:mod:`report` (HTML summary).
"""
