package mailtest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
)

// DNS is a fake resolver for the sending domain's DNS pre-flight
// (mail.Resolver): it answers from its maps as a zone would. Names it does
// not hold do not exist; names in Fail time out. A name is looked up
// without its final dot ("mx1.example." is "mx1.example"), as DNS does. Change it only through
// Set and SetFail once it is in use.
type DNS struct {
	mu   sync.Mutex
	TXT  map[string][]string
	MX   map[string][]*net.MX
	IP   map[string][]string // addresses by host name, both families
	PTR  map[string][]string // host names by address
	Fail map[string]bool
}

// Set replaces the TXT records of name; none deletes them.
func (d *DNS) Set(name string, txt ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.TXT == nil {
		d.TXT = map[string][]string{}
	}
	if len(txt) == 0 {
		delete(d.TXT, name)
		return
	}
	d.TXT[name] = txt
}

// SetFail makes lookups of name time out, or answer again.
func (d *DNS) SetFail(name string, fail bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Fail == nil {
		d.Fail = map[string]bool{}
	}
	d.Fail[name] = fail
}

// fqdn drops the final dot of a fully qualified name.
func fqdn(name string) string { return strings.TrimSuffix(name, ".") }

func (d *DNS) answer(name string, found bool) error {
	switch {
	case d.Fail[name]:
		return &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true, IsTemporary: true}
	case !found:
		return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return nil
}

// LookupTXT returns the TXT records of name.
func (d *DNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	name = fqdn(name)
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.TXT[name]
	return v, d.answer(name, ok)
}

// LookupMX returns the MX records of name.
func (d *DNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	name = fqdn(name)
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.MX[name]
	return v, d.answer(name, ok)
}

// LookupNetIP returns the addresses of host of the family network names
// (ip4, ip6 or ip for both).
func (d *DNS) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	host = fqdn(host)
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []netip.Addr
	for _, s := range d.IP[host] {
		a := netip.MustParseAddr(s)
		if network == "ip" || (network == "ip4") == a.Is4() {
			out = append(out, a)
		}
	}
	return out, d.answer(host, len(out) > 0)
}

// LookupAddr returns the host names of the address addr (PTR records).
func (d *DNS) LookupAddr(_ context.Context, addr string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.PTR[addr]
	return v, d.answer(addr, ok)
}

// SendingZone is domain set up for bulk mail relayed from the IPv4 address
// relay: the DKIM key at s1._domainkey, SPF for the relay and DMARC
// p=none; and the key, which signs for domain.
func SendingZone(t testing.TB, domain, relay string) (*DNS, *tmail.DKIM) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dns := &DNS{}
	dns.Set("s1._domainkey."+domain, "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(pub))
	dns.Set(domain, "v=spf1 ip4:"+relay+" -all")
	dns.Set("_dmarc."+domain, "v=DMARC1; p=none")
	return dns, &tmail.DKIM{Domain: domain, Selector: "s1", Signer: key}
}
