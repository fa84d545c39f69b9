-- Version 2: API keys, deleted with their owner.
CREATE TABLE IF NOT EXISTS {p}api_keys (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  key_id VARCHAR(255) NOT NULL UNIQUE,
  data LONGTEXT NOT NULL,
  user_id BIGINT NULL,
  admin_id BIGINT NULL,
  last_use_at BIGINT NOT NULL DEFAULT 0,
  INDEX {p}api_keys_user_idx (user_id),
  INDEX {p}api_keys_admin_idx (admin_id),
  FOREIGN KEY (user_id) REFERENCES {p}users (id) ON DELETE CASCADE,
  FOREIGN KEY (admin_id) REFERENCES {p}admins (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
