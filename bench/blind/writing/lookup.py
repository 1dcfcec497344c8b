"""The ontology lookup a blind set's writer is given (the kit's ontologies, not harmonize's).

    python bench/blind/writing/lookup.py PREFIX word word ...   # PREFIX: UBERON CL MONDO CVCL
    python bench/blind/writing/lookup.py --id CL:0000236

Prints the id and label of terms whose label or a synonym holds every word given (40 at most),
or one term's label and synonyms. PATO has no table here: PATO:0000383 female, PATO:0000384
male, PATO:0000461 normal.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3].parent / "shared" / "eval"))

from ontology import Ontologies  # noqa: E402  (the evaluation kit's reader)

SHOWN = 40


def by_id(onto: Ontologies, ids: list[str]) -> None:
    """Print each term's label and synonyms."""
    for cid in ids:
        t = onto.get(cid) or {}
        deprecated = " | deprecated" if t.get("deprecated") else ""
        print(cid, "|", t.get("label"), "| synonyms:",
              "; ".join(t.get("synonyms") or [])[:300] + deprecated)


def by_words(onto: Ontologies, prefix: str, words: list[str]) -> None:
    """Print the terms of ``prefix`` one of whose names holds every word, shortest first."""
    hits = []
    for cid, t in onto.table(prefix.upper()).items():
        if t.get("deprecated"):
            continue
        label = t.get("label") or ""
        for name in [label, *(t.get("synonyms") or [])]:
            if all(w.lower() in name.lower() for w in words):
                hits.append((len(name) + (0 if name == label else 5), cid, label, name))
                break
    for _, cid, label, name in sorted(hits)[:SHOWN]:
        print(cid, "|", label, "" if name == label else f"| (via '{name}')")
    print(f"{len(hits)} hits" + (f" ({SHOWN} shown)" if len(hits) > SHOWN else ""))


def main(argv: list[str]) -> int:
    """Command-line entry point."""
    if len(argv) < 2:
        print(__doc__)
        return 1
    onto = Ontologies()
    if argv[0] == "--id":
        by_id(onto, argv[1:])
    else:
        by_words(onto, argv[0], argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
