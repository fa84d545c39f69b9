package hooks

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// Client is the shared outgoing HTTP client of every hook: one transport
// (CA certificates, client certificates, skip_tls_verify), a per-attempt
// timeout, retries with exponential back-off for transport errors, 429
// and 5xx answers, and the configured extra headers.
type Client struct {
	hc       *http.Client
	insecure struct {
		once sync.Once
		hc   *http.Client
	}
	retryMax int
	waitMin  time.Duration
	waitMax  time.Duration
	headers  []config.HTTPHeader
	log      *slog.Logger
}

// Response is a finished HTTP exchange: the status and up to 1 MiB of
// the body.
type Response struct {
	StatusCode int
	Body       []byte
}

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// NewClient builds the client from the http section; certificate paths
// are relative to configDir.
func NewClient(cfg config.HTTPClientConfig, configDir string, log *slog.Logger) (*Client, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.SkipTLSVerify} //nolint:gosec // operator's choice
	if len(cfg.CACertificates) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		for _, ca := range cfg.CACertificates {
			data, err := os.ReadFile(resolve(configDir, ca))
			if err != nil {
				return nil, fmt.Errorf("http: ca certificate: %w", err)
			}
			if !pool.AppendCertsFromPEM(data) {
				return nil, fmt.Errorf("http: ca certificate %q: no PEM certificate found", ca)
			}
		}
		tlsCfg.RootCAs = pool
	}
	for _, kp := range cfg.Certificates {
		cert, err := tls.LoadX509KeyPair(resolve(configDir, kp.Cert), resolve(configDir, kp.Key))
		if err != nil {
			return nil, fmt.Errorf("http: client certificate: %w", err)
		}
		tlsCfg.Certificates = append(tlsCfg.Certificates, cert)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	timeout := time.Duration(cfg.Timeout * float64(time.Second))
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	c := &Client{
		hc:       &http.Client{Transport: tr, Timeout: timeout},
		retryMax: max(cfg.RetryMax, 0),
		waitMin:  time.Duration(cfg.RetryWaitMin) * time.Second,
		waitMax:  time.Duration(cfg.RetryWaitMax) * time.Second,
		headers:  cfg.Headers,
		log:      log,
	}
	if c.waitMin <= 0 {
		c.waitMin = time.Second
	}
	if c.waitMax < c.waitMin {
		c.waitMax = c.waitMin
	}
	return c, nil
}

// Do sends one request (retried as configured) and returns the final
// answer; body may be nil. A transport failure after the last attempt is
// an error, any HTTP status is not.
func (c *Client) Do(ctx context.Context, method, url string, body []byte, contentType string) (*Response, error) {
	var hdr http.Header
	if body != nil && contentType != "" {
		hdr = http.Header{"Content-Type": {contentType}}
	}
	return c.DoRequest(ctx, Request{Method: method, URL: url, Body: body, Header: hdr})
}

// Request is one outgoing request with its own headers (the configured
// extra headers are added unless the request sets them), and optionally
// without certificate verification.
type Request struct {
	Method, URL   string
	Body          []byte
	Header        http.Header
	SkipTLSVerify bool
	// Timeout, when set, bounds each attempt instead of the http
	// section's timeout.
	Timeout time.Duration
}

// DoRequest is Do for a Request: same retries, transport and logging.
func (c *Client) DoRequest(ctx context.Context, r Request) (*Response, error) {
	method, url := r.Method, r.URL
	start := time.Now()
	var lastErr error
	for attempt := 0; ; attempt++ {
		resp, err := c.once(ctx, r)
		retry := err != nil || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		if err != nil {
			lastErr = err
		}
		if !retry || attempt >= c.retryMax || ctx.Err() != nil {
			if err != nil {
				c.log.Warn("hook request failed", "url", redactURL(url), "method", method, "attempts", attempt+1,
					"elapsed_ms", time.Since(start).Milliseconds(), "error", err)
				return nil, err
			}
			c.log.Debug("hook request done", "url", redactURL(url), "method", method, "status", resp.StatusCode,
				"attempts", attempt+1, "elapsed_ms", time.Since(start).Milliseconds())
			return resp, nil
		}
		wait := c.waitMin << attempt
		if wait > c.waitMax || wait <= 0 {
			wait = c.waitMax
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, errors.Join(ctx.Err(), lastErr)
		case <-t.C:
		}
	}
}

func (c *Client) once(ctx context.Context, r Request) (*Response, error) {
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	var rd io.Reader
	if r.Body != nil {
		rd = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, rd)
	if err != nil {
		return nil, err
	}
	for _, h := range c.headers {
		if h.URL == "" || strings.HasPrefix(r.URL, h.URL) {
			req.Header.Set(h.Key, h.Value)
		}
	}
	for k, v := range r.Header {
		req.Header[http.CanonicalHeaderKey(k)] = v
	}
	if host := req.Header.Get("Host"); host != "" {
		req.Host = host
	}
	hc := c.hc
	if r.SkipTLSVerify {
		hc = c.insecureClient()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxOutput))
	if err != nil {
		return nil, err
	}
	return &Response{StatusCode: resp.StatusCode, Body: data}, nil
}

// insecureClient is the client with certificate verification off, for
// requests that ask for it (event actions with skip_tls_verify).
func (c *Client) insecureClient() *http.Client {
	c.insecure.once.Do(func() {
		tr := c.hc.Transport.(*http.Transport).Clone()
		tr.TLSClientConfig = tr.TLSClientConfig.Clone()
		tr.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // the action asks for it
		c.insecure.hc = &http.Client{Transport: tr, Timeout: c.hc.Timeout}
	})
	return c.insecure.hc
}

// redactURL drops credentials and the query from url for the log.
func redactURL(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	if i := strings.Index(u, "://"); i >= 0 {
		if at := strings.IndexByte(u[i+3:], '@'); at >= 0 {
			u = u[:i+3] + u[i+3+at+1:]
		}
	}
	return u
}
