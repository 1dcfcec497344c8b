"""A self-contained HTML summary of the warehouse (inline CSS, plots as base64 PNG data URIs)."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from harmonize.models import FACETS
from harmonize.warehouse.db import connect_read, snapshot_id, utcnow

STATUSES = ("accepted", "needs_review", "unmapped", "rejected")
COLORS = {"accepted": "#2b8a3e", "needs_review": "#f08c00", "unmapped": "#c92a2a",
          "rejected": "#868e96"}
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;
max-width:1100px;color:#212529;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:2px solid #dee2e6;padding-bottom:.2rem}
.meta{color:#868e96;font-size:.9rem}table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #dee2e6;padding:.25rem .6rem;text-align:left}th{background:#f1f3f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}img{max-width:100%;display:block}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #dee2e6;border-radius:6px;
padding:.6rem 1rem;min-width:9rem}.card b{display:block;font-size:1.4rem}
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def gather(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Every number the report shows, read from one snapshot."""
    d: dict[str, Any] = {"snapshot": snapshot_id(con)}
    d["totals"] = dict(zip(
        ("samples", "records", "runs", "annotations", "terms"),
        _rows(con, "SELECT (SELECT count(*) FROM samples), (SELECT count(*) FROM records), "
              "(SELECT count(*) FROM runs), (SELECT count(*) FROM annotations), "
              "(SELECT count(*) FROM ontology_terms)")[0]))
    d["records_by_source"] = _rows(con, "SELECT source, count(*) FROM records GROUP BY 1 "
                                   "ORDER BY 2 DESC")
    d["status"] = {(f, STATUSES[b]): n for f, b, n in _rows(con, """
        SELECT facet, best, count(*) FROM (
            SELECT sample_id, facet, min(CASE status WHEN 'accepted' THEN 0
                WHEN 'needs_review' THEN 1 WHEN 'unmapped' THEN 2 ELSE 3 END) AS best
            FROM annotations GROUP BY ALL) GROUP BY ALL""")}
    d["mapped"] = _rows(con, """
        SELECT facet, count(DISTINCT sample_id) AS with_value,
               count(DISTINCT sample_id) FILTER (WHERE status = 'accepted') AS accepted
        FROM annotations GROUP BY facet ORDER BY facet""")
    d["histogram"] = _rows(con, """
        SELECT least(floor(confidence * 20), 19)::INT AS bin, count(*) FROM annotations
        WHERE term_id IS NOT NULL AND confidence IS NOT NULL GROUP BY 1 ORDER BY 1""")
    d["unmapped"] = _rows(con, "SELECT facet, source_text, n_samples FROM review_queue "
                          "WHERE status = 'unmapped' ORDER BY n_samples DESC, facet, source_text "
                          "LIMIT 20")
    d["by_year"] = _rows(con, """
        SELECT source, coalesce(try_cast(regexp_extract(published, '(19|20)\\d\\d', 0) AS INT),
                                year(first_seen)) AS yr, count(DISTINCT sample_id)
        FROM records GROUP BY ALL ORDER BY yr, source""")
    d["sample_types"] = _rows(con, """
        SELECT b.term_id, count(*), round(avg(b.confidence), 3),
               count(*) FILTER (WHERE b.status = 'accepted'),
               count(o.sample_id)
        FROM best_annotations b
        LEFT JOIN (SELECT DISTINCT sample_id FROM annotations WHERE facet = 'origin_tissue') o
               USING (sample_id)
        WHERE b.facet = 'sample_type' GROUP BY 1 ORDER BY 2 DESC, 1""")
    d["ontologies"] = _rows(con, "SELECT ontology, max(version), count(*) FROM ontology_terms "
                            "GROUP BY 1 ORDER BY 1")
    d["runs"] = _rows(con, "SELECT run_id, flow, source, status, started_at, finished_at, "
                      "CAST(counts AS VARCHAR) FROM harvest_runs ORDER BY started_at DESC LIMIT 10")
    return d


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _plots(d: dict[str, Any]) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    out = {}
    facets = [f for f in FACETS if any((f, s) in d["status"] for s in STATUSES)] or list(FACETS)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    left = [0] * len(facets)
    for s in STATUSES:
        vals = [d["status"].get((f, s), 0) for f in facets]
        ax.barh(facets, vals, left=left, color=COLORS[s], label=s)
        left = [a + b for a, b in zip(left, vals)]
    total = d["totals"]["samples"]
    ax.barh(facets, [max(total - x, 0) for x in left], left=left, color="#e9ecef",
            label="no value")
    ax.set_xlabel("samples")
    ax.invert_yaxis()
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    ax.set_title("Samples per facet by best annotation status")
    out["mapped"] = _png(fig)

    fig, ax = plt.subplots(figsize=(8, 3))
    counts = dict(d["histogram"])
    ax.bar([i / 20 + 0.025 for i in range(20)], [counts.get(i, 0) for i in range(20)],
           width=0.045, color="#1971c2")
    ax.set_xlim(0, 1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("annotations")
    ax.set_title("Confidence of mapped annotations")
    out["histogram"] = _png(fig)

    fig, ax = plt.subplots(figsize=(8, 3))
    years = sorted({y for _, y, _ in d["by_year"] if y is not None})
    sources = sorted({s for s, _, _ in d["by_year"]})
    by = {(s, y): n for s, y, n in d["by_year"]}
    width = 0.8 / max(len(sources), 1)
    for k, s in enumerate(sources):
        ax.bar([i + k * width for i in range(len(years))], [by.get((s, y), 0) for y in years],
               width=width, label=s)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(years))], [str(y) for y in years],
                  rotation=45 if len(years) > 12 else 0)
    ax.set_ylabel("samples")
    if sources:
        ax.legend(fontsize=8)
    ax.set_title("Samples per source and year")
    out["by_year"] = _png(fig)
    return out


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, datetime):
            v = f"{v:%Y-%m-%d %H:%M:%S}"
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            txt = f"{v:,}" if isinstance(v, int) else f"{v:.3f}"
            return f'<td class="num">{txt}</td>'
        return f"<td>{html.escape('' if v is None else str(v))}</td>"

    body = "".join("<tr>" + "".join(cell(v) for v in r) + "</tr>" for r in rows)
    ths = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f"<table><thead><tr>{ths}</tr></thead><tbody>{body}</tbody></table>"


