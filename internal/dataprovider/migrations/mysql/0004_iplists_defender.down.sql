-- Back to version 3: IP lists and the shared defender state go.
DROP TABLE IF EXISTS {p}defender_events
-- +statement
DROP TABLE IF EXISTS {p}defender_hosts
-- +statement
DROP TABLE IF EXISTS {p}ip_lists
