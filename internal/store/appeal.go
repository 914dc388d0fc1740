package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// Donation appeals. Pages show them, so every change to one is a content
// change that moves the content version and with it the page cache.

const (
	appealColumns = `id, active, heading, message, placement, target_kind, target_value, target_tag_id, currencies, currency, minimums,
default_frequency, amounts, button_text, payment_methods, dismiss_question, dismiss_text, remind_after_days, risk_notice,
created_at, updated_at`
	qAppeals      = `SELECT ` + appealColumns + ` FROM appeals ORDER BY updated_at DESC, id`
	qAppeal       = `SELECT ` + appealColumns + ` FROM appeals WHERE id = ?`
	qInsertAppeal = `INSERT INTO appeals (` + appealColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUpdateAppeal = `UPDATE appeals SET active = ?, heading = ?, message = ?, placement = ?, target_kind = ?, target_value = ?,
target_tag_id = ?, currencies = ?, currency = ?, minimums = ?, default_frequency = ?, amounts = ?, button_text = ?, payment_methods = ?,
dismiss_question = ?, dismiss_text = ?, remind_after_days = ?, risk_notice = ?, updated_at = ? WHERE id = ?`
	qDeleteAppeal = `DELETE FROM appeals WHERE id = ?`
	qTagExists    = `SELECT 1 FROM tags WHERE id = ?`
	// qCountAppealView counts one view of an active appeal on a day.
	qCountAppealView = `INSERT INTO appeal_views (appeal_id, day, views) SELECT id, ?, 1 FROM appeals WHERE id = ? AND active
ON CONFLICT (appeal_id, day) DO UPDATE SET views = appeal_views.views + 1`
)

