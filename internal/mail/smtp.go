package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// TLSMode says how the connection to an SMTP server is encrypted.
type TLSMode string

// TLS modes.
const (
	TLSNone     TLSMode = "none"     // plain text: only for a relay on this host or a private network
	TLSStartTLS TLSMode = "starttls" // a plain connection upgraded by STARTTLS (port 587)
	TLSImplicit TLSMode = "tls"      // TLS from the first byte (port 465)
)

// Server is one SMTP server to send through.
type Server struct {
	Addr               string // host:port
	Username, Password string // empty: no AUTH
	TLS                TLSMode
	// TLSConfig overrides the TLS settings, e.g. to trust a private CA;
	// nil verifies the certificate against the system roots.
	TLSConfig *tls.Config
	// Backup servers are used only while no other server can be reached.
	Backup bool
}

// SMTPConfig configures an SMTP sender.
type SMTPConfig struct {
	// Servers take messages in turn (round-robin); a server that cannot be
	// reached is skipped for a while (failover).
	Servers []Server
	// Timeout bounds connecting and each message's transaction, so a server
	// that stops answering cannot hold a sender; 30s when zero.
	Timeout time.Duration
	// Rate is the most messages per second sent to each server; 0: no limit.
	Rate float64
	// Conns is how many connections each server may have open, reused
	// from message to message; 4 when zero.
	Conns int
	// HelloName is the name given in EHLO; "localhost" when empty.
	HelloName string
	// DKIM, when set, signs every message.
	DKIM *DKIM
}

// downFor is how long a server that could not be reached is skipped.
const downFor = 30 * time.Second

// SMTP sends messages over SMTP. It is safe for concurrent use; Close it to
// end its idle connections.
type SMTP struct {
	servers []*server
	timeout time.Duration
	hello   string
	dkim    *DKIM
	turn    atomic.Uint64
}

var _ Sender = (*SMTP)(nil)

// server is a Server with its connection pool and rate limit.
type server struct {
	Server
	host string
	// open holds a token per open connection; idle holds the connections
	// not in use. Both have capacity Conns, so returning a connection to
	// idle never blocks.
	open      chan struct{}
	idle      chan *conn
	limit     *limiter
	downUntil atomic.Int64 // Unix nanoseconds
}

type conn struct {
	c  *smtp.Client
	nc net.Conn
}

// NewSMTP checks cfg and returns a sender. It does not connect yet.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if len(cfg.Servers) == 0 {
		return nil, errors.New("mail: no SMTP server configured")
	}
	s := &SMTP{timeout: cfg.Timeout, hello: cfg.HelloName, dkim: cfg.DKIM}
	if s.timeout <= 0 {
		s.timeout = 30 * time.Second
	}
	if s.hello == "" {
		s.hello = "localhost"
	}
	conns := cfg.Conns
	if conns <= 0 {
		conns = 4
	}
	for _, sv := range cfg.Servers {
		if err := sv.check(); err != nil {
			return nil, err
		}
		host, _, _ := net.SplitHostPort(sv.Addr)
		s.servers = append(s.servers, &server{
			Server: sv, host: host,
			open: make(chan struct{}, conns), idle: make(chan *conn, conns),
			limit: newLimiter(cfg.Rate),
		})
	}
	return s, nil
}

// check refuses settings that cannot work or would leak the password.
func (sv Server) check() error {
	host, port, err := net.SplitHostPort(sv.Addr)
	if err != nil || host == "" || port == "" {
		return fmt.Errorf("mail: SMTP server %q: expected HOST:PORT", sv.Addr)
	}
	switch sv.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return fmt.Errorf("mail: SMTP server %s: TLS mode %q; expected none, starttls or tls", sv.Addr, sv.TLS)
	}
	if sv.TLS == TLSNone && sv.Username != "" && !isLoopback(host) {
		return fmt.Errorf("mail: SMTP server %s: refusing to send a password without TLS to a remote host; use tls=starttls or tls=tls", sv.Addr)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send sends m through one of the servers. A connection that breaks before
// the message is handed over is retried on a fresh connection, and another
// server when one cannot be reached; once the message data is on the wire
// a failure is returned as is, because the server may have accepted it.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	raw, env, err := m.encode(time.Now())
	if err != nil {
		return err
	}
	if s.dkim != nil {
		if raw, err = s.dkim.sign(raw); err != nil {
			return err
		}
	}
	var last error
	for range len(s.servers) + 1 {
		sv := s.pick()
		if err := sv.limit.wait(ctx); err != nil {
			return err
		}
		c, err := s.get(ctx, sv)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			sv.downUntil.Store(time.Now().Add(downFor).UnixNano())
			last = err
			continue
		}
		retry, err := s.transact(ctx, sv, c, env, raw)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		last = err
		if !retry {
			return err
		}
	}
	return last
}

