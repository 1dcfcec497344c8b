"""The genes MONDO says cause a disease (rule ``disease_of_gene``).

MONDO describes each of its thousands of gene-specific forms the same way ('Any Parkinson
disease in which the cause of the disease is a mutation in the LRRK2 gene') and names many
'<disease> caused by mutation in <GENE>'. At build time the lexicon keeps, per disease, the
gene symbols so stated (:func:`causal_genes`); a sample whose disease is read and which names
such a gene (its own disease value, a genotype, a variant) is the form that gene causes
(:func:`genes_named`, used by ``Composer.kind_by_gene``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from harmonize.ontology.model import OntologyData

#: How MONDO's definitions and synonyms name the gene a form of a disease is caused by.
_DEFINED = re.compile(r"\bmutations? in the ([A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]) gene\b")
_SYNONYM = re.compile(r"\bcaused by (?:a )?mutations? in ([A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$")
#: MONDO's class of the diseases of other animals ('..., white-tufted-ear marmoset').
NON_HUMAN = "MONDO:0005583"
#: A gene symbol as samples write it: letters and digits, a capital among them ('LRRK2',
#: 'C9orf72'); a word in lower case ('app', 'set') is an English word more often than a gene.
_SYMBOL = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9-]*[A-Z])[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]")
#: The shortest symbol read (two letters are initials more often than genes).
MIN_SYMBOL = 3


def causal_genes(mondo: OntologyData) -> dict[str, frozenset[str]]:
    """Per MONDO disease of people, the symbols (upper case) of the genes its definition or a
    synonym says cause it (pure)."""
    out: dict[str, frozenset[str]] = {}
    for tid, t in mondo.terms.items():
        if t.obsolete or NON_HUMAN in t.ancestors:
            continue
        found = set(_DEFINED.findall(t.definition))
        found.update(m.group(1) for s, _ in t.synonyms if (m := _SYNONYM.search(s)))
        genes = frozenset(g.upper() for g in found if len(g) >= MIN_SYMBOL)
        if genes:
            out[tid] = genes
    return out


def genes_named(texts: Iterable[str], known: Mapping[str, object] | frozenset[str]
                ) -> frozenset[str]:
    """The symbols among ``known`` (upper case) that ``texts`` write as genes: with a
    capital, as a whole word ('PSEN2 N141I', 'LRRK2-R1441G', not 'app').

    >>> sorted(genes_named(["PSEN2 N141I", "app", "C9orf72 expansion carrier"],
    ...                    {"PSEN2", "APP", "C9ORF72"}))
    ['C9ORF72', 'PSEN2']
    """
    out: set[str] = set()
    for text in texts:
        for m in _SYMBOL.finditer(text):
            for word in {m.group(0), *m.group(0).split("-")}:
                if len(word) >= MIN_SYMBOL and word.upper() in known and any(
                        c.isupper() for c in word):
                    out.add(word.upper())
    return frozenset(out)
