package webdavd

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// corsPolicy implements webdavd.cors with the defaults of the CORS
// handler SFTPGo documents: any origin when none is listed; GET, POST and
// HEAD; the Accept, Content-Type and X-Requested-With headers.
type corsPolicy struct {
	cfg        config.CORSConfig
	origins    []string
	anyOrigin  bool
	methods    []string
	headers    []string
	anyHeader  bool
	exposed    string
	successSts int
}

func newCORSPolicy(cfg config.CORSConfig) *corsPolicy {
	if !cfg.Enabled {
		return nil
	}
	p := &corsPolicy{cfg: cfg, successSts: cfg.OptionsSuccessStatus}
	for _, o := range cfg.AllowedOrigins {
		o = strings.ToLower(strings.TrimSpace(o))
		if o == "*" {
			p.anyOrigin = true
		} else if o != "" {
			p.origins = append(p.origins, o)
		}
	}
	if len(cfg.AllowedOrigins) == 0 {
		p.anyOrigin = true
	}
	for _, m := range cfg.AllowedMethods {
		if m = strings.ToUpper(strings.TrimSpace(m)); m != "" {
			p.methods = append(p.methods, m)
		}
	}
	if len(p.methods) == 0 {
		p.methods = []string{http.MethodGet, http.MethodPost, http.MethodHead}
	}
	for _, h := range cfg.AllowedHeaders {
		h = http.CanonicalHeaderKey(strings.TrimSpace(h))
		if h == "*" {
			p.anyHeader = true
		} else if h != "" {
			p.headers = append(p.headers, h)
		}
	}
	if len(cfg.AllowedHeaders) == 0 {
		p.headers = []string{"Accept", "Content-Type", "X-Requested-With"}
	}
	p.headers = append(p.headers, "Origin")
	exposed := make([]string, 0, len(cfg.ExposedHeaders))
	for _, h := range cfg.ExposedHeaders {
		if h = strings.TrimSpace(h); h != "" {
			exposed = append(exposed, http.CanonicalHeaderKey(h))
		}
	}
	p.exposed = strings.Join(exposed, ", ")
	if p.successSts == 0 {
		p.successSts = http.StatusNoContent
	}
	return p
}

func (p *corsPolicy) originAllowed(origin string) bool {
	if p.anyOrigin {
		return true
	}
	origin = strings.ToLower(origin)
	for _, pat := range p.origins {
		if pre, suf, wild := strings.Cut(pat, "*"); wild {
			if len(origin) >= len(pre)+len(suf) && strings.HasPrefix(origin, pre) && strings.HasSuffix(origin, suf) {
				return true
			}
		} else if pat == origin {
			return true
		}
	}
	return false
}

func (p *corsPolicy) setOrigin(w http.ResponseWriter, origin string) {
	if p.anyOrigin && !p.cfg.AllowCredentials {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	} else {
		w.Header().Set("Access-Control-Allow-Origin", origin)
	}
	if p.cfg.AllowCredentials {
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}
}

// handle decorates cross-origin requests and answers preflights; it
// returns true when the request has been answered.
func (p *corsPolicy) handle(w http.ResponseWriter, r *http.Request) bool {
	if p == nil {
		return false
	}
	origin := r.Header.Get("Origin")
	reqMethod := r.Header.Get("Access-Control-Request-Method")
	if r.Method == http.MethodOptions && reqMethod != "" {
		h := w.Header()
		h.Add("Vary", "Origin")
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		if p.cfg.OptionsPassthrough {
			if origin != "" && p.originAllowed(origin) {
				p.setOrigin(w, origin)
			}
			return false
		}
		if origin == "" || !p.originAllowed(origin) || !slices.Contains(p.methods, strings.ToUpper(reqMethod)) {
			w.WriteHeader(p.successSts)
			return true
		}
		var allowed []string
		for _, hdr := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
			hdr = http.CanonicalHeaderKey(strings.TrimSpace(hdr))
			if hdr == "" {
				continue
			}
			if !p.anyHeader && !slices.Contains(p.headers, hdr) {
				w.WriteHeader(p.successSts)
				return true
			}
			allowed = append(allowed, hdr)
		}
		p.setOrigin(w, origin)
		h.Set("Access-Control-Allow-Methods", strings.ToUpper(reqMethod))
		if len(allowed) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(allowed, ", "))
		}
		if p.cfg.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(p.cfg.MaxAge))
		}
		if p.cfg.AllowPrivateNetwork && r.Header.Get("Access-Control-Request-Private-Network") == "true" {
			h.Set("Access-Control-Allow-Private-Network", "true")
		}
		w.WriteHeader(p.successSts)
		return true
	}
	w.Header().Add("Vary", "Origin")
	if origin != "" && p.originAllowed(origin) {
		p.setOrigin(w, origin)
		if p.exposed != "" {
			w.Header().Set("Access-Control-Expose-Headers", p.exposed)
		}
	}
	return false
}
