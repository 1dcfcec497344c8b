"""Where the data that ships with harmonize lives.

In a checkout (and an editable install) that is the repository's ``ontologies/`` (rule tables,
synonyms, fitted calibration, manifest) and ``warehouse/migrations/``. A wheel carries copies
of both inside the package (``harmonize/_data``, see ``setup.py``), so an installed harmonize
works from any folder.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent


def _locate(in_repo: str, bundled: str) -> Path:
    here = _REPO / in_repo
    return here if here.is_dir() else _PACKAGE / "_data" / bundled


#: Curated tables and fitted parameters: synonyms.tsv, field_keys.tsv, calibration.json...
ONTOLOGIES_DIR = _locate("ontologies", "ontologies")
#: Numbered SQL migrations of the warehouse.
MIGRATIONS_DIR = _locate("warehouse/migrations", "migrations")
