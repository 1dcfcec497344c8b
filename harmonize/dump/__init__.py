"""Bulk loading of NCBI's dumps: the SRA metadata tar.gz (full and daily increments), extracted
folder trees and single INSDC object files, ``SRA_Accessions.tab`` and ``biosample_set.xml.gz``.

The pieces, in the order data flows:

* :mod:`.members` reads a dump once, sequentially (tar stream mode, never extracted);
* :mod:`.stage` parses member batches into objects, filters them (:mod:`.filters`) and stores
  the kept ones in ``dump_objects`` (resumable per committed batch);
* :mod:`.link` resolves experiment -> sample / study and run -> experiment globally in SQL and
  loads one SRA record per experiment through the normal warehouse upsert;
* :mod:`.accessions_tab` and :mod:`.biosample_dump` load the two companion files;
* :mod:`.backfill` ties them together for ``harmonize ingest`` and ``harmonize backfill``.
"""
