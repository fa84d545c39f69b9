// Package sigv4 verifies AWS Signature Version 4 on incoming S3 requests:
// the Authorization header and the presigned-URL (query) forms, the
// payload hash (a SHA-256 of the body, UNSIGNED-PAYLOAD, or the chunked
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD and STREAMING-UNSIGNED-PAYLOAD-TRAILER
// encodings), the credential scope and the clock skew. It is the
// authentication layer of the S3 endpoint (issue 21); it knows nothing
// of users: the caller looks the secret up by access key id.
package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm = "AWS4-HMAC-SHA256"
	// timeFormat is the x-amz-date format; dateFormat the scope's date.
	timeFormat = "20060102T150405Z"
	dateFormat = "20060102"

	// UnsignedPayload is the payload hash of a body the signature does
	// not cover.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// StreamingPayload is the payload hash of an aws-chunked body whose
	// chunks are signed one by one.
	StreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	// StreamingUnsignedTrailer is the payload hash of an aws-chunked body
	// with no chunk signatures and a trailing checksum.
	StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

	// MaxSkew is how far a request's time may be from ours.
	MaxSkew = 15 * time.Minute
	// MaxPresignExpiry is the longest validity of a presigned URL.
	MaxPresignExpiry = 7 * 24 * time.Hour
)

