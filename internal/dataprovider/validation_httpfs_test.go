package dataprovider

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// TestHTTPFilesystemValidation: provider 6 needs a usable endpoint URL;
// its password and API key are stored encrypted and never as sent.
func TestHTTPFilesystemValidation(t *testing.T) {
	cases := []struct {
		name  string
		cfg   HTTPConfig
		field string // empty: valid
	}{
		{"no endpoint", HTTPConfig{}, "endpoint"},
		{"not a URL", HTTPConfig{Endpoint: "storage.example.com/api"}, "endpoint"},
		{"ftp scheme", HTTPConfig{Endpoint: "ftp://storage.example.com"}, "endpoint"},
		{"unix without socket", HTTPConfig{Endpoint: "http://unix?api_prefix=/api"}, "endpoint"},
		{"relative socket", HTTPConfig{Endpoint: "http://unix?socket_path=fs.sock"}, "endpoint"},
		{"bad equality mode", HTTPConfig{Endpoint: "https://s.example.com/api/v1", EqualityCheckMode: 2}, "equality_check_mode"},
		{"https", HTTPConfig{Endpoint: "https://s.example.com/api/v1", Username: "u"}, ""},
		{"unix socket", HTTPConfig{Endpoint: "http://unix?socket_path=%2Frun%2Ffs.sock&api_prefix=%2Fapi%2Fv1"}, ""},
	}
	s := newTestStore(t, "memory")
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := newUser("http" + string(rune('a'+i)))
			u.FsConfig = Filesystem{Provider: HTTPFilesystemProvider, HTTPConfig: tc.cfg}
			err := s.AddUser(context.Background(), &u)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid config refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), "httpconfig."+tc.field) {
				t.Fatalf("want a validation error naming httpconfig.%s, got %v", tc.field, err)
			}
		})
	}

	u := newUser("http-secrets")
	u.FsConfig = Filesystem{Provider: HTTPFilesystemProvider, HTTPConfig: HTTPConfig{
		Endpoint: "https://s.example.com/api/v1", Username: "svc",
		Password: kms.NewPlainSecret("the-password-1"), APIKey: kms.NewPlainSecret("the-api-key-1"),
	}}
	if err := s.AddUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUser(context.Background(), "http-secrets")
	if err != nil {
		t.Fatal(err)
	}
	for name, sec := range map[string]*kms.Secret{"password": got.FsConfig.HTTPConfig.Password, "api_key": got.FsConfig.HTTPConfig.APIKey} {
		if sec.IsEmpty() || sec.IsPlain() || strings.Contains(sec.Payload, "the-") {
			t.Fatalf("%s stored as %+v, want it encrypted", name, sec)
		}
	}
}
