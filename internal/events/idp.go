package events

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// IdP login (trigger 7) and the IdP account check (action type 13): when
// someone signs in through OpenID Connect, the IdP login rules run before
// the account is looked up, so an account check can create or update the
// user or admin from a template filled with the token's custom fields
// ({{.IDPField<name>}}). A failing synchronous action refuses the login.

// IDP login event kinds of conditions.idp_login_event.
const (
	idpLoginAny   = 0
	idpLoginUser  = 1
	idpLoginAdmin = 2
)

// IDP account check modes (idp_config.mode).
const (
	idpModeCreateOrUpdate = 0
	idpModeCreateOnly     = 1
)

// idpConfig is an IdP account check's options (idp_config).
type idpConfig struct {
	Mode          int    `json:"mode"`
	TemplateUser  string `json:"template_user"`
	TemplateAdmin string `json:"template_admin"`
}

// idpAdminKey marks the params of an admin sign-in.
const idpAdminKey = "\x00admin"

// IDPLogin runs the IdP login rules for a sign-in: username is the account
// the ID token names, admin tells which UI it signs in to, fields are the
// token's custom_fields claims. It returns once the synchronous actions
// ran: their first failure is returned, and the sign-in must be refused.
func (m *Manager) IDPLogin(ctx context.Context, username string, admin bool, ip string, fields map[string]any) error {
	rules := m.rulesFor(dataprovider.TriggerIDPLogin)
	if len(rules) == 0 {
		return nil
	}
	p := &Params{Name: username, Username: username, Event: "IDP login user", Status: 1, IP: ip, Protocol: "OIDC",
		Timestamp: m.clock.Now(), ObjectName: username, ObjectType: dataprovider.ObjectTypeUser,
		IDPFields: make(map[string]string, len(fields)+1)}
	kind := idpLoginUser
	if admin {
		kind = idpLoginAdmin
		p.Event, p.ObjectType, p.Username = "IDP login admin", dataprovider.ObjectTypeAdmin, ""
		p.IDPFields[idpAdminKey] = "1"
	}
	for k, v := range fields {
		p.IDPFields[k] = claimText(v)
	}
	var errs []error
	for _, r := range rules {
		if ev := r.Conditions.IDPLoginEvent; ev != idpLoginAny && ev != kind {
			continue
		}
		if !dataprovider.MatchPatterns(r.Conditions.Options.Names, username) {
			continue
		}
		if err := m.runRule(ctx, r, p, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// claimText is a claim's value as placeholder text: strings as they are,
// anything else as JSON.
func claimText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// runIDPCheck creates or updates the signed-in account from the action's
// template (action type 13). The account is always the one the ID token
// names, whatever the template says.
func (m *Manager) runIDPCheck(ctx context.Context, raw json.RawMessage, p *Params, rd *renderer) error {
	var cfg idpConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("idp_config: %w", err)
	}
	if p.Event != "IDP login user" && p.Event != "IDP login admin" {
		return errors.New("an IdP account check runs only for IdP login events")
	}
	actx := dataprovider.WithActor(ctx, dataprovider.Actor{Username: "__system__", IP: p.IP})
	if _, admin := p.IDPFields[idpAdminKey]; admin {
		return m.idpAdmin(actx, cfg, p.Name, rd)
	}
	return m.idpUser(actx, cfg, p.Name, rd)
}

func (m *Manager) idpUser(ctx context.Context, cfg idpConfig, username string, rd *renderer) error {
	if strings.TrimSpace(cfg.TemplateUser) == "" {
		return errors.New("idp_config: no user template")
	}
	var u dataprovider.User
	if err := json.Unmarshal([]byte(rd.render(cfg.TemplateUser, true)), &u); err != nil {
		return fmt.Errorf("idp_config.template_user: the rendered template is not a user: %w", err)
	}
	u.Username = username
	old, err := m.store.GetUser(ctx, username)
	switch {
	case errors.Is(err, dataprovider.ErrNotFound):
		if u.Status == 0 && !strings.Contains(cfg.TemplateUser, `"status"`) {
			u.Status = 1
		}
		m.log.Info("IdP account check: creating user", "username", username)
		return m.store.AddUser(ctx, &u)
	case err != nil:
		return err
	case cfg.Mode == idpModeCreateOnly:
		return nil
	}
	u.ID, u.CreatedAt = old.ID, old.CreatedAt
	m.log.Info("IdP account check: updating user", "username", username)
	return m.store.UpdateUser(ctx, &u)
}

func (m *Manager) idpAdmin(ctx context.Context, cfg idpConfig, username string, rd *renderer) error {
	if strings.TrimSpace(cfg.TemplateAdmin) == "" {
		return errors.New("idp_config: no admin template")
	}
	var a dataprovider.Admin
	if err := json.Unmarshal([]byte(rd.render(cfg.TemplateAdmin, true)), &a); err != nil {
		return fmt.Errorf("idp_config.template_admin: the rendered template is not an admin: %w", err)
	}
	a.Username = username
	old, err := m.store.GetAdmin(ctx, username)
	switch {
	case errors.Is(err, dataprovider.ErrNotFound):
		if a.Status == 0 && !strings.Contains(cfg.TemplateAdmin, `"status"`) {
			a.Status = 1
		}
		if a.Password == "" {
			// an admin needs a password; one nobody knows keeps the
			// account IdP-only until an administrator sets one
			a.Password = randomPassword()
		}
		m.log.Info("IdP account check: creating admin", "username", username)
		return m.store.AddAdmin(ctx, &a)
	case err != nil:
		return err
	case cfg.Mode == idpModeCreateOnly:
		return nil
	}
	a.ID, a.CreatedAt = old.ID, old.CreatedAt
	m.log.Info("IdP account check: updating admin", "username", username)
	return m.store.UpdateAdmin(ctx, &a)
}

// randomPassword is a password nobody knows (26 base32 characters, 130
// bits).
func randomPassword() string { return rand.Text() }
