package newsletter_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tmail "github.com/tamizdat/tamizdat/internal/mail"
	"github.com/tamizdat/tamizdat/internal/newsletter"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/vault"
)

// Environment of the sender child process of TestOutboxSurvivesKill.
const (
	crashChildDB   = "TAMIZDAT_TEST_OUTBOX_CHILD_DB"
	crashChildSMTP = "TAMIZDAT_TEST_OUTBOX_CHILD_SMTP"
	// crashChildQuietKill makes the child kill itself once it has
	// recorded that many deliveries, at a moment when none is in flight.
	crashChildQuietKill = "TAMIZDAT_TEST_OUTBOX_CHILD_QUIET_KILL"
	crashWorkers        = 4
)

// TestOutboxSurvivesKill is requirement E6: a sender killed with SIGKILL
// mid-send and started again delivers to every recipient, and repeats only
// messages that were in flight at the kill, with the same Message-ID. The
// sender runs in a child process (this test binary again) on a SQLite file,
// sending to this test's SMTP server.
func TestOutboxSurvivesKill(t *testing.T) {
	if os.Getenv(crashChildDB) != "" {
		runCrashChild(t)
		return
	}
	if testing.Short() {
		t.Skip("starts and kills sender processes")
	}
	t.Parallel()
	ctx := t.Context()
	const recipients = 2000
	dbURL, st, e, is := crashSetup(t, recipients, "Survives a kill")

	kills, inFlight := 0, 0
	deadOwners := map[string]bool{}
	for at := recipients / 10; at < recipients*9/10; at += recipients / 10 {
		child := startCrashChild(t, dbURL, e.srv.Addr())
		if !waitCount(e, at, child, time.Minute) {
			t.Fatalf("the sender stopped or stalled before %d messages (%d received); its output:\n%s", at, e.srv.Count(), child.out)
		}
		if err := child.cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		<-child.exited
		kills++
		// The rows the dead sender still holds (sending, under its name)
		// are the most it can have handed to the server without recording.
		rows, err := st.ListSends(ctx, is.ID, store.SendSending, recipients)
		if err != nil {
			t.Fatal(err)
		}
		held := 0
		for _, r := range rows {
			if !deadOwners[r.LeaseOwner] {
				held++
			}
		}
		for _, r := range rows {
			deadOwners[r.LeaseOwner] = true
		}
		inFlight += held
		t.Logf("kill %d after %d messages: the sender held %d rows", kills, e.srv.Count(), held)
	}
	finishInChild(t, dbURL, st, e, is)

	msgs := e.srv.Messages()
	got := byRecipient(msgs)
	known := map[string]bool{}
	for _, addr := range e.addrs {
		known[addr] = true
		if len(got[addr]) == 0 {
			t.Errorf("%s never received the issue", addr)
		}
	}
	repeats := 0
	for addr, copies := range got {
		if !known[addr] {
			t.Errorf("%s is no subscriber but received %d messages", addr, len(copies))
		}
		repeats += len(copies) - 1
		for _, m := range copies[1:] {
			if m.MessageID != copies[0].MessageID {
				t.Errorf("%s got copies with different Message-IDs: %s and %s", addr, copies[0].MessageID, m.MessageID)
			}
		}
	}
	t.Logf("%d recipients, %d messages, %d kills, %d repeats, %d rows in flight at the kills", recipients, len(msgs), kills, repeats, inFlight)
	if repeats > inFlight {
		t.Errorf("%d repeats, more than the %d deliveries in flight at the kills", repeats, inFlight)
	}
	if repeats > kills*crashWorkers {
		t.Errorf("%d repeats, more than one per worker per kill (%d)", repeats, kills*crashWorkers)
	}
	c, err := st.SendProgress(ctx, is.ID)
	if err != nil || c.Sent != recipients {
		t.Errorf("outbox at the end: %+v, %v; want %d sent", c, err, recipients)
	}
}

// crashSetup makes a SQLite file with recipients subscribers and an issue
// being sent to them, its outbox filled, for sender child processes.
func crashSetup(t *testing.T, recipients int, subject string) (string, *store.Store, *sendEnv, store.Issue) {
	t.Helper()
	ctx := t.Context()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "outbox.db")
	st, err := store.Open(ctx, dbURL, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := newSendEnv(t, st, recipients)
	is := e.issue(t, subject)
	if err := st.StartIssue(ctx, is.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnqueueSends(ctx, is.ID, 500, "example.org"); err != nil {
		t.Fatal(err)
	}
	return dbURL, st, e, is
}

// finishInChild runs a sender child until the issue is sent.
func finishInChild(t *testing.T, dbURL string, st *store.Store, e *sendEnv, is store.Issue) {
	t.Helper()
	child := startCrashChild(t, dbURL, e.srv.Addr())
	defer child.cmd.Process.Kill()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		got, err := st.IssueByID(t.Context(), is.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == store.IssueSent {
			return
		}
		if time.Now().After(deadline) {
			c, _ := st.SendProgress(t.Context(), is.ID)
			t.Fatalf("not sent after the restarts: %+v; sender output:\n%s", c, child.out)
		}
	}
}

type crashChild struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{}
}

