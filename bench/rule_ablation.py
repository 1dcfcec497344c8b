"""Rule ablation: each registered rule's held-out effect on the dev files when switched off.

For every rule of ``ontologies/rules.tsv`` (:mod:`harmonize.ground.rules`), the held-out
evaluation runs in a fresh process with ``HARMONIZE_DISABLE_RULES=<rule>`` (the grounder
memoizes, so a rule cannot be toggled in-process), every fitted part refitted without the
held-out fold, and the change of strict F1, hierarchical F1 and ECE against all rules on is
reported per dev file, facet and regime. The noise band of a figure is the standard deviation
of the all-rules-on baseline across CV seeds (at least one gold item's worth); a rule
**pays** when switching it off moves a figure beyond the band for the worse, **costs** when
beyond it for the better, and is **neutral** otherwise (**mixed**: both).

The seed band is wide (the refitted emit threshold moves recall by several points between
splits), so each rule is also read on the same splits as the baseline: it **helps** when, on
every seed, switching it off loses at least one gold item's worth of strict or hierarchical
F1 on some file (or the ECE rises beyond its band), **hurts** when the reverse, **none** when
no figure moves. The decision column: **keep** (helps), **weak** (off loses a quarter of a
gold item or more on average somewhere, kept for the cross-dataset check), **remove** (off
loses less everywhere), **never fires on the dev gold** (kept: the dev gold does not exercise
it), and rules of facets without dev gold (sex, life stage) are not run.

    .venv/bin/python bench/rule_ablation.py                        # every rule (hours)
    .venv/bin/python bench/rule_ablation.py --rules stopwords,gene_status --seeds 2
    .venv/bin/python bench/rule_ablation.py --stage mentions --folds 3
    .venv/bin/python bench/rule_ablation.py --table-only           # re-render from --keep

Results (one JSON per configuration) are kept in ``--keep`` (default
``.cache/rule_ablation``), so an interrupted run resumes where it stopped and the table
(``bench/results/rule_ablation.md``) is rewritten after every rule. Rules whose switch is
still ``pending`` are listed but not run. Skips cleanly when ``../shared/eval`` is absent.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import eval_dev  # noqa: E402

RESULTS = HERE / "results" / "rule_ablation.md"
METRICS = ("strict_f1", "hier_f1", "ece")
#: Stages whose rules shape the lexicon: switching one off rebuilds it in a private cache.
LEXICON_STAGES = frozenset({"normalize", "lexicon"})
#: The held-out yardstick. ``cv``: bench/cv_eval.py's grouped CV (one regime); ``cross``: the
#: cross-dataset yardstick bench/cross_eval.py (regimes cv and lodo).
BACKEND = "cross" if (HERE / "cross_eval.py").is_file() else "cv"

Figures = dict[str, dict[str, dict[str, dict[str, Any]]]]  # file -> facet -> regime -> metrics


# ----------------------------------------------------------------------------- yardstick
def evaluate(disabled: str, out: Path, *, regimes: list[str], folds: int, seeds: int,
             eval_dir: Path, cache: Path | None, backend: str = BACKEND,
             facets: tuple[str, ...] = ("*",)) -> Figures:
    """Held-out figures with ``disabled`` switched off, run in a fresh subprocess (the ``cv``
    backend scores only the dev files with gold for ``facets``: a rule cannot move the
    others)."""
    env = dict(os.environ, HARMONIZE_DISABLE_RULES=disabled, HARMONIZE_EVAL_DIR=str(eval_dir),
               HF_HUB_OFFLINE="1", PYTHONPATH=str(REPO))
    if cache is not None:
        env["HARMONIZE_CACHE"] = str(cache)
    if backend == "cross":
        # figures only: the published cross_eval table and diagrams are not an ablation's
        cmd = [sys.executable, str(HERE / "cross_eval.py"), "--regimes", ",".join(regimes),
               "--folds", str(folds), "--seeds", str(seeds), "--json", str(out),
               "--out", str(out.with_suffix(".md")), "--no-plots"]
    else:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--folds", str(folds),
               "--seeds", str(seeds), "--json", str(out), "--facets", ",".join(facets)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"evaluation with {disabled or 'all rules on'} failed: "
                           f"{proc.stderr.strip()[-1500:]}")
    return json.loads(out.read_text())


def worker(folds: int, seeds: int, out: Path, facets: set[str] | None = None) -> int:
    """The ``cv`` backend: bench/cv_eval.py's grouped CV, figures per seed and their mean,
    on the dev files with gold for ``facets`` (default: every file)."""
    import cv_eval
    import fit_calibration as fc

    if facets and "*" not in facets:
        fc.FILES = {k: v for k, v in fc.FILES.items() if facets & set(v)}

    from harmonize.ground import Grounder, load_lexicon, load_overrides
    from harmonize.ground.calibrate import Calibration
    from harmonize.mapping import map_batch

    folder = eval_dev.eval_dir(None)
    lexicon = load_lexicon()
    fc.ANCESTORS.update(lexicon.ancestors)
    grounder = Grounder(lexicon, overrides=load_overrides(), use_embeddings=False,
                        calibration=Calibration())
    rows = fc.rows_of(grounder, fc.load_samples(folder))
    work = Path(tempfile.mkdtemp(prefix="harmonize-ablation-"))
    try:
        runs = [cv_eval.one_split(grounder, rows, folder, work, folds, seed, map_batch)
                for seed in range(seeds)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures: Figures = {}
    for name, first in runs[0].items():
        for facet, r in first["facets"].items():
            if not r.get("n_gold"):
                continue
            per_seed = [_metrics(run[name]["facets"][facet]) for run in runs]
            mean = {m: _mean([s[m] for s in per_seed]) for m in METRICS}
            figures.setdefault(name, {})[facet] = {"cv": {**mean, "n_gold": r["n_gold"],
                                                          "per_seed": per_seed}}
    out.write_text(json.dumps(figures, indent=1))
    return 0


def _metrics(r: dict) -> dict[str, float | None]:
    return {"strict_f1": r["strict"]["f1"], "hier_f1": r["hier"]["f1"],
            "ece": r["calibration"]["ece"]}


def _mean(xs: list[float | None]) -> float | None:
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


# ----------------------------------------------------------------------------- comparison
def noise_band(base: dict[str, Any], metric: str) -> float:
    """The baseline's spread across seeds (standard deviation), at least one gold item's
    worth of F1 (ECE: 0.005)."""
    floor = 0.005 if metric == "ece" else 1.0 / max(base.get("n_gold") or 1, 1)
    seeds = [s[metric] for s in base.get("per_seed") or () if s.get(metric) is not None]
    spread = statistics.stdev(seeds) if len(seeds) > 1 else 0.0
    return max(spread, floor)


def paired_base(base: dict[str, Any], n: int) -> dict[str, float | None]:
    """The baseline's mean over the first ``n`` seeds (the seeds an ablation ran)."""
    seeds = (base.get("per_seed") or [])[:n]
    if not seeds:
        return {m: base.get(m) for m in METRICS}
    return {m: _mean([s[m] for s in seeds]) for m in METRICS}


