"""Term ids the curated lists name that the loaded ontologies lack or have made obsolete.

A list names terms by id (``synonyms.tsv``, ``words/organ_abbreviations.tsv``, ...). A
mistyped id names no term: a word list reads it as naming nothing, so its rule never fires,
and a synonym makes up a term labelled by its id; an id the ontology has since made obsolete
is read as a term no annotation should carry. Nothing fails, so nothing tells. The lists are
checked against the ontologies whenever the lexicon is built (an edit of a list rebuilds it),
each id of a loaded ontology's prefix that is no current term there reported on one line
naming the file, the line and what to do.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from harmonize.ontology.model import OntologyData
from harmonize.resources import ONTOLOGIES_DIR

#: A whole cell holding a term id ('MONDO:0005148', 'CVCL_0030' is no id form read here).
TERM_ID = re.compile(r"([A-Z][A-Za-z]*):[A-Za-z0-9_]+")
#: Columns of prose, which may cite an id in passing.
PROSE = frozenset({"reason", "example", "note", "comment"})
#: Lists of terms to leave out: an obsolete id there is harmless, and leaves out what an
#: older release a user supplies still has as a current term.
EXCLUSIONS = frozenset({"not_a_term.tsv"})


def listed_files(directory: Path = ONTOLOGIES_DIR) -> list[Path]:
    """The curated tables: ``ontologies/*.tsv`` and ``ontologies/words/*.tsv``."""
    return sorted(directory.glob("*.tsv")) + sorted((directory / "words").glob("*.tsv"))


def unknown_ids(ontologies: Mapping[str, OntologyData], files: Iterable[Path]) -> list[str]:
    """One message per listed id of a loaded ontology's prefix that is no term of it, or an
    obsolete one outside the lists of terms to leave out (ids of ontologies not loaded cannot
    be checked and are passed over)."""
    out: list[str] = []
    for path in files:
        for line, column, tid in _ids(path):
            data = ontologies.get(tid.split(":", 1)[0])
            if data is None:
                continue
            term = data.terms.get(tid)
            if term is None:
                out.append(f"{path}: line {line}: {column} {tid} is no {data.name} term "
                           f"(release {data.version}); correct the id or remove the row")
            elif term.obsolete and path.name not in EXCLUSIONS:
                now = data.resolve(tid)
                hint = f"write {now} instead" if now and now != tid else "remove the row"
                out.append(f"{path}: line {line}: {column} {tid} is obsolete in {data.name} "
                           f"(release {data.version}); {hint}")
    return out


def _ids(path: Path) -> Iterable[tuple[int, str, str]]:
    """``(line number, column, id)`` of every cell of ``path`` that is a whole term id."""
    header: list[str] | None = None
    with path.open(newline="", encoding="utf-8") as fh:
        for number, row in enumerate(csv.reader(fh, delimiter="\t",
                                                quoting=csv.QUOTE_NONE), 1):
            if not row or not "".join(row).strip() or row[0].startswith("#"):
                continue
            if header is None:
                header = row
                continue
            for column, cell in zip(header, row):
                cell = cell.strip()
                if column not in PROSE and TERM_ID.fullmatch(cell):
                    yield number, column, cell
