// Package httpd serves the REST API (and, later, the web admin and web
// client) over HTTP/HTTPS with a chi router.
package httpd

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/defender"
	"github.com/sftpgo-ng/sftpgo/internal/secretfile"
	"github.com/sftpgo-ng/sftpgo/openapi"
)

// VersionInfo is what GET /api/v2/version returns.
type VersionInfo struct {
	Version    string   `json:"version"`
	BuildDate  string   `json:"build_date"`
	CommitHash string   `json:"commit_hash"`
	Features   []string `json:"features"`
}

// Transfer is one upload or download in progress on a connection.
type Transfer = common.TransferStatus

// ConnectionStatus describes an active client connection for
// GET /api/v2/connections.
type ConnectionStatus = common.ConnectionStatus

// ConnectionsProvider lists and closes the active protocol connections.
type ConnectionsProvider interface {
	Connections() []ConnectionStatus
	// CloseConnection closes the connection with the given id and
	// reports whether it existed.
	CloseConnection(id string) bool
}

// StatusProvider reports the protocol services for GET /api/v2/status.
type StatusProvider interface {
	// ServicesStatus returns JSON-encodable status objects keyed by the
	// reference's names ("ssh", "ftp", "webdav", "defender", "mfa", ...),
	// each with at least "is_active" and, for servers, "bindings".
	// "data_provider" is filled in by httpd itself.
	ServicesStatus(ctx context.Context) map[string]any
}

// Options are the dependencies of a Server.
type Options struct {
	Config config.HTTPDConfig
	Store  *dataprovider.Store
	Logger *slog.Logger
	// ConfigDir resolves relative certificate and passphrase file paths.
	ConfigDir string
	// BackupsPath is where dumpdata writes and loaddata reads files
	// (data_provider.backups_path, already resolved against ConfigDir).
	BackupsPath string
	// DataProviderDriver is reported by GET /status.
	DataProviderDriver string
	Version            VersionInfo
	// Connections may be nil: the connection list is then empty.
	Connections ConnectionsProvider
	// Status may be nil: /status then reports only what httpd knows.
	Status StatusProvider
	// Common gives users file access (user API, web client, shares); nil
	// disables it.
	Common *common.Server
	// Guard applies the allow list, the defender and the rate limiters
	// to every request and serves /defender and /iplists; nil: none.
	Guard *defender.Guard
	// Nodes, when the data provider is shared, lists and closes the
	// sessions of every node and serves the node-to-node API.
	Nodes NodeService
	// Events runs on-demand event rules (POST /eventrules/run); nil: 501.
	Events EventRunner
	// Mailer sends password reset codes; nil: no reset by e-mail.
	Mailer Mailer
}

// Limits on request bodies.
const (
	maxObjectBodySize = 1 << 20   // users, admins, folders, ...
	maxRestoreSize    = 256 << 20 // loaddata
)

// Server is the HTTP server: one handler, served on each configured binding.
type Server struct {
	cfg         config.HTTPDConfig
	store       store
	log         *slog.Logger
	configDir   string
	backupsPath string
	driver      string
	version     VersionInfo
	conns       ConnectionsProvider
	nodes       NodeService
	status      StatusProvider
	tokens      *tokenManager
	now         func() time.Time
	// webRoot prefixes every path but /healthz ("" or e.g. "/sftpgo").
	webRoot string
	certs   *certStore
	// common serves users' files; nil when file access is not wired.
	common *common.Server
	// loginLimiter slows down password guessing on every login form and
	// the user token endpoint.
	loginLimiter *loginLimiter
	web          *webUI
	guard        *defender.Guard
	// otpCodes refuses a replayed TOTP code when common is nil.
	otpCodes *common.UsedCodes
	events   EventRunner
	// oidc holds the pending OpenID Connect sign-ins; oidcRPs the relying
	// party of each binding that configures one (by bindingKey).
	oidc      *oidcState
	oidcRPs   map[string]*oidcRP
	mailer    Mailer
	pwdResets resetCodes

	mu      sync.Mutex
	servers []*http.Server
	addrs   []net.Addr
	wg      sync.WaitGroup
	scans   quotaScans
}

