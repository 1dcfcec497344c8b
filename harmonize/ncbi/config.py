"""Harvest configuration: what to harvest and how politely, read from TOML plus environment.

Example:
    >>> cfg = load_config(None)
    >>> cfg.batch_size, cfg.library_strategies
    (200, ('RNA-Seq',))
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from harmonize.errors import ConfigError

#: E-utilities caps efetch/esummary batches at 500 records.
MAX_BATCH_SIZE = 500

#: Environment variables that override the file (the api key should live only here).
ENV_OVERRIDES = {"NCBI_EMAIL": "email", "NCBI_API_KEY": "api_key"}


@dataclass(frozen=True)
class HarvestConfig:
    """Everything the harvester needs to know; defaults harvest human bulk and single-cell RNA-seq.

    Attributes:
        organisms: scientific names, OR-ed with ``[Organism]``.
        library_strategies: SRA library strategies, OR-ed with ``[Strategy]``.
        library_sources: SRA library sources, OR-ed with ``[Source]``.
        sra_query: extra Entrez clause AND-ed to the SRA term ("" for none).
        geo_query: extra Entrez clause AND-ed to the GEO (gds) term ("" for none).
        datetype: Entrez date field used for the incremental window (mdat, pdat, edat).
        first_window_days: how far back the first run (no watermark) reaches.
        overlap_days: how many days each window re-reads before the watermark.
        batch_size: records per efetch (1..500).
        tool: ``tool=`` sent on every E-utilities request.
        email: ``email=`` sent on every E-utilities request (env ``NCBI_EMAIL``).
        api_key: optional key (env ``NCBI_API_KEY``); raises the limit from 3 to 10 req/s.
        eutils_base: E-utilities base URL (ends with ``/``).
        geo_base: GEO ``acc.cgi`` URL.
        timeout: seconds for connect and for each read.
        max_retries: retries after the first attempt for transient failures.
        backoff_base: first backoff ceiling in seconds (doubles per retry, full jitter).
        backoff_cap: largest backoff ceiling in seconds.
        retry_after_cap: longest ``Retry-After`` wait honoured, in seconds.
        rate_limit: requests per second; ``None`` means 10 with an api key, else 3.
    """

    organisms: tuple[str, ...] = ("Homo sapiens",)
    library_strategies: tuple[str, ...] = ("RNA-Seq",)
    library_sources: tuple[str, ...] = ("TRANSCRIPTOMIC", "TRANSCRIPTOMIC SINGLE CELL")
    sra_query: str = ""
    geo_query: str = ""
    datetype: str = "mdat"
    first_window_days: int = 3
    overlap_days: int = 1
    batch_size: int = 200
    tool: str = "harmonize"
    email: str | None = None
    api_key: str | None = None
    eutils_base: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
    geo_base: str = "https://www.ncbi.nlm.nih.gov/geo/query/acc.cgi"
    timeout: float = 30.0
    max_retries: int = 6
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    retry_after_cap: float = 300.0
    rate_limit: float | None = None

    def __post_init__(self) -> None:
        validate(self)

    @property
    def requests_per_second(self) -> float:
        """The effective client-side rate: explicit, else 10 with an api key, else 3."""
        if self.rate_limit is not None:
            return self.rate_limit
        return 10.0 if self.api_key else 3.0

    def __repr__(self) -> str:
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        if shown["api_key"]:
            shown["api_key"] = "REDACTED"
        return "HarvestConfig(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


_TUPLE_FIELDS = ("organisms", "library_strategies", "library_sources")
_INT_FIELDS = ("first_window_days", "overlap_days", "batch_size", "max_retries")
_FLOAT_FIELDS = ("timeout", "backoff_base", "backoff_cap", "retry_after_cap")
_DATETYPES = ("mdat", "pdat", "edat")


def validate(cfg: HarvestConfig) -> None:
    """Raise :class:`ConfigError` naming the first bad value of ``cfg``."""
    for name in _TUPLE_FIELDS:
        value = getattr(cfg, name)
        if not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(f"{name} must be a non-empty list of strings, got {value!r}")
    for name in _INT_FIELDS:
        value = getattr(cfg, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{name} must be a non-negative integer, got {value!r}")
    if not 1 <= cfg.batch_size <= MAX_BATCH_SIZE:
        raise ConfigError(
            f"batch_size must be between 1 and {MAX_BATCH_SIZE}, got {cfg.batch_size}"
        )
    for name in _FLOAT_FIELDS:
        value = getattr(cfg, name)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{name} must be a positive number, got {value!r}")
    rate = cfg.rate_limit
    bad_rate = isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0
    if rate is not None and bad_rate:
        raise ConfigError(f"rate_limit must be a positive number, got {rate!r}")
    if cfg.datetype not in _DATETYPES:
        raise ConfigError(f"datetype must be one of {', '.join(_DATETYPES)}, got {cfg.datetype!r}")
    if not cfg.tool or any(c.isspace() for c in cfg.tool):
        raise ConfigError(f"tool must be a non-empty name without spaces, got {cfg.tool!r}")
    for name in ("eutils_base", "geo_base"):
        url = getattr(cfg, name)
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(f"{name} must be an http(s) url, got {url!r}")
    if not cfg.eutils_base.endswith("/"):
        raise ConfigError(f"eutils_base must end with '/', got {cfg.eutils_base!r}")


def _coerce(name: str, value: Any, origin: str) -> Any:
    """Turn a TOML value into the field's type (lists become tuples)."""
    if name in _TUPLE_FIELDS:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(f"{origin}: {name} must be a list of strings, got {value!r}")
        return tuple(value)
    if name in ("email", "api_key") and value == "":
        return None
    return value


def config_from_mapping(data: Mapping[str, Any], origin: str = "<mapping>") -> HarvestConfig:
    """Build a config from a flat mapping (a parsed TOML file); unknown keys are errors."""
    known = {f.name for f in fields(HarvestConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{origin}: unknown key(s) {', '.join(unknown)}")
    values = {k: _coerce(k, v, origin) for k, v in data.items()}
    try:
        return HarvestConfig(**values)
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from None


def load_config(path: Path | None, env: Mapping[str, str] | None = None) -> HarvestConfig:
    """Read ``path`` (TOML; ``None`` for defaults) and apply ``NCBI_EMAIL``/``NCBI_API_KEY``.

    A file may keep its keys at the top level or under a ``[harvest]`` table.
    """
    data: dict[str, Any] = {}
    origin = "<defaults>"
    if path is not None:
        origin = str(path)
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{origin}: config file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{origin}: invalid toml: {exc}") from None
        if set(data) == {"harvest"} and isinstance(data["harvest"], dict):
            data = data["harvest"]
    cfg = config_from_mapping(data, origin)
    env = os.environ if env is None else env
    overrides = {field: env[var] for var, field in ENV_OVERRIDES.items() if env.get(var)}
    return replace(cfg, **overrides) if overrides else cfg
