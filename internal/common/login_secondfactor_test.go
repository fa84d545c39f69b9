package common

import (
	"context"
	"encoding/base32"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common/commontest"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// recoveryStore is a MemStore that can mark recovery codes used.
type recoveryStore struct {
	*commontest.MemStore
	mu sync.Mutex
}

func (r *recoveryStore) UseRecoveryCode(ctx context.Context, username string, index int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, err := r.GetUser(ctx, username)
	if err != nil {
		return err
	}
	if u.Filters.RecoveryCodes[index].Used {
		return dataprovider.ErrConflict
	}
	u.Filters.RecoveryCodes[index].Used = true
	r.AddUser(u)
	return nil
}

// TestSecondFactorAlgoAndRecoveryCodes: the user's mfa.totp configuration
// decides the algorithm (a sha256 configuration does not break SSH
// logins), and a recovery code given instead of the code passes once.
func TestSecondFactorAlgoAndRecoveryCodes(t *testing.T) {
	store := &recoveryStore{MemStore: commontest.NewMemStore()}
	s, err := New(config.CommonConfig{}, Deps{Store: store, UsersBaseDir: t.TempDir(), NewFs: testFs,
		TOTPConfigs: []config.TOTPConfig{{Name: "Default", Issuer: "x", Algo: "sha1"}, {Name: "Strong", Issuer: "x", Algo: "sha256"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	key := []byte("0123456789abcdef0123")
	u := testUser(t, "dave")
	u.Password = "pw"
	u.Filters.TOTPConfig = dataprovider.TOTPConfig{Enabled: true, ConfigName: "Strong",
		Secret: kms.NewPlainSecret(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(key)), Protocols: []string{"SSH"}}
	u.Filters.RecoveryCodes = []dataprovider.RecoveryCode{{Secret: kms.NewPlainSecret("RC-0123456789AB")}}
	store.AddUser(u)
	ctx := context.Background()
	login := func(code string) error {
		_, err := s.Login(ctx, LoginRequest{Protocol: dataprovider.ProtocolSSH, Method: dataprovider.LoginMethodKeyboardInteractive,
			Username: "dave", Password: "pw", RemoteAddr: "127.0.0.1:5",
			SecondFactor: func(context.Context) (string, error) { return code, nil }})
		return err
	}
	step := time.Now().Unix() / 30
	if err := login(TOTPCode(key, step, "sha256", 6)); err != nil {
		t.Fatalf("sha256 code of a sha256 configuration: %v", err)
	}
	if err := login(TOTPCode(key, step, "sha1", 6)); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("sha1 code for a sha256 configuration: %v", err)
	}
	if err := login("RC-0123456789AB"); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	if err := login("RC-0123456789AB"); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("recovery code used twice: %v", err)
	}
	if err := login("RC-WRONG"); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("unknown recovery code: %v", err)
	}
}
