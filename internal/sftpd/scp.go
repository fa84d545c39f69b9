package sftpd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
)

type scpOptions struct {
	sink      bool // -t: the client uploads
	source    bool // -f: the client downloads
	recursive bool // -r
	times     bool // -p
	targetDir bool // -d
	paths     []string
}

func parseSCP(args []string) (scpOptions, error) {
	var o scpOptions
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		for _, f := range a[1:] {
			switch f {
			case 't':
				o.sink = true
			case 'f':
				o.source = true
			case 'r':
				o.recursive = true
			case 'p':
				o.times = true
			case 'd':
				o.targetDir = true
			case 'v', 'q', 'E':
			default:
				return o, fmt.Errorf("unsupported scp option -%c", f)
			}
		}
	}
	o.paths = args[i:]
	if o.sink == o.source {
		return o, errors.New("exactly one of -t and -f is required")
	}
	if len(o.paths) == 0 {
		return o, errors.New("missing path")
	}
	if o.sink && len(o.paths) != 1 {
		return o, errors.New("scp -t takes one target")
	}
	return o, nil
}

// scpSession runs the legacy SCP protocol (rcp-style messages over the
// exec channel) against a common connection.
type scpSession struct {
	conn *common.BaseConnection
	ch   ssh.Channel
	opts scpOptions
	r    *bufio.Reader
	errs int // errors reported to the client; the exit status is 1 if any
}

var errSCPProtocol = errors.New("scp: protocol error")

func (s *scpSession) run() uint32 {
	s.r = bufio.NewReader(s.ch)
	var err error
	if s.opts.sink {
		err = s.sink()
	} else {
		err = s.source()
	}
	if err != nil {
		s.conn.Logger().Info("scp failed", "error", err)
		return 1
	}
	if s.errs > 0 {
		return 1
	}
	return 0
}

func (s *scpSession) resolve(p string) string {
	if !path.IsAbs(p) {
		base := "/"
		if sd := s.conn.User.Filters.StartDirectory; sd != "" {
			base = sd
		}
		p = path.Join(base, p)
	}
	return dataprovider.CleanVirtualPath(p)
}

func (s *scpSession) ack() error {
	_, err := s.ch.Write([]byte{0})
	return err
}

// fail sends a fatal error to the client.
func (s *scpSession) fail(err error) error {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(s.ch, "\x02scp: %s\n", msg)
	return err
}

// warn reports a non-fatal error (the client goes on with the next file).
// As with OpenSSH's scp, the client does not answer a warning: a source
// that sends one goes straight on with its next message.
func (s *scpSession) warn(err error) {
	s.errs++
	s.conn.Logger().Info("scp error reported to the client", "error", err)
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(s.ch, "\x01scp: %s\n", msg)
}

// readAck reads the client's reply to a message.
func (s *scpSession) readAck() error {
	b, err := s.r.ReadByte()
	if err != nil {
		return err
	}
	switch b {
	case 0:
		return nil
	case 1, 2:
		line, _ := s.r.ReadString('\n')
		return fmt.Errorf("client error: %s", strings.TrimSpace(line))
	}
	return errSCPProtocol
}

