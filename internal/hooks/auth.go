package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// Default time limits when the command section sets none.
const (
	authTimeout    = 60 * time.Second
	connectTimeout = 20 * time.Second
)

// ErrDenied is returned when a hook refuses what it was asked about.
var ErrDenied = errors.New("denied by the hook")

// LoginInfo is what the authentication hooks are told about a login.
type LoginInfo struct {
	Username string
	IP       string
	// Protocol: SSH, FTP, DAV or HTTP.
	Protocol string
	// Method: password, publickey, keyboard-interactive, TLSCertificate...
	Method   string
	Password string
	// PublicKey in authorized_keys format, for public key logins.
	PublicKey string
	// KeyboardInteractive is "1" for keyboard-interactive logins.
	KeyboardInteractive string
	// TLSCert is the client certificate as PEM.
	TLSCert string
	// IDPFields: the OpenID Connect custom fields of an IDP login, sent
	// to the pre-login hook in the user JSON as "oidc_custom_fields".
	IDPFields map[string]any
}

// UserStore is what the hooks that provision users need;
// *dataprovider.Store satisfies it.
type UserStore interface {
	GetUser(ctx context.Context, username string) (dataprovider.User, error)
	GetEffectiveUser(ctx context.Context, username string) (dataprovider.User, error)
	AddUser(ctx context.Context, u *dataprovider.User) error
	UpdateUser(ctx context.Context, u *dataprovider.User) error
	CheckUserPassword(ctx context.Context, username, password string) (dataprovider.User, error)
	CheckUserPublicKey(ctx context.Context, username string, pubKey []byte) (dataprovider.User, error)
}

// storedUser returns the user as stored, nil when unknown.
func storedUser(ctx context.Context, store UserStore, username string) (*dataprovider.User, error) {
	u, err := store.GetUser(ctx, username)
	if err == nil {
		return &u, nil
	}
	if errors.Is(err, dataprovider.ErrNotFound) {
		return nil, nil
	}
	return nil, err
}

// saveUser adds u, or updates it when old exists, without firing
// provider actions, and returns the effective user.
func saveUser(ctx context.Context, store UserStore, u *dataprovider.User, old *dataprovider.User) (*dataprovider.User, error) {
	ctx = dataprovider.WithoutObjectActions(ctx)
	var err error
	if old != nil {
		u.ID = old.ID
		err = store.UpdateUser(ctx, u)
	} else {
		u.ID = 0
		err = store.AddUser(ctx, u)
	}
	if err != nil {
		return nil, fmt.Errorf("save user %q: %w", u.Username, err)
	}
	eff, err := store.GetEffectiveUser(ctx, u.Username)
	if err != nil {
		return nil, err
	}
	return &eff, nil
}

func userJSON(u *dataprovider.User) string {
	if u == nil {
		return ""
	}
	data, _ := json.Marshal(u)
	return string(data)
}

// ExternalAuth is data_provider.external_auth_hook: it authenticates
// instead of the stored credentials and may create or update the user.
type ExternalAuth struct {
	Runner *Runner
	Store  UserStore
	Hook   string
	// Scope: 0 every method, else bits 1 password, 2 public key,
	// 4 keyboard-interactive, 8 TLS certificate.
	Scope int
}

// InScope reports whether the hook handles logins with method.
func (a *ExternalAuth) InScope(method string) bool {
	if a.Scope == 0 {
		return true
	}
	bit := 0
	switch method {
	case dataprovider.LoginMethodPassword, dataprovider.LoginMethodTLSCertificateAndPwd:
		bit = 1
	case dataprovider.LoginMethodPublicKey:
		bit = 2
	case dataprovider.LoginMethodKeyboardInteractive:
		bit = 4
	case dataprovider.LoginMethodTLSCertificate:
		bit = 8
	}
	return a.Scope&bit != 0
}

type externalAuthRequest struct {
	Username            string             `json:"username"`
	IP                  string             `json:"ip"`
	User                *dataprovider.User `json:"user,omitempty"`
	Protocol            string             `json:"protocol"`
	Password            string             `json:"password,omitempty"`
	PublicKey           string             `json:"public_key,omitempty"`
	KeyboardInteractive string             `json:"keyboard_interactive,omitempty"`
	TLSCert             string             `json:"tls_cert,omitempty"`
}

