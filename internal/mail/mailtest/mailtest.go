// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp) on
// a loopback port and records what it receives, so that tests of anything
// that sends mail go through a genuine SMTP conversation. Knobs make it
// refuse (FailNext) or stop answering (Hang), for retry and timeout tests.
package mailtest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
)

// Received is one message the server accepted.
type Received struct {
	From string   // envelope sender
	To   []string // envelope recipients
	// MessageID is the Message-ID header without angle brackets.
	MessageID string
	Size      int // of the message data, in bytes
	// Data is the message as received, and Header its parsed header; both
	// are nil when the server was started with Options.Discard.
	Data   []byte
	Header mail.Header
}

// Parts returns the decoded plain-text and HTML parts of a received
// message; html is empty for a message with only text.
func (r Received) Parts() (text, html string, err error) {
	msg, err := mail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		return "", "", err
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return "", "", fmt.Errorf("mailtest: Content-Type: %w", err)
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		b, err := io.ReadAll(decoded(msg.Body, msg.Header.Get("Content-Transfer-Encoding")))
		switch {
		case err != nil:
			return "", "", fmt.Errorf("mailtest: decode body: %w", err)
		case mediaType == "text/html":
			return "", string(b), nil
		case mediaType != "text/plain":
			return "", "", fmt.Errorf("mailtest: the message is %s, not text", mediaType)
		}
		return string(b), "", nil
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return text, html, nil
		}
		if err != nil {
			return "", "", err
		}
		b, err := io.ReadAll(decoded(p, p.Header.Get("Content-Transfer-Encoding")))
		if err != nil {
			return "", "", err
		}
		switch ct := p.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			html = string(b)
		}
	}
}

// decoded undoes a part's transfer encoding.
func decoded(r io.Reader, encoding string) io.Reader {
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r)
	}
	return r
}

// Options tune a server. The zero value accepts everything over plain text
// without authentication and keeps every message.
type Options struct {
	// Addr is where to listen; "127.0.0.1:0" (a free port) when empty.
	Addr string
	// TLS is the encryption clients must use: none (the default),
	// starttls or tls, with a self-signed certificate that SMTPConfig
	// trusts.
	TLS tmail.TLSMode
	// Username and Password, when set, are required through AUTH PLAIN.
	Username, Password string
	// Discard keeps only the envelope and Message-ID of each message: the
	// mode for benchmarks.
	Discard bool
}

// Server is a running SMTP server.
type Server struct {
	opts   Options
	smtp   *smtp.Server
	ln     net.Listener
	certs  *x509.CertPool
	closed chan struct{}

	mu        sync.Mutex
	msgs      []Received
	sessions  int
	failLeft  int
	failCode  int
	rejects   map[string]int // recipient → reply code
	attempts  map[string]int // recipient → RCPT commands naming it
	hang      chan struct{}  // non-nil while hanging; closing it releases sessions
	closeOnce sync.Once
}

// Start starts a server with the default options and stops it when the
// test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith starts a server with opts and stops it when the test ends.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// New starts a server outside a test, e.g. as a benchmark's sink. Close
// stops it.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	s := &Server{opts: opts, closed: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		s.mu.Unlock()
		return &session{s: s}, nil
	}))
	srv.Domain = "mailtest.localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = 32 << 20
	srv.MaxRecipients = 100
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.ErrorLog = quietLog{}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("mailtest: listen: %w", err)
	}
	switch opts.TLS {
	case "", tmail.TLSNone:
	case tmail.TLSStartTLS, tmail.TLSImplicit:
		cert, pool, err := selfSigned()
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.certs = pool
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		if opts.TLS == tmail.TLSImplicit {
			ln = tls.NewListener(ln, srv.TLSConfig)
		}
	default:
		ln.Close()
		return nil, fmt.Errorf("mailtest: unknown TLS mode %q", opts.TLS)
	}
	s.smtp, s.ln = srv, ln
	go srv.Serve(ln)
	return s, nil
}

// Close stops the server, releasing sessions held by Hang.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.smtp.Close()
	})
	return nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// SMTPConfig returns a configuration for mail.NewSMTP that reaches this
// server with its TLS mode and credentials, and a short timeout.
func (s *Server) SMTPConfig() tmail.SMTPConfig {
	sv := tmail.Server{Addr: s.Addr(), TLS: tmail.TLSNone, Username: s.opts.Username, Password: s.opts.Password}
	if s.certs != nil {
		sv.TLS = s.opts.TLS
		sv.TLSConfig = &tls.Config{RootCAs: s.certs, ServerName: "127.0.0.1"}
	}
	return tmail.SMTPConfig{Servers: []tmail.Server{sv}, Timeout: 5 * time.Second}
}

