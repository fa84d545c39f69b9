package e2e

import (
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/common"
)

// sshInteractive logs in with keyboard-interactive, answering the
// password prompt with password and the code prompt with code.
func sshInteractive(t *testing.T, in *instance, user, password, code string) error {
	t.Helper()
	nc, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", in.sftpPort), 20*time.Second)
	if err != nil {
		return err
	}
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	answer := ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
		out := make([]string, len(questions))
		for i, q := range questions {
			if strings.Contains(strings.ToLower(q), "code") {
				out[i] = code
			} else {
				out[i] = password
			}
		}
		return out, nil
	})
	c, chans, reqs, err := ssh.NewClientConn(nc, "127.0.0.1", &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{answer},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // test server with a fresh key
	})
	if err != nil {
		nc.Close()
		return err
	}
	ssh.NewClient(c, chans, reqs).Close()
	return nil
}

// userTokenOTP asks for a user token with X-SFTPGO-OTP (none when empty).
func userTokenOTP(t *testing.T, in *instance, user, password, code string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, in.baseURL()+"/api/v2/user/token", nil)
	req.SetBasicAuth(user, password)
	if code != "" {
		req.Header.Set("X-SFTPGO-OTP", code)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, string(b)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(b, &tok)
	return resp.StatusCode, tok.AccessToken
}

// TestTOTPEnrolmentEveryProtocol: a user enrols TOTP through the REST
// API for SSH, FTP and HTTP; then on each the password alone is refused,
// the password with the current code passes, the same code twice fails,
// and a recovery code passes once.
func TestTOTPEnrolmentEveryProtocol(t *testing.T) {
	in := newInstance(t, t.TempDir())
	in.start()
	admin := in.token("admin", "admin-pass")
	const user, pass = "otpuser", "Otp-user-pass1"
	in.addUser(admin, user, pass, nil)

	st, tok := userTokenOTP(t, in, user, pass, "")
	if st != http.StatusOK {
		t.Fatalf("token before enrolment: %d %s", st, tok)
	}
	s, body := in.api(tok, http.MethodPost, "/api/v2/user/totp/generate", map[string]any{"config_name": "Default"})
	if s != http.StatusOK {
		t.Fatalf("generate: %d %s", s, body)
	}
	var gen struct {
		Secret string `json:"secret"`
		URL    string `json:"url"`
	}
	if err := json.Unmarshal(body, &gen); err != nil || gen.Secret == "" || !strings.HasPrefix(gen.URL, "otpauth://totp/") {
		t.Fatalf("generate: %s", body)
	}
	s, body = in.api(tok, http.MethodPost, "/api/v2/user/totp/save", map[string]any{"enabled": true, "config_name": "Default",
		"secret": map[string]any{"status": "Plain", "payload": gen.Secret}, "protocols": []string{"SSH", "FTP", "HTTP"}})
	if s != http.StatusOK {
		t.Fatalf("save: %d %s", s, body)
	}
	s, body = in.api(tok, http.MethodGet, "/api/v2/user/2fa/recoverycodes", nil)
	var rcs []struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(body, &rcs); s != http.StatusOK || err != nil || len(rcs) != 12 {
		t.Fatalf("recovery codes: %d %s", s, body)
	}

	// three distinct codes valid now: previous, current and next step
	for time.Now().Unix()%30 > 20 {
		time.Sleep(500 * time.Millisecond)
	}
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(gen.Secret)
	if err != nil {
		t.Fatal(err)
	}
	step := time.Now().Unix() / 30
	sshCode, ftpCode, httpCode := common.TOTPCode(key, step-1, "sha1", 6), common.TOTPCode(key, step, "sha1", 6),
		common.TOTPCode(key, step+1, "sha1", 6)

	// SSH
	if err := sftpLoginFrom(t, in, "127.0.0.1", user, pass); err == nil {
		t.Fatal("SSH: password alone accepted")
	}
	if err := sshInteractive(t, in, user, pass, ""); err == nil {
		t.Fatal("SSH: keyboard-interactive without a code accepted")
	}
	if err := sshInteractive(t, in, user, pass, sshCode); err != nil {
		t.Fatalf("SSH with code: %v", err)
	}
	if err := sshInteractive(t, in, user, pass, sshCode); err == nil {
		t.Fatal("SSH: the same code accepted twice")
	}
	if err := sshInteractive(t, in, user, pass, rcs[0].Code); err != nil {
		t.Fatalf("SSH with a recovery code: %v", err)
	}
	if err := sshInteractive(t, in, user, pass, rcs[0].Code); err == nil {
		t.Fatal("SSH: a recovery code accepted twice")
	}

	// FTP: the code appended to the password
	if err := ftpLoginFrom(t, in, "127.0.0.1", user, pass); err == nil {
		t.Fatal("FTP: password alone accepted")
	}
	if err := ftpLoginFrom(t, in, "127.0.0.1", user, pass+ftpCode); err != nil {
		t.Fatalf("FTP with code: %v", err)
	}
	if err := ftpLoginFrom(t, in, "127.0.0.1", user, pass+ftpCode); err == nil {
		t.Fatal("FTP: the same code accepted twice")
	}

	// REST user token
	if st, _ := userTokenOTP(t, in, user, pass, ""); st != http.StatusUnauthorized {
		t.Fatalf("HTTP: password alone: %d", st)
	}
	if st, b := userTokenOTP(t, in, user, pass, httpCode); st != http.StatusOK {
		t.Fatalf("HTTP with code: %d %s", st, b)
	}
	if st, _ := userTokenOTP(t, in, user, pass, httpCode); st != http.StatusUnauthorized {
		t.Fatalf("HTTP: the same code twice: %d", st)
	}
	if st, b := userTokenOTP(t, in, user, pass, rcs[1].Code); st != http.StatusOK {
		t.Fatalf("HTTP with a recovery code: %d %s", st, b)
	}
	if st, _ := userTokenOTP(t, in, user, pass, rcs[1].Code); st != http.StatusUnauthorized {
		t.Fatalf("HTTP: a recovery code twice: %d", st)
	}
}

