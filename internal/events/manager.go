// Package events is the event manager: it runs the actions of the event
// rules stored in the data provider when their trigger fires (filesystem
// events, provider object changes, schedules, on-demand runs), with the
// placeholders, conditions and action options of SFTPGo's event manager.
package events

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/hooks"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// Mail is one e-mail message an action sends.
type Mail struct {
	To, Cc, Bcc []string
	Subject     string
	Body        string
	HTML        bool
	Attachments []Attachment
}

// Attachment is a file attached to a Mail.
type Attachment struct {
	Name string
	Data []byte
}

// Mailer sends e-mail (the smtp section's client).
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// Store is what the manager needs from the data provider;
// *dataprovider.Store is one.
type Store interface {
	ListEventRules(ctx context.Context, limit, offset int, order string) ([]dataprovider.EventRule, error)
	GetEventRule(ctx context.Context, name string) (dataprovider.EventRule, error)
	DecryptSecret(sec *kms.Secret) (string, error)
	EventCommandAllowed(cmd string) bool
	GetUser(ctx context.Context, username string) (dataprovider.User, error)
	AddUser(ctx context.Context, u *dataprovider.User) error
	GetAdmin(ctx context.Context, username string) (dataprovider.Admin, error)
	AddAdmin(ctx context.Context, a *dataprovider.Admin) error
	UpdateAdmin(ctx context.Context, a *dataprovider.Admin) error
	UpdateUser(ctx context.Context, u *dataprovider.User) error
	DeleteUser(ctx context.Context, username string) error
	ListUsers(ctx context.Context, limit, offset int, order string) ([]dataprovider.User, error)
	GetFolder(ctx context.Context, name string) (dataprovider.BaseVirtualFolder, error)
	ListFolders(ctx context.Context, limit, offset int, order string) ([]dataprovider.BaseVirtualFolder, error)
	ScanUserQuota(ctx context.Context, u dataprovider.User) error
	ScanFolderQuota(ctx context.Context, f dataprovider.BaseVirtualFolder) error
	UpdateUserTransferQuota(ctx context.Context, username string, uploaded, downloaded int64, reset bool) error
	ClaimEventRun(ctx context.Context, rule string, slot int64, node string) (bool, error)
	Dump(ctx context.Context) (*dataprovider.BackupData, error)
	OnObjectChange(fn dataprovider.ObjectChangeFunc)
	OnEventRulesChange(fn func())
}

var _ Store = (*dataprovider.Store)(nil)

// FsConn is file access as one user, with every permission (filesystem
// actions run as the user, with the permissions the action needs).
type FsConn interface {
	Stat(ctx context.Context, vpath string) (os.FileInfo, error)
	Mkdir(ctx context.Context, vpath string) error
	Rename(ctx context.Context, src, dst string) error
	Copy(ctx context.Context, src, dst string) error
	RemoveAll(ctx context.Context, vpath string) error
	OpenRead(ctx context.Context, vpath string) (io.ReadCloser, error)
	// Create writes a new file; the data is committed by Close and
	// discarded by Abort.
	Create(ctx context.Context, vpath string) (FileWriter, error)
	// ReadDir lists the names of a directory's entries.
	ReadDir(ctx context.Context, vpath string) ([]os.FileInfo, error)
	Close() error
}

// FileWriter is a file being written through an FsConn.
type FileWriter interface {
	io.Writer
	Close() error
	Abort(err error)
}

// FsOpener opens file access as a user for filesystem actions.
type FsOpener func(ctx context.Context, user dataprovider.User) (FsConn, error)

// Clock is the time source of the scheduler; tests inject their own.
type Clock interface {
	Now() time.Time
	// After fires once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options build a Manager.
type Options struct {
	Store Store
	// Runner gives the shared outgoing HTTP client (the http section)
	// and runs commands with the command section's settings.
	Runner *hooks.Runner
	// Mailer sends e-mail actions; nil makes them fail.
	Mailer Mailer
	// Fs gives filesystem actions their file access; nil makes them fail.
	Fs     FsOpener
	Logger *slog.Logger
	Clock  Clock
	// Node names this node in schedule claims (a shared data provider).
	Node string
	// BackupsPath is where backup actions write their dumps
	// (data_provider.backups_path); empty makes them fail.
	BackupsPath string
	// RotateLogs rotates the log file (action type 15); nil makes the
	// action fail.
	RotateLogs func() error
}

// Manager runs the event rules.
type Manager struct {
	opts  Options
	store Store
	log   *slog.Logger
	clock Clock

	mu    sync.RWMutex
	rules []dataprovider.EventRule
	dirty bool
	// retention are the running data retention checks by user
	retention map[string]RetentionCheck

	wg     sync.WaitGroup
	stop   chan struct{}
	closed bool
}

// New builds a Manager; Start loads the rules and starts the scheduler.
func New(opts Options) *Manager {
	m := &Manager{opts: opts, store: opts.Store, log: opts.Logger, clock: opts.Clock, dirty: true,
		stop: make(chan struct{})}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	m.log = m.log.With("component", "eventmanager")
	if m.clock == nil {
		m.clock = realClock{}
	}
	if m.store != nil {
		m.store.OnEventRulesChange(m.invalidate)
		m.store.OnObjectChange(m.onObjectChange)
	}
	return m
}

// Start loads the rules and runs the scheduler until Shutdown.
func (m *Manager) Start(ctx context.Context) error {
	if _, err := m.loadRules(ctx); err != nil {
		m.log.Warn("unable to load the event rules", "error", err)
	}
	m.wg.Add(1)
	go m.scheduler(m.clock.Now().Truncate(time.Minute))
	return nil
}

// Shutdown stops the scheduler and waits for the running actions.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.stop)
	}
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *Manager) invalidate() {
	m.mu.Lock()
	m.dirty = true
	m.mu.Unlock()
}

