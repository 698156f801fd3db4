-- grain: none; period helpers shared by every model (weeks are ISO weeks starting Monday)
CREATE OR REPLACE MACRO period_start(g, ts) AS
    CASE WHEN g = 'week' THEN date_trunc('week', ts)::DATE ELSE date_trunc('month', ts)::DATE END;
CREATE OR REPLACE MACRO period_next(g, p) AS
    CASE WHEN g = 'week' THEN (p + INTERVAL 7 DAY) ELSE (p + INTERVAL 1 MONTH) END::TIMESTAMP;
CREATE OR REPLACE MACRO hours_between(a, b) AS date_diff('microsecond', a, b) / 3600000000.0;
CREATE OR REPLACE MACRO ceil_hour(ts) AS
    CASE WHEN ts = date_trunc('hour', ts) THEN ts ELSE date_trunc('hour', ts) + INTERVAL 1 HOUR END;
