package events

import (
	"context"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// scheduler runs the schedule rules at the start of every minute their
// schedules select, until Shutdown.
func (m *Manager) scheduler(last time.Time) {
	defer m.wg.Done()
	for {
		now := m.clock.Now()
		wait := now.Truncate(time.Minute).Add(time.Minute).Sub(now)
		select {
		case <-m.stop:
			return
		case <-m.clock.After(wait):
		}
		now = m.clock.Now().Truncate(time.Minute)
		// every minute since the last run, at most a day when the clock jumped
		from := last.Add(time.Minute)
		if now.Sub(from) > 24*time.Hour {
			from = now
		}
		for t := from; !t.After(now); t = t.Add(time.Minute) {
			m.RunSchedules(t)
		}
		if now.After(last) {
			last = now
		}
	}
}

// RunSchedules runs, in the background, the schedule rules selecting the
// minute of t. With a shared data provider each rule's minute runs on the
// node that claims it first, unless the rule allows concurrent_execution
// (then every node runs it).
func (m *Manager) RunSchedules(t time.Time) {
	t = t.Truncate(time.Minute)
	for _, r := range m.rulesFor(dataprovider.TriggerSchedule) {
		if !scheduleMatches(r.Conditions.Schedules, t.UTC()) {
			continue
		}
		if !r.Conditions.Options.ConcurrentExecution {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			ok, err := m.store.ClaimEventRun(ctx, r.Name, t.Unix()/60, m.opts.Node)
			cancel()
			if err != nil {
				m.log.Warn("unable to claim a scheduled run", "rule", r.Name, "error", err)
				continue
			}
			if !ok {
				m.log.Debug("scheduled run taken by another node", "rule", r.Name, "minute", t)
				continue
			}
		}
		m.goRun(func() {
			_ = m.runRule(context.Background(), r, &Params{Event: "Schedule", Timestamp: t}, false)
		})
	}
}

func scheduleMatches(list []dataprovider.Schedule, t time.Time) bool {
	for _, s := range list {
		c, err := dataprovider.ParseCron(s.CronSpec())
		if err == nil && c.Matches(t) {
			return true
		}
	}
	return false
}
