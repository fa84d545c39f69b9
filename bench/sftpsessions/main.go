// Command sftpsessions holds many SFTP sessions open against a server so
// bench/sessions.sh can measure the server's memory per session. It is a
// benchmark client, not part of the product.
//
// Each session is its own SSH connection logged in with a private key.
// Modes:
//
//	idle      log in, start the sftp subsystem, stat ".", then wait
//	download  download -path to /dev/null again and again
//	stall     open -path, send -reads READ requests of -len bytes each and
//	          never read the replies: the server must stop at the SSH
//	          window instead of buffering the file
//
// It prints "ready" on stdout once every session is in its mode and exits
// when stdin closes (sessions are closed first).
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:22", "server address")
	user := flag.String("user", "", "username")
	keyFile := flag.String("key", "", "private key file")
	n := flag.Int("n", 200, "sessions")
	mode := flag.String("mode", "idle", "idle, download or stall")
	path := flag.String("path", "", "remote file for download and stall")
	reads := flag.Int("reads", 64, "outstanding READ requests per session in stall mode")
	readLen := flag.Int("len", 32768, "bytes asked by each READ in stall mode")
	parallel := flag.Int("parallel", 16, "logins in flight")
	packet := flag.Int("packet", 255*1024, "bytes per READ in download mode (OpenSSH's client asks 255 KiB of servers that announce limits@openssh.com, OpenSSH's included)")
	flag.Parse()
	if err := run(*addr, *user, *keyFile, *n, *mode, *path, *reads, *readLen, *parallel, *packet); err != nil {
		fmt.Fprintln(os.Stderr, "sftpsessions:", err)
		os.Exit(1)
	}
}

func run(addr, user, keyFile string, n int, mode, path string, reads, readLen, parallel, packet int) error {
	pem, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return err
	}
	cfg := &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         60 * time.Second,
	}
	var (
		mu      sync.Mutex
		conns   []*ssh.Client
		firstEr error
		wg      sync.WaitGroup
		ready   sync.WaitGroup
		stop    = make(chan struct{})
		bytes   atomic.Int64
	)
	sem := make(chan struct{}, parallel)
	fail := func(err error) {
		mu.Lock()
		if firstEr == nil {
			firstEr = err
		}
		mu.Unlock()
	}
	ready.Add(n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			readyOnce := sync.OnceFunc(ready.Done)
			defer readyOnce()
			sem <- struct{}{}
			conn, err := ssh.Dial("tcp", addr, cfg)
			<-sem
			if err != nil {
				fail(fmt.Errorf("dial: %w", err))
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			switch mode {
			case "stall":
				err = stall(conn, path, reads, readLen, readyOnce, stop)
			default:
				err = session(conn, mode, path, packet, readyOnce, stop, &bytes)
			}
			select {
			case <-stop:
			default:
				if err != nil {
					fail(err)
				}
			}
		}()
	}
	ready.Wait()
	mu.Lock()
	err = firstEr
	mu.Unlock()
	if err != nil {
		return err
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	close(stop)
	mu.Lock()
	for _, c := range conns {
		c.Close()
	}
	mu.Unlock()
	wg.Wait()
	fmt.Fprintf(os.Stderr, "sftpsessions: %d sessions, %d MiB downloaded\n", n, bytes.Load()>>20)
	return nil
}

func session(conn *ssh.Client, mode, path string, packet int, ready func(), stop <-chan struct{}, total *atomic.Int64) error {
	c, err := sftp.NewClient(conn, sftp.UseConcurrentReads(true), sftp.MaxPacketUnchecked(packet))
	if err != nil {
		return fmt.Errorf("sftp: %w", err)
	}
	defer c.Close()
	if _, err := c.Stat("."); err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	if mode != "download" {
		ready()
		<-stop
		return nil
	}
	for first := true; ; first = false {
		f, err := c.Open(path)
		if err != nil {
			return fmt.Errorf("open: %w", err)
		}
		if first {
			ready()
		}
		n, err := f.WriteTo(io.Discard)
		f.Close()
		total.Add(n)
		if err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		default:
		}
	}
}

// stall speaks raw SFTP: INIT, OPEN, then reads READ requests without
// ever reading a reply.
func stall(conn *ssh.Client, path string, reads, readLen int, ready func(), stop <-chan struct{}) error {
	s, err := conn.NewSession()
	if err != nil {
		return err
	}
	w, err := s.StdinPipe()
	if err != nil {
		return err
	}
	r, err := s.StdoutPipe()
	if err != nil {
		return err
	}
	if err := s.RequestSubsystem("sftp"); err != nil {
		return err
	}
	send := func(typ byte, body []byte) error {
		hdr := make([]byte, 5)
		binary.BigEndian.PutUint32(hdr, uint32(len(body)+1))
		hdr[4] = typ
		_, err := w.Write(append(hdr, body...))
		return err
	}
	recv := func() (byte, []byte, error) {
		var hdr [5]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return 0, nil, err
		}
		body := make([]byte, binary.BigEndian.Uint32(hdr[:4])-1)
		_, err := io.ReadFull(r, body)
		return hdr[4], body, err
	}
	str := func(b []byte, s string) []byte {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		return append(b, s...)
	}
	const (
		fxpInit, fxpOpen, fxpRead, fxpHandle = 1, 3, 5, 102
		fxfRead                              = 1
	)
	if err := send(fxpInit, binary.BigEndian.AppendUint32(nil, 3)); err != nil {
		return err
	}
	if _, _, err := recv(); err != nil {
		return err
	}
	open := binary.BigEndian.AppendUint32(nil, 1) // id
	open = str(open, path)
	open = binary.BigEndian.AppendUint32(open, fxfRead)
	open = binary.BigEndian.AppendUint32(open, 0) // no attributes
	if err := send(fxpOpen, open); err != nil {
		return err
	}
	typ, body, err := recv()
	if err != nil {
		return err
	}
	if typ != fxpHandle || len(body) < 8 {
		return errors.New("open failed")
	}
	handle := string(body[8 : 8+binary.BigEndian.Uint32(body[4:8])])
	for i := 0; i < reads; i++ {
		req := binary.BigEndian.AppendUint32(nil, uint32(2+i))
		req = str(req, handle)
		req = binary.BigEndian.AppendUint64(req, uint64(i*readLen))
		req = binary.BigEndian.AppendUint32(req, uint32(readLen))
		if err := send(fxpRead, req); err != nil {
			return err
		}
	}
	ready()
	<-stop // never read the replies
	return nil
}
