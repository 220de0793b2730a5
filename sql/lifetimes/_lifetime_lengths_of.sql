-- Private: the _lifetime_lengths rows of one (run, layer, buffer), from its generations (p_generations,
-- the name of a table, or Arrow table, holding the _generations_of rows of that layer and buffer:
-- addr, write_cycle, reads, last_read_cycle). A lifetime is a generation with a write and at least one
-- read (the lifetimes view); its length is last_read_cycle - write_cycle.
CREATE OR REPLACE MACRO _lifetime_lengths_of(p_generations, p_run, p_layer, p_buffer) AS TABLE
SELECT
    CAST(p_run AS INTEGER) AS run_id,
    CAST(p_layer AS SMALLINT) AS layer,
    CAST(p_buffer AS VARCHAR) AS buffer,
    last_read_cycle - write_cycle AS lifetime_cycles,
    count(*) AS lifetimes,
    CAST(sum(reads) AS BIGINT) AS reads
FROM query_table(p_generations)
WHERE write_cycle IS NOT NULL AND reads > 0
GROUP BY last_read_cycle - write_cycle;
