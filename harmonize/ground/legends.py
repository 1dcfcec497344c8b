"""Codes a sample defines in another of its values (rule ``legends``).

Submitters code their groups and explain the codes in a legend: 'diagnosis: CTL' beside
'group legend: NB = nephroblastoma, favourable histology; CTL = control without
neurological disease'. The legend names every group of the study, so read as it stands it would give the
sample all of them; the code alone says little ('CTL', 'HV'). A value that is a list of at least two
'<code> = <definition>' entries, or of '<code>: <definition>' entries one of whose codes is the
whole of another value of the sample, is a legend: a value that is one of its codes is read as
its definition, and the legend itself names nothing of the sample.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from harmonize.ground.rules import enabled

ON = enabled("legends")
#: One entry of a legend: a short code, '=' or ':', its definition.
_ENTRY = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9+/._-]{0,11})\s*[=:]\s*(\S.*?)\s*$")
#: What separates a legend's entries.
_SEPARATOR = re.compile(r"\s*[;\n|]\s*")


def legend(value: str) -> dict[str, str]:
    """The entries of a value written as a legend (code, lower case -> definition), or ``{}``.

    >>> legend("NB = nephroblastoma; C = control, no disease")
    {'nb': 'nephroblastoma', 'c': 'control, no disease'}
    >>> legend("group: COPD"), legend("age: 61")
    ({}, {})
    """
    parts = [p for p in _SEPARATOR.split(value) if p]
    found = [_ENTRY.match(p) for p in parts]
    if len(parts) < 2 or not all(found):
        return {}
    return {m.group(1).lower(): m.group(2) for m in found if m}


def read_legends(attributes: Mapping[str, str]) -> Mapping[str, str]:
    """``attributes`` with each value that is a code of a legend of the sample replaced by its
    definition and the legends left out; the same mapping when there is none (pure).

    >>> read_legends({"status": "C", "key": "NB = nephroblastoma; C = control, no disease"})
    {'status': 'control, no disease'}
    >>> read_legends({"characteristics": "group: COPD; age: 61", "group": "COPD"})["group"]
    'COPD'
    """
    if not ON:
        return attributes
    legends = {k: entries for k, v in attributes.items()
               if isinstance(v, str) and _SEPARATOR.search(v) and (entries := legend(v))}
    if not legends:
        return attributes
    codes = {k: v.strip().lower() for k, v in attributes.items()
             if isinstance(v, str) and k not in legends}
    # written with '=' a list is a legend anyway; with ':' it may be the sample's own pairs
    # ('characteristics: group: COPD; age: 61') unless another value is one of its codes
    used = {k for k, entries in legends.items() if any(c in entries for c in codes.values())
            or attributes[k].count("=") >= len(entries)}
    if not used:
        return attributes
    out: dict[str, str] = {}
    for k, v in attributes.items():
        if k in used:
            continue
        code = codes.get(k)
        said = next((entries[code] for u in used if code and code in (entries := legends[u])),
                    None)
        out[k] = said if said is not None else v
    return out
