// Package hooks runs the external programs and HTTP endpoints that
// SFTPGo-compatible installations plug into the server: authentication
// hooks, connection hooks, filesystem custom actions and provider actions.
// A hook is either the absolute path of an executable or an http(s) URL.
// Programs run with a cleared environment (only the variables documented
// for the hook plus the command section's env) and are killed, with their
// children, at their timeout; URLs are called through one shared Client
// built from the http section.
package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"time"

	"github.com/sftpgo-ng/sftpgo/internal/config"
)

// Kind names a hook, as command.commands[].hook does.
type Kind string

// Hook kinds.
const (
	KindFsActions           Kind = "fs_actions"
	KindProviderActions     Kind = "provider_actions"
	KindStartup             Kind = "startup"
	KindPostConnect         Kind = "post_connect"
	KindPostDisconnect      Kind = "post_disconnect"
	KindCheckPassword       Kind = "check_password"
	KindPreLogin            Kind = "pre_login"
	KindPostLogin           Kind = "post_login"
	KindExternalAuth        Kind = "external_auth"
	KindKeyboardInteractive Kind = "keyboard_interactive"
	// KindOPKSSH is sftpd.opkssh_path, run as "opkssh verify".
	KindOPKSSH Kind = "opkssh"
)

// maxOutput bounds what is read from a program's stdout or an HTTP body.
const maxOutput = 1 << 20

// IsURL reports whether hook is an HTTP endpoint rather than a program.
func IsURL(hook string) bool {
	return strings.HasPrefix(hook, "http://") || strings.HasPrefix(hook, "https://")
}

// Runner runs program hooks with the command section's settings and
// calls HTTP hooks through the shared client.
type Runner struct {
	cmd  config.CommandConfig
	http *Client
	log  *slog.Logger
}

// NewRunner builds the runner from the command and http sections; paths
// in the http section are relative to configDir.
func NewRunner(cmd config.CommandConfig, hc config.HTTPClientConfig, configDir string, log *slog.Logger) (*Runner, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client, err := NewClient(hc, configDir, log)
	if err != nil {
		return nil, err
	}
	return &Runner{cmd: cmd, http: client, log: log}, nil
}

// HTTP returns the shared outgoing HTTP client.
func (r *Runner) HTTP() *Client { return r.http }

// Logger returns the runner's logger.
func (r *Runner) Logger() *slog.Logger { return r.log }

// settings returns the timeout, extra environment and arguments of the
// program at path run as hook kind: the command section's timeout and env
// and those of the first commands[] entry for that path (and hook, when
// the entry names one).
func (r *Runner) settings(path string, kind Kind, fallback time.Duration) (time.Duration, []string, []string) {
	timeout := fallback
	if r.cmd.Timeout > 0 {
		timeout = time.Duration(r.cmd.Timeout) * time.Second
	}
	env := append([]string(nil), r.cmd.Env...)
	var args []string
	for _, c := range r.cmd.Commands {
		if c.Path != path || (c.Hook != "" && Kind(c.Hook) != kind) {
			continue
		}
		if c.Timeout > 0 {
			timeout = time.Duration(c.Timeout) * time.Second
		}
		env = append(env, c.Env...)
		args = append(args, c.Args...)
		break
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return timeout, env, args
}

// Command prepares the program at path to run as hook kind with args
// after the configured ones and exactly env plus the configured
// environment; the returned context carries its
// timeout and cancel must be called when done. Cancelling the context
// kills the program's whole process group, so a shell script's children
// die with it.
func (r *Runner) Command(ctx context.Context, kind Kind, path string, env []string, fallback time.Duration, args ...string) (*exec.Cmd, context.Context, context.CancelFunc, time.Duration) {
	timeout, extra, confArgs := r.settings(path, kind, fallback)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	cmd := exec.CommandContext(ctx, path, append(confArgs, args...)...)
	cmd.Env = append(append([]string{}, env...), extra...)
	killGroupOnCancel(cmd)
	// children holding stdout open must not keep Wait blocked
	cmd.WaitDelay = 500 * time.Millisecond
	return cmd, ctx, cancel, timeout
}

// Exec runs the program at path as hook kind with env (KEY=VALUE) and
// args after the configured ones, and returns its standard output. A
// non-zero exit, a start failure or the timeout is an error.
func (r *Runner) Exec(ctx context.Context, kind Kind, path string, env []string, fallback time.Duration, args ...string) ([]byte, error) {
	cmd, cctx, cancel, timeout := r.Command(ctx, kind, path, env, fallback, args...)
	defer cancel()
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = maxOutput, 4096
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if err != nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("timed out after %s", timeout)
	}
	if err != nil {
		r.log.Warn("hook failed", "hook", string(kind), "cmd", path, "elapsed_ms", elapsed.Milliseconds(),
			"error", err, "stderr", strings.TrimSpace(stderr.buf.String()))
		return nil, fmt.Errorf("%s hook %s: %w", kind, path, err)
	}
	r.log.Debug("hook executed", "hook", string(kind), "cmd", path, "elapsed_ms", elapsed.Milliseconds())
	return stdout.buf.Bytes(), nil
}

// limitedBuffer keeps the first max bytes written and drops the rest
// (without failing the writer, so the program is not killed by SIGPIPE).
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		if len(p) > room {
			b.buf.Write(p[:room])
		} else {
			b.buf.Write(p)
		}
	}
	return len(p), nil
}

var _ io.Writer = (*limitedBuffer)(nil)

// env formats KEY=VALUE pairs.
func env(kv ...string) []string {
	out := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, kv[i]+"="+kv[i+1])
	}
	return out
}
