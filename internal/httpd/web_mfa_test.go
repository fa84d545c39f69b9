package httpd

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

var (
	secretRe = regexp.MustCompile(`data-testid="mfa-secret">([A-Z2-7]+)<`)
	codesRe  = regexp.MustCompile(`<li><code>(RC-[0-9A-F]+)</code>`)
)

// enrolWeb turns TOTP on through the two-factor page of a UI and returns
// the secret and the recovery codes shown once.
func enrolWeb(t *testing.T, b *browser, side string, form url.Values) (string, []string) {
	t.Helper()
	code, body := b.get("/web/" + side + "/mfa")
	if code != http.StatusOK {
		t.Fatalf("mfa page: %d %s", code, excerpt(body))
	}
	mustContain(t, body, "Off.", `data-testid="nav-mfa"`)
	form.Set("config_name", "Default")
	code, body = b.post("/web/"+side+"/mfa/setup", form)
	m := secretRe.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("setup: %d %s", code, excerpt(body))
	}
	mustContain(t, body, `src="data:image/png;base64,`, "otpauth://totp/")
	secret := m[1]
	codes := totpCodes(t, secret, "sha1")
	enable := url.Values{"secret": {secret}, "config_name": {"Default"}, "passcode": {"000000"}, "protocols": form["protocols"]}
	if code, body = b.post("/web/"+side+"/mfa/enable", enable); code != http.StatusBadRequest {
		t.Fatalf("wrong code accepted: %d %s", code, excerpt(body))
	}
	enable.Set("passcode", codes[0])
	code, body = b.post("/web/"+side+"/mfa/enable", enable)
	if code != http.StatusOK {
		t.Fatalf("enable: %d %s", code, excerpt(body))
	}
	mustContain(t, body, "Two-factor authentication is on")
	var rcs []string
	for _, m := range codesRe.FindAllStringSubmatch(body, -1) {
		rcs = append(rcs, m[1])
	}
	if len(rcs) != 12 {
		t.Fatalf("recovery codes shown: %d", len(rcs))
	}
	return secret, rcs
}

// TestWebClientTOTP: a user enrols on the two-factor page, signs out,
// and signing in then asks for the code on a second page; a wrong or
// reused code is refused, a recovery code passes once.
func TestWebClientTOTP(t *testing.T) {
	e := newUserEnv(t)
	e.addUser("wendy")
	b := e.browser()
	b.get("/web/client/login")
	if code, body := b.post("/web/client/login", url.Values{"username": {"wendy"}, "password": {testUserPassword}}); code != http.StatusOK {
		t.Fatalf("login: %d %s", code, excerpt(body))
	}
	secret, rcs := enrolWeb(t, b, "client", url.Values{"protocols": {"HTTP", "SSH"}})
	// the session survives the change of the account
	if code, body := b.get("/web/client/files"); code != http.StatusOK || strings.Contains(body, "Sign in") {
		t.Fatalf("files after enrolling: %d", code)
	}
	if code, body := b.post("/web/client/logout", url.Values{}); code != http.StatusOK || !strings.Contains(body, "Sign in to your files") {
		t.Fatalf("logout after enrolling: %d", code)
	}

	codes := totpCodes(t, secret, "sha1")
	b.get("/web/client/login")
	code, body := b.post("/web/client/login", url.Values{"username": {"wendy"}, "password": {testUserPassword}})
	if code != http.StatusOK || !strings.Contains(body, "Authentication code") {
		t.Fatalf("no code page: %d %s", code, excerpt(body))
	}
	// without the second step there is no session
	if _, body := b.get("/web/client/files"); !strings.Contains(body, "Sign in to your files") {
		t.Fatal("files reachable before the code")
	}
	b.get("/web/client/login/2fa")
	if code, _ := b.post("/web/client/login/2fa", url.Values{"passcode": {"123456"}}); code != http.StatusUnauthorized {
		t.Fatalf("wrong code: %d", code)
	}
	if code, body = b.post("/web/client/login/2fa", url.Values{"passcode": {codes[1]}}); code != http.StatusOK || !strings.Contains(body, "wendy") {
		t.Fatalf("right code: %d %s", code, excerpt(body))
	}
	b.post("/web/client/logout", url.Values{})
	// the same code again, then a recovery code (once)
	b.get("/web/client/login")
	b.post("/web/client/login", url.Values{"username": {"wendy"}, "password": {testUserPassword}})
	if code, _ := b.post("/web/client/login/2fa", url.Values{"passcode": {codes[1]}}); code != http.StatusUnauthorized {
		t.Fatalf("reused code: %d", code)
	}
	if code, _ := b.post("/web/client/login/2fa", url.Values{"passcode": {rcs[0]}}); code != http.StatusOK {
		t.Fatalf("recovery code: %d", code)
	}
	// show the codes: the first is used
	_, body = b.get("/web/client/mfa?codes=1")
	mustContain(t, body, html.EscapeString(rcs[0])+"</code> <span class=\"badge badge-off\">used</span>")
	b.post("/web/client/logout", url.Values{})
	b.get("/web/client/login")
	b.post("/web/client/login", url.Values{"username": {"wendy"}, "password": {testUserPassword}})
	if code, _ := b.post("/web/client/login/2fa", url.Values{"passcode": {rcs[0]}}); code != http.StatusUnauthorized {
		t.Fatalf("recovery code twice: %d", code)
	}
	if code, _ := b.post("/web/client/login/2fa", url.Values{"passcode": {codes[2]}}); code != http.StatusOK {
		t.Fatalf("next code: %d", code)
	}
	// turn it off: the password alone is enough again
	if code, body := b.post("/web/client/mfa/disable", url.Values{}); code != http.StatusOK || !strings.Contains(body, "is off") {
		t.Fatalf("disable: %d %s", code, excerpt(body))
	}
	b.post("/web/client/logout", url.Values{})
	b.get("/web/client/login")
	if code, body := b.post("/web/client/login", url.Values{"username": {"wendy"}, "password": {testUserPassword}}); code != http.StatusOK ||
		strings.Contains(body, "Authentication code") {
		t.Fatalf("login after disabling: %d", code)
	}
}

