package logger

import (
	"context"
	"log/slog"
	"time"
)

// Senders of the transfer lines, as SFTPGo names them.
const (
	SenderUpload   = "Upload"
	SenderDownload = "Download"
)

// TransferRecord describes a finished upload or download.
type TransferRecord struct {
	Upload       bool
	LocalAddr    string // the address the connection arrived on, "" when unknown
	RemoteAddr   string // the client's address, with port when known
	Elapsed      time.Duration
	Size         int64  // bytes transferred
	Username     string // the user's name
	FilePath     string // the path in the storage: the OS path for local storage
	VirtualPath  string // the path the client sees
	ConnectionID string
	Protocol     string // SFTP, SCP, FTP, DAV, HTTP, ...
	FTPMode      string // "active" or "passive", FTP only
	Err          error  // why the transfer failed, nil on success
}

// Transfer writes the line of a finished transfer.
//
// With the JSON handler it is SFTPGo's transfer line: sender Upload or
// Download, then local_addr, remote_addr, elapsed_ms, size_bytes,
// username, file_path, virtual_path, connection_id, protocol in this
// order, ftp_mode for FTP, and error when the transfer failed; none of
// the logger's own attributes, no message. Level info, warn on failure.
//
// With the text handler it is "upload finished" / "download finished"
// (or "upload failed" / "download failed") with path, bytes, elapsed_ms,
// file_path and error, after the logger's own attributes (connection,
// user, protocol).
func Transfer(l *slog.Logger, t TransferRecord) {
	if l == nil {
		l = slog.Default()
	}
	level := slog.LevelInfo
	if t.Err != nil {
		level = slog.LevelWarn
	}
	elapsed := t.Elapsed.Milliseconds()
	if h, ok := l.Handler().(*jsonHandler); ok {
		sender := SenderDownload
		if t.Upload {
			sender = SenderUpload
		}
		attrs := []slog.Attr{
			slog.String("local_addr", t.LocalAddr),
			slog.String("remote_addr", t.RemoteAddr),
			slog.Int64("elapsed_ms", elapsed),
			slog.Int64("size_bytes", t.Size),
			slog.String("username", t.Username),
			slog.String("file_path", t.FilePath),
			slog.String("virtual_path", t.VirtualPath),
			slog.String("connection_id", t.ConnectionID),
			slog.String("protocol", t.Protocol),
		}
		if t.FTPMode != "" {
			attrs = append(attrs, slog.String("ftp_mode", t.FTPMode))
		}
		if t.Err != nil {
			attrs = append(attrs, slog.String("error", t.Err.Error()))
		}
		_ = h.writeExact(level, sender, "", attrs...)
		return
	}
	msg := "download"
	if t.Upload {
		msg = "upload"
	}
	if t.Err != nil {
		msg += " failed"
	} else {
		msg += " finished"
	}
	attrs := []slog.Attr{
		slog.String("path", t.VirtualPath),
		slog.Int64("bytes", t.Size),
		slog.Int64("elapsed_ms", elapsed),
		slog.String("file_path", t.FilePath),
	}
	if t.FTPMode != "" {
		attrs = append(attrs, slog.String("ftp_mode", t.FTPMode))
	}
	if t.Err != nil {
		attrs = append(attrs, slog.Any("error", t.Err))
	}
	l.LogAttrs(context.Background(), level, msg, attrs...)
}
