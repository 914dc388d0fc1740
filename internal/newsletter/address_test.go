package newsletter_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tamizdat/tamizdat/internal/newsletter"
)

func TestNormalizeAddress(t *testing.T) {
	t.Parallel()
	valid := []struct{ in, want string }{
		{"reader@example.org", "reader@example.org"},
		{"  Reader.Name+news@Example.ORG \n", "Reader.Name+news@example.org"},
		{"reader@пример.рф", "reader@xn--e1afmkfd.xn--p1ai"},
		{"reader@BÜCHER.example", "reader@xn--bcher-kva.example"},
		{"o'brien_x-y@mail.example.co.uk", "o'brien_x-y@mail.example.co.uk"},
	}
	for _, tt := range valid {
		t.Run(tt.in, func(t *testing.T) {
			got, err := newsletter.NormalizeAddress(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("NormalizeAddress(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	invalid := []struct{ name, in, reason string }{
		{"empty", "   ", "enter your email"},
		{"header injection", "a@b.c\r\nBcc: x@y.z", "line breaks"},
		{"bare LF", "a@b.c\nBcc: x@y.z", "line breaks"},
		{"NUL", "a@b.c\x00", "control characters"},
		{"no @", "reader.example.org", "needs an @"},
		{"nothing before @", "@example.org", "name before the @"},
		{"display name", "Reader <reader@example.org>", "not a valid domain"},
		{"two addresses", "a@example.org, b@example.org", "does not look like"},
		{"two @", "a@b@example.org", "does not look like"},
		{"quoted local part", `"a b"@example.org`, "does not look like"},
		{"double dot", "a..b@example.org", "does not look like"},
		{"comment", "a@example.org (me)", "not a valid domain"},
		{"no dot in domain", "root@localhost", "not a valid domain"},
		{"Cyrillic before @", "читатель@example.org", "Latin letters"},
		{"bad punycode", "a@xn--zz.example", "not a valid domain"},
		{"label too long", "a@" + strings.Repeat("x", 64) + ".org", "not a valid domain"},
		{"too long", strings.Repeat("a", 64) + "@" + strings.Repeat("b.", 100) + "org", "too long"},
		{"local too long", strings.Repeat("a", 65) + "@example.org", "too long"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newsletter.NormalizeAddress(tt.in)
			var ae *newsletter.AddressError
			if !errors.As(err, &ae) || !strings.Contains(ae.Reason, tt.reason) {
				t.Errorf("NormalizeAddress(%q) = %q, %v; want an AddressError about %q", tt.in, got, err, tt.reason)
			}
		})
	}
}
