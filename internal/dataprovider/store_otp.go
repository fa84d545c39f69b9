package dataprovider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// SharesOneTimeCodes reports whether accepted one-time codes are kept in
// the database (SQL drivers with data_provider.is_shared), so that every
// node refuses a code another node accepted.
func (s *Store) SharesOneTimeCodes() bool {
	_, ok := s.driver.(*sqlDriver)
	return ok && s.cfg.IsShared != 0
}

// UseOneTimeCode records key (the secret and the code, hashed here) as
// used; false when it was recorded in the last window. Older records
// are removed on the way.
func (s *Store) UseOneTimeCode(ctx context.Context, key string, window time.Duration) (bool, error) {
	d, ok := s.driver.(*sqlDriver)
	if !ok {
		return false, errors.New("dataprovider: one-time codes are shared only by SQL drivers")
	}
	sum := sha256.Sum256([]byte("otp\x00" + key))
	h := hex.EncodeToString(sum[:])
	now := time.Now().UnixMilli()
	fresh := false
	err := d.InTx(ctx, func(ops Ops) error {
		o := ops.(*sqlOps)
		if _, err := o.exec(ctx, "DELETE FROM {p}used_otp_codes WHERE used_at < ?", now-window.Milliseconds()); err != nil {
			return err
		}
		if ok, err := o.exists(ctx, "used_otp_codes", "code_hash", h); err != nil || ok {
			return err
		}
		_, err := o.exec(ctx, "INSERT INTO {p}used_otp_codes (code_hash, used_at) VALUES (?, ?)", h, now)
		if err == nil {
			fresh = true
		}
		return err
	})
	if errors.Is(err, ErrConflict) {
		// another node inserted it between our check and our insert
		return false, nil
	}
	return fresh, err
}
