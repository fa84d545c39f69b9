package ftpfs_test

import (
	"bufio"
	"errors"
	"io/fs"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/vfs"
	"github.com/sftpgo-ng/sftpgo/internal/vfs/ftpfs"
)

// fakeServer answers the control commands Chtimes needs, to check which
// command sets the time on servers vsftpd and our own do not imitate.
type fakeServer struct {
	addr string
	feat []string // FEAT lines
	site string   // SITE HELP reply text
	mu   sync.Mutex
	cmds []string
}

func startFake(t *testing.T, feat []string, site string) *fakeServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{addr: l.Addr().String(), feat: feat, site: site}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeServer) serve(c net.Conn) {
	defer c.Close()
	w := bufio.NewWriter(c)
	reply := func(s string) { w.WriteString(s + "\r\n"); w.Flush() }
	reply("220 fake")
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		line := sc.Text()
		cmd, arg, _ := strings.Cut(line, " ")
		f.mu.Lock()
		f.cmds = append(f.cmds, line)
		f.mu.Unlock()
		switch strings.ToUpper(cmd) {
		case "USER":
			reply("331 password please")
		case "PASS":
			reply("230 logged in")
		case "FEAT":
			reply("211-Features:\r\n " + strings.Join(append(f.feat, "SIZE"), "\r\n ") + "\r\n211 End")
		case "TYPE", "NOOP":
			reply("200 ok")
		case "SIZE":
			if arg == "/missing" {
				reply("550 no such file")
			} else {
				reply("213 1")
			}
		case "CWD":
			reply("550 not a directory")
		case "MFMT":
			if strings.HasSuffix(arg, "/missing") {
				reply("550 no such file")
			} else {
				reply("213 Modify=" + strings.Fields(arg)[0] + "; " + strings.Fields(arg)[1])
			}
		case "SITE":
			switch {
			case strings.EqualFold(arg, "HELP"):
				reply("214-The following SITE commands are recognized\r\n " + f.site + "\r\n214 Help OK")
			case strings.HasPrefix(strings.ToUpper(arg), "MTIME ") && strings.HasSuffix(arg, "/missing"):
				reply("550 no such file")
			case strings.HasPrefix(strings.ToUpper(arg), "MTIME "):
				reply("200 time set")
			default:
				reply("500 unknown SITE command")
			}
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

func (f *fakeServer) sent(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.cmds {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

func TestChtimesCommands(t *testing.T) {
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		name string
		feat []string
		site string
		want string // command expected, "" for no ChtimesFs
	}{
		{"MFMT", []string{"MFMT", "MDTM"}, "CHMOD HELP", "MFMT 20200102030405 /f"},
		{"SITE MTIME", []string{"MDTM"}, "CHMOD MTIME HELP", "SITE MTIME 20200102030405 /f"},
		{"neither", []string{"MDTM"}, "CHMOD UMASK HELP", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startFake(t, c.feat, c.site)
			fsys, err := ftpfs.New(t.Context(), ftpfs.Config{Endpoint: srv.addr, Username: "u", Password: "p"})
			if err != nil {
				t.Fatal(err)
			}
			defer fsys.Close()
			ct, ok := fsys.(vfs.ChtimesFs)
			if c.want == "" {
				if ok {
					t.Fatal("Fs offers Chtimes on a server that cannot set times")
				}
				return
			}
			if !ok {
				t.Fatal("Fs does not offer Chtimes")
			}
			if err := ct.Chtimes(t.Context(), "/f", time.Now(), mtime.In(time.FixedZone("X", 3600))); err != nil {
				t.Fatal(err)
			}
			verb := strings.Fields(c.want)[0]
			if got := srv.sent(verb); len(got) == 0 || got[len(got)-1] != c.want {
				t.Fatalf("sent %q, want %q", got, c.want)
			}
			err = ct.Chtimes(t.Context(), "/missing", time.Now(), mtime)
			if !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Chtimes of a missing file: %v, want fs.ErrNotExist", err)
			}
		})
	}
}