def render(d: dict[str, Any], plots: dict[str, str]) -> str:
    """The report page as one HTML string."""
    t = d["totals"]
    cards = "".join(f'<div class="card">{html.escape(k)}<b>{v:,}</b></div>' for k, v in t.items())
    total = t["samples"] or 1
    mapped_rows = [(f, n, a, f"{(a / n if n else 0):.1%}", f"{a / total:.1%}")
                   for f, n, a in d["mapped"]]
    img = '<img alt="{alt}" src="{src}">'
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>harmonize warehouse report</title>", f"<style>{CSS}</style></head><body>",
        "<h1>harmonize warehouse report</h1>",
        f"<p class='meta'>snapshot {html.escape(str(d['snapshot']))} · generated "
        f"{utcnow():%Y-%m-%d %H:%M} UTC</p>",
        "<h2 id='overview'>Overview</h2>", f"<div class='cards'>{cards}</div>",
        _table(("source", "records"), d["records_by_source"]),
        "<h2 id='mapped'>Share mapped per facet</h2>",
        img.format(alt="samples per facet and status", src=plots["mapped"]),
        _table(("facet", "samples with a value", "accepted", "accepted share",
                "share of all samples"), mapped_rows),
        "<h2 id='sample-types'>Sample types</h2>",
        "<p>What each sample is. A cultured sample's organ is recorded as its "
        "<code>origin_tissue</code>, not its tissue.</p>",
        _table(("sample type", "samples", "mean confidence", "accepted",
                "with an origin tissue"), d["sample_types"]) if d["sample_types"]
        else "<p>No sample types yet (re-ground with <code>harmonize renormalize</code>).</p>",
        "<h2 id='confidence'>Confidence histogram</h2>",
        img.format(alt="confidence histogram", src=plots["histogram"]),
        "<h2 id='unmapped'>Top unmapped values</h2>",
        _table(("facet", "value", "samples"), d["unmapped"]) if d["unmapped"]
        else "<p>No unmapped values.</p>",
        "<h2 id='years'>Samples per source and year</h2>",
        img.format(alt="samples per source and year", src=plots["by_year"]),
        _table(("source", "year", "samples"), [(s, str(y), n) for s, y, n in d["by_year"]]),
        "<h2 id='ontologies'>Ontologies</h2>",
        _table(("ontology", "version", "terms"), d["ontologies"]),
        "<h2 id='runs'>Recent runs</h2>",
        _table(("run", "flow", "source", "status", "started", "finished", "counts"), d["runs"]),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_report(path_db: str | Path | None, out_html: str | Path) -> Path:
    """Write the HTML report of the published warehouse to ``out_html``."""
    con = connect_read(path_db)
    try:
        data = gather(con)
    finally:
        con.close()
    out = Path(out_html)
    out.write_text(render(data, _plots(data)), encoding="utf-8")
    return out
