package httpd

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// Two-factor enrolment, the same endpoints for users (/user/...) and
// admins (/admin/...): list the mfa.totp configurations, generate a
// secret, check a code against it, save the configuration, and read or
// regenerate the recovery codes. Admins with disable_mfa turn another
// account's second factor off.

// recoveryCodesCount is how many recovery codes an enrolment creates.
const recoveryCodesCount = 12

// secretDecrypter reads stored secrets; *dataprovider.Store satisfies it.
type secretDecrypter interface {
	DecryptSecret(sec *kms.Secret) (string, error)
}

// mfaAccount is the user or admin an enrolment request changes.
type mfaAccount struct {
	name      string
	totp      *dataprovider.TOTPConfig
	codes     *[]dataprovider.RecoveryCode
	protocols bool // users pick the protocols the second factor covers
	// required lists the protocols the account must keep covered
	// (two_factor_protocols; for an admin with require_two_factor: HTTP).
	required []string
	save     func(ctx context.Context) error
}

// totpConfigs returns mfa.totp (the default configuration when the
// server has no common part).
func (s *Server) totpConfigs() []config.TOTPConfig {
	if s.common != nil {
		if c := s.common.TOTPConfigs(); len(c) > 0 {
			return c
		}
	}
	return []config.TOTPConfig{{Name: "Default", Issuer: "SFTPGo", Algo: "sha1"}}
}

func (s *Server) totpConfig(name string) (config.TOTPConfig, error) {
	for _, c := range s.totpConfigs() {
		if c.Name == name {
			if c.Algo == "" {
				c.Algo = "sha1"
			}
			c.Algo = strings.ToLower(c.Algo)
			return c, nil
		}
	}
	return config.TOTPConfig{}, &dataprovider.ValidationError{Field: "config_name", Msg: fmt.Sprintf("no TOTP configuration named %q", name)}
}

// useOTP consumes an accepted code, so it cannot be replayed.
func (s *Server) useOTP(secret, code string) bool {
	if s.common != nil {
		return s.common.UseTOTPCode(secret, code)
	}
	return s.otpCodes.Use(secret, strings.TrimSpace(code))
}

// checkOTP validates code against the plain secret with the algorithm
// of configName and consumes it.
func (s *Server) checkOTP(configName, secret, code string) bool {
	c, err := s.totpConfig(configName)
	if err != nil {
		return false
	}
	return common.ValidateTOTP(secret, code, c.Algo, s.now()) && s.useOTP(secret, code)
}

type totpConfigInfo struct {
	Name   string `json:"name"`
	Issuer string `json:"issuer"`
	Algo   string `json:"algo"`
}

func (s *Server) listTOTPConfigs(w http.ResponseWriter, _ *http.Request) {
	out := []totpConfigInfo{}
	for _, c := range s.totpConfigs() {
		algo := strings.ToLower(c.Algo)
		if algo == "" {
			algo = "sha1"
		}
		out = append(out, totpConfigInfo{Name: c.Name, Issuer: c.Issuer, Algo: algo})
	}
	renderJSON(w, http.StatusOK, out)
}

// totpSecret is a new, not yet saved secret.
type totpSecret struct {
	ConfigName string `json:"config_name"`
	Issuer     string `json:"issuer"`
	Secret     string `json:"secret"`
	URL        string `json:"url"`
	// QRCode is the otpauth URL as a PNG (base64 in JSON).
	QRCode []byte `json:"qr_code"`
}

// newTOTPSecret creates a random 160-bit secret and its otpauth URL for
// account, labelled with the configuration's issuer.
func (s *Server) newTOTPSecret(configName, account string) (totpSecret, error) {
	c, err := s.totpConfig(configName)
	if err != nil {
		return totpSecret{}, err
	}
	key := make([]byte, 20)
	if _, err := rand.Read(key); err != nil {
		return totpSecret{}, err
	}
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(key)
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", c.Issuer)
	q.Set("algorithm", strings.ToUpper(c.Algo))
	q.Set("digits", "6")
	q.Set("period", "30")
	label := url.PathEscape(account)
	if c.Issuer != "" {
		label = url.PathEscape(c.Issuer) + ":" + label
	}
	u := "otpauth://totp/" + label + "?" + q.Encode()
	png, err := qrcode.Encode(u, qrcode.Medium, 256)
	if err != nil {
		return totpSecret{}, fmt.Errorf("QR code: %w", err)
	}
	return totpSecret{ConfigName: c.Name, Issuer: c.Issuer, Secret: secret, URL: u, QRCode: png}, nil
}

