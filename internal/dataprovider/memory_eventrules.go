package dataprovider

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The memory and bolt drivers keep event actions and rules as JSON
// documents in the sections map, under prefixed keys, so the bolt file
// persists them with the other sections.
const (
	memEventActionPrefix = "event_action:"
	memEventRulePrefix   = "event_rule:"
)

func memEventNames(o *memOps, prefix string, limit, offset int, desc bool) []string {
	var names []string
	for k := range o.s.sections {
		if n, ok := strings.CutPrefix(k, prefix); ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	if desc {
		slices.Reverse(names)
	}
	if offset > 0 {
		if offset >= len(names) {
			return nil
		}
		names = names[offset:]
	}
	if limit > 0 && len(names) > limit {
		names = names[:limit]
	}
	return names
}

func (o *memOps) GetEventAction(ctx context.Context, name string) (BaseEventAction, error) {
	var a BaseEventAction
	v, ok := o.s.sections[memEventActionPrefix+name]
	if !ok {
		return a, notFound("event action", name)
	}
	err := json.Unmarshal(v, &a)
	return a, err
}

func (o *memOps) ListEventActions(ctx context.Context, limit, offset int, desc bool) ([]BaseEventAction, error) {
	var out []BaseEventAction
	for _, n := range memEventNames(o, memEventActionPrefix, limit, offset, desc) {
		a, err := o.GetEventAction(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (o *memOps) putSection(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	o.s.sections[key] = b
	o.touch("sections", key)
	return nil
}

func (o *memOps) AddEventAction(ctx context.Context, a *BaseEventAction) error {
	if _, ok := o.s.sections[memEventActionPrefix+a.Name]; ok {
		return conflict("event action", a.Name)
	}
	a.ID = o.nextID("event_actions")
	c := *a
	c.Rules = nil
	return o.putSection(memEventActionPrefix+a.Name, c)
}

func (o *memOps) UpdateEventAction(ctx context.Context, a *BaseEventAction) error {
	old, err := o.GetEventAction(ctx, a.Name)
	if err != nil {
		return err
	}
	a.ID = old.ID
	c := *a
	c.Rules = nil
	return o.putSection(memEventActionPrefix+a.Name, c)
}

func (o *memOps) DeleteEventAction(ctx context.Context, name string) error {
	k := memEventActionPrefix + name
	if _, ok := o.s.sections[k]; !ok {
		return notFound("event action", name)
	}
	rules, err := o.ListEventRules(ctx, 0, 0, false)
	if err != nil {
		return err
	}
	for _, r := range rules {
		for _, a := range r.Actions {
			if a.Name == name {
				return fmt.Errorf("event action %q is used by the rule %q: %w", name, r.Name, ErrConflict)
			}
		}
	}
	delete(o.s.sections, k)
	o.touch("sections", k)
	return nil
}

func (o *memOps) GetEventRule(ctx context.Context, name string) (EventRule, error) {
	var r EventRule
	v, ok := o.s.sections[memEventRulePrefix+name]
	if !ok {
		return r, notFound("event rule", name)
	}
	err := json.Unmarshal(v, &r)
	return r, err
}

func (o *memOps) ListEventRules(ctx context.Context, limit, offset int, desc bool) ([]EventRule, error) {
	var out []EventRule
	for _, n := range memEventNames(o, memEventRulePrefix, limit, offset, desc) {
		r, err := o.GetEventRule(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (o *memOps) putRule(r *EventRule) error {
	c := *r
	c.Actions = make([]EventAction, len(r.Actions))
	for i, a := range r.Actions {
		if _, ok := o.s.sections[memEventActionPrefix+a.Name]; !ok {
			return notFound("event action", a.Name)
		}
		c.Actions[i] = EventAction{BaseEventAction: BaseEventAction{Name: a.Name}, Order: a.Order, RelationOptions: a.RelationOptions}
	}
	return o.putSection(memEventRulePrefix+r.Name, c)
}

func (o *memOps) AddEventRule(ctx context.Context, r *EventRule) error {
	if _, ok := o.s.sections[memEventRulePrefix+r.Name]; ok {
		return conflict("event rule", r.Name)
	}
	r.ID = o.nextID("event_rules")
	return o.putRule(r)
}

func (o *memOps) UpdateEventRule(ctx context.Context, r *EventRule) error {
	old, err := o.GetEventRule(ctx, r.Name)
	if err != nil {
		return err
	}
	r.ID = old.ID
	return o.putRule(r)
}

func (o *memOps) DeleteEventRule(ctx context.Context, name string) error {
	k := memEventRulePrefix + name
	if _, ok := o.s.sections[k]; !ok {
		return notFound("event rule", name)
	}
	delete(o.s.sections, k)
	o.touch("sections", k)
	return nil
}

func (d *memDriver) GetEventAction(ctx context.Context, name string) (a BaseEventAction, err error) {
	err = d.read(func(o *memOps) error { a, err = o.GetEventAction(ctx, name); return err })
	return a, err
}
func (d *memDriver) ListEventActions(ctx context.Context, limit, offset int, desc bool) (r []BaseEventAction, err error) {
	err = d.read(func(o *memOps) error { r, err = o.ListEventActions(ctx, limit, offset, desc); return err })
	return r, err
}
func (d *memDriver) AddEventAction(ctx context.Context, a *BaseEventAction) error {
	return d.write(func(o *memOps) error { return o.AddEventAction(ctx, a) })
}
func (d *memDriver) UpdateEventAction(ctx context.Context, a *BaseEventAction) error {
	return d.write(func(o *memOps) error { return o.UpdateEventAction(ctx, a) })
}
func (d *memDriver) DeleteEventAction(ctx context.Context, name string) error {
	return d.write(func(o *memOps) error { return o.DeleteEventAction(ctx, name) })
}
func (d *memDriver) GetEventRule(ctx context.Context, name string) (r EventRule, err error) {
	err = d.read(func(o *memOps) error { r, err = o.GetEventRule(ctx, name); return err })
	return r, err
}
func (d *memDriver) ListEventRules(ctx context.Context, limit, offset int, desc bool) (r []EventRule, err error) {
	err = d.read(func(o *memOps) error { r, err = o.ListEventRules(ctx, limit, offset, desc); return err })
	return r, err
}
func (d *memDriver) AddEventRule(ctx context.Context, r *EventRule) error {
	return d.write(func(o *memOps) error { return o.AddEventRule(ctx, r) })
}
func (d *memDriver) UpdateEventRule(ctx context.Context, r *EventRule) error {
	return d.write(func(o *memOps) error { return o.UpdateEventRule(ctx, r) })
}
func (d *memDriver) DeleteEventRule(ctx context.Context, name string) error {
	return d.write(func(o *memOps) error { return o.DeleteEventRule(ctx, name) })
}
