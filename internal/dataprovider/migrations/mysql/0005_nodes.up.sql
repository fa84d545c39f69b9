-- Version 5: the nodes sharing this database (data_provider.is_shared).
-- Each node keeps its row alive with a heartbeat (updated_at, Unix
-- milliseconds); data holds its REST address and the key other nodes sign
-- their calls to it with (a KMS secret).
CREATE TABLE IF NOT EXISTS {p}nodes (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL UNIQUE,
  data LONGTEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  INDEX {p}nodes_updated_at_idx (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