// Error is a verification failure with the S3 error code and HTTP status
// the endpoint answers with.
type Error struct {
	Code    string // SignatureDoesNotMatch, InvalidAccessKeyId, ...
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func newErr(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

// ErrUnknownKey is what a Lookup returns for an access key it does not
// know; Verify answers InvalidAccessKeyId.
var ErrUnknownKey = errors.New("sigv4: unknown access key")

// Verifier checks requests.
type Verifier struct {
	// Region the endpoint reports; a request signed for another is
	// refused. Empty accepts any region.
	Region string
	// Lookup returns the secret of an access key id (ErrUnknownKey when
	// there is none).
	Lookup func(ctx context.Context, accessKey string) (string, error)
	// Now is the clock (time.Now when nil), injectable in tests.
	Now func() time.Time
	// MaxChunk bounds one chunk of a chunked upload (16 MiB when 0): a
	// chunk is verified before any of its bytes is handed on, so it is
	// held in memory.
	MaxChunk int
}

// Result is an authenticated request.
type Result struct {
	AccessKey string
	// Body reads the request's payload: decoded from aws-chunked, and
	// failing with an *Error when the payload does not match what was
	// signed (the caller must not commit what it read then).
	Body io.ReadCloser
	// ContentLength is the decoded payload's length, -1 when unknown.
	ContentLength int64
	// Presigned is true for a query-signed request.
	Presigned bool
}

// authParams are the parts of a signature, from the header or the query.
type authParams struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
	amzDate                          time.Time
	presigned                        bool
	expires                          time.Duration
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Verify authenticates r. An unsigned request (no Authorization header
// and no X-Amz-Signature) is an AccessDenied error.
func (v *Verifier) Verify(r *http.Request) (*Result, error) {
	query := r.URL.Query()
	p, err := parseAuth(r, query)
	if err != nil {
		return nil, err
	}
	if p.service != "s3" {
		return nil, newErr(http.StatusBadRequest, "AuthorizationHeaderMalformed", "the credential scope names service %q, not s3", p.service)
	}
	if v.Region != "" && p.region != v.Region {
		return nil, newErr(http.StatusBadRequest, "AuthorizationHeaderMalformed", "the region %q is wrong; expecting %q", p.region, v.Region)
	}
	if p.amzDate.Format(dateFormat) != p.date {
		return nil, newErr(http.StatusBadRequest, "AuthorizationHeaderMalformed", "the credential date %s is not the request date", p.date)
	}
	now := v.now()
	if p.presigned {
		if p.amzDate.After(now.Add(MaxSkew)) {
			return nil, newErr(http.StatusForbidden, "AccessDenied", "request is not valid yet")
		}
		if now.After(p.amzDate.Add(p.expires)) {
			return nil, newErr(http.StatusForbidden, "AccessDenied", "request has expired")
		}
	} else if d := now.Sub(p.amzDate); d > MaxSkew || d < -MaxSkew {
		return nil, newErr(http.StatusForbidden, "RequestTimeTooSkewed", "the difference between the request time and the server's time is too large")
	}
	secret, err := v.Lookup(r.Context(), p.accessKey)
	if errors.Is(err, ErrUnknownKey) {
		return nil, newErr(http.StatusForbidden, "InvalidAccessKeyId", "the access key id you provided does not exist in our records")
	}
	if err != nil {
		return nil, err
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		if !p.presigned {
			return nil, newErr(http.StatusBadRequest, "InvalidRequest", "missing required header for this request: x-amz-content-sha256")
		}
		payload = UnsignedPayload
	}
	key := signingKey(secret, p.date, p.region, p.service)
	scope := p.date + "/" + p.region + "/" + p.service + "/aws4_request"
	canonical := canonicalRequest(r, query, p.signedHeaders, payload, p.presigned)
	sts := algorithm + "\n" + p.amzDate.Format(timeFormat) + "\n" + scope + "\n" + hexSHA256([]byte(canonical))
	want := hex.EncodeToString(hmacSHA256(key, sts))
	if !hmac.Equal([]byte(want), []byte(p.signature)) {
		return nil, newErr(http.StatusForbidden, "SignatureDoesNotMatch", "the request signature we calculated does not match the signature you provided")
	}
	res := &Result{AccessKey: p.accessKey, ContentLength: r.ContentLength, Presigned: p.presigned, Body: r.Body}
	if res.Body == nil {
		res.Body = http.NoBody
	}
	switch {
	case payload == UnsignedPayload:
	case payload == StreamingPayload || payload == StreamingUnsignedTrailer:
		n, err := decodedLength(r)
		if err != nil {
			return nil, err
		}
		res.ContentLength = n
		cr := &chunkedReader{r: newLineReader(r.Body), closer: r.Body, left: n, max: v.MaxChunk}
		if payload == StreamingPayload {
			cr.signed = true
			cr.key, cr.prevSig = key, p.signature
			cr.stsPrefix = "AWS4-HMAC-SHA256-PAYLOAD\n" + p.amzDate.Format(timeFormat) + "\n" + scope + "\n"
		} else {
			cr.trailer = strings.ToLower(r.Header.Get("X-Amz-Trailer"))
		}
		res.Body = cr
	case strings.HasPrefix(payload, "STREAMING-"):
		return nil, newErr(http.StatusNotImplemented, "NotImplemented", "the payload encoding %s is not supported", payload)
	default:
		if len(payload) != 64 {
			return nil, newErr(http.StatusBadRequest, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD or a SHA-256")
		}
		res.Body = &hashReader{r: r.Body, want: strings.ToLower(payload), h: sha256.New()}
	}
	return res, nil
}

func decodedLength(r *http.Request) (int64, error) {
	s := r.Header.Get("X-Amz-Decoded-Content-Length")
	if s == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, newErr(http.StatusBadRequest, "InvalidArgument", "x-amz-decoded-content-length %q is not a length", s)
	}
	return n, nil
}

func errV2() *Error {
	return newErr(http.StatusBadRequest, "InvalidRequest", "signature version 2 is not supported: use AWS4-HMAC-SHA256")
}

// parseAuth reads the signature from the Authorization header or the
// query.
func parseAuth(r *http.Request, q url.Values) (*authParams, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return parseHeader(r, h)
	}
	if q.Get("X-Amz-Signature") == "" {
		if q.Get("Signature") != "" {
			return nil, errV2()
		}
		return nil, newErr(http.StatusForbidden, "AccessDenied", "the request is not signed")
	}
	if q.Get("X-Amz-Algorithm") != algorithm {
		return nil, newErr(http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Algorithm must be %s", algorithm)
	}
	p := &authParams{presigned: true, signature: q.Get("X-Amz-Signature")}
	if err := p.setCredential(q.Get("X-Amz-Credential")); err != nil {
		return nil, err
	}
	t, err := time.Parse(timeFormat, q.Get("X-Amz-Date"))
	if err != nil {
		return nil, newErr(http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Date must be in the ISO8601 long format")
	}
	p.amzDate = t
	exp, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || exp < 0 {
		return nil, newErr(http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Expires must be a non-negative number of seconds")
	}
	if time.Duration(exp)*time.Second > MaxPresignExpiry {
		return nil, newErr(http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds")
	}
	p.expires = time.Duration(exp) * time.Second
	p.signedHeaders = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	return p, nil
}

func parseHeader(r *http.Request, h string) (*authParams, error) {
	rest, ok := strings.CutPrefix(h, algorithm+" ")
	if !ok {
		if strings.HasPrefix(h, "AWS ") {
			return nil, errV2()
		}
		return nil, newErr(http.StatusBadRequest, "AuthorizationHeaderMalformed", "unsupported authorization type")
	}
	p := &authParams{}
	for part := range strings.SplitSeq(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			if err := p.setCredential(val); err != nil {
				return nil, err
			}
		case "SignedHeaders":
			p.signedHeaders = strings.Split(val, ";")
		case "Signature":
			p.signature = val
		}
	}
	if p.accessKey == "" || len(p.signedHeaders) == 0 || p.signature == "" {
		return nil, newErr(http.StatusBadRequest, "AuthorizationHeaderMalformed", "the authorization header needs Credential, SignedHeaders and Signature")
	}
	ds := r.Header.Get("X-Amz-Date")
	if ds == "" {
		ds = r.Header.Get("Date")
	}
	t, err := time.Parse(timeFormat, ds)
	if err != nil {
		if t, err = http.ParseTime(ds); err != nil {
			return nil, newErr(http.StatusForbidden, "AccessDenied", "the request has no valid x-amz-date")
		}
	}
	p.amzDate = t.UTC()
	return p, nil
}

// setCredential parses AKID/date/region/service/aws4_request.
func (p *authParams) setCredential(c string) error {
	parts := strings.Split(c, "/")
	if len(parts) < 5 || parts[len(parts)-1] != "aws4_request" {
		return newErr(http.StatusBadRequest, "AuthorizationHeaderMalformed", "the credential %q is not access-key/date/region/s3/aws4_request", c)
	}
	n := len(parts)
	// an access key id has no "/", but be lenient with one that has
	p.accessKey = strings.Join(parts[:n-4], "/")
	p.date, p.region, p.service = parts[n-4], parts[n-3], parts[n-2]
	return nil
}

// canonicalRequest builds the canonical request of SigV4.
func canonicalRequest(r *http.Request, query url.Values, signed []string, payload string, presigned bool) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(query, presigned))
	b.WriteByte('\n')
	names := make([]string, len(signed))
	for i, h := range signed {
		names[i] = strings.ToLower(strings.TrimSpace(h))
	}
	for _, h := range names {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(names, ";"))
	b.WriteByte('\n')
	b.WriteString(payload)
	return b.String()
}

func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		// net/http keeps the header on server requests; a client request
		// built in a test may only have the field
		if v := r.Header.Get("Content-Length"); v != "" {
			return v
		}
		return strconv.FormatInt(max(r.ContentLength, 0), 10)
	}
	vals := r.Header.Values(name)
	if name == "transfer-encoding" && len(vals) == 0 {
		vals = r.TransferEncoding
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

// canonicalURI is the path, each byte URI-encoded as SigV4 wants (S3
// paths are not normalised).
func canonicalURI(u *url.URL) string {
	p := u.Path
	if p == "" {
		return "/"
	}
	return uriEncode(p, false)
}

func canonicalQuery(query url.Values, presigned bool) string {
	type kv struct{ k, v string }
	var pairs []kv
	for k, vs := range query {
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, kv{uriEncode(k, true), uriEncode(v, true)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// uriEncode encodes every byte but the unreserved ones (and "/" in a
// path) as %XX with upper-case hex.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
