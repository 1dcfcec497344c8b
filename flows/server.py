"""A temporary Prefect API server that cannot outlive the command that started it.

Prefect starts a temporary server in a subprocess when no ``PREFECT_API_URL`` is set, and stops
it at interpreter exit; a SIGKILLed command never gets there and left the server running
(orphaned, ~230 MB). This one is started the same way (uvicorn serving Prefect's app) but asks
the kernel to send it SIGTERM when its parent dies (Linux ``PR_SET_PDEATHSIG``), and is stopped
when the block ends.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from harmonize.errors import ConfigError

PR_SET_PDEATHSIG = 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that ties the child to this process's life (None off Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return preexec


def _command(port: int) -> list[str]:
    import prefect

    return [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent),
            "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "error", "--lifespan", "on"]


def _wait_healthy(proc: subprocess.Popen, url: str, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    with httpx.Client() as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ConfigError(f"the temporary Prefect server exited with code "
                                  f"{proc.returncode}; run with -v, or set PREFECT_API_URL "
                                  "to a running server")
            try:
                if client.get(f"{url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise ConfigError(f"the temporary Prefect server did not answer within {timeout:g} s "
                      "(raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or set "
                      "PREFECT_API_URL to a running server)")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def temporary_server() -> Iterator[str | None]:
    """Run the block against a temporary Prefect server (its API URL is yielded), unless one
    is configured already (``PREFECT_API_URL``, a test harness): then ``None``."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_LOGGING_TO_API_ENABLED,
        get_current_settings,
        temporary_settings,
    )

    settings = get_current_settings()
    if settings.api.url:
        yield None
        return
    port = _free_port()
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
           "PREFECT__SERVER_FINAL": "1",
           **settings.to_environment_variables(exclude_unset=True)}
    proc = subprocess.Popen(_command(port), env=env, stdin=subprocess.DEVNULL,
                            preexec_fn=_die_with_parent())  # noqa: PLW1509 (no threads yet)
    url = f"http://127.0.0.1:{port}/api"
    try:
        _wait_healthy(proc, url, settings.server.ephemeral.startup_timeout_seconds)
        # no UI reads a temporary server's logs, and shipping them would outlive the server
        with temporary_settings(updates={PREFECT_API_URL: url,
                                         PREFECT_LOGGING_TO_API_ENABLED: False}):
            yield url
    finally:
        _stop(proc)
