package mail_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/mail/mailtest"
)

// goodDomain is news.example set up right for a relay at 203.0.113.7, and
// the DKIM key it publishes.
func goodDomain(t *testing.T) (*mailtest.DNS, *tmail.DKIM) {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	file, record := writeKey(t, key, "ed25519")
	d, err := tmail.LoadDKIM(file, "s1", "news.example")
	if err != nil {
		t.Fatal(err)
	}
	return &mailtest.DNS{
		TXT: map[string][]string{
			"s1._domainkey.news.example": {record},
			"news.example":               {"google-site-verification=x", "v=spf1 include:_spf.mailer.example -all"},
			"_spf.mailer.example":        {"v=spf1 ip4:198.51.100.0/24 a:out.mailer.example ~all"},
			"_dmarc.news.example":        {"v=DMARC1; p=none; rua=mailto:d@news.example"},
		},
		IP: map[string][]string{
			"smtp.mailer.example": {"203.0.113.7", "2001:db8::7"},
			"out.mailer.example":  {"203.0.113.7", "2001:db8::7"},
		},
	}, d
}

func check(dns *mailtest.DNS, d *tmail.DKIM, relays ...string) tmail.Report {
	if len(relays) == 0 {
		relays = []string{"smtp.mailer.example"}
	}
	return tmail.DomainCheck{From: "The Outlet <news@news.example>", DKIM: d, Relays: relays, Resolver: dns}.Run(context.Background())
}

// byName returns the check called name.
func byName(t *testing.T, r tmail.Report, name string) tmail.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", name, r)
	return tmail.Check{}
}

// TestDomainCheckPasses: a domain with DKIM, SPF through an include and an a:
// mechanism (both address families of the relay), and DMARC p=none.
func TestDomainCheckPasses(t *testing.T) {
	t.Parallel()
	dns, d := goodDomain(t)
	r := check(dns, d)
	if !r.OK() || r.Err() != nil || r.Domain != "news.example" {
		t.Fatalf("report %+v, error %v; want every check passed", r, r.Err())
	}
	if got := byName(t, r, tmail.CheckSPF).Detail; !strings.Contains(got, "smtp.mailer.example (2001:db8::7)") {
		t.Errorf("SPF detail %q does not name the relay's IPv6 address", got)
	}
	if got := byName(t, r, tmail.CheckDMARC).Detail; got != "_dmarc.news.example publishes p=none" {
		t.Errorf("DMARC detail %q", got)
	}
}