def verdict(delta: dict[str, float | None], band: dict[str, float]) -> str:
    """pays / costs / mixed / neutral from the changes when the rule is off (off - on)."""
    good, bad = False, False
    for m in METRICS:
        d = delta.get(m)
        if d is None:
            continue
        worse = d > band[m] if m == "ece" else d < -band[m]
        better = d < -band[m] if m == "ece" else d > band[m]
        bad |= better  # switching the rule off made it better: the rule costs
        good |= worse
    return "mixed" if good and bad else "pays" if good else "costs" if bad else "neutral"


def paired(base: dict[str, Any], off: dict[str, Any]) -> str:
    """The same-split reading: ``helps`` when, on every seed, switching the rule off loses at
    least one gold item's worth of strict or hierarchical F1, or raises the ECE beyond its
    seed band (``hurts``: the reverse), ``none`` when no figure moves at all, else
    ``unclear``."""
    floor = 1.0 / max(base.get("n_gold") or 1, 1)
    pairs = list(zip(base.get("per_seed") or (), off.get("per_seed") or ()))
    if not pairs:
        return "unclear"
    found = set()
    for m in METRICS:
        ds = [o[m] - b[m] for b, o in pairs if o.get(m) is not None and b.get(m) is not None]
        if m == "ece":  # a rule that lowers the calibration error beyond its band helps too
            ds, low = [-d for d in ds], noise_band(base, "ece")
        else:
            low = floor
        if ds and all(d <= -low for d in ds):
            found.add("helps")
        elif ds and all(d >= low for d in ds):
            found.add("hurts")
    if found:
        return "helps" if "helps" in found else "hurts"
    moved = any(o.get(m) != b.get(m) for b, o in pairs for m in METRICS)
    return "unclear" if moved else "none"


