package httpd

import (
	"context"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"
)

// namedAPI serves the REST CRUD of a kind of object the provider keys by
// name (GET list, POST, GET/PUT/DELETE /{name}), as SFTPGo does for event
// actions and rules: the list takes limit/offset/order, POST answers 201
// with the stored object and its Location, PUT keeps the stored id and
// name, and secrets are redacted unless the admin asked for confidential
// data. st resolves the store (false: it wrote the error).
type namedAPI[T, S any] struct {
	path    string // under /api/v2, e.g. "/eventactions"
	perm    string // the admin permission every route needs
	noun    string // for the messages: "Event action"
	st      func(w http.ResponseWriter, r *http.Request) (S, bool)
	list    func(st S, ctx context.Context, limit, offset int, order string) ([]T, error)
	get     func(st S, ctx context.Context, name string) (T, error)
	add     func(st S, ctx context.Context, v *T) error
	update  func(st S, ctx context.Context, v *T) error
	del     func(st S, ctx context.Context, name string) error
	name    func(v *T) string
	ident   func(v *T, id int64, name string) // sets id and name
	id      func(v *T) int64
	redact  func(T) T
	updated string // message of a successful PUT
}

// mount registers the five routes under path, behind perm; extra adds
// more routes of the same object there.
func (a namedAPI[T, S]) mount(s *Server, r chi.Router, extra ...func(chi.Router)) {
	r.Route(a.path, func(r chi.Router) {
		r.Use(s.checkPerm(a.perm))
		r.Get("/", a.listHandler(s))
		r.Post("/", a.addHandler(s))
		r.Get("/{name}", a.getHandler(s))
		r.Put("/{name}", a.updateHandler(s))
		r.Delete("/{name}", a.deleteHandler(s))
		for _, f := range extra {
			f(r)
		}
	})
}

func (a namedAPI[T, S]) listHandler(s *Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, ok := a.st(w, r)
		if !ok {
			return
		}
		p, err := parseListParams(r)
		if err != nil {
			sendAPIError(w, r, http.StatusBadRequest, err)
			return
		}
		list, err := a.list(st, r.Context(), p.limit, p.offset, p.order)
		if err != nil {
			s.sendStoreError(w, r, err)
			return
		}
		renderJSON(w, http.StatusOK, mapSlice(list, a.redact))
	}
}

func (a namedAPI[T, S]) getHandler(s *Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, ok := a.st(w, r)
		if !ok {
			return
		}
		v, err := a.get(st, r.Context(), urlParam(r, "name"))
		if err != nil {
			s.sendStoreError(w, r, err)
			return
		}
		renderJSON(w, http.StatusOK, unlessConfidential(r, v, a.redact))
	}
}

func (a namedAPI[T, S]) addHandler(s *Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, ok := a.st(w, r)
		if !ok {
			return
		}
		var v T
		if !decodeBody(w, r, &v) {
			return
		}
		a.ident(&v, 0, a.name(&v))
		if err := a.add(st, r.Context(), &v); err != nil {
			s.sendStoreError(w, r, err)
			return
		}
		created, err := a.get(st, r.Context(), a.name(&v))
		if err != nil {
			created = v
		}
		w.Header().Set("Location", s.webRoot+apiPrefix+a.path+"/"+url.PathEscape(a.name(&created)))
		renderJSON(w, http.StatusCreated, a.redact(created))
	}
}

func (a namedAPI[T, S]) updateHandler(s *Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, ok := a.st(w, r)
		if !ok {
			return
		}
		current, err := a.get(st, r.Context(), urlParam(r, "name"))
		if err != nil {
			s.sendStoreError(w, r, err)
			return
		}
		var v T
		if !decodeBody(w, r, &v) {
			return
		}
		a.ident(&v, a.id(&current), a.name(&current))
		if err := a.update(st, r.Context(), &v); err != nil {
			s.sendStoreError(w, r, err)
			return
		}
		sendMessage(w, http.StatusOK, a.updated)
	}
}

func (a namedAPI[T, S]) deleteHandler(s *Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, ok := a.st(w, r)
		if !ok {
			return
		}
		if err := a.del(st, r.Context(), urlParam(r, "name")); err != nil {
			s.sendStoreError(w, r, err)
			return
		}
		sendMessage(w, http.StatusOK, a.noun+" deleted")
	}
}
