"""The deployment: serve the nightly flow on a cron schedule (default 02:00 UTC).

Run it under systemd (see README) or register it with a Prefect work pool and worker instead.
"""

from __future__ import annotations

from flows.nightly import nightly

DEFAULT_CRON = "0 2 * * *"


def serve_nightly(cron: str = DEFAULT_CRON, config_path: str | None = None,
                  warehouse: str | None = None) -> None:
    """Serve the nightly flow with its schedule; blocks until interrupted."""
    from harmonize.errors import ConfigError

    try:
        from prefect.schedules import Cron
        Cron(cron, timezone="UTC")
    except Exception as exc:  # croniter/prefect validation
        raise ConfigError(f"invalid cron expression {cron!r}: {exc}") from None
    nightly.serve(name="nightly", cron=cron,
                  parameters={"config_path": config_path, "warehouse": warehouse})
