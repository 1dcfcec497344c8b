"""Look up ontology terms by words: python lookup.py PREFIX words...   (PREFIX: UBERON CL MONDO CVCL; PATO ids: PATO:0000383 female, PATO:0000384 male, PATO:0000461 normal)
   or by id:  python lookup.py --id CL:0000236
Prints id, label and synonyms of terms whose label or a synonym contains every word given."""
import sys
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[3].parent / "shared" / "eval"))
from ontology import Ontologies

o = Ontologies()
args = sys.argv[1:]
if not args:
    print(__doc__); sys.exit(1)
if args[0] == "--id":
    for cid in args[1:]:
        t = o.get(cid) or {}
        print(cid, "|", t.get("label"), "| synonyms:", "; ".join(t.get("synonyms") or [])[:300],
              "| deprecated" if t.get("deprecated") else "")
    sys.exit(0)
prefix, words = args[0].upper(), [w.lower() for w in args[1:]]
tab = o.table(prefix)
hits = []
for cid, t in tab.items():
    if t.get("deprecated"):
        continue
    names = [t.get("label") or ""] + list(t.get("synonyms") or [])
    for n in names:
        ln = n.lower()
        if all(w in ln for w in words):
            hits.append((len(n) if n == names[0] else len(n) + 5, cid, t.get("label"), n))
            break
for _, cid, label, n in sorted(hits)[:40]:
    print(cid, "|", label, "" if n == label else f"| (via '{n}')")
print(f"{len(hits)} hits" + (" (40 shown)" if len(hits) > 40 else ""))
