"""Prefect flows: they only arrange library calls (``harmonize.steps``); no logic lives here.

``nightly`` harvests since the watermark, loads, grounds and publishes; ``backfill`` loads bulk
files; ``renormalize`` re-grounds everything after an ontology/matcher change; ``deploy`` serves
the nightly flow on a cron schedule.
"""
