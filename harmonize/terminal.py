"""What the command line sets up and draws on the user's terminal: quiet logging, progress bars
on stderr, and text made safe to print. Called by ``harmonize.cli`` when a command runs, never
on import."""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Offline by design (no model hub, no telemetry); Prefect's temporary server gets time to
#: start on a busy 2-core machine.
DEFAULT_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "DO_NOT_TRACK": "1",
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
               "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}
#: Loggers that speak at INFO in a normal run; shown with ``-v`` only.
CHATTY = ("prefect", "sentence_transformers", "transformers", "huggingface_hub",
          "distributed")


_VERBOSE = False


def setup(verbose: bool = False) -> None:
    """Environment defaults and log levels for one command run (``-v``: Prefect's INFO lines)."""
    global _VERBOSE
    _VERBOSE = verbose
    for key, value in DEFAULT_ENV.items():
        os.environ.setdefault(key, value)
    level = "INFO" if verbose else "WARNING"
    os.environ["PREFECT_LOGGING_LEVEL"] = level
    for name in CHATTY:
        logging.getLogger(name).setLevel(level)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("harmonize").setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per Prefect API call
    quiet_prefect()


def quiet_prefect() -> None:
    """Prefect's run loggers: no traceback for harmonize's own errors (their message says what
    to do) and, without ``-v``, no echo of a failure the command reports itself, once.
    Call again after Prefect configured its logging (it would reset the levels)."""
    if "prefect" not in sys.modules:
        return
    from prefect.logging.configuration import ensure_logging_setup

    ensure_logging_setup()  # Prefect's own configuration first: it cannot undo the levels below
    level = logging.INFO if _VERBOSE else logging.WARNING
    logging.getLogger("prefect").setLevel(level)
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        for f in [f for f in logger.filters if isinstance(f, (_FailureEcho, _NoTraceback))]:
            logger.removeFilter(f)
        logger.addFilter(_NoTraceback() if _VERBOSE else _FailureEcho())


class _NoTraceback(logging.Filter):
    """Prefect logs a flow's exception with its traceback; harmonize's errors say what to do."""

    def filter(self, record: logging.LogRecord) -> bool:
        from harmonize.errors import HarmonizeError

        if record.exc_info and isinstance(record.exc_info[1], HarmonizeError):
            record.exc_info, record.exc_text = None, None
        return True


class _FailureEcho(logging.Filter):
    """Drops Prefect's echoes of a failed run (the exception, then "Finished in state Failed"):
    the command reports the failure itself, once. A run's warnings still pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            return True
        message = record.getMessage()
        return not (record.exc_info or message.startswith("Finished in state ")
                    or "encountered an exception" in message
                    or "failed with exception" in message)


def stderr_console(wide: bool = False):
    """A rich console on stderr; ``wide`` keeps tables unwrapped when stderr is not a terminal."""
    from rich.console import Console

    width = None
    if wide and not sys.stderr.isatty():
        width = max(shutil.get_terminal_size((160, 24)).columns, 160)
    return Console(stderr=True, width=width)


# -- progress bars -------------------------------------------------------------------------------


def _human(n: float, unit: str) -> str:
    if unit == "bytes":
        for suffix in ("B", "kB", "MB", "GB", "TB"):
            if abs(n) < 1000 or suffix == "TB":
                return f"{n:.0f} {suffix}" if suffix == "B" else f"{n:.1f} {suffix}"
            n /= 1000
    return f"{int(n):,}"


class RichSink:
    """Draws :mod:`harmonize.progress` tasks as rich bars on stderr (a no-op off a terminal
    unless ``force``): done/total in the task's unit, a rate, elapsed time and a note."""

    def __init__(self, force: bool = False):
        from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
        from rich.text import Text

        class Amount(ProgressColumn):
            def render(self, task) -> Text:
                unit = task.fields.get("unit", "")
                done = _human(task.completed, unit)
                total = f"/{_human(task.total, unit)}" if task.total is not None else ""
                label = "" if unit == "bytes" else f" {unit}"
                rate = task.finished_speed or task.speed
                per_s = f"  {_human(rate, unit)}/s" if rate else ""
                return Text(f"{done}{total}{label}{per_s}", no_wrap=True, overflow="ellipsis")

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), Amount(),
                                 TimeElapsedColumn(), TextColumn("{task.fields[note]}"),
                                 console=stderr_console(), transient=True,
                                 disable=not (force or sys.stderr.isatty()))

    def open(self, description: str, total: float | None, unit: str):
        """Add a bar."""
        return _RichTask(self.progress, self.progress.add_task(description, total=total,
                                                               unit=unit, note=""))

    def close(self, task) -> None:
        """Draw a finished bar once more (short tasks are seen at least once), then remove it."""
        self.progress.refresh()
        self.progress.remove_task(task.task_id)


class _RichTask:
    def __init__(self, progress, task_id):
        self.progress, self.task_id = progress, task_id

    def advance(self, n: float = 1) -> None:
        self.progress.advance(self.task_id, n)

    def set(self, completed: float) -> None:
        self.progress.update(self.task_id, completed=completed)

    def note(self, text: str) -> None:
        self.progress.update(self.task_id, note=text)


@contextmanager
def bars() -> Iterator[RichSink]:
    """Show library progress as bars on stderr for the duration of the block."""
    from harmonize import progress

    sink = RichSink()
    with sink.progress, progress.use(sink):
        yield sink


# -- safe text -----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """Show control characters (ESC and friends: terminal escape codes) as ``\\x1b`` etc., so a
    record value cannot move the cursor, recolour or retitle the user's terminal. Tabs and
    newlines stay."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Inside the block, SIGTERM unwinds like Ctrl-C, so run records close as ``killed`` and
    temporary servers stop (SIGKILL cannot be caught: see :mod:`harmonize.warehouse.runs`)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"terminated by signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
