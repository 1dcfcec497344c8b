-- 005: the sample_type facet in sample_summary.
-- sample_type is one of tissue, cell_line, primary_cells, in_vitro_differentiated_cells,
-- stem_cells, induced_pluripotent_stem_cells, organoid (stored in annotations like any facet,
-- term_id = the type); origin_tissue is the organ a cultured sample came from, which is not
-- its tissue (tissue_id stays empty for it).

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
        max(confidence) FILTER (WHERE facet = 'assay')     AS assay_confidence,
        max(term_id)    FILTER (WHERE facet = 'sample_type')   AS sample_type,
        max(confidence) FILTER (WHERE facet = 'sample_type')   AS sample_type_confidence,
        max(term_id)    FILTER (WHERE facet = 'origin_tissue') AS origin_tissue_id,
        max(term_label) FILTER (WHERE facet = 'origin_tissue') AS origin_tissue_label,
        max(confidence) FILTER (WHERE facet = 'origin_tissue') AS origin_tissue_confidence
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
