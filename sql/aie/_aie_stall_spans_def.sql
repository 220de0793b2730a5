-- Private: the definition of the table _aie_stall_spans: every core's LOCK_STALL begins and ends
-- paired in time order (see _aie_greedy_pairs).
CREATE OR REPLACE VIEW _aie_stall_spans_def AS
SELECT run_id, pid, pair_index AS stall_index, open_ts AS begin_ts, close_ts AS end_ts, duration_cycles
FROM _aie_greedy_pairs
WHERE kind = 'stall';
