package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

const (
	qPurgePreviewTokens  = `DELETE FROM preview_tokens WHERE expires_at <= ?`
	qInsertPreviewToken  = `INSERT INTO preview_tokens (token_hash, article_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`
	qPreviewTokenArticle = `SELECT article_id FROM preview_tokens WHERE token_hash = ? AND expires_at > ?`
	qRevokePreviewTokens = `DELETE FROM preview_tokens WHERE article_id = ?`
	qCountPreviewTokens  = `SELECT COUNT(*) FROM preview_tokens WHERE article_id = ? AND expires_at > ?`
)

// CreatePreviewToken records a draft-preview link of the article, made by
// the account userID, by the SHA-256 of its token, valid until expires. It
// deletes expired links on the way, so they never pile up.
func (s *Store) CreatePreviewToken(ctx context.Context, tokenHash, articleID, userID string, expires time.Time) error {
	now := s.clock()
	err := s.write(ctx, false, func(r *runner) error {
		if _, err := r.exec(ctx, "purge_preview_tokens", qPurgePreviewTokens, timeArg(now)); err != nil {
			return err
		}
		_, err := r.exec(ctx, "insert_preview_token", qInsertPreviewToken, tokenHash, articleID, userID, timeArg(now), timeArg(expires))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create preview token: %w", err)
	}
	return nil
}

// PreviewArticle returns the article of the unexpired preview link whose
// token has that hash, whatever the article's status. An unknown or expired
// link is model.ErrNotFound.
func (s *Store) PreviewArticle(ctx context.Context, tokenHash string) (*model.Article, error) {
	var id string
	err := s.read().scanRow(ctx, "preview_token_article", qPreviewTokenArticle, []any{tokenHash, timeArg(s.clock())}, &id)
	if err != nil {
		return nil, fmt.Errorf("store: preview: %w", notFound(err))
	}
	rec, err := s.ArticleRecordByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("store: preview: %w", err)
	}
	return rec.Article, nil
}

// PreviewLinks counts the article's unexpired preview links.
func (s *Store) PreviewLinks(ctx context.Context, articleID string) (int, error) {
	var n int
	if err := s.read().scanRow(ctx, "count_preview_tokens", qCountPreviewTokens, []any{articleID, timeArg(s.clock())}, &n); err != nil {
		return 0, fmt.Errorf("store: preview links: %w", err)
	}
	return n, nil
}

// RevokePreviewTokens ends every preview link of the article and reports
// how many there were.
func (s *Store) RevokePreviewTokens(ctx context.Context, articleID string) (int, error) {
	var n int64
	err := s.write(ctx, false, func(r *runner) error {
		res, err := r.exec(ctx, "revoke_preview_tokens", qRevokePreviewTokens, articleID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: revoke preview links: %w", err)
	}
	return int(n), nil
}
