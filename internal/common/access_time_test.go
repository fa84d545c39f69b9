package common

import (
	"strings"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common/commontest"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// TestAccessTimeAndTZ: filters.access_time windows are enforced at login,
// read in UTC by default and in the server's local zone with
// common.tz "local".
func TestAccessTimeAndTZ(t *testing.T) {
	// Monday 2026-11-30 10:00 UTC; the "local" zone is UTC+5 (15:00).
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	local := time.FixedZone("UTC+5", 5*3600)

	morning := []dataprovider.TimePeriod{{DayOfWeek: 1, From: "09:00", To: "11:00"}}
	afternoon := []dataprovider.TimePeriod{{DayOfWeek: 1, From: "14:00", To: "16:00"}}
	sunday := []dataprovider.TimePeriod{{DayOfWeek: 0, From: "00:00", To: "23:59"}}
	cases := []struct {
		tz      string
		periods []dataprovider.TimePeriod
		allowed bool
	}{
		{"", nil, true},
		{"", morning, true},
		{"", afternoon, false},
		{"", sunday, false},
		{"local", morning, false},
		{"local", afternoon, true},
	}
	for _, c := range cases {
		s, err := New(config.CommonConfig{TZ: c.tz}, Deps{Store: commontest.NewMemStore(), UsersBaseDir: t.TempDir(),
			NewFs: testFs, Now: func() time.Time { return at }, Local: local})
		if err != nil {
			t.Fatal(err)
		}
		u := testUser(t, "timed")
		u.Filters.AccessTime = c.periods
		err = s.CheckLogin(&u, dataprovider.ProtocolSSH, dataprovider.LoginMethodPassword, "127.0.0.1:1")
		s.Close()
		if c.allowed && err != nil {
			t.Errorf("tz %q %v: refused: %v", c.tz, c.periods, err)
		}
		if !c.allowed && (err == nil || !strings.Contains(err.Error(), "not allowed at this time")) {
			t.Errorf("tz %q %v: want refusal, got %v", c.tz, c.periods, err)
		}
	}
}
