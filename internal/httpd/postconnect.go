package httpd

import (
	"errors"
	"net/http"
)

// connectionCheck runs the checks of a new connection (defender ban list,
// post-connect hook) for every request, as HTTP has no session.
func (s *Server) connectionCheck(next http.Handler) http.Handler {
	if s.common == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.common.CheckConnection(r.Context(), protocolHTTP, clientIP(r)); err != nil {
			sendAPIError(w, r, http.StatusForbidden, errors.New("connection refused"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
