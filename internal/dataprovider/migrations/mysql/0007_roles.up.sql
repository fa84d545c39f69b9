-- Version 7: roles. Users and admins name their role in their documents;
-- the store checks the name exists and refuses to delete a role in use.
CREATE TABLE IF NOT EXISTS {p}roles (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL UNIQUE,
  data LONGTEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
-- One-time codes accepted in the last minutes (hash of secret and code),
-- so that nodes sharing the database refuse a replayed code.
CREATE TABLE IF NOT EXISTS {p}used_otp_codes (
  code_hash VARCHAR(64) NOT NULL PRIMARY KEY,
  used_at BIGINT NOT NULL,
  INDEX {p}used_otp_codes_used_at_idx (used_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
