-- 003: views users query directly.

-- best term per sample and facet: accepted before needs_review, then highest confidence
CREATE OR REPLACE VIEW best_annotations AS
SELECT sample_id, facet,
       arg_max(term_id, rank_key)     AS term_id,
       arg_max(term_label, rank_key)  AS term_label,
       arg_max(confidence, rank_key)  AS confidence,
       arg_max(status, rank_key)      AS status,
       arg_max(source_text, rank_key) AS source_text
FROM (
    SELECT *, (CASE WHEN status = 'accepted' THEN 2.0 ELSE 0.0 END) + coalesce(confidence, 0)
              AS rank_key
    FROM annotations
    WHERE term_id IS NOT NULL AND status IN ('accepted', 'needs_review')
)
GROUP BY sample_id, facet;

CREATE OR REPLACE VIEW sample_summary AS
WITH piv AS (
    SELECT sample_id,
        max(term_id)    FILTER (WHERE facet = 'tissue')    AS tissue_id,
        max(term_label) FILTER (WHERE facet = 'tissue')    AS tissue_label,
        max(confidence) FILTER (WHERE facet = 'tissue')    AS tissue_confidence,
        max(term_id)    FILTER (WHERE facet = 'disease')   AS disease_id,
        max(term_label) FILTER (WHERE facet = 'disease')   AS disease_label,
        max(confidence) FILTER (WHERE facet = 'disease')   AS disease_confidence,
        max(term_id)    FILTER (WHERE facet = 'cell_type') AS cell_type_id,
        max(term_label) FILTER (WHERE facet = 'cell_type') AS cell_type_label,
        max(confidence) FILTER (WHERE facet = 'cell_type') AS cell_type_confidence,
        max(term_id)    FILTER (WHERE facet = 'cell_line') AS cell_line_id,
        max(term_label) FILTER (WHERE facet = 'cell_line') AS cell_line_label,
        max(confidence) FILTER (WHERE facet = 'cell_line') AS cell_line_confidence,
        max(term_id)    FILTER (WHERE facet = 'sex')       AS sex_id,
        max(term_label) FILTER (WHERE facet = 'sex')       AS sex_label,
        max(confidence) FILTER (WHERE facet = 'sex')       AS sex_confidence,
        max(term_id)    FILTER (WHERE facet = 'dev_stage') AS dev_stage_id,
        max(term_label) FILTER (WHERE facet = 'dev_stage') AS dev_stage_label,
        max(confidence) FILTER (WHERE facet = 'dev_stage') AS dev_stage_confidence,
        max(term_id)    FILTER (WHERE facet = 'assay')     AS assay_id,
        max(term_label) FILTER (WHERE facet = 'assay')     AS assay_label,
        max(confidence) FILTER (WHERE facet = 'assay')     AS assay_confidence
    FROM best_annotations
    GROUP BY sample_id
), acc AS (
    SELECT sample_id,
        string_agg(DISTINCT accession, ';' ORDER BY accession) FILTER (WHERE kind = 'biosample') AS biosample,
        string_agg(DISTINCT accession, ';' ORDER BY accession) FILTER (WHERE kind = 'gsm')       AS gsm,
        string_agg(DISTINCT accession, ';' ORDER BY accession) FILTER (WHERE kind = 'srs')       AS srs,
        string_agg(DISTINCT accession, ';' ORDER BY accession) FILTER (WHERE kind = 'srx')       AS srx,
        string_agg(DISTINCT accession, ';' ORDER BY accession) FILTER (WHERE kind = 'srr')       AS srr,
        string_agg(DISTINCT accession, ';' ORDER BY accession) FILTER (WHERE kind = 'gse')       AS gse,
        string_agg(DISTINCT accession, ';' ORDER BY accession) FILTER (WHERE kind = 'srp')       AS srp,
        string_agg(DISTINCT accession, ';' ORDER BY accession) FILTER (WHERE kind = 'bioproject') AS bioproject
    FROM sample_accessions
    GROUP BY sample_id
)
SELECT s.sample_id, s.organism, s.taxon_id, s.sources,
       acc.biosample, acc.gsm, acc.srs, acc.srx, acc.srr, acc.gse, acc.srp, acc.bioproject,
       piv.* EXCLUDE (sample_id)
FROM samples s
LEFT JOIN acc USING (sample_id)
LEFT JOIN piv USING (sample_id);

-- values waiting for a curator, most samples touched first
CREATE OR REPLACE VIEW review_queue AS
SELECT a.facet, a.source_text,
       count(DISTINCT a.sample_id)                                   AS n_samples,
       CASE WHEN bool_or(a.term_id IS NOT NULL) THEN 'needs_review' ELSE 'unmapped' END AS status,
       arg_max(a.term_id, coalesce(a.confidence, 0))                 AS term_id,
       arg_max(a.term_label, coalesce(a.confidence, 0))              AS term_label,
       max(a.confidence)                                             AS confidence,
       arg_max(a.candidates, coalesce(a.confidence, 0))              AS candidates
FROM annotations a
WHERE a.status IN ('needs_review', 'unmapped')
  AND NOT EXISTS (
      SELECT 1 FROM curator_overrides o
      WHERE o.facet = a.facet AND lower(trim(o.text)) = lower(trim(a.source_text)))
GROUP BY a.facet, a.source_text;
