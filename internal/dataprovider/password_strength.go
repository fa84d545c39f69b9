package dataprovider

import (
	"math"
	"unicode"
)

// passwordEntropy estimates the bits of entropy of a password as
// length × log2(size of the character classes it uses), counting a
// character repeated more than twice in a row, or continuing an
// ascending/descending run of more than two, only once. It is an
// estimate for data_provider.password_validation.*.min_entropy, in the
// spirit of the reference product's check, not a byte-exact copy.
func passwordEntropy(p string) float64 {
	var lower, upper, digit, special, other bool
	runes := []rune(p)
	length := 0
	for i, r := range runes {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		case r < unicode.MaxASCII && unicode.IsPrint(r):
			special = true
		default:
			other = true
		}
		if i >= 2 {
			a, b := runes[i-2], runes[i-1]
			repeated := a == b && b == r
			run := (b-a == 1 && r-b == 1) || (a-b == 1 && b-r == 1)
			if repeated || run {
				continue
			}
		}
		length++
	}
	base := 0
	for _, c := range []struct {
		used bool
		size int
	}{{lower, 26}, {upper, 26}, {digit, 10}, {special, 33}, {other, 100}} {
		if c.used {
			base += c.size
		}
	}
	if base == 0 {
		return 0
	}
	return float64(length) * math.Log2(float64(base))
}

// checkPasswordStrength refuses a new clear password below minEntropy
// bits (0 disables the check; pre-hashed passwords are not checked).
func checkPasswordStrength(password string, minEntropy float64) error {
	if minEntropy <= 0 || password == "" || IsPasswordHashed(password) {
		return nil
	}
	if e := passwordEntropy(password); e < minEntropy {
		return invalid("password", "the password is too weak (estimated entropy %.0f bits, %.0f required): use a longer password or more kinds of characters", e, minEntropy)
	}
	return nil
}
