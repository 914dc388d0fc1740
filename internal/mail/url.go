package mail

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ParseServers reads a comma-separated list of SMTP server URLs such as
//
//	smtp://user:pass@mail.example:587?tls=starttls, smtps://backup.example?backup=1
//
// smtp:// defaults to port 587 and STARTTLS, smtps:// to port 465 and TLS
// from the first byte; tls=none, tls=starttls or tls=tls overrides the
// mode, and backup=1 keeps a server in reserve for when the others cannot
// be reached. Errors never repeat the password.
func ParseServers(list string) ([]Server, error) {
	var out []Server
	for i, raw := range strings.Split(list, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		sv, err := parseServer(raw)
		if err != nil {
			return nil, fmt.Errorf("mail: SMTP URL %d: %w", i+1, err)
		}
		out = append(out, sv)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("mail: no SMTP URL given; expected e.g. smtp://user:pass@mail.example:587")
	}
	return out, nil
}

func parseServer(raw string) (Server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the URL, password included.
		return Server{}, fmt.Errorf("not a URL such as smtp://user:pass@mail.example:587")
	}
	var sv Server
	port := ""
	switch u.Scheme {
	case "smtp":
		sv.TLS, port = TLSStartTLS, "587"
	case "smtps":
		sv.TLS, port = TLSImplicit, "465"
	default:
		return Server{}, fmt.Errorf("scheme %q; expected smtp:// or smtps://", u.Scheme)
	}
	if u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return Server{}, fmt.Errorf("%s: expected smtp://[user:pass@]host[:port][?tls=…]", u.Redacted())
	}
	if u.Port() != "" {
		port = u.Port()
	}
	sv.Addr = net.JoinHostPort(u.Hostname(), port)
	if u.User != nil {
		sv.Username = u.User.Username()
		sv.Password, _ = u.User.Password()
	}
	for key, values := range u.Query() {
		value := values[len(values)-1]
		switch key {
		case "tls":
			sv.TLS = TLSMode(value)
		case "backup":
			sv.Backup = value == "1" || value == "true"
		default:
			return Server{}, fmt.Errorf("%s: unknown parameter %q; known: tls, backup", u.Redacted(), key)
		}
	}
	if err := sv.check(); err != nil {
		return Server{}, err
	}
	return sv, nil
}