// sink receives files from the client into opts.paths[0].
func (s *scpSession) sink() error {
	target := s.resolve(s.opts.paths[0])
	ctx := s.conn.Context()
	targetIsDir := false
	if fi, err := s.conn.Stat(ctx, target); err == nil && fi.IsDir() {
		targetIsDir = true
	} else if s.opts.targetDir {
		return s.fail(fmt.Errorf("%s: not a directory", s.opts.paths[0]))
	}
	dirs := []string{} // stack of directories entered with D
	var mtime, atime time.Time
	haveTimes := false
	if err := s.ack(); err != nil {
		return err
	}
	for {
		line, err := s.r.ReadString('\n')
		if errors.Is(err, io.EOF) && line == "" {
			return nil
		}
		if err != nil {
			return err
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			return s.fail(errSCPProtocol)
		}
		switch line[0] {
		case 'T':
			var ms, mus, as, aus int64
			if _, err := fmt.Sscanf(line[1:], "%d %d %d %d", &ms, &mus, &as, &aus); err != nil {
				return s.fail(errSCPProtocol)
			}
			mtime, atime, haveTimes = time.Unix(ms, 0), time.Unix(as, 0), true
			if err := s.ack(); err != nil {
				return err
			}
		case 'E':
			if len(dirs) == 0 {
				return s.fail(errSCPProtocol)
			}
			dirs = dirs[:len(dirs)-1]
			if err := s.ack(); err != nil {
				return err
			}
		case 'C', 'D':
			mode, size, name, err := parseSCPHeader(line[1:])
			if err != nil {
				return s.fail(err)
			}
			var dst string
			switch {
			case len(dirs) > 0:
				dst = path.Join(dirs[len(dirs)-1], name)
			case targetIsDir:
				dst = path.Join(target, name)
			default:
				dst = target
			}
			if line[0] == 'D' {
				if !s.opts.recursive {
					return s.fail(errors.New("received a directory without -r"))
				}
				if err := s.mkdir(dst); err != nil {
					s.warn(err)
					return err
				}
				if s.opts.times && haveTimes {
					s.conn.Chtimes(ctx, dst, atime, mtime)
				}
				if s.opts.times {
					s.conn.Chmod(ctx, dst, mode)
				}
				haveTimes = false
				dirs = append(dirs, dst)
				if err := s.ack(); err != nil {
					return err
				}
				continue
			}
			if err := s.receiveFile(dst, size, mode, haveTimes, atime, mtime); err != nil {
				return err
			}
			haveTimes = false
		case 1:
			continue // client warning
		case 2:
			return fmt.Errorf("client error: %s", line[1:])
		default:
			return s.fail(errSCPProtocol)
		}
	}
}

func (s *scpSession) mkdir(dst string) error {
	ctx := s.conn.Context()
	if fi, err := s.conn.Stat(ctx, dst); err == nil {
		if fi.IsDir() {
			return nil
		}
		return fmt.Errorf("%s: not a directory", dst)
	}
	return s.conn.Mkdir(ctx, dst)
}

func parseSCPHeader(h string) (os.FileMode, int64, string, error) {
	parts := strings.SplitN(h, " ", 3)
	if len(parts) != 3 {
		return 0, 0, "", errSCPProtocol
	}
	mode, err := strconv.ParseUint(parts[0], 8, 32)
	if err != nil {
		return 0, 0, "", errSCPProtocol
	}
	size, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || size < 0 {
		return 0, 0, "", errSCPProtocol
	}
	name := parts[2]
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return 0, 0, "", fmt.Errorf("invalid file name %q", name)
	}
	return os.FileMode(mode).Perm(), size, name, nil
}

// receiveFile reads one file's data; the data is always consumed so the
// protocol stays in step even when the upload is refused.
func (s *scpSession) receiveFile(dst string, size int64, mode os.FileMode, haveTimes bool, atime, mtime time.Time) error {
	ctx := s.conn.Context()
	t, err := s.conn.OpenForWrite(ctx, dst, common.WriteOptions{Truncate: true, Size: size, Mode: mode})
	if err != nil {
		// refuse before the client sends data
		s.warn(err)
		return nil
	}
	t.SetLogProtocol(logProtocolSCP)
	if err := s.ack(); err != nil {
		t.TransferError(err)
		t.Close()
		return err
	}
	n, cerr := io.CopyN(t, s.r, size)
	if cerr != nil && n < size {
		// drain what the client still sends for this file
		if _, derr := io.CopyN(io.Discard, s.r, size-n); derr != nil {
			t.TransferError(derr)
			t.Close()
			return derr
		}
		t.TransferError(cerr)
	}
	if err := s.readAck(); err != nil {
		t.TransferError(err)
		t.Close()
		return err
	}
	if err := t.Close(); err != nil {
		s.warn(err)
		return nil
	}
	if cerr != nil {
		s.warn(cerr)
		return nil
	}
	if haveTimes {
		s.conn.Chtimes(ctx, dst, atime, mtime)
	}
	if s.opts.times {
		s.conn.Chmod(ctx, dst, mode)
	}
	return s.ack()
}

