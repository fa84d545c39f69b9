package service

import (
	"context"
	"encoding/pem"
	"net"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/hooks"
)

// hooksComponent runs common.startup_hook at start and, on stop, waits
// for the asynchronous hooks still running.
type hooksComponent struct {
	runner  *hooks.Runner
	bg      *hooks.Background
	startup string
}

func (h hooksComponent) Start(ctx context.Context) error {
	return hooks.RunStartup(ctx, h.runner, h.startup)
}

func (h hooksComponent) Shutdown(ctx context.Context) error { return h.bg.Close(ctx) }

// buildHooks creates the shared hook runner and the hooks the
// configuration names, as login-path members and custom actions.
func (s *Service) buildHooks() (*hooks.Runner, common.LoginHooks, common.ActionHook, common.DisconnectHook, error) {
	cfg := s.cfg
	var lh common.LoginHooks
	runner, err := hooks.NewRunner(cfg.Command, cfg.HTTP, s.configDir, s.logger)
	if err != nil {
		return nil, lh, nil, nil, err
	}
	bg := hooks.NewBackground()
	s.components = append(s.components, namedComponent{"hooks", hooksComponent{runner: runner, bg: bg, startup: cfg.Common.StartupHook}})
	dp := cfg.DataProvider
	if h := cfg.Common.PostConnectHook; h != "" {
		lh.PostConnect = &hooks.PostConnect{Runner: runner, Hook: h}
	}
	if h := dp.ExternalAuthHook; h != "" {
		lh.ExternalAuth = externalAuth{&hooks.ExternalAuth{Runner: runner, Store: s.store, Hook: h, Scope: dp.ExternalAuthScope}}
	}
	if h := dp.PreLoginHook; h != "" {
		lh.PreLogin = preLogin{&hooks.PreLogin{Runner: runner, Store: s.store, Hook: h}}
	}
	if h := dp.CheckPasswordHook; h != "" {
		lh.CheckPassword = checkPassword{&hooks.CheckPassword{Runner: runner, Store: s.store, Hook: h, Scope: dp.CheckPasswordScope}}
	}
	if h := dp.PostLoginHook; h != "" {
		lh.PostLogin = postLogin{&hooks.PostLogin{Runner: runner, BG: bg, Hook: h, Scope: dp.PostLoginScope}}
	}
	if a := dp.Actions; a.Hook != "" && len(a.ExecuteOn) > 0 && len(a.ExecuteFor) > 0 {
		pa := &hooks.ProviderActions{Runner: runner, BG: bg, Hook: a.Hook, ExecuteOn: a.ExecuteOn, ExecuteFor: a.ExecuteFor}
		s.store.OnObjectChange(pa.Notify)
	}
	var actions common.ActionHook
	if a := cfg.Common.Actions; a.Hook != "" && len(a.ExecuteOn) > 0 {
		actions = &hooks.FsActions{Runner: runner, BG: bg, Hook: a.Hook, ExecuteOn: a.ExecuteOn, ExecuteSync: a.ExecuteSync}
	}
	var disconnect common.DisconnectHook
	if h := cfg.Common.PostDisconnectHook; h != "" {
		disconnect = &hooks.PostDisconnect{Runner: runner, BG: bg, Hook: h}
	}
	return runner, lh, actions, disconnect, nil
}

// loginInfo is what the hooks are told about req.
func loginInfo(req *common.LoginRequest, method string) hooks.LoginInfo {
	ip := req.RemoteAddr
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	if method == "" {
		method = req.Method
	}
	info := hooks.LoginInfo{Username: req.Username, IP: ip, Protocol: req.Protocol, Method: method, Password: req.Password, IDPFields: req.IDPFields}
	if len(req.PublicKey) > 0 {
		if k, err := ssh.ParsePublicKey(req.PublicKey); err == nil {
			info.PublicKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
		}
	}
	if req.Method == dataprovider.LoginMethodKeyboardInteractive || req.Method == dataprovider.LoginMethodKeyAndKeyboardInt {
		info.KeyboardInteractive = "1"
	}
	if req.Certificate != nil {
		info.TLSCert = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: req.Certificate.Raw}))
	}
	return info
}

// The adapters below give the hooks the shape of common's login-path
// members.

type externalAuth struct{ h *hooks.ExternalAuth }

func (a externalAuth) Authenticate(ctx context.Context, req *common.LoginRequest, _ *dataprovider.User) (*dataprovider.User, bool, error) {
	if req.VerifyKey != nil || req.VerifyInteractive != nil {
		// SSH certificates and the keyboard-interactive hook carry
		// their own verification
		return nil, false, nil
	}
	return a.h.Authenticate(ctx, loginInfo(req, ""), req.PublicKey)
}

type preLogin struct{ h *hooks.PreLogin }

func (p preLogin) Run(ctx context.Context, req *common.LoginRequest, _ *dataprovider.User) (*dataprovider.User, error) {
	return p.h.Run(ctx, loginInfo(req, ""))
}

type checkPassword struct{ h *hooks.CheckPassword }

func (c checkPassword) Check(ctx context.Context, req *common.LoginRequest, password string) (common.CheckPasswordResult, bool, error) {
	ans, handled, err := c.h.Check(ctx, loginInfo(req, ""), password)
	return common.CheckPasswordResult{Status: ans.Status, ToVerify: ans.ToVerify}, handled, err
}

type postLogin struct{ h *hooks.PostLogin }

func (p postLogin) Notify(req *common.LoginRequest, user *dataprovider.User, method string, err error) {
	p.h.Notify(loginInfo(req, method), user, err == nil)
}
