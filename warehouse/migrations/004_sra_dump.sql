-- 004: SRA bulk dump staging and SRA_Accessions.tab statuses.

-- every kept INSDC object of the SRA metadata dumps (and single SAMPLE_SET/EXPERIMENT_SET/...
-- files), one row per (kind, accession): the latest version wins. Links between objects are
-- resolved globally from these rows, across members, files and runs. `pending` marks rows
-- changed since the last link pass.
CREATE TABLE IF NOT EXISTS dump_objects (
    kind          VARCHAR NOT NULL,   -- sample | experiment | run | study
    accession     VARCHAR NOT NULL,
    alias         VARCHAR,
    submission    VARCHAR,
    ref_accession VARCHAR,            -- experiment: its sample; run: its experiment
    ref_name      VARCHAR,            -- the same link by refname, when given
    study         VARCHAR,            -- experiment: STUDY_REF accession
    xml           BLOB,
    content_hash  VARCHAR NOT NULL,
    pending       BOOLEAN NOT NULL
);

-- how far each dump file got: a killed backfill resumes after members_done members
CREATE TABLE IF NOT EXISTS dump_sources (
    source_key   VARCHAR PRIMARY KEY,
    path         VARCHAR,
    members_done BIGINT,
    complete     BOOLEAN,
    counts       JSON,
    updated_at   TIMESTAMP
);

-- NCBI's SRA_Accessions.tab, one row per accession (NULL where the file has '-')
CREATE TABLE IF NOT EXISTS sra_accessions (
    accession   VARCHAR NOT NULL,
    submission  VARCHAR,
    status      VARCHAR,
    updated     VARCHAR,
    published   VARCHAR,
    type        VARCHAR,
    visibility  VARCHAR,
    alias       VARCHAR,
    experiment  VARCHAR,
    sample      VARCHAR,
    study       VARCHAR,
    biosample   VARCHAR,
    bioproject  VARCHAR,
    replaced_by VARCHAR
);

-- a sample's SRA status: the worst status of its SRA sample and experiment accessions
-- (withdrawn > suppressed > unpublished > live; a suppressed run alone does not hide its sample)
-- and whether any of them, runs included, is controlled access.
-- Samples SRA_Accessions.tab does not list have no row (treated as live).
CREATE OR REPLACE VIEW sample_status AS
SELECT sa.sample_id,
       arg_max(t.status, CASE t.status WHEN 'withdrawn' THEN 3 WHEN 'suppressed' THEN 2
                                       WHEN 'unpublished' THEN 1 ELSE 0 END)
           FILTER (WHERE sa.kind IN ('srs', 'srx')) AS status,
       bool_or(t.visibility = 'controlled_access') AS controlled_access
FROM sample_accessions sa
JOIN sra_accessions t ON t.accession = sa.accession
WHERE sa.kind IN ('srs', 'srx', 'srr')
GROUP BY sa.sample_id;
