"""Grounding: text -> candidate ontology terms -> calibrated annotations.

Public API: :class:`Grounder`, :func:`load_lexicon`, :func:`build_lexicon`,
:func:`load_overrides`, :func:`load_calibration`, :func:`default_grounder`, :data:`MATCHERS`.
"""

from __future__ import annotations

from harmonize.ground.calibrate import Calibration, load_calibration
from harmonize.ground.exact import match_exact
from harmonize.ground.grounder import Grounder
from harmonize.ground.lexicon import Lexicon, build_lexicon, load_lexicon
from harmonize.ground.mentions import mention_candidates
from harmonize.ground.overrides import load_overrides

#: Text matchers by name: ``(lexicon, facet, text) -> list[Candidate]``. Fuzzy and embedding
#: matchers need an index, so they live on :class:`Grounder`.
MATCHERS = {"exact": match_exact, "mention": mention_candidates}


def default_grounder(*, use_embeddings: bool = True, model: str | None = None) -> Grounder:
    """A grounder over the cached full lexicon with the repository overrides."""
    return Grounder(load_lexicon(), overrides=load_overrides(), use_embeddings=use_embeddings,
                    model=model)


__all__ = ["MATCHERS", "Calibration", "Grounder", "Lexicon", "build_lexicon", "default_grounder",
           "load_calibration", "load_lexicon", "load_overrides"]
