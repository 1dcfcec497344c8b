"""Long values: grounding reads at most ``MAX_VALUE_CHARS`` of a value, says so in the
annotation, and scans in time linear in the text (no value may stall a run)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harmonize.ground import Grounder, load_lexicon, mentions
from harmonize.ground.fields import MAX_VALUE_CHARS, bounded
from harmonize.mapping import map_jsonl

BIN = Path(sys.executable).parent / "harmonize"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from bench_long_values import SENTENCE, long_value  # noqa: E402  (the benchmark's own words)


@pytest.fixture(scope="module")
def grounder() -> Grounder:
    return Grounder(load_lexicon(), use_embeddings=False)


def test_bounded_cuts_a_long_value_at_a_word_boundary():
    text = long_value(3 * MAX_VALUE_CHARS)
    part, full = bounded(text)
    assert full == len(text)
    assert len(part) <= MAX_VALUE_CHARS and text.startswith(part)
    assert text[len(part)] == " " and part == part.rstrip()  # a whole last word
    assert bounded("liver biopsy") == ("liver biopsy", None)
    word = "x" * (MAX_VALUE_CHARS + 5)  # one word with no space: cut at the limit itself
    assert bounded(word) == ("x" * MAX_VALUE_CHARS, len(word))


def test_long_value_is_mapped_through_the_cli_with_the_part_read_recorded(tmp_path):
    value = long_value(200_000)
    src = tmp_path / "long.jsonl"
    src.write_text(json.dumps({"accession": "SLONG", "attributes": {
        "description": value, "disease": "breast cancer"}}) + "\n"
        + json.dumps({"accession": "SSHORT", "attributes": {"tissue": "liver"}}) + "\n")
    proc = subprocess.run([str(BIN), "map", str(src), "-o", str(tmp_path / "out.jsonl"),
                           "--no-embeddings"], check=False, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [o["accession"] for o in out] == ["SLONG", "SSHORT"]
    from_long = [a for a in out[0]["annotations"] if a["source_key"] == "description"]
    assert from_long, "the long value named organs and diseases: it must be grounded"
    assert any(a["facet"] == "tissue" and a["term_id"] for a in from_long)
    for a in from_long:
        assert a["source_length"] == 200_000
        assert len(a["source_text"]) <= MAX_VALUE_CHARS
        assert value.startswith(a["source_text"])
    others = [a for o in out for a in o["annotations"] if a["source_key"] != "description"]
    assert others and all("source_length" not in a for a in others)  # ordinary values: as before


def test_the_scanners_never_see_more_than_the_limit(grounder, monkeypatch):
    """Structural bound: every text handed to the mention scanner and to the abbreviation
    finder is at most ``MAX_VALUE_CHARS`` long, whatever the value's length."""
    seen: list[int] = []
    for name, at in (("find_mentions", 2), ("defined_abbreviations", 0),
                     ("written_in_capitals", 0)):
        real = getattr(mentions, name)

        def spy(*args, _real=real, _at=at, **kwargs):
            seen.append(len(args[_at]))
            return _real(*args, **kwargs)

        monkeypatch.setattr(mentions, name, spy)
    value = long_value(200_000)
    rec = {"accession": "S1", "attributes": {"source_name": value, "description": value},
           "text": value}
    out = io.StringIO()
    map_jsonl(io.StringIO(json.dumps(rec) + "\n"), out, grounder, progress=False)
    anns = json.loads(out.getvalue())["annotations"]
    assert anns and seen
    assert max(seen) <= MAX_VALUE_CHARS
    assert {a["source_length"] for a in anns} == {200_000}


def _traced_lines(fn) -> int:
    """Python lines executed by ``fn()`` (an operation count, independent of the host)."""
    n = 0

    def tracer(frame, event, arg):
        nonlocal n
        if event == "line":
            n += 1
        return tracer

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return n


@pytest.mark.parametrize("facet,ordered", [("disease", False), ("tissue", True)])
def test_scanning_work_grows_linearly_with_the_text(grounder, facet, ordered):
    """Four times the text, at most ~four times the work: pairwise checks between mentions
    (organ x class word, mention x negated span) made it grow faster (4.8x for disease in
    unordered text before)."""
    lex = grounder.lexicon
    work = [_traced_lines(lambda k=k: mentions.mention_candidates(
        lex, facet, SENTENCE * k, ordered=ordered)) for k in (25, 100)]
    assert work[1] <= 4.2 * work[0], work


def test_explain_says_how_much_of_a_long_value_was_read():
    value = long_value(3 * MAX_VALUE_CHARS)
    proc = subprocess.run([str(BIN), "explain", value, "--facet", "tissue", "--key",
                           "description", "--no-embeddings"], check=False, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert f"of its {len(value):,} characters were read" in proc.stdout
    assert "UBERON:0002107" in proc.stdout  # liver, named in the part read


def test_written_text_of_many_lines_is_read_up_to_the_limit_in_all():
    """A title and description are read line by line, but never more than ``MAX_VALUE_CHARS``
    of the whole text: a text of a hundred thousand short lines is as bounded as one line."""
    from harmonize.ground.fields import field_values

    text = "Sample 7\n" + "\n".join(f"Replicate {i}, liver biopsy" for i in range(100_000))
    values = field_values({}, text)
    lines = list(dict.fromkeys(v.text for v in values))
    assert lines[0] == "Sample 7" and len(lines) > 100
    assert sum(len(x) + 1 for x in lines) <= MAX_VALUE_CHARS + 1
    assert values[-1].full_length == len(text)  # the last line read says the text was cut
    assert all(v.full_length is None for v in values if v.text == "Sample 7")
