"""Turn a writer's blind set into the file ``bench/blind_eval.py`` reads.

    python bench/blind/writing/convert.py WRITER_DIR SET [OUT_DIR]   # -> bench/blind/SET.jsonl.gz
    python bench/blind/writing/convert.py WRITER_DIR SETt --text     # GEO records as text

``WRITER_DIR`` holds what a helper session wrote from one of the briefs here: ``records.jsonl``
(SRA records with ``attributes``; GEO records with ``title``, ``source_name``,
``characteristics`` and ``description``) or ``series.jsonl`` (GEO series with ``members`` and
``gold_disease``). A GEO record is mapped as the pipeline reads one: its source name and
characteristics as attributes, its title and description as text. A series member becomes the
bag of words txt2onto 1.0 made of a sample's own words (lower case; punctuation, words with
digits and stop words dropped; no series title), as the dev series' members are; the series'
gold keeps its diseases and drops the healthy state, which the dev series' label space does not
have. With ``--text`` a GEO set's records become such texts too, their gold kept: the kind of
the GEO-text dev file (txt2onto 1.0's texts, tissue and cell type gold).
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

BLIND = Path(__file__).resolve().parents[1]
#: NLTK's English stop words, which txt2onto drops: none of 'no', 'not', 'all', 'after' or
#: 'against' is in the dev files' 7,164 txt2onto texts ('without' and 'none', not in the list,
#: are).
STOP = frozenset("""
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
her hers herself it its itself they them their theirs themselves what which who whom this that
these those am is are was were be been being have has had having do does did doing a an the and
but if or because as until while of at by for with about against between into through during
before after above below to from up down in out on off over under again further then once here
there when where why how all any both each few more most other some such no nor not only own same
so than too very can will just don should now ain aren couldn didn doesn hadn hasn haven isn ma
mightn mustn needn shan shouldn wasn weren won wouldn youre youve youll youd shes its thatll dont
shouldve arent couldnt didnt doesnt hadnt hasnt havent isnt mightnt mustnt neednt shant shouldnt
wasnt werent wont wouldnt""".split())
HEALTHY = "PATO:0000461"


def bag_of_words(*parts: str | None) -> str:
    """txt2onto's preprocessing as the dev files show it: lower case, punctuation deleted
    within a word ('T-cell' -> 'tcell', 'ATCC/DSMZ' -> 'atccdsmz'), words holding a digit
    ('MCF-7', 'pt12_RA', a day's number) and one-letter words dropped, stop words dropped. (Of the
    dev files' 7,164 txt2onto texts none holds a digit, a one-letter word or 'cd' from a
    'CD34'; 'tcell' is written 244 times, 't cell' never; 'crohn' 144 times, 'crohns' never.
    txt2onto also lemmatizes, 'patients' to 'patient': not done here, the grounder reads
    plurals alike.)"""
    text = re.sub(r"['\u2019]s\b", " ", " ".join(p for p in parts if p).lower())  # Crohn's
    glued = re.sub(r"[^\w\s]|_", "", text)
    return " ".join(w for w in glued.split()
                    if len(w) > 1 and w.isalpha() and w.isascii() and w not in STOP)


def member_text(m: dict) -> str:
    """A GEO record as txt2onto's text: its title, source name, the values of its
    characteristics (not their keys: of the dev files' 7,164 texts one holds 'state', as in
    'disease state') and its description, as :func:`bag_of_words`."""
    values = [str(v) for v in (m.get("characteristics") or {}).values()]
    return bag_of_words(m.get("title"), m.get("source_name"), *values, m.get("description"))


def text_record(r: dict) -> dict:
    """A GEO sample record turned into txt2onto's text (the GEO-text dev file's kind), its
    gold kept."""
    gold = {k: [v] if isinstance(v, str) else v for k, v in r["gold"].items()}
    return {"accession": r["accession"], "source": "geo", "series": r["series"],
            "attributes": {}, "text": member_text(r), "gold": gold}


def series_records(lines: list[dict]) -> list[dict]:
    """Member records (input) and series records (gold) of a series set."""
    out, golds = [], []
    for s in lines:
        for m in s["members"]:
            out.append({"accession": m["accession"], "source": "geo", "series": s["series"],
                        "attributes": {}, "text": member_text(m)})
        golds.append({"accession": s["series"], "source": "geo", "series": s["series"],
                      "attributes": {}, "text": None, "level": "series",
                      "members": [m["accession"] for m in s["members"]],
                      "gold": {"disease": [d for d in s["gold_disease"] if d != HEALTHY]}})
    return out + golds


def sample_record(r: dict) -> dict:
    """One SRA or GEO record with its gold (a single sample type as a list)."""
    if r.get("source") == "geo" or "source_name" in r:
        attrs = {"source_name": r["source_name"]} if r.get("source_name") else {}
        attrs.update(r.get("characteristics") or {})
        text = "\n".join(p for p in (r.get("title"), r.get("description")) if p and p.strip())
        rec = {"accession": r["accession"], "source": "geo", "series": r["series"],
               "attributes": attrs, "text": text or None}
    else:
        rec = {"accession": r["accession"], "source": "sra", "series": r.get("series"),
               "attributes": r["attributes"], "text": r.get("text")}
    gold = {k: [v] if isinstance(v, str) else v for k, v in r["gold"].items()}
    return {**rec, "gold": gold}


def main(argv: list[str]) -> int:
    """Command-line entry point."""
    bag = "--text" in argv
    argv = [a for a in argv if a != "--text"]
    if len(argv) not in (2, 3):
        print(__doc__)
        return 2
    folder, name = Path(argv[0]), argv[1]
    out_dir = Path(argv[2]) if len(argv) == 3 else BLIND
    series = folder / "series.jsonl"
    source = series if series.is_file() else folder / "records.jsonl"
    lines = [json.loads(line) for line in source.open(encoding="utf-8") if line.strip()]
    if bag and (source == series or any(r.get("source") == "sra" for r in lines)):
        print(f"error: --text turns GEO sample records into text; {source} holds others",
              file=sys.stderr)
        return 2
    records = (series_records(lines) if source == series
               else [text_record(r) if bag else sample_record(r) for r in lines])
    with gzip.open(out_dir / f"{name}.jsonl.gz", "wt", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{name}: {len(records)} records -> {out_dir / (name + '.jsonl.gz')}; add a row to "
          f"{BLIND / 'sets.tsv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
