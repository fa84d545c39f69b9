// Command sftpload drives the scale rows of bench/scale.sh against one
// server: login latency, many concurrent sessions each moving a file, and
// one very large streamed upload. It is a benchmark client, not part of
// the product.
//
// Modes:
//
//	login       -n sequential SSH logins (password with -password, else
//	            the key in -key), each starting the sftp subsystem and
//	            stat'ing "."; prints "p50_ms p99_ms logins_per_s"
//	token       -n sequential GET -url with Basic auth -user/-password, a
//	            new TCP connection each; prints "p50_ms p99_ms requests_per_s"
//	concurrent  -n sessions at once (logins -parallel at a time), each
//	            uploading -size bytes to <-path>/c<i> once every session is
//	            logged in; prints "MB_per_s p50_ms p99_ms" over the transfers
//	upload      one session streams -size bytes of pseudo-random data to
//	            -path (never held in memory or on the client's disk);
//	            prints "MB_per_s"
//
// Progress in upload mode goes to stderr as "progress <bytes>" lines, so
// the caller can sample the server's memory at known points.
package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path"
	"sort"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

type options struct {
	addr, user, password, keyFile, url, path string
	n, parallel                              int
	size                                     int64
}

func main() {
	var o options
	mode := flag.String("mode", "login", "login, token, concurrent or upload")
	flag.StringVar(&o.addr, "addr", "127.0.0.1:22", "SSH server address")
	flag.StringVar(&o.user, "user", "", "username")
	flag.StringVar(&o.password, "password", "", "password (login, token); empty: public key")
	flag.StringVar(&o.keyFile, "key", "", "private key file")
	flag.StringVar(&o.url, "url", "", "token URL (token mode)")
	flag.StringVar(&o.path, "path", "", "remote directory (concurrent) or file (upload)")
	flag.IntVar(&o.n, "n", 200, "logins, requests or sessions")
	flag.IntVar(&o.parallel, "parallel", 32, "logins in flight (concurrent)")
	flag.Int64Var(&o.size, "size", 1<<20, "bytes per session (concurrent) or in total (upload)")
	flag.Parse()
	var err error
	switch *mode {
	case "login":
		err = logins(o)
	case "token":
		err = tokens(o)
	case "concurrent":
		err = concurrent(o)
	case "upload":
		err = upload(o)
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sftpload:", err)
		os.Exit(1)
	}
}

func clientConfig(o options) (*ssh.ClientConfig, error) {
	cfg := &ssh.ClientConfig{
		User:            o.user,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         120 * time.Second,
	}
	if o.password != "" {
		cfg.Auth = []ssh.AuthMethod{ssh.Password(o.password)}
		return cfg, nil
	}
	pem, err := os.ReadFile(o.keyFile)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, err
	}
	cfg.Auth = []ssh.AuthMethod{ssh.PublicKeys(signer)}
	return cfg, nil
}

// percentile of sorted durations, in milliseconds.
func percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(d)))) - 1
	i = max(0, min(i, len(d)-1))
	return float64(d[i]) / float64(time.Millisecond)
}

func summary(d []time.Duration, total time.Duration) string {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return fmt.Sprintf("%.2f %.2f %.1f", percentile(d, 0.5), percentile(d, 0.99), float64(len(d))/total.Seconds())
}

func logins(o options) error {
	cfg, err := clientConfig(o)
	if err != nil {
		return err
	}
	lat := make([]time.Duration, 0, o.n)
	start := time.Now()
	for i := 0; i < o.n; i++ {
		t0 := time.Now()
		conn, err := ssh.Dial("tcp", o.addr, cfg)
		if err != nil {
			return fmt.Errorf("login %d: %w", i, err)
		}
		c, err := sftp.NewClient(conn)
		if err == nil {
			_, err = c.Stat(".")
			c.Close()
		}
		conn.Close()
		if err != nil {
			return fmt.Errorf("login %d: sftp: %w", i, err)
		}
		lat = append(lat, time.Since(t0))
	}
	fmt.Println(summary(lat, time.Since(start)))
	return nil
}

