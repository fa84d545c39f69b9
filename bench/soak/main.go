// Command soak opens many SFTP, FTP and WebDAV sessions against one
// server at the same time, has each upload a file of random data and
// download it back, and checks the SHA-256 of what came back. It is the
// client of bench/soak.sh, a load test, not part of the product or of
// `make test`.
//
// Every client first logs in (SFTP: one SSH connection each, pkg/sftp
// over x/crypto/ssh; FTP: one control connection each, passive mode;
// WebDAV: one HTTP connection each, kept alive). Once every client of
// every protocol is logged in (or failed), all transfer together; once all
// transfers ended, all sessions close together. So the peak is the full
// -n-sftp + -n-ftp + -n-dav sessions open at once.
//
// It prints phase lines ("phase connect", "phase transfer", "phase
// close", "phase done") on stderr and one line of JSON on stdout, and
// exits 1 if any client failed.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jlaffaye/ftp"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

type options struct {
	sftpAddr, ftpAddr, davURL string
	users                     []string
	password, keyFile         string
	nSFTP, nFTP, nDAV         int
	size                      int64
	parallel                  int
	timeout                   time.Duration
}

// session is one client of one protocol once logged in.
type session interface {
	upload(ctx context.Context, name string, data []byte) error
	download(ctx context.Context, name string) ([sha256.Size]byte, error)
	close() error
}

// result of one client; stage says where it stopped.
type result struct {
	stage string
	err   error
}

type protoSummary struct {
	Clients int `json:"clients"`
	OK      int `json:"ok"`
	Failed  int `json:"failed"`
}

type summary struct {
	SizeBytes  int64                    `json:"size_bytes"`
	Protocols  map[string]*protoSummary `json:"protocols"`
	Failed     int                      `json:"failed"`
	ConnectS   float64                  `json:"connect_s"`
	TransferS  float64                  `json:"transfer_s"`
	CloseS     float64                  `json:"close_s"`
	WallS      float64                  `json:"wall_s"`
	MovedMiB   float64                  `json:"moved_mib"`
	Errors     []string                 `json:"errors"`
	ErrorCount map[string]int           `json:"error_kinds"`
}

func main() {
	var o options
	var users, size string
	flag.StringVar(&o.sftpAddr, "sftp-addr", "", "SFTP server host:port")
	flag.StringVar(&o.ftpAddr, "ftp-addr", "", "FTP server host:port")
	flag.StringVar(&o.davURL, "dav-url", "", "WebDAV base URL, e.g. http://127.0.0.1:8090/")
	flag.StringVar(&users, "user", "", "username; a comma-separated list spreads the clients over several users")
	flag.StringVar(&o.password, "password", "", "password (FTP and WebDAV, and SFTP without -key)")
	flag.StringVar(&o.keyFile, "key", "", "private key file for SFTP (tried before the password)")
	flag.IntVar(&o.nSFTP, "n-sftp", 500, "SFTP sessions")
	flag.IntVar(&o.nFTP, "n-ftp", 200, "FTP sessions")
	flag.IntVar(&o.nDAV, "n-dav", 200, "WebDAV clients")
	flag.StringVar(&size, "size", "1MiB", "bytes each client uploads and downloads (suffixes KiB, MiB)")
	flag.IntVar(&o.parallel, "parallel", 64, "logins in flight at once")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up on clients still running after this long")
	flag.Parse()
	o.users = strings.Split(users, ",")
	n, err := parseSize(size)
	if err != nil || users == "" {
		fmt.Fprintln(os.Stderr, "soak: need -user and a valid -size:", err)
		os.Exit(2)
	}
	o.size = n
	sum, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	out, _ := json.Marshal(sum)
	fmt.Println(string(out))
	if sum.Failed > 0 {
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.m
			break
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("size %q: %w", s, errors.Join(err, errors.New("must be a positive number")))
	}
	return v * mult, nil
}

func phase(name string) {
	fmt.Fprintf(os.Stderr, "phase %s %s\n", name, time.Now().UTC().Format(time.RFC3339Nano))
}

