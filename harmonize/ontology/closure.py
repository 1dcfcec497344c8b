"""Transitive closure of an ontology graph, and the rows of the warehouse ontology tables.

:func:`ancestor_distances` turns direct parent links (is_a and part_of mixed) into shortest
distances; :func:`closure_rows` and :func:`term_rows` flatten an
:class:`~harmonize.ontology.model.OntologyData` into the rows of ``term_ancestors``
``(term_id, ancestor_id, distance)`` and ``ontology_terms``
``(term_id, label, ontology, version, obsolete, replaced_by)``; :func:`synonym_rows` gives the
``(term_id, synonym)`` pairs of ``term_synonyms``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping

from harmonize.ontology.model import OntologyData


def ancestor_distances(parents: Mapping[str, Iterable[str]]) -> dict[str, dict[str, int]]:
    """Shortest distance from every term to each of its ancestors (breadth-first search).

    Args:
        parents: direct parents of each term (any relation that should count as one step).

    Returns:
        ``{term: {ancestor: distance}}``; a term is never its own ancestor, cycles are cut.

    Example:
        >>> ancestor_distances({"a": ["b", "c"], "b": ["c"], "c": []})["a"]
        {'b': 1, 'c': 1}
    """
    direct = {term: tuple(dict.fromkeys(ps)) for term, ps in parents.items()}
    out: dict[str, dict[str, int]] = {}
    for term, first in direct.items():
        dist: dict[str, int] = {}
        queue: deque[tuple[str, int]] = deque((p, 1) for p in first if p != term)
        while queue:
            node, d = queue.popleft()
            if node in dist or node == term:
                continue
            dist[node] = d
            queue.extend((p, d + 1) for p in direct.get(node, ()) if p not in dist)
        out[term] = dist
    return out


def closure_rows(ont: OntologyData) -> Iterator[tuple[str, str, int]]:
    """``(term_id, ancestor_id, distance)`` for every term, including ``(t, t, 0)``.

    Example:
        >>> from harmonize.ontology.model import TermData
        >>> o = OntologyData("X", "1", "test", {"X:1": TermData("X:1", "a", ancestors={"X:2": 1})})
        >>> list(closure_rows(o))
        [('X:1', 'X:1', 0), ('X:1', 'X:2', 1)]
    """
    for tid, term in ont.terms.items():
        yield tid, tid, 0
        for anc, dist in sorted(term.ancestors.items(), key=lambda kv: (kv[1], kv[0])):
            if anc != tid:
                yield tid, anc, dist


def term_rows(ont: OntologyData) -> Iterator[tuple[str, str, str, str, bool, str | None]]:
    """``(term_id, label, ontology, version, obsolete, replaced_by)`` for every term."""
    for tid, term in ont.terms.items():
        yield tid, term.label, ont.name, ont.version, term.obsolete, term.replaced_by


def synonym_rows(ont: OntologyData) -> Iterator[tuple[str, str]]:
    """``(term_id, synonym)`` for every distinct synonym text of every term."""
    for tid, term in ont.terms.items():
        for text in dict.fromkeys(s for s, _ in term.synonyms):
            yield tid, text
