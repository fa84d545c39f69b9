package smtptest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Parsed is a received message decoded for assertions.
type Parsed struct {
	Header      mail.Header
	Subject     string
	Text        string            // first text/plain part
	HTML        string            // first text/html part
	Attachments map[string][]byte // by file name
}

// Parse decodes the headers, the body parts and the attachments of m.
func (m Message) Parse() (*Parsed, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return nil, fmt.Errorf("smtptest: %w", err)
	}
	p := &Parsed{Header: msg.Header, Attachments: map[string][]byte{}}
	dec := new(mime.WordDecoder)
	if p.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, fmt.Errorf("smtptest: subject: %w", err)
	}
	if err := p.part(textproto(msg.Header), msg.Body); err != nil {
		return nil, err
	}
	return p, nil
}

type header interface{ Get(string) string }

type textproto mail.Header

func (h textproto) Get(k string) string { return mail.Header(h).Get(k) }

func (p *Parsed) part(h header, body io.Reader) error {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("smtptest: content type %q: %w", ct, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("smtptest: multipart: %w", err)
			}
			if err := p.part(part.Header, part); err != nil {
				return err
			}
		}
	}
	data, err := decodeBody(h.Get("Content-Transfer-Encoding"), body)
	if err != nil {
		return err
	}
	name := ""
	if _, dp, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil {
		name = dp["filename"]
	}
	if name == "" {
		name = params["name"]
	}
	switch {
	case name != "":
		p.Attachments[name] = data
	case mt == "text/plain" && p.Text == "":
		p.Text = string(data)
	case mt == "text/html" && p.HTML == "":
		p.HTML = string(data)
	}
	return nil
}

func decodeBody(cte string, r io.Reader) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r) // ignores line breaks
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("smtptest: body (%s): %w", cte, err)
	}
	return b, nil
}
