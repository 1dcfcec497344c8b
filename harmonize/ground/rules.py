"""The registry of hand-written grounding rules and curated word lists, and their switches.

``ontologies/rules.tsv`` lists every rule of :mod:`harmonize.ground` that is not ontology data:
its name, stage, facets, where its vocabulary lives and what it does. Word lists live in
``ontologies/words/<name>.tsv`` (one entry a line, with a reason column), read once by
:func:`words` / :func:`table`.

Each rule's code site asks :func:`enabled`. The off-set is read once, from the environment
variable ``HARMONIZE_DISABLE_RULES`` (comma-separated names): the grounder memoizes, so an
ablation (``bench/rule_ablation.py``) runs each configuration in a fresh process. A name may
also be a group prefix: ``synonyms.tissue`` switches off ``synonyms.tissue.curated`` and
``synonyms.tissue.abbreviation`` (the curated synonyms are switched per facet and kind).

    >>> enabled("stopwords")
    True
    >>> sorted(words("gene_status"))[:3]
    ['amplification', 'amplified', 'deleted']
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from harmonize.errors import ConfigError
from harmonize.resources import ONTOLOGIES_DIR

RULES_PATH = ONTOLOGIES_DIR / "rules.tsv"
WORDS_DIR = ONTOLOGIES_DIR / "words"
ENV = "HARMONIZE_DISABLE_RULES"


@dataclass(frozen=True, slots=True)
class Rule:
    """One registered rule (a row of ``ontologies/rules.tsv``)."""

    name: str
    stage: str
    facets: tuple[str, ...]
    switch: bool  # the code checks :func:`enabled` (``pending``: not yet wired)
    vocabulary: str
    does: str

    @property
    def group(self) -> bool:
        """A group of rules named ``<name><suffix>`` (e.g. ``synonyms.``)."""
        return self.name.endswith(".")


def _rows(path: Path) -> list[dict[str, str]]:
    """Rows of a tab-separated file with a header; ``#`` lines are comments."""
    if not path.is_file():
        raise ConfigError(f"{path}: rule vocabulary file is missing")
    with path.open(newline="", encoding="utf-8") as fh:
        lines = (ln for ln in fh if ln.strip() and not ln.startswith("#"))
        rows = list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    for i, row in enumerate(rows, 2):
        if None in row or any(v is None for v in row.values()):
            raise ConfigError(f"{path}: row {i}: wrong number of tab-separated columns")
    return rows


@lru_cache(maxsize=1)
def registry(path: Path = RULES_PATH) -> dict[str, Rule]:
    """Every registered rule by name, in file order."""
    out: dict[str, Rule] = {}
    for row in _rows(path):
        name = row["name"].strip()
        if name in out:
            raise ConfigError(f"{path}: rule {name!r} is listed twice")
        out[name] = Rule(name, row["stage"], tuple(row["facets"].split(",")),
                         row["switch"] == "yes", row["vocabulary"], row["does"])
    return out


def synonym_group(facet: str, kind: str) -> str:
    """The switch name of a group of curated synonyms: ``synonyms.<facet>.<kind>``."""
    return f"synonyms.{facet}.{kind}"


def _known(name: str) -> bool:
    reg = registry()
    return name in reg or any(r.group and (name + ".").startswith(r.name) for r in reg.values())


@lru_cache(maxsize=1)
def disabled() -> frozenset[str]:
    """The names switched off by ``HARMONIZE_DISABLE_RULES`` (read once per process).

    Raises:
        ConfigError: a name that is no registered rule or group.
    """
    names = frozenset(n.strip() for n in os.environ.get(ENV, "").split(",") if n.strip())
    unknown = sorted(n for n in names if not _known(n))
    if unknown:
        raise ConfigError(f"{ENV}: unknown rule(s) {', '.join(unknown)}; the names are in "
                          f"{RULES_PATH}")
    return names


