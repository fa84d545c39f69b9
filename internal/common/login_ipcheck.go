package common

// DefenderNoAuth: a client went away without trying to authenticate
// (common.defender.score_no_auth). Outside the iota block of
// login_hooks.go so the two lists cannot collide.
const DefenderNoAuth DefenderEvent = 100

// ProtocolDefender is a Defender whose verdict depends on the protocol
// (IP lists with per-protocol entries: the allow list, the defender's
// safe and block lists). The login path prefers it to IsBanned.
type ProtocolDefender interface {
	IsBannedFor(ip, protocol string) bool
}

// ipRefused reports whether the defender refuses ip for protocol.
func (s *Server) ipRefused(protocol, ip string) bool {
	d := s.deps.Login.Defender
	if d == nil {
		return false
	}
	if pd, ok := d.(ProtocolDefender); ok {
		return pd.IsBannedFor(ip, protocol)
	}
	return d.IsBanned(ip)
}

// NoAuthAttempt tells the defender that a client closed its connection
// before any authentication attempt.
func (s *Server) NoAuthAttempt(protocol, remoteAddr string) {
	if d := s.deps.Login.Defender; d != nil {
		d.AddEvent(hostOf(remoteAddr), protocol, DefenderNoAuth)
	}
}

// hostLimitExceeded tells the defender that ip went past
// max_per_host_connections (score_limit_exceeded).
func (s *Server) hostLimitExceeded(ip string) {
	if d := s.deps.Login.Defender; d != nil {
		d.AddEvent(ip, "", DefenderLimitExceeded)
	}
}
