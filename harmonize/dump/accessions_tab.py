"""NCBI's ``SRA_Accessions.tab``, loaded columnar by DuckDB (no Python loop over its rows).

It gives every accession its status (live / suppressed / withdrawn / unpublished) and
visibility (public / controlled_access), and the links the XML may lack (run -> experiment ->
sample -> BioSample). A later file replaces the rows of the accessions it lists.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from harmonize.errors import ParseError

HEADER = b"Accession\tSubmission\tStatus"
_COLUMNS = {"accession": "Accession", "submission": "Submission", "status": "Status",
            "updated": "Updated", "published": "Published", "type": "Type",
            "visibility": "Visibility", "alias": "Alias", "experiment": "Experiment",
            "sample": "Sample", "study": "Study", "biosample": "BioSample",
            "bioproject": "BioProject", "replaced_by": "ReplacedBy"}


def load_accessions_tab(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, int]:
    """Load (or refresh) the accessions of one ``SRA_Accessions.tab`` in one transaction.

    Returns:
        Rows loaded by status, e.g. ``{"live": 2410, "suppressed": 200, ...}``.

    Raises:
        ParseError: the file is not an SRA_Accessions.tab or DuckDB cannot read it.
    """
    literal = str(path).replace("'", "''")
    cols = ", ".join(f'trim("{src}") AS {dst}' for dst, src in _COLUMNS.items())
    source = (f"SELECT {cols} FROM read_csv('{literal}', delim = '\t', header = true, "
              "quote = '', escape = '', nullstr = '-', all_varchar = true)")
    con.execute("BEGIN")
    try:
        first = not con.execute("SELECT count(*) FROM sra_accessions").fetchone()[0]
        if first:  # straight from the file into the table: no copy of ~40 M rows in between
            con.execute(f"CREATE OR REPLACE TEMP VIEW _tab AS {source}")
            con.execute(f"INSERT INTO sra_accessions ({', '.join(_COLUMNS)}) "
                        f"SELECT {', '.join(_COLUMNS)} FROM _tab WHERE accession IS NOT NULL")
            counts_sql = "SELECT coalesce(status, '(none)'), count(*) FROM sra_accessions"
        else:  # a later file replaces the rows of the accessions it lists
            con.execute(f"CREATE OR REPLACE TEMP TABLE _tab AS {source}")
            con.execute("DELETE FROM sra_accessions WHERE accession IN "
                        "(SELECT accession FROM _tab)")
            con.execute(f"INSERT INTO sra_accessions ({', '.join(_COLUMNS)}) "
                        f"SELECT {', '.join(_COLUMNS)} FROM _tab WHERE accession IS NOT NULL")
            counts_sql = "SELECT coalesce(status, '(none)'), count(*) FROM _tab"
        counts = dict(con.execute(f"{counts_sql} GROUP BY 1 ORDER BY 1").fetchall())
        con.execute("DROP VIEW _tab" if first else "DROP TABLE _tab")
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        first = str(exc).splitlines()[0]
        raise ParseError(f"cannot read as SRA_Accessions.tab: {first}", origin=str(path)) from None
    return counts
