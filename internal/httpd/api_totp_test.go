package httpd

import (
	"bytes"
	"encoding/base32"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// totpCodes returns three distinct codes valid now (the previous, the
// current and the next 30 s step). It first waits out the last seconds of
// a step, so the three stay valid while the test uses them.
func totpCodes(t *testing.T, secret, algo string) [3]string {
	t.Helper()
	for time.Now().Unix()%30 > 24 {
		time.Sleep(500 * time.Millisecond)
	}
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	step := time.Now().Unix() / 30
	return [3]string{common.TOTPCode(key, step-1, algo, 6), common.TOTPCode(key, step, algo, 6), common.TOTPCode(key, step+1, algo, 6)}
}

func withHeader(a auth, k, v string) auth {
	return func(r *http.Request) { a(r); r.Header.Set(k, v) }
}

// TestUserTOTPEnrolmentREST: a user enrols through the REST endpoints,
// then the user token needs X-SFTPGO-OTP; a code passes once; a recovery
// code passes once; an admin with disable_mfa turns it off.
func TestUserTOTPEnrolmentREST(t *testing.T) {
	e := newUserEnv(t)
	e.addUser("alice")
	tok := bearer(e.userToken("alice", testUserPassword))

	var configs []totpConfigInfo
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/totp/configs", tok, nil).json(t, &configs)
	if len(configs) != 1 || configs[0].Name != "Default" || configs[0].Algo != "sha1" {
		t.Fatalf("configs %+v", configs)
	}
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/user/totp/generate", tok, map[string]any{"config_name": "nope"})
	var gen totpSecret
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/user/totp/generate", tok, map[string]any{"config_name": "Default"}).json(t, &gen)
	u, err := url.Parse(gen.URL)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != gen.Secret ||
		u.Query().Get("issuer") != "SFTPGo" || !strings.HasSuffix(u.Path, "SFTPGo:alice") {
		t.Fatalf("otpauth URL %q", gen.URL)
	}
	if _, err := png.Decode(bytes.NewReader(gen.QRCode)); err != nil {
		t.Fatalf("qr_code is not a PNG: %v", err)
	}
	codes := totpCodes(t, gen.Secret, "sha1")
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/user/totp/validate", tok,
		map[string]any{"config_name": "Default", "passcode": "000000", "secret": gen.Secret})
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/user/totp/validate", tok,
		map[string]any{"config_name": "Default", "passcode": codes[0], "secret": gen.Secret})
	// validating consumes the code
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/user/totp/validate", tok,
		map[string]any{"config_name": "Default", "passcode": codes[0], "secret": gen.Secret})
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/user/2fa/recoverycodes", tok, nil)
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/user/totp/save", tok,
		map[string]any{"enabled": true, "config_name": "Default", "secret": map[string]any{"status": "Plain", "payload": gen.Secret}, "protocols": []string{"DAV"}})
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/user/totp/save", tok,
		map[string]any{"enabled": true, "config_name": "Default", "secret": map[string]any{"status": "Plain", "payload": gen.Secret}, "protocols": []string{"HTTP", "SSH"}})

	stored, err := e.store.GetUser(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !stored.Filters.TOTPConfig.Enabled || stored.Filters.TOTPConfig.Secret.IsPlain() || len(stored.Filters.RecoveryCodes) != 12 {
		t.Fatalf("stored totp %+v, %d codes", stored.Filters.TOTPConfig, len(stored.Filters.RecoveryCodes))
	}
	// the admin API shows the secret redacted
	var shown dataprovider.User
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users/alice", e.adminAuth(), nil).json(t, &shown)
	if shown.Filters.TOTPConfig.Secret == nil || shown.Filters.TOTPConfig.Secret.Payload != "" {
		t.Fatalf("secret not redacted: %+v", shown.Filters.TOTPConfig.Secret)
	}

	pw := basic("alice", testUserPassword)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/token", pw, nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/token", withHeader(pw, otpHeader, "123456"), nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/token", withHeader(pw, otpHeader, codes[1]), nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/token", withHeader(pw, otpHeader, codes[1]), nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/token", withHeader(pw, otpHeader, codes[2]), nil)

	var rcs []recoveryCodeInfo
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/2fa/recoverycodes", tok, nil).json(t, &rcs)
	if len(rcs) != 12 || !strings.HasPrefix(rcs[0].Code, "RC-") || rcs[0].Used {
		t.Fatalf("recovery codes %+v", rcs)
	}
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/token", withHeader(pw, otpHeader, rcs[3].Code), nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/token", withHeader(pw, otpHeader, rcs[3].Code), nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/2fa/recoverycodes", tok, nil).json(t, &rcs)
	if !rcs[3].Used || rcs[4].Used {
		t.Fatalf("recovery code 3 not marked used: %+v", rcs)
	}
	var fresh []string
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/user/2fa/recoverycodes", tok, nil).json(t, &fresh)
	if len(fresh) != 12 || fresh[0] == rcs[0].Code {
		t.Fatalf("regenerated %v", fresh)
	}
	// the old codes are gone
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/user/token", withHeader(pw, otpHeader, rcs[5].Code), nil)

	// changing only the protocols keeps the secret
	tok = bearer(e.userToken2FA("alice", fresh[0]))
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/user/totp/save", tok,
		map[string]any{"enabled": true, "config_name": "Default", "secret": map[string]any{"status": "Redacted"}, "protocols": []string{"SSH"}})
	e.userToken("alice", testUserPassword)

	e.addAdmin("helpdesk", dataprovider.AdminPermViewUsers)
	helpdesk := bearer(e.token("helpdesk", testPassword))
	e.expect(http.StatusForbidden, http.MethodPut, "/api/v2/users/alice/2fa/disable", helpdesk, nil)
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/users/alice/2fa/disable", e.adminAuth(), nil)
	e.expect(http.StatusBadRequest, http.MethodPut, "/api/v2/users/alice/2fa/disable", e.adminAuth(), nil)
	e.expect(http.StatusNotFound, http.MethodPut, "/api/v2/users/nobody/2fa/disable", e.adminAuth(), nil)
	if stored, _ = e.store.GetUser(t.Context(), "alice"); stored.Filters.TOTPConfig.Enabled || len(stored.Filters.RecoveryCodes) != 0 {
		t.Fatalf("not disabled: %+v", stored.Filters)
	}
}

