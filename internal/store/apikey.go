package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tamizdat/tamizdat/internal/model"
)

// APIKey is a key for the Admin API. Only the SHA-256 of its secret is
// kept; the secret itself is shown once, when the key is made.
type APIKey struct {
	ID         string
	Name       string // what the key is for, e.g. "wire importer"
	Role       string // contributor, author or editor; never admin
	SecretHash string // hex SHA-256 of the secret
	CreatedBy  string // user ID of the admin who made it, or "system"
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: in force
	// MayPublish lets an author or editor key publish, schedule,
	// unpublish and change public articles.
	MayPublish bool
}

const (
	apiKeyColumns     = `id, name, role, secret_hash, created_by, created_at, expires_at, last_used_at, revoked_at, may_publish`
	qInsertAPIKey     = `INSERT INTO api_keys (` + apiKeyColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)`
	qAPIKeyByID       = `SELECT ` + apiKeyColumns + ` FROM api_keys WHERE id = ?`
	qListAPIKeys      = `SELECT ` + apiKeyColumns + ` FROM api_keys ORDER BY created_at DESC, id`
	qRevokeAPIKey     = `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`
	qTouchAPIKey      = `UPDATE api_keys SET last_used_at = ? WHERE id = ?`
	qInsertKeyArticle = `INSERT INTO api_key_articles (article_id, key_id) VALUES (?, ?)`
	qArticleKey       = `SELECT key_id FROM api_key_articles WHERE article_id = ?`
	qAPIKeyExists     = `SELECT COUNT(*) FROM api_keys WHERE id = ?`
)

// CreateAPIKey stores a new key and sets k.CreatedAt. The caller makes the
// ID and the secret's hash. An ID already in use gives model.ErrConflict.
func (s *Store) CreateAPIKey(ctx context.Context, k *APIKey) error {
	p := problems{}
	p.require("id", k.ID, "a key needs an ID")
	p.require("name", k.Name, "a key needs a name that says what it is for")
	p.require("secret_hash", k.SecretHash, "a key needs the hash of its secret")
	p.require("created_by", k.CreatedBy, "a key needs to record who made it")
	switch k.Role {
	case "contributor", "author", "editor":
	default:
		p["role"] = fmt.Sprintf("%q is not a role a key may have; use contributor, author or editor", k.Role)
	}
	if err := p.err(); err != nil {
		return fmt.Errorf("store: create api key: %w", err)
	}
	now := s.clock()
	err := s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "insert_api_key", qInsertAPIKey, k.ID, k.Name, k.Role, k.SecretHash, k.CreatedBy,
			timeArg(now), timeArg(k.ExpiresAt), k.MayPublish)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create api key: %w", err)
	}
	k.CreatedAt, k.ExpiresAt = now, normTime(k.ExpiresAt)
	k.LastUsedAt, k.RevokedAt = time.Time{}, time.Time{}
	return nil
}

// APIKeyByID returns the key with that ID, revoked and expired ones
// included.
func (s *Store) APIKeyByID(ctx context.Context, id string) (APIKey, error) {
	var k APIKey
	if err := s.read().scanRow(ctx, "api_key_by_id", qAPIKeyByID, []any{id}, apiKeyDest(&k)...); err != nil {
		return APIKey{}, fmt.Errorf("store: api key %s: %w", id, notFound(err))
	}
	return k, nil
}

// ListAPIKeys returns every key, newest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	var keys []APIKey
	err := s.read().each(ctx, "list_api_keys", qListAPIKeys, nil, func(scan func(...any) error) error {
		var k APIKey
		err := scan(apiKeyDest(&k)...)
		keys = append(keys, k)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list api keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey ends the key id now. Revoking a revoked key keeps the first
// revocation time; an unknown id gives model.ErrNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, id string) error {
	err := s.write(ctx, false, func(r *runner) error {
		res, err := r.exec(ctx, "revoke_api_key", qRevokeAPIKey, timeArg(s.clock()), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var exists int
		if err := r.scanRow(ctx, "api_key_exists", qAPIKeyExists, []any{id}, &exists); err != nil {
			return err
		}
		if exists == 0 {
			return model.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: revoke api key %s: %w", id, err)
	}
	return nil
}

// TouchAPIKey records that the key id was used at the store's current time.
func (s *Store) TouchAPIKey(ctx context.Context, id string) error {
	err := s.write(ctx, false, func(r *runner) error {
		_, err := r.exec(ctx, "touch_api_key", qTouchAPIKey, timeArg(s.clock()), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: touch api key %s: %w", id, err)
	}
	return nil
}

// CreateArticleByKey stores a new article as CreateArticleAs does, with
// its slug taken as exactSlug says, records that the API key keyID created
// it, and saves it as the article's first revision, which no account made.
func (s *Store) CreateArticleByKey(ctx context.Context, a *model.Article, keyID string, exactSlug bool) error {
	return s.createFirstRevision(ctx, a, "", exactSlug, func(r *runner, id string) error {
		_, err := r.exec(ctx, "insert_api_key_article", qInsertKeyArticle, id, keyID)
		return err
	})
}

// ArticleKey returns the ID of the key that created the article, or ""
// when it was not made through the Admin API.
func (s *Store) ArticleKey(ctx context.Context, articleID string) (string, error) {
	keys, err := s.read().strings(ctx, "api_key_of_article", qArticleKey, articleID)
	if err != nil {
		return "", fmt.Errorf("store: key of article %s: %w", articleID, err)
	}
	if len(keys) == 0 {
		return "", nil
	}
	return keys[0], nil
}

// apiKeyDest lists scan destinations matching apiKeyColumns.
func apiKeyDest(k *APIKey) []any {
	return []any{&k.ID, &k.Name, &k.Role, &k.SecretHash, &k.CreatedBy, scanTime(&k.CreatedAt),
		scanTime(&k.ExpiresAt), scanTime(&k.LastUsedAt), scanTime(&k.RevokedAt), &k.MayPublish}
}
