-- Version 1: users, groups, folders, admins, shares, their relations and
-- the opaque backup sections. Each object is a JSON document plus the
-- key columns and the hot counters as numbers, so counters update
-- atomically with "SET x = x + ?".
CREATE TABLE IF NOT EXISTS {p}schema_version (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)
-- +statement
CREATE TABLE {p}users (
  id BIGSERIAL PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  data TEXT NOT NULL,
  used_quota_size BIGINT NOT NULL DEFAULT 0,
  used_quota_files BIGINT NOT NULL DEFAULT 0,
  last_quota_update BIGINT NOT NULL DEFAULT 0,
  used_upload_data_transfer BIGINT NOT NULL DEFAULT 0,
  used_download_data_transfer BIGINT NOT NULL DEFAULT 0,
  last_login BIGINT NOT NULL DEFAULT 0,
  first_download BIGINT NOT NULL DEFAULT 0,
  first_upload BIGINT NOT NULL DEFAULT 0
)
-- +statement
CREATE TABLE {p}groups (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  data TEXT NOT NULL
)
-- +statement
CREATE TABLE {p}folders (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  data TEXT NOT NULL,
  used_quota_size BIGINT NOT NULL DEFAULT 0,
  used_quota_files BIGINT NOT NULL DEFAULT 0,
  last_quota_update BIGINT NOT NULL DEFAULT 0
)
-- +statement
CREATE TABLE {p}admins (
  id BIGSERIAL PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  data TEXT NOT NULL,
  last_login BIGINT NOT NULL DEFAULT 0
)
-- +statement
CREATE TABLE {p}users_groups_mapping (
  user_id BIGINT NOT NULL REFERENCES {p}users (id) ON DELETE CASCADE,
  group_id BIGINT NOT NULL REFERENCES {p}groups (id) ON DELETE NO ACTION,
  group_type INTEGER NOT NULL,
  sort_order INTEGER NOT NULL,
  PRIMARY KEY (user_id, group_id)
)
-- +statement
CREATE INDEX {p}users_groups_mapping_group_idx ON {p}users_groups_mapping (group_id)
-- +statement
CREATE TABLE {p}users_folders_mapping (
  user_id BIGINT NOT NULL REFERENCES {p}users (id) ON DELETE CASCADE,
  folder_id BIGINT NOT NULL REFERENCES {p}folders (id) ON DELETE CASCADE,
  virtual_path TEXT NOT NULL,
  quota_size BIGINT NOT NULL DEFAULT 0,
  quota_files BIGINT NOT NULL DEFAULT 0,
  sort_order INTEGER NOT NULL,
  PRIMARY KEY (user_id, folder_id)
)
-- +statement
CREATE INDEX {p}users_folders_mapping_folder_idx ON {p}users_folders_mapping (folder_id)
-- +statement
CREATE TABLE {p}groups_folders_mapping (
  group_id BIGINT NOT NULL REFERENCES {p}groups (id) ON DELETE CASCADE,
  folder_id BIGINT NOT NULL REFERENCES {p}folders (id) ON DELETE CASCADE,
  virtual_path TEXT NOT NULL,
  quota_size BIGINT NOT NULL DEFAULT 0,
  quota_files BIGINT NOT NULL DEFAULT 0,
  sort_order INTEGER NOT NULL,
  PRIMARY KEY (group_id, folder_id)
)
-- +statement
CREATE INDEX {p}groups_folders_mapping_folder_idx ON {p}groups_folders_mapping (folder_id)
-- +statement
CREATE TABLE {p}admins_groups_mapping (
  admin_id BIGINT NOT NULL REFERENCES {p}admins (id) ON DELETE CASCADE,
  group_id BIGINT NOT NULL REFERENCES {p}groups (id) ON DELETE CASCADE,
  options TEXT NOT NULL,
  sort_order INTEGER NOT NULL,
  PRIMARY KEY (admin_id, group_id)
)
-- +statement
CREATE TABLE {p}shares (
  id BIGSERIAL PRIMARY KEY,
  share_id TEXT NOT NULL UNIQUE,
  user_id BIGINT NOT NULL REFERENCES {p}users (id) ON DELETE CASCADE,
  data TEXT NOT NULL
)
-- +statement
CREATE INDEX {p}shares_user_idx ON {p}shares (user_id)
-- +statement
CREATE TABLE {p}sections (
  name TEXT PRIMARY KEY,
  data TEXT NOT NULL
)
