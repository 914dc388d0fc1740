package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noEnv(string) string { return "" }

func TestUsageAndErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		output string // expected in stdout+stderr
	}{
		{"no command", nil, 2, "Commands:"},
		{"help", []string{"help"}, 0, "serve"},
		{"help for a command", []string{"help", "serve"}, 0, "Usage: tamizdat serve"},
		{"serve --help", []string{"serve", "--help"}, 0, "-addr HOST:PORT"},
		{"migrate --help", []string{"migrate", "--help"}, 0, "Usage: tamizdat migrate"},
		{"version --help", []string{"version", "--help"}, 0, "Usage: tamizdat version"},
		{"version", []string{"version"}, 0, "tamizdat " + Version},
		{"unknown command", []string{"publish"}, 2, `unknown command "publish"`},
		{"unknown flag", []string{"serve", "--port", "80"}, 2, "flag provided but not defined: -port"},
		{"bad setting", []string{"serve", "--addr", "nowhere"}, 2, "expected HOST:PORT"},
		{"unopenable database names the file", []string{"migrate", "--db", "sqlite:/proc/no-such-dir/x.db"}, 1, `"/proc/no-such-dir/x.db"`},
		{"newsletter resume needs an issue", []string{"newsletter", "resume", "--db", "sqlite:" + filepath.Join(t.TempDir(), "r.db")}, 1, "give the ID of the issue"},
		{"newsletter resume of no such issue", []string{"newsletter", "resume", "--db", "sqlite:" + filepath.Join(t.TempDir(), "r.db"), "0193-none"}, 1, "not found"},
		{"newsletter check-dns needs the mail settings", []string{"newsletter", "check-dns"}, 1, "give --smtp-url and --mail-from"},
		{"newsletter check-dns of a local relay", []string{"newsletter", "check-dns", "--smtp-url", "smtp://127.0.0.1:2525?tls=none", "--mail-from", "news@news.example"}, 1,
			"FAIL SPF       the relay 127.0.0.1 is at the private address 127.0.0.1"},
		{"unreachable postgres hides the password", []string{"migrate", "--db", "postgres://editor:s3cret@127.0.0.1:1/news"}, 1, "editor:xxxxx@127.0.0.1:1/news"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			code := Run(t.Context(), tt.args, noEnv, &out, &out)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; output:\n%s", code, tt.code, out.String())
			}
			if !strings.Contains(out.String(), tt.output) {
				t.Errorf("output lacks %q:\n%s", tt.output, out.String())
			}
			if strings.Contains(out.String(), "s3cret") {
				t.Error("output shows the database password")
			}
		})
	}
}

// TestServeLifecycle starts the server as a reader would meet it — empty
// database, demo content — checks it answers, then stops it as SIGINT would.
func TestServeLifecycle(t *testing.T) {
	db := filepath.Join(t.TempDir(), "news.db")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", "sqlite:" + db}, noEnv, &stdout, &stderr)
	}()

	serving := regexp.MustCompile(`serving at (http://127\.0\.0\.1:\d+/)`)
	var url string
	for deadline := time.Now().Add(30 * time.Second); url == ""; time.Sleep(50 * time.Millisecond) {
		if m := serving.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d before serving:\n%s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not print its URL; stderr:\n%s", stderr.String())
		}
	}
	for _, path := range []string{"healthz", "", "articles/top-us-russian-diplomats-discuss-next-steps-on-ukraine"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET /%s = %d: %.300s", path, resp.StatusCode, body)
		}
	}
	if !strings.Contains(stderr.String(), "loaded demo content") {
		t.Errorf("no word of the demo content in the log:\n%s", stderr.String())
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited with %d after shutdown:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15 s of the shutdown signal")
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("no graceful stop in the log:\n%s", stderr.String())
	}

	// A second start finds the content in place and loads no demo again.
	var out2, err2 syncBuffer
	code := Run(t.Context(), []string{"migrate", "--db", "sqlite:" + db}, noEnv, &out2, &err2)
	if code != 0 || !strings.Contains(out2.String(), "database schema is at version") {
		t.Errorf("migrate after serve: %d %s %s", code, out2.String(), err2.String())
	}
}
