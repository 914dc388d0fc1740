package admin

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/store"
	"github.com/tamizdat/tamizdat/internal/web"
)

// Access is what a route requires of the request.
type Access struct {
	// Level is Anyone, SignedIn or Ready.
	Level Level
	// Permission is what a Ready session's role must grant.
	Permission accounts.Permission
	// Upload marks a multipart file upload: its body may be as large as
	// the media service allows (see readUpload).
	Upload bool
	// LongText marks a form that carries an article or page body: its body
	// may be up to maxTextForm.
	LongText bool
}

// Level says how far through sign-in a request must be.
type Level int

// Access levels. Deny by default: a route must name one.
const (
	// Anyone: sign-in, password links and first-run setup.
	Anyone Level = iota + 1
	// SignedIn: any session, even one with only a password behind it, for
	// proving or enrolling the second factor and signing out.
	SignedIn
	// Ready: a fully signed-in session whose role has the Permission.
	Ready
)

func anyone() Access                   { return Access{Level: Anyone} }
func signedIn() Access                 { return Access{Level: SignedIn} }
func can(p accounts.Permission) Access { return Access{Level: Ready, Permission: p} }
func (a Access) needsSession() bool    { return a.Level == SignedIn || a.Level == Ready }

// canUpload is can for a route that takes a file upload.
func canUpload(p accounts.Permission) Access {
	return Access{Level: Ready, Permission: p, Upload: true}
}

// canWrite is can for a route whose form carries a long text.
func canWrite(p accounts.Permission) Access {
	return Access{Level: Ready, Permission: p, LongText: true}
}

// canWriteWithImage is canWrite for a form that may also carry an image
// file: the article form, whose lead image can be uploaded with it.
func canWriteWithImage(p accounts.Permission) Access {
	return Access{Level: Ready, Permission: p, LongText: true, Upload: true}
}

// Route is one entry of the desk's route table.
type Route struct {
	Pattern string // http.ServeMux pattern, method included
	Access  Access
	Handler web.HandlerFunc
}

