package cloudtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// S3rver is an s3rver process (an S3 implementation in Node.js, a second
// opinion next to gofakes3) with one bucket, stored in a temporary
// directory.
type S3rver struct {
	Bucket   string
	Endpoint string
	// AccessKey and Secret are s3rver's built-in credentials; it checks
	// signatures.
	AccessKey, Secret string
}

// StartS3rver starts s3rver on a free port with bucket "test".
func StartS3rver(t testing.TB) *S3rver {
	t.Helper()
	bin := FindNodeTool(t, "s3rver")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &S3rver{Bucket: "test", Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), AccessKey: "S3RVER", Secret: "S3RVER"}
	logs := &lockedBuffer{}
	cmd := exec.Command(bin, "-d", t.TempDir(), "-a", "127.0.0.1", "-p", strconv.Itoa(port), "--silent", "--no-vhost-buckets", "--configure-bucket", s.Bucket)
	cmd.Stdout, cmd.Stderr = logs, logs
	// s3rver makes continuation tokens with DES, which Node's OpenSSL 3
	// only has in its legacy provider; without it every truncated
	// listing fails with a 500.
	cmd.Env = append(os.Environ(), "NODE_OPTIONS=--openssl-legacy-provider")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("s3rver did not start listening within 30 s:\n%s", logs.String())
	return nil
}
