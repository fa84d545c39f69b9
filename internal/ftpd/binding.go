package ftpd

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/edge"
)

// TLS modes of a binding (tls_mode).
const (
	tlsModeCleartext   = 0
	tlsModeExplicit    = 1
	tlsModeImplicit    = 2
	tlsModeControlOnly = 3
)

// Session reuse modes of a binding (tls_session_reuse).
const (
	sessionReuseUnchecked = 0
	sessionReuseRequired  = 1
	sessionReuseDisabled  = 2
)

var errSessionReuseRequired = errors.New("TLS session resumption of the control connection is required for data connections")

// binding is one listener with its own ftpserverlib server; it is the
// library's MainDriver.
type binding struct {
	s      *Server
	idx    int
	cfg    config.FTPDBinding
	log    *slog.Logger
	hasTLS bool
	// controlTLSRequired: USER is refused before AUTH TLS (tls_mode 3, or
	// tls_mode 0 with force_starttls); tls_mode 1 is enforced by the
	// library, which also protects data connections.
	controlTLSRequired bool
	useProxy           bool

	tlsParams  edge.Params // versions, suites, client certificates
	ticketKeys [][32]byte
	ctrlTLS    atomic.Pointer[tls.Config] // the client's control connection
	dataTLS    atomic.Pointer[tls.Config] // data connections
	libTLS     *tls.Config                // what the library gets

	overrides []passiveOverride
	localNets []*net.IPNet

	ftp   *ftpserver.FtpServer
	pipes *pipeListener

	mu       sync.Mutex
	listener net.Listener
	fronts   map[*frontConn]struct{}
	stopped  bool
	stopCh   chan struct{} // closed by stop

	// owners maps data connection endpoints to the control connection
	// that announced them: "p:<port>" for passive, "a:<ip:port>" for
	// active. TLS session reuse checks use it.
	ownersMu sync.Mutex
	owners   map[string]*frontConn

	// pasv holds the open passive listeners by port (passive.go).
	pasvMu sync.Mutex
	pasv   map[int]*passiveListener
}

type passiveOverride struct {
	nets []*net.IPNet
	ip   string
}