func run(o options) (*summary, error) {
	var sshCfg *ssh.ClientConfig
	if o.nSFTP > 0 {
		var auth []ssh.AuthMethod
		if o.keyFile != "" {
			pem, err := os.ReadFile(o.keyFile)
			if err != nil {
				return nil, fmt.Errorf("read key: %w", err)
			}
			signer, err := ssh.ParsePrivateKey(pem)
			if err != nil {
				return nil, fmt.Errorf("parse key: %w", err)
			}
			auth = append(auth, ssh.PublicKeys(signer))
		}
		if o.password != "" {
			auth = append(auth, ssh.Password(o.password))
		}
		sshCfg = &ssh.ClientConfig{
			Auth:            auth,
			HostKeyCallback: ssh.InsecureIgnoreHostKey(),
			Timeout:         60 * time.Second,
		}
	}
	type client struct {
		proto string
		idx   int
		user  string
	}
	var clients []client
	add := func(proto string, n int) {
		for i := range n {
			clients = append(clients, client{proto, i, o.users[len(clients)%len(o.users)]})
		}
	}
	add("sftp", o.nSFTP)
	add("ftp", o.nFTP)
	add("webdav", o.nDAV)

	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()

	results := make([]result, len(clients))
	var mu sync.Mutex // guards results: after a timeout they are read while stuck clients run
	set := func(i int, stage string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if stage != "" {
			results[i].stage = stage
		}
		if err != nil && results[i].err == nil {
			results[i].err = err
		}
	}
	var loggedIn, transferred, finished sync.WaitGroup
	loggedIn.Add(len(clients))
	transferred.Add(len(clients))
	finished.Add(len(clients))
	startTransfer := make(chan struct{})
	startClose := make(chan struct{})
	sem := make(chan struct{}, o.parallel)

	start := time.Now()
	phase("connect")
	for i, c := range clients {
		go func() {
			defer finished.Done()
			set(i, "login", nil)
			doneLogin, doneTransfer := sync.OnceFunc(loggedIn.Done), sync.OnceFunc(transferred.Done)
			defer doneLogin()
			defer doneTransfer()

			sem <- struct{}{}
			s, err := dial(ctx, o, sshCfg, c.proto, c.user, c.idx)
			<-sem
			doneLogin()
			if err != nil {
				set(i, "", err)
				return
			}
			<-startTransfer
			data := make([]byte, o.size)
			if _, err := rand.Read(data); err != nil {
				set(i, "", err)
				_ = s.close()
				return
			}
			want := sha256.Sum256(data)
			name := fmt.Sprintf("soak-%s-%d.bin", c.proto, c.idx)
			set(i, "upload", nil)
			err = s.upload(ctx, name, data)
			if err == nil {
				set(i, "download", nil)
				var got [sha256.Size]byte
				got, err = s.download(ctx, name)
				if err == nil && got != want {
					err = errors.New("sha256 of the downloaded file differs from the upload")
				}
			}
			set(i, "", err)
			doneTransfer()
			<-startClose
			set(i, "close", nil)
			cerr := s.close()
			set(i, "", cerr)
			mu.Lock()
			if results[i].err == nil {
				results[i].stage = "done"
			}
			mu.Unlock()
		}()
	}

	sum := &summary{SizeBytes: o.size, Protocols: map[string]*protoSummary{}, ErrorCount: map[string]int{}}
	waitOr := func(wg *sync.WaitGroup) bool {
		ch := make(chan struct{})
		go func() { wg.Wait(); close(ch) }()
		select {
		case <-ch:
			return true
		case <-ctx.Done():
			return false
		}
	}
	ok := waitOr(&loggedIn)
	t1 := time.Now()
	sum.ConnectS = t1.Sub(start).Seconds()
	phase("transfer")
	close(startTransfer)
	ok = ok && waitOr(&transferred)
	t2 := time.Now()
	sum.TransferS = t2.Sub(t1).Seconds()
	phase("close")
	close(startClose)
	ok = ok && waitOr(&finished)
	t3 := time.Now()
	sum.CloseS = t3.Sub(t2).Seconds()
	sum.WallS = t3.Sub(start).Seconds()
	phase("done")

	if !ok {
		fmt.Fprintln(os.Stderr, "soak: timeout, some clients never finished")
	}
	for i, c := range clients {
		ps := sum.Protocols[c.proto]
		if ps == nil {
			ps = &protoSummary{}
			sum.Protocols[c.proto] = ps
		}
		ps.Clients++
		mu.Lock()
		r := results[i]
		mu.Unlock()
		if !ok && r.stage != "done" && r.err == nil {
			r.err = fmt.Errorf("still in %s after %s", r.stage, o.timeout)
		}
		if r.err != nil {
			ps.Failed++
			sum.Failed++
			kind := fmt.Sprintf("%s %s: %v", c.proto, r.stage, r.err)
			if sum.ErrorCount[kind] == 0 && len(sum.Errors) < 20 {
				sum.Errors = append(sum.Errors, fmt.Sprintf("%s #%d %s: %v", c.proto, c.idx, r.stage, r.err))
			}
			sum.ErrorCount[kind]++
		} else {
			ps.OK++
		}
	}
	sort.Strings(sum.Errors)
	sum.MovedMiB = float64(2*o.size*int64(len(clients)-sum.Failed)) / (1 << 20)
	return sum, nil
}

// ftpSources spreads the FTP clients over this many loopback source
// addresses (127.0.0.2 and up): the server caps passive listeners per
// client IP (16), as it should, and 200 clients behind one address are
// not what the soak test means to measure.
const ftpSources = 32

