-- Version 6: the event manager. Actions and rules are JSON documents
-- (SFTPGo's field names) keyed by name; event_rules_actions records
-- which actions a rule uses, so an action in use cannot be deleted.
CREATE TABLE IF NOT EXISTS {p}event_actions (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL UNIQUE,
  type INTEGER NOT NULL,
  data LONGTEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
CREATE TABLE IF NOT EXISTS {p}event_rules (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL UNIQUE,
  status INTEGER NOT NULL,
  trigger_type INTEGER NOT NULL,
  data LONGTEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  INDEX {p}event_rules_updated_at_idx (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
CREATE TABLE IF NOT EXISTS {p}event_rules_actions (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  rule_id BIGINT NOT NULL,
  action_id BIGINT NOT NULL,
  action_order INTEGER NOT NULL,
  UNIQUE (rule_id, action_id),
  INDEX {p}event_rules_actions_action_id_idx (action_id),
  FOREIGN KEY (rule_id) REFERENCES {p}event_rules (id) ON DELETE CASCADE,
  FOREIGN KEY (action_id) REFERENCES {p}event_actions (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- +statement
CREATE TABLE IF NOT EXISTS {p}event_schedule_runs (
  rule_name VARCHAR(255) NOT NULL,
  slot BIGINT NOT NULL,
  node VARCHAR(255) NOT NULL,
  PRIMARY KEY (rule_name, slot)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
