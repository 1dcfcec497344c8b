"""How good are the fuzzy and embedding matchers? Held-out ontology synonyms as queries.

The dev gold files never reach these stages: they run only for a value under the facet's own
key that no exact name matched. Ontology synonyms give a clean held-out set with known
answers instead:

* embedding: the disease index embeds MONDO labels only, so a MONDO synonyms ("diabetes
  mellitus type 2", "myeloid leukaemia, acute") is text the index has never seen;
* fuzzy: a synonym of UBERON, CL or MONDO is hidden from the fuzzy matcher's name list
  (``FuzzyIndex.match(exclude=...)``), so only *other* names can match it: spelling variants
  of the same term (right) or near-identical names of other terms ("type 1" / "type 2": wrong).

Each query is grounded as ``<facet>: <synonym>`` with only that matcher's candidates (the
exact and mention stages would find the synonym itself), and the annotation the grounder
would write is kept. Synonyms are split in two halves by a hash of their text:
``fit_calibration.py`` fits the similarity steps on half 0, this script scores half 1.

    .venv/bin/python bench/bench_heldout.py            # writes bench/results/heldout.md
    .venv/bin/python bench/bench_heldout.py --n 300
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_dev

RESULTS = Path(__file__).resolve().parent / "results" / "heldout.md"
BANDS = (0.80, 0.85, 0.90, 0.95, 0.99, 1.01)
FIT_PART, EVAL_PART = 0, 1
FUZZY_FACETS = ("tissue", "cell_type", "disease")
KEY = {"tissue": "tissue", "cell_type": "cell type", "disease": "disease"}


def held_out_synonyms(lexicon, facet: str, n: int, seed: int, part: int = EVAL_PART,
                      skip: set[str] = frozenset()) -> list[tuple[str, set[str]]]:
    """``(synonym, its term ids)`` for up to ``n`` synonyms of ``facet`` not in ``skip``.

    ``part`` (0 or 1) keeps one half of the synonyms, chosen by a hash of their text.
    """
    pool = []
    for text in lexicon.names_of(facet):
        if (text in skip or len(text) < 5
                or int(hashlib.sha1(text.encode()).hexdigest(), 16) % 2 != part):
            continue
        entries = lexicon.lookup(facet, text)
        if any(kind == "synonym" for _, kind in entries):
            pool.append((text, {tid for tid, _ in entries}))
    return random.Random(seed).sample(sorted(pool), min(n, len(pool)))


def ground_with(grounder, facet: str, query: str, cands):
    """The annotation of ``<facet>: <query>`` when ``cands`` are its only candidates."""
    grounder.preload([{"facet": facet, "key_class": "dedicated", "text": query,
                       "lexicon_version": grounder.lexicon.version, "rejected": False,
                       "candidates": [c.to_json() for c in cands]}])
    return grounder.ground_value(facet, query, KEY[facet])


def embedding_trials(grounder, n: int, seed: int, part: int) -> list[tuple]:
    """``(similarity, right, confidence, status)`` of disease synonyms vs the label index."""
    names, index = grounder.embedding_index("disease")
    queries = held_out_synonyms(grounder.lexicon, "disease", n, seed, part, skip=set(names))
    found = index.search([q for q, _ in queries], k=5)
    return [_trial(ground_with(grounder, "disease", q, grounder._from_hits("disease", names, hits)),
                   truth) for (q, truth), hits in zip(queries, found)]


def hidden_names(synonym: str) -> frozenset[str]:
    """The held-out synonym and the spellings the lexicon derives from it ('fibroblast of
    lung' -> 'lung fibroblast', 'fibroblast lung'): hiding only the synonym would leave its
    own variants to match it."""
    from harmonize.ground.lexicon import _name_variants
    from harmonize.ground.normalize import normalize

    norm = normalize(synonym)
    return frozenset({synonym, norm, *_name_variants(norm)})


def fuzzy_trials(grounder, facet: str, n: int, seed: int, part: int) -> list[tuple]:
    """``(similarity, right, confidence, status)`` of synonyms hidden from the fuzzy matcher."""
    out = []
    for q, truth in held_out_synonyms(grounder.lexicon, facet, n, seed, part):
        cands = grounder._fuzzy.match(facet, q, exclude=hidden_names(q))
        out.append(_trial(ground_with(grounder, facet, q, cands), truth))
    return out


def _trial(ann, truth: set[str]) -> tuple:
    if ann.term_id is None:
        return (0.0, None, None, ann.status)
    top = next(c for c in ann.candidates if c.term_id == ann.term_id)
    return (top.similarity, ann.term_id in truth, ann.confidence, ann.status)


def table(title: str, trials: list[tuple], accept: float) -> list[str]:
    """Markdown rows by similarity band, then the totals of one matcher and facet."""
    from harmonize.ground.calibrate import expected_calibration_error

    made = [t for t in trials if t[1] is not None]
    rows = [f"### {title}", "",
            f"{len(trials)} held-out synonyms; {len(made)} matched ({_share(made, trials)}).", "",
            "| similarity | matched | right | mean confidence |", "|---|---:|---:|---:|"]
    for lo, hi in zip(BANDS, BANDS[1:]):
        band = [t for t in made if lo <= t[0] < hi]
        if band:
            rows.append(f"| {lo:.2f}–{min(hi, 1.0):.2f} | {len(band)} | "
                        f"{_mean([t[1] for t in band])} | {_mean([t[2] for t in band])} |")
    if made:
        ece = expected_calibration_error([t[2] for t in made], [int(t[1]) for t in made])
        accepted = [t for t in made if t[2] >= accept]
        rows += ["", f"Right: {_mean([t[1] for t in made])}; mean confidence "
                 f"{_mean([t[2] for t in made])}; **ECE {ece:.3f}**; accepted (confidence >= "
                 f"{accept}): {len(accepted)}, right {_mean([t[1] for t in accepted])}.", ""]
    return rows


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="synonyms per matcher and facet")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from harmonize.ground import Grounder, load_lexicon

    lexicon = load_lexicon()
    grounder = Grounder(lexicon, use_embeddings=True)
    accept = grounder.calibration.accept
    t0 = time.perf_counter()
    lines = table("embedding, disease (MONDO synonyms vs the label index)",
                  embedding_trials(grounder, args.n, args.seed, EVAL_PART), accept)
    for facet in FUZZY_FACETS:
        lines += table(f"fuzzy, {facet}", fuzzy_trials(grounder, facet, args.n, args.seed,
                                                       EVAL_PART), accept)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (f"# Fuzzy and embedding matchers on held-out synonyms\n\n{stamp} · "
            f"`bench/bench_heldout.py --n {args.n} --seed {args.seed}` · lexicon "
            f"{lexicon.version} · calibration {grounder.calibration.version} · "
            f"{time.perf_counter() - t0:.0f} s\n\n" + "\n".join(lines) + "\n")
    eval_dev.publish(text, args.out)
    return 0


def _share(part: list, whole: list) -> str:
    return f"{len(part) / len(whole):.1%}" if whole else "–"


def _mean(xs: list) -> str:
    return f"{sum(float(x) for x in xs) / len(xs):.3f}" if xs else "–"


if __name__ == "__main__":
    sys.exit(main())
