package httpd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// apiResponse is the body of every non-object reply: errors carry both
// fields, successes only a message.
type apiResponse struct {
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`
}

func renderJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func sendMessage(w http.ResponseWriter, status int, msg string) {
	renderJSON(w, status, apiResponse{Message: msg})
}

// sendAPIError writes {"error": detail, "message": short}; the short
// message is the status text.
func sendAPIError(w http.ResponseWriter, _ *http.Request, status int, err error) {
	detail := ""
	if err != nil {
		detail = err.Error()
	}
	renderJSON(w, status, apiResponse{Error: detail, Message: http.StatusText(status)})
}

// errorStatus maps a store error to an HTTP status.
func errorStatus(err error) int {
	switch {
	case errors.Is(err, dataprovider.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, dataprovider.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, dataprovider.ErrValidation):
		return http.StatusBadRequest
	case errors.Is(err, dataprovider.ErrInvalidCredentials):
		return http.StatusUnauthorized
	default:
		return http.StatusInternalServerError
	}
}

// sendStoreError reports a store failure; internal errors are logged with
// their detail and shown to the client in short.
func (s *Server) sendStoreError(w http.ResponseWriter, r *http.Request, err error) {
	status := errorStatus(err)
	if errors.Is(err, dataprovider.ErrCorruptRecord) {
		// say which record is bad and why: the admin has to repair it
		s.log.Error("data provider error", "method", r.Method, "path", r.URL.Path, "error", err)
		sendAPIError(w, r, status, err)
		return
	}
	if status == http.StatusBadRequest {
		s.logErrorDetail(r, err)
	}
	if status == http.StatusInternalServerError {
		s.log.Error("data provider error", "method", r.Method, "path", r.URL.Path, "error", err)
		err = errors.New("internal error, see the server log")
	}
	sendAPIError(w, r, status, err)
}

// errBodyTooLarge is returned by decodeJSON when the body exceeds its cap.
var errBodyTooLarge = errors.New("request body too large")

// decodeJSON decodes a single JSON value from the body into v, strictly:
// unknown fields, trailing data and type mismatches are errors that name
// the field. The body is capped at limit bytes.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, limit int64, strict bool) error {
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errBodyTooLarge
		}
		return errors.New("malformed JSON: unexpected data after the JSON value")
	}
	return nil
}

// jsonError turns a decoding error into one a client can act on.
func jsonError(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return errBodyTooLarge
	case errors.Is(err, io.EOF):
		return errors.New("malformed JSON: empty request body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("malformed JSON: unexpected end of input")
	case errors.As(err, &se):
		return fmt.Errorf("malformed JSON at offset %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.As(err, &ute):
		want := jsonTypeName(ute.Type)
		if ute.Field == "" {
			return fmt.Errorf("invalid JSON: expected %s, got %s", want, ute.Value)
		}
		return fmt.Errorf("invalid value for field %q: expected %s, got %s", ute.Field, want, ute.Value)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Errorf("unknown field %s", f)
	}
	return fmt.Errorf("invalid JSON: %s", strings.TrimPrefix(msg, "json: "))
}

// jsonTypeName names a Go type the way a JSON client thinks of it.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	default:
		return t.String()
	}
}

// decodeBody decodes a strict JSON object body and answers 400/413 itself;
// it reports whether the handler may go on.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decodeJSON(w, r, v, maxObjectBodySize, true); err != nil {
		sendDecodeError(w, r, err)
		return false
	}
	return true
}

func sendDecodeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errBodyTooLarge) {
		sendAPIError(w, r, http.StatusRequestEntityTooLarge, err)
		return
	}
	sendAPIError(w, r, http.StatusBadRequest, err)
}

// listParams are the paging query parameters of the list endpoints.
type listParams struct {
	limit, offset int
	order         string
}

const (
	defaultListLimit = 100
	maxListLimit     = 500
)

// parseListParams reads offset, limit (default 100, capped at 500) and
// order (ASC or DESC, default ASC).
func parseListParams(r *http.Request) (listParams, error) {
	p := listParams{limit: defaultListLimit, order: "ASC"}
	q := r.URL.Query()
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, fmt.Errorf("invalid offset %q: a non-negative integer is required", v)
		}
		p.offset = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, fmt.Errorf("invalid limit %q: a positive integer is required", v)
		}
		p.limit = min(n, maxListLimit)
	}
	if v := q.Get("order"); v != "" {
		v = strings.ToUpper(v)
		if v != "ASC" && v != "DESC" {
			return p, fmt.Errorf("invalid order %q: ASC or DESC required", q.Get("order"))
		}
		p.order = v
	}
	return p, nil
}
