"""Version constants of the grounder, bumped on purpose by whoever changes what they cover.

A cached lexicon, a cached candidate list, the "already annotated" mark of a sample and the
fitted calibration are reused exactly while these (and the data files they read) stay the
same. They are constants, not digests of the source: a comment or a refactor that changes no
output re-grounds nothing; a change that does change output must bump the constant it touches.

* :data:`LEXICON_VERSION`: how names are built from ontologies (``lexicon.py``, the name
  variants, ``normalize.py``). The lexicon version also digests its data: the ontology
  releases and ``ontologies/synonyms.tsv``.
* :data:`MATCHER_VERSION`: how values become candidates, evidence and rankings (``fields``,
  ``mentions``, ``exact``, ``fuzzy``, ``embedding``, ``evidence``, ``score``, ``grounder``).
  The matcher version also digests the data tables they read (``field_keys.tsv``,
  ``facets.tsv``, the word lists, the assay rules).
* The calibration's own version is the digest of its fitted parameters
  (``bench/fit_calibration.py``): a refit that changes nothing keeps it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

LEXICON_VERSION = "50"
MATCHER_VERSION = "120"


def data_digest(paths: Iterable[Path]) -> str:
    """Digest of data files (vocabulary and tables, not code); a missing file counts empty."""
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode() + b"\0")
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file():
                    h.update(f.name.encode() + b"\0" + f.read_bytes())
        elif path.exists():
            h.update(path.read_bytes())
    return h.hexdigest()[:8]
