-- Version 5: the nodes sharing this database (data_provider.is_shared).
-- Each node keeps its row alive with a heartbeat (updated_at, Unix
-- milliseconds); data holds its REST address and the key other nodes sign
-- their calls to it with (a KMS secret).
CREATE TABLE {p}nodes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
)
-- +statement
CREATE INDEX {p}nodes_updated_at_idx ON {p}nodes (updated_at)
