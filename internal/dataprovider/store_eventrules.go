package dataprovider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// eventOps stores event actions and rules; *sqlOps and *memOps implement
// it, so it works inside a transaction too. Rules are stored with their
// actions reduced to references (name, order, relation options); a rule
// naming a missing action fails with ErrNotFound and deleting an action a
// rule uses fails with ErrConflict.
type eventOps interface {
	GetEventAction(ctx context.Context, name string) (BaseEventAction, error)
	ListEventActions(ctx context.Context, limit, offset int, desc bool) ([]BaseEventAction, error)
	AddEventAction(ctx context.Context, a *BaseEventAction) error
	UpdateEventAction(ctx context.Context, a *BaseEventAction) error
	DeleteEventAction(ctx context.Context, name string) error

	GetEventRule(ctx context.Context, name string) (EventRule, error)
	ListEventRules(ctx context.Context, limit, offset int, desc bool) ([]EventRule, error)
	AddEventRule(ctx context.Context, r *EventRule) error
	UpdateEventRule(ctx context.Context, r *EventRule) error
	DeleteEventRule(ctx context.Context, name string) error
}

var errNoEvents = errors.New("dataprovider: this driver does not store event rules")

func (s *Store) events() (eventOps, error) {
	if o, ok := s.driver.(eventOps); ok {
		return o, nil
	}
	return nil, errNoEvents
}

func opsEvents(ops Ops) (eventOps, error) {
	if o, ok := ops.(eventOps); ok {
		return o, nil
	}
	return nil, errNoEvents
}

// SetEventCommands sets the commands command actions may run
// (common.event_manager.enabled_commands); none when never called.
func (s *Store) SetEventCommands(cmds []string) {
	s.eventCmdsMu.Lock()
	s.eventCmds = slices.Clone(cmds)
	s.eventCmdsMu.Unlock()
}

// EventCommandAllowed reports whether cmd is an enabled command.
func (s *Store) EventCommandAllowed(cmd string) bool {
	s.eventCmdsMu.RLock()
	defer s.eventCmdsMu.RUnlock()
	return slices.Contains(s.eventCmds, cmd)
}

// OnEventRulesChange registers fn, called after any change to event
// actions or rules (the event manager reloads its rules).
func (s *Store) OnEventRulesChange(fn func()) {
	s.eventCmdsMu.Lock()
	s.eventListeners = append(s.eventListeners, fn)
	s.eventCmdsMu.Unlock()
}

func (s *Store) notifyEventRulesChange() {
	s.eventCmdsMu.RLock()
	fns := slices.Clone(s.eventListeners)
	s.eventCmdsMu.RUnlock()
	for _, fn := range fns {
		fn()
	}
}

// prepareEventAction validates an action and seals its password.
func (s *Store) prepareEventAction(a *BaseEventAction, old *BaseEventAction) error {
	return s.prepareEventActionWith(a, old, s.EventCommandAllowed)
}

// prepareEventActionWith validates with the given command check: a
// restore stores any absolute command (the event manager still runs only
// enabled ones), so a takeover does not fail on a configuration change.
func (s *Store) prepareEventActionWith(a *BaseEventAction, old *BaseEventAction, allowed CommandValidator) error {
	if err := normalizeEventAction(a, s.cfg.NamingRules, allowed); err != nil {
		return err
	}
	var prev []secretField
	if old != nil {
		o := deepCopy(*old)
		if o.Type == a.Type {
			prev = actionSecrets(&o)
		}
	}
	return sealSecrets(s.secrets, actionSecrets(a), prev, a.Name)
}

// GetEventAction returns an action, its secret redacted, with the rules
// using it.
func (s *Store) GetEventAction(ctx context.Context, name string) (BaseEventAction, error) {
	o, err := s.events()
	if err != nil {
		return BaseEventAction{}, err
	}
	a, err := o.GetEventAction(ctx, s.name(name))
	if err != nil {
		return a, err
	}
	return a, s.fillActionRules(ctx, o, []*BaseEventAction{&a})
}

// GetEventActionForRun returns an action with its secret as stored
// (encrypted), for the event manager.
func (s *Store) GetEventActionForRun(ctx context.Context, name string) (BaseEventAction, error) {
	o, err := s.events()
	if err != nil {
		return BaseEventAction{}, err
	}
	return o.GetEventAction(ctx, s.name(name))
}

