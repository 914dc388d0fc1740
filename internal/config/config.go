// Package config reads tamizdat's bootstrap configuration: what the binary
// needs before it can reach its database. Values come from command-line
// flags, then TAMIZDAT_* environment variables, then an optional file, then
// defaults, in that order of precedence. Site settings that editors change
// live in the database instead.
package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	netmail "net/mail"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/web"
)

// Config is the bootstrap configuration of one tamizdat process.
type Config struct {
	Addr        string        // listen address, HOST:PORT
	DB          string        // sqlite:PATH or postgres://…
	BaseURL     string        // public address of the main site, for canonical links; may be empty
	AdminURL    string        // the desk's one origin (WebAuthn relying party); empty: http://localhost:PORT of Addr
	Demo        bool          // load demo content into an empty database
	LogFormat   string        // text or json
	LogLevel    string        // debug, info, warn, error
	CacheMaxAge time.Duration // how long browsers and CDNs may reuse a page
	CacheBytes  int64         // memory budget of the rendered-page cache
	// SecretKeyFile holds the master key that encrypts readers' personal
	// data (subscribers' addresses); created on first start if missing.
	// Keep it on another volume than the database, and back it up apart.
	SecretKeyFile        string
	PrivacyPolicyVersion string // named in newsletter consent records; empty: the policy page's last update
	BounceSecret         string // shared secret of POST /newsletter/bounces; empty turns it off
	// Sending newsletter issues: SMTPURL lists the servers
	// (smtp://user:pass@host:587?tls=starttls, comma-separated); empty
	// sends nothing. MailFrom is the sender; DKIMKeyFile and DKIMSelector
	// sign for its domain. SendRate caps messages per second per server
	// (0: no cap) and SendWorkers is how many are sent at once.
	SMTPURL      string
	MailFrom     string
	DKIMKeyFile  string
	DKIMSelector string
	SendRate     float64
	SendWorkers  int
	// Safeguards of bulk sending: the DNS pre-flight checks that the SPF
	// record covers SPFRelays (comma-separated; empty: the smtp-url hosts),
	// and SkipDNSCheck (testing only) sends despite a failed pre-flight.
	// ComplaintRate (percent) and ComplaintSample tune the complaint-rate
	// breaker; SoftBounceLimit is how many campaigns in a row may bounce
	// softly before an address is suppressed. SecondApprovalOver is the
	// two-person rule (requirement S5): issues to more recipients need two
	// approvers (0: never).
	SPFRelays          string
	SkipDNSCheck       bool
	ComplaintRate      float64
	ComplaintSample    int
	SoftBounceLimit    int
	SecondApprovalOver int
	// Donations through Stripe: StripeKey is the secret API key (empty:
	// donations are off), StripeWebhookSecret the webhook endpoint's
	// signing secret, StripeAPIURL replaces Stripe's API address (for
	// stripe-mock). DonorRetentionMonths erases donors who gave nothing
	// for that long and have no live recurring donation (0: keep).
	StripeKey            string
	StripeWebhookSecret  string
	StripeAPIURL         string
	DonorRetentionMonths int
	// StripeCustomerPortal offers donors Stripe's customer portal from the
	// page that manages their donation; it must be set up in Stripe first.
	StripeCustomerPortal bool
	// Image uploads: MediaDir is the directory they are stored in (empty:
	// in memory, for tests); MaxUploadBytes is the largest accepted.
	MediaDir       string
	MaxUploadBytes int64
	// TrustedProxies lists the reverse proxies (addresses or networks)
	// whose ProxyHeader (X-Forwarded-For or Forwarded) names the client,
	// for rate limits and login throttling. Empty: the TCP peer is the
	// client and the headers are ignored.
	TrustedProxies string
	ProxyHeader    string
	// AuditSink receives a copy of every audit-log entry as a JSON line:
	// a file path, or syslog (local) or syslog+udp:// / syslog+tcp://
	// HOST:PORT. Empty: the copy in the database only.
	AuditSink string
}

// EnvPrefix starts the name of every environment variable tamizdat reads.
const EnvPrefix = "TAMIZDAT_"

