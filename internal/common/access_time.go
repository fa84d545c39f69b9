package common

import (
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// clock returns the current time in the zone common.tz selects: UTC when
// empty, the server's local zone with "local". Time-of-day rules
// (filters.access_time) are read in that zone.
func (s *Server) clock() time.Time {
	now := time.Now
	if s.deps.Now != nil {
		now = s.deps.Now
	}
	if s.cfg.TZ == "local" {
		if s.deps.Local != nil {
			return now().In(s.deps.Local)
		}
		return now().Local()
	}
	return now().UTC()
}

// accessTimeAllowed reports whether t falls in one of the weekly windows
// of filters.access_time (none means always). day_of_week 0 is Sunday;
// from and to are HH:MM, both included.
func accessTimeAllowed(periods []dataprovider.TimePeriod, t time.Time) bool {
	if len(periods) == 0 {
		return true
	}
	day, hm := int(t.Weekday()), t.Format("15:04")
	for _, p := range periods {
		if p.DayOfWeek == day && hm >= p.From && hm <= p.To {
			return true
		}
	}
	return false
}
