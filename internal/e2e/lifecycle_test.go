package e2e

import (
	"net"
	"strconv"
	"strings"
	"testing"
)

// TestLifecycleMessages: SIGTERM ends with a "stopped" line, and a start
// error names its component once ("sftpd: listen ...", not "sftpd: sftpd:").
func TestLifecycleMessages(t *testing.T) {
	in := newInstance(t, t.TempDir())
	in.start()
	in.stop()
	if !strings.Contains(in.log.String(), `msg=stopped`) {
		t.Errorf("no \"stopped\" line after SIGTERM:\n%s", in.log.String())
	}

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	in2 := newInstance(t, t.TempDir(), "SFTPGO_SFTPD__BINDINGS__0__PORT="+strconv.Itoa(busy.Addr().(*net.TCPAddr).Port))
	out, err := in2.run("serve", "--config-dir", in2.configDir, "--log-file-path", "-")
	if err == nil {
		t.Fatal("serve started on a port in use")
	}
	if !strings.Contains(out, "sftpd: listen") || strings.Contains(out, "sftpd: sftpd:") {
		t.Errorf("start error does not name sftpd exactly once:\n%s", out)
	}
}