func newBinding(s *Server, idx int, cfg config.FTPDBinding) (*binding, error) {
	b := &binding{
		s:      s,
		idx:    idx,
		cfg:    cfg,
		log:    s.log.With("binding", idx),
		fronts: map[*frontConn]struct{}{},
		owners: map[string]*frontConn{},
		stopCh: make(chan struct{}),
		pasv:   map[int]*passiveListener{},
	}
	key := fmt.Sprintf("ftpd: bindings[%d]", idx)
	if cfg.TLSMode < 0 || cfg.TLSMode > 3 {
		return nil, fmt.Errorf("%s: invalid tls_mode %d", key, cfg.TLSMode)
	}
	if cfg.TLSSessionReuse < 0 || cfg.TLSSessionReuse > 2 {
		return nil, fmt.Errorf("%s: invalid tls_session_reuse %d", key, cfg.TLSSessionReuse)
	}
	if cfg.TLSSessionReuse == sessionReuseRequired && cfg.TLSMode == tlsModeImplicit {
		return nil, fmt.Errorf("%s: tls_session_reuse 1 is not allowed with implicit TLS", key)
	}
	if cfg.ClientAuthType < 0 || cfg.ClientAuthType > 2 {
		return nil, fmt.Errorf("%s: invalid client_auth_type %d", key, cfg.ClientAuthType)
	}
	m := s.certs.material()
	b.hasTLS = m.certFor(idx) != nil
	if cfg.TLSMode != tlsModeCleartext && !b.hasTLS {
		return nil, fmt.Errorf("%s: tls_mode %d needs a certificate (certificate_file and certificate_key_file, per binding or global)", key, cfg.TLSMode)
	}
	if cfg.ClientAuthType > 0 && m.pool == nil {
		return nil, fmt.Errorf("%s: client_auth_type %d needs ftpd.ca_certificates", key, cfg.ClientAuthType)
	}
	b.controlTLSRequired = cfg.TLSMode == tlsModeControlOnly || (cfg.TLSMode == tlsModeCleartext && s.cfg.ForceStartTLS && b.hasTLS)
	if cfg.TLSMode == tlsModeCleartext && s.cfg.ForceStartTLS && !b.hasTLS {
		return nil, fmt.Errorf("%s: force_starttls needs a certificate", key)
	}
	b.useProxy = cfg.ApplyProxyConfig && s.proxy.Enabled()
	var err error
	if b.tlsParams, err = edge.ParseSettings(edge.Settings{
		MinVersion:     cfg.MinTLSVersion,
		MaxVersion:     cfg.MaxTLSVersion,
		CipherSuites:   cfg.TLSCipherSuites,
		ClientAuthType: cfg.ClientAuthType,
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	tk, err := newTicketKey()
	if err != nil {
		return nil, err
	}
	b.ticketKeys = [][32]byte{tk}
	for j, o := range cfg.PassiveIPOverrides {
		po := passiveOverride{ip: o.IP}
		if o.IP != "" {
			if ip := net.ParseIP(o.IP); ip == nil || ip.To4() == nil {
				return nil, fmt.Errorf("%s: passive_ip_overrides[%d]: ip must be IPv4, got %q", key, j, o.IP)
			}
		}
		for _, n := range o.Networks {
			_, ipn, err := net.ParseCIDR(n)
			if err != nil {
				return nil, fmt.Errorf("%s: passive_ip_overrides[%d]: %w", key, j, err)
			}
			po.nets = append(po.nets, ipn)
		}
		b.overrides = append(b.overrides, po)
	}
	for _, n := range cfg.PassiveLocalNetworks {
		_, ipn, err := net.ParseCIDR(n)
		if err != nil {
			return nil, fmt.Errorf("%s: passive_local_networks: %w", key, err)
		}
		b.localNets = append(b.localNets, ipn)
	}
	for _, ip := range []struct{ name, v string }{{"force_passive_ip", cfg.ForcePassiveIP}, {"force_passive_ip_tls", cfg.ForcePassiveIPTLS}} {
		if ip.v != "" {
			if p := net.ParseIP(ip.v); p == nil || p.To4() == nil {
				return nil, fmt.Errorf("%s: %s must be IPv4, got %q", key, ip.name, ip.v)
			}
		}
	}
	b.buildTLS(m)
	s.certs.onReload = append(s.certs.onReload, b.buildTLS)
	b.libTLS = &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		if _, inner := h.Conn.(*pipeConn); inner {
			// AUTH TLS on the in-memory leg from the front
			return b.s.inner.server, nil
		}
		if c := b.dataConfigFor(b.ownerOf(h.Conn)); c != nil {
			return c, nil
		}
		return nil, errors.New("TLS is not configured")
	}}
	return b, nil
}

// buildTLS prepares the control and data TLS configurations from one
// generation of certificates, CAs and CRLs.
func (b *binding) buildTLS(m *certMaterial) {
	cert := m.certFor(b.idx)
	if cert == nil {
		return
	}
	base := &tls.Config{SessionTicketsDisabled: b.cfg.TLSSessionReuse == sessionReuseDisabled}
	b.tlsParams.Apply(base, m.Material, cert)
	ctrl, data := base.Clone(), base.Clone()
	if base.ClientAuth != tls.NoClientCert {
		// a resumed data connection carries no certificate of its own
		data.ClientAuth = tls.VerifyClientCertIfGiven
	}
	notRevoked := m.VerifyNotRevoked
	ctrl.VerifyConnection = notRevoked
	reuse := b.cfg.TLSSessionReuse
	data.VerifyConnection = func(cs tls.ConnectionState) error {
		if reuse == sessionReuseRequired && !cs.DidResume {
			b.log.Info("data connection refused: TLS session not resumed")
			return errSessionReuseRequired
		}
		return notRevoked(cs)
	}
	ctrl.SetSessionTicketKeys(b.ticketKeys)
	data.SetSessionTicketKeys(b.ticketKeys)
	b.ctrlTLS.Store(ctrl)
	b.dataTLS.Store(data)
}