type totpGenerateRequest struct {
	ConfigName string `json:"config_name"`
}

func (s *Server) generateTOTP(w http.ResponseWriter, r *http.Request, account string) {
	var req totpGenerateRequest
	if !decodeBody(w, r, &req) {
		return
	}
	sec, err := s.newTOTPSecret(req.ConfigName, account)
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, sec)
}

type totpValidateRequest struct {
	ConfigName string `json:"config_name"`
	Passcode   string `json:"passcode"`
	Secret     string `json:"secret"`
}

func (s *Server) validateTOTP(w http.ResponseWriter, r *http.Request) {
	var req totpValidateRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if _, err := s.totpConfig(req.ConfigName); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if !s.checkOTP(req.ConfigName, req.Secret, req.Passcode) {
		sendAPIError(w, r, http.StatusBadRequest, errors.New("invalid passcode"))
		return
	}
	sendMessage(w, http.StatusOK, "Passcode successfully validated")
}

// totpSaveRequest is the body of /user/totp/save and /admin/totp/save.
type totpSaveRequest struct {
	Enabled    bool        `json:"enabled"`
	ConfigName string      `json:"config_name"`
	Secret     *kms.Secret `json:"secret"`
	Protocols  []string    `json:"protocols"`
}

var totpProtocols = []string{dataprovider.ProtocolSSH, dataprovider.ProtocolFTP, dataprovider.ProtocolHTTP}

// applyTOTP validates req and applies it to acc; it reports whether new
// recovery codes were created.
func (s *Server) applyTOTP(acc *mfaAccount, req totpSaveRequest) error {
	if !req.Enabled {
		if len(acc.required) > 0 {
			return &dataprovider.ValidationError{Field: "enabled",
				Msg: "two-factor authentication is required for " + strings.Join(acc.required, ", ") + ": it cannot be disabled"}
		}
		*acc.totp = dataprovider.TOTPConfig{}
		*acc.codes = nil
		return nil
	}
	if _, err := s.totpConfig(req.ConfigName); err != nil {
		return err
	}
	var protocols []string
	if acc.protocols {
		if len(req.Protocols) == 0 {
			return &dataprovider.ValidationError{Field: "protocols", Msg: "at least one protocol is required"}
		}
		for _, p := range req.Protocols {
			if !slices.Contains(totpProtocols, p) {
				return &dataprovider.ValidationError{Field: "protocols", Msg: fmt.Sprintf("invalid protocol %q", p)}
			}
			if !slices.Contains(protocols, p) {
				protocols = append(protocols, p)
			}
		}
		for _, p := range acc.required {
			if !slices.Contains(protocols, p) {
				return &dataprovider.ValidationError{Field: "protocols",
					Msg: "two-factor authentication is required for " + strings.Join(acc.required, ", ")}
			}
		}
	}
	secret := req.Secret
	switch {
	case secret.IsPlain() && secret.Payload != "":
		if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret.Payload, "="))); err != nil {
			return &dataprovider.ValidationError{Field: "secret", Msg: "is not a base32 TOTP secret"}
		}
		secret = kms.NewPlainSecret(secret.Payload)
	case acc.totp.Enabled && acc.totp.ConfigName == req.ConfigName && !acc.totp.Secret.IsEmpty():
		// a redacted or missing secret keeps the stored one (changing
		// only the protocols)
		secret = acc.totp.Secret
	default:
		return &dataprovider.ValidationError{Field: "secret", Msg: "a plain secret is required"}
	}
	*acc.totp = dataprovider.TOTPConfig{Enabled: true, ConfigName: req.ConfigName, Secret: secret, Protocols: protocols}
	if !slices.ContainsFunc(*acc.codes, func(c dataprovider.RecoveryCode) bool { return !c.Used }) {
		codes, _, err := newRecoveryCodes()
		if err != nil {
			return err
		}
		*acc.codes = codes
	}
	return nil
}

func (s *Server) saveTOTP(w http.ResponseWriter, r *http.Request, acc *mfaAccount) {
	var req totpSaveRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if err := s.applyTOTP(acc, req); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if err := acc.save(r.Context()); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "TOTP configuration saved")
}

