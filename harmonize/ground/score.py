"""Explainable candidate scores: a visible weight table over named features.

A candidate's score is ``sum(weight[f] * feature[f])``: a logit. :data:`DEFAULT_WEIGHTS` is
the hand-set table; ``ontologies/calibration.json`` may hold a fitted table per facet
(``rank_weights``), which then replaces it. :func:`score_parts` returns the per-feature
contributions, which is what ``harmonize explain`` shows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from harmonize.models import Candidate

#: Feature names, in the order of the fitted vectors.
FEATURES: tuple[str, ...] = (
    "bias", "m_exact", "m_fuzzy", "m_embedding", "m_mention", "m_curated",
    "key_dedicated", "key_scan", "key_title", "key_other", "key_text",
    "similarity", "kind_rank", "log_same_name", "stripped",
    "log_count", "first_pos", "n_tokens", "has_descendant_mention", "has_ancestor_mention",
    "log_n_desc", "depth", "log_terms_mentioned", "has_digit", "log_fields", "short_name", "legacy_id",
    "single_synonym", "nested",
)

#: Hand-set weights (used when no fitted table exists for a facet).
DEFAULT_WEIGHTS: dict[str, float] = {
    "bias": -2.0, "m_exact": 2.0, "m_fuzzy": 0.5, "m_embedding": -0.5, "m_mention": 0.0,
    "m_curated": 6.0, "key_dedicated": 2.0, "key_scan": 0.5, "key_title": 0.0, "key_other": -0.5,
    "key_text": 0.0, "similarity": 1.0, "kind_rank": 0.3, "log_same_name": -1.0,
    "stripped": -0.3, "log_count": 1.0, "first_pos": -0.5, "n_tokens": 0.3,
    "has_descendant_mention": -1.0, "has_ancestor_mention": 0.3, "log_n_desc": -0.2,
    "depth": 0.02, "log_terms_mentioned": -0.3, "has_digit": 0.3, "log_fields": 0.5,
    "short_name": -0.5, "legacy_id": 0.5, "single_synonym": -0.5,
    "nested": -0.5,
}

METHOD_FEATURE = {"exact": "m_exact", "fuzzy": "m_fuzzy", "embedding": "m_embedding",
                  "mention": "m_mention", "curated": "m_curated"}


def feature_vector(c: Candidate, key_class: str) -> dict[str, float]:
    """The named features of a candidate (method and key class as indicators)."""
    f = c.features
    out = {name: 0.0 for name in FEATURES}
    out["bias"] = 1.0
    out[METHOD_FEATURE.get(c.method, "m_exact")] = 1.0
    out[f"key_{'other' if key_class == 'whole' else key_class}"] = 1.0
    out["similarity"] = c.similarity
    out["kind_rank"] = f.get("kind_rank", 0.0)
    out["log_same_name"] = math.log(max(f.get("n_same_name", 1.0), 1.0))
    out["stripped"] = f.get("stripped", 0.0)
    out["log_count"] = f.get("log_count", math.log1p(1.0))
    out["first_pos"] = f.get("first_pos", 0.0)
    out["n_tokens"] = min(f.get("n_tokens", float(len(c.matched_text.split()))), 6.0)
    out["has_descendant_mention"] = f.get("has_descendant_mention", 0.0)
    out["has_ancestor_mention"] = f.get("has_ancestor_mention", 0.0)
    out["log_n_desc"] = f.get("log_n_desc", 0.0)
    out["depth"] = min(f.get("depth", 0.0), 30.0)
    out["log_terms_mentioned"] = math.log(max(f.get("n_terms_mentioned", 1.0), 1.0))
    out["has_digit"] = float(any(ch.isdigit() for ch in c.matched_text))
    out["log_fields"] = math.log(max(f.get("n_fields", 1.0), 1.0))
    out["single_synonym"] = f.get("single_synonym", 0.0)
    out["nested"] = f.get("nested", 0.0)
    out["short_name"] = float(len(c.matched_text.replace(" ", "")) <= 4)
    # Cellosaurus gave all-digit accessions to its first (best known) lines
    out["legacy_id"] = float(c.term_id.startswith("CVCL:") and c.term_id[5:].isdigit())
    return out


def score_parts(features: Mapping[str, float],
                weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """Per-feature contributions ``weight * value`` (non-zero ones only)."""
    w = DEFAULT_WEIGHTS if weights is None else weights
    return {k: w.get(k, 0.0) * v for k, v in features.items() if w.get(k, 0.0) * v != 0.0}


def score(features: Mapping[str, float], weights: Mapping[str, float] | None = None) -> float:
    """The candidate's logit (the sum of :func:`score_parts`)."""
    w = DEFAULT_WEIGHTS if weights is None else weights
    return sum(w.get(k, 0.0) * v for k, v in features.items())