func (s *Store) fillActionRules(ctx context.Context, o eventOps, list []*BaseEventAction) error {
	rules, err := o.ListEventRules(ctx, 0, 0, false)
	if err != nil {
		return err
	}
	for _, a := range list {
		a.Rules = nil
		for _, r := range rules {
			for _, ra := range r.Actions {
				if ra.Name == a.Name {
					a.Rules = append(a.Rules, r.Name)
					break
				}
			}
		}
	}
	return nil
}

// ListEventActions returns a page of actions ordered by name.
func (s *Store) ListEventActions(ctx context.Context, limit, offset int, order string) ([]BaseEventAction, error) {
	desc, err := parseOrder(order)
	if err != nil {
		return nil, err
	}
	o, err := s.events()
	if err != nil {
		return nil, err
	}
	list, err := o.ListEventActions(ctx, limit, offset, desc)
	if err != nil {
		return nil, err
	}
	ptrs := make([]*BaseEventAction, len(list))
	for i := range list {
		ptrs[i] = &list[i]
	}
	return list, s.fillActionRules(ctx, o, ptrs)
}

// AddEventAction validates and adds an action.
func (s *Store) AddEventAction(ctx context.Context, a *BaseEventAction) error {
	o, err := s.events()
	if err != nil {
		return err
	}
	if err := s.prepareEventAction(a, nil); err != nil {
		return err
	}
	if err := o.AddEventAction(ctx, a); err != nil {
		return err
	}
	s.notifyObjectChange(ctx, ObjectActionAdd, ObjectTypeEventAction, a.Name, *a)
	s.notifyEventRulesChange()
	return nil
}

// UpdateEventAction validates and replaces an action.
func (s *Store) UpdateEventAction(ctx context.Context, a *BaseEventAction) error {
	o, err := s.events()
	if err != nil {
		return err
	}
	a.Name = s.name(a.Name)
	old, err := o.GetEventAction(ctx, a.Name)
	if err != nil {
		return err
	}
	if err := s.prepareEventAction(a, &old); err != nil {
		return err
	}
	a.ID = old.ID
	if err := o.UpdateEventAction(ctx, a); err != nil {
		return err
	}
	s.notifyObjectChange(ctx, ObjectActionUpdate, ObjectTypeEventAction, a.Name, *a)
	s.notifyEventRulesChange()
	return nil
}

// DeleteEventAction removes an action; a validation error when a rule
// still uses it.
func (s *Store) DeleteEventAction(ctx context.Context, name string) error {
	o, err := s.events()
	if err != nil {
		return err
	}
	name = s.name(name)
	a, err := s.GetEventAction(ctx, name)
	if err != nil {
		return err
	}
	if len(a.Rules) > 0 {
		return invalid("name", "action %q is used by the rules %v", name, a.Rules)
	}
	if err := o.DeleteEventAction(ctx, name); err != nil {
		return err
	}
	s.notifyObjectChange(ctx, ObjectActionDelete, ObjectTypeEventAction, name, a)
	s.notifyEventRulesChange()
	return nil
}

// fillRuleActions puts the stored actions into a rule's references.
func fillRuleActions(ctx context.Context, o eventOps, r *EventRule, redact bool) error {
	for i := range r.Actions {
		ra := &r.Actions[i]
		a, err := o.GetEventAction(ctx, ra.Name)
		if err != nil {
			return fmt.Errorf("rule %q: %w", r.Name, err)
		}
		if redact {
			a.Options.HTTPConfig.Password = a.Options.HTTPConfig.Password.Redacted()
		}
		ra.BaseEventAction = a
	}
	return nil
}

// GetEventRule returns a rule with its actions filled in.
func (s *Store) GetEventRule(ctx context.Context, name string) (EventRule, error) {
	o, err := s.events()
	if err != nil {
		return EventRule{}, err
	}
	r, err := o.GetEventRule(ctx, s.name(name))
	if err != nil {
		return r, err
	}
	return r, fillRuleActions(ctx, o, &r, false)
}

