package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// SPF results (RFC 7208 §2.6).
const (
	spfPass      = "pass"
	spfFail      = "fail"
	spfSoftFail  = "softfail"
	spfNeutral   = "neutral"
	spfNone      = "none"
	spfPermError = "permerror"
	spfTempError = "temperror"
)

// SPF evaluation limits of RFC 7208 §4.6.4: at most 10 terms that cause
// DNS lookups, at most 2 lookups that find nothing, at most 10 MX hosts.
const (
	spfMaxLookups = 10
	spfMaxVoid    = 2
	spfMaxMX      = 10
)

// spfCheck evaluates the SPF policy of domain for mail from sender (the
// envelope sender) relayed by ip: RFC 7208's check_host(), with every
// mechanism (ptr, which the RFC deprecates, never matches) and the macros
// that exists:, include: and a: use.
type spfCheck struct {
	r       Resolver
	ip      netip.Addr
	sender  string
	lookups int
	voids   int
}

// spfError explains a permerror or temperror.
type spfError struct {
	result, why string
}

func (e *spfError) Error() string { return e.result + ": " + e.why }

func permError(format string, args ...any) error {
	return &spfError{spfPermError, fmt.Sprintf(format, args...)}
}

// checkHost returns the result of domain's policy for c.ip, and the record
// it read at the top level ("" when there is none).
func (c *spfCheck) checkHost(ctx context.Context, domain string) (result, record string, err error) {
	record, err = c.record(ctx, domain)
	if err != nil {
		return spfResultOf(err), "", err
	}
	if record == "" {
		return spfNone, "", nil
	}
	result, err = c.evaluate(ctx, domain, record)
	return result, record, err
}

// spfResultOf is the result an evaluation error stands for.
func spfResultOf(err error) string {
	var e *spfError
	if errors.As(err, &e) {
		return e.result
	}
	return spfTempError
}