// Appeals returns every appeal, the last edited first.
func (s *Store) Appeals(ctx context.Context) ([]model.Appeal, error) {
	var out []model.Appeal
	err := s.read().each(ctx, "appeals", qAppeals, nil, func(scan func(...any) error) error {
		ap, err := scanAppeal(scan)
		out = append(out, ap)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: appeals: %w", err)
	}
	return out, nil
}

// Appeal returns the appeal with that ID, or model.ErrNotFound.
func (s *Store) Appeal(ctx context.Context, id string) (model.Appeal, error) {
	var ap model.Appeal
	found := false
	err := s.read().each(ctx, "appeal", qAppeal, []any{id}, func(scan func(...any) error) error {
		var err error
		ap, err = scanAppeal(scan)
		found = true
		return err
	})
	if err == nil && !found {
		err = model.ErrNotFound
	}
	if err != nil {
		return model.Appeal{}, fmt.Errorf("store: appeal %q: %w", id, err)
	}
	return ap, nil
}

// SaveAppeal validates and stores an appeal: a new one when ap.ID is
// empty (ap gets its ID), else the stored one it names, or
// model.ErrNotFound.
func (s *Store) SaveAppeal(ctx context.Context, ap *model.Appeal) error {
	if err := ap.Validate(); err != nil {
		return fmt.Errorf("store: save appeal: %w", err)
	}
	now := normTime(s.clock())
	err := s.writeContent(ctx, false, func(r *runner) error {
		if ap.ID == "" {
			return insertAppeal(ctx, r, ap, now)
		}
		fields, err := appealFields(ctx, r, ap)
		if err != nil {
			return err
		}
		if err := r.execOne(ctx, "update_appeal", qUpdateAppeal, append(fields, timeArg(now), ap.ID)...); err != nil {
			return err
		}
		ap.UpdatedAt = now
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: save appeal: %w", err)
	}
	return nil
}

// insertAppeal stores a new appeal, which the caller has validated, and
// gives it its ID and times.
func insertAppeal(ctx context.Context, r *runner, ap *model.Appeal, now time.Time) error {
	fields, err := appealFields(ctx, r, ap)
	if err != nil {
		return err
	}
	id := newID()
	if _, err := r.exec(ctx, "insert_appeal", qInsertAppeal, append(append([]any{id}, fields...), timeArg(now), timeArg(now))...); err != nil {
		return err
	}
	ap.ID, ap.CreatedAt, ap.UpdatedAt = id, now, now
	return nil
}

// appealFields are the arguments of an appeal's columns from active to
// risk_notice. An appeal for a tag must name a tag that exists, by ID; it
// is stored in target_tag_id, so the tag's slug may change.
func appealFields(ctx context.Context, r *runner, ap *model.Appeal) ([]any, error) {
	value, tagID := ap.Target.Value, any(nil)
	if ap.Target.Kind == model.TargetTag {
		var one int
		err := r.scanRow(ctx, "tag_exists", qTagExists, []any{ap.Target.Value}, &one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, &model.ValidationError{Fields: map[string]string{
				"target": "The tag this appeal runs on no longer exists; choose another tag."}}
		}
		if err != nil {
			return nil, err
		}
		value, tagID = "", ap.Target.Value
	}
	minimums, err := json.Marshal(ap.Minimums)
	if err != nil {
		return nil, err
	}
	amounts, err := json.Marshal(ap.Amounts)
	if err != nil {
		return nil, err
	}
	return []any{ap.Active, ap.Heading, ap.Message, string(ap.Placement), string(ap.Target.Kind), value, tagID,
		strings.Join(ap.Currencies, ","), ap.Currency, string(minimums), string(ap.DefaultFrequency), string(amounts),
		ap.ButtonText, ap.PaymentMethods, ap.DismissQuestion, ap.DismissText, ap.RemindAfterDays, ap.RiskNotice}, nil
}

// DeleteAppeal deletes an appeal and its view counts; donations that came
// from it stay, counted in the revenue but no longer in its conversion.
func (s *Store) DeleteAppeal(ctx context.Context, id string) error {
	err := s.writeContent(ctx, false, func(r *runner) error {
		return r.execOne(ctx, "delete_appeal", qDeleteAppeal, id)
	})
	if err != nil {
		return fmt.Errorf("store: delete appeal %q: %w", id, err)
	}
	return nil
}

// CountAppealView adds one to the views of an active appeal on at's UTC
// day, and reports whether there was such an appeal. Nothing about the
// viewer is recorded.
func (s *Store) CountAppealView(ctx context.Context, id string, at time.Time) (bool, error) {
	var counted bool
	err := s.write(ctx, false, func(r *runner) error {
		res, err := r.exec(ctx, "count_appeal_view", qCountAppealView, at.UTC().Format(time.DateOnly), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		counted = n > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: count appeal view: %w", err)
	}
	return counted, nil
}

func scanAppeal(scan func(...any) error) (model.Appeal, error) {
	var (
		ap                                     model.Appeal
		placement, kind, currencies, frequency string
		minimums, amounts                      string
		tagID                                  sql.NullString
	)
	err := scan(&ap.ID, &ap.Active, &ap.Heading, &ap.Message, &placement, &kind, &ap.Target.Value, &tagID, &currencies, &ap.Currency,
		&minimums, &frequency, &amounts, &ap.ButtonText, &ap.PaymentMethods, &ap.DismissQuestion, &ap.DismissText,
		&ap.RemindAfterDays, &ap.RiskNotice, scanTime(&ap.CreatedAt), scanTime(&ap.UpdatedAt))
	if err != nil {
		return model.Appeal{}, err
	}
	ap.Placement, ap.Target.Kind, ap.DefaultFrequency = model.Placement(placement), model.TargetKind(kind), model.Frequency(frequency)
	if ap.Target.Kind == model.TargetTag {
		ap.Target.Value = tagID.String // "" once the tag was deleted
	}
	if currencies != "" {
		ap.Currencies = strings.Split(currencies, ",")
	}
	if err := json.Unmarshal([]byte(minimums), &ap.Minimums); err != nil {
		return model.Appeal{}, fmt.Errorf("appeal %s: stored minimums: %w", ap.ID, err)
	}
	if err := json.Unmarshal([]byte(amounts), &ap.Amounts); err != nil {
		return model.Appeal{}, fmt.Errorf("appeal %s: stored amounts: %w", ap.ID, err)
	}
	return ap, nil
}
