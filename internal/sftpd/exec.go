package sftpd

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

// commandEnabled applies enabled_ssh_commands ("*" enables all).
func (s *Server) commandEnabled(name string) bool {
	return slices.Contains(s.cfg.EnabledSSHCommands, "*") || slices.Contains(s.cfg.EnabledSSHCommands, name)
}

// execHandler returns the function running an exec request (it returns
// the exit status), or nil to refuse it.
func (s *Server) execHandler(conn *common.BaseConnection, ch ssh.Channel, command string) func() uint32 {
	args, err := splitCommand(command)
	if err != nil || len(args) == 0 {
		conn.Logger().Info("exec request refused", "command", command, "error", err)
		return nil
	}
	name := args[0]
	if dataprovider.CleanVirtualPath(s.cfg.FolderPrefix) != "/" {
		// SCP and commands do not know the prefix: disabled with it
		conn.Logger().Info("exec request refused: folder_prefix is set", "command", name)
		return nil
	}
	if !s.commandEnabled(name) {
		conn.Logger().Info("exec request refused", "command", name)
		return nil
	}
	conn.SetCommand(command)
	switch name {
	case "scp":
		sc, err := parseSCP(args[1:])
		if err != nil {
			conn.Logger().Info("scp request refused", "command", command, "error", err)
			return nil
		}
		return func() uint32 { return (&scpSession{conn: conn, ch: ch, opts: sc}).run() }
	case "md5sum", "sha1sum", "sha256sum", "sha512sum":
		return func() uint32 {
			st := hashCommand(conn, ch, name, args[1:])
			conn.SSHCommandDone(command, strings.Join(args[1:min(2, len(args))], ""), st != 0)
			return st
		}
	case "cd":
		return func() uint32 { return 0 }
	case "pwd":
		return func() uint32 {
			dir := "/"
			if sd := conn.User.Filters.StartDirectory; sd != "" {
				dir = dataprovider.CleanVirtualPath(sd)
			}
			fmt.Fprintln(ch, dir)
			return 0
		}
	}
	return nil
}

// hashAlgo maps a command to its algorithm name.
func hashAlgo(command string) string { return strings.TrimSuffix(command, "sum") }

// hashCommand prints "<hex>  <name>" lines like coreutils; with no file
// it hashes what the client sends on stdin.
func hashCommand(conn *common.BaseConnection, ch ssh.Channel, name string, files []string) uint32 {
	if len(files) == 0 {
		h := common.NewHash(hashAlgo(name))
		if _, err := io.Copy(h, ch); err != nil {
			fmt.Fprintf(ch.Stderr(), "%s: -: %v\n", name, err)
			return 1
		}
		fmt.Fprintf(ch, "%x  -\n", h.Sum(nil))
		return 0
	}
	status := uint32(0)
	for _, f := range files {
		vpath := f
		if !strings.HasPrefix(vpath, "/") {
			vpath = "/" + vpath
			if sd := conn.User.Filters.StartDirectory; sd != "" {
				vpath = dataprovider.CleanVirtualPath(sd) + vpath
			}
		}
		sum, err := conn.Checksum(conn.Context(), vpath, hashAlgo(name))
		if err != nil {
			fmt.Fprintf(ch.Stderr(), "%s: %s: %v\n", name, f, err)
			status = 1
			continue
		}
		fmt.Fprintf(ch, "%s  %s\n", sum, f)
	}
	return status
}

// splitCommand splits an exec command line like a POSIX shell would for
// plain words, single and double quotes and backslash escapes.
func splitCommand(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
				inWord = true
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated quote")
			}
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}