func (e *testEnv) userToken2FA(name, code string) string {
	e.t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/token", withHeader(basic(name, testUserPassword), otpHeader, code), nil).json(e.t, &tok)
	return tok.AccessToken
}

// TestUserMustEnrol: a user whose two_factor_protocols (here from its
// group) include HTTP gets a token but may only enrol with it.
func TestUserMustEnrol(t *testing.T) {
	e := newUserEnv(t)
	g := dataprovider.Group{Name: "secure"}
	g.UserSettings.Filters.TwoFactorAuthProtocols = []string{"HTTP"}
	if err := e.store.AddGroup(t.Context(), &g); err != nil {
		t.Fatal(err)
	}
	e.addUser("bob", func(u *dataprovider.User) {
		u.Groups = []dataprovider.GroupMapping{{Name: "secure", Type: dataprovider.GroupTypePrimary}}
	})
	tok := bearer(e.userToken("bob", testUserPassword))
	r := e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/user/dirs", tok, nil)
	errContains(t, r, "HTTP")
	var gen totpSecret
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/user/totp/generate", tok, map[string]any{"config_name": "Default"}).json(t, &gen)
	secret := map[string]any{"status": "Plain", "payload": gen.Secret}
	// the required protocol must be covered, and cannot be dropped
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/user/totp/save", tok,
		map[string]any{"enabled": true, "config_name": "Default", "secret": secret, "protocols": []string{"SSH"}})
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/user/totp/save", tok,
		map[string]any{"enabled": true, "config_name": "Default", "secret": secret, "protocols": []string{"HTTP"}})
	codes := totpCodes(t, gen.Secret, "sha1")
	tok = bearer(e.userToken2FA("bob", codes[1]))
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/user/dirs", tok, nil)
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/user/totp/save", tok, map[string]any{"enabled": false})
}

// TestAdminTOTPEnrolmentREST: an admin enrols, then needs the code for a
// token; require_two_factor limits an admin without TOTP to enrolment.
func TestAdminTOTPEnrolmentREST(t *testing.T) {
	e := newTestEnv(t)
	a := dataprovider.Admin{Username: "strict", Password: testPassword, Status: 1,
		Permissions: []string{dataprovider.AdminPermViewUsers}, Filters: dataprovider.AdminFilters{RequireTwoFactor: true}}
	if err := e.store.AddAdmin(t.Context(), &a); err != nil {
		t.Fatal(err)
	}
	tok := bearer(e.token("strict", testPassword))
	e.expect(http.StatusForbidden, http.MethodGet, "/api/v2/users", tok, nil)
	var configs []totpConfigInfo
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/admin/totp/configs", tok, nil).json(t, &configs)
	var gen totpSecret
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/admin/totp/generate", tok, map[string]any{"config_name": "Default"}).json(t, &gen)
	codes := totpCodes(t, gen.Secret, "sha1")
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/admin/totp/validate", tok,
		map[string]any{"config_name": "Default", "passcode": codes[0], "secret": gen.Secret})
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/admin/totp/save", tok,
		map[string]any{"enabled": true, "config_name": "Default", "secret": map[string]any{"status": "Plain", "payload": gen.Secret}})
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/token", basic("strict", testPassword), nil)
	withOTP := withHeader(basic("strict", testPassword), otpHeader, codes[1])
	r := e.expect(http.StatusOK, http.MethodGet, "/api/v2/token", withOTP, nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/token", withOTP, nil)
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	r.json(t, &tk)
	tok = bearer(tk.AccessToken)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/users", tok, nil)
	var rcs []recoveryCodeInfo
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/admin/2fa/recoverycodes", tok, nil).json(t, &rcs)
	if len(rcs) != 12 {
		t.Fatalf("recovery codes %+v", rcs)
	}
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/token", withHeader(basic("strict", testPassword), otpHeader, rcs[0].Code), nil)
	e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/token", withHeader(basic("strict", testPassword), otpHeader, rcs[0].Code), nil)
	// require_two_factor: it cannot be turned off by its owner
	e.expect(http.StatusBadRequest, http.MethodPost, "/api/v2/admin/totp/save", tok, map[string]any{"enabled": false})
	e.expect(http.StatusForbidden, http.MethodPut, "/api/v2/admins/strict/2fa/disable", tok, nil)
	e.expect(http.StatusOK, http.MethodPut, "/api/v2/admins/strict/2fa/disable", e.adminAuth(), nil)
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/token", basic("strict", testPassword), nil)
}
