"""How good is the embedding matcher? Held-out MONDO synonyms against the label index.

The dev gold files never reach the embedding stage (it runs only for a value under the
facet's own key that nothing lexical matched). MONDO gives a clean held-out set instead: the
disease index embeds labels only, so a MONDO synonym ("diabetes mellitus type 2",
"myeloid leukaemia, acute") is text the index has never seen, with a known answer.

For a seeded sample of disease synonyms that are not themselves indexed, this script:

1. searches the label index (the grounder's own index and similarity cut-off);
2. grounds the synonym as ``disease: <synonym>`` with only the embedding candidates
   available (exact, mention and fuzzy matches are taken out: they would find the synonym
   itself) and keeps the annotation the grounder would write;
3. reports hit rate and precision by similarity band, and the reliability of the
   confidences (ECE), so the embedding stage has a measured error rate.

    .venv/bin/python bench/bench_embedding.py               # writes bench/results/embedding.md
    .venv/bin/python bench/bench_embedding.py --n 300
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "embedding.md"
BANDS = (0.80, 0.85, 0.90, 0.95, 1.01)
FIT_PART, EVAL_PART = 0, 1


def held_out_synonyms(lexicon, names: set[str], n: int, seed: int,
                      part: int = EVAL_PART) -> list[tuple[str, set[str]]]:
    """``(synonym, its term ids)`` for ``n`` disease synonyms that are not indexed names.

    ``part`` (0 or 1) picks one half of the synonyms by a hash of their text: the
    calibration is fitted on half 0 (``fit_calibration.py``), this benchmark scores half 1.
    """
    pool = []
    for text in lexicon.names_of("disease"):
        if text in names or int(hashlib.sha1(text.encode()).hexdigest(), 16) % 2 != part:
            continue
        entries = lexicon.lookup("disease", text)
        if any(kind == "synonym" for _, kind in entries):
            pool.append((text, {tid for tid, _ in entries}))
    rnd = random.Random(seed)
    return rnd.sample(sorted(pool), min(n, len(pool)))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from harmonize.ground import Grounder, load_lexicon
    from harmonize.ground.calibrate import expected_calibration_error
    from harmonize.ground.grounder import EMBED_MIN_SIMILARITY

    lexicon = load_lexicon()
    grounder = Grounder(lexicon, use_embeddings=True)
    names, index = grounder.embedding_index("disease")
    queries = held_out_synonyms(lexicon, set(names), args.n, args.seed)
    t0 = time.perf_counter()
    hits = index.search([q for q, _ in queries], k=5)
    seconds = time.perf_counter() - t0
    rows = []  # (top similarity, top hit right, annotation term, confidence, status)
    for (query, truth), found in zip(queries, hits):
        ann = embedding_only(grounder, names, query, found)
        sim = found[0][1] if found else 0.0
        top_ok = bool(found) and bool({t for t, _ in lexicon.lookup("disease", names[found[0][0]])}
                                      & truth)
        rows.append((sim, top_ok, ann.term_id in truth if ann.term_id else None,
                     ann.confidence, ann.status))
    buf = io.StringIO()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    buf.write(f"# Embedding matcher on held-out MONDO synonyms\n\n{stamp} · "
              f"`bench/bench_embedding.py --n {args.n} --seed {args.seed}` · lexicon "
              f"{lexicon.version} · {len(names)} disease labels indexed · {len(rows)} synonyms "
              f"queried in {seconds:.1f} s ({len(rows) / seconds:.0f}/s, model load included)\n\n")
    buf.write("| top similarity | synonyms | top hit right | annotated | annotation right | "
              "mean confidence |\n|---|---:|---:|---:|---:|---:|\n")
    lows = (0.0, *BANDS[:-1])
    for lo, hi in zip(lows, BANDS):
        band = [r for r in rows if lo <= r[0] < hi]
        if not band:
            continue
        made = [r for r in band if r[2] is not None]
        label = f"< {hi:.2f}" if lo == 0.0 else f"{lo:.2f}–{min(hi, 1.0):.2f}"
        buf.write(f"| {label} | {len(band)} | {sum(r[1] for r in band) / len(band):.3f} | "
                  f"{len(made)} | {_share([r[2] for r in made])} | "
                  f"{_mean([r[3] for r in made])} |\n")
    made = [r for r in rows if r[2] is not None]
    ece = expected_calibration_error([r[3] for r in made], [int(r[2]) for r in made])
    accepted = [r for r in made if r[4] == "accepted"]
    buf.write(f"\n- annotated (similarity >= {EMBED_MIN_SIMILARITY}): {len(made)} of {len(rows)}"
              f" ({len(made) / len(rows):.1%}); right: {_share([r[2] for r in made])}; "
              f"mean confidence {_mean([r[3] for r in made])}; ECE {ece:.3f}\n")
    buf.write(f"- accepted (confidence >= {grounder.calibration.accept}): {len(accepted)}, right: "
              f"{_share([r[2] for r in accepted])}\n")
    text = buf.getvalue()
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


def embedding_only(grounder, names: list[str], query: str, found: list[tuple[int, float]]):
    """The annotation of ``disease: <query>`` when only the embedding hits are candidates."""
    cands = grounder._from_hits("disease", names, found)
    grounder.preload([{"facet": "disease", "key_class": "dedicated", "norm_text": query,
                       "lexicon_version": grounder.lexicon.version, "rejected": False,
                       "candidates": [c.to_json() for c in cands]}])
    return grounder.ground_value("disease", query, "disease")


def _share(flags: list) -> str:
    return f"{sum(bool(f) for f in flags) / len(flags):.3f}" if flags else "–"


def _mean(xs: list[float]) -> str:
    return f"{sum(xs) / len(xs):.3f}" if xs else "–"


if __name__ == "__main__":
    sys.exit(main())