// sessionTagPrefix starts the SessionState.Extra entry naming the control
// connection a TLS session belongs to.
const sessionTagPrefix = "sftpgo-ftpd-ctrl:"

// tagTickets makes c's tickets carry tag, so a resumption can be traced
// to its control connection (crypto/tls does not carry Extra across a
// resumption, hence data connections re-tag their new tickets too).
func tagTickets(c *tls.Config, tag []byte) {
	c.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		ss.Extra = append(ss.Extra, tag)
		return c.EncryptTicket(cs, ss)
	}
}

// controlConfigFor returns the TLS configuration of a client's control
// connection.
func (b *binding) controlConfigFor(fc *frontConn) *tls.Config {
	base := b.ctrlTLS.Load()
	if base == nil || b.cfg.TLSSessionReuse != sessionReuseRequired {
		return base
	}
	c := base.Clone()
	tagTickets(c, fc.tag)
	return c
}

// dataConfigFor returns the TLS configuration of a data connection of
// fc (nil when unknown). With session reuse required, only a session of
// fc's own control connection may be resumed.
func (b *binding) dataConfigFor(fc *frontConn) *tls.Config {
	base := b.dataTLS.Load()
	if base == nil || fc == nil || b.cfg.TLSSessionReuse != sessionReuseRequired {
		return base
	}
	c := base.Clone()
	c.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		ss, err := c.DecryptTicket(identity, cs)
		if err != nil || ss == nil {
			return nil, nil // not ours: full handshake, refused below
		}
		for _, e := range ss.Extra {
			if bytes.Equal(e, fc.tag) {
				return ss, nil
			}
		}
		b.log.Info("data connection tried to resume another control connection's TLS session", "remote", fc.remote.String())
		return nil, nil
	}
	tagTickets(c, fc.tag)
	return c
}

func (b *binding) setOwner(key string, fc *frontConn) {
	b.ownersMu.Lock()
	b.owners[key] = fc
	b.ownersMu.Unlock()
}

func (b *binding) dropOwner(fc *frontConn) {
	b.ownersMu.Lock()
	for k, v := range b.owners {
		if v == fc {
			delete(b.owners, k)
		}
	}
	b.ownersMu.Unlock()
}

// ownerOf finds the control connection of a data connection: a passive
// one by the port it reached, an active one by the client address.
func (b *binding) ownerOf(c net.Conn) *frontConn {
	var key string
	if pc, ok := c.(*passiveConn); ok {
		ta, ok := pc.LocalAddr().(*net.TCPAddr)
		if !ok {
			return nil
		}
		key = "p:" + strconv.Itoa(ta.Port)
	} else {
		key = "a:" + c.RemoteAddr().String()
	}
	b.ownersMu.Lock()
	defer b.ownersMu.Unlock()
	return b.owners[key]
}

func (b *binding) tlsRequirement() ftpserver.TLSRequirement {
	switch b.cfg.TLSMode {
	case tlsModeExplicit:
		return ftpserver.MandatoryEncryption
	case tlsModeImplicit:
		return ftpserver.ImplicitEncryption
	}
	return ftpserver.ClearOrEncrypted
}

func (b *binding) start(l net.Listener) error {
	if b.useProxy {
		l = b.s.proxy.Wrap(l, 0)
	}
	b.pipes = newPipeListener(l.Addr())
	ftp := ftpserver.NewFtpServer(b)
	ftp.Logger = b.log.With("lib", "ftpserverlib")
	if err := ftp.Listen(); err != nil {
		l.Close()
		return fmt.Errorf("ftpd: binding %d: %w", b.idx, err)
	}
	b.mu.Lock()
	b.ftp = ftp
	b.listener = l
	b.mu.Unlock()
	b.s.wg.Add(2)
	go func() {
		defer b.s.wg.Done()
		if err := ftp.Serve(); err != nil {
			b.log.Error("ftp server stopped", "error", err)
		}
	}()
	go func() {
		defer b.s.wg.Done()
		b.acceptLoop(l)
	}()
	return nil
}

