"""The ``harmonize`` command line: thin click commands over library calls.

Machine-readable output goes to stdout alone; logs, progress bars and summaries go to stderr;
every failure exits non-zero with a one-line message.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from harmonize.errors import HarmonizeError
from harmonize.facets import FILTER_FACETS, ONTOLOGY_FACETS

WAREHOUSE_HELP = "DuckDB warehouse file (default: $HARMONIZE_WAREHOUSE or warehouse/harmonize.duckdb)."
warehouse_option = click.option("--warehouse", "-w", type=click.Path(dir_okay=False),
                                 envvar="HARMONIZE_WAREHOUSE", help=WAREHOUSE_HELP)


class Group(click.Group):
    """A group that turns library errors into one-line messages and a non-zero exit, and takes
    ``-v`` before or after the command name (``harmonize nightly -v`` = ``harmonize -v nightly``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        flags = [a for a in args[:end] if a in ("-v", "--verbose")]
        if flags:
            args = ["-v", *[a for a in args[:end] if a not in flags], *args[end:]]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except HarmonizeError as exc:
            raise click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def _stderr():
    from harmonize.terminal import stderr_console

    return stderr_console()


class SqlCommand(click.Command):
    """A command whose SQL argument may start with ``--`` (an SQL comment), not an option."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" not in args:
            sql = [a for a in args if a.startswith("--") and any(c.isspace() for c in a)]
            if sql:
                args = [a for a in args if a not in sql] + ["--", *sql]
        return super().parse_args(ctx, args)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="harmonize")
@click.option("-v", "--verbose", is_flag=True,
              help="Show Prefect's and the libraries' INFO logs (hidden by default).")
def cli(verbose: bool) -> None:
    """Harvest GEO/SRA/BioSample metadata, ground it to ontologies, query it in DuckDB.

    \b
    Quick start:
      harmonize nightly --snapshot tests/data/snapshot    # offline demo run
      harmonize query "SELECT * FROM sample_summary LIMIT 5"
      harmonize export --tissue liver --disease MONDO:0005148 -o cohort.tsv
    """
    from harmonize.terminal import setup

    setup(verbose)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--normalize", is_flag=True, help="Also ground the new/changed samples.")
@click.option("--no-embeddings", is_flag=True, help="Skip the embedding matcher when grounding.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="Filter SRA/BioSample dumps by the organisms, library strategies and sources "
                   "of this harvest TOML (default: keep everything).")
@warehouse_option
def ingest(paths: tuple[str, ...], normalize: bool, no_embeddings: bool,
           config_path: str | None, warehouse: str | None) -> None:
    """Load record files into the warehouse (format sniffed, .gz streamed).

    Accepts SRA EXPERIMENT_PACKAGE_SET XML, BioSample XML, GEO MINiML and GEO SOFT files;
    NCBI's SRA metadata dumps (NCBI_SRA_Metadata*.tar.gz, streamed in one pass, never
    extracted), their extracted folder trees and single SAMPLE_SET / EXPERIMENT_SET / RUN_SET /
    STUDY_SET files (ENA browser XML too), linked across files; SRA_Accessions.tab (statuses and
    links); or folders of them. Every file's fate is reported: a missing or malformed file, or
    one that holds no sample record, on one `error:` line (and quarantined); folder entries of
    other suffixes as `skipped:`; bytes that are not valid UTF-8 are read as Windows-1252 and
    reported as a warning. The other files still load, and the command exits non-zero when a
    file failed. A dump adds one summary line (kept, filtered, updated, quarantined).

    \b
    Examples:
      harmonize ingest dumps/GSE100007_family.xml dumps/sra/ --normalize
      harmonize ingest SRA_Accessions.tab NCBI_SRA_Metadata_Full_20250101.tar.gz
      harmonize ingest NCBI_SRA_Metadata_20250102.tar.gz --config harvest.toml
    """
    from harmonize.dump.filters import NO_FILTER, from_config
    from harmonize.steps.ingest import RECORD_SUFFIXES, ingest_files
    from harmonize.terminal import bars
    from harmonize.warehouse.runs import recorded_run

    filt = from_config(config_path) if config_path else NO_FILTER
    with bars(), recorded_run(warehouse, "ingest", "files",
                              {"paths": [str(p) for p in paths],
                               "filter": filt.describe()}) as run:
        stats = ingest_files(run.con, paths, run.run_id, filt=filt)
        if normalize:
            _annotate(run.con, only_changed=True, use_embeddings=not no_embeddings)
        run.status = "partial" if stats.failed or not stats.files else "ok"
        run.counts.update(stats.counts(), failed_files=len(stats.failed),
                          skipped_files=len(stats.skipped))
    for path in stats.skipped:
        click.echo(f"skipped: {path}: not a record file (folders are read for "
                   f"{', '.join(RECORD_SUFFIXES)}, optionally .gz)", err=True)
    err = _stderr()
    if stats.dump is not None:
        err.print(stats.dump.line(), markup=False, highlight=False)
    n = len(stats.files)
    err.print(f"{n} file{'s' if n != 1 else ''}, {stats.records} records: "
              f"{stats.inserted} new, {stats.updated} updated, {stats.unchanged} unchanged, "
              f"{stats.merged} merged, {stats.rejects} quarantined", highlight=False)
    _verdict(stats.notes, stats.errors(), stats.failure())


def _verdict(warnings: list[str], errors: list[str], failure: str | None) -> None:
    """Print warnings and per-file errors to stderr; exit non-zero when a file failed."""
    for note in warnings:
        click.echo(f"warning: {note}", err=True)
    for error in errors:
        click.echo(f"error: {error}", err=True)
    if failure:
        raise click.ClickException(failure)


def _annotate(con, only_changed: bool, use_embeddings: bool):
    from harmonize.steps.annotate import annotate_samples
    from harmonize.steps.engine import load_engine
    from harmonize.steps.ontology import sync_ontologies

    engine = load_engine(con=con, use_embeddings=use_embeddings)
    sync_ontologies(con, engine.ontology_versions(), engine.load_ontologies)
    return annotate_samples(con, engine.grounder, only_changed=only_changed)


@cli.command()
@click.option("--all", "all_samples", is_flag=True, help="Re-ground every sample, not only new ones.")
@click.option("--no-embeddings", is_flag=True, help="Skip the embedding matcher.")
@warehouse_option
def normalize(all_samples: bool, no_embeddings: bool, warehouse: str | None) -> None:
    """Ground the new or changed samples of the warehouse to ontology terms.

    \b
    Example:
      harmonize normalize            # only samples not yet grounded with this lexicon
      harmonize normalize --all      # every sample
    """
    from harmonize.terminal import bars
    from harmonize.warehouse.runs import recorded_run

    with bars(), recorded_run(warehouse, "normalize", "warehouse",
                              {"all": all_samples}) as run:
        stats = _annotate(run.con, only_changed=not all_samples,
                          use_embeddings=not no_embeddings)
        run.counts.update(samples=stats.samples, annotations=stats.annotations)
    redone = (f"; {stats.controls_redone} earlier controls of their studies redone"
              if stats.controls_redone else "")
    _stderr().print(f"{stats.samples} samples grounded, {stats.annotations} annotations "
                    f"({', '.join(f'{k} {v}' for k, v in sorted(stats.by_facet.items()))})"
                    f"{redone}")


@cli.command(name="map")
@click.argument("input_path", metavar="INPUT.jsonl", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, help="Output JSONL, or - for stdout.")
@click.option("--no-embeddings", is_flag=True, help="Skip the embedding matcher (faster).")
@click.option("--candidates", is_flag=True, help="Include the top candidates of every annotation.")
def map_cmd(input_path: str, output: str, no_embeddings: bool, candidates: bool) -> None:
    """Ground a JSONL file of samples, one JSON object per line in and out.

    Each input line: {"accession": ..., "attributes": {key: value}, "text": optional,
    "series": optional}. A value may be a string, a number or a list of lines (GEO
    characteristics). Records of one "series" (else "study") are read together: a bare
    "control" beside cases of the same study is a healthy control. Each output line:
    {"accession": ..., "annotations": [{facet, term_id, term_label, confidence, method,
    source_key, source_text, status}]}, same order as the input.

    \b
    Example:
      harmonize map samples.jsonl -o mapped.jsonl
      harmonize map samples.jsonl -o - | jq .annotations
    """
    from harmonize.mapping import map_jsonl
    from harmonize.steps.engine import load_engine

    engine = load_engine(use_embeddings=not no_embeddings)
    out = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")
    try:
        stats = map_jsonl(input_path, out, engine.grounder, progress=True,
                          with_candidates=candidates)
    finally:
        if out is not sys.stdout:
            out.close()
    click.echo(f"mapped {stats.records} records", err=True)
    if stats.errors:
        raise click.ClickException(
            f"{input_path}: {stats.errors} malformed line(s); their output lines carry an "
            "'error' field, the other lines were mapped")


@cli.command()
@click.argument("text")
@click.option("--facet", required=True,
              type=click.Choice([*ONTOLOGY_FACETS, "sample_type"]))
@click.option("--key", default=None, metavar="KEY",
              help="Attribute key the text came from: it sets how the text is read "
                   "(default: the facet's own key; try source_name, title or text).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option("--no-embeddings", is_flag=True, help="Skip the embedding matcher.")
@click.option("--in", "in_path", default=None, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False),
              help="A `harmonize map` input file: TEXT is then the accession of one of its "
                   "records, read with the other samples of its study.")
def explain(text: str, facet: str, key: str | None, as_json: bool, no_embeddings: bool,
            in_path: str | None) -> None:
    """Show the candidates for a text and the parts of each score.

    \b
    Examples:
      harmonize explain "vastus lateralis muscle_female" --facet tissue
      harmonize explain "PBMC from HIV-negative donor" --facet disease --key source_name
      harmonize explain "T2D islets" --facet disease --json
      harmonize explain '{"cell line": "MCF-7", "tissue": "breast"}' --facet sample_type
      harmonize explain "iPSC-derived cardiomyocytes" --facet sample_type --key source_name
      harmonize explain '{"cell type": "PBMC", "cell subpopulation": "T cells"}' --facet cell_type
      harmonize explain GSM1234567 --facet sex --in samples.jsonl

    TEXT is one value, or a whole sample as a JSON object of attributes: then every value
    read for the facet competes, and the table shows the key each candidate came from and
    what ordered them. For sample_type TEXT is always a whole sample (one value is read
    under --key, default source_name). With --in, TEXT is an accession of FILE: the sample
    is read with the other samples of its study, as `harmonize map` reads it, so a reading
    of the study (a sex its titles code, a donor's or a line's sex, its groups' words, its
    controls) shows with the rule that made it.
    """
    if in_path is not None:
        _explain_in_study(in_path, text, facet, as_json, no_embeddings)
        return
    import json as _json

    from rich.console import Console
    from rich.table import Table

    from harmonize.ground.compose import rules_that_took
    from harmonize.ground.controls import study_note
    from harmonize.ground.fields import MAX_VALUE_CHARS, read_as
    from harmonize.ground.mentions import set_aside
    from harmonize.steps.engine import load_engine

    if facet == "sample_type":
        _explain_sample(text, key, as_json, no_embeddings)
        return
    if text.lstrip().startswith("{"):
        _explain_facet_of_sample(_sample_attributes(text, key), facet, as_json, no_embeddings)
        return

    source_key = key or facet.replace("_", " ")
    value = read_as(key, text, facet) if key else None  # as `map` and `normalize` read it
    if key and value is None:
        raise click.ClickException(f"key {key!r} is not read for {facet} (see "
                                   "ontologies/field_keys.tsv); try another --key")
    scanned = value.scanned if value else False
    if value is not None and value.source_key != key:
        # a value made of "key: value" pairs is read pair by pair, as `map` reads it
        source_key, text = value.source_key, value.text
    engine = load_engine(use_embeddings=not no_embeddings)
    ann = engine.grounder.ground_value(facet, text, source_key, scanned=scanned)
    cands = engine.grounder.explain(text, facet, source_key, scanned=scanned)[:10]
    negated = set_aside(engine.grounder.lexicon, facet, ann.source_text)
    steps = ann.confidence_steps()
    study = study_note(engine.grounder, facet, text, source_key, ann)
    if as_json:
        click.echo(_json.dumps({"text": text, "facet": facet, "key": source_key,
                                "annotation": ann.to_json(), "confidence_steps": steps,
                                "negated": negated, "study_controls": study,
                                "candidates": [c.to_json() for c in cands]}, indent=1))
        return
    console = Console()
    shown = ann.source_text if len(ann.source_text) <= 300 else ann.source_text[:300] + "…"
    console.print(f"[bold]{shown!r}[/bold] under key {source_key!r} as {facet}: "
                  f"{ann.term_id or 'unmapped'} {ann.term_label or ''} "
                  f"confidence {ann.confidence:.2f} ({ann.method}, {ann.status})")
    if ann.source_length is not None:
        console.print(f"only the first {len(ann.source_text):,} of its {ann.source_length:,} "
                      f"characters were read (a value is grounded on at most {MAX_VALUE_CHARS:,})")
    _print_steps(console, steps)
    if negated:
        console.print("set aside as negated, someone else's or only a risk: "
                      + ", ".join(repr(n) for n in negated))
    if cands and "respelt_words" in rules_that_took(cands[0]):
        console.print(f"rule respelt_words: read with a misspelt word written right, as "
                      f"{cands[0].matched_text!r}")
    if study:
        console.print(study)
    if not cands:
        console.print("no candidates")
        return
    t = Table()
    for col in ("#", "term", "label", "method", "matched", "kind", "sim", "score"):
        t.add_column(col, no_wrap=col in ("#", "term", "sim", "score"))
    for i, c in enumerate(cands, 1):
        t.add_row(str(i), c.term_id, c.term_label, c.method, c.matched_text, c.match_kind,
                  f"{c.similarity:.2f}", f"{c.score:.2f}")
    console.print(t)
    for i, c in enumerate(cands[:3], 1):
        parts = sorted(((k[5:], v) for k, v in c.features.items() if k.startswith("part:")),
                       key=lambda kv: -abs(kv[1]))
        console.print(f"#{i} {c.term_id} score {c.score:.2f} = "
                      + "  ".join(f"{k} {v:+.2f}" for k, v in parts))


def _explain_in_study(in_path: str, accession: str, facet: str, as_json: bool,
                      no_embeddings: bool) -> None:
    """`explain ACCESSION --in FILE`: one facet of a record as `map` reads it in its study."""
    import json as _json

    from rich.console import Console

    from harmonize.ground.compose import rules_that_took
    from harmonize.mapping import annotations_in_study, study_of, study_records
    from harmonize.steps.engine import load_engine

    try:
        records = study_records(in_path, accession)
    except LookupError as exc:
        raise click.ClickException(f"{exc}; give an accession the file holds") from exc
    engine = load_engine(use_embeddings=not no_embeddings)
    read, written = annotations_in_study(records, accession, engine.grounder)
    anns = [a for a in read if a.facet == facet]
    emitted = [a for a in written["annotations"] if a["facet"] == facet]
    study = study_of(records[0])  # every record read with it is of its study
    with_whom = (f"read with {len(records) - 1} other sample(s) of study {study!r}" if study
                 else "the record names no study: read alone")
    out = [{"annotation": a.to_json(), "rules": list(rules_that_took(a.candidates[0]))
            if a.candidates else [], "read_from": _read_from(a),
            "confidence_steps": a.confidence_steps()} for a in anns]
    if as_json:
        click.echo(_json.dumps({"accession": accession, "facet": facet, "study": study,
                                "study_samples": len(records), "annotations": out,
                                "emitted": emitted}, indent=1))
        return
    console = Console()
    console.print(f"[bold]{accession}[/bold] as {facet}, {with_whom}")
    if not anns:
        console.print("no annotation: nothing in the record or its study names one")
    for a, o in zip(anns, out):
        console.print(f"{a.term_id or 'unmapped'} {a.term_label or ''} confidence "
                      f"{a.confidence:.2f} ({a.method}, {a.status}) from {a.source_key!r}: "
                      f"{a.source_text[:200]!r}")
        if o["rules"]:
            console.print("rules that made it: " + ", ".join(o["rules"]))
        if o["read_from"]:
            console.print(f"the line's {facet} was read from {o['read_from']}")
        _print_steps(console, o["confidence_steps"])
    shown = ", ".join(f"{e['term_id'] or 'unmapped'} ({e['status']})" for e in emitted)
    console.print(f"`harmonize map` writes: {shown or 'nothing'}")


def _explain_sample(text: str, key: str | None, as_json: bool, no_embeddings: bool) -> None:
    """`explain --facet sample_type`: probabilities and the evidence of each feature."""
    import json as _json

    from rich.console import Console
    from rich.table import Table

    from harmonize.ground.sample_type import explain_sample
    from harmonize.steps.engine import load_engine

    attrs = _sample_attributes(text, key)
    engine = load_engine(use_embeddings=not no_embeddings)
    why = explain_sample(engine.grounder, attrs)
    if as_json:
        click.echo(_json.dumps({"attributes": attrs, **why}, indent=1))
        return
    ann = why["annotation"]
    console = Console()
    console.print(f"[bold]sample_type[/bold] {ann['term_id']} confidence {ann['confidence']:.2f} "
                  f"({ann['method']}, {ann['status']}); strongest evidence "
                  f"{ann['source_key']}: {ann['source_text']!r}")
    console.print("probabilities: " + ", ".join(f"{t} {p:.2f}"
                                                for t, p in why["probabilities"].items()))
    for o in why["origin_tissue"]:
        console.print(f"tissue {o['term_id']} {o['term_label']} read as origin_tissue "
                      "(a cultured sample's organ of origin is not its tissue)")
    if why.get("parts"):
        t = Table(title=f"parts of the {ann['term_id']} score (vs. the mean type)")
        for col in ("feature", "part", "key", "value"):
            t.add_column(col)
        for p in why["parts"]:
            t.add_row(p["feature"], f"{p['part']:+.2f}", p["key"], str(p["value"])[:60])
        console.print(t)


def _explain_facet_of_sample(attrs: dict[str, str], facet: str, as_json: bool,
                             no_embeddings: bool) -> None:
    """`explain` of one facet for a whole sample: its annotations and how its values ranked."""
    import json as _json

    from rich.console import Console
    from rich.table import Table

    from harmonize.steps.engine import load_engine

    grounder = load_engine(use_embeddings=not no_embeddings).grounder
    anns = [a for a in grounder.annotate(attrs) if a.facet == facet]
    rows = grounder.sample_ranking(facet, attrs)
    if as_json:
        click.echo(_json.dumps({"attributes": attrs, "facet": facet,
                                "annotations": [a.to_json() for a in anns],
                                "confidence_steps": [a.confidence_steps() for a in anns],
                                "ranking": rows}, indent=1))
        return
    console = Console()
    if not anns:
        console.print(f"no {facet} found in this sample")
    for a in anns:
        console.print(f"[bold]{facet}[/bold] {a.term_id or 'unmapped'} {a.term_label or ''} "
                      f"confidence {a.confidence:.2f} ({a.method}, {a.status}) from "
                      f"{a.source_key}: {a.source_text!r}")
        _print_steps(console, a.confidence_steps())
    if any(r["listed"] for r in rows):
        console.print("rule several_diseases: a value listing unrelated diseases gives one "
                      "annotation per disease (rows marked 'list')")
    from harmonize.ground.compose import rules_that_took

    taken = [r["taken_by"] for r in rows if r["narrower_taken"]]  # in the ranking, and after it
    taken += [rule for a in anns if a.candidates for rule in rules_that_took(a.candidates[0])]
    for rule in dict.fromkeys(taken):
        console.print(f"rule {rule}: {_rule_does(rule)}")
    for a in anns:
        if said := _read_from(a):
            console.print(f"the line's {a.facet} was read from {said}")
    if rows:
        t = Table(title="candidates in ranked order: names under the facet's own key first, "
                        "a finer key's ('cell subtype') before the plain one, then by score")
        for col in ("#", "term", "label", "key (class)", "own key", "score"):
            t.add_column(col)
        for i, r in enumerate(rows[:10], 1):
            own = ("list" if r["listed"] else "finer" if r["finer_key"]
                   else "yes" if r["by_facet_key"] else "no")
            prior = f" {r['key_prior']:+.2f} key" if r["key_prior"] else ""
            t.add_row(str(i), r["term_id"], r["term_label"],
                      f"{r['source_key']} ({r['key_class']})", own, f"{r['score']:.2f}{prior}")
        console.print(t)


def _read_from(a) -> str | None:
    """Where a rule read an annotation, in words, when the rule says (a line's sex or disease:
    a Cellosaurus release or the shipped list, EFO, or the line it was derived from)."""
    from harmonize.ground.line_disease import source_said as disease_said
    from harmonize.ground.line_sex import source_said as sex_said

    kind = a.candidates[0].match_kind if a.candidates else ""
    return sex_said(kind) or disease_said(kind) if kind else None


def _rule_does(rule: str) -> str:
    """What a rule does, as its registry row says (``ontologies/rules.tsv``)."""
    from harmonize.ground.rules import registry

    found = registry().get(rule)
    if found is None:
        return "a narrower name the sample gives was taken over the broader term ranked first"
    return found.does


def _print_steps(console, steps: dict[str, float]) -> None:
    """The steps that made a confidence, on one line (nothing when there are none)."""
    if steps:
        console.print("how the confidence was reached: " + ", ".join(
            f"{k} {v:g}" for k, v in steps.items()))


def _sample_attributes(text: str, key: str | None) -> dict[str, str]:
    """A JSON object of attributes, or ``{key or 'source_name': text}``."""
    import json as _json

    if text.lstrip().startswith("{"):
        try:
            obj = _json.loads(text)
        except _json.JSONDecodeError as exc:
            raise click.ClickException(f"TEXT looks like JSON but is not: {exc.msg}") from exc
        if not isinstance(obj, dict):
            raise click.ClickException("TEXT must be a JSON object of attributes")
        return {str(k): str(v) for k, v in obj.items()}
    return {key or "source_name": text}


@cli.command(cls=SqlCommand)
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "parquet"]),
              default="table", show_default=True)
@click.option("-o", "--output", default=None, help="Write to a file (required for parquet).")
@click.option("--allow-read", "allow_read", multiple=True, metavar="DIR",
              help="Let the SQL read the files under DIR (read_csv, read_parquet …; repeatable). "
                   "Off by default: the query sees only the warehouse.")
@warehouse_option
def query(sql: str, fmt: str, output: str | None, allow_read: tuple[str, ...],
          warehouse: str | None) -> None:
    """Run read-only SQL against the warehouse (DDL and DML are refused).

    The SQL sees the warehouse's tables and views only: reading files (read_csv, read_blob,
    glob …), URLs or the environment, and loading extensions, are refused. --allow-read DIR
    opens the files under one folder, e.g. to join a sample list of your own.

    SQL may start with a `--` comment (as the demo's example query does). Control characters
    in values (terminal escape codes) are shown escaped in tables and on a terminal.

    \b
    Examples:
      harmonize query "SELECT facet, count(*) FROM annotations GROUP BY 1"
      harmonize query "SELECT * FROM sample_summary" --format csv > samples.csv
      harmonize query --allow-read /data/lists "SELECT s.* FROM sample_summary s
        JOIN read_csv('/data/lists/mine.csv') m USING (sample_id)"
      harmonize query -- "-- runs, newest first
      SELECT run_id, status, finished_at FROM harvest_runs ORDER BY started_at DESC"
    """
    from harmonize.warehouse.db import resolve_path
    from harmonize.warehouse.query import run_query, write_result

    df = run_query(resolve_path(warehouse), sql, allow_read=allow_read)
    write_result(df, fmt, output)


FACET_OPTIONS = FILTER_FACETS  # --tissue, --disease... (ontologies/facets.tsv)


def _facet_options(func):
    for facet in reversed(FACET_OPTIONS):
        func = click.option(f"--{facet.replace('_', '-')}", facet, multiple=True,
                            help=f"{facet} term: CURIE or label (repeatable = OR).")(func)
    return func


@cli.command()
@_facet_options
@click.option("-o", "--output", default=None,
              help="Cohort file: .tsv, .csv or .parquet (.csv/.tsv/.txt for --format fetchngs). "
                   "With --manifest: where to rebuild (default: the recorded name beside it).")
@click.option("--format", "fmt", type=click.Choice(["tsv", "csv", "parquet", "fetchngs"]),
              default=None, help="Default: from the extension. fetchngs = one run accession "
                                 "(SRR/ERR/DRR) per line, for nf-core/fetchngs --input.")
@click.option("--min-confidence", type=float, default=0.5, show_default=True,
              help="Lowest annotation confidence to include (0..1).")
@click.option("--status", type=click.Choice(["accepted", "needs_review", "any"]), default="accepted",
              show_default=True)
@click.option("--organism", default=None, help="e.g. 'Homo sapiens'.")
@click.option("--source", type=click.Choice(["sra", "geo", "biosample"]), default=None)
@click.option("--exact", is_flag=True, help="Do not include descendant terms.")
@click.option("--include-suppressed", is_flag=True,
              help="Keep samples SRA_Accessions.tab marks suppressed, withdrawn or unpublished.")
@click.option("--sample-type", "sample_type", multiple=True, metavar="TYPE",
              help="Keep samples of this type (repeatable = OR): tissue, cell_line, "
                   "primary_cells, in_vitro_differentiated_cells, stem_cells, "
                   "induced_pluripotent_stem_cells, organoid; 'cultured' = the five grown in a "
                   "dish; 'all' = any. Default: all, but with --tissue only tissue and primary "
                   "cells.")
@click.option("--manifest", "manifest", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Rebuild the cohort of this manifest (byte-identical) instead of a new query.")
@click.option("--changes", default=None, metavar="FILE.tsv",
              help="With --manifest: write every difference found to this TSV.")
@warehouse_option
@click.pass_context
def export(ctx: click.Context, output: str | None, fmt: str | None, min_confidence: float,
           status: str, organism: str | None, source: str | None, exact: bool,
           include_suppressed: bool, sample_type: tuple[str, ...], manifest: str | None,
           changes: str | None,
           warehouse: str | None, **facets) -> None:
    """Export a reproducible cohort (samples, accessions, runs, every facet) plus a manifest.

    Terms include their descendants unless --exact; several facets are combined with AND.
    Each row carries every facet's best term, label, confidence, status and source text, and
    the annotation that matched each filter (matched_<facet>_*). Writes OUTPUT and
    OUTPUT.manifest.json (SQL, expanded terms, sample ids and row digests, versions, command
    line, sha256). Samples that SRA_Accessions.tab marks suppressed, withdrawn or unpublished
    are left out unless --include-suppressed.

    --manifest M rebuilds M's cohort from the current warehouse: the same file, byte-identical,
    or (exit 1, nothing written) the samples that left, entered or changed and the versions
    that differ.

    With --tissue, cultured samples (cell lines, in-vitro differentiated cells, stem cells,
    iPSCs, organoids) are left out: their organ is recorded as origin_tissue, not tissue.
    Ask for them with --sample-type; --tissue then also matches their organ of origin.

    \b
    Examples:
      harmonize export --tissue UBERON:0000955 -o brain.tsv
      harmonize export --tissue liver --disease "type 2 diabetes mellitus" -o t2d_liver.parquet
      harmonize export --tissue liver --format fetchngs -o liver_runs.txt
      harmonize export --tissue breast --sample-type cell_line -o breast_lines.tsv
      harmonize export --tissue liver --sample-type all -o liver_any_material.tsv
      harmonize export --cell-type "T cell" --sample-type primary_cells -o t_cells.tsv
      harmonize export --manifest brain.tsv.manifest.json            # rebuild brain.tsv
      harmonize export --manifest brain.tsv.manifest.json -o again.tsv --changes changes.tsv
    """
    from harmonize.warehouse.db import resolve_path

    if manifest:
        _rebuild(ctx, manifest, output, changes, warehouse)
        return
    if output is None:
        raise click.UsageError("give -o/--output (or --manifest M to rebuild a cohort)")
    if changes:
        raise click.UsageError("--changes only goes with --manifest")
    from harmonize.warehouse.export import export_cohort

    terms = {k: list(v) for k, v in facets.items() if v}
    result = export_cohort(resolve_path(warehouse), output, min_confidence=min_confidence,
                           status=status, organism=organism, source=source,
                           descendants=not exact, include_inactive=include_suppressed, fmt=fmt,
                           sample_type=sample_type,
                           command=["harmonize", *sys.argv[1:]], **terms)
    runs = f", {result.n_runs} runs" if fmt == "fetchngs" else ""
    click.echo(f"{result.n_samples} samples{runs} -> {output} "
               f"(manifest {output}.manifest.json)", err=True)


#: Options that define a new query; a rebuild takes them from the manifest.
QUERY_OPTIONS = (*FACET_OPTIONS, "fmt", "min_confidence", "status", "organism", "source", "exact",
                 "include_suppressed", "sample_type")


def _rebuild(ctx: click.Context, manifest: str, output: str | None, changes: str | None,
             warehouse: str | None) -> None:
    from harmonize.warehouse.db import resolve_path
    from harmonize.warehouse.rebuild import describe, rebuild_cohort, verdict, write_changes

    given = [name for name in QUERY_OPTIONS
             if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE]
    if given:
        flags = ", ".join("--" + ("format" if n == "fmt" else n.replace("_", "-")) for n in given)
        raise click.UsageError(f"--manifest rebuilds the manifest's own query; drop {flags}")
    result = rebuild_cohort(resolve_path(warehouse), manifest, output)
    for line in describe(result):
        click.echo(line, err=True)
    if changes:
        click.echo(f"{write_changes(result, changes)} differences -> {changes}", err=True)
    if not result.reproduced:
        raise click.ClickException(verdict(result))


@cli.command()
@click.option("-o", "--output", required=True, help="Review TSV to write.")
@click.option("--limit", type=int, default=None, help="Only the N values touching most samples.")
@warehouse_option
def review(output: str, limit: int | None, warehouse: str | None) -> None:
    """Write the review queue: needs_review and unmapped values, most samples first.

    Fill the decision_term_id column (a CURIE, or 'reject') and load it with `harmonize curate`.

    \b
    Example:
      harmonize review -o review.tsv --limit 200
    """
    from harmonize.warehouse.db import resolve_path
    from harmonize.warehouse.review import write_review

    n = write_review(resolve_path(warehouse), output, limit=limit)
    click.echo(f"{n} values to review -> {output}", err=True)


@cli.command()
@click.argument("decisions", type=click.Path(exists=True, dir_okay=False))
@click.option("--no-embeddings", is_flag=True, help="Skip the embedding matcher when re-grounding.")
@warehouse_option
def curate(decisions: str, no_embeddings: bool, warehouse: str | None) -> None:
    """Load curator decisions from a review TSV; they beat every matcher from now on.

    \b
    Example:
      harmonize curate review.tsv
    """
    from harmonize.terminal import bars
    from harmonize.warehouse.annotations import add_overrides
    from harmonize.warehouse.db import resolve_path
    from harmonize.warehouse.review import read_decisions
    from harmonize.warehouse.runs import recorded_run

    path = resolve_path(warehouse)
    rows = read_decisions(decisions, db=path)  # checked on the published file: nothing staged yet
    with bars(), recorded_run(path, "curate", "decisions", {"decisions": decisions},
                              discard_on_error=True) as run:
        con = run.con
        add_overrides(con, rows)
        stats = _annotate(con, only_changed=False, use_embeddings=not no_embeddings)
        run.counts.update(decisions=len(rows), samples=stats.samples)
    click.echo(f"{len(rows)} decisions loaded; {stats.samples} samples re-grounded", err=True)


@cli.command()
@click.option("-o", "--output", required=True, help="HTML file to write.")
@warehouse_option
def report(output: str, warehouse: str | None) -> None:
    """Write a self-contained HTML report with plots (coverage, confidence, unmapped values).

    \b
    Example:
      harmonize report -o report.html
    """
    from harmonize.warehouse.db import resolve_path
    from harmonize.warehouse.report import write_report

    write_report(resolve_path(warehouse), output)
    click.echo(f"report -> {output}", err=True)


@cli.command()
@click.option("--snapshot", type=click.Path(exists=True, file_okay=False),
              help="Use a folder of recorded NCBI responses instead of the network (offline demo).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="Harvest configuration TOML (default: harvest.toml if present).")
@click.option("--sources", default="sra,geo,biosample", show_default=True,
              help="Comma-separated sources to harvest.")
@click.option("--no-embeddings", is_flag=True, help="Skip the embedding matcher when grounding.")
@click.option("--dask", default=None, metavar="ADDRESS",
              help="Ground on a Dask cluster: a scheduler address, or 'local' for a LocalCluster.")
@warehouse_option
def nightly(snapshot: str | None, config_path: str | None, sources: str, no_embeddings: bool,
            dask: str | None, warehouse: str | None) -> None:
    """Run the nightly flow: harvest since the watermark, load, ground, publish, summarize.

    \b
    Examples:
      harmonize nightly --snapshot tests/data/snapshot     # offline, bundled real records
      NCBI_API_KEY=... NCBI_EMAIL=me@lab.org harmonize nightly --config harvest.toml
    """
    from flows.nightly import nightly as nightly_flow
    from flows.runners import task_runner
    from harmonize.steps.summary import render
    from harmonize.warehouse.db import check_writable

    check_writable(warehouse)  # one clear line before a Prefect server starts
    if config_path is None and Path("harvest.toml").exists():
        config_path = "harvest.toml"
    if not snapshot:
        _warn_without_email(config_path)
    run = nightly_flow.with_options(task_runner=task_runner(dask)) if dask else nightly_flow
    summary = _run_flow(run, warehouse=warehouse, snapshot=snapshot, config_path=config_path,
                        sources=sources.split(","), use_embeddings=not no_embeddings,
                        distributed=bool(dask))
    render(summary, _wide_stderr())


def _run_flow(flow, **params):
    """Run a Prefect flow with progress bars, on a temporary Prefect server that stops with
    this command (also when it is killed), unless PREFECT_API_URL names one."""
    from flows.server import temporary_server
    from harmonize.terminal import bars, quiet_prefect, terminate_as_interrupt

    quiet_prefect()
    with terminate_as_interrupt(), temporary_server(), bars():
        return flow(**params)


def _wide_stderr():
    from harmonize.terminal import stderr_console

    return stderr_console(wide=True)


def _warn_without_email(config_path: str | None) -> None:
    """NCBI asks every E-utilities client for a contact address; say so before harvesting."""
    from harmonize.ncbi.config import load_config

    if not load_config(config_path).email:
        click.echo("warning: NCBI_EMAIL is not set (nor email in the harvest config); NCBI "
                   "asks for a contact address and may block anonymous heavy users: "
                   "export NCBI_EMAIL=you@example.org", err=True)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--no-embeddings", is_flag=True, help="Skip the embedding matcher when grounding.")
@click.option("--dask", default=None, metavar="ADDRESS",
              help="Parse and ground on a Dask cluster: a scheduler address, or 'local'.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="Harvest TOML whose organisms, library strategies and sources filter the "
                   "dumps (default: harvest.toml if present, else human RNA-seq).")
@click.option("--no-filter", is_flag=True, help="Keep every dump record (no organism/library filter).")
@warehouse_option
def backfill(paths: tuple[str, ...], no_embeddings: bool, dask: str | None,
             config_path: str | None, no_filter: bool, warehouse: str | None) -> None:
    """Run the backfill flow over bulk files (SRA metadata dumps, SRA_Accessions.tab,
    BioSample dump, big SRA XML, .gz), then ground and publish.

    SRA dumps and the BioSample dump are filtered while streaming by the harvest keys
    (organisms, library_strategies, library_sources); the summary says how many records were
    skipped and why. A killed backfill re-run resumes after its last committed batch; a complete
    re-run changes nothing.

    Like `ingest`, a file that cannot be read or holds no sample is reported on one line, the
    other files still load, and the command exits non-zero.

    \b
    Examples:
      harmonize backfill SRA_Accessions.tab NCBI_SRA_Metadata_Full_20250101.tar.gz
      harmonize backfill /data/biosample_set.xml.gz /data/sra_dump/ --config harvest.toml
      harmonize backfill NCBI_SRA_Metadata_Full_20250101.tar.gz --dask local
    """
    from flows.backfill import backfill as backfill_flow
    from flows.runners import task_runner
    from harmonize.steps.summary import render
    from harmonize.warehouse.db import check_writable

    check_writable(warehouse)  # one clear line before a Prefect server starts
    if config_path is None and not no_filter and Path("harvest.toml").exists():
        config_path = "harvest.toml"
    run = backfill_flow.with_options(task_runner=task_runner(dask)) if dask else backfill_flow
    summary = _run_flow(run, paths=list(paths), warehouse=warehouse,
                        use_embeddings=not no_embeddings, distributed=bool(dask),
                        config_path=config_path, filtered=not no_filter)
    render(summary, _wide_stderr())
    if summary.dump_line:
        _stderr().print(summary.dump_line, markup=False, highlight=False)
    _verdict(summary.warnings, summary.file_errors, summary.failure)


@cli.command()
@click.option("-o", "--output", default=None, help="TSV of the annotations that changed.")
@click.option("--no-embeddings", is_flag=True, help="Skip the embedding matcher.")
@warehouse_option
def renormalize(output: str | None, no_embeddings: bool, warehouse: str | None) -> None:
    """Re-ground every sample after an ontology, lexicon, matcher or calibration change.

    Reports the annotations that changed; on an unchanged warehouse nothing changes.

    \b
    Example:
      harmonize renormalize -o changes.tsv
    """
    from flows.renormalize import renormalize as renormalize_flow
    from harmonize.warehouse.db import check_writable

    check_writable(warehouse)  # one clear line before a Prefect server starts
    changes = _run_flow(renormalize_flow, warehouse=warehouse, report_path=output,
                        use_embeddings=not no_embeddings)
    click.echo(f"{len(changes)} annotations changed" + (f" -> {output}" if output else ""), err=True)


@cli.command()
@click.option("--cron", default="0 2 * * *", show_default=True, help="Cron schedule (UTC).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Harvest configuration TOML (default: harvest.toml if present).")
@warehouse_option
def schedule(cron: str, config_path: str | None, warehouse: str | None) -> None:
    """Serve the nightly flow on a cron schedule (blocks; run under systemd or a worker).

    \b
    Example:
      harmonize schedule --cron "0 2 * * *" --config harvest.toml
    """
    from flows.deploy import serve_nightly

    if config_path is None and Path("harvest.toml").exists():
        config_path = str(Path("harvest.toml").resolve())
    serve_nightly(cron=cron, config_path=config_path, warehouse=warehouse)


def main() -> None:
    """Console entry point (setup happens when a command runs: see :func:`cli`)."""
    cli(prog_name="harmonize")


if __name__ == "__main__":
    main()
