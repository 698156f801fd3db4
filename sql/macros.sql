-- grain: none; period helpers shared by every model (weeks are ISO weeks starting Monday)
CREATE OR REPLACE MACRO period_start(g, ts) AS
    CASE WHEN g = 'week' THEN date_trunc('week', ts)::DATE ELSE date_trunc('month', ts)::DATE END;
CREATE OR REPLACE MACRO period_next(g, p) AS
    CASE WHEN g = 'week' THEN (p + INTERVAL 7 DAY) ELSE (p + INTERVAL 1 MONTH) END::TIMESTAMP;
CREATE OR REPLACE MACRO hours_between(a, b) AS date_diff('microsecond', a, b) / 3600000000.0;
CREATE OR REPLACE MACRO ceil_hour(ts) AS
    CASE WHEN ts = date_trunc('hour', ts) THEN ts ELSE date_trunc('hour', ts) + INTERVAL 1 HOUR END;
-- The full hour at or after ts as a number (hours since 1900-01-01 00:00; every time Linli keeps is later), to
-- group and join hours by: integer arithmetic, where date_trunc over 4 M parcels cost more than their grouping.
CREATE OR REPLACE MACRO hour_number(ts) AS (date_diff('microsecond', TIMESTAMP '1900-01-01', ts) + 3599999999) // 3600000000;
-- The one "open at" rule: an event opened at `opened` and closed at `closed` (NULL: not yet) is open at
-- instant t. A complaint unresolved, a job held at a period's end (t = period_next); an event an
-- incremental build must keep because it is still open where the recomputation starts (t = t_from).
CREATE OR REPLACE MACRO open_at(opened, closed, t) AS opened < t AND (closed IS NULL OR closed >= t);
