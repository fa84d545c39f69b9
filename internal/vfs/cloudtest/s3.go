// Package cloudtest starts object-store emulators for tests: an
// in-process S3 server (gofakes3), an in-process GCS server
// (fake-gcs-server) and Azurite for Azure Blob, each speaking the real
// wire protocol to the SDKs the backends use.
package cloudtest

import (
	"net"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 is an in-process S3 server with one bucket. Any access key is
// accepted.
type S3 struct {
	Bucket string

	faker   *gofakes3.GoFakeS3
	backend *s3mem.Backend
	mu      sync.Mutex
	srv     *httptest.Server
}

// Test credentials for the S3 emulator (it does not check them).
const (
	S3AccessKey = "test-access-key"
	S3Secret    = "test-secret-key"
	S3Region    = "us-east-1"
)

// ClearAWSEnv removes the environment the AWS SDK would read on its own
// (AWS_CA_BUNDLE may point at a bundle that breaks custom clients; a
// profile or endpoint variable would redirect the tests). Call it from
// TestMain, before any test runs.
func ClearAWSEnv() {
	for _, v := range []string{"AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		os.Unsetenv(v)
	}
}

// StartS3 starts the server with bucket "test"; it stops with the test.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	backend := s3mem.New()
	s := &S3{Bucket: "test", backend: backend, faker: gofakes3.New(backend, gofakes3.WithoutVersioning())}
	if err := backend.CreateBucket(s.Bucket); err != nil {
		t.Fatal(err)
	}
	s.start(t, "127.0.0.1:0")
	t.Cleanup(s.Stop)
	return s
}

func (s *S3) start(t testing.TB, addr string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(s.faker.Server())
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
}

// Endpoint is the server's URL; it changes after Restart.
func (s *S3) Endpoint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv.URL
}

// Stop kills the server: open connections are cut and new ones refused.
// The stored objects and multipart uploads are kept for Restart.
func (s *S3) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return
	}
	srv.CloseClientConnections()
	srv.Close()
}

// Restart serves the same state again on a new port.
func (s *S3) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.start(t, "127.0.0.1:0")
}

// Keys lists every object key in the bucket, straight from the server's
// storage.
func (s *S3) Keys(t testing.TB) []string {
	t.Helper()
	res, err := s.backend.ListBucket(s.Bucket, &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(res.Contents))
	for _, o := range res.Contents {
		keys = append(keys, o.Key)
	}
	slices.Sort(keys)
	return keys
}
