package httpd

import (
	"errors"
	"net/http"
	"testing"
)

// fakeNodes is a NodeService: a merged list of two nodes, and node calls
// accepted with one header value.
type fakeNodes struct {
	local   *fakeConns
	remote  *fakeConns
	changed []string
}

func (f *fakeNodes) Connections() []ConnectionStatus {
	out := f.LocalConnections()
	for _, c := range f.remote.Connections() {
		c.Node = "node-b"
		out = append(out, c)
	}
	return out
}

func (f *fakeNodes) CloseConnection(id string) bool {
	return f.local.CloseConnection(id) || f.remote.CloseConnection(id)
}

func (f *fakeNodes) AuthenticateNode(r *http.Request) error {
	if r.Header.Get("X-SFTPGO-Node") != "Bearer good" {
		return errors.New("bad token")
	}
	return nil
}

func (f *fakeNodes) LocalConnections() []ConnectionStatus {
	out := f.local.Connections()
	for i := range out {
		out[i].Node = "node-a"
	}
	return out
}

func (f *fakeNodes) CloseLocalConnection(id string) bool { return f.local.CloseConnection(id) }
func (f *fakeNodes) UserChanged(u string)                { f.changed = append(f.changed, u) }

func nodeAuth(v string) auth {
	return func(r *http.Request) { r.Header.Set("X-SFTPGO-Node", v) }
}

func TestNodeRoutes(t *testing.T) {
	nodes := &fakeNodes{local: &fakeConns{list: []ConnectionStatus{{ConnectionID: "a1", Username: "u"}}},
		remote: &fakeConns{list: []ConnectionStatus{{ConnectionID: "b1", Username: "u"}}}}
	e := newTestEnv(t, func(o *Options) { o.Nodes = nodes })
	// the admin API shows every node's sessions and closes a remote one
	var conns []ConnectionStatus
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/connections", e.adminAuth(), nil).json(t, &conns)
	if len(conns) != 2 || conns[0].Node != "node-a" || conns[1].Node != "node-b" {
		t.Fatalf("merged connections: %+v", conns)
	}
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/connections/b1?node=node-b", e.adminAuth(), nil)
	if len(nodes.remote.closed) != 1 {
		t.Fatal("the remote session was not closed")
	}
	// node calls: only with a node token, and only this node's sessions
	for _, a := range []auth{nil, e.adminAuth(), nodeAuth("Bearer bad")} {
		e.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/nodes/connections", a, nil)
		e.expect(http.StatusUnauthorized, http.MethodDelete, "/api/v2/nodes/connections/a1", a, nil)
		e.expect(http.StatusUnauthorized, http.MethodPost, "/api/v2/nodes/users/u/changed", a, nil)
	}
	conns = nil
	e.expect(http.StatusOK, http.MethodGet, "/api/v2/nodes/connections", nodeAuth("Bearer good"), nil).json(t, &conns)
	if len(conns) != 1 || conns[0].ConnectionID != "a1" {
		t.Fatalf("local connections for a node: %+v", conns)
	}
	e.expect(http.StatusNotFound, http.MethodDelete, "/api/v2/nodes/connections/b9", nodeAuth("Bearer good"), nil)
	e.expect(http.StatusOK, http.MethodDelete, "/api/v2/nodes/connections/a1", nodeAuth("Bearer good"), nil)
	e.expect(http.StatusOK, http.MethodPost, "/api/v2/nodes/users/zed/changed", nodeAuth("Bearer good"), nil)
	if len(nodes.changed) != 1 || nodes.changed[0] != "zed" {
		t.Fatalf("user change: %v", nodes.changed)
	}
	// without a shared provider the node routes refuse everything
	plain := newTestEnv(t)
	plain.expect(http.StatusUnauthorized, http.MethodGet, "/api/v2/nodes/connections", nodeAuth("Bearer good"), nil)
}
