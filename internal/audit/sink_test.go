package audit_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/store/storetest"
)

// lockedBuffer collects a logger's output from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestStreamToFileCopiesTheChain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		path := filepath.Join(t.TempDir(), "audit.jsonl")
		sink, err := audit.OpenSink(path)
		if err != nil {
			t.Fatal(err)
		}
		stream := audit.NewStream(sink, nil)
		l := audit.New(st).WithStream(stream)
		for _, e := range []audit.Entry{
			{Actor: audit.System, Action: audit.UserAdded, Target: "u1", Detail: map[string]any{"role": "editor"}},
			{Actor: "u1", Action: audit.SignIn, Target: "u1"},
			{Actor: "u1", Action: audit.RoleChanged, Target: "u2", Detail: map[string]any{"to": "admin"}},
		} {
			if err := l.Append(t.Context(), e); err != nil {
				t.Fatal(err)
			}
		}
		if err := stream.Close(); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("sink file: %v, %v; want mode 0600", info, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var stored []store.AuditEntry
		st.EachAudit(t.Context(), func(e store.AuditEntry) error { stored = append(stored, e); return nil })
		sc := bufio.NewScanner(bytes.NewReader(data))
		n := 0
		for ; sc.Scan(); n++ {
			var line audit.Line
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				t.Fatalf("line %d is not JSON: %v\n%s", n+1, err, sc.Text())
			}
			want := stored[n]
			at, _ := time.Parse(time.RFC3339Nano, line.At)
			copied := store.AuditEntry{Seq: line.Seq, At: at, Actor: line.Actor, Action: line.Action, Target: line.Target,
				Detail: string(line.Detail), PrevHash: line.PrevHash, Hash: line.Hash}
			if h, _ := audit.Hash(copied); h != want.Hash || copied.Hash != want.Hash || copied.PrevHash != want.PrevHash {
				t.Errorf("line %d does not reproduce entry %d's hash: %+v", n+1, want.Seq, copied)
			}
		}
		if n != len(stored) || n != 3 {
			t.Errorf("%d lines for %d entries", n, len(stored))
		}
	})
}

func TestStreamToSyslogOverUDP(t *testing.T) {
	t.Parallel()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sink, err := audit.OpenSink("syslog+udp://" + conn.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	stream := audit.NewStream(sink, nil)
	defer stream.Close()
	l := audit.New(storetest.New(t)).WithStream(stream)
	if err := l.Append(t.Context(), audit.Entry{Actor: "u1", Action: audit.MFARemoved, Target: "u1"}); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 8192)
	n, _, err := conn.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	msg := string(buf[:n])
	// <85>: facility authpriv (10) × 8 + severity notice (5).
	if !strings.HasPrefix(msg, "<85>") || !strings.Contains(msg, "tamizdat-audit") || !strings.Contains(msg, `"action":"mfa_removed"`) {
		t.Errorf("syslog message: %q", msg)
	}
}

func TestSinkFailureDoesNotBlockTheAction(t *testing.T) {
	t.Parallel()
	// A TCP syslog server that is not there: every copy fails.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	sink, err := audit.OpenSink("syslog+tcp://" + addr)
	if err != nil {
		t.Fatalf("a log host that is down stopped the sink opening: %v", err)
	}
	logs := &lockedBuffer{}
	stream := audit.NewStream(sink, slog.New(slog.NewTextHandler(logs, nil)))
	st := storetest.New(t)
	l := audit.New(st).WithStream(stream)
	if err := l.Append(t.Context(), audit.Entry{Actor: "u1", Action: audit.SignIn, Target: "u1"}); err != nil {
		t.Fatalf("the action failed with the sink: %v", err)
	}
	stream.Close()
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "AUDIT SINK FAILED") || !strings.Contains(logs.String(), "entry=1") {
		t.Errorf("the failure was not logged loudly:\n%s", logs)
	}
	if res, err := l.Verify(t.Context()); err != nil || res.Entries != 1 {
		t.Errorf("the database lost the entry: %+v, %v", res, err)
	}
	// Entries after Close are not copied, and say so.
	l.Append(t.Context(), audit.Entry{Actor: "u1", Action: audit.SignOut, Target: "u1"})
	if !strings.Contains(logs.String(), "after the sink was closed") {
		t.Errorf("an entry after Close was not reported:\n%s", logs)
	}
}

func TestOpenSinkRefusesNonsense(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "syslog+udp://", "syslog+tls://logs.example:6514", "https://logs.example/ingest", "syslog+tcp://logs.example"} {
		if _, err := audit.OpenSink(bad); err == nil {
			t.Errorf("OpenSink(%q) accepted it", bad)
		}
	}
}