// loadRules returns the enabled rules, reading them again after a change.
func (m *Manager) loadRules(ctx context.Context) ([]dataprovider.EventRule, error) {
	m.mu.RLock()
	if !m.dirty {
		r := m.rules
		m.mu.RUnlock()
		return r, nil
	}
	m.mu.RUnlock()
	m.mu.Lock()
	m.dirty = false
	m.mu.Unlock()
	all, err := m.store.ListEventRules(ctx, 0, 0, "ASC")
	if err != nil {
		m.invalidate()
		return nil, err
	}
	var enabled []dataprovider.EventRule
	for _, r := range all {
		if r.Status == 1 {
			enabled = append(enabled, r)
		}
	}
	m.mu.Lock()
	m.rules = enabled
	m.mu.Unlock()
	return enabled, nil
}

func (m *Manager) rulesFor(trigger int) []dataprovider.EventRule {
	m.mu.RLock()
	rules, dirty := m.rules, m.dirty
	m.mu.RUnlock()
	if dirty {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var err error
		rules, err = m.loadRules(ctx)
		cancel()
		if err != nil {
			m.log.Warn("unable to load the event rules", "error", err)
		}
	}
	var out []dataprovider.EventRule
	for _, r := range rules {
		if r.Trigger == trigger {
			out = append(out, r)
		}
	}
	return out
}

// goRun runs fn in the background unless the manager is stopped.
func (m *Manager) goRun(fn func()) {
	m.mu.RLock()
	closed := m.closed
	if !closed {
		m.wg.Add(1)
	}
	m.mu.RUnlock()
	if closed {
		return
	}
	go func() {
		defer m.wg.Done()
		fn()
	}()
}

// RunOnDemand starts an enabled on-demand rule in the background.
func (m *Manager) RunOnDemand(ctx context.Context, name string) error {
	r, err := m.store.GetEventRule(ctx, name)
	if err != nil {
		return err
	}
	if r.Trigger != dataprovider.TriggerOnDemand {
		return &dataprovider.ValidationError{Field: "trigger", Msg: fmt.Sprintf("rule %q is not an on-demand rule", r.Name)}
	}
	if r.Status != 1 {
		return &dataprovider.ValidationError{Field: "status", Msg: fmt.Sprintf("rule %q is disabled", r.Name)}
	}
	m.goRun(func() {
		p := &Params{Event: "on-demand", Timestamp: m.clock.Now()}
		_ = m.runRule(context.Background(), r, p, false)
	})
	return nil
}

// IPBlocked runs, in the background, the rules with the "IP blocked"
// trigger for a host the defender banned.
func (m *Manager) IPBlocked(ip, protocol string) {
	for _, r := range m.rulesFor(dataprovider.TriggerIPBlocked) {
		p := &Params{Event: "IP Blocked", IP: ip, Protocol: protocol, Timestamp: time.Now()}
		m.goRun(func() { _ = m.runRule(context.Background(), r, p, false) })
	}
}

// CertificateRenewed runs, in the background, the rules with the
// "certificate renewal" trigger: name is the certificate's domain, err
// the renewal's failure (nil on success). The ACME component calls it.
func (m *Manager) CertificateRenewed(name string, err error) {
	p := &Params{Name: name, ObjectName: name, Event: "Certificate renewal", Status: 1, Timestamp: time.Now()}
	if err != nil {
		p.Status, p.ErrorString = 2, err.Error()
	}
	for _, r := range m.rulesFor(dataprovider.TriggerCertificate) {
		m.goRun(func() { _ = m.runRule(context.Background(), r, p, false) })
	}
}

