package newsletter

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// AddressError is an email address that cannot be used, with a reason fit
// to show the reader.
type AddressError struct{ Reason string }

func (e *AddressError) Error() string { return "newsletter: " + e.Reason }

// domains converts Unicode domain names to their ASCII (punycode) form for
// mail servers, lowercasing them and checking every label and the length.
var domains = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true), idna.Transitional(false))

// NormalizeAddress checks that s is one bare email address and returns it in
// the form the newsletter keeps and mails: trimmed, the domain lowercased
// and, when it is a Unicode name, converted to ASCII. The part before the @
// keeps its case (mail servers may honour it) but must be ASCII: most mail
// servers refuse anything else.
func NormalizeAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", &AddressError{"Please enter your email address."}
	case !utf8.ValidString(s) || strings.ContainsFunc(s, isControl):
		return "", &AddressError{"An email address cannot contain line breaks or control characters."}
	case len(s) > 254:
		return "", &AddressError{"That email address is too long."}
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", &AddressError{"An email address needs an @, as in name@example.org."}
	}
	local, domain := s[:at], s[at+1:]
	if local == "" || domain == "" {
		return "", &AddressError{"An email address has a name before the @ and a domain after it, as in name@example.org."}
	}
	if len(local) > 64 {
		return "", &AddressError{"The part of the address before the @ is too long."}
	}
	for _, r := range local {
		if r >= utf8.RuneSelf {
			return "", &AddressError{"The part of the address before the @ must use Latin letters, digits and . _ + - only."}
		}
	}
	ascii, err := domains.ToASCII(domain)
	if err != nil || !strings.Contains(ascii, ".") || strings.HasSuffix(ascii, ".") {
		return "", &AddressError{"The part of the address after the @ is not a valid domain name, like example.org."}
	}
	addr := local + "@" + ascii
	// net/mail accepts only a valid addr-spec here; comparing its result
	// rules out display names, comments, quoting and group syntax, which
	// have no place in a subscription form.
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Name != "" || parsed.Address != addr || strings.HasPrefix(local, `"`) {
		return "", &AddressError{"That does not look like an email address. Check it for typing mistakes, as in name@example.org."}
	}
	return addr, nil
}

// isControl reports control characters, which include CR and LF: they are
// how header-injection attempts ("a@b.c\r\nBcc: …") arrive.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// indexForm is the address as its blind index is computed: wholly
// lowercased, so that Reader@Example.org and reader@example.org are one
// subscriber.
func indexForm(addr string) string { return strings.ToLower(addr) }
