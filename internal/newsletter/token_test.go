package newsletter

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

func newTokens(t *testing.T, fill byte, now func() time.Time) *Tokens {
	t.Helper()
	tk, err := NewTokens(bytes.Repeat([]byte{fill}, 32), now)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestTokens(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tk := newTokens(t, 1, clock)
	const sub, nl = "0195d3a0-0000-7000-8000-000000000001", "0195d3a0-0000-7000-8000-000000000002"

	tests := []struct {
		name    string
		token   string
		purpose byte
		want    claims
	}{
		{"unsubscribe", tk.UnsubscribeToken(sub, nl), purposeUnsubscribe, claims{purpose: purposeUnsubscribe, subscriberID: sub, newsletterID: nl}},
		{"manage", tk.ManageToken(sub, 7), purposeManage, claims{purpose: purposeManage, subscriberID: sub, version: 7}},
		{"confirm", tk.confirmToken(sub), purposeConfirm, claims{purpose: purposeConfirm, subscriberID: sub, expires: now.Add(confirmFor)}},
		{"non-UUID IDs", tk.UnsubscribeToken("sub-1", "weekly"), purposeUnsubscribe, claims{purpose: purposeUnsubscribe, subscriberID: "sub-1", newsletterID: "weekly"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tk.verify(tt.token, tt.purpose)
			if err != nil {
				t.Fatal(err)
			}
			if got.purpose != tt.want.purpose || got.subscriberID != tt.want.subscriberID || got.newsletterID != tt.want.newsletterID ||
				got.version != tt.want.version || !got.expires.Equal(tt.want.expires) {
				t.Errorf("verify() = %+v, want %+v", got, tt.want)
			}
			for _, other := range []byte{purposeConfirm, purposeManage, purposeUnsubscribe} {
				if other != tt.purpose {
					if _, err := tk.verify(tt.token, other); !errors.Is(err, ErrBadLink) {
						t.Errorf("accepted for purpose %c: %v", other, err)
					}
				}
			}
			if _, err := newTokens(t, 2, clock).verify(tt.token, tt.purpose); !errors.Is(err, ErrBadLink) {
				t.Errorf("accepted under another key: %v", err)
			}
		})
	}

	if len(tests[0].token) > 90 {
		t.Errorf("unsubscribe token is %d characters; UUIDs should pack into about 84", len(tests[0].token))
	}
}

func TestTokenTampering(t *testing.T) {
	tk := newTokens(t, 1, nil)
	good := tk.UnsubscribeToken("0195d3a0-0000-7000-8000-000000000001", "0195d3a0-0000-7000-8000-000000000002")
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x01
		if _, err := tk.verify(base64.RawURLEncoding.EncodeToString(bad), purposeUnsubscribe); !errors.Is(err, ErrBadLink) {
			t.Fatalf("byte %d flipped: verify() = %v, want ErrBadLink", i, err)
		}
	}
	for _, bad := range []string{"", "!!!", good[:len(good)-1], good + "A", good[:20]} {
		if _, err := tk.verify(bad, purposeUnsubscribe); !errors.Is(err, ErrBadLink) {
			t.Errorf("verify(%q) = %v, want ErrBadLink", bad, err)
		}
	}
}

func TestConfirmTokenExpires(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	tk := newTokens(t, 1, func() time.Time { return now })
	token := tk.confirmToken("sub")
	for _, tt := range []struct {
		after time.Duration
		want  error
	}{
		{confirmFor - time.Second, nil},
		{confirmFor, ErrExpiredLink},
		{30 * 24 * time.Hour, ErrExpiredLink},
	} {
		later := newTokens(t, 1, func() time.Time { return now.Add(tt.after) })
		if _, err := later.verify(token, purposeConfirm); !errors.Is(err, tt.want) {
			t.Errorf("after %v: verify() = %v, want %v", tt.after, err, tt.want)
		}
	}
}
