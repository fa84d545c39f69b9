package httpd

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// corsMiddleware answers CORS preflights and decorates cross-origin
// responses as httpd.cors says. Disabled, it adds nothing.
func corsMiddleware(cfg config.CORSConfig) func(http.Handler) http.Handler {
	if !cfg.Enabled {
		return func(next http.Handler) http.Handler { return next }
	}
	lower := func(in []string) []string {
		out := make([]string, 0, len(in))
		for _, v := range in {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, strings.ToLower(v))
			}
		}
		return out
	}
	origins := lower(cfg.AllowedOrigins)
	allOrigins := len(origins) == 0 || slices.Contains(origins, "*")
	methods := make([]string, 0, len(cfg.AllowedMethods))
	for _, m := range cfg.AllowedMethods {
		methods = append(methods, strings.ToUpper(strings.TrimSpace(m)))
	}
	if len(methods) == 0 {
		methods = []string{http.MethodGet, http.MethodPost, http.MethodHead}
	}
	headers := lower(cfg.AllowedHeaders)
	if len(headers) == 0 {
		headers = []string{"accept", "content-type", "x-requested-with"}
	}
	allHeaders := slices.Contains(headers, "*")
	successStatus := cfg.OptionsSuccessStatus
	if successStatus == 0 {
		successStatus = http.StatusNoContent
	}

	originAllowed := func(o string) bool {
		if allOrigins {
			return true
		}
		o = strings.ToLower(o)
		for _, pat := range origins {
			if pre, suf, ok := strings.Cut(pat, "*"); ok {
				if len(o) >= len(pre)+len(suf) && strings.HasPrefix(o, pre) && strings.HasSuffix(o, suf) {
					return true
				}
			} else if pat == o {
				return true
			}
		}
		return false
	}
	allowOrigin := func(w http.ResponseWriter, origin string) {
		if allOrigins && !cfg.AllowCredentials {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		} else {
			w.Header().Set("Access-Control-Allow-Origin", origin)
		}
		if cfg.AllowCredentials {
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
	}

	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			reqMethod := r.Header.Get("Access-Control-Request-Method")
			if r.Method == http.MethodOptions && reqMethod != "" {
				w.Header().Add("Vary", "Origin")
				w.Header().Add("Vary", "Access-Control-Request-Method")
				w.Header().Add("Vary", "Access-Control-Request-Headers")
				ok := origin != "" && originAllowed(origin) && slices.Contains(methods, strings.ToUpper(reqMethod))
				var reqHeaders []string
				for _, h := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
					if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
						reqHeaders = append(reqHeaders, h)
						if !allHeaders && !slices.Contains(headers, h) {
							ok = false
						}
					}
				}
				if ok {
					allowOrigin(w, origin)
					w.Header().Set("Access-Control-Allow-Methods", strings.ToUpper(reqMethod))
					if len(reqHeaders) > 0 {
						w.Header().Set("Access-Control-Allow-Headers", strings.Join(reqHeaders, ", "))
					}
					if cfg.MaxAge > 0 {
						w.Header().Set("Access-Control-Max-Age", strconv.Itoa(cfg.MaxAge))
					}
					if cfg.AllowPrivateNetwork && r.Header.Get("Access-Control-Request-Private-Network") == "true" {
						w.Header().Set("Access-Control-Allow-Private-Network", "true")
					}
				}
				if cfg.OptionsPassthrough {
					next.ServeHTTP(w, r)
					return
				}
				w.WriteHeader(successStatus)
				return
			}
			if origin != "" {
				w.Header().Add("Vary", "Origin")
				if originAllowed(origin) {
					allowOrigin(w, origin)
					if len(cfg.ExposedHeaders) > 0 {
						w.Header().Set("Access-Control-Expose-Headers", strings.Join(cfg.ExposedHeaders, ", "))
					}
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}
