-- kind: staging feedback
-- grain: community_id, response_id
-- published: no
-- one row per feedback response (current version): one household asked in the monthly noise round
SELECT response_id, community_id, surveyed_on, building_id, rating, late_noise, comment
FROM cur_feedback
