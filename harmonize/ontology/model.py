"""Data types for a loaded ontology, independent of where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class TermData:
    """One term: label, synonyms with their kind, ancestors with distance, obsolescence.

    ``synonyms`` holds ``(text, kind)`` pairs; kind is ``exact``, ``related``, ``narrow``,
    ``broad`` or ``unknown`` (the embedded snapshot does not say which).
    ``ancestors`` maps ancestor id -> distance (is_a and part_of); the term itself is not in it.
    """

    id: str
    label: str
    synonyms: list[tuple[str, str]] = field(default_factory=list)
    ancestors: dict[str, int] = field(default_factory=dict)
    obsolete: bool = False
    replaced_by: str | None = None
    definition: str = ""  # the term's textual definition (EFO describes its cell lines)
    subsets: tuple[str, ...] = ()  # the OBO subsets it is in (Cellosaurus: the line's sex)


@dataclass(slots=True)
class OntologyData:
    """A whole ontology: its name (prefix), release version, origin and terms by CURIE."""

    name: str
    version: str
    origin: str
    terms: dict[str, TermData]

    def resolve(self, term_id: str) -> str | None:
        """Follow ``replaced_by`` from an obsolete id; ``None`` if obsolete with no replacement."""
        seen: set[str] = set()
        while term_id in self.terms and self.terms[term_id].obsolete:
            nxt = self.terms[term_id].replaced_by
            if not nxt or nxt in seen:
                return None
            seen.add(term_id)
            term_id = nxt
        return term_id