def compare(base: Figures, off: Figures, ref: Figures | None = None) -> list[dict[str, Any]]:
    """One row per file, facet and regime: the changes, the bands and the verdicts.

    ``ref`` (optional) holds the all-on figures of the code the run used where they differ from
    the baseline's (a rule removed while the ablation ran); the bands stay the baseline's."""
    rows = []
    for name, facets in base.items():
        for facet, regimes in facets.items():
            for regime, b0 in regimes.items():
                o = off.get(name, {}).get(facet, {}).get(regime)
                if not o:
                    continue
                r = (ref or {}).get(name, {}).get(facet, {}).get(regime)
                b = {**b0, "per_seed": r["per_seed"]} if r else b0
                on = paired_base(b, len(o.get("per_seed") or ()) or 1)
                delta = {m: (o[m] - on[m]) if o.get(m) is not None and on.get(m) is not None
                         else None for m in METRICS}
                band = {m: noise_band(b0, m) for m in METRICS}
                rows.append({"file": name, "facet": facet, "regime": regime, "on": on,
                             "n_gold": b.get("n_gold"),
                             "delta": delta, "band": band, "verdict": verdict(delta, band),
                             "paired": paired(b, o),
                             "seeds": list(zip(b.get("per_seed") or (),
                                               o.get("per_seed") or ()))})
    return rows


def rule_verdict(rows: list[dict[str, Any]]) -> str:
    """A rule pays if it pays anywhere, costs if it only costs, else neutral (or mixed)."""
    vs = {r["verdict"] for r in rows}
    if "pays" in vs or "mixed" in vs:
        return "mixed" if "costs" in vs or "mixed" in vs else "pays"
    return "costs" if "costs" in vs else "neutral"


def rule_paired(rows: list[dict[str, Any]]) -> str:
    """helps if the rule helps on some file on every seed; else hurts, unclear or none."""
    ps = {r.get("paired", "unclear") for r in rows}
    for p in ("helps", "hurts", "unclear"):
        if p in ps:
            return p
    return "none"


def measured(rule: Any, rows: list[dict[str, Any]]) -> bool:
    """Whether a dev file has gold for one of the rule's facets."""
    facets = {r["facet"] for r in rows}
    return rule is None or "*" in rule.facets or bool(facets & set(rule.facets))


def decision(rule: Any, rows: list[dict[str, Any]]) -> str:
    """keep / weak / remove. A rule that helps (every seed loses a gold item or more without
    it) stays; one that never changes a dev figure is not measured by this gold (kept,
    flagged); one whose removal loses, on average, at least :data:`WEAK_ITEMS` gold items of
    F1 on some file but not a full item on every seed is weak (kept for the cross-dataset
    check); one whose removal loses less everywhere does not pay and goes."""
    if not measured(rule, rows):
        return "keep (facet not in the dev gold)"
    p = rule_paired(rows)
    if p in ("helps", "none"):
        return {"helps": "keep", "none": "keep (never fires on the dev gold)"}[p]
    # the largest mean F1 loss without the rule, in gold items of its file
    lost = max((-(r["delta"][m] or 0.0) * _items(r) for r in rows
                for m in ("strict_f1", "hier_f1")), default=0.0)
    return "weak (kept)" if lost >= WEAK_ITEMS else "remove"


