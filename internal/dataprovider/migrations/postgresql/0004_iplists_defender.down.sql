-- Back to version 3: IP lists and the shared defender state go.
DROP TABLE {p}defender_events
-- +statement
DROP TABLE {p}defender_hosts
-- +statement
DROP TABLE {p}ip_lists