// TestTwoFactorRequiredBeforeEnrolment: a user whose
// two_factor_protocols lists SSH and FTP cannot log in over them until
// it enrols.
func TestTwoFactorRequiredBeforeEnrolment(t *testing.T) {
	in := newInstance(t, t.TempDir())
	in.start()
	admin := in.token("admin", "admin-pass")
	const user, pass = "mustenrol", "Must-enrol-pass1"
	in.addUser(admin, user, pass, map[string]any{"filters": map[string]any{"two_factor_protocols": []string{"SSH", "FTP"}}})
	if err := sftpLoginFrom(t, in, "127.0.0.1", user, pass); err == nil {
		t.Fatal("SSH login accepted before enrolment")
	}
	if err := ftpLoginFrom(t, in, "127.0.0.1", user, pass); err == nil {
		t.Fatal("FTP login accepted before enrolment")
	}
	if !strings.Contains(in.log.String(), "two-factor authentication requirements not met") {
		t.Fatalf("no refusal reason in the log:\n%s", in.log.String())
	}
	// HTTP is not required: the user gets a token and enrols
	st, tok := userTokenOTP(t, in, user, pass, "")
	if st != http.StatusOK {
		t.Fatalf("token: %d %s", st, tok)
	}
	if s, b := in.api(tok, http.MethodGet, "/api/v2/user/dirs", nil); s != http.StatusOK {
		t.Fatalf("dirs: %d %s", s, b)
	}
}

// TestSecretMinEntropyConfig: common.secret_min_entropy (env) reaches
// the data provider: a passphrase weaker than it is refused over REST.
func TestSecretMinEntropyConfig(t *testing.T) {
	in := newInstance(t, t.TempDir(), "SFTPGO_COMMON__SECRET_MIN_ENTROPY=120")
	in.start()
	admin := in.token("admin", "admin-pass")
	user := func(name, pass string) map[string]any {
		return map[string]any{"username": name, "password": "Enc-user-pass1", "status": 1,
			"home_dir": in.configDir + "/homes/" + name, "permissions": map[string][]string{"/": {"*"}},
			"filesystem": map[string]any{"provider": 4,
				"cryptconfig": map[string]any{"passphrase": map[string]any{"status": "Plain", "payload": pass}}}}
	}
	// about 100 bits: enough for the default 80, not for 120
	if s, b := in.api(admin, http.MethodPost, "/api/v2/users", user("weak", "crypt-secret-7Qv9x")); s != http.StatusBadRequest ||
		!strings.Contains(string(b), "entropy") {
		t.Fatalf("weak passphrase: %d %s", s, b)
	}
	if s, b := in.api(admin, http.MethodPost, "/api/v2/users", user("strong", "crypt-secret-7Qv9xLp2Zr#Wk4")); s != http.StatusCreated {
		t.Fatalf("strong passphrase: %d %s", s, b)
	}
}
