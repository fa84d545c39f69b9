package dataprovider

import (
	"context"
	"fmt"
)

// UseRecoveryCode marks the user's recovery code at index as used, so it
// passes once; ErrConflict when it already was (two logins racing with
// the same code: one wins).
func (s *Store) UseRecoveryCode(ctx context.Context, username string, index int) error {
	username = s.name(username)
	err := s.driver.InTx(ctx, func(ops Ops) error {
		u, err := ops.GetUser(ctx, username)
		if err != nil {
			return err
		}
		codes := u.Filters.RecoveryCodes
		if index < 0 || index >= len(codes) {
			return invalid("recovery_codes", "no recovery code %d", index)
		}
		if codes[index].Used {
			return fmt.Errorf("recovery code already used: %w", ErrConflict)
		}
		codes[index].Used = true
		return ops.UpdateUser(ctx, &u)
	})
	if err == nil {
		s.notifyUserChange(username)
	}
	return err
}

// UseAdminRecoveryCode is UseRecoveryCode for an admin.
func (s *Store) UseAdminRecoveryCode(ctx context.Context, username string, index int) error {
	username = s.name(username)
	return s.driver.InTx(ctx, func(ops Ops) error {
		a, err := ops.GetAdmin(ctx, username)
		if err != nil {
			return err
		}
		codes := a.Filters.RecoveryCodes
		if index < 0 || index >= len(codes) {
			return invalid("recovery_codes", "no recovery code %d", index)
		}
		if codes[index].Used {
			return fmt.Errorf("recovery code already used: %w", ErrConflict)
		}
		codes[index].Used = true
		return ops.UpdateAdmin(ctx, &a)
	})
}
