"""Pure string normalization shared by the lexicon and every matcher.

Three views of a text are used:

* :func:`normalize` - NFKC, lower case, Greek letters spelled out, punctuation to spaces,
  conservative singular of each token ("T cells" -> "t cell").
* :func:`compact` - :func:`normalize` without any separator ("HEK-293" -> "hek293"), used for
  cell-line names where spacing and dashes are arbitrary.
* :func:`variants` - the normalized text plus the same text with noise words removed
  ("liver tissue" -> "liver", "biopsy of colon" -> "colon").

``NORMALIZER_VERSION`` is part of the lexicon version: bump it when any rule here changes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from harmonize.ground.rules import enabled, filled, mapping, words

NORMALIZER_VERSION = "8"

_GREEK = mapping("greek_letters") if enabled("greek_letters") else {}
#: Placeholder values (normalized); an empty value is always null.
_NULLS = (words("null_values") if enabled("null_values") else frozenset()) | {""}
#: Words that say *what kind of sample* it is, not *what it is*; dropped in a variant.
NOISE_WORDS = words("noise_words") if enabled("noise_words") else frozenset()
#: Tokens never singularized (Latin/Greek singulars ending in s, and words where -s matters).
_KEEP_S = words("keep_s") if enabled("keep_s") else frozenset()
#: Longer kept words also kept at the end of a compound ('prediabetes').
_KEEP_S_ENDINGS = tuple(w for w in _KEEP_S if len(w) >= 7)
_PUNCT = re.compile(r"[^0-9a-z+]+")
_SPACE = re.compile(r"\s+")


_GREEK_TABLE = str.maketrans({ch: f" {name} " for ch, name in _GREEK.items()})


@lru_cache(maxsize=131_072)
def fold(text: str) -> str:
    """NFKC, Greek letters spelled out, lower case, whitespace collapsed.

    >>> fold("  TNF-α  treated "), fold("naïve ＣＤ4")
    ('tnf- alpha treated', 'naive cd4')
    """
    if not text.isascii():  # ASCII text has no compatibility forms, Greek or accents
        text = unicodedata.normalize("NFKC", text).translate(_GREEK_TABLE)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SPACE.sub(" ", text.lower()).strip()


#: British spellings and the American ones the ontologies' labels use ('haematopoietic',
#: 'leukaemia', 'oesophageal', 'tumour'): rewritten on both sides of a lookup.
_SPELLINGS = (tuple((r["british"], r["american"]) for r in filled("spellings", "british",
                                                                  "american"))
              if enabled("spelling_variants") else ())


@lru_cache(maxsize=131_072)
def american(token: str) -> str:
    """A token with its British spellings written the American way (the rewrites in file
    order, each on the result of the ones before; memoized: a few thousand words recur).

    >>> [american(t) for t in ("haematopoietic", "leukaemia", "oesophageal", "tumour", "liver")]
    ['hematopoietic', 'leukemia', 'esophageal', 'tumor', 'liver']
    >>> american("haemopoietic")
    'hemopoietic'
    """
    for british, us in _SPELLINGS:
        if british in token:
            token = token.replace(british, us)
    return token


#: Latin and Greek plurals of anatomy words, which no English rule gives back.
_IRREGULAR = mapping("irregular_plurals") if enabled("irregular_plurals") else {}


@lru_cache(maxsize=131_072)
def singular(token: str) -> str:
    """Conservative English singular of one lower-case token.

    >>> [singular(t) for t in ["cells", "testis", "arteries", "leukocytes", "lymphocytes", "ms"]]
    ['cell', 'testis', 'artery', 'leukocyte', 'lymphocyte', 'ms']
    >>> [singular(t) for t in ["cortices", "glomeruli", "epithelia", "testes", "prediabetes"]]
    ['cortex', 'glomerulus', 'epithelium', 'testis', 'prediabetes']
    """
    if token in _IRREGULAR:
        return _IRREGULAR[token]
    if len(token) <= 3 or token in _KEEP_S or not token.isalpha():
        return token
    if token.endswith(_KEEP_S_ENDINGS):  # 'prediabetes'
        return token
    if token.endswith(("itis", "osis", "ysis", "asis", "esis", "us", "ss", "is")):
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("ches", "shes", "xes", "sses")):
        return token[:-2]
    if token.endswith("s"):
        return token[:-1]
    return token


_POSITIVE = re.compile(r"\b([a-z]+[0-9]+[a-z]*)[\s-]?positive\b")
#: a CD marker ended by a minus sign ("CD38-", "CD4-CD8-"): negative, as CL writes it in words;
#: so is any word ended by one that ends the value or stands before another word ("HCV-",
#: "IgD-)", "HCV-, HBV+"), but a prefix whose word comes after ("pre- and post-treatment")
#: (nor a name whose Greek letter was spelled out after its hyphen: "TNF-α" is "tnf- alpha")
_MINUS = re.compile(r"\b(cd[0-9]+[a-z]*)-(?=$|[^0-9a-z]|cd[0-9])"
                    r"|\b([a-z][a-z0-9]+)-(?=\s*$|[),;:/]|\s+(?!(?:"
                    + "|".join(["and", "or", "to", *sorted(set(_GREEK.values()))])
                    + r")\b|&)[a-z0-9(])")


#: A remark in parentheses ("Control (never smoked)", "Skin - Sun Exposed (Lower leg)").
PARENTHESIS = re.compile(r"\(([^()]*)\)")


_PLUS_JOIN = re.compile(r"\+(?=[0-9a-z])")
_ACRONYM_S = re.compile(r"\b[A-Z][A-Z0-9]+S\b")
_ACRONYM_PLURAL = re.compile(r"\b([A-Z][A-Z0-9]*[A-Z])s\b")
_ACRONYM_RULE = enabled("acronym_plural")
_MARKER_RULE = enabled("marker_positive")


def tokens(text: str) -> list[str]:
    """Normalized tokens of a text (punctuation splits tokens; '+' is kept).

    Marker positivity is written one way: "CD14-positive" -> "cd14+", and a CD marker's minus
    sign as CL's labels write it: "CD38-" -> "cd38 negative". A capitalised acronym
    ending in S is not a plural ("AIDS" is not "AID"), unless a text of several words is all in
    capitals.

    >>> tokens("AIDS patients"), tokens("AIDS"), tokens("AID degron"), tokens("BLOOD CELLS")
    (['aids', 'patient'], ['aids'], ['aid', 'degron'], ['blood', 'cell'])
    >>> tokens("alveolar type II cells"), tokens("iPSC-CMs"), tokens("CD4+CD25+ cells")
    (['alveolar', 'type', '2', 'cell'], ['ipsc', 'cm'], ['cd4+', 'cd25+', 'cell'])
    >>> tokens("CD34+CD38- cells"), tokens("CD4-CD8- T cells")
    (['cd34+', 'cd38', 'negative', 'cell'], ['cd4', 'negative', 'cd8', 'negative', 't', 'cell'])
    >>> tokens("HCV- donor"), tokens("IgD-"), tokens("pre- and post-treatment")
    (['hcv', 'negative', 'donor'], ['igd', 'negative'], ['pre', 'and', 'post', 'treatment'])
    """
    shouted = not any(ch.islower() for ch in text) and len(text.split()) > 1
    keep: set[str] | tuple = ()
    if _ACRONYM_RULE:
        keep = () if shouted else {m.lower() for m in _ACRONYM_S.findall(text)}
        text = _ACRONYM_PLURAL.sub(r"\1", text)  # "iPSC-CMs", "DCs": short acronyms in plural
    folded = fold(text)
    if _MARKER_RULE:
        folded = _MINUS.sub(lambda m: f"{m.group(1) or m.group(2)} negative ",
                            _POSITIVE.sub(r"\1+", folded))
    # a '+' ends a marker and also separates words ('CD4+CD25+', 'SVZ+caudate')
    flat = _PLUS_JOIN.sub("+ ", _PUNCT.sub(" ", folded))
    out = [t if t in keep else _ORDINAL.get(t) or singular(american(t)) for t in flat.split()]
    return [_ROMAN.get(t, t) if i and out[i - 1] in _NUMBERED else t for i, t in enumerate(out)]


#: "type II alveolar cell", "grade III": a Roman numeral after these words is written in digits.
_NUMBERED = words("numbering_words") if enabled("roman_numerals") else frozenset()
_ROMAN = mapping("roman_numerals")
#: "3rd ventricle", "2nd trimester": an ordinal in digits is written as its word.
_ORDINAL = mapping("ordinals") if enabled("ordinal_words") else {}


@lru_cache(maxsize=131_072)
def normalize(text: str) -> str:
    """The lookup form of a text (memoized: the same values recur across millions of samples).

    >>> normalize("Peripheral Blood Mononuclear Cells (PBMCs)")
    'peripheral blood mononuclear cell pbmc'
    >>> normalize("CD4+ T-cells")
    'cd4+ t cell'
    """
    return " ".join(tokens(text))


def compact(text: str) -> str:
    """Normalized text with every separator removed (cell-line names).

    >>> compact("HEK 293"), compact("hek-293"), compact("RS4;11")
    ('hek293', 'hek293', 'rs411')
    """
    return re.sub(r"[^0-9a-z]", "", fold(text))


@lru_cache(maxsize=131_072)
def is_null(text: str | None) -> bool:
    """True for empty and placeholder values ("N/A", "missing", "not applicable", "-", "?").

    >>> is_null("N/A"), is_null("--"), is_null("liver")
    (True, True, False)
    """
    if text is None:
        return True
    flat = _SPACE.sub(" ", _PUNCT.sub(" ", fold(text))).strip()
    return flat in _NULLS


def strip_noise(norm: str) -> str:
    """Drop noise words from a normalized text; keeps the text if nothing would remain.

    >>> strip_noise("liver tissue"), strip_noise("tissue")
    ('liver', 'tissue')
    """
    kept = [t for t in norm.split() if t not in NOISE_WORDS]
    return " ".join(kept) if kept else norm


def variants(text: str) -> list[str]:
    """Lookup forms of a raw value, most faithful first (no duplicates)."""
    norm = normalize(text)
    out = [norm]
    stripped = strip_noise(norm)
    if stripped != norm:
        out.append(stripped)
    return [v for v in out if v]
