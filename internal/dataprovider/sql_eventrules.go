package dataprovider

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// ---- event actions

func (o *sqlOps) GetEventAction(ctx context.Context, name string) (BaseEventAction, error) {
	var a BaseEventAction
	var id int64
	var data string
	err := o.queryRow(ctx, "SELECT id, data FROM {p}event_actions WHERE name = ?", name).Scan(&id, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return a, notFound("event action", name)
	}
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(data), &a); err != nil {
		return a, fmt.Errorf("event action %q: decode: %w", name, err)
	}
	a.ID = id
	return a, nil
}

func (o *sqlOps) ListEventActions(ctx context.Context, limit, offset int, desc bool) ([]BaseEventAction, error) {
	names, err := o.names(ctx, "event_actions", "name", limit, offset, desc)
	if err != nil {
		return nil, err
	}
	out := make([]BaseEventAction, 0, len(names))
	for _, n := range names {
		a, err := o.GetEventAction(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func storedAction(a *BaseEventAction) (string, error) {
	c := *a
	c.ID, c.Rules = 0, nil
	return toJSON(c)
}

func (o *sqlOps) AddEventAction(ctx context.Context, a *BaseEventAction) error {
	return o.write(ctx, func(o *sqlOps) error {
		if ok, err := o.exists(ctx, "event_actions", "name", a.Name); err != nil || ok {
			if ok {
				return conflict("event action", a.Name)
			}
			return err
		}
		doc, err := storedAction(a)
		if err != nil {
			return err
		}
		id, err := o.insertID(ctx, "INSERT INTO {p}event_actions (name, type, data) VALUES (?, ?, ?)", a.Name, a.Type, doc)
		if err != nil {
			return err
		}
		a.ID = id
		return nil
	})
}

func (o *sqlOps) UpdateEventAction(ctx context.Context, a *BaseEventAction) error {
	return o.write(ctx, func(o *sqlOps) error {
		id, err := o.idOf(ctx, "event action", "event_actions", "name", a.Name)
		if err != nil {
			return err
		}
		doc, err := storedAction(a)
		if err != nil {
			return err
		}
		a.ID = id
		_, err = o.exec(ctx, "UPDATE {p}event_actions SET type = ?, data = ? WHERE id = ?", a.Type, doc, id)
		return err
	})
}

func (o *sqlOps) DeleteEventAction(ctx context.Context, name string) error {
	return o.write(ctx, func(o *sqlOps) error {
		id, err := o.idOf(ctx, "event action", "event_actions", "name", name)
		if err != nil {
			return err
		}
		var n int
		if err := o.queryRow(ctx, "SELECT COUNT(*) FROM {p}event_rules_actions WHERE action_id = ?", id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("event action %q is used by %d rules: %w", name, n, ErrConflict)
		}
		_, err = o.exec(ctx, "DELETE FROM {p}event_actions WHERE id = ?", id)
		return err
	})
}

// ---- event rules

func (o *sqlOps) GetEventRule(ctx context.Context, name string) (EventRule, error) {
	var r EventRule
	var id int64
	var data string
	err := o.queryRow(ctx, "SELECT id, data FROM {p}event_rules WHERE name = ?", name).Scan(&id, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound("event rule", name)
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return r, fmt.Errorf("event rule %q: decode: %w", name, err)
	}
	r.ID = id
	return r, nil
}

func (o *sqlOps) ListEventRules(ctx context.Context, limit, offset int, desc bool) ([]EventRule, error) {
	names, err := o.names(ctx, "event_rules", "name", limit, offset, desc)
	if err != nil {
		return nil, err
	}
	out := make([]EventRule, 0, len(names))
	for _, n := range names {
		r, err := o.GetEventRule(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func storedRule(r *EventRule) (string, error) {
	c := *r
	c.ID = 0
	c.Actions = make([]EventAction, len(r.Actions))
	for i, a := range r.Actions {
		c.Actions[i] = EventAction{BaseEventAction: BaseEventAction{Name: a.Name}, Order: a.Order, RelationOptions: a.RelationOptions}
	}
	return toJSON(c)
}

// setRuleActions replaces the action mappings of a rule.
func (o *sqlOps) setRuleActions(ctx context.Context, ruleID int64, r *EventRule) error {
	if _, err := o.exec(ctx, "DELETE FROM {p}event_rules_actions WHERE rule_id = ?", ruleID); err != nil {
		return err
	}
	for _, a := range r.Actions {
		aid, err := o.idOf(ctx, "event action", "event_actions", "name", a.Name)
		if err != nil {
			return err
		}
		if _, err := o.exec(ctx, "INSERT INTO {p}event_rules_actions (rule_id, action_id, action_order) VALUES (?, ?, ?)",
			ruleID, aid, a.Order); err != nil {
			return err
		}
	}
	return nil
}

func (o *sqlOps) AddEventRule(ctx context.Context, r *EventRule) error {
	return o.write(ctx, func(o *sqlOps) error {
		if ok, err := o.exists(ctx, "event_rules", "name", r.Name); err != nil || ok {
			if ok {
				return conflict("event rule", r.Name)
			}
			return err
		}
		doc, err := storedRule(r)
		if err != nil {
			return err
		}
		id, err := o.insertID(ctx, "INSERT INTO {p}event_rules (name, status, trigger_type, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			r.Name, r.Status, r.Trigger, doc, r.CreatedAt, r.UpdatedAt)
		if err != nil {
			return err
		}
		r.ID = id
		return o.setRuleActions(ctx, id, r)
	})
}

func (o *sqlOps) UpdateEventRule(ctx context.Context, r *EventRule) error {
	return o.write(ctx, func(o *sqlOps) error {
		id, err := o.idOf(ctx, "event rule", "event_rules", "name", r.Name)
		if err != nil {
			return err
		}
		doc, err := storedRule(r)
		if err != nil {
			return err
		}
		r.ID = id
		if _, err := o.exec(ctx, "UPDATE {p}event_rules SET status = ?, trigger_type = ?, data = ?, created_at = ?, updated_at = ? WHERE id = ?",
			r.Status, r.Trigger, doc, r.CreatedAt, r.UpdatedAt, id); err != nil {
			return err
		}
		return o.setRuleActions(ctx, id, r)
	})
}

func (o *sqlOps) DeleteEventRule(ctx context.Context, name string) error {
	return o.write(ctx, func(o *sqlOps) error {
		id, err := o.idOf(ctx, "event rule", "event_rules", "name", name)
		if err != nil {
			return err
		}
		if _, err := o.exec(ctx, "DELETE FROM {p}event_rules_actions WHERE rule_id = ?", id); err != nil {
			return err
		}
		_, err = o.exec(ctx, "DELETE FROM {p}event_rules WHERE id = ?", id)
		return err
	})
}
