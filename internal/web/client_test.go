package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tamizdat/tamizdat/internal/web"
)

func TestClientIPBehindTrustedProxies(t *testing.T) {
	t.Parallel()
	trusted, err := web.ParseTrustedProxies("10.0.0.0/8, 192.0.2.7 2001:db8:1::/48")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, peer, header, value, want string
	}{
		{"no proxy configured for this peer", "198.51.100.9:5000", web.HeaderXForwardedFor, "203.0.113.1", "198.51.100.9"},
		{"trusted peer, one hop", "10.1.2.3:5000", web.HeaderXForwardedFor, "203.0.113.1", "203.0.113.1"},
		{"a client's own header is ignored", "10.1.2.3:5000", web.HeaderXForwardedFor, "1.1.1.1, 203.0.113.1", "203.0.113.1"},
		{"a chain of trusted proxies", "10.1.2.3:5000", web.HeaderXForwardedFor, "203.0.113.1, 192.0.2.7, 10.9.9.9", "203.0.113.1"},
		{"all hops trusted", "10.1.2.3:5000", web.HeaderXForwardedFor, "10.5.5.5", "10.5.5.5"},
		{"no header from a trusted peer", "10.1.2.3:5000", web.HeaderXForwardedFor, "", "10.1.2.3"},
		{"garbage ends the walk at the proxy", "10.1.2.3:5000", web.HeaderXForwardedFor, "203.0.113.1, not-an-ip", "10.1.2.3"},
		{"IPv6 peer and client", "[2001:db8:1::5]:443", web.HeaderXForwardedFor, "2001:db8:ffff::1", "2001:db8:ffff::1"},
		{"Forwarded, quoted IPv6 with port", "10.1.2.3:5000", web.HeaderForwarded, `for="[2001:db8:cafe::17]:4711";proto=https`, "2001:db8:cafe::17"},
		{"Forwarded, spoofed first element", "10.1.2.3:5000", web.HeaderForwarded, "for=1.1.1.1, for=203.0.113.1;by=10.1.2.3", "203.0.113.1"},
		{"Forwarded, obfuscated node", "10.1.2.3:5000", web.HeaderForwarded, "for=_hidden", "10.1.2.3"},
		{"untrusted peer's Forwarded is ignored", "198.51.100.9:5000", web.HeaderForwarded, "for=203.0.113.1", "198.51.100.9"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got string
			h := web.ClientAddresses(trusted, c.header, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = web.ClientIP(r)
			}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = c.peer
			if c.value != "" {
				r.Header.Set(c.header, c.value)
			}
			// The other header, which the proxy does not set, must not count.
			other := web.HeaderForwarded
			if c.header == web.HeaderForwarded {
				other = web.HeaderXForwardedFor
			}
			r.Header.Set(other, "for=8.8.8.8")
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != c.want {
				t.Errorf("ClientIP() = %q, want %q", got, c.want)
			}
		})
	}
}

func TestClientIPWithoutProxies(t *testing.T) {
	t.Parallel()
	var got string
	h := web.ClientAddresses(nil, web.HeaderXForwardedFor, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = web.ClientIP(r)
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	r.Header.Set("X-Forwarded-For", "203.0.113.1")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got != "127.0.0.1" {
		t.Errorf("ClientIP() = %q with no trusted proxies, want the peer", got)
	}
}

func TestParseTrustedProxiesRefusesNonsense(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0"} {
		if _, err := web.ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted it", bad)
		}
	}
}
