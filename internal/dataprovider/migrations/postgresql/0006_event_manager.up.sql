-- Version 6: the event manager. Actions and rules are JSON documents
-- (SFTPGo's field names) keyed by name; event_rules_actions records
-- which actions a rule uses, so an action in use cannot be deleted.
CREATE TABLE {p}event_actions (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  type INTEGER NOT NULL,
  data TEXT NOT NULL
)
-- +statement
CREATE TABLE {p}event_rules (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  status INTEGER NOT NULL,
  trigger_type INTEGER NOT NULL,
  data TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
)
-- +statement
CREATE INDEX {p}event_rules_updated_at_idx ON {p}event_rules (updated_at)
-- +statement
CREATE TABLE {p}event_rules_actions (
  id BIGSERIAL PRIMARY KEY,
  rule_id BIGINT NOT NULL REFERENCES {p}event_rules (id) ON DELETE CASCADE,
  action_id BIGINT NOT NULL REFERENCES {p}event_actions (id) ON DELETE RESTRICT,
  action_order INTEGER NOT NULL,
  UNIQUE (rule_id, action_id)
)
-- +statement
CREATE INDEX {p}event_rules_actions_action_id_idx ON {p}event_rules_actions (action_id)
-- +statement
CREATE TABLE {p}event_schedule_runs (
  rule_name VARCHAR(255) NOT NULL,
  slot BIGINT NOT NULL,
  node VARCHAR(255) NOT NULL,
  PRIMARY KEY (rule_name, slot)
)