// Register declares the flags of c on fs, with their defaults. Which flags a
// command registers decides which settings it accepts; Load then fills them.
func (c *Config) Register(fs *flag.FlagSet, names ...string) {
	all := map[string]func(){
		"addr": func() { fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen on `HOST:PORT`") },
		"db": func() {
			fs.StringVar(&c.DB, "db", "sqlite:data/tamizdat.db", "database `URL`: sqlite:PATH or postgres://USER@HOST/DB")
		},
		"base-url": func() {
			fs.StringVar(&c.BaseURL, "base-url", "", "public `URL` of the main site, e.g. https://news.example (used for canonical links)")
		},
		"admin-url": func() {
			fs.StringVar(&c.AdminURL, "admin-url", "", "`URL` of the desk (the only host that serves /admin), e.g. https://desk.news.example; default http://localhost:PORT")
		},
		"demo":       func() { fs.BoolVar(&c.Demo, "demo", true, "load demo content when the database is empty") },
		"log-format": func() { fs.StringVar(&c.LogFormat, "log-format", "text", "log `format`: text or json") },
		"log-level":  func() { fs.StringVar(&c.LogLevel, "log-level", "info", "log `level`: debug, info, warn or error") },
		"cache-max-age": func() {
			fs.DurationVar(&c.CacheMaxAge, "cache-max-age", time.Minute, "how long browsers and CDNs may reuse a page (`duration`)")
		},
		"cache-bytes": func() {
			fs.Int64Var(&c.CacheBytes, "cache-bytes", 64<<20, "memory budget of the rendered-page cache in `bytes`")
		},
		"secret-key-file": func() {
			fs.StringVar(&c.SecretKeyFile, "secret-key-file", "data/secret.key", "`FILE` with the key that encrypts subscribers' addresses and staff TOTP secrets; created if missing. Keep it apart from the database, and back it up: without it the addresses are lost")
		},
		"privacy-policy-version": func() {
			fs.StringVar(&c.PrivacyPolicyVersion, "privacy-policy-version", "", "`version` of the Privacy Policy named in newsletter consent records; default: the policy page's last update")
		},
		"smtp-url": func() {
			fs.StringVar(&c.SMTPURL, "smtp-url", "", "SMTP `URLs` newsletters are sent through, comma-separated: smtp://user:pass@host:587 (STARTTLS), smtps://… (TLS), ?tls=none for a local relay, ?backup=1 for a fallback; empty: send nothing")
		},
		"mail-from": func() {
			fs.StringVar(&c.MailFrom, "mail-from", "", "sender of newsletter emails, e.g. \"The Weekly <news@example.org>\"")
		},
		"dkim-key-file": func() {
			fs.StringVar(&c.DKIMKeyFile, "dkim-key-file", "", "`FILE` with the PEM private key (RSA or Ed25519) to DKIM-sign emails for the domain of mail-from; empty: unsigned")
		},
		"dkim-selector": func() {
			fs.StringVar(&c.DKIMSelector, "dkim-selector", "", "DKIM `selector` whose public key is published at SELECTOR._domainkey.DOMAIN")
		},
		"send-rate": func() {
			fs.Float64Var(&c.SendRate, "send-rate", 0, "most newsletter `messages` per second to each SMTP server; 0: no limit")
		},
		"send-workers": func() {
			fs.IntVar(&c.SendWorkers, "send-workers", 8, "newsletter messages being sent at once (`count`)")
		},
		"spf-relays": func() {
			fs.StringVar(&c.SPFRelays, "spf-relays", "", "host names or IP `addresses` newsletter mail leaves from, comma-separated, which the SPF record of the mail-from domain must cover; default: the smtp-url servers")
		},
		"skip-dns-check": func() {
			fs.BoolVar(&c.SkipDNSCheck, "skip-dns-check", false, "send newsletters even when the mail-from domain lacks DKIM, SPF or DMARC records (for testing only: mailbox providers bin such mail)")
		},
		"complaint-rate": func() {
			fs.Float64Var(&c.ComplaintRate, "complaint-rate", 0.1, "pause a newsletter send when spam complaints exceed this `percent` of its deliveries (counted as at least complaint-sample)")
		},
		"complaint-sample": func() {
			fs.IntVar(&c.ComplaintSample, "complaint-sample", 1000, "the fewest deliveries (`count`) complaint-rate is taken of, so one early complaint does not pause a send")
		},
		"soft-bounce-limit": func() {
			fs.IntVar(&c.SoftBounceLimit, "soft-bounce-limit", 3, "suppress an address after this many newsletter `campaigns` in a row bounced softly")
		},
		"second-approval-over": func() {
			fs.IntVar(&c.SecondApprovalOver, "second-approval-over", 0, "a newsletter issue to more than this many `recipients` goes out only once two different editors or admins approved it; 0: one is enough. Give every server the same value")
		},
		"bounce-secret": func() {
			fs.StringVar(&c.BounceSecret, "bounce-secret", "", "shared `secret` mail services send in the X-Bounce-Secret header of bounce and complaint notices to /newsletter/bounces; empty turns the endpoint off")
		},
		"stripe-key": func() {
			fs.StringVar(&c.StripeKey, "stripe-key", "", "Stripe secret API `key` (sk_… or a restricted rk_…) that donations go through; empty: donations are off")
		},
		"stripe-webhook-secret": func() {
			fs.StringVar(&c.StripeWebhookSecret, "stripe-webhook-secret", "", "signing `secret` (whsec_…) of the Stripe webhook endpoint BASE-URL/support/webhook")
		},
		"stripe-api-url": func() {
			fs.StringVar(&c.StripeAPIURL, "stripe-api-url", "", "`URL` of the Stripe API, for a test double such as stripe-mock; empty: Stripe's")
		},
		"media-dir": func() {
			fs.StringVar(&c.MediaDir, "media-dir", "data/media", "`directory` uploaded images are stored in; keep it outside anything a web server executes")
		},
		"max-upload-bytes": func() {
			fs.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", 20<<20, "largest image upload accepted, in `bytes`")
		},
		"stripe-customer-portal": func() {
			fs.BoolVar(&c.StripeCustomerPortal, "stripe-customer-portal", false, "offer donors Stripe's customer portal (card, past payments); set it up in Stripe's dashboard first")
		},
		"trusted-proxies": func() {
			fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "reverse proxies whose proxy-header names the client, as `addresses or networks` separated by commas (e.g. 127.0.0.1,10.0.0.0/8); empty: clients are the TCP peers")
		},
		"proxy-header": func() {
			fs.StringVar(&c.ProxyHeader, "proxy-header", "X-Forwarded-For", "`header` the trusted proxies name the client in: X-Forwarded-For or Forwarded")
		},
		"audit-sink": func() {
			fs.StringVar(&c.AuditSink, "audit-sink", "", "where a copy of every audit-log entry is written as a JSON line: a file `path`, syslog (the local daemon), or syslog+udp://HOST:PORT or syslog+tcp://HOST:PORT; empty: the database only")
		},
		"donor-retention-months": func() {
			fs.IntVar(&c.DonorRetentionMonths, "donor-retention-months", 24, "erase donors with no live recurring donation who gave nothing for this many `months`; 0 keeps them")
		},
	}
	for _, n := range names {
		register, ok := all[n]
		if !ok {
			panic("config: unknown setting " + n)
		}
		register()
	}
	fs.String("config", "", "read settings from `FILE` (lines of name = value)")
}

