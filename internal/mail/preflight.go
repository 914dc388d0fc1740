package mail

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"strings"
	"time"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"
)

// Resolver looks up the DNS records the pre-flight check reads.
// *net.Resolver is one; tests use a fake.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error) // PTR, for SPF's ptr mechanism
}

// DomainCheck is the DNS pre-flight of bulk mail (requirement E3): before
// an issue goes out, the From domain must publish the DKIM key we sign
// with, an SPF record that lets our relays send for it, and a DMARC policy
// (p=none at least) under which our signature aligns with From. Mailbox
// providers reject or bin bulk mail that lacks any of them, and a sender
// that keeps trying burns its reputation.
type DomainCheck struct {
	// From is the sender address, e.g. "News <news@example.org>"; it is the
	// envelope sender too, so SPF is checked for its domain.
	From string
	// DKIM is the signing key; nil fails the check: bulk mail must be
	// signed.
	DKIM *DKIM
	// Relays are the host names or IP addresses our mail leaves from, which
	// the SPF record must authorize: the SMTP servers, unless they hand the
	// mail on from other addresses.
	Relays []string
	// Resolver answers the lookups; net.DefaultResolver when nil.
	Resolver Resolver
}

// Names of the checks in a Report, in order. CheckSender appears alone,
// when there is no domain to check.
const (
	CheckSender    = "Sender"
	CheckDKIM      = "DKIM"
	CheckSPF       = "SPF"
	CheckDMARC     = "DMARC"
	CheckAlignment = "Alignment"
)

// Check is the outcome of one part of the pre-flight.
type Check struct {
	Name   string // one of the Check* names
	OK     bool
	Detail string // what was found
	Fix    string // what to do about it; "" when OK
}

// Report is the outcome of a DomainCheck, for the desk and the log.
type Report struct {
	Domain    string
	Checks    []Check
	CheckedAt time.Time
}

// ErrDomainNotReady is wrapped by Report.Err.
var ErrDomainNotReady = errors.New("mail: the sending domain is not set up for bulk mail")

// OK reports whether every check passed.
func (r Report) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Err returns nil when every check passed, or an error wrapping
// ErrDomainNotReady that lists what is missing and how to fix it.
func (r Report) Err() error {
	if r.OK() {
		return nil
	}
	var b strings.Builder
	for _, c := range r.Checks {
		if !c.OK {
			fmt.Fprintf(&b, "\n- %s: %s. Fix: %s", c.Name, c.Detail, c.Fix)
		}
	}
	return fmt.Errorf("%w (%s):%s", ErrDomainNotReady, r.Domain, b.String())
}

// Run checks the From domain's DNS and reports on each part. It does not
// fail: a lookup that fails is a failed check saying so.
func (dc DomainCheck) Run(ctx context.Context) Report {
	rep := Report{CheckedAt: time.Now()}
	from, err := mail.ParseAddress(dc.From)
	if err != nil || !strings.Contains(from.Address, "@") {
		rep.Checks = []Check{{Name: CheckSender, Detail: fmt.Sprintf("the sender address %q is not valid", dc.From),
			Fix: `set mail-from to an address such as "News <news@example.org>"`}}
		return rep
	}
	rep.Domain = strings.ToLower(from.Address[strings.LastIndexByte(from.Address, '@')+1:])
	r := dc.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	policy, dmarcCheck := checkDMARC(ctx, r, rep.Domain)
	dkimCheck := dc.checkDKIM(ctx, r, rep.Domain)
	rep.Checks = []Check{
		dkimCheck,
		dc.checkSPF(ctx, r, rep.Domain, from.Address),
		dmarcCheck,
		dc.checkAlignment(rep.Domain, policy, dkimCheck.OK),
	}
	return rep
}

