package common

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base32"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

func testCert(t *testing.T, cn string) (*x509.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestLoginCertificateRule: one rule for TLS client certificates,
// whatever the protocol.
func TestLoginCertificateRule(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	aliceCert, _ := testCert(t, "alice")
	bobCert, _ := testCert(t, "bob")
	pinnedCert, pinnedPEM := testCert(t, "pinned")
	otherPinned, _ := testCert(t, "pinned")
	add := func(name string, mutate func(*dataprovider.User)) {
		u := testUser(t, name)
		u.Password = "pw"
		if mutate != nil {
			mutate(&u)
		}
		store.AddUser(u)
	}
	cn := func(u *dataprovider.User) { u.Filters.TLSUsername = "CommonName" }
	add("alice", cn)
	add("bob", nil)
	add("pinned", func(u *dataprovider.User) { cn(u); u.Filters.TLSCerts = []string{pinnedPEM} })
	add("nocertpwd", func(u *dataprovider.User) {
		cn(u)
		u.Filters.DeniedLoginMethods = []string{dataprovider.LoginMethodTLSCertificateAndPwd}
	})
	for _, c := range []struct {
		name, user, method, password string
		cert                         *x509.Certificate
		wantMethod                   string // "" = refused
	}{
		{"certificate alone", "alice", dataprovider.LoginMethodTLSCertificate, "", aliceCert, dataprovider.LoginMethodTLSCertificate},
		{"certificate and password", "alice", dataprovider.LoginMethodPassword, "pw", aliceCert, dataprovider.LoginMethodTLSCertificateAndPwd},
		{"certificate and wrong password", "alice", dataprovider.LoginMethodPassword, "no", aliceCert, ""},
		{"CN of another user", "alice", dataprovider.LoginMethodPassword, "pw", bobCert, ""},
		{"user without tls_username: certificate ignored", "bob", dataprovider.LoginMethodPassword, "pw", aliceCert, dataprovider.LoginMethodPassword},
		{"user without tls_username: certificate alone", "bob", dataprovider.LoginMethodTLSCertificate, "", bobCert, ""},
		{"pinned certificate", "pinned", dataprovider.LoginMethodTLSCertificate, "", pinnedCert, dataprovider.LoginMethodTLSCertificate},
		{"same CN, not the pinned one", "pinned", dataprovider.LoginMethodTLSCertificate, "", otherPinned, ""},
		{"TLSCertificate+password denied: password", "nocertpwd", dataprovider.LoginMethodPassword, "pw", func() *x509.Certificate { c, _ := testCert(t, "nocertpwd"); return c }(), dataprovider.LoginMethodPassword},
		{"password without certificate", "alice", dataprovider.LoginMethodPassword, "pw", nil, dataprovider.LoginMethodPassword},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := s.Login(context.Background(), LoginRequest{Protocol: dataprovider.ProtocolFTP, Method: c.method,
				Username: c.user, Password: c.password, Certificate: c.cert, RemoteAddr: "127.0.0.1:1000"})
			switch {
			case c.wantMethod == "" && err == nil:
				t.Fatalf("accepted as %s", res.Method)
			case c.wantMethod == "" && !errors.Is(err, ErrAuthFailed):
				t.Fatalf("refused with %v, want an authentication failure", err)
			case c.wantMethod != "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.wantMethod != "" && res.Method != c.wantMethod:
				t.Fatalf("method %s, want %s", res.Method, c.wantMethod)
			}
		})
	}
}

// TestLoginOrder: IP filters refuse before the credentials are looked at;
// account rules see the method used; TOTP appended to an FTP password.
func TestLoginOrder(t *testing.T) {
	s, store := newTestServer(t, config.CommonConfig{})
	u := testUser(t, "carol")
	u.Password = "pw"
	u.Filters.DeniedIP = []string{"10.0.0.0/8"}
	key := []byte("0123456789abcdef0123")
	u.Filters.TOTPConfig = dataprovider.TOTPConfig{Enabled: true, ConfigName: "Default",
		Secret: kms.NewPlainSecret(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(key)), Protocols: []string{"FTP"}}
	store.AddUser(u)
	ctx := context.Background()
	req := LoginRequest{Protocol: dataprovider.ProtocolFTP, Method: dataprovider.LoginMethodPassword, Username: "carol",
		Password: "wrong", RemoteAddr: "10.1.2.3:5", CodeInPassword: true}
	if _, err := s.Login(ctx, req); !errors.Is(err, ErrLoginDenied) || !strings.Contains(err.Error(), "address") {
		t.Fatalf("denied network with a wrong password: %v", err)
	}
	req.RemoteAddr = "127.0.0.1:5"
	req.Password = "pw"
	if _, err := s.Login(ctx, req); err == nil {
		t.Fatal("password without the one-time code accepted")
	}
	req.Password = "pw" + TOTPCode(key, time.Now().Unix()/30, "sha1", 6)
	res, err := s.Login(ctx, req)
	if err != nil {
		t.Fatalf("password and code: %v", err)
	}
	if res.Method != dataprovider.LoginMethodPassword || res.User.Username != "carol" {
		t.Fatalf("result %+v", res)
	}
	// a protocol that cannot ask for the code refuses such users
	req.Password, req.CodeInPassword = "pw", false
	if _, err := s.Login(ctx, req); !errors.Is(err, ErrLoginDenied) {
		t.Fatalf("no way to send the code: %v", err)
	}
}

// TestLoginHookOrder: the extension points run in the documented order.
func TestLoginHookOrder(t *testing.T) {
	store := newStoreOnly()
	var calls []string
	rec := &recordingHooks{calls: &calls}
	s, err := New(config.CommonConfig{}, Deps{Store: store, UsersBaseDir: t.TempDir(), NewFs: testFs,
		Login: LoginHooks{Defender: rec, RateLimiter: rec, PreLogin: rec, CheckPassword: rec, PostLogin: rec}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := testUser(t, "dan")
	u.Password = "pw"
	store.AddUser(u)
	if _, err := s.Login(context.Background(), LoginRequest{Protocol: dataprovider.ProtocolSSH,
		Method: dataprovider.LoginMethodPassword, Username: "dan", Password: "pw", RemoteAddr: "127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	want := "banned,ratelimit,prelogin,checkpassword,event4,postlogin"
	if got := strings.Join(calls, ","); got != want {
		t.Fatalf("hooks ran as %s, want %s", got, want)
	}
}

type recordingHooks struct{ calls *[]string }

func (r *recordingHooks) IsBanned(string) bool { *r.calls = append(*r.calls, "banned"); return false }
func (r *recordingHooks) AddEvent(_, _ string, ev DefenderEvent) {
	*r.calls = append(*r.calls, "event"+string(rune('0'+int(ev))))
}
func (r *recordingHooks) Wait(context.Context, string, string) error {
	*r.calls = append(*r.calls, "ratelimit")
	return nil
}
func (r *recordingHooks) Run(context.Context, *LoginRequest, *dataprovider.User) (*dataprovider.User, error) {
	*r.calls = append(*r.calls, "prelogin")
	return nil, nil
}
func (r *recordingHooks) Check(context.Context, *LoginRequest, string) (CheckPasswordResult, bool, error) {
	*r.calls = append(*r.calls, "checkpassword")
	return CheckPasswordResult{}, false, nil
}
func (r *recordingHooks) Notify(*LoginRequest, *dataprovider.User, string, error) {
	*r.calls = append(*r.calls, "postlogin")
}
