package httpd

import (
	"github.com/go-chi/chi/v5"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// webUI holds the parsed templates and static assets of the web UIs.
type webUI struct{}

// webRoutes mounts the web admin and web client (not yet).
func (s *Server) webRoutes(_ chi.Router, _ config.HTTPDBinding) {}