// checkDKIM signs a probe message with the configured key and verifies it
// against the published one.
func (dc DomainCheck) checkDKIM(ctx context.Context, r Resolver, domain string) Check {
	c := Check{Name: CheckDKIM}
	if dc.DKIM == nil {
		c.Detail = "messages are not DKIM-signed"
		c.Fix = "set dkim-key-file and dkim-selector, and publish the public key as a TXT record at SELECTOR._domainkey." + domain
		return c
	}
	name := dc.DKIM.Selector + "._domainkey." + dc.DKIM.Domain
	want, err := dkimRecord(dc.DKIM)
	if err != nil {
		c.Detail, c.Fix = err.Error(), "use an RSA (2048-bit) or Ed25519 key"
		return c
	}
	c.Fix = fmt.Sprintf("publish a TXT record at %s with the value %q", name, want)
	txts, err := r.LookupTXT(ctx, name)
	switch {
	case notFound(err) || (err == nil && len(txts) == 0):
		c.Detail = "there is no TXT record at " + name
		return c
	case err != nil:
		c.Detail = fmt.Sprintf("looking up %s failed: %v", name, err)
		c.Fix = "check this server's DNS resolver, then try again"
		return c
	}
	probe := &Message{From: dc.From, To: "preflight@" + domain, Subject: "DKIM pre-flight", Text: "A message that is signed and verified, never sent.\r\n"}
	raw, _, err := probe.encode(time.Now())
	if err == nil {
		raw, err = dc.DKIM.sign(raw)
	}
	if err != nil {
		c.Detail = "signing a test message failed: " + err.Error()
		c.Fix = "check dkim-key-file"
		return c
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) { return r.LookupTXT(ctx, name) },
	})
	if err == nil && len(vs) == 1 {
		err = vs[0].Err
	}
	if err != nil {
		c.Detail = fmt.Sprintf("the key published at %s does not verify our signature (%v)", name, err)
		return c
	}
	c.OK, c.Fix = true, ""
	c.Detail = "the key published at " + name + " verifies our signature"
	return c
}

// dkimRecord is the TXT record that publishes d's public key.
func dkimRecord(d *DKIM) (string, error) {
	switch pub := d.Signer.Public().(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", err
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub), nil
	default:
		return "", fmt.Errorf("the DKIM key is a %T", pub)
	}
}

// checkSPF checks that the SPF policy of the envelope sender's domain
// passes mail from every address of every relay.
func (dc DomainCheck) checkSPF(ctx context.Context, r Resolver, domain, sender string) Check {
	c := Check{Name: CheckSPF}
	if len(dc.Relays) == 0 {
		c.Detail = "no relay is configured to check"
		c.Fix = "set smtp-url, or spf-relays to the hosts your mail leaves from"
		return c
	}
	var problems, passed, missing []string
	records := spfRecords(ctx, r, domain)
	record := strings.Join(records, `", "`)
	for _, relay := range dc.Relays {
		addrs, err := relayAddrs(ctx, r, relay)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		for _, ip := range addrs {
			if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
				problems = append(problems, fmt.Sprintf("the relay %s is at the private address %s, not the public one receivers see", relay, ip))
				c.Fix = "set spf-relays to the host names or public addresses your mail leaves from (e.g. your mail service's outbound host), and make the SPF record of " + domain + " cover them"
				continue
			}
			result, err := spfCheckHost(ctx, r, ip, domain, sender)
			switch result {
			case spf.Pass:
				passed = append(passed, fmt.Sprintf("%s (%s)", relay, ip))
			case spf.None:
				problems = append(problems, domain+" publishes no SPF record")
			case spf.PermError, spf.TempError:
				problems = append(problems, fmt.Sprintf("the SPF record of %s (%q) gives %s for the relay %s at %s: %s", domain, record, result, relay, ip, spfWhy(err, domain, records)))
			default:
				problems = append(problems, fmt.Sprintf("the SPF record of %s (%q) gives %s, not pass, for the relay %s at %s", domain, record, result, relay, ip))
				missing = append(missing, spfTerm(ip))
			}
		}
	}
	if len(problems) > 0 {
		c.Detail = strings.Join(dedupe(problems), "; ")
		if c.Fix == "" && len(missing) > 0 {
			c.Fix = fmt.Sprintf("add %s (or include: your mail service's SPF domain) to the SPF record of %s, before its all", strings.Join(dedupe(missing), " "), domain)
		}
		if c.Fix == "" {
			c.Fix = fmt.Sprintf("publish a TXT record at %s such as %q, naming the addresses your mail leaves from", domain, "v=spf1 "+spfTerm(netip.MustParseAddr("192.0.2.1"))+" -all")
		}
		return c
	}
	c.OK = true
	c.Detail = fmt.Sprintf("%q lets %s send for %s", record, strings.Join(passed, ", "), domain)
	return c
}

