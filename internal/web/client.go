package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Headers a reverse proxy may name the client in.
const (
	HeaderXForwardedFor = "X-Forwarded-For"
	HeaderForwarded     = "Forwarded" // RFC 7239
)

// ParseTrustedProxies reads a list of proxy addresses and networks
// separated by commas or spaces ("10.0.0.0/8, 192.0.2.7, ::1").
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var nets []netip.Prefix
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			nets = append(nets, p.Masked())
			continue
		}
		addr, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a network such as 10.0.0.0/8 or fd00::/8", f)
		}
		nets = append(nets, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
	}
	return nets, nil
}

// clientKey carries the client address ClientAddresses found.
const clientKey ctxKey = 1

// ClientAddresses finds each request's client address for ClientIP. When
// the TCP peer is one of the trusted proxies, the address comes from the
// header they set (X-Forwarded-For or Forwarded): read from the right,
// skipping the trusted proxies' own addresses, the first other address is
// the client. Anything a client wrote further left is ignored, so it
// cannot choose its address. When the peer is not trusted, the header is
// ignored and the peer is the client. The address is for rate limits and
// throttles only; nothing stores or logs it.
func ClientAddresses(trusted []netip.Prefix, header string, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	header = http.CanonicalHeaderKey(header)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if client, ok := forwardedClient(r, trusted, header); ok {
			r = r.WithContext(context.WithValue(r.Context(), clientKey, client))
		}
		next.ServeHTTP(w, r)
	})
}

// ClientIP returns the address of the request's client: the one
// ClientAddresses found behind trusted proxies, else the TCP peer's. Every
// throttle and rate limit asks here.
func ClientIP(r *http.Request) string {
	if client, ok := r.Context().Value(clientKey).(netip.Addr); ok {
		return client.String()
	}
	if peer, ok := peerAddr(r); ok {
		return peer.String()
	}
	return r.RemoteAddr
}

func peerAddr(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		addr, err := netip.ParseAddr(r.RemoteAddr)
		return addr.Unmap(), err == nil
	}
	return ap.Addr().Unmap(), true
}

func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// forwardedClient walks the forwarding chain from the trusted peer back to
// the first address that is not a trusted proxy. A hop it cannot read (an
// obfuscated or garbled one) ends the walk at the proxy that reported it.
func forwardedClient(r *http.Request, trusted []netip.Prefix, header string) (netip.Addr, bool) {
	client, ok := peerAddr(r)
	if !ok || !isTrusted(client, trusted) {
		return netip.Addr{}, false
	}
	hops := forwardedHops(r.Header.Values(header), header == HeaderForwarded)
	for i := len(hops) - 1; i >= 0; i-- {
		addr, ok := parseHop(hops[i])
		if !ok {
			break
		}
		client = addr
		if !isTrusted(addr, trusted) {
			break
		}
	}
	return client, true
}

// forwardedHops lists the client addresses a header names, leftmost (the
// original client, as far as anyone claims) first.
func forwardedHops(values []string, rfc7239 bool) []string {
	var hops []string
	for _, v := range values {
		for _, elem := range strings.Split(v, ",") {
			if !rfc7239 {
				hops = append(hops, strings.TrimSpace(elem))
				continue
			}
			node := ""
			for _, pair := range strings.Split(elem, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
				if strings.EqualFold(k, "for") {
					node = strings.Trim(v, `"`)
				}
			}
			hops = append(hops, node)
		}
	}
	return hops
}

// parseHop reads "192.0.2.1", "192.0.2.1:4711", "2001:db8::1" or
// "[2001:db8::1]:4711".
func parseHop(hop string) (netip.Addr, bool) {
	if addr, err := netip.ParseAddr(hop); err == nil {
		return addr.Unmap(), true
	}
	host, _, err := net.SplitHostPort(hop)
	if err != nil {
		host = strings.TrimSuffix(strings.TrimPrefix(hop, "["), "]")
	}
	addr, err := netip.ParseAddr(host)
	return addr.Unmap(), err == nil
}
