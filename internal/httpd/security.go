package httpd

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// securityMiddleware applies a binding's security settings: allowed
// hosts, HTTPS redirect and the response headers (HSTS, nosniff, CSP,
// permissions, cross-origin and referrer policies, cache control). Disabled, it adds
// nothing.
func securityMiddleware(cfg config.HTTPDSecurityConfig) (func(http.Handler) http.Handler, error) {
	if !cfg.Enabled {
		return func(next http.Handler) http.Handler { return next }, nil
	}
	var hostRes []*regexp.Regexp
	if cfg.AllowedHostsAreRegex {
		for _, h := range cfg.AllowedHosts {
			re, err := regexp.Compile(h)
			if err != nil {
				return nil, fmt.Errorf("httpd: invalid allowed_hosts regex %q: %w", h, err)
			}
			hostRes = append(hostRes, re)
		}
	}
	hostAllowed := func(host string) bool {
		if len(cfg.AllowedHosts) == 0 {
			return true
		}
		if cfg.AllowedHostsAreRegex {
			for _, re := range hostRes {
				if re.MatchString(host) {
					return true
				}
			}
			return false
		}
		return slices.ContainsFunc(cfg.AllowedHosts, func(h string) bool { return strings.EqualFold(h, host) })
	}
	isHTTPS := func(r *http.Request) bool {
		if r.TLS != nil {
			return true
		}
		for _, h := range cfg.HTTPSProxyHeaders {
			if h.Key != "" && strings.EqualFold(strings.TrimSpace(r.Header.Get(h.Key)), strings.TrimSpace(h.Value)) {
				return true
			}
		}
		return false
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host := r.Host
			for _, h := range cfg.HostsProxyHeaders {
				if v := r.Header.Get(h); v != "" {
					host = v
					break
				}
			}
			if !hostAllowed(host) {
				sendAPIError(w, r, http.StatusBadRequest, errors.New("host not allowed"))
				return
			}
			https := isHTTPS(r)
			if cfg.HTTPSRedirect && !https {
				target := cfg.HTTPSHost
				if target == "" {
					target = host
					if h, _, err := net.SplitHostPort(host); err == nil {
						target = h
					}
				}
				http.Redirect(w, r, "https://"+target+r.URL.RequestURI(), http.StatusMovedPermanently)
				return
			}
			hdr := w.Header()
			if cfg.STSSeconds > 0 && https {
				v := fmt.Sprintf("max-age=%d", cfg.STSSeconds)
				if cfg.STSIncludeSubdomains {
					v += "; includeSubDomains"
				}
				if cfg.STSPreload {
					v += "; preload"
				}
				hdr.Set("Strict-Transport-Security", v)
			}
			if cfg.ContentTypeNosniff {
				hdr.Set("X-Content-Type-Options", "nosniff")
			}
			if cfg.ContentSecurityPolicy != "" {
				hdr.Set("Content-Security-Policy", cfg.ContentSecurityPolicy)
			}
			if cfg.PermissionsPolicy != "" {
				hdr.Set("Permissions-Policy", cfg.PermissionsPolicy)
			}
			if cfg.CrossOriginOpenerPolicy != "" {
				hdr.Set("Cross-Origin-Opener-Policy", cfg.CrossOriginOpenerPolicy)
			}
			if cfg.CrossOriginResourcePolicy != "" {
				hdr.Set("Cross-Origin-Resource-Policy", cfg.CrossOriginResourcePolicy)
			}
			if cfg.CrossOriginEmbedderPolicy != "" {
				hdr.Set("Cross-Origin-Embedder-Policy", cfg.CrossOriginEmbedderPolicy)
			}
			if cfg.ReferrerPolicy != "" {
				hdr.Set("Referrer-Policy", cfg.ReferrerPolicy)
			}
			if cfg.CacheControl != "" {
				hdr.Set("Cache-Control", cfg.CacheControl)
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}
