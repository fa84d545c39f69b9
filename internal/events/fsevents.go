package events

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/hooks"
)

// ProtocolEventAction is the protocol of the file operations filesystem
// actions make. Rules do not react to them unless their protocols
// condition names it, so an action moving an upload does not trigger the
// rule that moved it again.
const ProtocolEventAction = "EventAction"

// Wants reports whether some enabled rule reacts to the filesystem event
// and whether one of its actions is synchronous (the operation then waits
// for the result). The manager is the second consumer of the filesystem
// events common builds for the custom actions.
func (m *Manager) Wants(action string) (fire, sync bool) {
	for _, r := range m.rulesFor(dataprovider.TriggerFsEvent) {
		if !slices.Contains(r.Conditions.FsEvents, action) {
			continue
		}
		fire = true
		for _, a := range r.Actions {
			if a.RelationOptions.ExecuteSync {
				sync = true
			}
		}
	}
	return fire, sync
}

// Run runs the matching rules: their synchronous actions now, the others
// in the background. The error is the first synchronous failure (for
// pre-* events it refuses the operation).
func (m *Manager) Run(ctx context.Context, ev *hooks.FsEvent) error {
	return m.handleFsEvent(ctx, ev, true)
}

// Go runs the matching rules in the background.
func (m *Manager) Go(ev *hooks.FsEvent) {
	e := *ev
	m.goRun(func() { _ = m.handleFsEvent(context.Background(), &e, false) })
}

func (m *Manager) handleFsEvent(ctx context.Context, ev *hooks.FsEvent, sync bool) error {
	rules := m.rulesFor(dataprovider.TriggerFsEvent)
	var user *dataprovider.User
	var firstErr error
	for _, r := range rules {
		if !slices.Contains(r.Conditions.FsEvents, ev.Action) {
			continue
		}
		if user == nil {
			u, err := m.store.GetUser(ctx, ev.Username)
			if err != nil {
				m.log.Warn("event rules: unknown user", "username", ev.Username, "error", err)
				u = dataprovider.User{Username: ev.Username, Role: ev.Role}
			}
			user = &u
		}
		if !matchFsConditions(r.Conditions, ev, user) {
			continue
		}
		p := fsParams(ev, user)
		if err := m.runRule(ctx, r, p, sync); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func fsParams(ev *hooks.FsEvent, u *dataprovider.User) *Params {
	ts := time.Now()
	if ev.Timestamp > 0 {
		ts = time.Unix(0, ev.Timestamp)
	}
	p := &Params{Name: ev.Username, Username: ev.Username, Event: ev.Action, Status: ev.Status,
		VirtualPath: ev.VirtualPath, FsPath: ev.Path, VirtualTargetPath: ev.VirtualTargetPath, FsTargetPath: ev.TargetPath,
		FileSize: ev.FileSize, Elapsed: ev.Elapsed, Protocol: ev.Protocol, IP: ev.IP, Role: ev.Role,
		Timestamp: ts, Metadata: ev.Metadata}
	if u != nil {
		p.Email = u.Email
		p.UID = strconv.Itoa(u.UID)
	}
	switch ev.Status {
	case hooks.StatusError:
		p.ErrorString = "the operation failed"
	case hooks.StatusQuotaExceeded:
		p.ErrorString = "quota exceeded"
	}
	return p
}

// matchFsConditions applies a filesystem rule's options to an event.
func matchFsConditions(c dataprovider.EventConditions, ev *hooks.FsEvent, u *dataprovider.User) bool {
	o := c.Options
	if ev.Protocol == ProtocolEventAction && !slices.Contains(o.Protocols, ProtocolEventAction) {
		return false
	}
	if len(o.Protocols) > 0 && !slices.Contains(o.Protocols, ev.Protocol) {
		return false
	}
	if len(o.EventStatuses) > 0 && !slices.Contains(o.EventStatuses, ev.Status) {
		return false
	}
	if !dataprovider.MatchPatterns(o.Names, ev.Username) {
		return false
	}
	if len(o.RoleNames) > 0 && !dataprovider.MatchPatterns(o.RoleNames, ev.Role) {
		return false
	}
	if len(o.GroupNames) > 0 && !matchGroups(o.GroupNames, u) {
		return false
	}
	if len(o.FsPaths) > 0 && !dataprovider.MatchPatterns(o.FsPaths, ev.VirtualPath) {
		return false
	}
	switch ev.Action {
	case "upload", "pre-upload", "first-upload", "download", "pre-download", "first-download", "delete", "pre-delete", "copy":
		if o.MinFileSize > 0 && ev.FileSize < o.MinFileSize {
			return false
		}
		if o.MaxFileSize > 0 && ev.FileSize > o.MaxFileSize {
			return false
		}
	}
	return true
}

// matchGroups reports whether one of the user's groups satisfies the
// group patterns (inverse patterns must hold for every group).
func matchGroups(patterns []dataprovider.ConditionPattern, u *dataprovider.User) bool {
	if u == nil || len(u.Groups) == 0 {
		for _, p := range patterns {
			if !p.InverseMatch {
				return false
			}
		}
		return true
	}
	for _, g := range u.Groups {
		if !dataprovider.MatchPatterns(patterns, g.Name) {
			continue
		}
		return true
	}
	return false
}