// Messages returns a copy of the list of messages received so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// LastTo returns the latest of mails addressed to address alone (case
// does not matter), and whether there is one.
func LastTo(mails []Received, address string) (Received, bool) {
	for i := len(mails) - 1; i >= 0; i-- {
		if len(mails[i].To) == 1 && strings.EqualFold(mails[i].To[0], address) {
			return mails[i], true
		}
	}
	return Received{}, false
}

// LastToOf is LastTo for tests: it fails t when no mail was addressed to
// address alone.
func LastToOf(t testing.TB, mails []Received, address string) Received {
	t.Helper()
	m, ok := LastTo(mails, address)
	if !ok {
		t.Fatalf("mailtest: no email to %s", address)
	}
	return m
}

// Text returns the message's plain-text part, decoded from its transfer
// encoding, with LF line ends. It fails for a message kept with Discard or
// one that has no plain-text part.
func (r Received) Text() (string, error) {
	if r.Data == nil {
		return "", errors.New("mailtest: the message was not kept")
	}
	text, _, err := r.Parts()
	if err != nil {
		return "", err
	}
	if text == "" {
		return "", errors.New("mailtest: no text/plain part")
	}
	return strings.ReplaceAll(text, "\r\n", "\n"), nil
}

// TextOf is r.Text for tests: it fails t when there is no text to return.
func TextOf(t testing.TB, r Received) string {
	t.Helper()
	text, err := r.Text()
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// Count is how many messages were received so far.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// Sessions is how many SMTP sessions (one per connection) clients have
// opened so far.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Wait waits until at least n messages were received or timeout passes,
// and reports whether they were.
func (s *Server) Wait(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for s.Count() < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// FailNext makes the server refuse the next n recipients with the reply
// code (e.g. 451 for a transient failure, 550 for a permanent one).
func (s *Server) FailNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failCode = n, code
}

// Reject makes the server refuse the recipient addr with the reply code
// from now on, as a server does a mailbox that does not exist (550) or is
// full (452); code 0 accepts it again.
func (s *Server) Reject(addr string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rejects == nil {
		s.rejects = map[string]int{}
	}
	if code == 0 {
		delete(s.rejects, addr)
		return
	}
	s.rejects[addr] = code
}

// Attempts is how many times clients named each recipient in RCPT,
// accepted or not.
func (s *Server) Attempts(addr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[addr]
}

// Hang makes the server stop answering MAIL commands, on open and new
// connections, until Unhang or Close.
func (s *Server) Hang() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hang == nil {
		s.hang = make(chan struct{})
	}
}

// Unhang makes the server answer again.
func (s *Server) Unhang() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hang != nil {
		close(s.hang)
		s.hang = nil
	}
}

// session is one client connection's conversation.
type session struct {
	s    *Server
	from string
	to   []string
	auth bool
}

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != se.s.opts.Username || password != se.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		se.auth = true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	se.s.mu.Lock()
	hang := se.s.hang
	se.s.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-se.s.closed:
			return errors.New("mailtest: closed")
		}
	}
	if se.s.opts.Username != "" && !se.auth {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.s.mu.Lock()
	defer se.s.mu.Unlock()
	if se.s.attempts == nil {
		se.s.attempts = map[string]int{}
	}
	se.s.attempts[to]++
	code := se.s.rejects[to]
	if code == 0 && se.s.failLeft > 0 {
		se.s.failLeft--
		code = se.s.failCode
	}
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: "mailtest: refusing as asked"}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	rec := Received{From: se.from, To: se.to, Size: len(data)}
	if se.s.opts.Discard {
		rec.MessageID = messageID(data)
	} else {
		msg, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "mailtest: malformed message: " + err.Error()}
		}
		rec.Data, rec.Header = data, msg.Header
		rec.MessageID = strings.Trim(msg.Header.Get("Message-ID"), "<>")
	}
	se.s.mu.Lock()
	se.s.msgs = append(se.s.msgs, rec)
	se.s.mu.Unlock()
	se.to = nil
	return nil
}

func (se *session) Reset() { se.from, se.to = "", nil }

func (se *session) Logout() error { return nil }

// messageID finds the Message-ID header without parsing the whole message.
func messageID(data []byte) string {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		line, err := r.ReadLine()
		if err != nil || line == "" {
			return ""
		}
		if name, value, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "Message-ID") {
			return strings.Trim(strings.TrimSpace(value), "<>")
		}
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mailtest"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("mailtest: certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("mailtest: certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool, nil
}

// quietLog drops go-smtp's logging of client errors, which in these tests
// are usually deliberate (timeouts, killed clients).
type quietLog struct{}

func (quietLog) Printf(string, ...any) {}
func (quietLog) Println(...any)        {}
