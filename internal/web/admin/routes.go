package admin

import (
	"net/http"
	"net/url"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/web"
)

// Access is what a route requires of the request.
type Access struct {
	// Level is Anyone, SignedIn or Ready.
	Level Level
	// Permission is what a Ready session's role must grant.
	Permission accounts.Permission
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

		{"GET /admin/users", can(accounts.PermManageUsers), a.users},
		{"POST /admin/users", can(accounts.PermManageUsers), a.addUser},
		{"POST /admin/users/{id}/role", can(accounts.PermManageUsers), a.changeRole},
		{"POST /admin/users/{id}/disable", can(accounts.PermManageUsers), a.disableUser},
		{"POST /admin/users/{id}/enable", can(accounts.PermManageUsers), a.enableUser},

		{"GET /admin/audit", can(accounts.PermViewAudit), a.auditLog},
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
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
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
