package service

import (
	"context"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/defender"
)

// guardComponent stops the defender's background work on shutdown.
type guardComponent struct{ g *defender.Guard }

func (c guardComponent) Start(context.Context) error    { return nil }
func (c guardComponent) Shutdown(context.Context) error { c.g.Close(); return nil }

// buildGuard creates the allow list, defender and rate limiter checks
// (common.allowlist_status, common.defender, common.rate_limiters) and
// plugs them into the login path of every protocol.
func (s *Service) buildGuard(hooks *common.LoginHooks) (*defender.Guard, error) {
	g, err := defender.New(context.Background(), s.cfg.Common,
		defender.Stores{Lists: s.store, Defender: s.store.DefenderStore()}, s.logger)
	if err != nil {
		return nil, err
	}
	s.components = append(s.components, namedComponent{"defender", guardComponent{g}})
	hooks.Defender = g
	if g.HasRateLimiters() {
		hooks.RateLimiter = g
	}
	return g, nil
}