def enabled(name: str) -> bool:
    """Whether the rule ``name`` is on (every rule is, unless switched off for an ablation)."""
    off = disabled()
    if not off:
        return True
    return not any(name == o or name.startswith(o.rstrip(".") + ".") for o in off)


@lru_cache(maxsize=None)
def table(name: str) -> tuple[dict[str, str], ...]:
    """The rows of ``ontologies/words/<name>.tsv`` (columns by header name)."""
    return tuple(_rows(WORDS_DIR / f"{name}.tsv"))


def choices(name: str, column: str, allowed: frozenset[str]) -> tuple[dict[str, str], ...]:
    """The rows of ``ontologies/words/<name>.tsv`` whose ``column`` must hold one of
    ``allowed`` (a negation trigger's position, an origin phrase's side).

    Raises:
        ConfigError: a row holding another value, naming the file, the row and the choices.
    """
    return _checked(WORDS_DIR / f"{name}.tsv", table(name), column, allowed)


def filled(name: str, *columns: str) -> tuple[dict[str, str], ...]:
    """The rows of ``ontologies/words/<name>.tsv`` whose ``columns`` must not be empty (an
    empty spelling to rewrite would touch every word).

    Raises:
        ConfigError: a row with one of them empty, naming the file, the row and the column.
    """
    return _filled(WORDS_DIR / f"{name}.tsv", table(name), columns)


def identified(name: str, column: str, prefix: str) -> tuple[dict[str, str], ...]:
    """The rows of ``ontologies/words/<name>.tsv`` whose ``column`` must hold an id of the
    ontology ``prefix`` ('MONDO:0005061'; a label written there would name no term).

    Raises:
        ConfigError: a row holding another value, naming the file, the row and the prefix.
    """
    return _identified(WORDS_DIR / f"{name}.tsv", table(name), column, prefix)


def _identified(path: Path, rows: tuple[dict[str, str], ...], column: str, prefix: str
                ) -> tuple[dict[str, str], ...]:
    pattern = re.compile(rf"{re.escape(prefix)}:\w+")
    for i, row in enumerate(rows, 2):
        if not pattern.fullmatch(row.get(column) or ""):
            raise ConfigError(f"{path}: row {i}: {column} {row.get(column)!r} is not a "
                              f"{prefix} id ({prefix}:...)")
    return rows


def _filled(path: Path, rows: tuple[dict[str, str], ...], columns: tuple[str, ...]
            ) -> tuple[dict[str, str], ...]:
    for i, row in enumerate(rows, 2):
        for column in columns:
            if not (row.get(column) or "").strip():
                raise ConfigError(f"{path}: row {i}: {column} is empty")
    return rows


def _checked(path: Path, rows: tuple[dict[str, str], ...], column: str,
             allowed: frozenset[str]) -> tuple[dict[str, str], ...]:
    for i, row in enumerate(rows, 2):
        if row.get(column) not in allowed:
            raise ConfigError(f"{path}: row {i}: {column} {row.get(column)!r} is not one of "
                              f"{', '.join(sorted(allowed))}")
    return rows


@lru_cache(maxsize=None)
def words(name: str) -> frozenset[str]:
    """The first column of ``ontologies/words/<name>.tsv`` as a set."""
    rows = table(name)
    first = next(iter(rows[0])) if rows else ""
    return frozenset(r[first] for r in rows)


def mapping(name: str) -> dict[str, str]:
    """The first two columns of ``ontologies/words/<name>.tsv`` as a dict, in file order."""
    rows = table(name)
    if not rows:
        return {}
    a, b = list(rows[0])[:2]
    return {r[a]: r[b] for r in rows}


def fingerprint() -> str:
    """Digest of the word lists and the off-set: part of the lexicon version, since the
    lexicon is built with them."""
    h = hashlib.sha256()
    for path in sorted(WORDS_DIR.glob("*.tsv")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    h.update(",".join(sorted(disabled())).encode())
    return h.hexdigest()[:12]
