"""Curator overrides: ``ontologies/overrides.tsv`` (facet, text, term_id, curator, note).

An override wins over every matcher for its (facet, normalized text). An empty ``term_id``
(or ``-`` / ``reject``) rejects the text: it then maps to no term.
"""

from __future__ import annotations

import csv
from pathlib import Path

from harmonize.errors import ConfigError
from harmonize.ground.normalize import normalize
from harmonize.models import FACETS
from harmonize.resources import ONTOLOGIES_DIR

OVERRIDES_PATH = ONTOLOGIES_DIR / "overrides.tsv"
REJECT = ""


def override_key(facet: str, text: str) -> tuple[str, str]:
    """The lookup key of an override."""
    return facet, normalize(text)


def load_overrides(path: str | Path = OVERRIDES_PATH) -> dict[tuple[str, str], str]:
    """``{(facet, normalized text): term_id}``; ``""`` marks a rejected text.

    Raises:
        ConfigError: a row with an unknown facet or without text.
    """
    path = Path(path)
    if not path.exists():
        return {}
    out: dict[tuple[str, str], str] = {}
    with path.open(newline="") as fh:
        rows = (line for line in fh if line.strip() and not line.startswith("#"))
        for i, row in enumerate(csv.DictReader(rows, delimiter="\t"), 2):
            facet = (row.get("facet") or "").strip()
            text = (row.get("text") or "").strip()
            if facet not in FACETS or not text:
                raise ConfigError(f"{path}: row {i}: needs a known facet and a text, got "
                                  f"facet={facet!r} text={text!r}")
            term = (row.get("term_id") or "").strip()
            out[override_key(facet, text)] = REJECT if term.lower() in ("", "-", "reject") else term
    return out
