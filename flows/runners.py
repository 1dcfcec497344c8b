"""Task runners: threads on this machine, or a Dask cluster through prefect-dask."""

from __future__ import annotations

import os

ENV_VAR = "HARMONIZE_DASK_ADDRESS"


def task_runner(dask: str | None = None):
    """``None`` -> local threads; ``"local"`` -> a Dask LocalCluster; else a scheduler address.

    The address may also come from ``$HARMONIZE_DASK_ADDRESS``
    (e.g. ``tcp://scheduler:8786``).
    """
    dask = dask or os.environ.get(ENV_VAR)
    if not dask:
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner()
    from prefect_dask import DaskTaskRunner

    if dask == "local":
        return DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    return DaskTaskRunner(address=dask)
