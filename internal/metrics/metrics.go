// Package metrics holds the Prometheus counters and gauges of one server
// process. The shared connection layer and the protocol servers update
// them through the methods of *Metrics (a nil *Metrics counts nothing);
// internal/telemetry serves the registry over HTTP.
//
// The unlabeled sftpgo_* names are those SFTPGo exposes, so dashboards and
// alerts written for it keep working; the labeled ones (sftpgo_logins_total,
// sftpgo_backend_transfers_total, sftpgo_http_request_duration_seconds, ...)
// are ours and appear once they have a sample.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Login methods as the connection layer names them
// (dataprovider.LoginMethod*), plus the identity-provider logins of the
// web UIs.
const (
	MethodPassword            = "password"
	MethodPublicKey           = "publickey"
	MethodKeyboardInteractive = "keyboard-interactive"
	MethodKeyAndPassword      = "publickey+password"
	MethodKeyAndKeyboardInt   = "publickey+keyboard-interactive"
	MethodTLSCertificate      = "TLSCertificate"
	MethodTLSCertificateAndPw = "TLSCertificate+password"
	MethodIDP                 = "IDP"
)

// methodPrefix maps a login method to the infix of its SFTPGo counters
// (sftpgo_<infix>_login_{attempts,ok,ko}_total).
var methodPrefix = map[string]string{
	MethodPassword:            "password",
	MethodPublicKey:           "public_key",
	MethodKeyboardInteractive: "keyboard_interactive",
	MethodKeyAndPassword:      "key_and_password",
	MethodKeyAndKeyboardInt:   "key_and_keyboard_int",
	MethodTLSCertificate:      "tls_cert",
	MethodTLSCertificateAndPw: "tls_cert_and_pwd",
	MethodIDP:                 "idp",
}

// Backends with counters of their own, by the prefix of their names.
const (
	BackendS3     = "s3"
	BackendGCS    = "gcs"
	BackendAzure  = "az"
	BackendSFTPFs = "sftpfs"
	BackendHTTPFs = "httpfs"
)

// backendLabel is how each backend is spelled in help texts.
var backendLabel = map[string]string{
	BackendS3: "S3", BackendGCS: "GCS", BackendAzure: "Azure", BackendSFTPFs: "SFTPFs", BackendHTTPFs: "HTTPFs",
}

// objectOps are the per-request counters of the object-store backends.
var objectOps = []string{"list_objects", "copy_object", "delete_object", "head_object"}

type outcome struct{ ok, ko prometheus.Counter }

func (o outcome) add(ok bool) {
	if ok {
		o.ok.Inc()
	} else {
		o.ko.Inc()
	}
}

type loginCounters struct {
	attempts prometheus.Counter
	outcome
}

type transferCounters struct {
	uploads, downloads       outcome // ok: completed, ko: failed
	uploadSize, downloadSize prometheus.Counter
}

func (tc *transferCounters) add(upload bool, bytes int64, ok bool) {
	if upload {
		tc.uploads.add(ok)
		if bytes > 0 {
			tc.uploadSize.Add(float64(bytes))
		}
		return
	}
	tc.downloads.add(ok)
	if bytes > 0 {
		tc.downloadSize.Add(float64(bytes))
	}
}

type backendCounters struct {
	transferCounters
	ops map[string]outcome // object-store backends only
}

// Metrics is the set of metrics of one process, registered in its own
// registry (with the Go runtime and process collectors).
type Metrics struct {
	reg *prometheus.Registry

	transfers      transferCounters
	sshCommands    outcome
	logins         loginCounters
	perMethod      map[string]loginCounters
	noAuth         prometheus.Counter
	activeConns    prometheus.Gauge
	providerAvail  prometheus.Gauge
	httpReq        prometheus.Counter
	httpOK         prometheus.Counter
	httpClientErrs prometheus.Counter
	httpServerErrs prometheus.Counter
	backends       map[string]*backendCounters

	// ours, labeled
	loginResults     *prometheus.CounterVec   // method, protocol, result
	protoTransfers   *prometheus.CounterVec   // protocol, direction, result
	protoBytes       *prometheus.CounterVec   // protocol, direction
	backendTransfers *prometheus.CounterVec   // backend, direction, result
	providerErrors   prometheus.Counter       // failed availability checks
	httpDuration     *prometheus.HistogramVec // method, code
	backendRequests  *prometheus.CounterVec   // backend
	backendReqErrors *prometheus.CounterVec   // backend
	providerQueryErr prometheus.Counter       // provider failures seen by logins
}

