package metrics

import (
	"net/http"
	"strconv"
	"time"
)

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush, Hijack and deadlines
// of the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush forwards to the underlying writer when it can flush (streamed
// downloads, zip archives).
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		if r.status == 0 {
			r.status = http.StatusOK
		}
		f.Flush()
	}
}

// HTTPMiddleware counts every request next answers (sftpgo_http_req_*)
// and observes its duration by method and status class
// (sftpgo_http_request_duration_seconds). On a nil *Metrics it returns
// next unchanged.
func (m *Metrics) HTTPMiddleware(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			m.HTTPRequestDone(r.Method, rec.status, time.Since(start))
		}()
		next.ServeHTTP(rec, r)
	})
}

// knownMethods bounds the method label.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
	"PROPFIND": true, "PROPPATCH": true, "MKCOL": true, "COPY": true, "MOVE": true, "LOCK": true, "UNLOCK": true,
}

// HTTPRequestDone counts one answered HTTP request; status 0 (nothing
// written) counts as 200, as net/http sends it.
func (m *Metrics) HTTPRequestDone(method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	m.httpReq.Inc()
	switch {
	case status >= 200 && status < 300:
		m.httpOK.Inc()
	case status >= 400 && status < 500:
		m.httpClientErrs.Inc()
	case status >= 500:
		m.httpServerErrs.Inc()
	}
	if !knownMethods[method] {
		method = "other"
	}
	m.httpDuration.WithLabelValues(method, strconv.Itoa(status/100)+"xx").Observe(d.Seconds())
}
