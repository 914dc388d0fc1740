// Package publishing runs the newsroom's editorial workflow: who may do
// what to which article, drafts and their revisions, scheduling,
// publishing and unpublishing, shareable draft previews, and the tags,
// bylines and static pages articles use. It records the actions the audit
// log must keep (requirement S7) and asks for a step-up where requirement
// S5 does. The desk and the API call it; they hold no editorial rules of
// their own.
//
// The rules: contributors create and edit their own drafts; authors also
// schedule, publish, unpublish and edit their own articles whatever their
// status; editors do all of that to every article and manage tags,
// bylines and pages. Anything that makes an article public, changes a
// public or scheduled article, or takes one down needs a recent step-up.
package publishing

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/audit"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// DefaultPreviewLifetime is how long a draft-preview link works unless
// Options say otherwise.
const DefaultPreviewLifetime = 48 * time.Hour

// Errors the desk turns into pages. Validation problems are
// *model.ValidationError; a save based on an outdated revision is
// store.ErrStaleRevision.
var (
	ErrForbidden      = errors.New("publishing: this account may not do that to this article")
	ErrStepUpRequired = errors.New("publishing: confirm it is you with your second factor first")
	// ErrAlreadyDraft: unpublishing an article that is a draft already,
	// as from a page opened before someone else unpublished it; a
	// conflict with the article's state, as the Admin API answers too.
	ErrAlreadyDraft = errors.New("publishing: the article is a draft already")
)

// Audit actions of the editorial workflow.
const (
	AuditPublished     = "article_published"
	AuditScheduled     = "article_scheduled"
	AuditUnpublished   = "article_unpublished"
	AuditEdited        = "published_article_edited"
	AuditDeleted       = "article_deleted"
	AuditPreviewShared = "article_preview_shared"
	// AuditRecordRestored: a static page, tag or byline restored from a
	// revision; readers see the change at once.
	AuditRecordRestored = "record_revision_restored"
)

// Actor is who asks for an action, with what their role grants. The desk
// builds it from the session; other callers from their own credentials.
type Actor struct {
	UserID     string
	WriteOwn   bool // create articles and edit one's own drafts
	PublishOwn bool // schedule, publish, unpublish and edit one's own articles
	EditAll    bool // edit every article
	PublishAll bool // schedule, publish and unpublish every article
	// ManageTags, ManageAuthors and ManagePages allow creating, changing and
	// deleting tags, bylines and static pages.
	ManageTags    bool
	ManageAuthors bool
	ManagePages   bool
	// SteppedUp reports a fresh second-factor proof (requirement S5).
	SteppedUp bool
	// APIKey marks an Admin API key: UserID then names the key for the
	// audit log, not an account, so revisions record no account.
	APIKey bool
}

// account is the user ID revisions record as their author: "" for an API
// key.
func (act Actor) account() string {
	if act.APIKey {
		return ""
	}
	return act.UserID
}

// Grants is what the actor's role grants: a role or a signed-in session.
type Grants interface {
	Can(accounts.Permission) bool
}

// NewActor returns the account userID as an actor with what its role
// grants. steppedUp reports a fresh second-factor proof; a program's API
// key, which has none, stands in for it with its "may publish" grant.
func NewActor(userID string, role Grants, steppedUp bool) Actor {
	return Actor{
		UserID:        userID,
		WriteOwn:      role.Can(accounts.PermWriteOwn),
		PublishOwn:    role.Can(accounts.PermPublishOwn),
		EditAll:       role.Can(accounts.PermEditAll),
		PublishAll:    role.Can(accounts.PermPublishAll),
		ManageTags:    role.Can(accounts.PermManageTags),
		ManageAuthors: role.Can(accounts.PermManageAuthors),
		ManagePages:   role.Can(accounts.PermManagePages),
		SteppedUp:     steppedUp,
	}
}

// owns reports whether the actor created the article.
func (act Actor) owns(rec store.ArticleRecord) bool {
	return rec.CreatedBy != "" && rec.CreatedBy == act.UserID
}

// MayChange reports whether the actor may change or delete an article in
// status s that it owns, or not: drafts are their writer's and the
// editors'; what readers see, or will see at a set time, is a publisher's
// call, which also needs a step-up (MayGoPublic).
func (act Actor) MayChange(owned bool, s model.Status) bool {
	if s == model.StatusDraft {
		return act.EditAll || (owned && act.WriteOwn)
	}
	return act.MayPublish(owned)
}

// MayPublish reports whether the actor may schedule, publish, unpublish
// and change the public article it owns, or not.
func (act Actor) MayPublish(owned bool) bool {
	return act.PublishAll || (act.PublishOwn && owned)
}

// MayGoPublic checks what making an article public, changing a public or
// scheduled one, or taking one down requires: the right to publish it
// (else ErrForbidden) and a fresh step-up (else ErrStepUpRequired).
func (act Actor) MayGoPublic(owned bool) error {
	if !act.MayPublish(owned) {
		return ErrForbidden
	}
	if !act.SteppedUp {
		return ErrStepUpRequired
	}
	return nil
}

// mayView: editors see every article, others their own.
func (act Actor) mayView(rec store.ArticleRecord) bool { return act.EditAll || act.owns(rec) }

// mayEdit: editors edit everything; authors their own articles; writers
// without publishing rights only their own drafts.
func (act Actor) mayEdit(rec store.ArticleRecord) bool {
	return act.EditAll || (act.WriteOwn && act.owns(rec) && (rec.Article.Status == model.StatusDraft || act.PublishOwn))
}

// mayPublish is MayPublish for the stored article rec.
func (act Actor) mayPublish(rec store.ArticleRecord) bool { return act.MayPublish(act.owns(rec)) }

// Options configure the service.
type Options struct {
	Store *store.Store
	Audit *audit.Log
	// Now is the clock; time.Now when nil. Give the store the same one.
	Now func() time.Time
	// PreviewLifetime is how long a draft-preview link works;
	// DefaultPreviewLifetime when zero.
	PreviewLifetime time.Duration
	Log             *slog.Logger
}

// Service is the editorial workflow. It is safe for concurrent use.
type Service struct {
	store           *store.Store
	audit           *audit.Log
	now             func() time.Time
	previewLifetime time.Duration
	log             *slog.Logger
}

// New returns the service.
func New(opts Options) *Service {
	s := &Service{store: opts.Store, audit: opts.Audit, now: opts.Now, previewLifetime: opts.PreviewLifetime, log: opts.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.previewLifetime <= 0 {
		s.previewLifetime = DefaultPreviewLifetime
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// PreviewLifetime returns how long a new draft-preview link works.
func (s *Service) PreviewLifetime() time.Duration { return s.previewLifetime }

// record appends to the audit log. A failure is logged, not returned: the
// action it describes has already happened.
func (s *Service) record(ctx context.Context, e audit.Entry) {
	if s.audit == nil {
		return
	}
	if err := s.audit.Append(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "audit entry lost", "action", e.Action, "err", err)
	}
}

// newToken returns 256 random bits, base64url-encoded.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is what the store keeps in place of a preview token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