// New builds a Server; it does not listen yet.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("httpd: a data provider store is required")
	}
	return newServer(opts, opts.Store)
}

func newServer(opts Options, st store) (*Server, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	key, err := signingKey(opts.Config, opts.ConfigDir)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:         opts.Config,
		store:       st,
		log:         logger.With("component", "httpd"),
		configDir:   opts.ConfigDir,
		backupsPath: opts.BackupsPath,
		driver:      opts.DataProviderDriver,
		version:     opts.Version,
		conns:       opts.Connections,
		status:      opts.Status,
		now:         time.Now,
		webRoot:     normalizeWebRoot(opts.Config.WebRoot),
		certs:       newCertStore(),
		common:      opts.Common,
		guard:       opts.Guard,
		nodes:       opts.Nodes,
		events:      opts.Events,
		mailer:      opts.Mailer,
	}
	if opts.Nodes != nil {
		s.conns = opts.Nodes
	}
	s.otpCodes = common.NewUsedCodes(nil)
	s.loginLimiter = newLoginLimiter(func() time.Time { return s.now() })
	if s.backupsPath != "" {
		secretfile.Warn(s.log, "backups in "+s.backupsPath+" are", secretfile.DirFiles(s.backupsPath)...)
	}
	if s.web, err = newWebUI(opts.Config, opts.ConfigDir); err != nil {
		return nil, err
	}
	s.tokens = newTokenManager(key, opts.Config.TokenValidation, opts.Config.JWTLifetime, func() time.Time { return s.now() })
	if err := s.setupOIDC(); err != nil {
		return nil, err
	}
	for _, b := range opts.Config.Bindings {
		if _, err := securityMiddleware(b.Security); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// signingKey derives the JWT HMAC key from signing_passphrase (or the file
// named by signing_passphrase_file); without either, a random key is used,
// so tokens do not survive a restart.
func signingKey(cfg config.HTTPDConfig, configDir string) ([]byte, error) {
	pass := cfg.SigningPassphrase
	if cfg.SigningPassphraseFile != "" {
		b, err := os.ReadFile(config.ResolvePath(configDir, cfg.SigningPassphraseFile))
		if err != nil {
			return nil, fmt.Errorf("httpd: read signing_passphrase_file: %w", err)
		}
		pass = strings.TrimSpace(string(b))
	}
	if pass == "" {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, fmt.Errorf("httpd: random signing key: %w", err)
		}
		return k, nil
	}
	sum := sha256.Sum256([]byte(pass))
	return sum[:], nil
}

// normalizeWebRoot turns "", "/" into "" and "sftpgo/" into "/sftpgo".
func normalizeWebRoot(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	return "/" + p
}

// Handler returns the full handler (REST API enabled), for tests and for
// embedding behind another server.
func (s *Server) Handler() http.Handler {
	return s.router(config.HTTPDBinding{EnableRESTAPI: true})
}

// router builds the routes one binding serves.
func (s *Server) router(b config.HTTPDBinding) http.Handler {
	r := chi.NewRouter()
	r.Use(routeOnEscapedPath)
	r.Use(s.common.Metrics().HTTPMiddleware)
	r.Use(middleware.Recoverer)
	r.Use(proxyIPMiddleware(b))
	r.Use(s.guardRequests)
	r.Use(s.connectionCheck)
	r.Use(corsMiddleware(s.cfg.CORS))
	r.Use(withWebBinding(s.newWebBinding(b)))
	if sec, err := securityMiddleware(b.Security); err == nil {
		r.Use(sec)
	}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		sendAPIError(w, r, http.StatusNotFound, errors.New("the requested resource does not exist"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		sendAPIError(w, r, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed", r.Method))
	})

	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	if s.webRoot == "" {
		s.appRoutes(r, b)
	} else {
		r.Route(s.webRoot, func(r chi.Router) { s.appRoutes(r, b) })
	}
	return r
}

// appRoutes are the routes under web_root.
func (s *Server) appRoutes(r chi.Router, b config.HTTPDBinding) {
	if s.cfg.OpenAPIPath != "" {
		r.Get("/openapi/openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/yaml")
			_, _ = w.Write(openapi.Spec)
		})
		if b.RenderOpenAPI {
			s.openAPIViewerRoutes(r)
		}
	}
	if b.EnableRESTAPI {
		r.Route(apiPrefix, s.apiRoutes)
	}
	s.webRoutes(r, b)
}

