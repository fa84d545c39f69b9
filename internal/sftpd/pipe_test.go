package sftpd

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/pkg/sftp"
)

// pipeChannel is the server end of an SFTP session over two OS pipes: the
// SSH layer's stand-in, so a benchmark measures the SFTP request path
// (pkg/sftp, our handler, internal/common, local storage) without the
// cipher and the network.
type pipeChannel struct {
	r *os.File // client → server
	w *os.File // server → client
}

func (p pipeChannel) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p pipeChannel) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p pipeChannel) Close() error                { p.w.Close(); return p.r.Close() }
func (p pipeChannel) CloseWrite() error           { return p.w.Close() }
func (p pipeChannel) Stderr() io.ReadWriter       { return discardRW{} }
func (p pipeChannel) SendRequest(string, bool, []byte) (bool, error) {
	return true, nil
}

// discardRW is io.Discard that can also be read (always EOF).
type discardRW struct{}

func (discardRW) Read([]byte) (int, error)    { return 0, io.EOF }
func (discardRW) Write(p []byte) (int, error) { return len(p), nil }

// pipeSession serves SFTP for user over pipes through serveSFTP and
// returns a pkg/sftp client for it, with the given client options.
func pipeSession(b testing.TB, e *env, user string, opts ...sftp.ClientOption) *sftp.Client {
	b.Helper()
	r, w := rawPipeSession(b, e, user)
	c, err := sftp.NewClientPipe(r, w, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// rawPipeSession serves SFTP for user over pipes through serveSFTP and
// returns the client's ends: r reads the server's packets, w sends.
func rawPipeSession(b testing.TB, e *env, user string) (r io.Reader, w io.WriteCloser) {
	b.Helper()
	u, err := e.store.CheckUserPassword(context.Background(), user, testPassword)
	if err != nil {
		b.Fatal(err)
	}
	c2sR, c2sW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	s2cR, s2cW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	conn := e.common.NewConnection(newConnID(), protocolSSH, "127.0.0.1:1", "bench", u, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.sftpd.serveSFTP(conn, pipeChannel{r: c2sR, w: s2cW})
		s2cW.Close()
	}()
	b.Cleanup(func() {
		c2sW.Close()
		<-done
		c2sR.Close()
		s2cR.Close()
		conn.Close()
	})
	return s2cR, c2sW
}
