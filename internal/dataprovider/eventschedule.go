package dataprovider

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CronSchedule is a parsed five-field cron expression (minute, hour, day
// of month, month, day of week), with "*", lists, ranges and steps.
type CronSchedule struct {
	minute, hour, dom, month, dow uint64
	domStar, dowStar              bool
}

type cronField struct {
	min, max int
	names    map[string]int
}

var (
	cronMonths = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7,
		"aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}
	cronDays = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
)

// ParseCron parses "minute hour day-of-month month day-of-week".
func ParseCron(spec string) (*CronSchedule, error) {
	f := strings.Fields(spec)
	if len(f) != 5 {
		return nil, fmt.Errorf("expected 5 fields, got %d", len(f))
	}
	var c CronSchedule
	var err error
	if c.minute, err = parseCronField(f[0], cronField{0, 59, nil}); err != nil {
		return nil, fmt.Errorf("minute: %w", err)
	}
	if c.hour, err = parseCronField(f[1], cronField{0, 23, nil}); err != nil {
		return nil, fmt.Errorf("hour: %w", err)
	}
	if c.dom, err = parseCronField(f[2], cronField{1, 31, nil}); err != nil {
		return nil, fmt.Errorf("day of month: %w", err)
	}
	if c.month, err = parseCronField(f[3], cronField{1, 12, cronMonths}); err != nil {
		return nil, fmt.Errorf("month: %w", err)
	}
	if c.dow, err = parseCronField(f[4], cronField{0, 7, cronDays}); err != nil {
		return nil, fmt.Errorf("day of week: %w", err)
	}
	if c.dow&(1<<7) != 0 { // 7 is Sunday too
		c.dow |= 1
	}
	c.domStar, c.dowStar = strings.HasPrefix(f[2], "*"), strings.HasPrefix(f[4], "*")
	return &c, nil
}

func parseCronValue(s string, f cronField) (int, error) {
	if v, ok := f.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("invalid value %q", s)
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("value %d out of range %d-%d", v, f.min, f.max)
	}
	return v, nil
}

func parseCronField(s string, f cronField) (uint64, error) {
	var bits uint64
	for _, part := range strings.Split(s, ",") {
		rng, stepStr, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("invalid step %q", stepStr)
			}
			step = n
		}
		lo, hi := f.min, f.max
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = parseCronValue(a, f); err != nil {
				return 0, err
			}
			if hi, err = parseCronValue(b, f); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("invalid range %q", rng)
			}
		default:
			v, err := parseCronValue(rng, f)
			if err != nil {
				return 0, err
			}
			lo = v
			if !hasStep {
				hi = v
			}
		}
		for v := lo; v <= hi; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, nil
}

// Matches reports whether the minute of t is selected.
func (c *CronSchedule) Matches(t time.Time) bool {
	if c.minute&(1<<uint(t.Minute())) == 0 || c.hour&(1<<uint(t.Hour())) == 0 || c.month&(1<<uint(t.Month())) == 0 {
		return false
	}
	domOK := c.dom&(1<<uint(t.Day())) != 0
	dowOK := c.dow&(1<<uint(t.Weekday())) != 0
	if c.domStar || c.dowStar {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// Next returns the first minute after t that the schedule selects (the
// zero time when none comes within five years).
func (c *CronSchedule) Next(t time.Time) time.Time {
	t = t.Truncate(time.Minute).Add(time.Minute)
	end := t.AddDate(5, 0, 0)
	for t.Before(end) {
		if c.month&(1<<uint(t.Month())) == 0 {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, t.Location())
			continue
		}
		if !c.Matches(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location()).Add(time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute)) {
			if c.hour&(1<<uint(t.Hour())) == 0 || !c.dayMatches(t) {
				t = t.Truncate(time.Hour).Add(time.Hour)
				continue
			}
			t = t.Add(time.Minute)
			continue
		}
		return t
	}
	return time.Time{}
}

func (c *CronSchedule) dayMatches(t time.Time) bool {
	domOK := c.dom&(1<<uint(t.Day())) != 0
	dowOK := c.dow&(1<<uint(t.Weekday())) != 0
	if c.domStar || c.dowStar {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// validateSchedule checks a rule schedule.
func validateSchedule(s Schedule) error {
	_, err := ParseCron(s.CronSpec())
	return err
}
