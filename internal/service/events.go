package service

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/sftpgo-ng/sftpgo/internal/common"
	"github.com/sftpgo-ng/sftpgo/internal/dataprovider"
	"github.com/sftpgo-ng/sftpgo/internal/events"
	"github.com/sftpgo-ng/sftpgo/internal/hooks"
	"github.com/sftpgo-ng/sftpgo/internal/smtp"
)

// buildEvents creates the event manager: it reads its rules from the
// store, runs commands listed in common.event_manager.enabled_commands,
// calls HTTP endpoints through the shared client and does filesystem
// actions through the connections layer, once conns is set.
func (s *Service) buildEvents(runner *hooks.Runner, conns *atomic.Pointer[common.Server], mailer *smtp.Client) *events.Manager {
	s.store.SetEventCommands(s.cfg.Common.EventManager.EnabledCommands)
	node, _ := os.Hostname()
	var m2 events.Mailer
	if mailer != nil {
		m2 = eventMailer{mailer}
	}
	m := events.New(events.Options{
		Mailer:      m2,
		Store:       s.store,
		Runner:      runner,
		Logger:      s.logger,
		Node:        node,
		BackupsPath: s.resolve(s.cfg.DataProvider.BackupsPath),
		RotateLogs:  s.opts.RotateLog,
		Fs: func(ctx context.Context, user dataprovider.User) (events.FsConn, error) {
			srv := conns.Load()
			if srv == nil {
				return nil, fmt.Errorf("file access is not ready")
			}
			return newEventFsConn(ctx, s.store, srv, user)
		},
	})
	s.components = append(s.components, namedComponent{"events", m})
	s.eventsMgr.Store(m)
	return m
}

// eventMailer sends the e-mail actions through the smtp section's client.
type eventMailer struct{ c *smtp.Client }

func (e eventMailer) Send(ctx context.Context, m events.Mail) error {
	atts := make([]smtp.Attachment, len(m.Attachments))
	for i, a := range m.Attachments {
		atts[i] = smtp.Attachment{Name: a.Name, Data: a.Data}
	}
	return e.c.Send(ctx, smtp.Mail{To: m.To, Cc: m.Cc, Bcc: m.Bcc, Subject: m.Subject, Body: m.Body, HTML: m.HTML,
		Attachments: atts})
}

var eventConnID atomic.Int64

// eventFsConn is a connection of the user with every permission, for
// the filesystem actions of the event manager (protocol EventAction).
type eventFsConn struct {
	c *common.BaseConnection
}

func newEventFsConn(ctx context.Context, st *dataprovider.Store, srv *common.Server, user dataprovider.User) (*eventFsConn, error) {
	u, err := st.GetEffectiveUser(ctx, user.Username)
	if err != nil {
		return nil, err
	}
	u.Permissions = map[string][]string{"/": {dataprovider.PermAny}}
	u.Filters.FilePatterns = nil
	id := fmt.Sprintf("event_%d", eventConnID.Add(1))
	return &eventFsConn{c: srv.NewConnection(id, events.ProtocolEventAction, "127.0.0.1:0", "", u, nil)}, nil
}

func (e *eventFsConn) Stat(ctx context.Context, vpath string) (os.FileInfo, error) {
	return e.c.Stat(ctx, vpath)
}
func (e *eventFsConn) Mkdir(ctx context.Context, vpath string) error { return e.c.Mkdir(ctx, vpath) }
func (e *eventFsConn) Rename(ctx context.Context, src, dst string) error {
	return e.c.Rename(ctx, src, dst)
}
func (e *eventFsConn) Copy(ctx context.Context, src, dst string) error {
	return e.c.Copy(ctx, src, dst)
}
func (e *eventFsConn) RemoveAll(ctx context.Context, vpath string) error {
	return e.c.RemoveAll(ctx, vpath)
}
func (e *eventFsConn) Close() error { return e.c.Close() }

func (e *eventFsConn) OpenRead(ctx context.Context, vpath string) (io.ReadCloser, error) {
	t, err := e.c.OpenForRead(ctx, vpath, 0)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (e *eventFsConn) Create(ctx context.Context, vpath string) (events.FileWriter, error) {
	t, err := e.c.OpenForWrite(ctx, vpath, common.WriteOptions{Truncate: true})
	if err != nil {
		return nil, err
	}
	return eventWriter{t}, nil
}

func (e *eventFsConn) ReadDir(ctx context.Context, vpath string) ([]os.FileInfo, error) {
	l, err := e.c.ListDir(ctx, vpath)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	var out []os.FileInfo
	for {
		batch, err := l.Next(1000)
		out = append(out, batch...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

type eventWriter struct{ t *common.Transfer }

func (w eventWriter) Write(p []byte) (int, error) { return w.t.Write(p) }
func (w eventWriter) Close() error                { return w.t.Close() }
func (w eventWriter) Abort(err error)             { w.t.TransferError(err) }