// New builds the metrics and their registry.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), perMethod: map[string]loginCounters{}, backends: map[string]*backendCounters{}}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		m.reg.MustRegister(c)
		return c
	}
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		m.reg.MustRegister(g)
		return g
	}
	transfers := func(prefix, what string) transferCounters {
		return transferCounters{
			uploads: outcome{
				ok: counter(prefix+"uploads_total", "Uploads completed"+what),
				ko: counter(prefix+"upload_errors_total", "Uploads that failed"+what),
			},
			downloads: outcome{
				ok: counter(prefix+"downloads_total", "Downloads completed"+what),
				ko: counter(prefix+"download_errors_total", "Downloads that failed"+what),
			},
			uploadSize:   counter(prefix+"upload_size", "Bytes received by uploads, failed ones included"+what),
			downloadSize: counter(prefix+"download_size", "Bytes sent by downloads, failed ones included"+what),
		}
	}

	m.providerAvail = gauge("sftpgo_dataprovider_availability", "1 while the data provider answers, 0 when its last check failed")
	m.activeConns = gauge("sftpgo_active_connections", "Logged-in connections")
	m.transfers = transfers("sftpgo_", "")
	m.sshCommands = outcome{
		ok: counter("sftpgo_ssh_commands_total", "SSH commands that completed successfully"),
		ko: counter("sftpgo_ssh_command_errors_total", "SSH commands that failed"),
	}
	m.logins = loginCounters{
		attempts: counter("sftpgo_login_attempts_total", "Login attempts, any method"),
		outcome: outcome{
			ok: counter("sftpgo_login_ok_total", "Successful logins, any method"),
			ko: counter("sftpgo_login_ko_total", "Failed logins, any method"),
		},
	}
	m.noAuth = counter("sftpgo_no_auth_total", "Clients that went away or timed out before trying to log in")
	for method, p := range methodPrefix {
		m.perMethod[method] = loginCounters{
			attempts: counter("sftpgo_"+p+"_login_attempts_total", "Login attempts with method "+method),
			outcome: outcome{
				ok: counter("sftpgo_"+p+"_login_ok_total", "Successful logins with method "+method),
				ko: counter("sftpgo_"+p+"_login_ko_total", "Failed logins with method "+method),
			},
		}
	}
	m.httpReq = counter("sftpgo_http_req_total", "HTTP requests served")
	m.httpOK = counter("sftpgo_http_req_ok_total", "HTTP requests answered with a 2xx status")
	m.httpClientErrs = counter("sftpgo_http_client_errors_total", "HTTP requests answered with a 4xx status")
	m.httpServerErrs = counter("sftpgo_http_server_errors_total", "HTTP requests answered with a 5xx status")
	for b, label := range backendLabel {
		bc := &backendCounters{transferCounters: transfers("sftpgo_"+b+"_", " on "+label+" storage")}
		if b == BackendS3 || b == BackendGCS || b == BackendAzure {
			bc.ops = map[string]outcome{}
			for _, op := range objectOps {
				bc.ops[op] = outcome{
					ok: counter("sftpgo_"+b+"_"+op, "Successful "+label+" "+op+" requests"),
					ko: counter("sftpgo_"+b+"_"+op+"_errors", "Failed "+label+" "+op+" requests"),
				}
			}
		}
		m.backends[b] = bc
	}

	m.loginResults = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sftpgo_logins_total", Help: "Finished login attempts by method, protocol and result (ok, ko)",
	}, []string{"method", "protocol", "result"})
	m.protoTransfers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sftpgo_protocol_transfers_total", Help: "Finished transfers by protocol, direction (upload, download) and result (ok, ko)",
	}, []string{"protocol", "direction", "result"})
	m.protoBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sftpgo_protocol_transfer_bytes_total", Help: "Bytes moved by finished transfers by protocol and direction",
	}, []string{"protocol", "direction"})
	m.backendTransfers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sftpgo_backend_transfers_total", Help: "Finished transfers by storage backend (osfs, cryptfs, s3fs, ...), direction and result",
	}, []string{"backend", "direction", "result"})
	m.providerErrors = counter("sftpgo_dataprovider_check_errors_total", "Data provider availability checks that failed")
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "sftpgo_http_request_duration_seconds", Help: "Time to answer HTTP requests (REST API, web UIs, shares) by method and status class",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"method", "code"})
	m.reg.MustRegister(m.loginResults, m.protoTransfers, m.protoBytes, m.backendTransfers, m.httpDuration)
	m.backendRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sftpgo_backend_requests_total", Help: "Requests sent by remote storage backends (s3fs, gcsfs, azblobfs, sftpfs, ftpfs, httpfs) to their storage",
	}, []string{"backend"})
	m.backendReqErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sftpgo_backend_request_errors_total", Help: "Requests of remote storage backends that failed (a missing file is an answer, not a failure)",
	}, []string{"backend"})
	m.providerQueryErr = counter("sftpgo_dataprovider_query_errors_total", "Data provider queries that failed (not found is not a failure) while logging users in")
	m.reg.MustRegister(m.backendRequests, m.backendReqErrors)
	return m
}

