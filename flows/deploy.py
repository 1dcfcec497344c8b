"""The deployment: serve the nightly flow on a cron schedule (default 02:00 UTC).

Schedules need a Prefect server (``prefect server start``, or Prefect Cloud) that
``PREFECT_API_URL`` points at; the temporary server a plain flow run starts cannot schedule.
Run ``harmonize schedule`` under systemd (see README) or deploy to a work pool instead.
"""

from __future__ import annotations

from flows.nightly import nightly
from harmonize.errors import ConfigError

DEFAULT_CRON = "0 2 * * *"


def nightly_deployment(cron: str = DEFAULT_CRON, config_path: str | None = None,
                       warehouse: str | None = None, timezone: str = "UTC"):
    """The nightly flow as a deployment with its cron schedule and parameters."""
    from prefect.schedules import Cron

    try:
        schedule = Cron(cron, timezone=timezone)
    except Exception as exc:  # prefect validates the expression
        raise ConfigError(f"invalid cron expression {cron!r}: {exc}") from None
    return nightly.to_deployment(name="nightly", schedule=schedule,
                                 parameters={"config_path": config_path, "warehouse": warehouse})


def serve_nightly(cron: str = DEFAULT_CRON, config_path: str | None = None,
                  warehouse: str | None = None) -> None:
    """Serve the nightly deployment; blocks until interrupted."""
    from prefect import serve
    from prefect.settings import get_current_settings

    deployment = nightly_deployment(cron, config_path, warehouse)
    if not get_current_settings().api.url:
        raise ConfigError("schedules need a Prefect server: run `prefect server start` and set "
                          "PREFECT_API_URL=http://127.0.0.1:4200/api (see README, scheduling)")
    serve(deployment)
