"""Pipeline steps: each composes library calls into one unit of work a flow or command runs.

``ingest`` (files -> raw layer), ``harvest`` (NCBI batches -> raw layer, resumable),
``ontology`` (ontology tables), ``annotate`` (raw layer -> annotations), ``summary`` (run report).
Flows and CLI commands only call these.
"""