// ListEventRules returns a page of rules ordered by name, with their
// actions filled in.
func (s *Store) ListEventRules(ctx context.Context, limit, offset int, order string) ([]EventRule, error) {
	desc, err := parseOrder(order)
	if err != nil {
		return nil, err
	}
	o, err := s.events()
	if err != nil {
		return nil, err
	}
	list, err := o.ListEventRules(ctx, limit, offset, desc)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if err := fillRuleActions(ctx, o, &list[i], false); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (s *Store) prepareEventRule(ctx context.Context, o eventOps, r *EventRule) error {
	if err := normalizeEventRule(r, s.cfg.NamingRules, validateSchedule); err != nil {
		return err
	}
	for _, a := range r.Actions {
		if _, err := o.GetEventAction(ctx, a.Name); err != nil {
			if errors.Is(err, ErrNotFound) {
				return invalid("actions", "action %q does not exist", a.Name)
			}
			return err
		}
	}
	ruleRefs(r)
	return nil
}

// AddEventRule validates and adds a rule.
func (s *Store) AddEventRule(ctx context.Context, r *EventRule) error {
	o, err := s.events()
	if err != nil {
		return err
	}
	if err := s.prepareEventRule(ctx, o, r); err != nil {
		return err
	}
	r.CreatedAt = nowMillis()
	r.UpdatedAt = r.CreatedAt
	if err := o.AddEventRule(ctx, r); err != nil {
		return err
	}
	_ = fillRuleActions(ctx, o, r, false)
	s.notifyObjectChange(ctx, ObjectActionAdd, ObjectTypeEventRule, r.Name, *r)
	s.notifyEventRulesChange()
	return nil
}

// UpdateEventRule validates and replaces a rule.
func (s *Store) UpdateEventRule(ctx context.Context, r *EventRule) error {
	o, err := s.events()
	if err != nil {
		return err
	}
	r.Name = s.name(r.Name)
	old, err := o.GetEventRule(ctx, r.Name)
	if err != nil {
		return err
	}
	if err := s.prepareEventRule(ctx, o, r); err != nil {
		return err
	}
	r.ID, r.CreatedAt, r.UpdatedAt = old.ID, old.CreatedAt, nowMillis()
	if err := o.UpdateEventRule(ctx, r); err != nil {
		return err
	}
	_ = fillRuleActions(ctx, o, r, false)
	s.notifyObjectChange(ctx, ObjectActionUpdate, ObjectTypeEventRule, r.Name, *r)
	s.notifyEventRulesChange()
	return nil
}

// DeleteEventRule removes a rule.
func (s *Store) DeleteEventRule(ctx context.Context, name string) error {
	o, err := s.events()
	if err != nil {
		return err
	}
	name = s.name(name)
	old := s.beforeDelete(ctx, func() (any, error) { return s.GetEventRule(ctx, name) })
	err = o.DeleteEventRule(ctx, name)
	s.afterDelete(ctx, err, ObjectTypeEventRule, name, old)
	if err == nil {
		s.notifyEventRulesChange()
	}
	return err
}

// dumpEvents returns the actions and rules of a backup, as SFTPGo writes
// them (rules with their actions filled in, secrets encrypted).
func dumpEvents(ctx context.Context, d Driver) (actions, rules []json.RawMessage, err error) {
	o, ok := d.(eventOps)
	if !ok {
		return nil, nil, nil
	}
	al, err := o.ListEventActions(ctx, 0, 0, false)
	if err != nil {
		return nil, nil, err
	}
	for i := range al {
		b, err := json.Marshal(al[i])
		if err != nil {
			return nil, nil, err
		}
		actions = append(actions, b)
	}
	rl, err := o.ListEventRules(ctx, 0, 0, false)
	if err != nil {
		return nil, nil, err
	}
	for i := range rl {
		if err := fillRuleActions(ctx, o, &rl[i], false); err != nil {
			return nil, nil, err
		}
		b, err := json.Marshal(rl[i])
		if err != nil {
			return nil, nil, err
		}
		rules = append(rules, b)
	}
	return actions, rules, nil
}

// restoreEvents loads the actions, then the rules, of a backup.
func (s *Store) restoreEvents(ctx context.Context, ops Ops, actions, rules []json.RawMessage, addOnly bool) error {
	if len(actions) == 0 && len(rules) == 0 {
		return nil
	}
	o, err := opsEvents(ops)
	if err != nil {
		return err
	}
	for _, raw := range actions {
		var a BaseEventAction
		if err := json.Unmarshal(raw, &a); err != nil {
			return fmt.Errorf("restore event action: %w", err)
		}
		a.Name = s.name(a.Name)
		if err := restoreOne(ctx, "event action", a.Name, addOnly,
			func() error { _, err := o.GetEventAction(ctx, a.Name); return err },
			func() error {
				if err := s.prepareEventActionWith(&a, nil, anyCommand); err != nil {
					return err
				}
				return o.AddEventAction(ctx, &a)
			},
			func() error {
				old, err := o.GetEventAction(ctx, a.Name)
				if err != nil {
					return err
				}
				if err := s.prepareEventActionWith(&a, &old, anyCommand); err != nil {
					return err
				}
				return o.UpdateEventAction(ctx, &a)
			}); err != nil {
			return err
		}
	}
	for _, raw := range rules {
		var r EventRule
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("restore event rule: %w", err)
		}
		r.Name = s.name(r.Name)
		if err := restoreOne(ctx, "event rule", r.Name, addOnly,
			func() error { _, err := o.GetEventRule(ctx, r.Name); return err },
			func() error {
				if err := s.prepareEventRule(ctx, o, &r); err != nil {
					return err
				}
				if r.CreatedAt == 0 {
					r.CreatedAt = nowMillis()
				}
				if r.UpdatedAt == 0 {
					r.UpdatedAt = r.CreatedAt
				}
				return o.AddEventRule(ctx, &r)
			},
			func() error {
				if err := s.prepareEventRule(ctx, o, &r); err != nil {
					return err
				}
				if r.UpdatedAt == 0 {
					r.UpdatedAt = nowMillis()
				}
				return o.UpdateEventRule(ctx, &r)
			}); err != nil {
			return err
		}
	}
	return nil
}

