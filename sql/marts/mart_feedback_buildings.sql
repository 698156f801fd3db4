-- kind: period
-- grain: community_id, grain, period_start, building_id
-- published: yes
-- one row per community × grain × period × building with feedback or noise complaints in the period
WITH feedback AS (
    SELECT community_id, g.grain, period_start(g.grain, surveyed_on) AS period_start, building_id,
           count(*) AS responses,
           count(*) FILTER (WHERE rating = 'dissatisfied') AS dissatisfied,
           count(late_noise) AS late_noise_asked,
           count(*) FILTER (WHERE late_noise) AS late_noise_yes
    FROM stg_feedback CROSS JOIN (VALUES ('week'), ('month')) g(grain)
    WHERE building_id IS NOT NULL
    GROUP BY ALL
),
noise AS (
    SELECT community_id, grain, period_start, building_id, sum(complaints) AS noise_complaints
    FROM mart_noise_buildings GROUP BY ALL
),
final AS (
    SELECT community_id, grain, period_start, building_id,
           coalesce(f.responses, 0) AS responses,
           coalesce(f.dissatisfied, 0) AS dissatisfied,
           f.dissatisfied / nullif(f.responses, 0) AS dissatisfied_share,
           f.late_noise_yes / nullif(f.late_noise_asked, 0) AS late_noise_share,
           coalesce(n.noise_complaints, 0) AS noise_complaints
    FROM feedback f FULL JOIN noise n USING (community_id, grain, period_start, building_id)
)
SELECT * FROM final
