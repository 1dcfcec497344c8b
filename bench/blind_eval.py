"""Score the grounder on the blind sets kept in ``bench/blind/`` (invented records, gold written blind).

Each set is one gzipped JSONL file in the dev files' format (``{"accession", "source", "series",
"attributes", "text", "gold"}``; a series set also holds its series-level records with
``members``), written by a helper session that saw neither the code, the dev files nor the tool's
output. ``bench/blind/sets.tsv`` says what each set is and whether anyone who changed the code
has read its errors: the sets never read are the figures to trust, a read set is in-sample for
what was changed after reading it.

For each set: the records without their gold are mapped with ``harmonize map``'s code
(:func:`harmonize.mapping.map_jsonl`, no embeddings, as the blind figures in the README) and scored
with the kit's ``score.py`` (``../shared/eval``; skips cleanly without it). Prints one row per set
(strict F1 / hierarchical F1 / ECE per facet, accuracy for sample type), writes
``bench/results/blind.md``, and with ``--json`` every figure.

    .venv/bin/python bench/blind_eval.py                   # every set
    .venv/bin/python bench/blind_eval.py --sets BA BE --keep /tmp/blind-out
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_dev

BLIND = Path(__file__).resolve().parent / "blind"
RESULTS = Path(__file__).resolve().parent / "results" / "blind.md"
FACETS = ("tissue", "cell_type", "disease", "cell_line", "sex", "sample_type")
#: Facets scored as strict F1 alone (no hierarchy worth showing) and sample type as accuracy.
FLAT = {"cell_line", "sex", "sample_type"}


def manifest(folder: Path = BLIND) -> list[dict[str, str]]:
    """The rows of ``sets.tsv``: set, kind, status (never read / read), written, about."""
    with (folder / "sets.tsv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def unpack(name: str, work: Path, folder: Path = BLIND) -> Path:
    """Decompress one set into ``work``; returns the gold file's path."""
    dst = work / f"{name}.jsonl"
    with gzip.open(folder / f"{name}.jsonl.gz", "rt", encoding="utf-8") as src:
        dst.write_text(src.read(), encoding="utf-8")
    return dst


def cell(facet: str, r: dict[str, Any] | None) -> str:
    """One facet's figures: strict / hier / ECE, strict F1 for flat facets, '–' without gold."""
    if not r or not (r.get("n_gold") or r.get("n_negative")):
        return "–"
    f = eval_dev._fmt
    if facet in FLAT:
        return f(headline(facet, r))
    return f"{f(r['strict']['f1'])} / {f(r['hier']['f1'])} / {f(r['calibration']['ece'])}"


def row(meta: dict[str, str], result: dict[str, Any]) -> str:
    """The table row of one set."""
    name = meta["set"] if meta["status"] == "read" else f"**{meta['set']}**"
    cells = [cell(f, result["facets"].get(f)) for f in FACETS]
    return f"| {name} | {meta['kind']}, {meta['status']} | " + " | ".join(cells) + " |"


def headline(facet: str, r: dict[str, Any]) -> float | None:
    """A facet's one figure: accuracy for sample type, strict F1 for the others."""
    return r["hit_rate"] if facet == "sample_type" else r["strict"]["f1"]


def means(rows: list[tuple[dict[str, str], dict[str, Any]]]) -> list[str]:
    """Mean strict F1 per facet over the never-read sets of each kind."""
    out = []
    for kind in sorted({m["kind"] for m, _ in rows}):
        picked = [res for m, res in rows if m["kind"] == kind and m["status"] == "never read"]
        if not picked:
            continue
        parts = []
        for facet in FACETS:
            vals = [headline(facet, res["facets"][facet]) for res in picked
                    if res["facets"].get(facet, {}).get("n_gold")]
            vals = [v for v in vals if v is not None]
            if vals:
                parts.append(f"{facet} {sum(vals) / len(vals):.3f}")
        out.append(f"- never-read {kind} sets ({len(picked)}): mean strict F1 (sample type: "
                   "accuracy) " + ", ".join(parts))
    return out


