package common

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/logger"
)

// CheckLogin applies, for every protocol, the account checks that follow a
// successful authentication: status, expiration, denied protocols and
// login methods, allowed/denied IPs. For local and encrypted storage it
// fills an empty home_dir from users_base_dir and creates the home
// directory on first login. The returned error is safe to show.
func (s *Server) CheckLogin(user *dataprovider.User, protocol, loginMethod, remoteAddr string) error {
	if user.Status != dataprovider.StatusEnabled {
		return newErr(ErrLoginDenied, "user is disabled")
	}
	if user.IsExpired() {
		return newErr(ErrLoginDenied, "user account is expired")
	}
	if !user.IsProtocolAllowed(protocol) {
		return newErr(ErrLoginDenied, fmt.Sprintf("protocol %s is not allowed", protocol))
	}
	if !user.IsLoginMethodAllowed(loginMethod) {
		return newErr(ErrLoginDenied, fmt.Sprintf("login method %s is not allowed", loginMethod))
	}
	if !user.IsLoginFromAddrAllowed(remoteAddr) {
		return newErr(ErrLoginDenied, "login from this address is not allowed")
	}
	if !accessTimeAllowed(user.Filters.AccessTime, s.clock()) {
		return newErr(ErrLoginDenied, "login is not allowed at this time")
	}
	if user.HomeDir == "" {
		switch {
		case s.deps.UsersBaseDir != "":
			user.HomeDir = filepath.Join(s.deps.UsersBaseDir, user.Username)
		case user.FsConfig.Provider.UsesLocalHome():
			return newErr(ErrLoginDenied, "user has no home directory")
		}
	}
	switch user.FsConfig.Provider {
	case dataprovider.LocalFilesystemProvider, dataprovider.CryptedFilesystemProvider:
		if !filepath.IsAbs(user.HomeDir) {
			return newErr(ErrLoginDenied, "user home directory is not an absolute path")
		}
		if err := os.MkdirAll(user.HomeDir, 0o777&^s.umask); err != nil {
			s.log.Error("unable to create home directory", "user", user.Username, "home", user.HomeDir, "error", err)
			return newErr(ErrGeneric, "unable to create home directory")
		}
	}
	return nil
}

// LoginSucceeded records a successful login in the store.
func (s *Server) LoginSucceeded(ctx context.Context, user *dataprovider.User, protocol, loginMethod, remoteAddr string) {
	if err := s.deps.Store.UpdateLastLogin(ctx, user.Username); err != nil {
		s.log.Warn("unable to update last login", "user", user.Username, "error", err)
	}
	s.log.Info("login succeeded", "user", user.Username, "proto", protocol, "method", loginMethod, "remote", remoteAddr)
}

// LoginFailed writes the one line per failed login that fail2ban-style
// tools match on. Every protocol reports failures through it.
func (s *Server) LoginFailed(remoteAddr, username, method, protocol string, err error) {
	LogLoginFailed(s.log, hostOf(remoteAddr), username, method, protocol, err)
}

// LogLoginFailed writes a failed-login line in the shared format.
func LogLoginFailed(l *slog.Logger, ip, username, method, protocol string, err error) {
	logger.LoginFailed(l, ip, username, method, protocol, err)
}
