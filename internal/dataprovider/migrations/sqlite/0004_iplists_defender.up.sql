-- Version 4: IP lists (allow list, defender list, rate limiter safe list)
-- and the defender's shared hosts and events (common.defender.driver
-- "provider"). first/last hold the network's first and last address
-- (4 or 16 bytes) so a range index answers "which entries contain IP".
CREATE TABLE {p}ip_lists (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type INTEGER NOT NULL,
  ipornet TEXT NOT NULL,
  mode INTEGER NOT NULL,
  description TEXT NULL,
  first BLOB NOT NULL,
  last BLOB NOT NULL,
  ip_type INTEGER NOT NULL,
  protocols INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER NOT NULL DEFAULT 0,
  UNIQUE (type, ipornet)
)
-- +statement
CREATE INDEX {p}ip_lists_range_idx ON {p}ip_lists (type, ip_type, first, last)
-- +statement
CREATE INDEX {p}ip_lists_updated_at_idx ON {p}ip_lists (updated_at)
-- +statement
CREATE TABLE {p}defender_hosts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ip TEXT NOT NULL UNIQUE,
  ban_time INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
)
-- +statement
CREATE INDEX {p}defender_hosts_ban_time_idx ON {p}defender_hosts (ban_time)
-- +statement
CREATE INDEX {p}defender_hosts_updated_at_idx ON {p}defender_hosts (updated_at)
-- +statement
CREATE TABLE {p}defender_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  date_time INTEGER NOT NULL,
  score INTEGER NOT NULL,
  host_id INTEGER NOT NULL REFERENCES {p}defender_hosts (id) ON DELETE CASCADE
)
-- +statement
CREATE INDEX {p}defender_events_date_time_idx ON {p}defender_events (date_time)
-- +statement
CREATE INDEX {p}defender_events_host_id_idx ON {p}defender_events (host_id)
