package httpd

import (
	"errors"
	"net/http"
)

// NodeService is this node's part in a shared data provider
// (data_provider.is_shared): the merged view of every node's sessions,
// and the calls other nodes make here, authenticated by their own token
// (the X-SFTPGO-Node header), never by an admin's.
type NodeService interface {
	// ConnectionsProvider: every node's sessions; closing one reaches the
	// node that holds it.
	ConnectionsProvider
	// AuthenticateNode verifies a call from another node.
	AuthenticateNode(r *http.Request) error
	// LocalConnections and CloseLocalConnection act on this node only.
	LocalConnections() []ConnectionStatus
	CloseLocalConnection(id string) bool
	// UserChanged applies a user change reported by another node.
	UserChanged(username string)
}

// nodeRoutes are the node-to-node API under /api/v2/nodes. Without a
// shared provider every call is refused.
func (s *Server) nodeRoutes(r interface {
	Get(string, http.HandlerFunc)
	Delete(string, http.HandlerFunc)
	Post(string, http.HandlerFunc)
}) {
	r.Get("/nodes/connections", s.requireNode(func(w http.ResponseWriter, _ *http.Request) {
		conns := s.nodes.LocalConnections()
		if conns == nil {
			conns = []ConnectionStatus{}
		}
		renderJSON(w, http.StatusOK, conns)
	}))
	r.Delete("/nodes/connections/{connectionID}", s.requireNode(func(w http.ResponseWriter, r *http.Request) {
		if !s.nodes.CloseLocalConnection(urlParam(r, "connectionID")) {
			sendAPIError(w, r, http.StatusNotFound, errors.New("connection not found"))
			return
		}
		sendMessage(w, http.StatusOK, "Connection closed")
	}))
	r.Post("/nodes/users/{username}/changed", s.requireNode(func(w http.ResponseWriter, r *http.Request) {
		s.nodes.UserChanged(urlParam(r, "username"))
		sendMessage(w, http.StatusOK, "OK")
	}))
}

func (s *Server) requireNode(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.nodes == nil {
			sendAPIError(w, r, http.StatusUnauthorized, errors.New("the data provider is not shared"))
			return
		}
		if err := s.nodes.AuthenticateNode(r); err != nil {
			s.log.Warn("node call refused", "remote", r.RemoteAddr, "error", err)
			sendAPIError(w, r, http.StatusUnauthorized, errors.New("invalid node token"))
			return
		}
		next(w, r)
	}
}