const apiPrefix = "/api/v2"

func (s *Server) apiRoutes(r chi.Router) {
	r.Get("/token", s.getToken)
	s.passwordResetRoutes(r)
	s.userAPIRoutes(r)
	s.nodeRoutes(r)

	r.Group(func(r chi.Router) {
		r.Use(s.requireAdmin)
		r.Use(s.requireAdminMFASet)

		r.Get("/logout", s.logout)
		r.Get("/version", s.getVersion)
		r.With(s.checkPerm(dataprovider.AdminPermViewStatus)).Get("/status", s.getStatus)
		r.Get("/admin/profile", s.getAdminProfile)
		r.Put("/admin/profile", s.updateAdminProfile)
		r.Put("/admin/changepwd", s.changeAdminPassword)

		r.Route("/admins", func(r chi.Router) {
			r.Use(s.checkPerm(dataprovider.AdminPermManageAdmins))
			r.Get("/", s.listAdmins)
			r.Post("/", s.addAdmin)
			r.Get("/{username}", s.getAdmin)
			r.Put("/{username}", s.updateAdmin)
			r.Delete("/{username}", s.deleteAdmin)
		})

		r.Route("/users", func(r chi.Router) {
			r.With(s.checkPerm(dataprovider.AdminPermViewUsers)).Get("/", s.listUsers)
			r.With(s.checkPerm(dataprovider.AdminPermAddUsers)).Post("/", s.addUser)
			r.With(s.checkPerm(dataprovider.AdminPermViewUsers)).Get("/{username}", s.getUser)
			r.With(s.checkPerm(dataprovider.AdminPermEditUsers)).Put("/{username}", s.updateUser)
			r.With(s.checkPerm(dataprovider.AdminPermDelUsers)).Delete("/{username}", s.deleteUser)
		})

		r.Route("/groups", func(r chi.Router) {
			r.Use(s.checkPerm(dataprovider.AdminPermManageGroups))
			r.Get("/", s.listGroups)
			r.Post("/", s.addGroup)
			r.Get("/{name}", s.getGroup)
			r.Put("/{name}", s.updateGroup)
			r.Delete("/{name}", s.deleteGroup)
		})

		r.Route("/folders", func(r chi.Router) {
			r.Use(s.checkPerm(dataprovider.AdminPermManageFolders))
			r.Get("/", s.listFolders)
			r.Post("/", s.addFolder)
			r.Get("/{name}", s.getFolder)
			r.Put("/{name}", s.updateFolder)
			r.Delete("/{name}", s.deleteFolder)
		})

		r.Route("/apikeys", func(r chi.Router) {
			r.Use(s.checkPerm(dataprovider.AdminPermManageAPIKeys))
			r.Get("/", s.listAPIKeys)
			r.Post("/", s.addAPIKey)
			r.Get("/{id}", s.getAPIKey)
			r.Put("/{id}", s.updateAPIKey)
			r.Delete("/{id}", s.deleteAPIKey)
		})

		r.Route("/quotas", func(r chi.Router) {
			r.With(s.checkPerm(dataprovider.AdminPermQuotaScans)).Get("/users/scans", s.getUserQuotaScans)
			r.With(s.checkPerm(dataprovider.AdminPermQuotaScans)).Get("/folders/scans", s.getFolderQuotaScans)
			r.With(s.checkPerm(dataprovider.AdminPermQuotaScans)).Post("/users/{username}/scan", s.startUserQuotaScan)
			r.With(s.checkPerm(dataprovider.AdminPermQuotaScans)).Post("/folders/{name}/scan", s.startFolderQuotaScan)
			r.With(s.checkPerm(dataprovider.AdminPermEditUsers)).Put("/users/{username}/usage", s.updateUserQuotaUsage)
			r.With(s.checkPerm(dataprovider.AdminPermEditUsers)).Put("/users/{username}/transfer-usage", s.updateUserTransferUsage)
			r.With(s.checkPerm(dataprovider.AdminPermManageFolders)).Put("/folders/{name}/usage", s.updateFolderQuotaUsage)
		})

		r.With(s.checkPerm(dataprovider.AdminPermViewConns)).Get("/connections", s.listConnections)
		r.With(s.checkPerm(dataprovider.AdminPermCloseConns)).Delete("/connections/{connectionID}", s.closeConnection)

		s.defenderRoutes(r)
		s.ipListRoutes(r)
		s.adminTOTPRoutes(r)
		s.roleRoutes(r)
		s.eventRoutes(r)

		r.With(s.checkPerm(dataprovider.AdminPermManageSystem)).Get("/dumpdata", s.dumpData)
		r.With(s.checkPerm(dataprovider.AdminPermManageSystem)).Get("/loaddata", s.loadDataFromFile)
		r.With(s.checkPerm(dataprovider.AdminPermManageSystem)).Post("/loaddata", s.loadDataFromRequest)
	})
}