// record returns domain's one SPF record, "" when it has none.
func (c *spfCheck) record(ctx context.Context, domain string) (string, error) {
	txts, err := c.r.LookupTXT(ctx, domain)
	if notFound(err) {
		return "", nil
	}
	if err != nil {
		return "", &spfError{spfTempError, fmt.Sprintf("looking up the TXT records of %s: %v", domain, err)}
	}
	var found []string
	for _, txt := range txts {
		if lower := strings.ToLower(txt); lower == "v=spf1" || strings.HasPrefix(lower, "v=spf1 ") {
			found = append(found, txt)
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	default:
		return "", permError("%s has %d SPF records; it must have one", domain, len(found))
	}
}

// evaluate runs the terms of record, domain's SPF record.
func (c *spfCheck) evaluate(ctx context.Context, domain, record string) (string, error) {
	var redirect string
	for _, term := range strings.Fields(record)[1:] {
		name, value, isModifier := strings.Cut(term, "=")
		if isModifier && !strings.ContainsAny(name, ":/") {
			if strings.EqualFold(name, "redirect") {
				redirect = value
			}
			continue // exp= and unknown modifiers do not change the result
		}
		result := spfPass
		switch term[0] {
		case '+', '-', '~', '?':
			result = map[byte]string{'+': spfPass, '-': spfFail, '~': spfSoftFail, '?': spfNeutral}[term[0]]
			term = term[1:]
		}
		matched, err := c.mechanism(ctx, domain, term)
		if err != nil {
			return spfResultOf(err), err
		}
		if matched {
			return result, nil
		}
	}
	if redirect == "" {
		return spfNeutral, nil
	}
	target, err := c.expand(redirect, domain)
	if err != nil {
		return spfPermError, err
	}
	if err := c.countLookup(); err != nil {
		return spfPermError, err
	}
	result, _, err := c.checkHost(ctx, target)
	if result == spfNone {
		return spfPermError, permError("redirect=%s names a domain without an SPF record", target)
	}
	return result, err
}

func (c *spfCheck) countLookup() error {
	c.lookups++
	if c.lookups > spfMaxLookups {
		return permError("the record needs more than %d DNS lookups, so receivers give up on it", spfMaxLookups)
	}
	return nil
}

// mechanism reports whether one mechanism matches c.ip.
func (c *spfCheck) mechanism(ctx context.Context, domain, term string) (bool, error) {
	kind, arg, _ := strings.Cut(term, ":")
	if i := strings.IndexByte(kind, '/'); i >= 0 { // a/24, mx//64
		kind, arg = kind[:i], arg+kind[i:]
	}
	kind = strings.ToLower(kind)
	switch kind {
	case "all":
		return true, nil
	case "ip4", "ip6":
		return c.matchIP(arg)
	case "include", "a", "mx", "ptr", "exists":
	default:
		return false, permError("unknown mechanism %q", term)
	}
	if err := c.countLookup(); err != nil {
		return false, err
	}
	spec, cidr4, cidr6, err := splitCIDR(arg)
	if err != nil {
		return false, err
	}
	target := domain
	if spec != "" {
		if target, err = c.expand(spec, domain); err != nil {
			return false, err
		}
	}
	switch kind {
	case "include":
		if spec == "" {
			return false, permError("include without a domain")
		}
		result, _, err := c.checkHost(ctx, target)
		switch result {
		case spfPass:
			return true, nil
		case spfTempError, spfPermError:
			return false, err
		case spfNone:
			return false, permError("include:%s names a domain without an SPF record", target)
		}
		return false, nil
	case "a":
		return c.matchHost(ctx, target, cidr4, cidr6)
	case "mx":
		mxs, err := c.r.LookupMX(ctx, target)
		if err := c.void(len(mxs), err, "MX", target); err != nil {
			return false, err
		}
		if len(mxs) > spfMaxMX {
			return false, permError("%s has more than %d MX hosts", target, spfMaxMX)
		}
		for _, mx := range mxs {
			if ok, err := c.matchHost(ctx, strings.TrimSuffix(mx.Host, "."), cidr4, cidr6); ok || err != nil {
				return ok, err
			}
		}
		return false, nil
	case "exists":
		addrs, err := c.r.LookupNetIP(ctx, "ip4", target)
		return len(addrs) > 0, c.void(len(addrs), err, "A", target)
	}
	return false, nil // ptr: deprecated, and never relied on here
}

// void counts a lookup that found nothing, and turns a failed one into a
// temperror.
func (c *spfCheck) void(found int, err error, kind, name string) error {
	if err != nil && !notFound(err) {
		return &spfError{spfTempError, fmt.Sprintf("looking up the %s records of %s: %v", kind, name, err)}
	}
	if found == 0 {
		c.voids++
		if c.voids > spfMaxVoid {
			return permError("more than %d of its DNS lookups find nothing", spfMaxVoid)
		}
	}
	return nil
}

// matchHost reports whether one of host's addresses of c.ip's family,
// widened to its prefix length, holds c.ip.
func (c *spfCheck) matchHost(ctx context.Context, host string, cidr4, cidr6 int) (bool, error) {
	network, bits := "ip6", cidr6
	if c.ip.Is4() {
		network, bits = "ip4", cidr4
	}
	addrs, err := c.r.LookupNetIP(ctx, network, host)
	if err := c.void(len(addrs), err, strings.ToUpper(network), host); err != nil {
		return false, err
	}
	for _, a := range addrs {
		a = a.Unmap()
		if a.BitLen() != c.ip.BitLen() {
			continue
		}
		if p, err := a.Prefix(bits); err == nil && p.Contains(c.ip) {
			return true, nil
		}
	}
	return false, nil
}

// matchIP reports whether the ip4: or ip6: argument arg holds c.ip.
func (c *spfCheck) matchIP(arg string) (bool, error) {
	if !strings.Contains(arg, "/") {
		a, err := netip.ParseAddr(arg)
		if err != nil {
			return false, permError("%q is not an IP address", arg)
		}
		return a.Unmap() == c.ip, nil
	}
	p, err := netip.ParsePrefix(arg)
	if err != nil {
		return false, permError("%q is not an IP network", arg)
	}
	return p.Contains(c.ip), nil
}

// splitCIDR splits "domain/24//64" into its parts; the lengths default to
// whole addresses.
func splitCIDR(arg string) (spec string, cidr4, cidr6 int, err error) {
	cidr4, cidr6 = 32, 128
	spec, v6, has6 := strings.Cut(arg, "//")
	if has6 {
		if cidr6, err = strconv.Atoi(v6); err != nil || cidr6 < 0 || cidr6 > 128 {
			return "", 0, 0, permError("bad IPv6 prefix length in %q", arg)
		}
	}
	if i := strings.LastIndexByte(spec, '/'); i >= 0 {
		if cidr4, err = strconv.Atoi(spec[i+1:]); err != nil || cidr4 < 0 || cidr4 > 32 {
			return "", 0, 0, permError("bad IPv4 prefix length in %q", arg)
		}
		spec = spec[:i]
	}
	return spec, cidr4, cidr6, nil
}

// expand expands the macros of a domain-spec (RFC 7208 §7) for a check of
// domain.
func (c *spfCheck) expand(spec, domain string) (string, error) {
	if !strings.Contains(spec, "%") {
		return strings.TrimSuffix(spec, "."), nil
	}
	var b strings.Builder
	for i := 0; i < len(spec); i++ {
		if spec[i] != '%' {
			b.WriteByte(spec[i])
			continue
		}
		if i+1 >= len(spec) {
			return "", permError("a lone %% ends %q", spec)
		}
		i++
		switch spec[i] {
		case '%':
			b.WriteByte('%')
		case '_':
			b.WriteByte(' ')
		case '-':
			b.WriteString("%20")
		case '{':
			end := strings.IndexByte(spec[i:], '}')
			if end < 2 {
				return "", permError("unclosed macro in %q", spec)
			}
			value, err := c.macro(spec[i+1:i+end], domain)
			if err != nil {
				return "", err
			}
			b.WriteString(value)
			i += end
		default:
			return "", permError("unknown macro %%%c in %q", spec[i], spec)
		}
	}
	return strings.TrimSuffix(b.String(), "."), nil
}

// macro expands the inside of one %{…}: a letter, then optionally how many
// labels to keep from the right, r to reverse them, and the delimiters to
// split on.
func (c *spfCheck) macro(m, domain string) (string, error) {
	local, senderDomain, _ := strings.Cut(c.sender, "@")
	var value string
	switch m[0] | 0x20 { // lower case
	case 's':
		value = c.sender
	case 'l':
		value = local
	case 'o':
		value = senderDomain
	case 'd', 'h':
		value = domain
	case 'i':
		value = c.ip.String()
		if c.ip.Is6() {
			hex := strings.ReplaceAll(netip.AddrFrom16(c.ip.As16()).StringExpanded(), ":", "")
			value = strings.Join(strings.Split(hex, ""), ".")
		}
	case 'v':
		value = "in-addr"
		if c.ip.Is6() {
			value = "ip6"
		}
	default:
		return "", permError("unknown macro letter %q", m[:1])
	}
	rest := m[1:]
	digits := len(rest) - len(strings.TrimLeft(rest, "0123456789"))
	keep := 0
	if digits > 0 {
		keep, _ = strconv.Atoi(rest[:digits])
	}
	rest = rest[digits:]
	reverse := strings.HasPrefix(rest, "r") || strings.HasPrefix(rest, "R")
	if reverse {
		rest = rest[1:]
	}
	delims := rest
	if delims == "" {
		delims = "."
	}
	parts := strings.FieldsFunc(value, func(r rune) bool { return strings.ContainsRune(delims, r) })
	if reverse {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	if keep > 0 && keep < len(parts) {
		parts = parts[len(parts)-keep:]
	}
	return strings.Join(parts, "."), nil
}

// notFound reports a DNS answer that the name has no such records.
func notFound(err error) bool {
	var e *net.DNSError
	return errors.As(err, &e) && e.IsNotFound
}
