package dataprovider

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// TestSecretMinEntropy: with common.secret_min_entropy set, a weak
// encryption passphrase or SSE-C key is refused for users, groups and
// folders; a strong one passes, and stored values are not checked again.
func TestSecretMinEntropy(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, "memory")
	s.secretMinEntropy = 80
	crypt := func(p string) Filesystem {
		return Filesystem{Provider: CryptedFilesystemProvider, CryptConfig: CryptConfig{Passphrase: kms.NewPlainSecret(p)}}
	}
	weak := func(err error, field string) {
		t.Helper()
		if !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), field) {
			t.Fatalf("weak secret accepted or wrong error: %v", err)
		}
	}
	const strong = "r7#Kq9!vZ2xLp$4mWn8"
	u := newUser("enc")
	u.FsConfig = crypt("password")
	weak(s.AddUser(ctx, &u), "cryptconfig.passphrase")
	u.FsConfig = crypt(strong)
	must(t, s.AddUser(ctx, &u))
	// the stored (encrypted) passphrase is kept and not re-checked
	u.Password = ""
	u.FsConfig.CryptConfig.Passphrase = u.FsConfig.CryptConfig.Passphrase.Redacted()
	must(t, s.UpdateUser(ctx, &u))
	u.FsConfig = crypt("short1")
	weak(s.UpdateUser(ctx, &u), "cryptconfig.passphrase")

	f := BaseVirtualFolder{Name: "vault", MappedPath: "/srv/vault", FsConfig: crypt("vault")}
	weak(s.AddFolder(ctx, &f), "cryptconfig.passphrase")
	g := Group{Name: "sse"}
	g.UserSettings.FsConfig = Filesystem{Provider: S3FilesystemProvider, S3Config: S3Config{Bucket: "b", Region: "us-east-1",
		SSECustomerKey: kms.NewPlainSecret("aaaaaaaaaaaaaaaa")}}
	weak(s.AddGroup(ctx, &g), "sse_customer_key")

	s.secretMinEntropy = 0
	f.FsConfig = crypt("vault")
	must(t, s.AddFolder(ctx, &f))
}
