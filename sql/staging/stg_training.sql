-- kind: staging training
-- grain: community_id, session_id, participant_id
-- published: no
-- one row per session × participant (current version)
SELECT session_id, community_id, course_type, session_date, participant_id, age_band, attended,
       age_band IN ('60-69', '70+') AS is_elderly
FROM cur_training