// source sends the requested files to the client.
func (s *scpSession) source() error {
	if err := s.readAck(); err != nil {
		return err
	}
	for _, p := range s.opts.paths {
		if err := s.send(s.resolve(p)); err != nil {
			return err
		}
	}
	return nil
}

// send sends one file or, with -r, one directory tree. Errors about a
// file (missing, refused, unreadable) are reported with a warning that
// the client does not acknowledge, and the transfer goes on with the next
// path; only protocol and channel errors end the session.
func (s *scpSession) send(vpath string) error {
	ctx := s.conn.Context()
	name := path.Base(vpath)
	if vpath == "/" {
		name = "/"
	}
	fi, err := s.conn.Stat(ctx, vpath)
	if err != nil {
		s.warn(fmt.Errorf("%s: %w", name, err))
		return nil
	}
	if fi.IsDir() && !s.opts.recursive {
		s.warn(fmt.Errorf("%s: not a regular file", name))
		return nil
	}
	if fi.IsDir() {
		return s.sendDir(vpath, name, fi)
	}
	t, err := s.conn.OpenForRead(ctx, vpath, 0)
	if err != nil {
		s.warn(fmt.Errorf("%s: %w", name, err))
		return nil
	}
	t.SetLogProtocol(logProtocolSCP)
	defer t.Close()
	if err := s.sendTimes(fi); err != nil {
		return err
	}
	size := fi.Size()
	fmt.Fprintf(s.ch, "C%04o %d %s\n", fi.Mode().Perm(), size, name)
	if err := s.readAck(); err != nil {
		return err
	}
	n, err := io.CopyN(s.ch, t, size)
	if err != nil {
		// the client expects exactly size bytes: pad, then report the
		// error in place of the final ack, as OpenSSH's scp does
		if _, werr := io.CopyN(s.ch, zeroReader{}, size-n); werr != nil {
			return fmt.Errorf("scp: sent %d of %d bytes: %w", n, size, werr)
		}
		s.warn(fmt.Errorf("%s: %w", name, err))
		return s.readAck()
	}
	if err := s.ack(); err != nil {
		return err
	}
	return s.readAck()
}

func (s *scpSession) sendTimes(fi os.FileInfo) error {
	if !s.opts.times {
		return nil
	}
	fmt.Fprintf(s.ch, "T%d 0 %d 0\n", fi.ModTime().Unix(), fi.ModTime().Unix())
	return s.readAck()
}

func (s *scpSession) sendDir(vpath, name string, fi os.FileInfo) error {
	ctx := s.conn.Context()
	l, err := s.conn.ListDir(ctx, vpath)
	if err != nil {
		s.warn(fmt.Errorf("%s: %w", name, err))
		return nil
	}
	var names []string
	var lerr error
	for {
		var batch []os.FileInfo
		batch, lerr = l.Next(100)
		for _, e := range batch {
			names = append(names, e.Name())
		}
		if lerr != nil {
			break
		}
	}
	l.Close()
	if err := s.sendTimes(fi); err != nil {
		return err
	}
	fmt.Fprintf(s.ch, "D%04o 0 %s\n", fi.Mode().Perm(), name)
	if err := s.readAck(); err != nil {
		return err
	}
	if lerr != nil && !errors.Is(lerr, io.EOF) {
		s.warn(fmt.Errorf("%s: %w", name, lerr))
	}
	for _, n := range names {
		if err := s.send(path.Join(vpath, n)); err != nil {
			return err
		}
	}
	fmt.Fprint(s.ch, "E\n")
	return s.readAck()
}

// zeroReader pads a file whose read failed part way.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
