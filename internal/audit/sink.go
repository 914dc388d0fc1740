package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tamizdat/tamizdat/internal/store"
)

// streamBuffer is how many entries may wait for a slow sink before new
// ones are dropped (and the drop logged): the desk never waits for it.
const streamBuffer = 4096

// syslogTag names tamizdat's audit messages in syslog.
const syslogTag = "tamizdat-audit"

// Line is an entry as the sink receives it: everything Verify checks,
// so that a copy kept elsewhere can be compared with the database's.
type Line struct {
	Seq      int64           `json:"seq"`
	At       string          `json:"at"` // RFC 3339 in UTC, with nanoseconds, as hashed
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Target   string          `json:"target,omitempty"`
	Detail   json.RawMessage `json:"detail"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

func lineOf(e store.AuditEntry) ([]byte, error) {
	b, err := json.Marshal(Line{Seq: e.Seq, At: e.At.UTC().Format(time.RFC3339Nano), Actor: e.Actor, Action: e.Action,
		Target: e.Target, Detail: json.RawMessage(e.Detail), PrevHash: e.PrevHash, Hash: e.Hash})
	return append(b, '\n'), err
}

// Stream copies each appended entry to an external sink (S7), so that a
// copy lives where someone who takes over the database cannot rewrite it.
// Entries are written by one goroutine, in order, off the request path: a
// sink that is slow or down delays nothing, and each failure is logged as
// an error naming the entry that was not copied.
type Stream struct {
	sink  io.WriteCloser
	log   *slog.Logger
	lines chan []byte
	done  chan struct{}

	mu     sync.Mutex
	closed bool
}

// NewStream starts copying to sink, which receives one Write per entry:
// a JSON object and a newline.
func NewStream(sink io.WriteCloser, log *slog.Logger) *Stream {
	if log == nil {
		log = slog.Default()
	}
	s := &Stream{sink: sink, log: log, lines: make(chan []byte, streamBuffer), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *Stream) run() {
	defer close(s.done)
	for line := range s.lines {
		if _, err := s.sink.Write(line); err != nil {
			s.log.Error("AUDIT SINK FAILED: an audit entry was not copied to the external sink; the database still has it",
				"entry", entrySeq(line), "err", err)
		}
	}
}

// entrySeq reads the sequence number back from a line, for the log.
func entrySeq(line []byte) int64 {
	var l Line
	json.Unmarshal(line, &l)
	return l.Seq
}

// send queues an entry for the sink without waiting.
func (s *Stream) send(e store.AuditEntry) {
	line, err := lineOf(e)
	if err != nil {
		s.log.Error("AUDIT SINK FAILED: an audit entry could not be encoded", "entry", e.Seq, "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.log.Error("AUDIT SINK FAILED: an audit entry came after the sink was closed", "entry", e.Seq)
		return
	}
	select {
	case s.lines <- line:
	default:
		s.log.Error("AUDIT SINK FAILED: the sink is too slow and an audit entry was dropped from the copy", "entry", e.Seq)
	}
}

// Close writes the entries still queued and closes the sink.
func (s *Stream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.lines)
	s.mu.Unlock()
	<-s.done
	return s.sink.Close()
}

// OpenSink opens the sink that spec names:
//
//   - "syslog": the local syslog daemon, which can forward to a remote log
//     host (over TLS with rsyslog or syslog-ng);
//   - "syslog+udp://HOST:PORT" or "syslog+tcp://HOST:PORT": a syslog
//     server directly (plain text: use it within a private network);
//   - anything else: a file, appended to and created readable by its
//     owner only, e.g. on a volume a log shipper reads.
//
// Syslog connections are made on first use and made again after a
// failure, so a log host that is down does not stop the server starting.
func OpenSink(spec string) (io.WriteCloser, error) {
	switch {
	case spec == "":
		return nil, errors.New("audit: no sink given")
	case spec == "syslog":
		return &syslogSink{}, nil
	case strings.HasPrefix(spec, "syslog+"):
		u, err := url.Parse(spec)
		network := strings.TrimPrefix(u.Scheme, "syslog+")
		if err != nil || (network != "udp" && network != "tcp") || u.Host == "" || u.Port() == "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("audit sink %q: expected syslog+udp://HOST:PORT or syslog+tcp://HOST:PORT", spec)
		}
		return &syslogSink{network: network, addr: u.Host}, nil
	case strings.Contains(spec, "://"):
		return nil, fmt.Errorf("audit sink %q: expected a file path, syslog, or syslog+udp:// or syslog+tcp:// with HOST:PORT", spec)
	}
	f, err := os.OpenFile(spec, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit sink: %w", err)
	}
	return f, nil
}

// syslogSink sends each line as one syslog message (facility authpriv,
// severity notice), connecting when needed.
type syslogSink struct {
	network, addr string // empty: the local daemon
	w             *syslog.Writer
}

func (s *syslogSink) Write(line []byte) (int, error) {
	if s.w == nil {
		w, err := syslog.Dial(s.network, s.addr, syslog.LOG_AUTHPRIV|syslog.LOG_NOTICE, syslogTag)
		if err != nil {
			return 0, fmt.Errorf("connect to syslog: %w", err)
		}
		s.w = w
	}
	// log/syslog reconnects once on a failed write; if that fails too, the
	// next entry starts afresh.
	n, err := s.w.Write(line)
	if err != nil {
		s.w.Close()
		s.w = nil
	}
	return n, err
}

func (s *syslogSink) Close() error {
	if s.w == nil {
		return nil
	}
	return s.w.Close()
}