func tokens(o options) error {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Minute}
	lat := make([]time.Duration, 0, o.n)
	start := time.Now()
	for i := 0; i < o.n; i++ {
		req, err := http.NewRequest(http.MethodGet, o.url, nil)
		if err != nil {
			return err
		}
		req.SetBasicAuth(o.user, o.password)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("token %d: %w", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("token %d: %s", i, resp.Status)
		}
		lat = append(lat, time.Since(t0))
	}
	fmt.Println(summary(lat, time.Since(start)))
	return nil
}

// payload is a pseudo-random stream: incompressible enough for a cipher
// and a disk, cheap to make, never materialised as a whole.
type payload struct {
	left int64
	rng  *mrand.ChaCha8
}

func newPayload(n int64) *payload {
	var seed [32]byte
	_, _ = rand.Read(seed[:])
	return &payload{left: n, rng: mrand.NewChaCha8(seed)}
}

func (p *payload) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n, _ := p.rng.Read(b)
	p.left -= int64(n)
	return n, nil
}

func concurrent(o options) error {
	cfg, err := clientConfig(o)
	if err != nil {
		return err
	}
	var (
		mu      sync.Mutex
		firstEr error
		lat     = make([]time.Duration, 0, o.n)
		wg      sync.WaitGroup
		logged  sync.WaitGroup
		gate    = make(chan struct{})
		sem     = make(chan struct{}, o.parallel)
	)
	fail := func(err error) {
		mu.Lock()
		if firstEr == nil {
			firstEr = err
		}
		mu.Unlock()
	}
	logged.Add(o.n)
	for i := 0; i < o.n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := sync.OnceFunc(logged.Done)
			defer done()
			sem <- struct{}{}
			conn, err := ssh.Dial("tcp", o.addr, cfg)
			var c *sftp.Client
			if err == nil {
				c, err = sftp.NewClient(conn, sftp.UseConcurrentWrites(true))
			}
			<-sem
			if err != nil {
				fail(fmt.Errorf("session %d: %w", i, err))
				return
			}
			defer conn.Close()
			defer c.Close()
			done()
			<-gate
			t0 := time.Now()
			f, err := c.Create(path.Join(o.path, fmt.Sprintf("c%d", i)))
			if err == nil {
				_, err = f.ReadFrom(newPayload(o.size))
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				fail(fmt.Errorf("session %d upload: %w", i, err))
				return
			}
			d := time.Since(t0)
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}()
	}
	logged.Wait()
	mu.Lock()
	err = firstEr
	mu.Unlock()
	if err != nil {
		close(gate)
		wg.Wait()
		return err
	}
	fmt.Fprintln(os.Stderr, "ready")
	start := time.Now()
	close(gate)
	wg.Wait()
	total := time.Since(start)
	if firstEr != nil {
		return firstEr
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	mb := float64(o.size) * float64(o.n) / (1 << 20)
	fmt.Printf("%.1f %.1f %.1f\n", mb/total.Seconds(), percentile(lat, 0.5), percentile(lat, 0.99))
	return nil
}

// progressReader reports every 1/20 of the stream on stderr.
type progressReader struct {
	r          io.Reader
	done, step int64
	next       int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done >= p.next {
		fmt.Fprintf(os.Stderr, "progress %d\n", p.done)
		p.next += p.step
	}
	return n, err
}

func upload(o options) error {
	cfg, err := clientConfig(o)
	if err != nil {
		return err
	}
	conn, err := ssh.Dial("tcp", o.addr, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	c, err := sftp.NewClient(conn, sftp.UseConcurrentWrites(true))
	if err != nil {
		return err
	}
	defer c.Close()
	step := max(o.size/20, 1)
	start := time.Now()
	f, err := c.Create(o.path)
	if err != nil {
		return err
	}
	n, err := f.ReadFrom(&progressReader{r: newPayload(o.size), step: step, next: step})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if n != o.size {
		return errors.New("short upload")
	}
	st, err := c.Stat(o.path)
	if err != nil {
		return err
	}
	if st.Size() != o.size {
		return fmt.Errorf("server has %d bytes, sent %d", st.Size(), o.size)
	}
	fmt.Printf("%.1f\n", float64(o.size)/(1<<20)/time.Since(start).Seconds())
	return nil
}
