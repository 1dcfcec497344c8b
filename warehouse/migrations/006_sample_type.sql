-- 006: the sample_type facet in sample_summary.
-- sample_type is one of tissue, cell_line, primary_cells, in_vitro_differentiated_cells,
-- stem_cells, induced_pluripotent_stem_cells, organoid (stored in annotations like any facet,
-- term_id = the type); origin_tissue is the organ a cultured sample came from, which is not
-- its tissue (tissue_id stays empty for it). The precomputed summary (migration 005) gains
-- their columns, in harmonize.models.FACETS order (harmonize/warehouse/materialize.py).

ALTER TABLE summary_rows ADD COLUMN IF NOT EXISTS sample_type_id VARCHAR;
ALTER TABLE summary_rows ADD COLUMN IF NOT EXISTS sample_type_label VARCHAR;
ALTER TABLE summary_rows ADD COLUMN IF NOT EXISTS sample_type_confidence DOUBLE;
ALTER TABLE summary_rows ADD COLUMN IF NOT EXISTS origin_tissue_id VARCHAR;
ALTER TABLE summary_rows ADD COLUMN IF NOT EXISTS origin_tissue_label VARCHAR;
ALTER TABLE summary_rows ADD COLUMN IF NOT EXISTS origin_tissue_confidence DOUBLE;

-- the materialized rows are stale until the next publish rebuilds them
DELETE FROM meta WHERE key = 'materialized_snapshot';

-- every facet as <facet>_id/_label/_confidence; `sample_type` is kept as a short alias
CREATE OR REPLACE VIEW sample_summary AS
SELECT * EXCLUDE (sample_key), sample_type_id AS sample_type
FROM summary_rows;
