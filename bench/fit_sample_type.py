"""Fit ``ontologies/sample_type_model.json`` on a labelled sample-type file (all of it).

    .venv/bin/python bench/fit_sample_type.py                      # the dev file of ../shared/eval
    .venv/bin/python bench/fit_sample_type.py path/to/labelled.jsonl

Every sample is grounded (other facets only), its features computed
(:mod:`harmonize.ground.sample_type_features`), and a multinomial logistic regression with a
grouped-CV temperature is fitted (:func:`harmonize.ground.sample_type_fit.fit_model`). The
figures to quote are the cross-validated ones of ``bench_sample_type.py``, never this fit's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_dev import eval_dir

from harmonize.ground.sample_type import MODEL_PATH
from harmonize.ground.sample_type_fit import (
    fit_model,
    labelled_matrix,
    read_labelled,
)

#: No labelled organoids: the organoid words decide with this probability (a prior, not a fit).
ORGANOID_CONFIDENCE = 0.7


def grounder_for_features():
    """The default grounder without the sample-type step (the features read the other facets)."""
    from harmonize.ground import Grounder, load_lexicon, load_overrides

    return Grounder(load_lexicon(), overrides=load_overrides(), sample_type=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path", nargs="?", default=None, help="labelled JSONL (default: dev file)")
    ap.add_argument("-o", "--output", default=str(MODEL_PATH))
    args = ap.parse_args(argv)
    path = Path(args.path) if args.path else eval_dir() / "metasra_sampletype_dev.jsonl"
    if not path.exists():
        print(f"{path}: not found; pass a labelled JSONL file", file=sys.stderr)
        return 2
    X, y, groups, _ = labelled_matrix(read_labelled(path), grounder_for_features())
    model = fit_model(X, y, groups)
    model["organoid"] = {"confidence": ORGANOID_CONFIDENCE,
                         "reason": "no labelled organoids: a sample whose values name an "
                                   "organoid (sample_type_words.tsv) is one, with this prior"}
    model["accept"] = 0.5
    model["fitted_on"] = path.name
    Path(args.output).write_text(json.dumps(model, indent=1) + "\n")
    print(f"fitted on {len(y)} samples: C={model['C']} temperature={model['temperature']} "
          f"-> {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
