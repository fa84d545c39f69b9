package dataprovider

import (
	"context"
	"errors"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

func TestUseRecoveryCode(t *testing.T) {
	for _, driver := range []string{"memory", "sqlite", "bolt"} {
		t.Run(driver, func(t *testing.T) {
			s := newTestStore(t, driver)
			ctx := context.Background()
			u := newUser("rc")
			u.Filters.RecoveryCodes = []RecoveryCode{{Secret: kms.NewPlainSecret("RC-1")}, {Secret: kms.NewPlainSecret("RC-2")}}
			must(t, s.AddUser(ctx, &u))
			var changed []string
			s.OnUserChange(func(n string) { changed = append(changed, n) })
			must(t, s.UseRecoveryCode(ctx, "rc", 1))
			if err := s.UseRecoveryCode(ctx, "rc", 1); !errors.Is(err, ErrConflict) {
				t.Fatalf("second use: %v", err)
			}
			got, err := s.GetUser(ctx, "rc")
			must(t, err)
			if got.Filters.RecoveryCodes[0].Used || !got.Filters.RecoveryCodes[1].Used {
				t.Fatalf("codes: %+v", got.Filters.RecoveryCodes)
			}
			if len(changed) != 1 || changed[0] != "rc" {
				t.Fatalf("user change notifications: %v", changed)
			}
		})
	}
}
