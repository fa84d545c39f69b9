package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

const day = 24 * time.Hour

// runInactivity disables or deletes the users that have not logged in
// for the configured days (action type 14); users that never logged in
// count from their creation.
func (m *Manager) runInactivity(ctx context.Context, raw json.RawMessage, p *Params) error {
	var cfg struct {
		DisableThreshold int `json:"disable_threshold"`
		DeleteThreshold  int `json:"delete_threshold"`
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return fmt.Errorf("user_inactivity_config: %w", err)
		}
	}
	if cfg.DisableThreshold <= 0 && cfg.DeleteThreshold <= 0 {
		return errors.New("user_inactivity_config: no threshold")
	}
	now := m.clock.Now()
	actx := dataprovider.WithActor(ctx, dataprovider.Actor{Username: "__system__"})
	return m.forUsers(ctx, p, func(u dataprovider.User) error {
		last := u.LastLogin
		if last == 0 {
			last = u.CreatedAt
		}
		idle := now.Sub(time.UnixMilli(last))
		switch {
		case cfg.DeleteThreshold > 0 && idle > time.Duration(cfg.DeleteThreshold)*day:
			m.log.Info("deleting inactive user", "username", u.Username, "idle_days", int(idle/day))
			return m.store.DeleteUser(actx, u.Username)
		case cfg.DisableThreshold > 0 && idle > time.Duration(cfg.DisableThreshold)*day && u.Status == 1:
			m.log.Info("disabling inactive user", "username", u.Username, "idle_days", int(idle/day))
			u.Status = 0
			return m.store.UpdateUser(actx, &u)
		}
		return nil
	})
}

// runPasswordExpiration e-mails the users whose password expires within
// the threshold days (action type 11).
func (m *Manager) runPasswordExpiration(ctx context.Context, raw json.RawMessage, p *Params) error {
	var cfg struct {
		Threshold int `json:"threshold"`
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return fmt.Errorf("pwd_expiration_config: %w", err)
		}
	}
	if cfg.Threshold <= 0 {
		return errors.New("pwd_expiration_config: the threshold must be greater than 0")
	}
	now := m.clock.Now()
	return m.forUsers(ctx, p, func(u dataprovider.User) error {
		days := u.Filters.PasswordExpiration
		if days <= 0 || u.Email == "" || u.LastPasswordChange == 0 {
			return nil
		}
		expires := time.UnixMilli(u.LastPasswordChange).Add(time.Duration(days) * day)
		left := expires.Sub(now)
		if left > time.Duration(cfg.Threshold)*day {
			return nil
		}
		if m.opts.Mailer == nil {
			return errors.New("no SMTP server configured")
		}
		subject := fmt.Sprintf("Your password expires in %d days", int((left+day-1)/day))
		if left <= 0 {
			subject = "Your password has expired"
		}
		return m.opts.Mailer.Send(ctx, Mail{To: []string{u.Email}, Subject: subject,
			Body: fmt.Sprintf("The password of the account %q expires on %s. Please change it.", u.Username,
				expires.UTC().Format("2006-01-02 15:04 MST"))})
	})
}

// ErrExpiredUsers is the failure of a user expiration check (action type
// 12) that found expired accounts: the error names them, so the rule's
// failure actions (an e-mail with {{.ErrorString}}, say) report them.
var ErrExpiredUsers = errors.New("expired users")

// runUserExpiration lists the enabled users, among those the rule's name
// conditions select, whose expiration date has passed.
func (m *Manager) runUserExpiration(ctx context.Context, p *Params) error {
	now := m.clock.Now().UnixMilli()
	var expired []string
	err := m.forUsers(ctx, p, func(u dataprovider.User) error {
		if u.ExpirationDate > 0 && u.ExpirationDate < now {
			expired = append(expired, u.Username)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(expired) == 0 {
		return nil
	}
	m.log.Info("user expiration check: expired users found", "users", expired)
	return fmt.Errorf("%w: %s", ErrExpiredUsers, strings.Join(expired, ", "))
}