func dial(ctx context.Context, o options, sshCfg *ssh.ClientConfig, proto, user string, idx int) (session, error) {
	switch proto {
	case "sftp":
		cfg := *sshCfg
		cfg.User = user
		conn, err := ssh.Dial("tcp", o.sftpAddr, &cfg)
		if err != nil {
			return nil, fmt.Errorf("ssh dial: %w", err)
		}
		c, err := sftp.NewClient(conn)
		if err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("sftp subsystem: %w", err)
		}
		return &sftpSession{conn: conn, c: c}, nil
	case "ftp":
		src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+idx%ftpSources))}
		d := &net.Dialer{Timeout: 60 * time.Second, LocalAddr: src}
		c, err := ftp.Dial(o.ftpAddr, ftp.DialWithContext(ctx), ftp.DialWithTimeout(60*time.Second),
			ftp.DialWithDisabledEPSV(true),
			ftp.DialWithDialFunc(func(network, address string) (net.Conn, error) { return d.DialContext(ctx, network, address) }))
		if err != nil {
			return nil, fmt.Errorf("ftp dial: %w", err)
		}
		if err := c.Login(user, o.password); err != nil {
			_ = c.Quit()
			return nil, fmt.Errorf("ftp login: %w", err)
		}
		return &ftpSession{c: c}, nil
	default:
		tr := &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 60 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 1,
			MaxConnsPerHost:     1,
			DisableCompression:  true,
		}
		s := &davSession{c: &http.Client{Transport: tr}, base: strings.TrimSuffix(o.davURL, "/"), user: user, password: o.password}
		// An authenticated PROPFIND opens the connection and checks the login.
		req, err := s.request(ctx, "PROPFIND", "", nil)
		if err == nil {
			req.Header.Set("Depth", "0")
			err = s.do(req, http.StatusMultiStatus, io.Discard)
		}
		if err != nil {
			tr.CloseIdleConnections()
			return nil, fmt.Errorf("webdav login: %w", err)
		}
		return s, nil
	}
}

type sftpSession struct {
	conn *ssh.Client
	c    *sftp.Client
}

func (s *sftpSession) upload(_ context.Context, name string, data []byte) error {
	f, err := s.c.Create(name)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
		_ = f.Close()
		return fmt.Errorf("write: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close after write: %w", err)
	}
	return nil
}

func (s *sftpSession) download(_ context.Context, name string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	f, err := s.c.Open(name)
	if err != nil {
		return sum, fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := f.WriteTo(h); err != nil {
		return sum, fmt.Errorf("read: %w", err)
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

func (s *sftpSession) close() error {
	err := s.c.Close()
	return errors.Join(err, s.conn.Close())
}

type ftpSession struct{ c *ftp.ServerConn }

func (s *ftpSession) upload(_ context.Context, name string, data []byte) error {
	if err := s.c.Stor(name, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("stor: %w", err)
	}
	return nil
}

func (s *ftpSession) download(_ context.Context, name string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	r, err := s.c.Retr(name)
	if err != nil {
		return sum, fmt.Errorf("retr: %w", err)
	}
	h := sha256.New()
	_, err = io.Copy(h, r)
	if cerr := r.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return sum, fmt.Errorf("retr data: %w", err)
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

func (s *ftpSession) close() error { return s.c.Quit() }

type davSession struct {
	c              *http.Client
	base           string
	user, password string
}

func (s *davSession) request(ctx context.Context, method, name string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+"/"+name, rd)
	if err != nil {
		return nil, fmt.Errorf("%s request: %w", method, err)
	}
	req.SetBasicAuth(s.user, s.password)
	return req, nil
}

// do sends req, expects one of the statuses and copies the body to w.
func (s *davSession) do(req *http.Request, status int, w io.Writer) error {
	resp, err := s.c.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", req.Method, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != status && !(status == http.StatusCreated && resp.StatusCode == http.StatusNoContent) {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: status %d: %s", req.Method, resp.StatusCode, bytes.TrimSpace(msg))
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("%s body: %w", req.Method, err)
	}
	return nil
}

func (s *davSession) upload(ctx context.Context, name string, data []byte) error {
	req, err := s.request(ctx, http.MethodPut, name, data)
	if err != nil {
		return err
	}
	return s.do(req, http.StatusCreated, io.Discard)
}

func (s *davSession) download(ctx context.Context, name string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	req, err := s.request(ctx, http.MethodGet, name, nil)
	if err != nil {
		return sum, err
	}
	h := sha256.New()
	if err := s.do(req, http.StatusOK, h); err != nil {
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

func (s *davSession) close() error {
	s.c.CloseIdleConnections()
	return nil
}