// Registry returns the registry holding every metric, for serving.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

func result(ok bool) string {
	if ok {
		return "ok"
	}
	return "ko"
}

func direction(upload bool) string {
	if upload {
		return "upload"
	}
	return "download"
}

// TransferDone counts a finished transfer: protocol (SFTP, SCP, FTP,
// DAV, HTTP), the Fs.Name of its storage backend, its direction, the
// bytes moved (partial transfers included) and whether it succeeded.
func (m *Metrics) TransferDone(protocol, backend string, upload bool, bytes int64, ok bool) {
	if m == nil {
		return
	}
	m.transfers.add(upload, bytes, ok)
	dir := direction(upload)
	m.protoTransfers.WithLabelValues(protocol, dir, result(ok)).Inc()
	if bytes > 0 {
		m.protoBytes.WithLabelValues(protocol, dir).Add(float64(bytes))
	}
	m.backendTransfers.WithLabelValues(backend, dir, result(ok)).Inc()
	if bc := m.backends[backendPrefix(backend)]; bc != nil {
		bc.add(upload, bytes, ok)
	}
}

// backendPrefix maps an Fs.Name to the prefix of SFTPGo's per-backend
// counters; "" for backends without them (local, encrypted, FTP).
func backendPrefix(fsName string) string {
	switch fsName {
	case "s3fs", BackendS3:
		return BackendS3
	case "gcsfs", BackendGCS:
		return BackendGCS
	case "azblobfs", BackendAzure:
		return BackendAzure
	case BackendSFTPFs:
		return BackendSFTPFs
	case BackendHTTPFs:
		return BackendHTTPFs
	}
	return ""
}

// ObjectRequestDone counts one list_objects, copy_object, delete_object
// or head_object request of an object-store backend (s3fs, gcsfs,
// azblobfs); other backends and operations are ignored.
func (m *Metrics) ObjectRequestDone(backend, op string, ok bool) {
	if m == nil {
		return
	}
	if bc := m.backends[backendPrefix(backend)]; bc != nil {
		if o, found := bc.ops[op]; found {
			o.add(ok)
		}
	}
}

// LoginDone counts a finished login attempt with method (a
// dataprovider.LoginMethod*) over protocol. Unknown methods count as
// password logins, as SFTPGo does.
func (m *Metrics) LoginDone(method, protocol string, ok bool) {
	if m == nil {
		return
	}
	pm, found := m.perMethod[method]
	if !found {
		pm = m.perMethod[MethodPassword]
	}
	m.logins.attempts.Inc()
	pm.attempts.Inc()
	m.logins.add(ok)
	pm.add(ok)
	m.loginResults.WithLabelValues(method, protocol, result(ok)).Inc()
}

// NoAuth counts a client that disconnected before trying to log in.
func (m *Metrics) NoAuth() {
	if m == nil {
		return
	}
	m.noAuth.Inc()
}

// SSHCommandDone counts a finished SSH exec command.
func (m *Metrics) SSHCommandDone(ok bool) {
	if m == nil {
		return
	}
	m.sshCommands.add(ok)
}

// SetActiveConnections sets the number of logged-in connections.
func (m *Metrics) SetActiveConnections(n int) {
	if m == nil {
		return
	}
	m.activeConns.Set(float64(n))
}

// ProviderChecked records the result of a data provider availability
// check.
func (m *Metrics) ProviderChecked(err error) {
	if m == nil {
		return
	}
	if err == nil {
		m.providerAvail.Set(1)
		return
	}
	m.providerAvail.Set(0)
	m.providerErrors.Inc()
}

// RequestDone implements vfs.RequestCounter: one request of backend (an
// Fs.Name) finished; object-store requests that SFTPGo counts per kind
// (op) move its counters too.
func (m *Metrics) RequestDone(backend, op string, err error) {
	if m == nil {
		return
	}
	m.backendRequests.WithLabelValues(backend).Inc()
	if err != nil {
		m.backendReqErrors.WithLabelValues(backend).Inc()
	}
	m.ObjectRequestDone(backend, op, err == nil)
}

// RequestSent implements vfs.RequestCounter.
func (m *Metrics) RequestSent(backend, _ string) {
	if m == nil {
		return
	}
	m.backendRequests.WithLabelValues(backend).Inc()
}

// RequestFailed implements vfs.RequestCounter.
func (m *Metrics) RequestFailed(backend, _ string) {
	if m == nil {
		return
	}
	m.backendReqErrors.WithLabelValues(backend).Inc()
}

// ProviderQueryFailed counts a data provider query that failed (the
// provider, not the answer: a missing user is not counted).
func (m *Metrics) ProviderQueryFailed() {
	if m == nil {
		return
	}
	m.providerQueryErr.Inc()
}
