package httpfs

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
)

// endpoint is a parsed Config.Endpoint: the base URL every operation
// path is appended to, and the unix socket to dial instead of the URL's
// host when there is one.
type endpoint struct {
	shown  string     // the endpoint for logs, password redacted
	base   string     // scheme://host/prefix, no trailing slash, no query
	query  url.Values // query parameters of the endpoint, sent with every call
	socket string     // unix socket path, "" for TCP
}

// parseEndpoint accepts http(s)://host[:port][/prefix] and the unix
// socket form http(s)://unix?socket_path=/abs/path&api_prefix=/api/v1.
func parseEndpoint(raw string) (endpoint, error) {
	var ep endpoint
	if strings.TrimSpace(raw) == "" {
		return ep, errors.New("httpfs: an endpoint URL is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ep, fmt.Errorf("httpfs: endpoint: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return ep, fmt.Errorf("httpfs: endpoint %q: the scheme must be http or https", redactURL(u))
	}
	if u.Host == "" {
		return ep, fmt.Errorf("httpfs: endpoint %q has no host", redactURL(u))
	}
	if u.Fragment != "" {
		return ep, fmt.Errorf("httpfs: endpoint %q must not have a fragment", redactURL(u))
	}
	ep.shown = redactURL(u)
	q := u.Query()
	if u.Host == "unix" {
		ep.socket = q.Get("socket_path")
		if ep.socket == "" {
			return ep, errors.New("httpfs: a unix socket endpoint needs the socket_path query parameter")
		}
		if !path.IsAbs(ep.socket) {
			return ep, fmt.Errorf("httpfs: socket_path %q must be an absolute path", ep.socket)
		}
		prefix := q.Get("api_prefix")
		if prefix != "" {
			prefix = path.Clean("/" + prefix)
		}
		if prefix == "/" {
			prefix = ""
		}
		ep.base = u.Scheme + "://unix" + (&url.URL{Path: prefix}).EscapedPath()
		q.Del("socket_path")
		q.Del("api_prefix")
	} else {
		ep.base = u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/")
	}
	if len(q) > 0 {
		ep.query = q
	}
	return ep, nil
}

// redactURL prints u without a password.
func redactURL(u *url.URL) string { return u.Redacted() }

// cacheKey identifies the shared client: the endpoint, TLS settings and
// credentials (hashed, so a key printed in a debug dump shows nothing).
func (c *Config) cacheKey() string {
	h := sha256.New()
	for _, s := range []string{c.Endpoint, c.Username, c.Password, c.APIKey, fmt.Sprint(c.SkipTLSVerify), c.ReplyTimeout.String()} {
		fmt.Fprintf(h, "%d:%s|", len(s), s)
	}
	return "httpfs:" + hex.EncodeToString(h.Sum(nil))
}

// sharedClient is the http.Client that every Fs with one configuration
// uses, so sessions of a user reuse kept-alive connections.
type sharedClient struct {
	hc *http.Client
	tr *http.Transport
}

func (s *sharedClient) Close() error {
	s.tr.CloseIdleConnections()
	return nil
}

func newSharedClient(cfg Config, ep endpoint) *sharedClient {
	if cfg.SkipTLSVerify && strings.HasPrefix(ep.base, "https:") {
		cfg.Logger.Warn("http storage: TLS certificate not verified (skip_tls_verify)", "endpoint", ep.shown)
	}
	dialer := &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: cfg.SkipTLSVerify, MinVersion: tls.VersionTLS12}, //nolint:gosec // the administrator's choice, documented as for tests only
		TLSHandshakeTimeout:   cfg.DialTimeout,
		ResponseHeaderTimeout: cfg.ReplyTimeout,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		// Upload chunks are written through this buffer: 64 KiB rather than
		// the 4 KiB default halves the time of an upload on loopback. Reads
		// keep the small default, which large reads bypass.
		WriteBufferSize: 64 << 10,
	}
	if ep.socket != "" {
		socket := ep.socket
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", socket)
		}
	} else {
		// The self-connection guard sees every resolved TCP address.
		dialer.Control = cfg.DialControl
		tr.DialContext = dialer.DialContext
		tr.Proxy = http.ProxyFromEnvironment
	}
	return &sharedClient{tr: tr, hc: &http.Client{
		Transport: tr,
		// Operations never redirect; following one could send the
		// credentials elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// StatusError is a reply other than 200/201 from the HTTP storage
// service. It unwraps to the vfs sentinel the status stands for: 401 and
// 403 fs.ErrPermission, 404 fs.ErrNotExist, 501 vfs.ErrNotSupported (the
// mapping of SFTPGo's HTTPFs), and, as extensions, 409 fs.ErrExist, 413
// vfs.ErrQuotaExceeded and 507 vfs.ErrNoSpace.
type StatusError struct {
	Code    int
	Message string // the "error" (or "message") field of the reply, if any
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("storage service replied %d %s", e.Code, http.StatusText(e.Code))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns the sentinel for the status code, nil for a generic error.
func (e *StatusError) Unwrap() error {
	return statusKind(e.Code)
}

func statusKind(code int) error {
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fs.ErrPermission
	case http.StatusNotFound:
		return fs.ErrNotExist
	case http.StatusNotImplemented:
		return vfs.ErrNotSupported
	case http.StatusConflict:
		return fs.ErrExist
	case http.StatusRequestEntityTooLarge:
		return vfs.ErrQuotaExceeded
	case http.StatusInsufficientStorage:
		return vfs.ErrNoSpace
	}
	return nil
}

// apiReply is the body of every non-data reply.
type apiReply struct {
	Message string `json:"message"`
	Error   string `json:"error"`
}

func readStatusError(resp *http.Response) error {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	e := &StatusError{Code: resp.StatusCode}
	var r apiReply
	if json.Unmarshal(body, &r) == nil {
		e.Message = r.Error
		if e.Message == "" {
			e.Message = r.Message
		}
	} else if s := strings.TrimSpace(string(body)); s != "" && len(s) < 200 && !strings.ContainsAny(s, "<>") {
		e.Message = s
	}
	return e
}

// request builds a call of op on name with the credentials set. name is
// the clean Fs path ("/" or "/dir/file"); it is sent as one path segment
// with its slashes escaped, as SFTPGo's client sends it.
func (f *Fs) request(ctx context.Context, method, op, name string, q url.Values, body io.Reader) (*http.Request, error) {
	var b strings.Builder
	b.WriteString(f.ep.base)
	b.WriteString("/")
	b.WriteString(op)
	b.WriteString("/")
	b.WriteString(url.PathEscape(name))
	if len(f.ep.query) > 0 || len(q) > 0 {
		all := url.Values{}
		for k, v := range f.ep.query {
			all[k] = v
		}
		for k, v := range q {
			all[k] = v
		}
		b.WriteString("?")
		b.WriteString(all.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, b.String(), body)
	if err != nil {
		return nil, err
	}
	if f.cfg.Username != "" || f.cfg.Password != "" {
		req.SetBasicAuth(f.cfg.Username, f.cfg.Password)
	}
	if f.cfg.APIKey != "" {
		req.Header.Set("X-API-KEY", f.cfg.APIKey)
	}
	req.Header.Set("User-Agent", "sftpgo-ng-httpfs")
	return req, nil
}

// do sends a call and returns the response of a successful one (200 or
// 201); any other status is read into a StatusError.
func (f *Fs) do(req *http.Request) (resp *http.Response, err error) {
	defer func() {
		if errors.Is(err, fs.ErrNotExist) {
			f.Done("httpfs", "", nil) // an answer, not a failure
		} else {
			f.Done("httpfs", "", err)
		}
	}()
	resp, err = f.hc.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return nil, readStatusError(resp)
	}
	return resp, nil
}

// call runs an operation whose reply is ignored beyond its status.
func (f *Fs) call(ctx context.Context, method, op, name string, q url.Values) error {
	resp, err := f.send(ctx, method, op, name, q)
	if err != nil {
		return err
	}
	// Drain so the connection is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.Body.Close()
}

func (f *Fs) send(ctx context.Context, method, op, name string, q url.Values) (*http.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req, err := f.request(ctx, method, op, name, q, nil)
	if err != nil {
		return nil, err
	}
	return f.do(req)
}

// getJSON runs a GET operation and decodes its JSON reply into v.
func (f *Fs) getJSON(ctx context.Context, op, name string, v any) error {
	resp, err := f.send(ctx, http.MethodGet, op, name, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return fmt.Errorf("decode the %s reply: %w", op, err)
	}
	return nil
}
