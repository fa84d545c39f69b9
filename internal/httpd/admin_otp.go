package httpd

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/kms"
)

// adminOTPStore decrypts an admin's TOTP secret and recovery codes and
// marks a recovery code used; *dataprovider.Store satisfies it.
type adminOTPStore interface {
	DecryptSecret(sec *kms.Secret) (string, error)
	UseAdminRecoveryCode(ctx context.Context, username string, index int) error
}

var errOTPRequired = errors.New("two-factor authentication is enabled: send the one-time code in the X-SFTPGO-OTP header")

// checkAdminOTP verifies the second factor of an admin with TOTP enabled:
// the X-SFTPGO-OTP header holds the current code (checked with the
// algorithm of the admin's mfa.totp configuration) or an unused recovery
// code, which is then used up.
func (s *Server) checkAdminOTP(r *http.Request, a *dataprovider.Admin) error {
	if !a.Filters.TOTPConfig.Enabled {
		return nil
	}
	code := strings.TrimSpace(r.Header.Get(otpHeader))
	if code == "" {
		return errOTPRequired
	}
	return s.checkAdminCode(r.Context(), a, code)
}

// checkAdminCode verifies code as the current TOTP code of the admin, or
// one of its unused recovery codes, which is then used up.
func (s *Server) checkAdminCode(ctx context.Context, a *dataprovider.Admin, code string) error {
	code = strings.TrimSpace(code)
	st, ok := s.store.(adminOTPStore)
	if !ok {
		return errors.New("two-factor authentication is not supported by this data provider")
	}
	var configs []config.TOTPConfig
	if s.common != nil {
		configs = s.common.TOTPConfigs()
	}
	algo := "sha1"
	for _, c := range configs {
		if c.Name == a.Filters.TOTPConfig.ConfigName && c.Algo != "" {
			algo = strings.ToLower(c.Algo)
		}
	}
	if sec := a.Filters.TOTPConfig.Secret; sec != nil && !sec.IsEmpty() {
		plain, err := st.DecryptSecret(sec)
		if err != nil {
			return errors.New("unable to read the TOTP secret")
		}
		if common.ValidateTOTP(plain, code, algo, s.now()) {
			if !s.useOTP(plain, code) {
				return errors.New("one-time code already used")
			}
			return nil
		}
	}
	if len(code) > 6 {
		for i, rc := range a.Filters.RecoveryCodes {
			if rc.Used || rc.Secret == nil || rc.Secret.IsEmpty() {
				continue
			}
			plain, err := st.DecryptSecret(rc.Secret)
			if err != nil || subtle.ConstantTimeCompare([]byte(plain), []byte(code)) != 1 {
				continue
			}
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := st.UseAdminRecoveryCode(ctx, a.Username, i); err != nil {
				return errors.New("invalid one-time code")
			}
			s.log.Info("admin recovery code used", "user", a.Username)
			return nil
		}
	}
	return errors.New("invalid one-time code")
}