func (b *binding) addr() net.Addr {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.listener == nil {
		return nil
	}
	return b.listener.Addr()
}

// acceptLoop accepts control connections until the listener is closed.
// Any other error (EMFILE/ENFILE when descriptors run out, ECONNABORTED,
// a timeout) is taken as temporary: the loop backs off, from 5 ms
// doubling up to 1 s, and accepts again, so a burst of connections never
// stops the FTP service for good.
func (b *binding) acceptLoop(l net.Listener) {
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || b.isStopped() {
				return
			}
			delay = min(max(2*delay, acceptMinBackoff), acceptMaxBackoff)
			b.log.Warn("accept failed, retrying", "error", err, "retry_in", delay.String())
			select {
			case <-time.After(delay):
			case <-b.stopCh:
				return
			}
			continue
		}
		delay = 0
		b.s.wg.Add(1)
		go func() {
			defer b.s.wg.Done()
			b.handleConn(c)
		}()
	}
}

// Back-off bounds of the accept loop after a temporary error.
const (
	acceptMinBackoff = 5 * time.Millisecond
	acceptMaxBackoff = time.Second
)

func (b *binding) isStopped() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stopped
}

func (b *binding) stop() {
	b.mu.Lock()
	if !b.stopped {
		close(b.stopCh)
	}
	b.stopped = true
	l, ftp := b.listener, b.ftp
	fronts := make([]*frontConn, 0, len(b.fronts))
	for fc := range b.fronts {
		fronts = append(fronts, fc)
	}
	b.mu.Unlock()
	if l != nil {
		l.Close()
	}
	if ftp != nil {
		ftp.Stop()
	}
	for _, fc := range fronts {
		fc.close()
	}
}

func (b *binding) track(fc *frontConn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return false
	}
	b.fronts[fc] = struct{}{}
	return true
}

func (b *binding) untrack(fc *frontConn) {
	b.mu.Lock()
	delete(b.fronts, fc)
	b.mu.Unlock()
}

// handleConn runs one control connection: PROXY header, connection
// limits, then the front between the client and the library.
func (b *binding) handleConn(c net.Conn) {
	if err := common.CheckProxyHeader(c); err != nil {
		b.log.Info("connection refused", "remote", c.RemoteAddr().String(), "error", err)
		c.Close()
		return
	}
	remote := c.RemoteAddr().String()
	release, err := b.s.common.AcceptClient(remote)
	if err != nil {
		b.log.Info("connection refused", "remote", remote, "error", err)
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "421 %s\r\n", err.Error())
		c.Close()
		return
	}
	defer release()
	if err := b.s.common.CheckConnection(context.Background(), protocolFTP, remote); err != nil {
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "421 %s\r\n", err.Error())
		c.Close()
		return
	}
	fc := newFrontConn(b, c)
	if !b.track(fc) {
		c.Close()
		return
	}
	defer b.untrack(fc)
	fc.serve()
}

