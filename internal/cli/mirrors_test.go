package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tamizdat/tamizdat/internal/store"
)

func TestMirrorsCommand(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "m.db")
	onion := "http://" + strings.Repeat("q7", 28) + ".onion"
	steps := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"list"}, 0, "no mirrors and no onion address"},
		{[]string{"add", "https://mirror.example/news/", "static"}, 0, "static  https://mirror.example/news/"},
		{[]string{"add", "mirror.example"}, 1, "is not a mirror address"},
		{[]string{"add", "https://other.example/", "cdn"}, 1, `mirror type "cdn" is unknown`},
		{[]string{"add", "https://mirror.example/news/"}, 1, "is listed twice"},
		{[]string{"onion", "http://short.onion"}, 1, "not a version 3 onion address"},
		{[]string{"onion", onion}, 0, "onion   " + onion},
		{nil, 0, "static  https://mirror.example/news/"},
		{[]string{"remove", "https://nowhere.example/"}, 1, "no mirror https://nowhere.example/ is listed"},
		{[]string{"remove", "https://mirror.example/news/"}, 0, "onion   " + onion},
		{[]string{"onion", "none"}, 0, "no mirrors and no onion address"},
		{[]string{"rename", "x"}, 1, "usage: tamizdat mirrors"},
	}
	for _, s := range steps {
		var out bytes.Buffer
		code := Run(t.Context(), append([]string{"mirrors", "--db", db, "--log-level", "warn"}, s.args...), noEnv, &out, &out)
		if code != s.code || !strings.Contains(out.String(), s.want) {
			t.Fatalf("mirrors %v: exit %d, output:\n%s\nwant exit %d and %q", s.args, code, out.String(), s.code, s.want)
		}
	}

	// Each change, and nothing else, is in the audit log as the desk
	// records it, by the command line's actor.
	st, err := store.Open(t.Context(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var got []store.AuditEntry
	err = st.EachAudit(t.Context(), func(e store.AuditEntry) error {
		got = append(got, store.AuditEntry{Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.AuditEntry{
		{Actor: "system", Action: "mirror_added", Target: "https://mirror.example/news/", Detail: `{"type":"static"}`},
		{Actor: "system", Action: "onion_address_set", Target: onion, Detail: "{}"},
		{Actor: "system", Action: "mirror_removed", Target: "https://mirror.example/news/", Detail: "{}"},
		{Actor: "system", Action: "onion_address_removed", Detail: "{}"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit log after the mirrors commands (-want +got):\n%s", diff)
	}
	if code, out, _ := run(t, "audit", "verify", "--db", db, "--log-level", "warn"); code != 0 || !strings.HasPrefix(out, "OK: 4 entries") {
		t.Errorf("audit verify = %d %q", code, out)
	}
}

func TestUnexpectedArgument(t *testing.T) {
	var out bytes.Buffer
	if code := Run(t.Context(), []string{"version", "now"}, noEnv, &out, &out); code != 2 || !strings.Contains(out.String(), `unexpected argument "now"`) {
		t.Errorf("exit %d, output %q", code, out.String())
	}
}
