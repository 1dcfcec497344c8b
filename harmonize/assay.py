"""Library-prep / assay inference: library fields and free text -> EFO assay annotations.

The rules are data (``ontologies/assay_rules.tsv``): a field, a case-insensitive regex, an EFO
term, a precision estimate (used as the confidence), a priority (higher = more specific), a
dotted family and a group. Resolution, in order:

1. every rule whose field is present and whose regex matches fires;
2. rules on structured fields (strategy, then source, selection, platform) are *anchors*: their
   families must agree, so a DNA library never gets an RNA assay from a protocol text that
   happens to mention one (families agree when one is a prefix of the other);
3. in each group the most specific compatible rule wins (priority, then precision);
4. free text alone that points at incompatible families is a conflict: the winner is kept but
   its confidence is lowered, so it lands in review.

Example:
    >>> [a.term_label for a in infer_assay({"library_strategy": "RNA-Seq",
    ...     "library_protocol": "Chromium Single Cell 3' Reagent Kits v3.1 (10x Genomics)"})]
    ["10x 3' v3.1"]
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from harmonize.errors import ConfigError
from harmonize.models import Annotation, Candidate
from harmonize.resources import ONTOLOGIES_DIR

DEFAULT_RULES = ONTOLOGIES_DIR / "assay_rules.tsv"
ACCEPT_AT = 0.7
CONFLICT_FACTOR = 0.6
#: Structured fields whose rules anchor the family, most authoritative first.
ANCHOR_FIELDS = ("library_strategy", "library_source", "library_selection", "library_platform")
STRUCTURED_FIELDS = frozenset({*ANCHOR_FIELDS, "library_instrument", "library_layout"})
FREE_TEXT = "text"
PRIMARY_GROUP = "technology"
_SNIPPET_AT = 200
# one-for-one character normalisation (keeps match offsets valid in the original text)
_CHARMAP = str.maketrans({"′": "'", "’": "'", "‘": "'", "ʹ": "'", "´": "'", "`": "'",
                          "×": "x", "\u00a0": " "})
_COLUMNS = ("field", "pattern", "term_id", "term_label", "precision", "priority", "family",
            "group", "comment")


@dataclass(frozen=True, slots=True)
class AssayRule:
    """One row of the rules table."""

    field: str
    pattern: re.Pattern[str]
    term_id: str
    term_label: str
    precision: float
    priority: int
    family: str
    group: str
    comment: str = ""

    def applies_to(self, key: str) -> bool:
        """Whether this rule reads the field ``key``."""
        if self.field == FREE_TEXT:
            return key not in STRUCTURED_FIELDS
        return self.field == key


@dataclass(frozen=True, slots=True)
class _Hit:
    rule: AssayRule
    key: str
    text: str
    span: tuple[int, int]

    @property
    def authority(self) -> int:
        key = self.key
        return len(ANCHOR_FIELDS) - ANCHOR_FIELDS.index(key) if key in ANCHOR_FIELDS else 0


def load_rules(path: str | Path | None = None) -> tuple[AssayRule, ...]:
    """Read the rules TSV (``#`` lines are comments); the default file is cached.

    Raises:
        ConfigError: the file is missing, lacks a column, or holds a bad regex or number.
    """
    if path is None:
        return _default_rules()
    return _read_rules(Path(path))


@lru_cache(maxsize=1)
def _default_rules() -> tuple[AssayRule, ...]:
    return _read_rules(DEFAULT_RULES)


def _read_rules(path: Path) -> tuple[AssayRule, ...]:
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines()
                 if ln.strip() and not ln.startswith("#")]
    except OSError as exc:
        raise ConfigError(f"cannot read assay rules {path}: {exc.strerror or exc}") from None
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    missing = [c for c in _COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise ConfigError(f"assay rules {path}: missing columns {', '.join(missing)}")
    rules = []
    for n, row in enumerate(reader, start=2):
        try:
            rules.append(AssayRule(
                field=row["field"].strip(),
                pattern=re.compile(row["pattern"], re.IGNORECASE),
                term_id=row["term_id"].strip(),
                term_label=row["term_label"].strip(),
                precision=float(row["precision"]),
                priority=int(row["priority"]),
                family=row["family"].strip(),
                group=row["group"].strip() or PRIMARY_GROUP,
                comment=(row.get("comment") or "").strip(),
            ))
        except (re.error, ValueError, TypeError, AttributeError) as exc:
            raise ConfigError(f"assay rules {path} row {n}: {exc}") from None
    return tuple(rules)


def compatible(a: str, b: str) -> bool:
    """Families agree when one is a dotted prefix of the other (``rna`` vs ``rna.seq.sc``)."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".") or not a or not b


def infer_assay(texts: Mapping[str, str], rules: Sequence[AssayRule] | None = None
                ) -> list[Annotation]:
    """Assay annotations for one sample, best first (usually one).

    Args:
        texts: ``Library.as_texts()`` (``library_strategy`` ...) plus any free-text fields
            (description, title ...), keyed by field name.
        rules: rules to use; the bundled table by default.
    """
    if rules is None:
        try:  # samples of one study share their library texts: decide each set once
            return list(_infer_default(tuple(texts.items())))
        except TypeError:  # an unhashable value
            rules = load_rules()
    return _infer(texts, rules)


@lru_cache(maxsize=16_384)
def _infer_default(items: tuple[tuple[str, str], ...]) -> tuple[Annotation, ...]:
    return tuple(_infer(dict(items), _default_rules()))


def _infer(texts: Mapping[str, str], rules: Sequence[AssayRule]) -> list[Annotation]:
    hits = _fire(texts, rules)
    anchors: list[str] = []
    for hit in sorted((h for h in hits if h.authority), key=lambda h: -h.authority):
        if all(compatible(hit.rule.family, a) for a in anchors):
            anchors.append(hit.rule.family)
    candidates = [h for h in hits if h.rule.term_id
                  and all(compatible(h.rule.family, a) for a in anchors)]
    if not candidates:
        return []
    ranked = sorted(candidates, key=lambda h: (h.rule.priority, h.rule.precision, h.authority),
                    reverse=True)
    primary = ranked[0]
    conflict = not anchors and any(
        not compatible(h.rule.family, primary.rule.family) for h in ranked
        if h.rule.group == primary.rule.group)
    out = [_annotation(primary, ranked, conflict)]
    groups = {primary.rule.group}
    for hit in ranked[1:]:
        if hit.rule.group not in groups and compatible(hit.rule.family, primary.rule.family):
            groups.add(hit.rule.group)
            out.append(_annotation(hit, ranked, False))
    return out


def _fire(texts: Mapping[str, str], rules: Sequence[AssayRule]) -> list[_Hit]:
    hits = []
    for key, value in texts.items():
        if not value or not isinstance(value, str):
            continue
        norm = value.translate(_CHARMAP).strip()
        for rule in rules:
            if rule.applies_to(key) and (m := rule.pattern.search(norm)):
                hits.append(_Hit(rule, key, value, m.span()))
    return hits


def _annotation(hit: _Hit, ranked: list[_Hit], conflict: bool) -> Annotation:
    confidence = hit.rule.precision * (CONFLICT_FACTOR if conflict else 1.0)
    text = hit.text.strip() if len(hit.text) <= _SNIPPET_AT else hit.text[slice(*hit.span)]
    seen: set[str] = set()
    candidates = []
    for h in ranked:
        if h.rule.term_id in seen:
            continue
        seen.add(h.rule.term_id)
        candidates.append(Candidate(
            term_id=h.rule.term_id, term_label=h.rule.term_label, method="rule",
            matched_text=h.text[slice(*h.span)], match_kind=f"rule:{h.key}",
            similarity=h.rule.precision, score=float(h.rule.priority)))
    return Annotation(
        facet="assay", term_id=hit.rule.term_id, term_label=hit.rule.term_label,
        confidence=confidence, method="rule",
        status="accepted" if confidence >= ACCEPT_AT else "needs_review",
        source_key=hit.key, source_text=text, candidates=tuple(candidates[:5]),
    )
