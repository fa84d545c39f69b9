package common

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// RecoveryCodeStore marks a user's recovery code as used;
// *dataprovider.Store satisfies it. Without it recovery codes are not
// accepted.
type RecoveryCodeStore interface {
	UseRecoveryCode(ctx context.Context, username string, index int) error
}

// TOTPAlgo returns the hash algorithm of the user's TOTP configuration
// (mfa.totp, by config_name); "sha1" when the name is not configured.
func TOTPAlgo(configs []config.TOTPConfig, user *dataprovider.User) string {
	for _, c := range configs {
		if c.Name == user.Filters.TOTPConfig.ConfigName && c.Algo != "" {
			return strings.ToLower(c.Algo)
		}
	}
	return "sha1"
}

// checkCode verifies a second factor: the TOTP code with the algorithm
// of the user's configuration or, when recovery is allowed (the code was
// asked separately, not appended to a password), one of the user's
// unused recovery codes, which is then marked used.
func (s *Server) checkCode(ctx context.Context, user *dataprovider.User, code string, recovery bool) error {
	err := s.CheckTOTP(user, code, TOTPAlgo(s.deps.TOTPConfigs, user))
	if err == nil || !recovery || len(strings.TrimSpace(code)) <= 6 {
		return err
	}
	i, rerr := s.matchRecoveryCode(user, strings.TrimSpace(code))
	if rerr != nil {
		return errors.Join(err, rerr)
	}
	rs, ok := s.deps.Store.(RecoveryCodeStore)
	if !ok {
		return errors.Join(err, errors.New("recovery codes are not supported by the store"))
	}
	if uerr := rs.UseRecoveryCode(ctx, user.Username, i); uerr != nil {
		return fmt.Errorf("recovery code: %w", uerr)
	}
	s.log.Info("recovery code used", "user", user.Username)
	return nil
}

func (s *Server) matchRecoveryCode(user *dataprovider.User, code string) (int, error) {
	for i, rc := range user.Filters.RecoveryCodes {
		if rc.Used || rc.Secret == nil || rc.Secret.IsEmpty() {
			continue
		}
		plain := rc.Secret.Payload
		if !rc.Secret.IsPlain() {
			if s.deps.KMS == nil {
				return -1, errors.New("no KMS to decrypt the recovery codes")
			}
			var err error
			if plain, err = s.deps.KMS.Decrypt(rc.Secret); err != nil {
				return -1, fmt.Errorf("decrypt recovery code: %w", err)
			}
		}
		if subtle.ConstantTimeCompare([]byte(plain), []byte(code)) == 1 {
			return i, nil
		}
	}
	return -1, errors.New("no matching unused recovery code")
}

// TOTPConfigs returns mfa.totp, for the other second-factor checks (admin
// tokens).
func (s *Server) TOTPConfigs() []config.TOTPConfig { return s.deps.TOTPConfigs }

// VerifySecondFactor checks the one-time code, or an unused recovery
// code (then used up), of a user whose password was checked on its own
// (a Probe login): the web client asks for the code on a second page.
// The outcome is recorded as a login's (log line, last login, defender
// event, post-login hook, login delay).
func (s *Server) VerifySecondFactor(ctx context.Context, user *dataprovider.User, protocol, remoteAddr, code string) error {
	st := &loginState{req: &LoginRequest{Protocol: protocol, Method: dataprovider.LoginMethodPassword,
		Username: user.Username, RemoteAddr: remoteAddr}, method: dataprovider.LoginMethodPassword, user: user}
	var err error
	if !user.Filters.TOTPConfig.Enabled {
		err = st.fail(authFailed(), errors.New("two-factor authentication is not enabled"))
	} else if cerr := s.checkCode(ctx, user, code, true); cerr != nil {
		err = st.fail(authFailed(), cerr)
	}
	s.loginOutcome(ctx, st, err)
	return err
}
