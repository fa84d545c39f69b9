package httpd

import (
	"errors"
	"net/http"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// logErrorDetail writes to the log what a user is not shown: the library
// error under a validation message worded for people, or a store failure
// the page only summarises.
func (s *Server) logErrorDetail(r *http.Request, err error) {
	if err == nil {
		return
	}
	var ve *dataprovider.ValidationError
	switch {
	case errors.As(err, &ve):
		if ve.Detail != nil {
			s.log.Info("input refused", "method", r.Method, "path", r.URL.Path, "field", ve.Field, "error", ve.Detail)
		}
	case errors.Is(err, dataprovider.ErrConflict), errors.Is(err, dataprovider.ErrNotFound):
	default:
		s.log.Error("the change could not be saved", "method", r.Method, "path", r.URL.Path, "error", err)
	}
}
