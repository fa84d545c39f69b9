package sftpd

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/config"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/hooks"
)

// SetHookRunner gives the keyboard-interactive hook the process's shared
// hook runner (command section, shared HTTP client). Call before Start.
func (s *Server) SetHookRunner(r *hooks.Runner) {
	s.mu.Lock()
	s.hooks = r
	s.mu.Unlock()
}

// hookRunner returns the shared runner, or one with the default command
// and http settings when none was set (tests).
func (s *Server) hookRunner() (*hooks.Runner, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hooks != nil {
		return s.hooks, nil
	}
	def := config.Default()
	r, err := hooks.NewRunner(def.Command, def.HTTP, s.configDir, s.log)
	if err != nil {
		return nil, err
	}
	s.hooks = r
	return r, nil
}

// kbdHookTimeout bounds a whole keyboard-interactive hook dialogue.
const kbdHookTimeout = 60 * time.Second

// kbdHookResponse is what the keyboard_interactive_auth_hook (a program
// printing one JSON line per step, or an HTTP URL answering JSON) returns.
type kbdHookResponse struct {
	Instruction string   `json:"instruction"`
	Questions   []string `json:"questions"`
	Echos       []bool   `json:"echos"`
	// CheckPassword 1: the single question asks for the user's password
	// and the server verifies it ("OK" goes back to the hook).
	CheckPassword int `json:"check_password"`
	// AuthResult 1 means authenticated, 0 go on, anything else failure.
	AuthResult int `json:"auth_result"`
}

// kbdHookRequest is posted to an HTTP hook at every step.
type kbdHookRequest struct {
	RequestID string   `json:"request_id"`
	Step      int      `json:"step"`
	Username  string   `json:"username"`
	IP        string   `json:"ip"`
	Password  string   `json:"password"`
	Answers   []string `json:"answers,omitempty"`
	Questions []string `json:"questions,omitempty"`
}

const maxKbdSteps = 10

// hookLogin runs the keyboard-interactive hook for user; it is the
// login path's check of the keyboard-interactive credential.
func (s *Server) hookLogin(ctx context.Context, conn ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge, user *dataprovider.User) error {
	ctx, cancel := context.WithTimeout(ctx, kbdHookTimeout)
	defer cancel()
	ip, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
	var ok bool
	var err error
	if strings.HasPrefix(s.cfg.KeyboardInteractiveAuthHook, "http://") || strings.HasPrefix(s.cfg.KeyboardInteractiveAuthHook, "https://") {
		ok, err = s.httpKbdHook(ctx, conn, client, user, ip)
	} else {
		ok, err = s.programKbdHook(ctx, conn, client, user, ip)
	}
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("keyboard-interactive hook denied the login")
	}
	return nil
}

// ask relays one step's questions to the client; with check_password the
// answer is verified here and "OK" replaces it.
func (s *Server) ask(ctx context.Context, conn ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge, resp *kbdHookResponse) ([]string, error) {
	if len(resp.Questions) == 0 || len(resp.Questions) != len(resp.Echos) {
		return nil, errors.New("keyboard-interactive hook: invalid questions")
	}
	answers, err := client("", resp.Instruction, resp.Questions, resp.Echos)
	if err != nil {
		return nil, err
	}
	if len(answers) != len(resp.Questions) {
		return nil, errors.New("keyboard-interactive: wrong number of answers")
	}
	if resp.CheckPassword == 1 {
		if len(answers) != 1 {
			return nil, errors.New("keyboard-interactive hook: check_password needs exactly one question")
		}
		if _, err := s.store.CheckUserPassword(ctx, conn.User(), answers[0]); err != nil {
			return nil, err
		}
		return []string{"OK"}, nil
	}
	return answers, nil
}

func (s *Server) programKbdHook(ctx context.Context, conn ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge, user *dataprovider.User, ip string) (bool, error) {
	runner, err := s.hookRunner()
	if err != nil {
		return false, err
	}
	// the environment is only what the hook is documented to get
	cmd, ctx, cancel, _ := runner.Command(ctx, hooks.KindKeyboardInteractive, s.cfg.KeyboardInteractiveAuthHook, []string{
		"SFTPGO_AUTHD_USERNAME=" + user.Username,
		"SFTPGO_AUTHD_IP=" + ip,
		"SFTPGO_AUTHD_PASSWORD=" + user.Password}, kbdHookTimeout)
	defer cancel()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return false, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return false, err
	}
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("keyboard-interactive hook: %w", err)
	}
	defer func() {
		stdin.Close()
		cancel() // kills the process group
		cmd.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 4096), 64*1024)
	for step := 0; step < maxKbdSteps && sc.Scan(); step++ {
		var resp kbdHookResponse
		if err := json.Unmarshal(sc.Bytes(), &resp); err != nil {
			return false, fmt.Errorf("keyboard-interactive hook: bad output: %w", err)
		}
		if resp.AuthResult == 1 {
			return true, nil
		}
		if resp.AuthResult != 0 {
			return false, nil
		}
		answers, err := s.ask(ctx, conn, client, &resp)
		if err != nil {
			return false, err
		}
		for _, a := range answers {
			if _, err := io.WriteString(stdin, a+"\n"); err != nil {
				return false, err
			}
		}
	}
	return false, errors.New("keyboard-interactive hook ended without a result")
}

func (s *Server) httpKbdHook(ctx context.Context, conn ssh.ConnMetadata, client ssh.KeyboardInteractiveChallenge, user *dataprovider.User, ip string) (bool, error) {
	var id [8]byte
	rand.Read(id[:])
	req := kbdHookRequest{RequestID: hex.EncodeToString(id[:]), Username: user.Username, IP: ip, Password: user.Password}
	runner, err := s.hookRunner()
	if err != nil {
		return false, err
	}
	hc := runner.HTTP()
	for step := 1; step <= maxKbdSteps; step++ {
		req.Step = step
		body, _ := json.Marshal(req)
		hresp, err := hc.Do(ctx, http.MethodPost, s.cfg.KeyboardInteractiveAuthHook, body, "application/json")
		if err != nil {
			return false, fmt.Errorf("keyboard-interactive hook: %w", err)
		}
		var resp kbdHookResponse
		err = json.Unmarshal(hresp.Body, &resp)
		if hresp.StatusCode != http.StatusOK {
			return false, fmt.Errorf("keyboard-interactive hook: HTTP status %d", hresp.StatusCode)
		}
		if err != nil {
			return false, fmt.Errorf("keyboard-interactive hook: bad response: %w", err)
		}
		if resp.AuthResult == 1 {
			return true, nil
		}
		if resp.AuthResult != 0 {
			return false, nil
		}
		answers, err := s.ask(ctx, conn, client, &resp)
		if err != nil {
			return false, err
		}
		req.Questions, req.Answers = resp.Questions, answers
	}
	return false, errors.New("keyboard-interactive hook: too many steps")
}