// Load parses args into fs and applies, for each flag not given on the
// command line, the TAMIZDAT_* environment variable or else the config
// file's value. It then validates the result.
func (c *Config) Load(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	file := map[string]string{}
	path := fs.Lookup("config").Value.String()
	if path == "" {
		path = getenv(EnvName("config"))
	}
	if path != "" {
		var err error
		if file, err = readFile(path, fs); err != nil {
			return err
		}
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || f.Name == "config" {
			return
		}
		source, value := "", ""
		if v := getenv(EnvName(f.Name)); v != "" {
			source, value = "environment variable "+EnvName(f.Name), v
		} else if v, ok := file[f.Name]; ok {
			source, value = "config file "+path, v
		} else {
			return
		}
		if err := f.Value.Set(value); err != nil {
			errs = append(errs, fmt.Errorf("%s: invalid value %q for %s: %v", source, value, f.Name, err))
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return c.validate(fs)
}

// EnvName is the environment variable that sets the flag name.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func readFile(path string, fs *flag.FlagSet) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	values := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.Trim(strings.TrimSpace(value), `"`)
		if !ok || name == "" {
			return nil, fmt.Errorf("config file %s line %d: expected \"name = value\", got %q", path, n, line)
		}
		if fs.Lookup(name) == nil || name == "config" {
			return nil, fmt.Errorf("config file %s line %d: unknown setting %q (run with --help to see the settings)", path, n, name)
		}
		values[name] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return values, nil
}

func (c *Config) validate(fs *flag.FlagSet) error {
	var errs []error
	if fs.Lookup("addr") != nil {
		if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("addr %q: expected HOST:PORT, for example 127.0.0.1:8080", c.Addr))
		}
	}
	if fs.Lookup("db") != nil && !strings.HasPrefix(c.DB, "sqlite:") && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		errs = append(errs, fmt.Errorf("db %q: expected sqlite:PATH or postgres://USER@HOST/DB", c.DB))
	}
	if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		errs = append(errs, fmt.Errorf("base-url %q: expected an http:// or https:// address", c.BaseURL))
	}
	if err := validateAdminURL(c.AdminURL); err != nil {
		errs = append(errs, err)
	}
	if fs.Lookup("log-format") != nil && c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log-format %q: expected text or json", c.LogFormat))
	}
	if fs.Lookup("log-level") != nil {
		switch c.LogLevel {
		case "debug", "info", "warn", "error":
		default:
			errs = append(errs, fmt.Errorf("log-level %q: expected debug, info, warn or error", c.LogLevel))
		}
	}
	if fs.Lookup("secret-key-file") != nil && strings.TrimSpace(c.SecretKeyFile) == "" {
		errs = append(errs, errors.New("secret-key-file: needed, e.g. /var/lib/tamizdat-keys/secret.key: it encrypts subscribers' addresses"))
	}
	errs = append(errs, c.validateSending()...)
	errs = append(errs, c.validateSafeguards(fs)...)
	errs = append(errs, c.validateDonations(fs)...)
	if fs.Lookup("max-upload-bytes") != nil && c.MaxUploadBytes <= 0 {
		errs = append(errs, fmt.Errorf("max-upload-bytes %d: must be positive", c.MaxUploadBytes))
	}
	if fs.Lookup("media-dir") != nil && strings.TrimSpace(c.MediaDir) == "" {
		errs = append(errs, errors.New("media-dir: needed, e.g. /var/lib/tamizdat/media: uploaded images are stored there"))
	}
	if _, err := web.ParseTrustedProxies(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("trusted-proxies: %w", err))
	}
	if h := http.CanonicalHeaderKey(c.ProxyHeader); fs.Lookup("proxy-header") != nil && h != web.HeaderXForwardedFor && h != web.HeaderForwarded {
		errs = append(errs, fmt.Errorf("proxy-header %q: expected %s or %s, whichever your proxy sets", c.ProxyHeader, web.HeaderXForwardedFor, web.HeaderForwarded))
	}
	if c.CacheMaxAge < 0 {
		errs = append(errs, fmt.Errorf("cache-max-age %v: must not be negative", c.CacheMaxAge))
	}
	if c.CacheBytes < 0 {
		errs = append(errs, fmt.Errorf("cache-bytes %d: must not be negative (0 turns the cache off)", c.CacheBytes))
	}
	return errors.Join(errs...)
}

