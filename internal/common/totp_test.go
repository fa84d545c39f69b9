package common

import (
	"encoding/base32"
	"testing"
	"time"
)

// RFC 6238 appendix B test vectors (8 digits).
func TestTOTPCodeRFC6238(t *testing.T) {
	keys := map[string][]byte{
		"sha1":   []byte("12345678901234567890"),
		"sha256": []byte("12345678901234567890123456789012"),
		"sha512": []byte("1234567890123456789012345678901234567890123456789012345678901234"),
	}
	cases := []struct {
		at   int64
		algo string
		want string
	}{
		{59, "sha1", "94287082"}, {59, "sha256", "46119246"}, {59, "sha512", "90693936"},
		{1111111109, "sha1", "07081804"}, {1234567890, "sha1", "89005924"},
		{2000000000, "sha256", "90698825"}, {20000000000, "sha512", "47863826"},
	}
	for _, c := range cases {
		if got := TOTPCode(keys[c.algo], c.at/30, c.algo, 8); got != c.want {
			t.Errorf("%s at %d: %s, want %s", c.algo, c.at, got, c.want)
		}
	}
}

func TestValidateTOTP(t *testing.T) {
	key := []byte("12345678901234567890")
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(key)
	now := time.Unix(1234567890, 0)
	code := TOTPCode(key, now.Unix()/30, "sha1", 6)
	if !ValidateTOTP(secret, code, "sha1", now) || !ValidateTOTP(secret, code, "sha1", now.Add(30*time.Second)) {
		t.Fatal("valid code refused")
	}
	if ValidateTOTP(secret, code, "sha1", now.Add(2*time.Minute)) {
		t.Fatal("stale code accepted")
	}
	for _, bad := range []string{"", "12345", "abcdef", "1234567"} {
		if ValidateTOTP(secret, bad, "sha1", now) {
			t.Fatalf("%q accepted", bad)
		}
	}
	if ValidateTOTP("not base32!", code, "sha1", now) {
		t.Fatal("bad secret accepted")
	}
}
