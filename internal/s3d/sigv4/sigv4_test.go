package sigv4

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/signer"
)

const (
	testKey    = "AKIDEXAMPLE0000001"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion = "eu-south-1"
)

// seen is what the test server verified.
type seen struct {
	method, path string
	payload      string // x-amz-content-sha256
	trailer      string // x-amz-trailer
	body         []byte
	err          error
	res          *Result
}

// startServer serves every request by verifying it and reading its body
// through Result.Body, answering as S3 would enough for the SDKs.
func startServer(t *testing.T, v *Verifier) (*httptest.Server, func() []seen) {
	return startServerTLS(t, v, false)
}

func startServerTLS(t *testing.T, v *Verifier, useTLS bool) (*httptest.Server, func() []seen) {
	var mu sync.Mutex
	var log []seen
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{method: r.Method, path: r.URL.Path, payload: r.Header.Get("X-Amz-Content-Sha256"), trailer: r.Header.Get("X-Amz-Trailer")}
		res, err := v.Verify(r)
		if err == nil {
			s.res = res
			s.body, err = io.ReadAll(res.Body)
		}
		s.err = err
		mu.Lock()
		log = append(log, s)
		mu.Unlock()
		var se *Error
		if errors.As(err, &se) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(se.Status)
			_, _ = io.WriteString(w, "<Error><Code>"+se.Code+"</Code><Message>"+se.Message+"</Message></Error>")
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		switch {
		case r.Method == http.MethodPut:
			w.Header().Set("ETag", `"0123456789abcdef0123456789abcdef"`)
		case r.Method == http.MethodGet && r.URL.Query().Has("list-type"):
			w.Header().Set("Content-Type", "application/xml")
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`)
		case r.Method == http.MethodGet:
			w.Header().Set("Content-Length", "5")
			_, _ = io.WriteString(w, "hello")
		}
	}))
	if useTLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), log...)
	}
}

func testVerifier() *Verifier {
	return &Verifier{Region: testRegion, Lookup: func(_ context.Context, ak string) (string, error) {
		if ak == testKey {
			return testSecret, nil
		}
		return "", ErrUnknownKey
	}}
}

func awsClient(url, key, secret string) *s3.Client {
	return s3.New(s3.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(url),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
	})
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAWSSDK: the AWS SDK's requests verify, keys with spaces, Unicode
// and reserved characters and list queries included, and the body read
// through the result is the one sent.
func TestAWSSDK(t *testing.T) {
	srv, log := startServer(t, testVerifier())
	c := awsClient(srv.URL, testKey, testSecret)
	ctx := context.Background()
	data := randomBytes(t, 300<<10)
	keys := []string{"plain.txt", "dir/with space/ünï cödé+plus&amp=eq.bin", "tilde~and(paren)!*'.dat"}
	for _, k := range keys {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String(k), Body: bytes.NewReader(data)}); err != nil {
			t.Fatalf("PutObject %q: %v", k, err)
		}
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String(keys[1])}); err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("b"), Prefix: aws.String("dir/with space/"),
		Delimiter: aws.String("/"), StartAfter: aws.String("a=b&c"), MaxKeys: aws.Int32(7)}); err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	got := log()
	if len(got) != len(keys)+2 {
		t.Fatalf("%d requests", len(got))
	}
	for i, s := range got[:len(keys)] {
		t.Logf("put %s: payload %s", s.path, s.payload)
		if s.err != nil || !bytes.Equal(s.body, data) || s.res.AccessKey != testKey {
			t.Fatalf("put %d (%s): err %v, %d bytes", i, s.path, s.err, len(s.body))
		}
	}
	for _, s := range got[len(keys):] {
		if s.err != nil {
			t.Fatalf("%s %s: %v", s.method, s.path, s.err)
		}
	}
}

// TestAWSSDKOverTLS: over HTTPS the SDK sends aws-chunked bodies with a
// trailing checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER); the checksum is
// checked and the decoded body is the one sent.
func TestAWSSDKOverTLS(t *testing.T) {
	srv, log := startServerTLS(t, testVerifier(), true)
	c := s3.New(s3.Options{
		Region: testRegion, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, HTTPClient: srv.Client(),
		Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, ""),
	})
	data := randomBytes(t, 1<<20+7)
	for _, algo := range []types.ChecksumAlgorithm{"", types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmSha256, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmCrc64nvme} {
		in := &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: bytes.NewReader(data), ChecksumAlgorithm: algo}
		if _, err := c.PutObject(context.Background(), in); err != nil {
			t.Fatalf("PutObject %s: %v", algo, err)
		}
		got := log()
		s := got[len(got)-1]
		t.Logf("%s: payload %s, trailer %s", algo, s.payload, s.trailer)
		if s.err != nil || !bytes.Equal(s.body, data) {
			t.Fatalf("%s: %v, %d bytes", algo, s.err, len(s.body))
		}
	}
}

// TestAWSSDKRefusals: a wrong secret, an unknown key and a clock far off
// get S3's error codes, which the SDK reports.
func TestAWSSDKRefusals(t *testing.T) {
	v := testVerifier()
	srv, _ := startServer(t, v)
	ctx := context.Background()
	put := func(c *s3.Client) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("x")})
		return err
	}
	for _, tc := range []struct {
		key, secret, code string
		now               func() time.Time
	}{
		{testKey, "not the secret", "SignatureDoesNotMatch", nil},
		{"AKIDUNKNOWN", testSecret, "InvalidAccessKeyId", nil},
		{testKey, testSecret, "RequestTimeTooSkewed", func() time.Time { return time.Now().Add(20 * time.Minute) }},
	} {
		v.Now = tc.now
		err := put(awsClient(srv.URL, tc.key, tc.secret))
		if err == nil || !strings.Contains(err.Error(), tc.code) {
			t.Errorf("%s: got %v", tc.code, err)
		}
	}
}

// TestPresigned: a presigned GET works until it expires; a changed query
// or path breaks it.
func TestPresigned(t *testing.T) {
	v := testVerifier()
	srv, _ := startServer(t, v)
	pc := s3.NewPresignClient(awsClient(srv.URL, testKey, testSecret))
	req, err := pc.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("a dir/file ü.txt")},
		s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	get := func(u string) int {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(req.URL); code != http.StatusOK {
		t.Fatalf("presigned GET: %d", code)
	}
	if code := get(strings.Replace(req.URL, "file", "fille", 1)); code != http.StatusForbidden {
		t.Fatalf("changed path: %d", code)
	}
	if code := get(req.URL + "&extra=1"); code != http.StatusForbidden {
		t.Fatalf("added query: %d", code)
	}
	v.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if code := get(req.URL); code != http.StatusForbidden {
		t.Fatalf("expired presigned GET: %d", code)
	}
	// minio-go's presigned form too
	v.Now = nil
	mc := minioClient(t, srv.URL)
	u, err := mc.PresignedGetObject(context.Background(), "bkt", "x/y z.bin", time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	if code := get(u.String()); code != http.StatusOK {
		t.Fatalf("minio presigned GET: %d", code)
	}
}

func minioClient(t *testing.T, url string) *minio.Client {
	mc, err := minio.New(strings.TrimPrefix(url, "http://"), &minio.Options{
		Creds: miniocreds.NewStaticV4(testKey, testSecret, ""), Region: testRegion, BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	return mc
}

// TestMinioStreaming: minio-go uploads over plain HTTP with
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD; every chunk verifies and the
// decoded body is the file.
func TestMinioStreaming(t *testing.T) {
	srv, log := startServer(t, testVerifier())
	mc := minioClient(t, srv.URL)
	data := randomBytes(t, 1<<20+12345)
	if _, err := mc.PutObject(context.Background(), "bkt", "big.bin", bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{DisableMultipart: true}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	var put *seen
	for _, s := range log() {
		if s.method == http.MethodPut {
			put = &s
		}
	}
	if put == nil || put.payload != StreamingPayload || put.err != nil || !bytes.Equal(put.body, data) || put.res.ContentLength != int64(len(data)) {
		t.Fatalf("streamed put: %+v", put)
	}
}

// TestTamperedChunk: a chunk changed in transit fails the read with
// SignatureDoesNotMatch before its bytes are handed on.
func TestTamperedChunk(t *testing.T) {
	data := randomBytes(t, 200<<10)
	req, _ := http.NewRequest(http.MethodPut, "http://s3.local/b/k", bytes.NewReader(data))
	now := time.Now().UTC()
	signed := signer.StreamingSignV4(req, testKey, testSecret, "", testRegion, int64(len(data)), now, sha256Hasher{sha256.New()})
	body, err := io.ReadAll(signed.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, tamper := range []bool{false, true} {
		b := bytes.Clone(body)
		if tamper {
			i := bytes.Index(b, []byte("\r\n")) + 2 + 1000 // a byte of the first chunk's data
			b[i] ^= 1
		}
		r := httptest.NewRequest(http.MethodPut, "http://s3.local/b/k", bytes.NewReader(b))
		r.Header = signed.Header.Clone()
		r.ContentLength = int64(len(b))
		res, err := testVerifier().Verify(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		var se *Error
		if !tamper && (err != nil || !bytes.Equal(got, data)) {
			t.Fatalf("untouched body: %v, %d bytes", err, len(got))
		}
		if tamper && (!errors.As(err, &se) || se.Code != "SignatureDoesNotMatch" || len(got) != 0) {
			t.Fatalf("tampered body: %v, %d bytes handed on", err, len(got))
		}
	}
}

// TestPayloadHashMismatch: a body that is not the one whose SHA-256 was
// signed fails at its end.
func TestPayloadHashMismatch(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPut, "http://s3.local/b/k", strings.NewReader("signed body"))
	signed := signer.SignV4(*req, testKey, testSecret, "", testRegion)
	sum := sha256.Sum256([]byte("signed body"))
	if signed.Header.Get("X-Amz-Content-Sha256") == "" {
		signed.Header.Set("X-Amz-Content-Sha256", hexOf(sum[:]))
		signed = signer.SignV4(*signed, testKey, testSecret, "", testRegion)
	}
	r := httptest.NewRequest(http.MethodPut, "http://s3.local/b/k", strings.NewReader("other body!"))
	r.Header = signed.Header.Clone()
	res, err := testVerifier().Verify(r)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(res.Body)
	var se *Error
	if !errors.As(err, &se) || se.Code != "XAmzContentSHA256Mismatch" {
		t.Fatalf("got %v", err)
	}
}

// TestUnsigned: a request with no signature is AccessDenied, a V2 one
// says V2 is not supported.
func TestUnsigned(t *testing.T) {
	for _, tc := range []struct {
		auth, code string
	}{{"", "AccessDenied"}, {"AWS AKID:sig", "InvalidRequest"}, {"Bearer x", "AuthorizationHeaderMalformed"}} {
		r := httptest.NewRequest(http.MethodGet, "http://s3.local/", nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		_, err := testVerifier().Verify(r)
		var se *Error
		if !errors.As(err, &se) || se.Code != tc.code {
			t.Errorf("%q: %v", tc.auth, err)
		}
	}
}

// sha256Hasher is the md5simd.Hasher minio-go's streaming signer takes.
type sha256Hasher struct{ hash.Hash }

func (sha256Hasher) Close() {}

func hexOf(b []byte) string {
	const d = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = d[c>>4], d[c&15]
	}
	return string(out)
}

// TestTrailerChecksumMismatch: an aws-chunked body whose trailing
// checksum is not the data's fails at its end with BadDigest; a right
// one reads.
func TestTrailerChecksumMismatch(t *testing.T) {
	for _, tc := range []struct{ sum, code string }{{"NhCmhg==", ""}, {"AAAAAA==", "BadDigest"}} {
		body := "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:" + tc.sum + "\r\n\r\n"
		r := httptest.NewRequest(http.MethodPut, "http://s3.local/b/k", strings.NewReader(body))
		r.Header.Set("X-Amz-Content-Sha256", StreamingUnsignedTrailer)
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
		r.Header.Set("X-Amz-Decoded-Content-Length", "5")
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}, r,
			StreamingUnsignedTrailer, "s3", testRegion, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		res, err := testVerifier().Verify(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		var se *Error
		switch {
		case tc.code == "" && (err != nil || string(got) != "hello"):
			t.Fatalf("right checksum: %v %q", err, got)
		case tc.code != "" && (!errors.As(err, &se) || se.Code != tc.code):
			t.Fatalf("wrong checksum: %v", err)
		}
	}
}
