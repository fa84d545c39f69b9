// Package oidctest starts a real OpenID Provider for tests: zitadel's
// certified op package with its example in-memory storage and login page,
// on 127.0.0.1. It is imported by tests only.
package oidctest

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// IdP is a running provider: users sign in on its /login/username form
// (fields id, username, password).
type IdP struct {
	URL      string
	ClientID string
	Secret   string
	store    *idpStorage
	srv      *http.Server
}

// Terminated lists the user IDs whose sessions the provider ended
// (RP-initiated logout).
func (p *IdP) Terminated() []string { return p.store.Terminated() }

// User is an account of the provider; Claims are added to its ID
// tokens (a role claim, custom fields).
type User struct {
	Username string
	Password string
	Claims   map[string]any
}

// idpStorage adds per-user claims to the example storage and records the
// sessions the provider ends.
type idpStorage struct {
	*storage.Storage
	claims     map[string]map[string]any // by user ID
	redirects  []string
	postLogout []string

	mu         sync.Mutex
	terminated []string // user IDs
}

func (s *idpStorage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, token op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, token, scopes); err != nil {
		return err
	}
	for k, v := range s.claims[token.GetSubject()] {
		ui.AppendClaims(k, v)
	}
	return nil
}

func (s *idpStorage) TerminateSession(ctx context.Context, userID, clientID string) error {
	s.mu.Lock()
	s.terminated = append(s.terminated, userID)
	s.mu.Unlock()
	return s.Storage.TerminateSession(ctx, userID, clientID)
}

func (s *idpStorage) Terminated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.terminated...)
}

func (s *idpStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return idpClient{Client: c, postLogout: s.postLogout}, nil
}

// idpClient puts the userinfo claims into the ID token (as Keycloak's
// mappers do for SFTPGo) and allows our login pages after logout.
type idpClient struct {
	op.Client
	postLogout []string
}

func (idpClient) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c idpClient) PostLogoutRedirectURIs() []string   { return c.postLogout }

// Start starts the provider for a client whose redirect URI is
// redirectURI; postLogout lists the allowed post-logout targets. It stops
// with the test.
func Start(t testing.TB, redirectURI string, postLogout []string, users []User) *IdP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	// the example user store reads its accounts from a JSON file
	m := map[string]map[string]any{}
	claims := map[string]map[string]any{}
	for i, u := range users {
		id := "uid" + string(rune('a'+i))
		m[id] = map[string]any{"ID": id, "Username": u.Username, "Password": u.Password, "FirstName": u.Username,
			"LastName": "Test", "Email": u.Username + "@example.com", "EmailVerified": true, "PreferredLanguage": "en"}
		claims[id] = u.Claims
	}
	f := filepath.Join(t.TempDir(), "users.json")
	b, _ := json.Marshal(m)
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	us, err := storage.StoreFromFile(f)
	if err != nil {
		t.Fatal(err)
	}
	idp := &IdP{URL: issuer, ClientID: "sftpgo-client", Secret: "idp-client-secret"}
	clients := map[string]*storage.Client{idp.ClientID: storage.WebClient(idp.ClientID, idp.Secret, redirectURI)}
	idp.store = &idpStorage{Storage: storage.NewStorageWithClients(us, clients), claims: claims, postLogout: postLogout}
	router := exampleop.SetupServer(issuer, idp.store, nil, false)
	idp.srv = &http.Server{Handler: router}
	go func() { _ = idp.srv.Serve(ln) }()
	t.Cleanup(func() { _ = idp.srv.Close() })
	return idp
}
