// Package audit keeps the desk's audit log: an append-only list of who did
// what and when, in which every entry carries the SHA-256 of the one before,
// so that changing or deleting any entry breaks the chain and Verify finds
// it.
//
// The chain protects against quiet edits by someone who can write to the
// database but not to a copy kept elsewhere: a determined attacker with
// database access can rewrite the whole chain, which is why a Stream can
// copy every entry to an external sink (a file a log shipper reads, or
// syslog) as it is appended.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/store"
)

// System is the actor of entries no person caused, such as a scheduled
// publication or the command line.
const System = "system"

// Actions the desk records. Later features add their own.
const (
	SignIn           = "sign_in"
	SignInFailed     = "sign_in_failed"
	SignOut          = "sign_out"
	MFAEnrolled      = "mfa_enrolled"
	MFARemoved       = "mfa_removed"
	MFAReset         = "mfa_reset"
	RecoveryCodeUsed = "recovery_code_used"
	RecoveryCodesNew = "recovery_codes_issued"
	RoleChanged      = "role_changed"
	UserAdded        = "user_added"
	UserDisabled     = "user_disabled"
	UserEnabled      = "user_enabled"
	PasswordSet      = "password_set"
	PasswordReset    = "password_reset_requested"
	SessionRevoked   = "session_revoked"
	SessionsRevoked  = "sessions_revoked"
	SettingsChanged  = "settings_changed"
)

// Entry is what a caller records. Detail must marshal to a JSON object; it
// must never hold a secret (passwords, codes, tokens).
type Entry struct {
	Actor  string // a user ID, or System
	Action string
	Target string // what the action was done to, e.g. a user ID
	Detail map[string]any
}

// Log appends to and checks the audit log in a store.
type Log struct {
	store  *store.Store
	stream *Stream // nil: no external copy
}

// New returns the audit log kept in st.
func New(st *store.Store) *Log { return &Log{store: st} }

// WithStream returns the log kept in the same store whose appended entries
// are also copied to s.
func (l *Log) WithStream(s *Stream) *Log { return &Log{store: l.store, stream: s} }

// maxAttempts bounds the retries of an append that lost a race for the
// chain's tip; each retry is against a tip that has moved, so a handful is
// plenty even under heavy concurrency.
const maxAttempts = 50

// Append records e at the end of the chain. Concurrent appends, from this
// process or another server sharing the database, never fork the chain: the
// store moves the tip with a compare-and-set and a loser retries.
func (l *Log) Append(ctx context.Context, e Entry) error {
	if e.Actor == "" || e.Action == "" {
		return errors.New("audit: append: an entry needs an actor and an action")
	}
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("audit: append %s: %w", e.Action, err)
		}
	}
	for range maxAttempts {
		row := store.AuditEntry{Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: string(detail)}
		err := l.store.AppendAudit(ctx, &row, seal)
		if !errors.Is(err, store.ErrAuditTipMoved) {
			if err != nil {
				return fmt.Errorf("audit: append %s: %w", e.Action, err)
			}
			if l.stream != nil {
				l.stream.send(row)
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("audit: append %s: %w", e.Action, ctx.Err())
		}
	}
	return fmt.Errorf("audit: append %s: gave up after %d attempts lost the race for the chain's tip", e.Action, maxAttempts)
}

func seal(e *store.AuditEntry) error {
	h, err := Hash(*e)
	e.Hash = h
	return err
}

// Hash returns the hex SHA-256 of the entry's prev_hash followed by a
// canonical encoding of its other fields: a JSON array of seq, the time as
// RFC 3339 in UTC with nanoseconds, actor, action, target and the detail
// text exactly as stored.
func Hash(e store.AuditEntry) (string, error) {
	canonical, err := json.Marshal([]any{e.Seq, e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Action, e.Target, e.Detail})
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write([]byte{'\n'})
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Result is the outcome of Verify.
type Result struct {
	Entries int64 // entries read
	// BrokenSeq is the first sequence number at which the chain is broken:
	// an entry changed, missing, or (past the last entry) removed from the
	// end. Zero when the chain is intact.
	BrokenSeq int64
	Problem   string // what is wrong at BrokenSeq, for people
}

// OK reports whether the chain is intact.
func (r Result) OK() bool { return r.BrokenSeq == 0 }

// Verify reads the whole log and checks that the entries are numbered 1, 2,
// 3 … without gaps, that each one's prev_hash is the hash of the one before,
// that each hash matches its entry, and that the last entry is the tip the
// store recorded. An error means the log could not be read, not that it is
// broken.
func (l *Log) Verify(ctx context.Context) (Result, error) {
	var (
		res      Result
		prevHash string
		errStop  = errors.New("stop")
	)
	broken := func(seq int64, format string, args ...any) error {
		res.BrokenSeq, res.Problem = seq, fmt.Sprintf(format, args...)
		return errStop
	}
	err := l.store.EachAudit(ctx, func(e store.AuditEntry) error {
		want := res.Entries + 1
		switch {
		case e.Seq != want:
			return broken(want, "entry %d is missing (the next entry is %d)", want, e.Seq)
		case e.PrevHash != prevHash:
			return broken(e.Seq, "entry %d does not link to entry %d: the earlier entry was changed, or this one was", e.Seq, e.Seq-1)
		}
		h, err := Hash(e)
		if err != nil {
			return err
		}
		if h != e.Hash {
			return broken(e.Seq, "entry %d was changed after it was written", e.Seq)
		}
		res.Entries, prevHash = e.Seq, e.Hash
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return Result{}, fmt.Errorf("audit: verify: %w", err)
	}
	if !res.OK() {
		return res, nil
	}
	tipSeq, tipHash, err := l.store.AuditTip(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("audit: verify: %w", err)
	}
	if tipSeq != res.Entries || tipHash != prevHash {
		if tipSeq > res.Entries {
			return Result{Entries: res.Entries, BrokenSeq: res.Entries + 1,
				Problem: fmt.Sprintf("entries %d to %d were removed from the end of the log", res.Entries+1, tipSeq)}, nil
		}
		return Result{Entries: res.Entries, BrokenSeq: max(tipSeq, 1),
			Problem: fmt.Sprintf("the recorded head of the chain (entry %d) does not match the log's last entry (%d)", tipSeq, res.Entries)}, nil
	}
	return res, nil
}

// Recent returns up to limit entries older than before (0: the newest),
// newest first, for the admin's audit page.
func (l *Log) Recent(ctx context.Context, before int64, limit int) ([]store.AuditEntry, error) {
	entries, err := l.store.RecentAudit(ctx, before, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return entries, nil
}
