-- Version 2: API keys. A key belongs to a user or an admin (or to nobody,
-- for impersonation) and goes away with its owner.
CREATE TABLE {p}api_keys (
  id BIGSERIAL PRIMARY KEY,
  key_id TEXT NOT NULL UNIQUE,
  data TEXT NOT NULL,
  user_id BIGINT REFERENCES {p}users (id) ON DELETE CASCADE,
  admin_id BIGINT REFERENCES {p}admins (id) ON DELETE CASCADE,
  last_use_at BIGINT NOT NULL DEFAULT 0
)
-- +statement
CREATE INDEX {p}api_keys_user_idx ON {p}api_keys (user_id)
-- +statement
CREATE INDEX {p}api_keys_admin_idx ON {p}api_keys (admin_id)