// onObjectChange runs the provider rules for a stored change.
func (m *Manager) onObjectChange(ch dataprovider.ObjectChange) {
	rules := m.rulesFor(dataprovider.TriggerProviderEvent)
	if len(rules) == 0 {
		return
	}
	p := &Params{Name: ch.Actor.Username, Event: ch.Action, ObjectName: ch.ObjectName, ObjectType: ch.ObjectType,
		IP: ch.Actor.IP, Role: ch.Actor.Role, Timestamp: time.Now(), Object: redactObject(ch.Object)}
	for _, r := range rules {
		c := r.Conditions
		if !slices.Contains(c.ProviderEvents, ch.Action) {
			continue
		}
		if len(c.Options.ProviderObjects) > 0 && !slices.Contains(c.Options.ProviderObjects, ch.ObjectType) {
			continue
		}
		if !dataprovider.MatchPatterns(c.Options.Names, ch.ObjectName) {
			continue
		}
		if !dataprovider.MatchPatterns(c.Options.RoleNames, ch.Actor.Role) && len(c.Options.RoleNames) > 0 {
			continue
		}
		m.goRun(func() { _ = m.runRule(context.Background(), r, p, false) })
	}
}

// errActionFailed wraps the failures of a rule's actions.
var errActionFailed = errors.New("event action failed")

// runRule runs a rule's actions in order. With onlySync the synchronous
// actions run now and the others in the background; the returned error
// is the first failure of a synchronous action. A failure runs the
// rule's failure actions; stop_on_failure skips the actions after it.
func (m *Manager) runRule(ctx context.Context, r dataprovider.EventRule, p *Params, onlySync bool) error {
	pp := *p
	pp.names = r.Conditions.Options.Names
	pp.reports = &retentionReports{}
	p = &pp
	var main, failure []dataprovider.EventAction
	for _, a := range r.Actions {
		if a.RelationOptions.IsFailureAction {
			failure = append(failure, a)
		} else {
			main = append(main, a)
		}
	}
	rd := newRenderer(p)
	var syncErr error
	failed := false
	var errs []string // the failed actions' errors, {{.ErrorString}} of the failure actions
	var async []dataprovider.EventAction
	for _, a := range main {
		if onlySync && !a.RelationOptions.ExecuteSync {
			async = append(async, a)
			continue
		}
		if err := m.runAction(ctx, r, a, p, rd); err != nil {
			failed = true
			errs = append(errs, err.Error())
			if a.RelationOptions.ExecuteSync && syncErr == nil {
				syncErr = fmt.Errorf("%w: rule %q, action %q: %v", errActionFailed, r.Name, a.Name, err)
			}
			if a.RelationOptions.StopOnFailure {
				async = nil
				break
			}
		}
	}
	// The failure actions see the event's error, if any, and the failed
	// actions' errors in {{.ErrorString}}.
	finish := func(failed bool, errs []string) {
		if !failed || len(failure) == 0 {
			return
		}
		fp := *p
		if fp.ErrorString != "" {
			errs = append([]string{fp.ErrorString}, errs...)
		}
		fp.ErrorString = strings.Join(errs, "; ")
		frd := newRenderer(&fp)
		for _, a := range failure {
			_ = m.runAction(context.Background(), r, a, &fp, frd)
		}
	}
	if len(async) == 0 {
		finish(failed, errs)
		return syncErr
	}
	m.goRun(func() {
		f, errs := failed, slices.Clone(errs)
		for _, a := range async {
			if err := m.runAction(context.Background(), r, a, p, rd); err != nil {
				f = true
				errs = append(errs, err.Error())
				if a.RelationOptions.StopOnFailure {
					break
				}
			}
		}
		finish(f, errs)
	})
	return syncErr
}

// runAction runs one action and logs its outcome with the rule and action
// names.
func (m *Manager) runAction(ctx context.Context, r dataprovider.EventRule, a dataprovider.EventAction, p *Params, rd *renderer) error {
	start := time.Now()
	err := m.execute(ctx, a.BaseEventAction, p, rd)
	attrs := []any{"rule", r.Name, "action", a.Name, "action_type", a.Type, "event", p.Event,
		"elapsed_ms", time.Since(start).Milliseconds()}
	if p.Username != "" {
		attrs = append(attrs, "username", p.Username)
	}
	if p.VirtualPath != "" {
		attrs = append(attrs, "path", p.VirtualPath)
	}
	if err != nil {
		m.log.Warn("event action failed", append(attrs, "failure_action", a.RelationOptions.IsFailureAction, "error", err)...)
		return err
	}
	m.log.Info("event action done", attrs...)
	return nil
}

// redactObject returns a provider object without its secrets: the
// provider actions' redaction, plus the event manager's own objects.
func redactObject(obj any) any {
	switch o := obj.(type) {
	case dataprovider.BaseEventAction:
		o.Options.HTTPConfig.Password = o.Options.HTTPConfig.Password.Redacted()
		return o
	case dataprovider.EventRule:
		actions := make([]dataprovider.EventAction, len(o.Actions))
		for i, a := range o.Actions {
			a.Options.HTTPConfig.Password = a.Options.HTTPConfig.Password.Redacted()
			actions[i] = a
		}
		o.Actions = actions
		return o
	}
	return hooks.RedactObject(obj)
}