// TestDomainCheckBlocksWhatIsMissing: each missing or wrong record fails its
// check with a fix to apply, and the error lists them all.
func TestDomainCheckBlocksWhatIsMissing(t *testing.T) {
	t.Parallel()
	_, d := goodDomain(t)
	empty := &mailtest.DNS{IP: map[string][]string{"smtp.mailer.example": {"203.0.113.7"}}}
	r := check(empty, d)
	if r.OK() {
		t.Fatal("an empty zone passed")
	}
	err := r.Err()
	if !errors.Is(err, tmail.ErrDomainNotReady) {
		t.Fatalf("Err() = %v, want ErrDomainNotReady", err)
	}
	for _, want := range []string{
		"DKIM: there is no TXT record at s1._domainkey.news.example. Fix: publish a TXT record at s1._domainkey.news.example with the value \"v=DKIM1; k=ed25519; p=",
		"SPF: news.example publishes no SPF record",
		"DMARC: there is no DMARC record at _dmarc.news.example. Fix: publish a TXT record at _dmarc.news.example such as \"v=DMARC1; p=none;",
		"Alignment: no valid DKIM signature",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}

	// The published key is another one.
	dns, _ := goodDomain(t)
	_, other := goodDomain(t)
	if c := byName(t, check(dns, other), tmail.CheckDKIM); c.OK || !strings.Contains(c.Detail, "does not verify our signature") {
		t.Errorf("a key mismatch gives %+v", c)
	}
	// No key at all.
	if c := byName(t, check(dns, nil), tmail.CheckDKIM); c.OK || !strings.Contains(c.Fix, "dkim-key-file") {
		t.Errorf("no DKIM key gives %+v", c)
	}

	// SPF that does not cover the relay.
	dns.TXT["news.example"] = []string{"v=spf1 ip4:198.51.100.1 ~all"}
	c := byName(t, check(dns, d), tmail.CheckSPF)
	if c.OK || !strings.Contains(c.Detail, "gives softfail, not pass, for the relay smtp.mailer.example at 203.0.113.7") ||
		!strings.Contains(c.Fix, "add ip4:203.0.113.7") {
		t.Errorf("an SPF record without the relay gives %+v", c)
	}
	// A relay on this host: receivers never see that address.
	c = byName(t, check(dns, d, "127.0.0.1"), tmail.CheckSPF)
	if c.OK || !strings.Contains(c.Detail, "private address 127.0.0.1") || !strings.Contains(c.Fix, "spf-relays") {
		t.Errorf("a loopback relay gives %+v", c)
	}

	// DMARC with a record that is not valid.
	dns.TXT["_dmarc.news.example"] = []string{"v=DMARC1; p=maybe"}
	if c := byName(t, check(dns, d), tmail.CheckDMARC); c.OK || !strings.Contains(c.Detail, "is not valid DMARC") {
		t.Errorf("a broken DMARC record gives %+v", c)
	}
	// DNS not answering is a failed check that says so, not a pass.
	dns.Fail = map[string]bool{"_dmarc.news.example": true, "s1._domainkey.news.example": true}
	r = check(dns, d)
	if c := byName(t, r, tmail.CheckDMARC); c.OK || !strings.Contains(c.Detail, "timeout") || !strings.Contains(c.Fix, "try again") {
		t.Errorf("a DMARC lookup timing out gives %+v", c)
	}
	if c := byName(t, r, tmail.CheckDKIM); c.OK || !strings.Contains(c.Fix, "try again") {
		t.Errorf("a DKIM lookup timing out gives %+v", c)
	}
}

// TestDomainCheckOrganizationalDMARC: a subdomain without its own DMARC
// record falls under its organizational domain's, with sp= as its policy;
// a signature for a domain that does not align fails.
func TestDomainCheckOrganizationalDMARC(t *testing.T) {
	t.Parallel()
	dns, _ := goodDomain(t)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	file, record := writeKey(t, key, "ed25519")
	d, err := tmail.LoadDKIM(file, "s1", "mail.outlet.co.uk")
	if err != nil {
		t.Fatal(err)
	}
	dns.TXT["s1._domainkey.mail.outlet.co.uk"] = []string{record}
	dns.TXT["mail.outlet.co.uk"] = []string{"v=spf1 ip4:203.0.113.7 -all"}
	dns.TXT["_dmarc.outlet.co.uk"] = []string{"v=DMARC1; p=reject; sp=quarantine; adkim=s"}
	dc := tmail.DomainCheck{From: "news@mail.outlet.co.uk", DKIM: d, Relays: []string{"203.0.113.7"}, Resolver: dns}
	r := dc.Run(context.Background())
	if !r.OK() {
		t.Fatalf("%v", r.Err())
	}
	if got := byName(t, r, tmail.CheckDMARC).Detail; got != "_dmarc.outlet.co.uk publishes p=quarantine" {
		t.Errorf("DMARC detail %q, want the subdomain policy of the organizational domain", got)
	}

	// Signing for the parent domain aligns only in relaxed mode.
	file, record = writeKey(t, key, "ed25519")
	parent, err := tmail.LoadDKIM(file, "s1", "outlet.co.uk")
	if err != nil {
		t.Fatal(err)
	}
	dns.TXT["s1._domainkey.outlet.co.uk"] = []string{record}
	dc.DKIM = parent
	if c := byName(t, dc.Run(context.Background()), tmail.CheckAlignment); c.OK || !strings.Contains(c.Detail, "adkim=s") {
		t.Errorf("strict alignment with a parent-domain signature gives %+v", c)
	}
	dns.TXT["_dmarc.outlet.co.uk"] = []string{"v=DMARC1; p=none"}
	if c := byName(t, dc.Run(context.Background()), tmail.CheckAlignment); !c.OK {
		t.Errorf("relaxed alignment with a parent-domain signature gives %+v", c)
	}
}