// relayAddrs returns the addresses of a relay given by name or address.
func relayAddrs(ctx context.Context, r Resolver, relay string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(relay); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	addrs, err := r.LookupNetIP(ctx, "ip", relay)
	if err != nil || len(addrs) == 0 {
		return nil, fmt.Errorf("the relay %s could not be looked up (%v)", relay, err)
	}
	for i, a := range addrs {
		addrs[i] = a.Unmap()
	}
	return addrs, nil
}

func spfTerm(ip netip.Addr) string {
	if ip.Is4() {
		return "ip4:" + ip.String()
	}
	return "ip6:" + ip.String()
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	out := list[:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// checkDMARC finds the DMARC policy that applies to domain: its own, or
// else its organizational domain's (RFC 7489 §6.6.3).
func checkDMARC(ctx context.Context, r Resolver, domain string) (*dmarc.Record, Check) {
	c := Check{Name: CheckDMARC,
		Fix: fmt.Sprintf("publish a TXT record at _dmarc.%s such as %q; tighten p= to quarantine or reject once the reports look right", domain, "v=DMARC1; p=none; rua=mailto:dmarc-reports@"+domain)}
	org := orgDomain(domain)
	for _, d := range []string{domain, org} {
		name := "_dmarc." + d
		txts, err := r.LookupTXT(ctx, name)
		if err != nil && !notFound(err) {
			c.Detail = fmt.Sprintf("looking up %s failed: %v", name, err)
			c.Fix = "check this server's DNS resolver, then try again"
			return nil, c
		}
		for _, txt := range txts {
			if !strings.HasPrefix(txt, "v=DMARC1") {
				continue
			}
			rec, err := dmarc.Parse(txt)
			if err != nil {
				c.Detail = fmt.Sprintf("the record at %s (%q) is not valid DMARC: %v", name, txt, err)
				return nil, c
			}
			policy := rec.Policy
			if d != domain && rec.SubdomainPolicy != "" {
				policy = rec.SubdomainPolicy
			}
			c.OK, c.Fix = true, ""
			c.Detail = fmt.Sprintf("%s publishes p=%s", name, policy)
			return rec, c
		}
		if org == domain {
			break
		}
	}
	c.Detail = "there is no DMARC record at _dmarc." + domain
	if org != domain {
		c.Detail += " or _dmarc." + org
	}
	return nil, c
}

// checkAlignment checks that our DKIM signature's domain aligns with the
// From domain under the DMARC policy's adkim mode, so that DMARC passes on
// the signature alone: SPF alignment is lost whenever a message is
// forwarded. (The envelope sender is the From address, so SPF aligns.)
func (dc DomainCheck) checkAlignment(domain string, policy *dmarc.Record, dkimOK bool) Check {
	c := Check{Name: CheckAlignment}
	mode := dmarc.AlignmentMode(dmarc.AlignmentRelaxed)
	if policy != nil {
		mode = policy.DKIMAlignment
	}
	switch {
	case dc.DKIM == nil || !dkimOK:
		c.Detail = "no valid DKIM signature to align with " + domain
		c.Fix = "fix the DKIM check first"
	case !aligned(dc.DKIM.Domain, domain, mode):
		c.Detail = fmt.Sprintf("the DKIM signature is for %s, which does not align with the From domain %s (adkim=%s)", dc.DKIM.Domain, domain, mode)
		c.Fix = "sign for the domain of mail-from"
	default:
		c.OK = true
		c.Detail = fmt.Sprintf("DKIM d=%s and the envelope sender align with From %s (adkim=%s)", dc.DKIM.Domain, domain, mode)
	}
	return c
}

// aligned compares two domains as DMARC does: equal in strict mode, with
// the same organizational domain in relaxed mode.
func aligned(a, b string, mode dmarc.AlignmentMode) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if mode == dmarc.AlignmentStrict {
		return a == b
	}
	return orgDomain(a) == orgDomain(b)
}

// orgDomain is the registered domain of d: news.example.co.uk →
// example.co.uk.
func orgDomain(d string) string {
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d
	}
	return org
}
