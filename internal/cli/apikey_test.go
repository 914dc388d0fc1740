package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var keyToken = regexp.MustCompile(`\ntzk_([0-9a-f]{16})_[0-9a-f]{64}\n`)

func TestAPIKeyCommands(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	code, out, errOut := run(t, "apikey", "create", "--db", db, "--log-level", "warn",
		"--name", "wire importer", "--role", "author", "--expires", "90d", "--may-publish")
	m := keyToken.FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, `Created author key `+m[1]+` ("wire importer")`) || !strings.Contains(out, "may publish") {
		t.Fatalf("apikey create = %d\n%s\n%s", code, out, errOut)
	}
	id := m[1]
	for _, bad := range [][]string{
		{"--name", "root", "--role", "admin"},
		{"--role", "editor"},
		{"--name", "x", "--role", "editor", "--expires", "soon"},
		{"--name", "x", "--role", "editor", "--expires", "2001-01-01"},
		{"--name", "x", "--role", "contributor", "--may-publish"},
	} {
		args := append([]string{"apikey", "create", "--db", db, "--log-level", "warn"}, bad...)
		if code, out, _ := run(t, args...); code != 1 || strings.Contains(out, "tzk_") {
			t.Errorf("%v: exit %d, output %q; want 1 and no key", bad, code, out)
		}
	}

	code, out, errOut = run(t, "apikey", "list", "--db", db, "--log-level", "warn")
	if code != 0 || !regexp.MustCompile(id+`\s+wire importer\s+author\s+yes\s+active`).MatchString(out) || strings.Contains(out, "tzk_") {
		t.Fatalf("apikey list = %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut = run(t, "apikey", "revoke", "--db", db, "--log-level", "warn", id); code != 0 || out != "Revoked key "+id+".\n" {
		t.Fatalf("apikey revoke = %d\n%s\n%s", code, out, errOut)
	}
	if code, _, _ = run(t, "apikey", "revoke", "--db", db, "--log-level", "warn", "0123456789abcdef"); code != 1 {
		t.Errorf("revoking an unknown key: exit %d, want 1", code)
	}
	if _, out, _ = run(t, "apikey", "list", "--db", db, "--log-level", "warn"); !regexp.MustCompile(id + `\s+wire importer\s+author\s+yes\s+revoked`).MatchString(out) {
		t.Errorf("after revoking:\n%s", out)
	}
	if code, out, _ := run(t, "audit", "verify", "--db", db, "--log-level", "warn"); code != 0 || !strings.HasPrefix(out, "OK: 2 entries") {
		t.Errorf("audit verify after creating and revoking = %d %q", code, out)
	}
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"", time.Time{}, true},
		{"90d", now.AddDate(0, 0, 90), true},
		{"36h", now.Add(36 * time.Hour), true},
		{"2026-06-30", time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC), true},
		{"2026-06-30T09:00:00+02:00", time.Date(2026, 6, 30, 7, 0, 0, 0, time.UTC), true},
		{"0d", time.Time{}, false},
		{"-5h", time.Time{}, false},
		{"next week", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseExpiry(tt.in, now)
			if (err == nil) != tt.ok || !got.Equal(tt.want) {
				t.Errorf("parseExpiry(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}
