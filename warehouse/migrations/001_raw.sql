-- 001: raw layer — samples and everything the sources said about them, plus run bookkeeping.
-- Identity: samples.sample_id is the BioSample accession when known, else GSM, else SRS, else SRX.

CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

CREATE TABLE IF NOT EXISTS samples (
    sample_id   VARCHAR PRIMARY KEY,
    organism    VARCHAR,
    taxon_id    BIGINT,
    title       VARCHAR,
    sources     VARCHAR[],
    first_seen  TIMESTAMP,
    updated_at  TIMESTAMP,
    description VARCHAR
);

-- every accession a record names -> its sample; sample-level kinds map to exactly one sample,
-- study-level kinds (gse, srp, bioproject) link many samples.
CREATE TABLE IF NOT EXISTS sample_accessions (
    accession VARCHAR NOT NULL,
    sample_id VARCHAR NOT NULL,
    kind      VARCHAR,
    source    VARCHAR
);

-- one row per source record; content_hash decides unchanged / updated
CREATE TABLE IF NOT EXISTS records (
    source           VARCHAR NOT NULL,
    record_accession VARCHAR NOT NULL,
    sample_id        VARCHAR NOT NULL,
    content_hash     VARCHAR NOT NULL,
    updated          VARCHAR,
    published        VARCHAR,
    first_seen       TIMESTAMP,
    last_seen        TIMESTAMP,
    run_id           VARCHAR
);

CREATE TABLE IF NOT EXISTS sample_attributes (
    sample_id        VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    record_accession VARCHAR NOT NULL,
    key              VARCHAR,
    value            VARCHAR,
    harmonized_key   VARCHAR,
    ord              INTEGER
);

CREATE TABLE IF NOT EXISTS libraries (
    sample_id        VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    record_accession VARCHAR NOT NULL,
    strategy         VARCHAR,
    source_kind      VARCHAR,
    selection        VARCHAR,
    layout           VARCHAR,
    protocol         VARCHAR,
    instrument       VARCHAR,
    platform         VARCHAR
);

CREATE TABLE IF NOT EXISTS runs (
    run_accession    VARCHAR NOT NULL,
    experiment       VARCHAR,
    sample_id        VARCHAR NOT NULL,
    total_spots      BIGINT,
    total_bases      BIGINT,
    published        VARCHAR,
    source           VARCHAR,
    record_accession VARCHAR
);

CREATE TABLE IF NOT EXISTS studies (
    accession  VARCHAR PRIMARY KEY,
    kind       VARCHAR,
    first_seen TIMESTAMP
);

CREATE TABLE IF NOT EXISTS harvest_runs (
    run_id       VARCHAR PRIMARY KEY,
    flow         VARCHAR,
    source       VARCHAR,
    status       VARCHAR,
    started_at   TIMESTAMP,
    finished_at  TIMESTAMP,
    window_start DATE,
    window_end   DATE,
    watermark    DATE,
    counts       JSON,
    message      VARCHAR,
    params       JSON
);

CREATE TABLE IF NOT EXISTS harvest_progress (
    plan_key     VARCHAR NOT NULL,
    batch_index  INTEGER NOT NULL,
    run_id       VARCHAR,
    committed_at TIMESTAMP,
    PRIMARY KEY (plan_key, batch_index)
);

CREATE TABLE IF NOT EXISTS rejects (
    run_id     VARCHAR,
    origin     VARCHAR,
    record_id  VARCHAR,
    reason     VARCHAR,
    raw        BLOB,
    created_at TIMESTAMP
);
