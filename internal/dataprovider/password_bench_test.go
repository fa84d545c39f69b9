package dataprovider

import (
	"context"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// BenchmarkCheckUserPassword is one password login against the memory
// driver with the default hashing costs (bcrypt 10, argon2id 64 MiB x 1),
// with password_caching on (every login after the first is a SHA-256 and
// a map lookup) and off (every login pays the hash).
func BenchmarkCheckUserPassword(b *testing.B) {
	defaults := config.Default().DataProvider.PasswordHashing
	for _, algo := range []string{HashingAlgoBcrypt, HashingAlgoArgon2ID} {
		for _, cached := range []bool{true, false} {
			name := algo + "/uncached"
			if cached {
				name = algo + "/cached"
			}
			b.Run(name, func(b *testing.B) {
				s := newTestStore(b, "memory", func(c *config.DataProviderConfig) {
					c.PasswordCaching = cached
					c.PasswordHashing = defaults
					c.PasswordHashing.Algo = algo
				})
				ctx := context.Background()
				u := newUser("bench")
				if err := s.AddUser(ctx, &u); err != nil {
					b.Fatal(err)
				}
				if _, err := s.CheckUserPassword(ctx, "bench", "secret-bench"); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.CheckUserPassword(ctx, "bench", "secret-bench"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