// Authenticate runs the hook for info. handled is false when the method is
// out of scope or the user has external_auth_disabled. When handled, a nil
// error means the login is good and user is the effective account.
func (a *ExternalAuth) Authenticate(ctx context.Context, info LoginInfo, verifyKey []byte) (*dataprovider.User, bool, error) {
	if !a.InScope(info.Method) {
		return nil, false, nil
	}
	old, err := storedUser(ctx, a.Store, info.Username)
	if err != nil {
		return nil, true, err
	}
	if old != nil && old.Filters.Hooks.ExternalAuthDisabled {
		return nil, false, nil
	}
	if old != nil && a.cached(old) {
		// filters.external_auth_cache_time: the hook answered for this
		// user a short while ago; credentials that match what it saved
		// need not ask it again (others still do)
		if a.checkStored(ctx, info, verifyKey) == nil {
			eff, err := a.Store.GetEffectiveUser(ctx, info.Username)
			if err != nil {
				return nil, true, err
			}
			return &eff, true, nil
		}
	}
	var out []byte
	if IsURL(a.Hook) {
		body, _ := json.Marshal(externalAuthRequest{Username: info.Username, IP: info.IP, User: old, Protocol: info.Protocol,
			Password: info.Password, PublicKey: info.PublicKey, KeyboardInteractive: info.KeyboardInteractive, TLSCert: info.TLSCert})
		resp, err := a.Runner.HTTP().Do(ctx, http.MethodPost, a.Hook, body, "application/json")
		if err != nil {
			return nil, true, fmt.Errorf("external auth hook: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return nil, true, fmt.Errorf("external auth hook: HTTP status %d: %w", resp.StatusCode, ErrDenied)
		}
		out = resp.Body
	} else {
		out, err = a.Runner.Exec(ctx, KindExternalAuth, a.Hook, env(
			"SFTPGO_AUTHD_USERNAME", info.Username,
			"SFTPGO_AUTHD_USER", userJSON(old),
			"SFTPGO_AUTHD_IP", info.IP,
			"SFTPGO_AUTHD_PROTOCOL", info.Protocol,
			"SFTPGO_AUTHD_PASSWORD", info.Password,
			"SFTPGO_AUTHD_PUBLIC_KEY", info.PublicKey,
			"SFTPGO_AUTHD_KEYBOARD_INTERACTIVE", info.KeyboardInteractive,
			"SFTPGO_AUTHD_TLS_CERT", strings.ReplaceAll(info.TLSCert, "\n", `\n`),
		), authTimeout)
		if err != nil {
			return nil, true, err
		}
	}
	out = bytes.TrimSpace(out)
	if len(out) == 0 {
		// authenticated by the hook, the stored user stays as it is
		// and its own credentials must match
		if old == nil {
			return nil, true, fmt.Errorf("external auth hook: no user returned for unknown user %q: %w", info.Username, ErrDenied)
		}
		if err := a.checkStored(ctx, info, verifyKey); err != nil {
			return nil, true, err
		}
		eff, err := a.Store.GetEffectiveUser(ctx, info.Username)
		if err != nil {
			return nil, true, err
		}
		return &eff, true, nil
	}
	var u dataprovider.User
	if err := json.Unmarshal(out, &u); err != nil {
		return nil, true, fmt.Errorf("external auth hook: invalid user JSON: %w", err)
	}
	if u.Username == "" {
		return nil, true, fmt.Errorf("external auth hook: empty username: %w", ErrDenied)
	}
	if !strings.EqualFold(u.Username, info.Username) {
		return nil, true, fmt.Errorf("external auth hook: returned user %q for %q: %w", u.Username, info.Username, ErrDenied)
	}
	if info.Password != "" && (info.Method == dataprovider.LoginMethodPassword || info.Method == dataprovider.LoginMethodTLSCertificateAndPwd ||
		info.Method == dataprovider.LoginMethodKeyboardInteractive) {
		u.Password = info.Password
	}
	if info.PublicKey != "" && !containsKey(u.PublicKeys, info.PublicKey) {
		u.PublicKeys = append(u.PublicKeys, info.PublicKey)
	}
	if old != nil {
		keepState(&u, old)
		if u.Password == "" {
			u.Password = old.Password
		} else if u.Password == info.Password && dataprovider.IsPasswordHashed(old.Password) {
			// the stored hash already matches: keep it rather than
			// hashing again at every login
			if _, err := a.Store.CheckUserPassword(ctx, info.Username, info.Password); err == nil {
				u.Password = old.Password
			}
		}
	}
	eff, err := saveUser(ctx, a.Store, &u, old)
	if err != nil {
		return nil, true, err
	}
	return eff, true, nil
}

// cached reports whether u was saved by the hook (or otherwise updated)
// less than its filters.external_auth_cache_time seconds ago.
func (a *ExternalAuth) cached(u *dataprovider.User) bool {
	ttl := u.Filters.ExternalAuthCacheTime
	if ttl <= 0 || u.UpdatedAt <= 0 {
		return false
	}
	return time.Since(time.UnixMilli(u.UpdatedAt)) < time.Duration(ttl)*time.Second
}

func (a *ExternalAuth) checkStored(ctx context.Context, info LoginInfo, key []byte) error {
	switch info.Method {
	case dataprovider.LoginMethodPassword, dataprovider.LoginMethodKeyboardInteractive, dataprovider.LoginMethodTLSCertificateAndPwd:
		_, err := a.Store.CheckUserPassword(ctx, info.Username, info.Password)
		return err
	case dataprovider.LoginMethodPublicKey:
		_, err := a.Store.CheckUserPublicKey(ctx, info.Username, key)
		return err
	}
	return nil
}

func containsKey(keys []string, key string) bool {
	k := strings.TrimSpace(key)
	for _, e := range keys {
		if strings.TrimSpace(e) == k {
			return true
		}
	}
	return false
}

// keepState copies into u what a hook's user never replaces: usage
// counters, last login, first transfers and the second factor.
func keepState(u, old *dataprovider.User) {
	u.UsedQuotaSize, u.UsedQuotaFiles, u.LastQuotaUpdate = old.UsedQuotaSize, old.UsedQuotaFiles, old.LastQuotaUpdate
	u.UsedUploadDataTransfer, u.UsedDownloadDataTransfer = old.UsedUploadDataTransfer, old.UsedDownloadDataTransfer
	u.LastLogin, u.FirstUpload, u.FirstDownload = old.LastLogin, old.FirstUpload, old.FirstDownload
	u.Filters.TOTPConfig, u.Filters.RecoveryCodes = old.Filters.TOTPConfig, old.Filters.RecoveryCodes
}

// PreLogin is data_provider.pre_login_hook: it may create, replace or
// refuse the user before the credentials are checked.
type PreLogin struct {
	Runner *Runner
	Store  UserStore
	Hook   string
}

// Run returns the user to use (nil: no change).
func (p *PreLogin) Run(ctx context.Context, info LoginInfo) (*dataprovider.User, error) {
	old, err := storedUser(ctx, p.Store, info.Username)
	if err != nil {
		return nil, err
	}
	if old != nil && old.Filters.Hooks.PreLoginDisabled {
		return nil, nil
	}
	cur := old
	if cur == nil {
		cur = &dataprovider.User{Username: info.Username}
	}
	var out []byte
	if IsURL(p.Hook) {
		q := url.Values{"login_method": {info.Method}, "ip": {info.IP}, "protocol": {info.Protocol}}
		body := preLoginUserJSON(cur, info.IDPFields)
		resp, err := p.Runner.HTTP().Do(ctx, http.MethodPost, withQuery(p.Hook, q), body, "application/json")
		if err != nil {
			return nil, fmt.Errorf("pre-login hook: %w", err)
		}
		switch resp.StatusCode {
		case http.StatusNoContent:
			return nil, nil
		case http.StatusOK:
			out = resp.Body
		default:
			return nil, fmt.Errorf("pre-login hook: HTTP status %d: %w", resp.StatusCode, ErrDenied)
		}
	} else {
		out, err = p.Runner.Exec(ctx, KindPreLogin, p.Hook, env(
			"SFTPGO_LOGIND_USER", string(preLoginUserJSON(cur, info.IDPFields)),
			"SFTPGO_LOGIND_METHOD", info.Method,
			"SFTPGO_LOGIND_IP", info.IP,
			"SFTPGO_LOGIND_PROTOCOL", info.Protocol,
		), authTimeout)
		if err != nil {
			return nil, err
		}
	}
	out = bytes.TrimSpace(out)
	if len(out) == 0 {
		return nil, nil
	}
	var u dataprovider.User
	if err := json.Unmarshal(out, &u); err != nil {
		return nil, fmt.Errorf("pre-login hook: invalid user JSON: %w", err)
	}
	if !strings.EqualFold(u.Username, info.Username) {
		return nil, fmt.Errorf("pre-login hook: returned user %q for %q: %w", u.Username, info.Username, ErrDenied)
	}
	if old != nil {
		keepState(&u, old)
	}
	return saveUser(ctx, p.Store, &u, old)
}

// CheckPasswordAnswer is the check-password hook's verdict.
type CheckPasswordAnswer struct {
	// Status 0 deny, 1 accept, 2 check ToVerify against the stored
	// password.
	Status   int    `json:"status"`
	ToVerify string `json:"to_verify"`
}

// CheckPassword is data_provider.check_password_hook.
type CheckPassword struct {
	Runner *Runner
	Store  UserStore
	Hook   string
	// Scope: 0 every protocol, else bits 1 SSH, 2 FTP, 4 DAV.
	Scope int
}

// InScope reports whether the hook is asked about logins over protocol.
func (c *CheckPassword) InScope(protocol string) bool {
	if c.Scope == 0 {
		return true
	}
	bit := 0
	switch protocol {
	case dataprovider.ProtocolSSH:
		bit = 1
	case dataprovider.ProtocolFTP:
		bit = 2
	case dataprovider.ProtocolWebDAV:
		bit = 4
	}
	return c.Scope&bit != 0
}

// Check asks the hook about password; handled is false out of scope or
// for users with check_password_disabled.
func (c *CheckPassword) Check(ctx context.Context, info LoginInfo, password string) (CheckPasswordAnswer, bool, error) {
	var ans CheckPasswordAnswer
	if !c.InScope(info.Protocol) {
		return ans, false, nil
	}
	if u, err := storedUser(ctx, c.Store, info.Username); err == nil && u != nil && u.Filters.Hooks.CheckPasswordDisabled {
		return ans, false, nil
	}
	var out []byte
	var err error
	if IsURL(c.Hook) {
		body, _ := json.Marshal(map[string]string{"username": info.Username, "password": password, "ip": info.IP, "protocol": info.Protocol})
		resp, err := c.Runner.HTTP().Do(ctx, http.MethodPost, c.Hook, body, "application/json")
		if err != nil {
			return ans, true, fmt.Errorf("check password hook: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return ans, true, fmt.Errorf("check password hook: HTTP status %d", resp.StatusCode)
		}
		out = resp.Body
	} else {
		out, err = c.Runner.Exec(ctx, KindCheckPassword, c.Hook, env(
			"SFTPGO_AUTHD_USERNAME", info.Username,
			"SFTPGO_AUTHD_PASSWORD", password,
			"SFTPGO_AUTHD_IP", info.IP,
			"SFTPGO_AUTHD_PROTOCOL", info.Protocol,
		), authTimeout)
		if err != nil {
			return ans, true, err
		}
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &ans); err != nil {
		return ans, true, fmt.Errorf("check password hook: invalid answer: %w", err)
	}
	return ans, true, nil
}

// PostConnect is common.post_connect_hook.
type PostConnect struct {
	Runner *Runner
	Hook   string
}

// Check returns an error when the hook refuses a connection from ip.
func (p *PostConnect) Check(ctx context.Context, protocol, ip string) error {
	if IsURL(p.Hook) {
		q := url.Values{"ip": {ip}, "protocol": {protocol}}
		resp, err := p.Runner.HTTP().Do(ctx, http.MethodGet, withQuery(p.Hook, q), nil, "")
		if err != nil {
			return fmt.Errorf("post-connect hook: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("post-connect hook: HTTP status %d: %w", resp.StatusCode, ErrDenied)
		}
		return nil
	}
	_, err := p.Runner.Exec(ctx, KindPostConnect, p.Hook, env(
		"SFTPGO_CONNECTION_IP", ip,
		"SFTPGO_CONNECTION_PROTOCOL", protocol,
	), connectTimeout)
	return err
}

func withQuery(hook string, q url.Values) string {
	sep := "?"
	if strings.Contains(hook, "?") {
		sep = "&"
	}
	return hook + sep + q.Encode()
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// preLoginUserJSON is the user as the pre-login hook receives it, with
// the OpenID Connect custom fields of an IDP login.
func preLoginUserJSON(u *dataprovider.User, idpFields map[string]any) []byte {
	b := []byte(userJSON(u))
	if len(idpFields) == 0 {
		return b
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return b
	}
	m["oidc_custom_fields"] = idpFields
	if out, err := json.Marshal(m); err == nil {
		return out
	}
	return b
}
