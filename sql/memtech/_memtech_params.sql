-- Per SCALE-Sim run: the comparison's parameters (memtech_settings, else the defaults 1 GHz clock,
-- 16-bit words, 1 us threshold, 22 nm, retention factor 1) and the run's runtime (sum of its
-- layers' Total Cycles).
CREATE OR REPLACE VIEW _memtech_params AS
SELECT
    c.run_id,
    coalesce(s.clock_hz, 1e9) AS clock_hz,
    coalesce(s.word_bits, 16) AS word_bits,
    coalesce(s.threshold_s, 1e-6) AS threshold_s,
    coalesce(s.node_nm, 22.0) AS node_nm,
    coalesce(s.retention_factor, 1.0) AS retention_factor,
    sum(c.total_cycles) AS runtime_cycles
FROM compute_report AS c
LEFT JOIN memtech_settings AS s USING (run_id)
GROUP BY ALL;