// validateSending checks the newsletter sending settings.
func (c *Config) validateSending() []error {
	var errs []error
	if c.SMTPURL != "" {
		if _, err := mail.ParseServers(c.SMTPURL); err != nil {
			errs = append(errs, fmt.Errorf("smtp-url: %w", err))
		}
		if c.MailFrom == "" {
			errs = append(errs, errors.New("mail-from: needed with smtp-url, e.g. \"The Weekly <news@example.org>\""))
		}
	}
	if c.MailFrom != "" {
		if a, err := netmail.ParseAddress(c.MailFrom); err != nil || strings.ContainsAny(c.MailFrom, "\r\n") || !strings.Contains(a.Address, "@") {
			errs = append(errs, fmt.Errorf("mail-from %q: expected an address such as \"The Weekly <news@example.org>\"", c.MailFrom))
		}
	}
	if (c.DKIMKeyFile == "") != (c.DKIMSelector == "") {
		errs = append(errs, errors.New("dkim-key-file and dkim-selector: give both, or neither"))
	}
	if c.SendRate < 0 {
		errs = append(errs, fmt.Errorf("send-rate %v: must not be negative (0: no limit)", c.SendRate))
	}
	if c.SendWorkers < 0 {
		errs = append(errs, fmt.Errorf("send-workers %d: must not be negative", c.SendWorkers))
	}
	return errs
}