def _decided(rule: Any, rows: list[dict[str, Any]]) -> str:
    return "**removed**" if rule and rule.stage == "removed" else decision(rule, rows)


#: A rule whose removal costs less than this many gold items of F1 (mean over the seeds) on
#: every file does not pay.
WEAK_ITEMS = 0.25


def _items(row: dict[str, Any]) -> float:
    """Gold items per unit of F1 in a row's file and facet."""
    return float(row.get("n_gold") or 1)


def effect(rows: list[dict[str, Any]]) -> float:
    """Sort key: the largest F1 loss in noise bands when the rule is off (positive pays)."""
    out = 0.0
    for r in rows:
        for m in ("strict_f1", "hier_f1"):
            d = r["delta"].get(m)
            if d is not None:
                out = max(out, -d / r["band"][m], key=abs)
    return out


# ----------------------------------------------------------------------------- table
def _f(x: float | None, signed: bool = True) -> str:
    return "–" if x is None else f"{x:+.3f}" if signed else f"{x:.3f}"


def render(reg: dict, results: dict[str, list[dict[str, Any]]], base: Figures,
           meta: dict[str, Any]) -> str:
    """The markdown report: summary per rule, then every file/facet/regime row."""
    buf = io.StringIO()
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    buf.write("# Rule ablation: held-out effect of each grounding rule\n\n")
    buf.write(f"{stamp} · `{meta['command']}` · backend `{meta['backend']}` · "
              f"{meta['folds']}-fold grouped CV (folds by series or submitter group; ranking "
              "weights, Platt step and thresholds refitted without the fold) · baseline "
              f"{meta['base_seeds']} seeds, each rule {meta['seeds']} seed(s), compared with "
              "the baseline on the same seeds · Δ = rule off − all rules on (mean over the "
              "seeds) · "
              "band = standard deviation of the baseline across seeds (at least one gold "
              "item) · same splits: helps / hurts when every seed loses / gains at least one "
              "gold item's worth of F1 with the rule off · no embeddings.\n\n")
    buf.write("## Baseline (all rules on)\n\n| file | facet | regime | n_gold | strict F1 | "
              "hier F1 | ECE | band strict | band hier | band ECE |\n"
              "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
    for name, facets in base.items():
        for facet, regimes in facets.items():
            for regime, b in regimes.items():
                bands = [noise_band(b, m) for m in METRICS]
                buf.write(f"| {name} | {facet} | {regime} | {b.get('n_gold')} | "
                          + " | ".join(_f(b.get(m), False) for m in METRICS) + " | "
                          + " | ".join(f"{x:.3f}" for x in bands) + " |\n")
    order = sorted(results, key=lambda n: -effect(results[n]))
    buf.write("\n## By rule (sorted by effect: largest F1 loss when off, in noise bands)\n\n"
              "| rule | stage | verdict (seed band) | same splits | effect (bands) | "
              "largest Δ strict F1 | largest Δ hier F1 | largest Δ ECE | decision | does |\n"
              "|---|---|---|---|---:|---:|---:|---:|---|---|\n")
    for name in order:
        rows = results[name]
        rule = reg.get(name)
        big = {m: max((r["delta"][m] for r in rows if r["delta"][m] is not None),
                      key=abs, default=None) for m in METRICS}
        buf.write(f"| {name} | {rule.stage if rule else ''} | **{rule_verdict(rows)}** | "
                  f"{rule_paired(rows)} | {effect(rows):+.1f} | "
                  + " | ".join(_f(big[m]) for m in METRICS)
                  + f" | {_decided(rule, rows)} | {rule.does if rule else ''} |\n")
    gold = {facet for facets in base.values() for facet in facets}
    not_run = [n for n, r in reg.items() if n not in results and not r.group]
    blind = [n for n in not_run if "*" not in reg[n].facets and not gold & set(reg[n].facets)]
    if blind:
        buf.write(f"\nNot measurable ({len(blind)}; no dev gold for their facets, kept): "
                  + ", ".join(f"`{n}` ({', '.join(reg[n].facets)})" for n in blind) + ".\n")
    rest = [n for n in not_run if n not in blind]
    if rest:
        buf.write(f"\nNot run yet ({len(rest)}): " + ", ".join(
            f"`{n}`" + ("" if reg[n].switch else " (switch pending)") for n in rest) + ".\n")
    buf.write("\n## Every file, facet and regime\n\n| rule | file | facet | regime | Δ strict F1 "
              "| Δ hier F1 | Δ ECE | verdict | same splits |\n"
              "|---|---|---|---|---:|---:|---:|---|---|\n")
    for name in order:
        for r in results[name]:
            buf.write(f"| {name} | {r['file']} | {r['facet']} | {r['regime']} | "
                      + " | ".join(_f(r["delta"][m]) for m in METRICS)
                      + f" | {r['verdict']} | {r.get('paired', '')} |\n")
    return buf.getvalue()


def registry_table() -> str:
    """``ontologies/rules.tsv`` as a markdown table (for the README)."""
    from harmonize.ground.rules import registry

    out = ["| rule | stage | facets | vocabulary | does |", "|---|---|---|---|---|"]
    for r in registry().values():
        name = f"`{r.name}<facet>.<kind>`" if r.group else f"`{r.name}`"
        if not r.switch:
            name += " (switch pending)"
        out.append(f"| {name} | {r.stage} | {', '.join(r.facets)} | {r.vocabulary} | "
                   f"{r.does} |")
    return "\n".join(out)


# ----------------------------------------------------------------------------- main
def ablation_names(reg: dict, wanted: list[str] | None, stage: str | None) -> list[str]:
    """The configurations to run: rules with a switch, synonym groups expanded per facet and
    kind from ``ontologies/synonyms.tsv``."""
    from harmonize.ground.lexicon import read_synonyms
    from harmonize.ground.rules import synonym_group

    names: list[str] = []
    for rule in reg.values():
        if not rule.switch or (stage and rule.stage != stage):
            continue
        if rule.group:
            names += sorted({synonym_group(f, k) for f, _, _, k in read_synonyms()})
        else:
            names.append(rule.name)
    if wanted:
        unknown = [w for w in wanted if w not in names and not any(
            n.startswith(w.rstrip(".") + ".") for n in names)]
        if unknown:
            raise SystemExit(f"error: unknown or unswitchable rule(s): {', '.join(unknown)} "
                             "(see ontologies/rules.tsv)")
        names = [w for w in wanted]
    return names


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 2)[2])
    ap.add_argument("--rules", help="comma-separated rule names (default: every switchable rule)")
    ap.add_argument("--stage", help="only the rules of this stage (fields, mentions, ...)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=2, help="CV seeds per rule")
    ap.add_argument("--base-seeds", type=int, default=4, help="CV seeds of the baseline")
    ap.add_argument("--regimes", default="cv,lodo", help="regimes of bench/cross_eval.py")
    ap.add_argument("--backend", choices=("cv", "cross"), default=BACKEND)
    ap.add_argument("--eval-dir")
    ap.add_argument("--keep", type=Path, default=REPO / ".cache" / "rule_ablation")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--table-only", action="store_true", help="re-render from --keep")
    ap.add_argument("--registry", action="store_true",
                    help="print the rule registry as a markdown table and exit")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--facets", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args.folds, args.seeds, args.json,
                      set(args.facets.split(",")) if args.facets else None)
    if args.registry:
        print(registry_table())
        return 0

    folder = eval_dev.eval_dir(args.eval_dir)
    if not (folder / "score.py").is_file():
        print(f"skip: no evaluation kit in {folder}")
        return 0
    from harmonize.ground.rules import Rule, registry

    reg = registry()
    names = ablation_names(reg, args.rules.split(",") if args.rules else None, args.stage)
    regimes = args.regimes.split(",")
    tag = f"{args.backend}-f{args.folds}"
    keep = args.keep / tag
    keep.mkdir(parents=True, exist_ok=True)
    common = dict(regimes=regimes, folds=args.folds, eval_dir=folder, backend=args.backend)
    base_path = keep / f"_baseline-s{args.base_seeds}.json"
    if not base_path.exists() and not args.table_only:
        print(f"baseline ({args.base_seeds} seeds) ...", file=sys.stderr)
        evaluate("", base_path, seeds=args.base_seeds, cache=None, **common)
    if not base_path.exists():
        print(f"error: no baseline in {keep}; run without --table-only first", file=sys.stderr)
        return 1
    base: Figures = json.loads(base_path.read_text())
    results: dict[str, list[dict[str, Any]]] = {}
    done_before = sorted(p.stem.rsplit("-s", 1)[0] for p in keep.glob("*-s*.json")
                         if not p.name.startswith("_"))
    todo = [n for n in names if n not in done_before] if not args.table_only else []
    meta = {"command": "bench/rule_ablation.py " + " ".join(argv or sys.argv[1:]),
            "backend": args.backend, "folds": args.folds, "seeds": args.seeds,
            "base_seeds": args.base_seeds}

    def publish(final: bool) -> None:
        rebase = json.loads((keep / "_rebase.json").read_text()) \
            if (keep / "_rebase.json").is_file() else {}
        for p in sorted(keep.glob("*-s*.json")):
            if not p.name.startswith("_"):
                name = p.stem.rsplit("-s", 1)[0]
                ref = rebase.get(name)
                results[name] = compare(base, json.loads(p.read_text()), json.loads(
                    (keep / f"{ref}-s{args.seeds}.json").read_text()) if ref else None)
        removed = Rule(name="", stage="removed", facets=("*",), switch=False, vocabulary="",
                       does="removed from the grounder after this ablation")
        text = render({**reg, **{n: _group_rule(reg, n) or removed for n in results
                                 if n not in reg}}, results, base, meta)
        if final:
            eval_dev.publish(text, args.out)
        else:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(text, encoding="utf-8")

    for i, name in enumerate(todo, 1):
        if list(keep.glob(f"{name}-s*.json")) or not _claim(keep / f"{name}.running"):
            continue  # another runner on the same --keep did it, or is doing it
        stage = _group_rule(reg, name).stage
        t0 = time.perf_counter()
        cache = Path(tempfile.mkdtemp(prefix="harmonize-ablation-cache-")) \
            if stage in LEXICON_STAGES else None  # a private lexicon, the shared one untouched
        try:
            evaluate(name, keep / f"{name}-s{args.seeds}.json", seeds=args.seeds, cache=cache,
                     facets=_facets_of(reg, name), **common)
        except RuntimeError as exc:
            print(f"[{i}/{len(todo)}] {name}: FAILED {exc}", file=sys.stderr)
            continue
        finally:
            (keep / f"{name}.running").unlink(missing_ok=True)
            if cache is not None:
                shutil.rmtree(cache, ignore_errors=True)
        print(f"[{i}/{len(todo)}] {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        publish(final=False)  # the table is rewritten after every rule
    publish(final=True)
    return 0


def _facets_of(reg: dict, name: str) -> tuple[str, ...]:
    """The facets a configuration can move (a synonym group: its own facet)."""
    rule = _group_rule(reg, name)
    if rule.group and name.count(".") == 2:
        return (name.split(".")[1],)
    return rule.facets


def _claim(path: Path) -> bool:
    """Create ``path`` unless it exists (runners sharing a --keep folder split the rules)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _group_rule(reg: dict, name: str) -> Any:
    """The registered rule (or group) a configuration name belongs to."""
    if name in reg:
        return reg[name]
    return next((r for r in reg.values() if r.group and name.startswith(r.name)), None)


if __name__ == "__main__":
    sys.exit(main())