// TestSPFEvaluation covers the mechanisms and limits of RFC 7208 through
// the SPF check, for a relay at 203.0.113.7.
func TestSPFEvaluation(t *testing.T) {
	t.Parallel()
	deepIncludes := map[string][]string{"news.example": {"v=spf1 include:i0.example -all"}}
	for i := range 11 {
		deepIncludes[fmt.Sprintf("i%d.example", i)] = []string{fmt.Sprintf("v=spf1 include:i%d.example -all", i+1)}
	}
	for _, tc := range []struct {
		name   string
		TXT    map[string][]string
		MX     map[string][]*net.MX
		IP     map[string][]string
		PTR    map[string][]string
		fail   string // a name whose lookups time out
		pass   bool
		detail string
	}{
		{name: "ip4 network", TXT: map[string][]string{"news.example": {"v=spf1 ip4:203.0.113.0/24 -all"}}, pass: true},
		{name: "mx with prefix", TXT: map[string][]string{"news.example": {"v=spf1 mx/28 -all"}},
			MX: map[string][]*net.MX{"news.example": {{Host: "mx1.news.example.", Pref: 10}}},
			IP: map[string][]string{"mx1.news.example": {"203.0.113.1"}}, pass: true},
		{name: "mx outside the prefix", TXT: map[string][]string{"news.example": {"v=spf1 mx -all"}},
			MX: map[string][]*net.MX{"news.example": {{Host: "mx1.news.example.", Pref: 10}}},
			IP: map[string][]string{"mx1.news.example": {"203.0.113.1"}}, detail: "gives fail"},
		{name: "redirect", TXT: map[string][]string{"news.example": {"v=spf1 redirect=_spf.news.example"}, "_spf.news.example": {"v=spf1 ip4:203.0.113.7 -all"}}, pass: true},
		{name: "exists with macros", TXT: map[string][]string{"news.example": {"v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all"}},
			IP: map[string][]string{"7.113.0.203.in-addr._spf.news.example": {"127.0.0.2"}}, pass: true},
		{name: "neutral default", TXT: map[string][]string{"news.example": {"v=spf1 ip4:192.0.2.1"}}, detail: "gives neutral"},
		{name: "two records", TXT: map[string][]string{"news.example": {"v=spf1 -all", "v=spf1 +all"}}, detail: "2 SPF records"},
		{name: "include without SPF", TXT: map[string][]string{"news.example": {"v=spf1 include:nothing.example -all"}}, detail: "without an SPF record"},
		{name: "too many lookups", TXT: deepIncludes, detail: "more than 10 DNS lookups"},
		{name: "unknown mechanism", TXT: map[string][]string{"news.example": {"v=spf1 ip5:1 -all"}}, detail: `("v=spf1 ip5:1 -all") gives permerror for the relay 203.0.113.7 at 203.0.113.7: it has a term that is neither an SPF mechanism nor a modifier`},
		{name: "ptr", TXT: map[string][]string{"news.example": {"v=spf1 ptr -all"}},
			PTR: map[string][]string{"203.0.113.7": {"relay.news.example."}},
			IP:  map[string][]string{"relay.news.example": {"203.0.113.7"}}, pass: true},
		{name: "ptr of another domain", TXT: map[string][]string{"news.example": {"v=spf1 ptr -all"}},
			PTR: map[string][]string{"203.0.113.7": {"relay.elsewhere.example."}},
			IP:  map[string][]string{"relay.elsewhere.example": {"203.0.113.7"}}, detail: "gives fail"},
		{name: "DNS timing out", TXT: map[string][]string{"news.example": {"v=spf1 -all"}}, fail: "news.example", detail: "gives temperror"},
		{name: "void lookups", TXT: map[string][]string{"news.example": {"v=spf1 a:n1.example a:n2.example a:n3.example -all"}}, detail: "find nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, d := goodDomain(t)
			dns := &mailtest.DNS{TXT: tc.TXT, MX: tc.MX, IP: tc.IP, PTR: tc.PTR, Fail: map[string]bool{tc.fail: true}}
			c := byName(t, check(dns, d, "203.0.113.7"), tmail.CheckSPF)
			if c.OK != tc.pass || !strings.Contains(c.Detail, tc.detail) {
				t.Errorf("SPF check %+v; want OK %v and a detail saying %q", c, tc.pass, tc.detail)
			}
		})
	}
}