// TestWebAdminTOTP: the web admin asks an admin with TOTP for the code;
// an admin with require_two_factor is sent to the two-factor page.
func TestWebAdminTOTP(t *testing.T) {
	e := newUserEnv(t)
	a := dataprovider.Admin{Username: "ada", Password: testPassword, Status: 1, Permissions: []string{"*"},
		Filters: dataprovider.AdminFilters{RequireTwoFactor: true}}
	if err := e.store.AddAdmin(t.Context(), &a); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.get("/web/admin/login")
	code, body := b.post("/web/admin/login", url.Values{"username": {"ada"}, "password": {testPassword}})
	if code != http.StatusOK || !strings.Contains(body, "required for HTTP") {
		t.Fatalf("require_two_factor: %d %s", code, excerpt(body))
	}
	if code, body = b.get("/web/admin/users"); !strings.Contains(body, "required for HTTP") {
		t.Fatalf("users page before enrolling: %d", code)
	}
	secret, _ := enrolWeb(t, b, "admin", url.Values{})
	if code, body = b.get("/web/admin/users"); code != http.StatusOK || !strings.Contains(body, "Add user") {
		t.Fatalf("users after enrolling: %d", code)
	}
	// required: no way to turn it off
	_, body = b.get("/web/admin/mfa")
	if strings.Contains(body, "/web/admin/mfa/disable") {
		t.Fatal("disable offered to an admin that requires two-factor")
	}
	b.post("/web/admin/logout", url.Values{})
	codes := totpCodes(t, secret, "sha1")
	b.get("/web/admin/login")
	code, body = b.post("/web/admin/login", url.Values{"username": {"ada"}, "password": {testPassword}})
	if code != http.StatusOK || !strings.Contains(body, "Authentication code") {
		t.Fatalf("no code page: %d %s", code, excerpt(body))
	}
	if code, _ = b.post("/web/admin/login/2fa", url.Values{"passcode": {"111111"}}); code != http.StatusUnauthorized {
		t.Fatalf("wrong code: %d", code)
	}
	if code, body = b.post("/web/admin/login/2fa", url.Values{"passcode": {codes[1]}}); code != http.StatusOK || !strings.Contains(body, "Add user") {
		t.Fatalf("right code: %d %s", code, excerpt(body))
	}
	// the code page without a pending sign-in goes back to the login
	b2 := e.browser()
	if _, body := b2.get("/web/admin/login/2fa"); !strings.Contains(body, "Sign in to the admin console") {
		t.Fatal("code page without a password")
	}
}