// newRecoveryCodes returns fresh codes, "RC-" and 12 hex characters.
func newRecoveryCodes() ([]dataprovider.RecoveryCode, []string, error) {
	codes := make([]dataprovider.RecoveryCode, 0, recoveryCodesCount)
	plain := make([]string, 0, recoveryCodesCount)
	for range recoveryCodesCount {
		b := make([]byte, 6)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, err
		}
		c := fmt.Sprintf("RC-%X", b)
		plain = append(plain, c)
		codes = append(codes, dataprovider.RecoveryCode{Secret: kms.NewPlainSecret(c)})
	}
	return codes, plain, nil
}

// recoveryCodeInfo is a recovery code as its owner sees it.
type recoveryCodeInfo struct {
	Code string `json:"code"`
	Used bool   `json:"used"`
}

func (s *Server) plainRecoveryCodes(codes []dataprovider.RecoveryCode) ([]recoveryCodeInfo, error) {
	dec, ok := s.store.(secretDecrypter)
	out := []recoveryCodeInfo{}
	for _, c := range codes {
		if c.Secret.IsEmpty() {
			continue
		}
		plain := c.Secret.Payload
		if !c.Secret.IsPlain() {
			if !ok {
				return nil, errors.New("the data provider cannot decrypt recovery codes")
			}
			var err error
			if plain, err = dec.DecryptSecret(c.Secret); err != nil {
				return nil, fmt.Errorf("decrypt recovery code: %w", err)
			}
		}
		out = append(out, recoveryCodeInfo{Code: plain, Used: c.Used})
	}
	return out, nil
}

func (s *Server) getRecoveryCodes(w http.ResponseWriter, r *http.Request, acc *mfaAccount) {
	if !acc.totp.Enabled {
		sendAPIError(w, r, http.StatusBadRequest, errors.New("two-factor authentication is not enabled"))
		return
	}
	out, err := s.plainRecoveryCodes(*acc.codes)
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, out)
}

func (s *Server) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request, acc *mfaAccount) {
	if !acc.totp.Enabled {
		sendAPIError(w, r, http.StatusBadRequest, errors.New("two-factor authentication is not enabled"))
		return
	}
	codes, plain, err := newRecoveryCodes()
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	*acc.codes = codes
	if err := acc.save(r.Context()); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	renderJSON(w, http.StatusOK, plain)
}

// userMFAAccount loads the calling user's stored record (not the
// effective one: group settings must not be written back).
func (s *Server) userMFAAccount(r *http.Request) (*mfaAccount, error) {
	sess := userFromContext(r.Context())
	u, err := s.store.GetUser(r.Context(), sess.user.Username)
	if err != nil {
		return nil, err
	}
	return s.userAccount(&u, sess.user.Filters.TwoFactorAuthProtocols), nil
}

func (s *Server) userAccount(u *dataprovider.User, required []string) *mfaAccount {
	return &mfaAccount{name: u.Username, totp: &u.Filters.TOTPConfig, codes: &u.Filters.RecoveryCodes,
		protocols: true, required: required,
		save: func(ctx context.Context) error {
			u.Password = "" // keep the stored hash
			return s.store.UpdateUser(ctx, u)
		}}
}

func (s *Server) adminMFAAccount(r *http.Request) (*mfaAccount, error) {
	a, err := s.store.GetAdmin(r.Context(), authFromContext(r.Context()).admin.Username)
	if err != nil {
		return nil, err
	}
	return s.adminAccount(&a), nil
}

func (s *Server) adminAccount(a *dataprovider.Admin) *mfaAccount {
	var required []string
	if a.Filters.RequireTwoFactor {
		required = []string{dataprovider.ProtocolHTTP}
	}
	return &mfaAccount{name: a.Username, totp: &a.Filters.TOTPConfig, codes: &a.Filters.RecoveryCodes,
		required: required,
		save: func(ctx context.Context) error {
			a.Password = "" // keep the stored hash
			return s.store.UpdateAdmin(ctx, a)
		}}
}

// withAccount wraps an enrolment handler with the account it changes.
func (s *Server) withAccount(load func(*http.Request) (*mfaAccount, error), h func(http.ResponseWriter, *http.Request, *mfaAccount)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		acc, err := load(r)
		if err != nil {
			s.sendStoreError(w, r, err)
			return
		}
		h(w, r, acc)
	}
}

// userTOTPRoutes registers the user's enrolment endpoints, inside the
// authenticated /user group.
func (s *Server) userTOTPRoutes(r chi.Router) {
	r.Get("/totp/configs", s.listTOTPConfigs)
	r.Post("/totp/generate", func(w http.ResponseWriter, r *http.Request) {
		s.generateTOTP(w, r, userFromContext(r.Context()).user.Username)
	})
	r.Post("/totp/validate", s.validateTOTP)
	r.Post("/totp/save", s.withAccount(s.userMFAAccount, s.saveTOTP))
	r.Get("/2fa/recoverycodes", s.withAccount(s.userMFAAccount, s.getRecoveryCodes))
	r.Post("/2fa/recoverycodes", s.withAccount(s.userMFAAccount, s.regenerateRecoveryCodes))
}

