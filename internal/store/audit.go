package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// AuditEntry is one line of the audit log. Seq, At, PrevHash and Hash are
// set by AppendAudit.
type AuditEntry struct {
	Seq      int64
	At       time.Time
	Actor    string // a user ID, or "system"
	Action   string
	Target   string
	Detail   string // JSON object
	PrevHash string
	Hash     string
}

// ErrAuditTipMoved reports that another writer extended the audit chain
// between reading its tip and appending; the append changed nothing and may
// be retried.
var ErrAuditTipMoved = errors.New("store: the audit chain moved; retry")

const (
	auditColumns     = `seq, at, actor, action, target, detail, prev_hash, hash`
	qAuditTip        = `SELECT seq, hash FROM audit_tip WHERE id = 1`
	qInsertAudit     = `INSERT INTO audit_log (` + auditColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	qMoveAuditTip    = `UPDATE audit_tip SET seq = ?, hash = ? WHERE id = 1 AND seq = ? AND hash = ?`
	qAuditEntries    = `SELECT ` + auditColumns + ` FROM audit_log ORDER BY seq`
	qRecentAudit     = `SELECT ` + auditColumns + ` FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?`
	maxAuditPageSize = 500
)

// AppendAudit adds e at the end of the audit chain. In one transaction it
// reads the chain's tip, sets e.Seq, e.At and e.PrevHash, calls seal to
// compute e.Hash, inserts the entry and moves the tip with a compare-and-set.
// If another writer moved the tip first, nothing is stored and the error is
// ErrAuditTipMoved. On SQLite writers queue on one connection, so that only
// happens on PostgreSQL, where the tip's row lock makes the later writer
// wait and then fail the compare.
func (s *Store) AppendAudit(ctx context.Context, e *AuditEntry, seal func(*AuditEntry) error) error {
	err := s.write(ctx, false, func(r *runner) error {
		var seq int64
		var hash string
		if err := r.scanRow(ctx, "audit_tip", qAuditTip, nil, &seq, &hash); err != nil {
			return err
		}
		e.Seq, e.At, e.PrevHash = seq+1, s.clock(), hash
		if err := seal(e); err != nil {
			return err
		}
		res, err := r.exec(ctx, "move_audit_tip", qMoveAuditTip, e.Seq, e.Hash, seq, hash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrAuditTipMoved
		}
		_, err = r.exec(ctx, "insert_audit", qInsertAudit, e.Seq, timeArg(e.At), e.Actor, e.Action, e.Target, e.Detail, e.PrevHash, e.Hash)
		return err
	})
	if errors.Is(err, model.ErrConflict) {
		// A concurrent writer inserted the same sequence number.
		err = ErrAuditTipMoved
	}
	if err != nil {
		return fmt.Errorf("store: append audit entry: %w", err)
	}
	return nil
}

// AuditTip returns the sequence number and hash of the chain's last entry
// as the tip records them: 0 and "" for an empty log.
func (s *Store) AuditTip(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	if err := s.read().scanRow(ctx, "audit_tip", qAuditTip, nil, &seq, &hash); err != nil {
		return 0, "", fmt.Errorf("store: audit tip: %w", err)
	}
	return seq, hash, nil
}

// EachAudit calls fn for every audit entry in sequence order, stopping at the
// first error.
func (s *Store) EachAudit(ctx context.Context, fn func(AuditEntry) error) error {
	err := s.read().each(ctx, "audit_entries", qAuditEntries, nil, func(scan func(...any) error) error {
		var e AuditEntry
		if err := scan(auditDest(&e)...); err != nil {
			return err
		}
		return fn(e)
	})
	if err != nil {
		return fmt.Errorf("store: read audit log: %w", err)
	}
	return nil
}

// RecentAudit returns up to limit entries with a sequence number below
// before (0: from the newest), newest first.
func (s *Store) RecentAudit(ctx context.Context, before int64, limit int) ([]AuditEntry, error) {
	if before <= 0 {
		before = 1 << 62
	}
	limit = min(max(limit, 1), maxAuditPageSize)
	var out []AuditEntry
	err := s.read().each(ctx, "recent_audit", qRecentAudit, []any{before, limit}, func(scan func(...any) error) error {
		var e AuditEntry
		err := scan(auditDest(&e)...)
		out = append(out, e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: recent audit entries: %w", err)
	}
	return out, nil
}

func auditDest(e *AuditEntry) []any {
	return []any{&e.Seq, scanTime(&e.At), &e.Actor, &e.Action, &e.Target, &e.Detail, &e.PrevHash, &e.Hash}
}
