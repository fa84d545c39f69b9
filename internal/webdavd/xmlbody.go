package webdavd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
)

// maxXMLBody bounds the request bodies parsed as XML (PROPFIND,
// PROPPATCH, LOCK); they are read into memory.
const maxXMLBody = 1 << 20

const xmlHeader = `<?xml version="1.0" encoding="utf-8"?>` + "\n"

var errEmptyNamespace = errors.New("webdavd: empty namespace prefix declaration")

// readXMLBody reads a request body meant to be XML and checks it is well
// formed by the rules of XML namespaces: Go's decoder accepts a prefix
// bound to the empty string (xmlns:a=""), which Namespaces in XML 1.0
// forbids. An empty body is returned as nil.
func readXMLBody(r *http.Request) ([]byte, int, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxXMLBody+1))
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	if len(data) > maxXMLBody {
		return nil, http.StatusRequestEntityTooLarge, errors.New("webdavd: XML body too large")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, 0, nil
	}
	if err := checkNamespaces(data); err != nil {
		return nil, http.StatusBadRequest, err
	}
	return data, 0, nil
}

func checkNamespaces(data []byte) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		for _, a := range se.Attr {
			if a.Name.Space == "xmlns" && a.Value == "" {
				return errEmptyNamespace
			}
		}
	}
}

// checkXMLBody validates the body and puts it back for the next reader;
// on failure it writes the error response and returns false.
func (q *request) checkXMLBody() bool {
	data, status, err := readXMLBody(q.r)
	if err != nil {
		q.conn.Logger().Debug("invalid XML body", "method", q.r.Method, "path", q.path, "error", err)
		q.error(status, "invalid XML body")
		return false
	}
	q.r.Body = io.NopCloser(bytes.NewReader(data))
	q.r.ContentLength = int64(len(data))
	return true
}