// adminTOTPRoutes registers the admin's own enrolment endpoints and the
// disable endpoints, inside the authenticated admin group.
func (s *Server) adminTOTPRoutes(r chi.Router) {
	r.Get("/admin/totp/configs", s.listTOTPConfigs)
	r.Post("/admin/totp/generate", func(w http.ResponseWriter, r *http.Request) {
		s.generateTOTP(w, r, authFromContext(r.Context()).admin.Username)
	})
	r.Post("/admin/totp/validate", s.validateTOTP)
	r.Post("/admin/totp/save", s.withAccount(s.adminMFAAccount, s.saveTOTP))
	r.Get("/admin/2fa/recoverycodes", s.withAccount(s.adminMFAAccount, s.getRecoveryCodes))
	r.Post("/admin/2fa/recoverycodes", s.withAccount(s.adminMFAAccount, s.regenerateRecoveryCodes))
	r.With(s.checkPerm(dataprovider.AdminPermDisableMFA)).Put("/users/{username}/2fa/disable", s.disableUserMFA)
	r.With(s.checkPerm(dataprovider.AdminPermDisableMFA)).Put("/admins/{username}/2fa/disable", s.disableAdminMFA)
}

func (s *Server) disableUserMFA(w http.ResponseWriter, r *http.Request) {
	u, err := s.getVisibleUser(r, urlParam(r, "username"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if !u.Filters.TOTPConfig.Enabled {
		sendAPIError(w, r, http.StatusBadRequest, errors.New("two-factor authentication is not enabled"))
		return
	}
	u.Filters.TOTPConfig = dataprovider.TOTPConfig{}
	u.Filters.RecoveryCodes = nil
	u.Password = ""
	if err := s.store.UpdateUser(r.Context(), &u); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "2FA disabled")
}

func (s *Server) disableAdminMFA(w http.ResponseWriter, r *http.Request) {
	a, err := s.store.GetAdmin(r.Context(), urlParam(r, "username"))
	if err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	if !a.Filters.TOTPConfig.Enabled {
		sendAPIError(w, r, http.StatusBadRequest, errors.New("two-factor authentication is not enabled"))
		return
	}
	a.Filters.TOTPConfig = dataprovider.TOTPConfig{}
	a.Filters.RecoveryCodes = nil
	a.Password = ""
	if err := s.store.UpdateAdmin(r.Context(), &a); err != nil {
		s.sendStoreError(w, r, err)
		return
	}
	sendMessage(w, http.StatusOK, "2FA disabled")
}

// mfaExempt lists the paths (after /api/v2) an account that must enrol
// may still use.
func mfaExempt(p string) bool {
	for _, suffix := range []string{"/totp/configs", "/totp/generate", "/totp/validate", "/totp/save",
		"/2fa/recoverycodes", "/logout", "/profile"} {
		if strings.HasSuffix(p, suffix) {
			return true
		}
	}
	return false
}

// errMFARequired is the refusal of an account that must enrol first.
func errMFARequired(missing []string) error {
	return errors.New("two-factor authentication requirements not met, please configure two-factor authentication for the following protocols: " + strings.Join(missing, ", "))
}

// requireUserMFASet refuses every user API call but the enrolment ones
// while the user lacks a second factor its two_factor_protocols require
// for HTTP.
func (s *Server) requireUserMFASet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sess := userFromContext(r.Context()); sess != nil && !mfaExempt(r.URL.Path) {
			if missing := common.MissingSecondFactor(&sess.user); slices.Contains(missing, dataprovider.ProtocolHTTP) {
				sendAPIError(w, r, http.StatusForbidden, errMFARequired(missing))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// requireAdminMFASet is requireUserMFASet for admins with
// require_two_factor.
func (s *Server) requireAdminMFASet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := authFromContext(r.Context()); info != nil && info.admin.Filters.RequireTwoFactor &&
			!info.admin.Filters.TOTPConfig.Enabled && !mfaExempt(r.URL.Path) {
			sendAPIError(w, r, http.StatusForbidden, errMFARequired([]string{dataprovider.ProtocolHTTP}))
			return
		}
		next.ServeHTTP(w, r)
	})
}
