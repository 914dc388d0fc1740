package cli

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // to tamper with the database as an intruder could
)

// run runs the command line and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, noEnv, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

var setupLink = regexp.MustCompile(`https://desk\.example\.org/admin/setup/[A-Za-z0-9_-]{43}\n`)

func TestUserAddAndAuditVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db := "sqlite:" + path
	code, out, errOut := run(t, "user", "add", "--db", db, "--admin-url", "https://desk.example.org",
		"--email", "Editor@Example.org", "--role", "editor", "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "Created editor account editor@example.org.") || !setupLink.MatchString(out) {
		t.Fatalf("user add = %d\n%s\n%s", code, out, errOut)
	}
	for _, bad := range [][]string{
		{"user", "add", "--db", db, "--role", "editor"},
		{"user", "add", "--db", db, "--email", "x@example.org", "--role", "owner"},
		{"user", "add", "--db", db, "--email", "editor@example.org"},
	} {
		if code, _, _ := run(t, append(bad, "--log-level", "warn")...); code != 1 {
			t.Errorf("%v: exit %d, want 1", bad, code)
		}
	}

	code, out, errOut = run(t, "audit", "verify", "--db", db, "--log-level", "warn")
	if code != 0 || out != "OK: 1 entries, chain intact\n" {
		t.Fatalf("audit verify = %d\n%s\n%s", code, out, errOut)
	}

	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE audit_log SET detail = '{"role":"admin"}' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, "audit", "verify", "--db", db, "--log-level", "warn")
	if code != 1 || !strings.HasPrefix(out, "BROKEN at entry 1:") || !strings.Contains(errOut, "broken at entry 1") {
		t.Errorf("audit verify after tampering = %d\n%s\n%s", code, out, errOut)
	}
}

func TestTwoWordCommandsHaveHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "user", "add"}, "Usage: tamizdat user add [flags]"},
		{[]string{"audit", "verify", "--help"}, "Usage: tamizdat audit verify [flags]"},
	} {
		code, _, errOut := run(t, tc.args...)
		if code != 0 || !strings.Contains(errOut, tc.want) || (tc.args[1] == "user" && !strings.Contains(errOut, "-email")) {
			t.Errorf("%v = %d\n%s", tc.args, code, errOut)
		}
	}
	_, out, _ := run(t, "help")
	if !strings.Contains(out, "audit verify") || !strings.Contains(out, "user add") {
		t.Errorf("the command list lacks the new commands:\n%s", out)
	}
}
