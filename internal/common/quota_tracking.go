package common

import "github.com/sftpgo-ng/sftpgo/internal/dataprovider"

// QuotaTracked reports whether the usage of u's own storage is tracked
// under data_provider.track_quota: never with 0, only for users with a
// size or file quota with 2. Pages show "not tracked" instead of a used
// size that stays 0.
func (s *Server) QuotaTracked(u *dataprovider.User) bool {
	switch s.deps.TrackQuota {
	case TrackQuotaDisabled:
		return false
	case TrackQuotaRestricted:
		return u.HasQuotaRestrictions()
	}
	return true
}
