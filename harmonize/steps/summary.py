"""What a run produced, in numbers a user reads: samples per source, annotations per facet,
share mapped, mean confidence, and one example cohort query with its answer."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

#: The example cohort shown after every demo/nightly run: a question users ask, in plain SQL.
EXAMPLE_COHORT_SQL = """
-- samples whose tissue is blood or any part of it (UBERON:0000178 and descendants),
-- or whose cell type is a leukocyte (CL:0000738 and descendants), accepted annotations only
SELECT s.sample_id, any_value(a.term_label) AS matched, round(max(a.confidence), 2) AS confidence,
       string_agg(DISTINCT sa.accession, ',' ORDER BY sa.accession)
           FILTER (WHERE sa.kind IN ('gsm', 'srx')) AS accessions
FROM annotations a
JOIN term_ancestors t ON t.term_id = a.term_id
JOIN samples s ON s.sample_id = a.sample_id
LEFT JOIN sample_accessions sa ON sa.sample_id = s.sample_id
WHERE a.status = 'accepted'
  AND ((a.facet = 'tissue' AND t.ancestor_id = 'UBERON:0000178')
       OR (a.facet = 'cell_type' AND t.ancestor_id = 'CL:0000738'))
GROUP BY s.sample_id ORDER BY s.sample_id
""".strip()


@dataclass(slots=True)
class Summary:
    """The numbers printed after a run."""

    samples_by_source: dict[str, int] = field(default_factory=dict)
    samples_total: int = 0
    accessions_by_kind: dict[str, int] = field(default_factory=dict)
    runs: int = 0
    rejects: int = 0
    facets: list[dict] = field(default_factory=list)  # facet, annotations, samples, mapped share, mean conf
    top_unmapped: list[tuple[str, str, int]] = field(default_factory=list)
    cohort_sql: str = EXAMPLE_COHORT_SQL
    cohort_rows: list[tuple] = field(default_factory=list)
    dump_line: str = ""  # the dump loader's kept / filtered / updated / quarantined line
    #: Set by flows that load files: warnings and per-file errors (one line each), and the
    #: verdict that makes the command exit non-zero (``None`` when every file loaded).
    warnings: list[str] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    failure: str | None = None

    def counts(self) -> dict[str, object]:
        """Flat counts, used to check that a second run changes nothing."""
        return {"samples": self.samples_total, "by_source": self.samples_by_source,
                "accessions": self.accessions_by_kind, "runs": self.runs,
                "facets": [(f["facet"], f["annotations"], f["mapped"]) for f in self.facets]}


def summarize(con: duckdb.DuckDBPyConnection) -> Summary:
    """Read the summary from a warehouse connection."""
    from harmonize.warehouse.overview import overview

    o = overview(con, EXAMPLE_COHORT_SQL)
    s = Summary(samples_by_source=o["samples_by_source"], samples_total=o["samples"],
                accessions_by_kind=o["accessions_by_kind"], runs=o["runs"],
                rejects=o["rejects"], top_unmapped=o["top_unmapped"],
                cohort_rows=o["cohort_rows"])
    s.facets = [{"facet": r[0], "annotations": r[1], "samples": r[2], "mapped": r[3],
                 "accepted": r[4], "share_mapped": r[3] / r[1] if r[1] else 0.0,
                 "share_samples": r[2] / s.samples_total if s.samples_total else 0.0,
                 "mean_confidence": r[5] or 0.0} for r in o["facets"]]
    return s


def render(summary: Summary, console: object | None = None) -> None:
    """Print the summary as rich tables (to stderr unless a console is given)."""
    from rich.console import Console
    from rich.table import Table

    con = console or Console(stderr=True)
    con.print(f"[bold]{summary.samples_total} samples, {summary.runs} runs, "
              f"{summary.rejects} quarantined records[/bold]", highlight=False)
    t = Table()
    t.add_column("source")
    t.add_column("samples", justify="right")
    for src, n in summary.samples_by_source.items():
        t.add_row(src, str(n))
    con.print(t)
    t = Table(title="annotations per facet")
    for col in ("facet", "annotations", "samples covered", "share mapped", "accepted",
                "mean confidence"):
        t.add_column(col, justify="left" if col == "facet" else "right")
    for f in summary.facets:
        t.add_row(f["facet"], str(f["annotations"]), f"{f['share_samples']:.0%}",
                  f"{f['share_mapped']:.0%}", str(f["accepted"]), f"{f['mean_confidence']:.2f}")
    con.print(t)
    if summary.top_unmapped:
        t = Table(title="top unmapped values")
        for col in ("facet", "text", "samples"):
            t.add_column(col)
        for facet, text, n in summary.top_unmapped:
            t.add_row(facet, text, str(n))
        con.print(t)
    con.print("[bold]example cohort query[/bold] (paste it: harmonize query \"...\")")
    con.print(summary.cohort_sql, markup=False, highlight=False, soft_wrap=True)
    t = Table(title=f"answer: {len(summary.cohort_rows)} samples")
    for col in ("sample_id", "matched", "confidence", "accessions"):
        t.add_column(col)
    for row in summary.cohort_rows[:15]:
        t.add_row(*[str(x) for x in row])
    con.print(t)


def markdown(summary: Summary, title: str = "harmonize run") -> str:
    """The summary as a markdown document (the Prefect artifact of a run)."""
    lines = [f"# {title}", "", f"**{summary.samples_total} samples**, {summary.runs} runs, "
             f"{summary.rejects} quarantined records.", "", "| source | samples |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in summary.samples_by_source.items()]
    lines += ["", "| facet | annotations | share mapped | accepted | mean confidence |",
              "|---|---:|---:|---:|---:|"]
    lines += [f"| {f['facet']} | {f['annotations']} | {f['share_mapped']:.0%} | {f['accepted']} | "
              f"{f['mean_confidence']:.2f} |" for f in summary.facets]
    if summary.top_unmapped:
        lines += ["", "Top unmapped values:", "", "| facet | text | samples |", "|---|---|---:|"]
        lines += [f"| {f} | {t} | {n} |" for f, t, n in summary.top_unmapped]
    return "\n".join(lines) + "\n"