// table lists every route of the desk, with what it requires on the same
// line. A route that is not here does not exist.
func (a *Admin) table() []Route {
	return []Route{
		{"GET /admin/sign-in", anyone(), a.signInForm},
		{"POST /admin/sign-in", anyone(), a.signIn},
		{"GET /admin/setup", anyone(), a.firstRunForm},
		{"POST /admin/setup", anyone(), a.firstRun},
		{"GET /admin/setup/{token}", anyone(), a.linkForm},
		{"POST /admin/setup/{token}", anyone(), a.linkSubmit},
		{"GET /admin/reset", anyone(), a.resetForm},
		{"POST /admin/reset", anyone(), a.resetRequest},
		{"GET /admin/reset/{token}", anyone(), a.linkForm},
		{"POST /admin/reset/{token}", anyone(), a.linkSubmit},

		{"GET /admin/second-factor", signedIn(), a.secondFactorForm},
		{"POST /admin/second-factor/totp", signedIn(), a.secondFactorTOTP},
		{"POST /admin/second-factor/recovery", signedIn(), a.secondFactorRecovery},
		{"POST /admin/passkey/assert/begin", signedIn(), a.passkeyAssertBegin},
		{"POST /admin/passkey/assert/finish", signedIn(), a.passkeyAssertFinish},
		{"GET /admin/enrol", signedIn(), a.enrolForm},
		{"POST /admin/enrol/totp", signedIn(), a.enrolTOTPBegin},
		{"GET /admin/enrol/totp", signedIn(), a.enrolTOTPForm},
		{"POST /admin/enrol/totp/confirm", signedIn(), a.enrolTOTPConfirm},
		{"POST /admin/passkey/register/begin", signedIn(), a.passkeyRegisterBegin},
		{"POST /admin/passkey/register/finish", signedIn(), a.passkeyRegisterFinish},
		{"POST /admin/sign-out", signedIn(), a.signOut},

		{"GET /admin/{$}", can(accounts.PermDesk), a.dashboard},
		{"GET /admin/step-up", can(accounts.PermDesk), a.stepUpForm},
		{"POST /admin/step-up/totp", can(accounts.PermDesk), a.stepUpTOTP},
		{"GET /admin/account", can(accounts.PermDesk), a.account},
		{"POST /admin/sessions/{id}/revoke", can(accounts.PermDesk), a.revokeSession},
		{"POST /admin/sessions/revoke-all", can(accounts.PermDesk), a.revokeAllSessions},
		{"POST /admin/passkeys/{id}/remove", can(accounts.PermDesk), a.removePasskey},
		{"POST /admin/recovery-codes", can(accounts.PermDesk), a.regenerateCodes},
		{"POST /admin/password", can(accounts.PermDesk), a.changePassword},
		{"POST /admin/totp/remove", can(accounts.PermDesk), a.removeTOTP},

		{"GET /admin/users", can(accounts.PermManageUsers), a.users},
		{"POST /admin/users", can(accounts.PermManageUsers), a.addUser},
		{"POST /admin/users/{id}/role", can(accounts.PermManageUsers), a.changeRole},
		{"POST /admin/users/{id}/disable", can(accounts.PermManageUsers), a.disableUser},
		{"POST /admin/users/{id}/enable", can(accounts.PermManageUsers), a.enableUser},
		{"POST /admin/users/{id}/reset-2fa", can(accounts.PermManageUsers), a.resetSecondFactors},

		{"GET /admin/audit", can(accounts.PermViewAudit), a.auditLog},
		{"GET /admin/api-keys", can(accounts.PermManageUsers), a.apiKeys},
		{"POST /admin/api-keys", can(accounts.PermManageUsers), a.createAPIKey},
		{"POST /admin/api-keys/{id}/revoke", can(accounts.PermManageUsers), a.revokeAPIKey},

		{"GET /admin/settings", can(accounts.PermManageSettings), a.siteSettings},
		{"POST /admin/settings/site", can(accounts.PermManageSettings), a.saveSettings(siteSection)},
		{"POST /admin/settings/banner", can(accounts.PermManageSettings), a.saveSettings(bannerSection)},
		{"POST /admin/settings/newsletter", can(accounts.PermManageSettings), a.saveSettings(newsletterSection)},
		{"GET /admin/mirrors", can(accounts.PermManageSettings), a.mirrors},
		{"POST /admin/mirrors", can(accounts.PermManageSettings), a.addMirror},
		{"POST /admin/mirrors/remove", can(accounts.PermManageSettings), a.removeMirror},
		{"POST /admin/mirrors/onion", can(accounts.PermManageSettings), a.setOnion},

		{"GET /admin/media", can(accounts.PermWriteOwn), a.mediaLibrary},
		{"POST /admin/media", canUpload(accounts.PermWriteOwn), a.uploadMedia},
		{"GET /admin/media/{id}", can(accounts.PermWriteOwn), a.mediaItem},
		{"POST /admin/media/{id}/alt", can(accounts.PermWriteOwn), a.setMediaAlt},
		{"POST /admin/media/{id}/delete", can(accounts.PermEditAll), a.deleteMedia},

		{"GET /admin/articles", can(accounts.PermWriteOwn), a.articles},
		{"GET /admin/articles/new", can(accounts.PermWriteOwn), a.newArticle},
		{"POST /admin/articles", canWriteWithImage(accounts.PermWriteOwn), a.createArticle},
		{"POST /admin/articles/preview", canWriteWithImage(accounts.PermWriteOwn), a.previewArticle},
		{"GET /admin/articles/{id}", can(accounts.PermWriteOwn), a.editArticle},
		{"POST /admin/articles/{id}", canWriteWithImage(accounts.PermWriteOwn), a.saveArticle},
		{"POST /admin/articles/{id}/unpublish", can(accounts.PermPublishOwn), a.unpublishArticle},
		{"POST /admin/articles/{id}/delete", can(accounts.PermWriteOwn), a.deleteArticle},
		{"POST /admin/articles/{id}/preview-links", can(accounts.PermWriteOwn), a.sharePreview},
		{"POST /admin/articles/{id}/preview-links/revoke", can(accounts.PermWriteOwn), a.revokePreviews},
		{"GET /admin/articles/{id}/revisions", can(accounts.PermWriteOwn), a.revisions},
		{"GET /admin/revisions/{id}", can(accounts.PermWriteOwn), a.revision},
		{"POST /admin/revisions/{id}/restore", can(accounts.PermWriteOwn), a.restoreRevision},

		{"GET /admin/tags", can(accounts.PermManageTags), a.tags},
		{"POST /admin/tags", can(accounts.PermManageTags), a.createTag},
		{"GET /admin/tags/{id}", can(accounts.PermManageTags), a.tag},
		{"POST /admin/tags/{id}", can(accounts.PermManageTags), a.saveTag},
		{"POST /admin/tags/{id}/delete", can(accounts.PermManageTags), a.deleteTag},
		{"GET /admin/tags/{id}/revisions/{rev}", can(accounts.PermManageTags), a.recordRevision(store.KindTag)},
		{"POST /admin/tags/{id}/revisions/{rev}/restore", can(accounts.PermManageTags), a.restoreRecordRevision(store.KindTag)},
		{"GET /admin/bylines", can(accounts.PermManageAuthors), a.bylines},
		{"POST /admin/bylines", can(accounts.PermManageAuthors), a.createByline},
		{"GET /admin/bylines/{id}", can(accounts.PermManageAuthors), a.byline},
		{"POST /admin/bylines/{id}", can(accounts.PermManageAuthors), a.saveByline},
		{"POST /admin/bylines/{id}/delete", can(accounts.PermManageAuthors), a.deleteByline},
		{"GET /admin/bylines/{id}/revisions/{rev}", can(accounts.PermManageAuthors), a.recordRevision(store.KindByline)},
		{"POST /admin/bylines/{id}/revisions/{rev}/restore", can(accounts.PermManageAuthors), a.restoreRecordRevision(store.KindByline)},
		{"GET /admin/pages", can(accounts.PermManagePages), a.staticPages},
		{"GET /admin/pages/new", can(accounts.PermManagePages), a.newStaticPage},
		{"POST /admin/pages", canWrite(accounts.PermManagePages), a.createStaticPage},
		{"GET /admin/pages/{id}", can(accounts.PermManagePages), a.staticPage},
		{"POST /admin/pages/{id}", canWrite(accounts.PermManagePages), a.saveStaticPage},
		{"POST /admin/pages/{id}/delete", can(accounts.PermManagePages), a.deleteStaticPage},
		{"GET /admin/pages/{id}/revisions/{rev}", can(accounts.PermManagePages), a.recordRevision(store.KindPage)},
		{"POST /admin/pages/{id}/revisions/{rev}/restore", can(accounts.PermManagePages), a.restoreRecordRevision(store.KindPage)},

		{"GET /admin/newsletters", can(accounts.PermManageNewsletters), a.newsletterList},
		{"POST /admin/newsletters/{id}", can(accounts.PermManageNewsletters), a.saveNewsletter},
		{"GET /admin/newsletters/domain", can(accounts.PermManageNewsletters), a.checkSendingDomain},
		{"POST /admin/newsletters/{id}/issues", can(accounts.PermManageNewsletters), a.createIssue},
		{"GET /admin/issues/{id}", can(accounts.PermManageNewsletters), a.issuePage},
		{"POST /admin/issues/{id}", canWrite(accounts.PermManageNewsletters), a.saveIssue},
		{"GET /admin/issues/{id}/email", can(accounts.PermManageNewsletters), a.issueEmail},
		{"POST /admin/issues/{id}/test", can(accounts.PermManageNewsletters), a.testIssue},
		{"POST /admin/issues/{id}/schedule", can(accounts.PermManageNewsletters), a.scheduleIssue},
		{"POST /admin/issues/{id}/send", can(accounts.PermManageNewsletters), a.sendIssue},
		{"POST /admin/issues/{id}/unschedule", can(accounts.PermManageNewsletters), a.unscheduleIssue},
		{"POST /admin/issues/{id}/cancel", can(accounts.PermManageNewsletters), a.cancelIssue},
		{"POST /admin/issues/{id}/approve", can(accounts.PermManageNewsletters), a.approveIssue},
		{"POST /admin/issues/{id}/pause", can(accounts.PermManageNewsletters), a.pauseIssue},
		{"POST /admin/issues/{id}/resume", can(accounts.PermManageNewsletters), a.resumeIssue},
		{"POST /admin/issues/{id}/delete", can(accounts.PermManageNewsletters), a.deleteIssue},
		{"GET /admin/appeals", can(accounts.PermManageAppeals), a.appeals},
		{"GET /admin/appeals/new", can(accounts.PermManageAppeals), a.newAppeal},
		{"POST /admin/appeals", canWrite(accounts.PermManageAppeals), a.createAppeal},
		{"GET /admin/appeals/{id}", can(accounts.PermManageAppeals), a.appeal},
		{"POST /admin/appeals/{id}", canWrite(accounts.PermManageAppeals), a.saveAppeal},
		{"POST /admin/appeals/{id}/delete", can(accounts.PermManageAppeals), a.deleteAppeal},
		{"GET /admin/figures", can(accounts.PermManageAppeals), a.figures},

		{"GET /admin/readers", can(accounts.PermReaders), a.readers},
		{"POST /admin/readers/lookup", can(accounts.PermReaders), steppedUpForReaders(a.lookUpReader)},
		{"POST /admin/readers/unsubscribe", can(accounts.PermReaders), steppedUpForReaders(a.unsubscribeReader)},
		{"POST /admin/readers/erase-subscriber", can(accounts.PermReaders), steppedUpForReaders(a.eraseSubscriber)},
		{"POST /admin/readers/suppress", can(accounts.PermReaders), steppedUpForReaders(a.suppressAddress)},
		{"POST /admin/readers/erase-donor", can(accounts.PermReaders), steppedUpForReaders(a.eraseDonor)},
		{"POST /admin/readers/export/subscribers", can(accounts.PermReaders), steppedUpForReaders(a.exportSubscribers)},
		{"POST /admin/readers/export/donors", can(accounts.PermReaders), steppedUpForReaders(a.exportDonors)},
	}
}