// Start listens on every binding with a non-zero port and serves in the
// background; it returns once all listeners are bound. ctx only bounds
// the binding step: stop the server with Shutdown.
func (s *Server) Start(ctx context.Context) error {
	var lns []net.Listener
	var srvs []*http.Server
	closeAll := func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}
	for _, b := range s.cfg.Bindings {
		if b.Port <= 0 {
			continue
		}
		addr := net.JoinHostPort(b.Address, strconv.Itoa(b.Port))
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			closeAll()
			return fmt.Errorf("httpd: listen on %s: %w", addr, err)
		}
		pln, err := s.proxyListener(b, ln)
		if err != nil {
			_ = ln.Close()
			closeAll()
			return err
		}
		ln = pln
		lns = append(lns, ln)
		srv := s.newHTTPServer(s.router(b))
		if b.EnableHTTPS {
			tlsCfg, err := s.tlsConfig(b)
			if err != nil {
				closeAll()
				return err
			}
			srv.TLSConfig = tlsCfg
			ln = tls.NewListener(ln, tlsCfg)
			lns[len(lns)-1] = ln
		}
		srvs = append(srvs, srv)
	}
	for i, srv := range srvs {
		s.serve(srv, lns[i])
	}
	return nil
}

// Serve serves the full handler on an existing listener in the background
// (tests use 127.0.0.1:0). Shutdown stops it.
func (s *Server) Serve(ln net.Listener) {
	s.serve(s.newHTTPServer(s.Handler()), ln)
}

func (s *Server) newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    1 << 16,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

func (s *Server) serve(srv *http.Server, ln net.Listener) {
	s.mu.Lock()
	s.servers = append(s.servers, srv)
	s.addrs = append(s.addrs, ln.Addr())
	s.mu.Unlock()
	s.log.Info("server listening", "address", ln.Addr().String(), "tls", srv.TLSConfig != nil)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("server stopped", "address", ln.Addr().String(), "error", err)
		}
	}()
}

// Addrs returns the addresses the server listens on.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]net.Addr(nil), s.addrs...)
}

// Shutdown stops accepting connections and waits for active requests to
// finish or ctx to end.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srvs := s.servers
	s.servers = nil
	s.addrs = nil
	s.mu.Unlock()
	var errs []error
	for _, srv := range srvs {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	s.scans.stop(ctx)
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
	}
	return errors.Join(errs...)
}