// pick chooses the next server in turn among those reachable, preferring
// non-backup servers; when none is reachable it tries the next one anyway.
func (s *SMTP) pick() *server {
	n := uint64(len(s.servers))
	start := s.turn.Add(1)
	now := time.Now().UnixNano()
	for _, backup := range []bool{false, true} {
		for i := range n {
			sv := s.servers[(start+i)%n]
			if sv.Backup == backup && sv.downUntil.Load() <= now {
				return sv
			}
		}
	}
	return s.servers[start%n]
}

// get returns an idle connection to sv or opens one if sv has room.
func (s *SMTP) get(ctx context.Context, sv *server) (*conn, error) {
	select {
	case c := <-sv.idle:
		return c, nil
	default:
	}
	select {
	case c := <-sv.idle:
		return c, nil
	case sv.open <- struct{}{}:
		c, err := s.dial(ctx, sv)
		if err != nil {
			<-sv.open
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release returns c to sv's pool, or closes it when it cannot be reused.
func (sv *server) release(c *conn, reusable bool) {
	if reusable {
		sv.idle <- c
		return
	}
	c.nc.Close()
	<-sv.open
}

// dial connects, greets, upgrades to TLS and authenticates, all within the
// timeout.
func (s *SMTP) dial(ctx context.Context, sv *server) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	fail := func(err error) (*conn, error) {
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within %v: %w", s.timeout, err)
		}
		return nil, &Error{Server: sv.Addr, Stage: StageConnect, Code: replyCode(err), Err: err}
	}
	tlsConfig := sv.tlsConfig()
	var (
		nc  net.Conn
		err error
	)
	if sv.TLS == TLSImplicit {
		nc, err = (&tls.Dialer{Config: tlsConfig}).DialContext(ctx, "tcp", sv.Addr)
	} else {
		nc, err = (&net.Dialer{}).DialContext(ctx, "tcp", sv.Addr)
	}
	if err != nil {
		return fail(err)
	}
	// Closing the connection is the only way to interrupt the client.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	var c *smtp.Client
	if sv.TLS == TLSStartTLS {
		c, err = smtp.NewClientStartTLS(nc, tlsConfig)
	} else {
		c = smtp.NewClient(nc)
	}
	if err == nil {
		c.CommandTimeout, c.SubmissionTimeout = s.timeout, s.timeout
		err = c.Hello(s.hello)
	}
	if err == nil && sv.Username != "" {
		err = c.Auth(sv.auth(c))
	}
	if err != nil {
		nc.Close()
		return fail(err)
	}
	return &conn{c: c, nc: nc}, nil
}

func (sv *server) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if sv.TLSConfig != nil {
		cfg = sv.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = sv.host
	}
	return cfg
}

// auth picks PLAIN, or LOGIN for servers that offer only that.
func (sv *server) auth(c *smtp.Client) sasl.Client {
	if !c.SupportsAuth(sasl.Plain) && c.SupportsAuth(sasl.Login) {
		return sasl.NewLoginClient(sv.Username, sv.Password)
	}
	return sasl.NewPlainClient("", sv.Username, sv.Password)
}

// transact runs one MAIL/RCPT/DATA transaction on c and gives c back to
// the pool or closes it. retry reports that the message certainly did not
// reach the server, so trying again now, on a fresh connection, is safe.
func (s *SMTP) transact(ctx context.Context, sv *server, c *conn, env envelope, raw []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { c.nc.Close() })
	stage := StageMail
	err = c.c.Mail(env.from, nil)
	if err == nil {
		stage = StageRcpt
		err = c.c.Rcpt(env.to, nil)
	}
	var w *smtp.DataCommand
	if err == nil {
		stage = StageData
		w, err = c.c.Data()
	}
	handedOver := false
	if err == nil {
		handedOver = true
		if _, err = w.Write(raw); err == nil {
			err = w.Close()
		}
	}
	interrupted := !stop()
	code := replyCode(err)
	if err == nil {
		sv.release(c, true)
		return false, nil
	}
	// A reply other than 421 leaves the connection usable once the
	// transaction is reset; anything else (timeouts, broken connections)
	// ends it.
	reusable := !interrupted && code != 0 && code != 421
	if reusable && !handedOver {
		reusable = c.c.Reset() == nil
	}
	sv.release(c, reusable)
	if interrupted {
		err = fmt.Errorf("no answer within %v: %w", s.timeout, err)
		if ctx.Err() == context.Canceled {
			err = fmt.Errorf("cancelled: %w", err)
		}
	}
	retry = !handedOver && (code == 0 || code == 421) && !interrupted
	return retry, &Error{Server: sv.Addr, Stage: stage, Code: code, Err: err}
}

// replyCode returns the SMTP reply code carried by err, or 0.
func replyCode(err error) int {
	var e *smtp.SMTPError
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// Close ends the idle connections with QUIT. Call it once the last Send has
// returned.
func (s *SMTP) Close() error {
	for _, sv := range s.servers {
		for {
			select {
			case c := <-sv.idle:
				c.c.Quit()
				c.nc.Close()
				<-sv.open
				continue
			default:
			}
			break
		}
	}
	return nil
}