func anyCommand(string) bool { return true }

// ClaimEventRun records that node runs the schedule slot (a Unix minute)
// of a rule and reports whether it was first: when several nodes share
// the database, only the first one runs it. Drivers that cannot be
// shared always answer true. Claims older than a day are dropped.
func (s *Store) ClaimEventRun(ctx context.Context, rule string, slot int64, node string) (bool, error) {
	d, ok := s.driver.(*sqlDriver)
	if !ok {
		return true, nil
	}
	_, err := d.exec(ctx, "INSERT INTO {p}event_schedule_runs (rule_name, slot, node) VALUES (?, ?, ?)", rule, slot, node)
	if errors.Is(err, ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, _ = d.exec(ctx, "DELETE FROM {p}event_schedule_runs WHERE slot < ?", slot-24*60)
	return true, nil
}

// adoptEventSections turns the event actions and rules that schema 5
// kept as opaque backup sections into objects (once, after migrating to
// schema 6). A section that does not load is kept, with a warning: dumps
// still carry it.
func (s *Store) adoptEventSections(ctx context.Context) {
	err := s.driver.InTx(ctx, func(ops Ops) error {
		var lists [2][]json.RawMessage
		for i, name := range []string{sectionEventActions, sectionEventRules} {
			b, err := ops.GetSection(ctx, name)
			if err != nil {
				return err
			}
			if len(b) > 0 {
				if err := json.Unmarshal(b, &lists[i]); err != nil {
					return fmt.Errorf("section %s: %w", name, err)
				}
			}
		}
		if len(lists[0]) == 0 && len(lists[1]) == 0 {
			return nil
		}
		if err := s.restoreEvents(ctx, ops, lists[0], lists[1], true); err != nil {
			return err
		}
		for _, name := range []string{sectionEventActions, sectionEventRules} {
			if err := ops.SetSection(ctx, name, nil); err != nil {
				return err
			}
		}
		s.log.Info("event actions and rules of the backup sections are now objects", "actions", len(lists[0]), "rules", len(lists[1]))
		return nil
	})
	if err != nil {
		s.log.Warn("the event actions and rules kept as backup sections could not be loaded; dumps still carry them", "error", err)
	}
}