def pooled(rows: list[tuple[dict[str, str], dict[str, Any]]],
           status: str = "never read") -> list[str]:
    """ECE over the keyed sets (SRA, GEO) of one ``status`` pooled: every emitted annotation of
    a facet in one reliability curve, from the kit's per-bin counts (``[lower, n, mean
    confidence, share right]``), with the mean confidence and share right beside it. The read
    sets' line is what each facet's prior was fitted to (``bench/fit_calibration.py``)."""
    keyed = [res for m, res in rows if m["status"] == status and m["kind"] in ("SRA", "GEO")]
    out = []
    for facet in FACETS:
        bins: dict[float, list[float]] = {}
        for res in keyed:
            for lower, n, conf, right in (res["facets"].get(facet, {}).get("calibration") or {}
                                          ).get("bins") or ():
                b = bins.setdefault(lower, [0.0, 0.0, 0.0])
                b[0] += n
                b[1] += n * conf
                b[2] += n * right
        total = sum(b[0] for b in bins.values())
        if total:
            ece = sum(abs(b[1] - b[2]) for b in bins.values()) / total
            conf = sum(b[1] for b in bins.values()) / total
            right = sum(b[2] for b in bins.values()) / total
            out.append(f"{facet} {ece:.3f} (n {int(total)}, confidence {conf:.3f}, right "
                       f"{right:.3f})")
    label = status.replace(" ", "-")
    return [f"- {label} keyed sets ({len(keyed)}), pooled ECE: " + "; ".join(out)] if out else []


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval-dir", help="the evaluation kit (for score.py); default ../shared/eval")
    ap.add_argument("--sets", nargs="*", help="set names (default: every set in sets.tsv)")
    ap.add_argument("--keep", type=Path, help="keep inputs and predictions in this folder")
    ap.add_argument("--json", type=Path, help="write every figure as JSON here")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    score_py = eval_dev.eval_dir(args.eval_dir) / "score.py"
    if not score_py.is_file():
        print(f"skip: no evaluation kit (score.py) in {score_py.parent}")
        return 0
    sets = [m for m in manifest() if not args.sets or m["set"] in args.sets]
    unknown = set(args.sets or ()) - {m["set"] for m in sets}
    if unknown:
        print(f"error: no blind set named {', '.join(sorted(unknown))} in {BLIND / 'sets.tsv'}",
              file=sys.stderr)
        return 2
    grounder = eval_dev.make_grounder(False)
    work = args.keep or Path(tempfile.mkdtemp(prefix="harmonize-blind-"))
    work.mkdir(parents=True, exist_ok=True)
    done: list[tuple[dict[str, str], dict[str, Any]]] = []
    for meta in sets:
        gold = unpack(meta["set"], work)
        inp, pred = work / f"in-{gold.name}", work / f"pred-{gold.name}"
        eval_dev.strip_gold(gold, inp)
        eval_dev.run_map(inp, pred, grounder, None)
        done.append((meta, eval_dev.run_score(score_py, gold, pred)))
        print(f"{meta['set']}: done", file=sys.stderr)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    buf = io.StringIO()
    buf.write(f"# Grounding on the blind sets\n\n{stamp} · `bench/blind_eval.py` · no embeddings · "
              "strict F1 / hierarchical F1 / ECE (cell line and sex: strict F1; sample type: "
              "accuracy) · sets in bold were never read\n\n")
    buf.write("| set | kind | " + " | ".join(FACETS) + " |\n|---|---|"
              + "---|" * len(FACETS) + "\n")
    buf.write("\n".join(row(m, res) for m, res in done) + "\n\n")
    buf.write("\n".join(means(done) + pooled(done) + pooled(done, "read")) + "\n")
    if args.json:
        args.json.write_text(json.dumps({m["set"]: res for m, res in done}, indent=1))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    eval_dev.publish(buf.getvalue(), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
