package common

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// TOTPRequired reports whether the user's second factor (filters.totp_config)
// is enabled for protocol.
func TOTPRequired(user *dataprovider.User, protocol string) bool {
	t := &user.Filters.TOTPConfig
	return t.Enabled && slices.Contains(t.Protocols, protocol)
}

// ErrTOTPInvalid: a one-time code did not match.
var ErrTOTPInvalid = errors.New("invalid one-time code")

// CheckTOTP verifies a one-time code (RFC 6238, 30 s steps, 6 digits,
// one step of clock skew accepted) against the user's TOTP secret,
// decrypted through the KMS. algo is "sha1" (the default, what
// authenticator apps use), "sha256" or "sha512".
func (s *Server) CheckTOTP(user *dataprovider.User, code, algo string) error {
	secret := user.Filters.TOTPConfig.Secret
	if secret.IsEmpty() {
		return errors.New("no TOTP secret configured")
	}
	plain := secret.Payload
	if !secret.IsPlain() {
		if s.deps.KMS == nil {
			return errors.New("no KMS to decrypt the TOTP secret")
		}
		var err error
		if plain, err = s.deps.KMS.Decrypt(secret); err != nil {
			return fmt.Errorf("decrypt TOTP secret: %w", err)
		}
	}
	if !ValidateTOTP(plain, code, algo, time.Now()) {
		return ErrTOTPInvalid
	}
	if !s.UseTOTPCode(plain, code) {
		return ErrTOTPReused
	}
	return nil
}

// ErrTOTPReused: the one-time code was right but already accepted once.
var ErrTOTPReused = errors.New("one-time code already used")

// UseTOTPCode marks a code accepted for the plain secret; false when it
// was accepted before within its validity window (see UsedCodes). The
// admin checks of the REST API and the enrolment endpoints share it with
// the protocols.
func (s *Server) UseTOTPCode(secret, code string) bool {
	code = strings.TrimSpace(code)
	if !s.usedCodes.Use(secret, code) {
		return false
	}
	sc, ok := s.deps.Store.(SharedCodeStore)
	if !ok || !sc.SharesOneTimeCodes() {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fresh, err := sc.UseOneTimeCode(ctx, secret+"\x00"+code, totpReuseWindow)
	if err != nil {
		// refuse rather than let a code be replayed on another node
		s.log.Error("unable to record a used one-time code", "error", err)
		return false
	}
	return fresh
}

// SharedCodeStore keeps the accepted one-time codes in the database the
// nodes share (data_provider.is_shared); *dataprovider.Store satisfies it.
type SharedCodeStore interface {
	SharesOneTimeCodes() bool
	UseOneTimeCode(ctx context.Context, key string, window time.Duration) (bool, error)
}

// MissingSecondFactor returns the protocols of the user's
// two_factor_protocols filter (its own or its groups') for which TOTP is
// not enabled: the user must enrol before logging in over them.
func MissingSecondFactor(user *dataprovider.User) []string {
	var out []string
	for _, p := range user.Filters.TwoFactorAuthProtocols {
		if !TOTPRequired(user, p) {
			out = append(out, p)
		}
	}
	return out
}

// ErrSecondFactorNotSet is the refusal of a user that must enrol TOTP
// for the protocol first.
func errSecondFactorNotSet(missing []string) error {
	return newErr(ErrLoginDenied, "two-factor authentication requirements not met, please configure two-factor authentication for the following protocols: "+strings.Join(missing, ", "))
}

// ValidateTOTP checks a 6-digit code for the base32 secret at now,
// accepting the previous and next 30 s steps.
func ValidateTOTP(secret, code, algo string, now time.Time) bool {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return false
	}
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(strings.ReplaceAll(secret, " ", ""), "=")))
	if err != nil || len(key) == 0 {
		return false
	}
	step := now.Unix() / 30
	ok := 0
	for _, c := range []int64{step - 1, step, step + 1} {
		ok |= subtle.ConstantTimeCompare([]byte(TOTPCode(key, c, algo, 6)), []byte(code))
	}
	return ok == 1
}

// TOTPCode computes the HOTP value (RFC 4226) of key at counter.
func TOTPCode(key []byte, counter int64, algo string, digits int) string {
	var h func() hash.Hash
	switch algo {
	case "sha256":
		h = sha256.New
	case "sha512":
		h = sha512.New
	default:
		h = sha1.New
	}
	mac := hmac.New(h, key)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}
