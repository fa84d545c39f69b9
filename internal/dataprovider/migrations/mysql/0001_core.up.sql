-- Version 1 for MySQL/MariaDB. MySQL commits DDL implicitly, so every
-- statement is idempotent: re-running a step that failed halfway
-- converges. Key columns use a binary collation so names stay
-- case-sensitive, as with the other databases.
CREATE TABLE IF NOT EXISTS {p}schema_version (id INTEGER PRIMARY KEY, version INTEGER NOT NULL) ENGINE=InnoDB
-- +statement
CREATE TABLE IF NOT EXISTS {p}users (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  username VARCHAR(255) NOT NULL UNIQUE,
  data LONGTEXT NOT NULL,
  used_quota_size BIGINT NOT NULL DEFAULT 0,
  used_quota_files BIGINT NOT NULL DEFAULT 0,
  last_quota_update BIGINT NOT NULL DEFAULT 0,
  used_upload_data_transfer BIGINT NOT NULL DEFAULT 0,
  used_download_data_transfer BIGINT NOT NULL DEFAULT 0,
  last_login BIGINT NOT NULL DEFAULT 0,
  first_download BIGINT NOT NULL DEFAULT 0,
  first_upload BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
CREATE TABLE IF NOT EXISTS {p}groups (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL UNIQUE,
  data LONGTEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
CREATE TABLE IF NOT EXISTS {p}folders (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL UNIQUE,
  data LONGTEXT NOT NULL,
  used_quota_size BIGINT NOT NULL DEFAULT 0,
  used_quota_files BIGINT NOT NULL DEFAULT 0,
  last_quota_update BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
CREATE TABLE IF NOT EXISTS {p}admins (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  username VARCHAR(255) NOT NULL UNIQUE,
  data LONGTEXT NOT NULL,
  last_login BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
CREATE TABLE IF NOT EXISTS {p}users_groups_mapping (
  user_id BIGINT NOT NULL,
  group_id BIGINT NOT NULL,
  group_type INTEGER NOT NULL,
  sort_order INTEGER NOT NULL,
  PRIMARY KEY (user_id, group_id),
  INDEX {p}users_groups_mapping_group_idx (group_id),
  FOREIGN KEY (user_id) REFERENCES {p}users (id) ON DELETE CASCADE,
  FOREIGN KEY (group_id) REFERENCES {p}groups (id) ON DELETE NO ACTION
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
CREATE TABLE IF NOT EXISTS {p}users_folders_mapping (
  user_id BIGINT NOT NULL,
  folder_id BIGINT NOT NULL,
  virtual_path TEXT NOT NULL,
  quota_size BIGINT NOT NULL DEFAULT 0,
  quota_files BIGINT NOT NULL DEFAULT 0,
  sort_order INTEGER NOT NULL,
  PRIMARY KEY (user_id, folder_id),
  INDEX {p}users_folders_mapping_folder_idx (folder_id),
  FOREIGN KEY (user_id) REFERENCES {p}users (id) ON DELETE CASCADE,
  FOREIGN KEY (folder_id) REFERENCES {p}folders (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
CREATE TABLE IF NOT EXISTS {p}groups_folders_mapping (
  group_id BIGINT NOT NULL,
  folder_id BIGINT NOT NULL,
  virtual_path TEXT NOT NULL,
  quota_size BIGINT NOT NULL DEFAULT 0,
  quota_files BIGINT NOT NULL DEFAULT 0,
  sort_order INTEGER NOT NULL,
  PRIMARY KEY (group_id, folder_id),
  INDEX {p}groups_folders_mapping_folder_idx (folder_id),
  FOREIGN KEY (group_id) REFERENCES {p}groups (id) ON DELETE CASCADE,
  FOREIGN KEY (folder_id) REFERENCES {p}folders (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
CREATE TABLE IF NOT EXISTS {p}admins_groups_mapping (
  admin_id BIGINT NOT NULL,
  group_id BIGINT NOT NULL,
  options TEXT NOT NULL,
  sort_order INTEGER NOT NULL,
  PRIMARY KEY (admin_id, group_id),
  FOREIGN KEY (admin_id) REFERENCES {p}admins (id) ON DELETE CASCADE,
  FOREIGN KEY (group_id) REFERENCES {p}groups (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
CREATE TABLE IF NOT EXISTS {p}shares (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  share_id VARCHAR(255) NOT NULL UNIQUE,
  user_id BIGINT NOT NULL,
  data LONGTEXT NOT NULL,
  INDEX {p}shares_user_idx (user_id),
  FOREIGN KEY (user_id) REFERENCES {p}users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
CREATE TABLE IF NOT EXISTS {p}sections (
  name VARCHAR(255) PRIMARY KEY,
  data LONGTEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