// guard enforces a route's access before its handler runs: it loads the
// session, sends people who are not far enough through sign-in to the
// right step, refuses roles without the permission, and checks the form
// token of every POST.
func (a *Admin) guard(rt Route) http.Handler {
	if rt.Access.Level == 0 || (rt.Access.Level == Ready && rt.Access.Permission == "") {
		panic("admin: route " + rt.Pattern + " has no explicit access")
	}
	return a.adapter.Handle(func(w http.ResponseWriter, r *http.Request) error {
		// A form that may carry a file besides its text (the article form)
		// is held to the text's limit when it carries none.
		withFile := rt.Access.Upload && (!rt.Access.LongText || isMultipart(r))
		limit := a.bodyLimit(rt.Access)
		if !withFile {
			limit = a.bodyLimit(Access{LongText: rt.Access.LongText})
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		p := principal(r)
		post := r.Method == http.MethodPost
		if rt.Access.needsSession() && p == nil {
			if post {
				return &web.Error{Status: http.StatusUnauthorized, Message: "Your session has ended. Sign in again."}
			}
			return redirect(w, r, "/admin/sign-in?next="+url.QueryEscape(r.URL.RequestURI()))
		}
		if rt.Access.Level == Ready {
			switch {
			case p.Stage() != accounts.StageReady && !post:
				return redirect(w, r, nextStep(p))
			case p.Stage() != accounts.StageReady:
				return &web.Error{Status: http.StatusForbidden, Message: "Finish signing in first."}
			case !p.Can(rt.Access.Permission):
				return &web.Error{Status: http.StatusForbidden, Message: "Your role does not allow this. Ask an administrator if you need it."}
			}
		}
		if post && withFile {
			cleanUp, err := a.readUpload(w, r, rt.Access)
			if err != nil {
				return err
			}
			defer cleanUp()
		}
		if post && rt.Access.LongText {
			// Parse now, so a text over the limit is told apart from a
			// missing form token.
			var tooLarge *http.MaxBytesError
			if err := r.ParseForm(); errors.As(err, &tooLarge) || textSize(r) > maxTextForm {
				return &web.Error{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf(
					"This text is longer than %d MB, the most the desk accepts. Shorten it, or split it into parts.", maxTextForm>>20)}
			}
		}
		if post {
			want := ""
			if p != nil && rt.Access.needsSession() {
				want = p.CSRFToken()
			} else if c, err := r.Cookie(a.formCookie()); err == nil {
				want = c.Value
			}
			if !checkToken(r, want) {
				return &web.Error{Status: http.StatusForbidden, Message: "This form has expired. Go back, reload the page and try again."}
			}
		}
		return rt.Handler(w, r)
	})
}

// isMultipart reports whether r's body is a multipart form, which may
// carry files.
func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// textSize is how many bytes the text fields of a parsed multipart form
// hold; 0 for other forms, whose whole body the limit covers.
func textSize(r *http.Request) int {
	n := 0
	if r.MultipartForm != nil {
		for _, vs := range r.MultipartForm.Value {
			for _, v := range vs {
				n += len(v)
			}
		}
	}
	return n
}

// nextStep is where a session goes next on its way through sign-in.
func nextStep(p *accounts.Principal) string {
	switch p.Stage() {
	case accounts.StageSecondFactor:
		return "/admin/second-factor"
	case accounts.StageEnrol:
		return "/admin/enrol"
	}
	return "/admin/"
}
