package service

import (
	"context"
	"sync/atomic"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/ftpd"
	"github.com/sftpgo-ng/sftpgo/internal/httpd"
	"github.com/sftpgo-ng/sftpgo/internal/metrics"
	"github.com/sftpgo-ng/sftpgo/internal/sftpd"
	"github.com/sftpgo-ng/sftpgo/internal/telemetry"
	"github.com/sftpgo-ng/sftpgo/internal/webdavd"
)

// commonComponent adapts the shared connection layer to the component
// lifecycle: it has nothing to start and closes its idle checker on stop.
type commonComponent struct{ srv *common.Server }

func (c commonComponent) Start(context.Context) error    { return nil }
func (c commonComponent) Shutdown(context.Context) error { return c.srv.Close() }

func (s *Service) resolve(p string) string {
	return config.ResolvePath(s.configDir, p)
}

func hasPort[T any](bindings []T, port func(T) int) bool {
	for _, b := range bindings {
		if port(b) > 0 {
			return true
		}
	}
	return false
}

// buildComponents creates every configured component in start order.
func (s *Service) buildComponents() error {
	cfg := s.cfg
	runner, hooks, actions, disconnect, err := s.buildHooks()
	if err != nil {
		return prefixed("hooks", err)
	}
	guard, err := s.buildGuard(&hooks)
	if err != nil {
		return prefixed("common", err)
	}
	var connsRef atomic.Pointer[common.Server]
	mailer := newMailer(cfg.SMTP, s.configDir, s.logger)
	eventManager := s.buildEvents(runner, &connsRef, mailer)
	m := metrics.New()
	conns, err := common.New(cfg.Common, common.Deps{
		Metrics:        m,
		Store:          s.store,
		KMS:            s.kms,
		Logger:         s.logger,
		UsersBaseDir:   s.resolve(cfg.DataProvider.UsersBaseDir),
		TrackQuota:     common.QuotaTrackingFromConfig(cfg.DataProvider.TrackQuota),
		Login:          hooks,
		TOTPConfigs:    cfg.MFA.TOTP,
		Actions:        common.JoinActionHooks(actions, eventManager),
		PostDisconnect: disconnect,
	})
	if err != nil {
		return prefixed("common", err)
	}
	s.common = conns
	connsRef.Store(conns)
	s.components = append(s.components, namedComponent{"common", commonComponent{conns}})
	s.listeners = conns.RegisterListener
	status := &servicesStatus{defenderOn: guard.Defender() != nil}
	if d := guard.Defender(); d != nil {
		d.OnBan(eventManager.IPBlocked)
	}
	nodes, err := s.buildCluster(conns)
	if err != nil {
		return prefixed("cluster", err)
	}

	if hasPort(cfg.SFTPD.Bindings, func(b config.SFTPDBinding) int { return b.Port }) {
		srv, err := sftpd.New(cfg.SFTPD, conns, s.store, s.configDir, s.logger)
		if err != nil {
			return prefixed("sftpd", err)
		}
		srv.SetHookRunner(runner)
		status.sftp = srv
		s.components = append(s.components, namedComponent{"sftpd", srv})
	}

	if hasPort(cfg.FTPD.Bindings, func(b config.FTPDBinding) int { return b.Port }) {
		srv, err := ftpd.New(cfg.FTPD, conns, s.store, s.configDir, s.logger)
		if err != nil {
			return prefixed("ftpd", err)
		}
		status.ftp = srv
		s.components = append(s.components, namedComponent{"ftpd", srv})
	}

	if hasPort(cfg.WebDAVD.Bindings, func(b config.WebDAVDBinding) int { return b.Port }) {
		srv, err := webdavd.New(cfg.WebDAVD, conns, s.store, s.configDir, s.logger)
		if err != nil {
			return prefixed("webdavd", err)
		}
		status.webdav = srv
		s.store.OnUserChange(srv.InvalidateUser)
		s.components = append(s.components, namedComponent{"webdavd", srv})
	}

	if hasPort(cfg.HTTPD.Bindings, func(b config.HTTPDBinding) int { return b.Port }) {
		v := Version()
		srv, err := httpd.New(httpd.Options{
			Config:             cfg.HTTPD,
			Store:              s.store,
			Logger:             s.logger,
			ConfigDir:          s.configDir,
			BackupsPath:        s.resolve(cfg.DataProvider.BackupsPath),
			DataProviderDriver: cfg.DataProvider.Driver,
			Version: httpd.VersionInfo{Version: v.Version, BuildDate: v.BuildDate,
				CommitHash: v.CommitHash, Features: v.Features},
			Connections: conns,
			Status:      status,
			Common:      conns,
			Guard:       guard,
			Nodes:       nodes,
			Mailer:      httpdMailer(mailer),
			Events:      eventManager,
		})
		if err != nil {
			return prefixed("httpd", err)
		}
		s.components = append(s.components, namedComponent{"httpd", srv})
	}

	if telemetry.Enabled(cfg.Telemetry) {
		srv, err := telemetry.New(telemetry.Options{
			Config:        cfg.Telemetry,
			ConfigDir:     s.configDir,
			Metrics:       m,
			Logger:        s.logger,
			ProviderCheck: s.store.CheckAvailability,
		})
		if err != nil {
			return prefixed("telemetry", err)
		}
		s.components = append(s.components, namedComponent{"telemetry", srv})
	}
	return nil
}
