package dataprovider

import (
	"context"
	"strings"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// TestDriversAreBuiltIn keeps Drivers in step with Open: every listed
// driver is accepted (the networked ones fail on the connection, not as
// an unknown driver) and a name outside the list is refused.
func TestDriversAreBuiltIn(t *testing.T) {
	for _, d := range append(Drivers(), "nosuchdriver") {
		cfg := config.Default().DataProvider
		cfg.Driver = d
		cfg.Name = ""
		cfg.Host, cfg.Port = "127.0.0.1", 1
		s, err := Open(context.Background(), Options{Config: cfg, ConfigDir: t.TempDir()})
		if s != nil {
			s.Close()
		}
		unknown := err != nil && strings.Contains(err.Error(), "unsupported driver")
		if want := d == "nosuchdriver"; unknown != want {
			t.Errorf("driver %q: unsupported=%v, want %v (err %v)", d, unknown, want, err)
		}
	}
}