// validateSafeguards checks the settings of the sending safeguards, for
// the commands that take them.
func (c *Config) validateSafeguards(fs *flag.FlagSet) []error {
	var errs []error
	if fs.Lookup("complaint-rate") != nil && (c.ComplaintRate <= 0 || c.ComplaintRate > 100) {
		errs = append(errs, fmt.Errorf("complaint-rate %v: give a percentage above 0 and at most 100, e.g. 0.1", c.ComplaintRate))
	}
	if fs.Lookup("complaint-sample") != nil && c.ComplaintSample < 1 {
		errs = append(errs, fmt.Errorf("complaint-sample %d: must be at least 1", c.ComplaintSample))
	}
	if fs.Lookup("soft-bounce-limit") != nil && c.SoftBounceLimit < 1 {
		errs = append(errs, fmt.Errorf("soft-bounce-limit %d: must be at least 1", c.SoftBounceLimit))
	}
	if c.SecondApprovalOver < 0 {
		errs = append(errs, fmt.Errorf("second-approval-over %d: give a number of recipients, or 0 for no second approval", c.SecondApprovalOver))
	}
	for _, relay := range strings.Split(c.SPFRelays, ",") {
		if relay = strings.TrimSpace(relay); strings.ContainsAny(relay, " /:@") && net.ParseIP(relay) == nil {
			errs = append(errs, fmt.Errorf("spf-relays: %q is neither a host name nor an IP address", relay))
		}
	}
	return errs
}

// validateAdminURL checks the desk's address: scheme and host only, and
// https unless the host is a loopback one, where browsers allow passkeys
// and secure cookies over plain http.
func validateAdminURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("admin-url %q: expected an address such as https://desk.news.example", raw)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("admin-url %q: give only the scheme and host; the desk is at /admin on it", raw)
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	if u.Scheme == "http" && !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("admin-url %q: use https; plain http is only allowed for localhost", raw)
	}
	return nil
}

// DeskURL returns the desk's address: AdminURL, or else
// http://localhost:PORT for the port of Addr.
func (c *Config) DeskURL() string {
	if c.AdminURL != "" {
		return strings.TrimSuffix(c.AdminURL, "/")
	}
	port := "8080"
	if _, p, err := net.SplitHostPort(c.Addr); err == nil && p != "" && p != "0" {
		port = p
	}
	return "http://localhost:" + port
}

func (c *Config) validateDonations(fs *flag.FlagSet) []error {
	var errs []error
	if c.StripeKey != "" && !strings.HasPrefix(c.StripeKey, "sk_") && !strings.HasPrefix(c.StripeKey, "rk_") {
		errs = append(errs, errors.New("stripe-key: expected a secret key starting sk_ or rk_ (never the publishable pk_ key)"))
	}
	if c.StripeKey != "" && c.StripeWebhookSecret == "" && fs.Lookup("stripe-webhook-secret") != nil {
		errs = append(errs, errors.New("stripe-webhook-secret: needed with stripe-key, or no payment would ever be recorded; it is shown where the webhook endpoint is set up in Stripe's dashboard"))
	}
	if c.StripeWebhookSecret != "" && !strings.HasPrefix(c.StripeWebhookSecret, "whsec_") {
		errs = append(errs, errors.New("stripe-webhook-secret: expected a signing secret starting whsec_"))
	}
	if u, err := url.Parse(c.StripeAPIURL); c.StripeAPIURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		errs = append(errs, fmt.Errorf("stripe-api-url %q: expected an address such as http://127.0.0.1:12111", c.StripeAPIURL))
	}
	if c.DonorRetentionMonths < 0 {
		errs = append(errs, fmt.Errorf("donor-retention-months %d: must not be negative (0 keeps donors)", c.DonorRetentionMonths))
	}
	return errs
}
