package dataprovider

import (
	"context"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// TestOneTimeCodesShared: with is_shared, a code recorded as used by one
// node is refused by another on the same database; stores that are not
// shared keep codes to the process.
func TestOneTimeCodesShared(t *testing.T) {
	ctx := context.Background()
	for _, driver := range []string{"postgresql", "mysql"} {
		t.Run(driver, func(t *testing.T) {
			var cfg config.DataProviderConfig
			a := newTestStore(t, driver, func(c *config.DataProviderConfig) { c.IsShared = 1; cfg = *c })
			b := openSecond(t, cfg)
			if !a.SharesOneTimeCodes() || !b.SharesOneTimeCodes() {
				t.Fatal("shared SQL stores do not share one-time codes")
			}
			ok, err := a.UseOneTimeCode(ctx, "SECRET\x00123456", 2*time.Minute)
			if err != nil || !ok {
				t.Fatalf("first use: %v %v", ok, err)
			}
			if ok, err = b.UseOneTimeCode(ctx, "SECRET\x00123456", 2*time.Minute); err != nil || ok {
				t.Fatalf("replay on the other node accepted: %v %v", ok, err)
			}
			if ok, err = b.UseOneTimeCode(ctx, "SECRET\x00654321", 2*time.Minute); err != nil || !ok {
				t.Fatalf("another code: %v %v", ok, err)
			}
			// records older than the window are dropped: a window that
			// ended a minute ago counts nothing
			if ok, err = a.UseOneTimeCode(ctx, "SECRET\x00654321", -time.Minute); err != nil || !ok {
				t.Fatalf("expired record: %v %v", ok, err)
			}
		})
	}
	for _, driver := range []string{"sqlite", "memory", "bolt"} {
		if newTestStore(t, driver).SharesOneTimeCodes() {
			t.Fatalf("%s without is_shared shares one-time codes", driver)
		}
	}
}
