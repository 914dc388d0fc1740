package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"blitiri.com.ar/go/spf"
)

// spfResolver hands our Resolver to the SPF library, which asks for the
// addresses of both families at once.
type spfResolver struct{ Resolver }

// LookupIPAddr returns host's addresses. Errors pass through unwrapped: the
// library tells "no such name" (a void lookup) from a timeout (temperror)
// by the *net.DNSError itself.
func (r spfResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	out := make([]net.IPAddr, len(addrs))
	for i, a := range addrs {
		out[i] = net.IPAddr{IP: a.AsSlice(), Zone: a.Zone()}
	}
	return out, err
}

// spfCheckHost evaluates the SPF policy of domain (RFC 7208 check_host)
// for mail from sender relayed by ip. The error explains a permerror or
// temperror; the library also returns one for other results, naming the
// mechanism that matched.
func spfCheckHost(ctx context.Context, r Resolver, ip netip.Addr, domain, sender string) (spf.Result, error) {
	return spf.CheckHostWithSender(ip.AsSlice(), domain, sender,
		spf.WithContext(ctx), spf.WithResolver(spfResolver{r}))
}

// spfRecords returns the SPF records published at domain, to quote them in
// the report (there must be exactly one).
func spfRecords(ctx context.Context, r Resolver, domain string) []string {
	txts, _ := r.LookupTXT(ctx, domain) // a failed lookup shows in the evaluation's result
	var found []string
	for _, txt := range txts {
		if lower := strings.ToLower(txt); lower == "v=spf1" || strings.HasPrefix(lower, "v=spf1 ") {
			found = append(found, txt)
		}
	}
	return found
}

// spfWhy says in plain words why an SPF evaluation ended in permerror or
// temperror; records are the ones domain publishes.
func spfWhy(err error, domain string, records []string) string {
	switch {
	case errors.Is(err, spf.ErrMultipleRecords) && len(records) > 1:
		return fmt.Sprintf("%s has %d SPF records; it must have one", domain, len(records))
	case errors.Is(err, spf.ErrMultipleRecords):
		return "a domain it includes has more than one SPF record; each must have one"
	case errors.Is(err, spf.ErrNoResult):
		return "an include: or redirect= in it names a domain without an SPF record"
	case errors.Is(err, spf.ErrLookupLimitReached):
		return "it needs more than 10 DNS lookups, so receivers give up on it"
	case errors.Is(err, spf.ErrVoidLookupLimitReached):
		return "more than 2 of its DNS lookups find nothing, so receivers give up on it"
	case errors.Is(err, spf.ErrTooManyMXRecords):
		return "an mx mechanism in it names a domain with more than 10 MX hosts"
	case errors.Is(err, spf.ErrUnknownField):
		return "it has a term that is neither an SPF mechanism nor a modifier"
	case errors.Is(err, spf.ErrInvalidIP), errors.Is(err, spf.ErrInvalidMask):
		return "an ip4:, ip6: or prefix length in it is not valid"
	case errors.Is(err, spf.ErrInvalidMacro):
		return "a macro in it is not valid"
	case errors.Is(err, spf.ErrInvalidDomain):
		return "a domain in it is not valid, or it has more than one redirect="
	default:
		return fmt.Sprintf("a DNS lookup failed (%v)", err)
	}
}

// notFound reports a DNS answer that the name has no such records.
func notFound(err error) bool {
	var e *net.DNSError
	return errors.As(err, &e) && e.IsNotFound
}
