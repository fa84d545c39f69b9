package cloudtest

import (
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// GCS is an in-process Google Cloud Storage server with one bucket. It
// needs no credentials.
type GCS struct {
	Bucket string
	srv    *fakestorage.Server
}

// StartGCS starts the server with bucket "test"; it stops with the test.
func StartGCS(t testing.TB) *GCS {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme: "http",
		Host:   "127.0.0.1",
		// Reads go to the XML API at the endpoint's host.
		PublicHost: "127.0.0.1",
	})
	if err != nil {
		t.Fatal(err)
	}
	g := &GCS{Bucket: "test", srv: srv}
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: g.Bucket})
	t.Cleanup(srv.Stop)
	return g
}

// Endpoint is the server's URL.
func (g *GCS) Endpoint() string { return g.srv.URL() }

// Stop kills the server.
func (g *GCS) Stop() { g.srv.Stop() }

// Objects lists every object name in the bucket, straight from the
// server's storage.
func (g *GCS) Objects(t testing.TB) []string {
	t.Helper()
	resp, err := g.srv.ListObjectsWithOptionsPaginated(g.Bucket, fakestorage.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(resp.Objects))
	for _, o := range resp.Objects {
		names = append(names, o.Name)
	}
	return names
}
