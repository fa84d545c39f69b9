package common

import (
	"context"
	"net"

	"golang.org/x/time/rate"
)

// matchSource reports whether host is in one of the networks or addresses.
func matchSource(host string, sources []string) bool {
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, s := range sources {
		if _, n, err := net.ParseCIDR(s); err == nil {
			if n.Contains(ip) {
				return true
			}
		} else if other := net.ParseIP(s); other != nil && other.Equal(ip) {
			return true
		}
	}
	return false
}

// bandwidth returns the upload and download limits in KB/s that apply to
// this connection: a matching filters.bandwidth_limits entry overrides the
// user's values.
func (c *BaseConnection) bandwidth() (ul, dl int64) {
	host := hostOf(c.remoteAddr)
	for _, l := range c.User.Filters.BandwidthLimits {
		if matchSource(host, l.Sources) {
			return l.UploadBandwidth, l.DownloadBandwidth
		}
	}
	return c.User.UploadBandwidth, c.User.DownloadBandwidth
}

// throttle is a token bucket over bytes; nil means unlimited.
type throttle struct {
	lim *rate.Limiter
}

func newThrottle(kbps int64) *throttle {
	if kbps <= 0 {
		return nil
	}
	bps := float64(kbps) * 1024
	// a burst of a tenth of a second, at least one 32 KiB SFTP packet
	burst := max(int(bps/10), 32*1024)
	return &throttle{lim: rate.NewLimiter(rate.Limit(bps), burst)}
}

// wait blocks until n bytes may pass.
func (t *throttle) wait(ctx context.Context, n int) error {
	if t == nil {
		return nil
	}
	for n > 0 {
		step := min(n, t.lim.Burst())
		if err := t.lim.WaitN(ctx, step); err != nil {
			return err
		}
		n -= step
	}
	return nil
}
