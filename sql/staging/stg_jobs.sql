-- kind: staging jobs
-- grain: community_id, placement_id
-- published: no
-- one row per job placement (current version)
SELECT placement_id, community_id, person_id, employer_kind, role, employment_type, started_on, ended_on,
       monthly_income_yuan, coalesce(via_training, false) AS via_training
FROM cur_jobs
