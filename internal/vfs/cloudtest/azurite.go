package cloudtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// Azurite's well-known development account.
const (
	AzureAccount = "devstoreaccount1"
	AzureKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Azurite is an Azurite blob service run for a test, with one container.
type Azurite struct {
	Container string
	// Endpoint is the service URL without the account
	// ("http://127.0.0.1:PORT"); containers are path-style under
	// Endpoint/devstoreaccount1.
	Endpoint string

	bin  string
	port int
	dir  string // persistence directory; empty: in memory
	logs *lockedBuffer

	mu  sync.Mutex
	cmd *exec.Cmd
}

// AzuriteOptions tune StartAzurite.
type AzuriteOptions struct {
	// Persistent keeps the data on disk, so that it survives Stop and
	// Restart (fault tests); otherwise it is held in memory.
	Persistent bool
}

// FindAzurite returns the path of azurite-blob (see FindNodeTool).
func FindAzurite(t testing.TB) string {
	t.Helper()
	return FindNodeTool(t, "azurite-blob")
}

// FindNodeTool returns the path of an npm tool that
// scripts/install-test-deps.sh installs under .cache/npm in the
// repository, found by looking up from the working directory for go.mod.
// When it is missing the test is skipped, or failed when the CI
// environment variable is set.
func FindNodeTool(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cloudtest: no go.mod above the working directory")
		}
		dir = parent
	}
	bin := filepath.Join(dir, ".cache", "npm", "node_modules", ".bin", name)
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("%s not installed at %s: run scripts/install-test-deps.sh", name, bin)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}

// StartAzurite starts Azurite on a free port with container "test"; it
// is killed when the test ends.
func StartAzurite(t testing.TB, opts AzuriteOptions) *Azurite {
	t.Helper()
	a := &Azurite{Container: "test", bin: FindAzurite(t), logs: &lockedBuffer{}}
	if opts.Persistent {
		a.dir = t.TempDir()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	a.Endpoint = "http://127.0.0.1:" + strconv.Itoa(a.port)
	t.Cleanup(a.Stop)
	if err := a.start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := a.ContainerClient(a.Container)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(ctx, nil); err != nil {
		t.Fatalf("create container: %v\n%s", err, a.logs.String())
	}
	return a
}

func (a *Azurite) start() error {
	args := []string{"--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(a.port), "--skipApiVersionCheck", "--disableTelemetry", "--loose"}
	if a.dir != "" {
		args = append(args, "--location", a.dir)
	} else {
		args = append(args, "--inMemoryPersistence")
	}
	cmd := exec.Command(a.bin, args...)
	cmd.Stdout, cmd.Stderr = a.logs, a.logs
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start azurite: %w", err)
	}
	a.mu.Lock()
	a.cmd = cmd
	a.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", a.port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.Stop()
	return errors.New("azurite did not start listening within 30 s")
}

// ContainerClient returns an SDK client for a container, for checks.
func (a *Azurite) ContainerClient(name string) (*container.Client, error) {
	cred, err := container.NewSharedKeyCredential(AzureAccount, AzureKey)
	if err != nil {
		return nil, err
	}
	return container.NewClientWithSharedKeyCredential(a.Endpoint+"/"+AzureAccount+"/"+name, cred, nil)
}

// Stop stops Azurite the way a service manager would: SIGTERM, then
// SIGKILL if it is still running 5 s later. Open connections are cut;
// Azurite saves its state on the way out.
func (a *Azurite) Stop() {
	a.mu.Lock()
	cmd := a.cmd
	a.cmd = nil
	a.mu.Unlock()
	if cmd == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Restart starts Azurite again on the same port; with Persistent set it
// finds the data it had.
func (a *Azurite) Restart(t testing.TB) {
	t.Helper()
	a.Stop()
	if err := a.start(); err != nil {
		t.Fatal(err)
	}
}

// Blobs lists every committed blob name in the container; with
// uncommitted set, also blobs that have only staged blocks.
func (a *Azurite) Blobs(t testing.TB, uncommitted ...bool) []string {
	t.Helper()
	c, err := a.ContainerClient(a.Container)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	opts := &container.ListBlobsFlatOptions{}
	opts.Include.UncommittedBlobs = len(uncommitted) > 0 && uncommitted[0]
	pager := c.NewListBlobsFlatPager(opts)
	for pager.More() {
		resp, err := pager.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range resp.Segment.BlobItems {
			names = append(names, *b.Name)
		}
	}
	return names
}

// lockedBuffer collects a process's output safely.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