// GetSettings implements ftpserver.MainDriver.
func (b *binding) GetSettings() (*ftpserver.Settings, error) {
	s := b.s
	idle := s.common.Config().IdleTimeout * 60
	st := &ftpserver.Settings{
		Listener:                b.pipes,
		ListenAddr:              b.pipes.Addr().String(),
		Banner:                  "SFTPGo FTP server",
		PublicIPResolver:        b.passiveIP,
		IdleTimeout:             idle,
		ConnectionTimeout:       20,
		ActiveTransferPortNon20: s.cfg.ActiveTransfersPortNon20,
		DisableMLSD:             s.disabled["MLSD"],
		DisableMLST:             s.disabled["MLST"],
		DisableMFMT:             s.disabled["MFMT"],
		DisableSTAT:             s.disabled["STAT"],
		DisableSYST:             s.disabled["SYST"],
		DisableSite:             !s.cfg.EnableSite || s.disabled["SITE"],
		DisableActiveMode:       s.cfg.DisableActiveMode || (s.disabled["PORT"] && s.disabled["EPRT"]),
		EnableHASH:              s.cfg.HASHSupport == 1 && !s.disabled["HASH"],
		EnableCOMB:              s.cfg.CombineSupport == 1 && !s.disabled["COMB"],
		TLSRequired:             b.tlsRequirement(),
		DefaultTransferType:     ftpserver.TransferTypeBinary,
		DisableASCIIConversion:  b.cfg.IgnoreASCIITransferType == 1,
		ActiveConnectionsCheck:  ftpserver.DataConnectionRequirement(b.cfg.ActiveConnectionsSecurity),
		PasvConnectionsCheck:    ftpserver.DataConnectionRequirement(b.cfg.PassiveConnectionsSecurity),
	}
	if r := s.cfg.PassivePortRange; r.Start > 0 && r.End >= r.Start {
		st.PassiveTransferPortRange = newPassivePorts(r.Start, r.End)
	}
	return st, nil
}

// GetTLSConfig implements ftpserver.MainDriver. Without a certificate
// the binding offers no AUTH TLS.
func (b *binding) GetTLSConfig() (*tls.Config, error) {
	if !b.hasTLS {
		return nil, errors.New("TLS is not configured for this binding")
	}
	return b.libTLS, nil
}

// passiveIP answers the address for a PASV reply. Order: an override
// network the client is in, PASV local networks and
// passive_use_control_ip (the server address of the control connection),
// the TLS passive IP when the control connection is TLS, force_passive_ip,
// passive_host resolved now, and finally the control connection's server
// address.
func (b *binding) passiveIP(cc ftpserver.ClientContext) (string, error) {
	return b.resolvePassiveIP(cc)
}

// passiveClient is what the passive address depends on.
type passiveClient interface {
	RemoteAddr() net.Addr
	LocalAddr() net.Addr
	HasTLSForControl() bool
}

func (b *binding) resolvePassiveIP(cc passiveClient) (string, error) {
	clientIP := addrIP(cc.RemoteAddr())
	local := func() (string, error) {
		ip := addrIP(cc.LocalAddr())
		if v4 := ip.To4(); v4 != nil {
			return v4.String(), nil
		}
		return "", errors.New("PASV needs an IPv4 address: use EPSV")
	}
	for _, o := range b.overrides {
		if containsIP(o.nets, clientIP) {
			if o.ip != "" {
				return o.ip, nil
			}
			return local()
		}
	}
	if b.cfg.PassiveUseControlIP || containsIP(b.localNets, clientIP) {
		return local()
	}
	if b.cfg.ForcePassiveIPTLS != "" && cc.HasTLSForControl() {
		return b.cfg.ForcePassiveIPTLS, nil
	}
	if b.cfg.ForcePassiveIP != "" {
		return b.cfg.ForcePassiveIP, nil
	}
	if b.cfg.PassiveHost != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ips, err := net.DefaultResolver.LookupIP(ctx, "ip4", b.cfg.PassiveHost)
		if err != nil || len(ips) == 0 {
			b.log.Warn("unable to resolve passive_host", "host", b.cfg.PassiveHost, "error", err)
			return "", fmt.Errorf("unable to resolve the passive host")
		}
		return ips[0].String(), nil
	}
	return local()
}

func addrIP(a net.Addr) net.IP {
	switch v := a.(type) {
	case *net.TCPAddr:
		return v.IP
	case *clientAddr:
		return addrIP(v.Addr)
	}
	if a == nil {
		return nil
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return nil
	}
	return net.ParseIP(h)
}

func containsIP(nets []*net.IPNet, ip net.IP) bool {
	if ip == nil {
		return false
	}
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

var (
	_ ftpserver.MainDriver                        = (*binding)(nil)
	_ ftpserver.MainDriverExtensionPassiveWrapper = (*binding)(nil)
)
