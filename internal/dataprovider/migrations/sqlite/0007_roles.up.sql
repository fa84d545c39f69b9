-- Version 7: roles. Users and admins name their role in their documents;
-- the store checks the name exists and refuses to delete a role in use.
CREATE TABLE {p}roles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  data TEXT NOT NULL
)
-- +statement
-- One-time codes accepted in the last minutes (hash of secret and code),
-- so that nodes sharing the database refuse a replayed code.
CREATE TABLE {p}used_otp_codes (
  code_hash TEXT PRIMARY KEY,
  used_at INTEGER NOT NULL
)
-- +statement
CREATE INDEX {p}used_otp_codes_used_at_idx ON {p}used_otp_codes (used_at)
