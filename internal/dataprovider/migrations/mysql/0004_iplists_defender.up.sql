-- Version 4 for MySQL/MariaDB: IP lists and the defender's shared hosts
-- and events (see the SQLite migration). Idempotent, as every MySQL step.
CREATE TABLE IF NOT EXISTS {p}ip_lists (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  type INTEGER NOT NULL,
  ipornet VARCHAR(50) NOT NULL,
  mode INTEGER NOT NULL,
  description VARCHAR(512) NULL,
  first VARBINARY(16) NOT NULL,
  last VARBINARY(16) NOT NULL,
  ip_type INTEGER NOT NULL,
  protocols INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT NOT NULL DEFAULT 0,
  UNIQUE KEY {p}ip_lists_type_ipornet_uq (type, ipornet),
  INDEX {p}ip_lists_range_idx (type, ip_type, first, last),
  INDEX {p}ip_lists_updated_at_idx (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
CREATE TABLE IF NOT EXISTS {p}defender_hosts (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  ip VARCHAR(50) NOT NULL UNIQUE,
  ban_time BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  INDEX {p}defender_hosts_ban_time_idx (ban_time),
  INDEX {p}defender_hosts_updated_at_idx (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
CREATE TABLE IF NOT EXISTS {p}defender_events (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  date_time BIGINT NOT NULL,
  score INTEGER NOT NULL,
  host_id BIGINT NOT NULL,
  INDEX {p}defender_events_date_time_idx (date_time),
  INDEX {p}defender_events_host_id_idx (host_id),
  FOREIGN KEY (host_id) REFERENCES {p}defender_hosts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
