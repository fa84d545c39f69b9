package service

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

type fakeComponent struct {
	name     string
	startErr error
	calls    *[]string
	mu       *sync.Mutex
	reloaded int
}

func (f *fakeComponent) record(what string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	*f.calls = append(*f.calls, what+" "+f.name)
}

func (f *fakeComponent) Start(context.Context) error {
	f.record("start")
	return f.startErr
}

func (f *fakeComponent) Shutdown(context.Context) error {
	f.record("stop")
	return nil
}

func (f *fakeComponent) Reload() error {
	f.reloaded++
	return nil
}

func fakeService(t *testing.T, failAt int) (*Service, *[]string, []*fakeComponent) {
	t.Helper()
	calls := &[]string{}
	mu := &sync.Mutex{}
	s := &Service{logger: slog.New(slog.DiscardHandler)}
	var fakes []*fakeComponent
	for i, name := range []string{"common", "sftpd", "ftpd", "webdavd", "httpd"} {
		f := &fakeComponent{name: name, calls: calls, mu: mu}
		if i == failAt {
			f.startErr = errors.New("listen tcp 127.0.0.1:1: bind: address already in use")
		}
		fakes = append(fakes, f)
		s.components = append(s.components, namedComponent{name: name, c: f})
	}
	return s, calls, fakes
}

// TestStartFailureStopsOnlyWhatStarted: when a component fails to start,
// the error names it once, and the shutdown stops it and those before
// it, in reverse order, never one that was not started.
func TestStartFailureStopsOnlyWhatStarted(t *testing.T) {
	s, calls, _ := fakeService(t, 2)
	err := s.startComponents(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "ftpd: listen") || strings.Count(err.Error(), "ftpd:") != 1 {
		t.Fatalf("start error: %v", err)
	}
	s.shutdown()
	want := []string{"start common", "start sftpd", "start ftpd", "stop ftpd", "stop sftpd", "stop common"}
	if !slices.Equal(*calls, want) {
		t.Fatalf("calls:\n got %v\nwant %v", *calls, want)
	}
}

// TestShutdownReverseOrder: a clean run stops every component in the
// reverse of the start order (protocol servers before the shared state).
func TestShutdownReverseOrder(t *testing.T) {
	s, calls, _ := fakeService(t, -1)
	if err := s.startComponents(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.shutdown()
	want := []string{"start common", "start sftpd", "start ftpd", "start webdavd", "start httpd",
		"stop httpd", "stop webdavd", "stop ftpd", "stop sftpd", "stop common"}
	if !slices.Equal(*calls, want) {
		t.Fatalf("calls:\n got %v\nwant %v", *calls, want)
	}
}

// TestReloadReachesEveryReloader: SIGHUP's reload calls Reload on every
// component that has one, once.
func TestReloadReachesEveryReloader(t *testing.T) {
	s, _, fakes := fakeService(t, -1)
	if err := s.startComponents(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.reload()
	for _, f := range fakes {
		if f.reloaded != 1 {
			t.Errorf("%s reloaded %d times", f.name, f.reloaded)
		}
	}
	s.shutdown()
}

// TestStoreErrorsNameTheComponentOnce: a data provider that cannot be
// reached is reported as "dataprovider: ...", not "data provider:
// dataprovider: ...".
func TestStoreErrorsNameTheComponentOnce(t *testing.T) {
	cfg := config.Default()
	cfg.DataProvider.Driver = "postgresql"
	cfg.DataProvider.Host = "127.0.0.1"
	cfg.DataProvider.Port = 1
	_, _, err := OpenStore(t.Context(), cfg, t.TempDir(), slog.New(slog.DiscardHandler))
	if err == nil {
		t.Fatal("a provider on port 1 opened")
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "dataprovider: ") || strings.Count(msg, "dataprovider:") != 1 || strings.Contains(msg, "data provider:") {
		t.Fatalf("error %q", msg)
	}
	if got := withPrefix("kms", errors.New("boom")).Error(); got != "kms: boom" {
		t.Fatalf("withPrefix: %q", got)
	}
}