// startCrashChild runs this test binary as a sender on dbURL.
// With env, it runs the test named by its first entry, and adds the rest
// to its environment.
func startCrashChild(t *testing.T, dbURL, smtpAddr string, env ...string) *crashChild {
	t.Helper()
	test := "TestOutboxSurvivesKill"
	if len(env) > 0 {
		test, env = env[0], env[1:]
	}
	c := &crashChild{out: &lockedBuffer{}, exited: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.v")
	c.cmd.Env = append(os.Environ(), crashChildDB+"="+dbURL, crashChildSMTP+"="+smtpAddr)
	c.cmd.Env = append(c.cmd.Env, env...)
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	// Should this test die, the kernel stops the child too.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.cmd.Wait()
		close(c.exited)
	}()
	return c
}

// waitCount waits until the server has n messages; false if the child
// exits or limit passes first.
func waitCount(e *sendEnv, n int, child *crashChild, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for e.srv.Count() < n {
		select {
		case <-child.exited:
			return false
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// runCrashChild is the child's side: send until killed.
func runCrashChild(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, os.Getenv(crashChildDB), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(sendKey)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := newsletter.NewTokens(sendKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	sender, err := tmail.NewSMTP(tmail.SMTPConfig{
		Servers: []tmail.Server{{Addr: os.Getenv(crashChildSMTP), TLS: tmail.TLSNone}},
		Timeout: 5 * time.Second, Conns: crashWorkers,
	})
	if err != nil {
		t.Fatal(err)
	}
	o, err := newsletter.NewOutbox(newsletter.SendOptions{
		Store: st, Vault: v, Tokens: tokens, Mail: sender, From: sendFrom, SiteURL: sendSite,
		Workers: crashWorkers, Batch: 10, Lease: time.Second, Poll: 20 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.Atoi(os.Getenv(crashChildQuietKill)); n > 0 {
		killBetweenMessages(int64(n))
	}
	fmt.Fprintln(os.Stderr, "sender child "+strconv.Itoa(os.Getpid())+" running")
	o.Run(ctx) // until killed
}

// killBetweenMessages makes this process SIGKILL itself once n deliveries
// are recorded, when no worker has a message in flight: each delivery
// holds a read lock from its start until its outcome is recorded, and the
// killer takes the write lock, which waits for those under way and keeps
// new ones from starting.
func killBetweenMessages(n int64) {
	var (
		inFlight sync.RWMutex
		recorded atomic.Int64
	)
	newsletter.SetDeliveryHooks(inFlight.RLock, func() {
		inFlight.RUnlock()
		if recorded.Add(1) == n {
			go func() {
				inFlight.Lock()
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}()
		}
	})
}

// TestOutboxKilledBetweenMessages is the strict half of requirement E6: a
// sender killed when no message is in flight (forced by the delivery
// hooks) and started again delivers to every recipient exactly once.
func TestOutboxKilledBetweenMessages(t *testing.T) {
	if os.Getenv(crashChildDB) != "" {
		runCrashChild(t)
		return
	}
	if testing.Short() {
		t.Skip("starts and kills sender processes")
	}
	t.Parallel()
	const recipients, kills = 1000, 5
	dbURL, st, e, is := crashSetup(t, recipients, "Killed between messages")
	for k := range kills {
		before := e.srv.Count()
		child := startCrashChild(t, dbURL, e.srv.Addr(), "TestOutboxKilledBetweenMessages", crashChildQuietKill+"=137")
		select {
		case <-child.exited:
		case <-time.After(time.Minute):
			child.cmd.Process.Kill()
			t.Fatalf("kill %d: the sender did not kill itself within a minute; its output:\n%s", k+1, child.out)
		}
		if ws, ok := child.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("kill %d: the sender ended with %v, not SIGKILL; its output:\n%s", k+1, child.cmd.ProcessState, child.out)
		}
		// The deliveries that started before the killer took its lock
		// finish too, so there may be a few more than 137.
		if got := e.srv.Count() - before; got < 137 {
			t.Errorf("kill %d: the sender handed over %d messages; want at least the 137 it recorded", k+1, got)
		}
	}
	finishInChild(t, dbURL, st, e, is)
	wantEachOnce(t, e.srv.Messages(), e.addrs)
}
