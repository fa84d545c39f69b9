-- Back to version 5: the event manager tables go.
DROP TABLE IF EXISTS {p}event_schedule_runs
-- +statement
DROP TABLE IF EXISTS {p}event_rules_actions
-- +statement
DROP TABLE IF EXISTS {p}event_rules
-- +statement
DROP TABLE IF EXISTS {p}event_actions
