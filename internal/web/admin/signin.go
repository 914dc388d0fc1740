package admin

import (
	"errors"
	"net/http"
	"strings"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// genericLoginError is the one answer to every failed sign-in (S11).
const genericLoginError = "The email or password is wrong, or the account is not active."

func (a *Admin) signInForm(w http.ResponseWriter, r *http.Request) error {
	if p := principal(r); p != nil {
		return redirect(w, r, nextStep(p))
	}
	return a.renderSignIn(w, r, http.StatusOK, "", "")
}

func (a *Admin) renderSignIn(w http.ResponseWriter, r *http.Request, status int, email, problem string) error {
	open, err := a.accounts.NeedsSetup(r.Context())
	if err != nil {
		return err
	}
	view := signInView{Layout: a.anonLayout(w, r, "Sign in"), Email: email, Error: problem,
		Next: localNext(r.FormValue("next"), ""), SetupOpen: open}
	view.DemoEmail, view.DemoPassword, _ = a.accounts.DemoLogin(r.Context())
	return a.write(w, status, "signin", view)
}

func (a *Admin) signIn(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	token, err := a.accounts.Login(r.Context(), email, r.PostFormValue("password"), clientOf(r))
	switch {
	case errors.Is(err, accounts.ErrInvalidLogin):
		return a.renderSignIn(w, r, http.StatusUnauthorized, email, genericLoginError)
	case errors.Is(err, accounts.ErrThrottled):
		return a.renderSignIn(w, r, http.StatusTooManyRequests, email, "Too many failed attempts. Wait a minute and try again.")
	case err != nil:
		return err
	}
	a.setSession(w, token)
	p, err := a.accounts.Authenticate(r.Context(), token)
	if err != nil {
		return err
	}
	next := nextStep(p)
	if next == "/admin/" {
		next = localNext(r.PostFormValue("next"), next)
	}
	return redirect(w, r, next)
}

func (a *Admin) signOut(w http.ResponseWriter, r *http.Request) error {
	if err := a.accounts.SignOut(r.Context(), principal(r)); err != nil {
		return err
	}
	a.setSession(w, "")
	return redirect(w, r, "/admin/sign-in")
}

func (a *Admin) secondFactorForm(w http.ResponseWriter, r *http.Request) error {
	return a.renderSecondFactor(w, r, http.StatusOK, "")
}

func (a *Admin) renderSecondFactor(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	p := principal(r)
	if p.Stage() != accounts.StageSecondFactor {
		return redirect(w, r, nextStep(p))
	}
	view := secondFactorView{Layout: a.layout(r, "Confirm it is you"), Passkey: p.Passkeys > 0,
		TOTP: p.TOTP && !(p.Role().NeedsPasskey() && p.Passkeys > 0), Error: problem}
	return a.write(w, status, "factor", view)
}

// finishStep hands over a rotated session token, if any, and moves on.
func (a *Admin) finishStep(w http.ResponseWriter, r *http.Request, token string, err error) error {
	switch {
	case errors.Is(err, accounts.ErrInvalidCode):
		return a.renderSecondFactor(w, r, http.StatusUnprocessableEntity, "That code did not work. Codes from the app work once, for about a minute.")
	case err != nil:
		return userError(err)
	}
	a.setSession(w, token)
	return redirect(w, r, "/admin/")
}

func (a *Admin) secondFactorTOTP(w http.ResponseWriter, r *http.Request) error {
	token, err := a.accounts.VerifyTOTP(r.Context(), principal(r), r.PostFormValue("code"))
	return a.finishStep(w, r, token, err)
}

func (a *Admin) secondFactorRecovery(w http.ResponseWriter, r *http.Request) error {
	token, err := a.accounts.UseRecoveryCode(r.Context(), principal(r), r.PostFormValue("code"))
	return a.finishStep(w, r, token, err)
}

// passkeyAssertBegin answers admin.js with the options for
// navigator.credentials.get: the second factor of a sign-in, or a step-up.
func (a *Admin) passkeyAssertBegin(w http.ResponseWriter, r *http.Request) error {
	opts, err := a.accounts.BeginPasskeyAssertion(r.Context(), principal(r))
	if err != nil {
		return userError(err)
	}
	return writeJSON(w, opts)
}

// passkeyAssertFinish takes the browser's answer, posted by admin.js as a
// form field.
func (a *Admin) passkeyAssertFinish(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	stepUp := p.Stage() == accounts.StageReady
	token, err := a.accounts.FinishPasskeyAssertion(r.Context(), p, []byte(r.PostFormValue("credential")))
	if stepUp {
		if errors.Is(err, accounts.ErrInvalidCode) {
			return a.renderStepUp(w, r, http.StatusUnprocessableEntity, "The passkey was not accepted. Try again.")
		}
		if err != nil {
			return userError(err)
		}
		return redirect(w, r, localNext(r.PostFormValue("next"), "/admin/"))
	}
	return a.finishStep(w, r, token, err)
}

func writeJSON(w http.ResponseWriter, body []byte) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(body)
	return err
}

// firstRunForm offers to create the first administrator, only while the
// database has no account at all.
func (a *Admin) firstRunForm(w http.ResponseWriter, r *http.Request) error {
	open, err := a.accounts.NeedsSetup(r.Context())
	if err != nil {
		return err
	}
	if !open {
		return redirect(w, r, "/admin/sign-in")
	}
	return a.write(w, http.StatusOK, "firstrun", firstRunView{Layout: a.anonLayout(w, r, "Set up the desk")})
}

func (a *Admin) firstRun(w http.ResponseWriter, r *http.Request) error {
	email, name, password := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("name"), r.PostFormValue("password")
	_, err := a.accounts.CreateFirstAdmin(r.Context(), email, name, password)
	var ve *model.ValidationError
	switch {
	case errors.As(err, &ve):
		view := firstRunView{Layout: a.anonLayout(w, r, "Set up the desk"), Email: email, Name: name, Errors: ve.Fields}
		return a.write(w, http.StatusUnprocessableEntity, "firstrun", view)
	case errors.Is(err, accounts.ErrSetupClosed):
		return redirect(w, r, "/admin/sign-in")
	case err != nil:
		return err
	}
	token, err := a.accounts.Login(r.Context(), email, password, clientOf(r))
	if err != nil {
		return err
	}
	a.setSession(w, token)
	return redirect(w, r, "/admin/enrol")
}

// linkPurpose tells a setup link from a reset link by the route.
func linkPurpose(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/admin/reset/") {
		return store.TokenReset
	}
	return store.TokenSetup
}

func (a *Admin) linkForm(w http.ResponseWriter, r *http.Request) error {
	return a.renderLinkForm(w, r, http.StatusOK, "")
}

func (a *Admin) renderLinkForm(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	purpose := linkPurpose(r)
	u, err := a.accounts.LinkOwner(r.Context(), purpose, r.PathValue("token"))
	if err != nil {
		return userError(err)
	}
	title := "Choose a new password"
	if purpose == store.TokenSetup {
		title = "Set up your account"
	}
	view := passwordView{Layout: a.anonLayout(w, r, title), Action: r.URL.Path, Setup: purpose == store.TokenSetup,
		Email: u.Email, Error: problem}
	return a.write(w, status, "password", view)
}

func (a *Admin) linkSubmit(w http.ResponseWriter, r *http.Request) error {
	err := a.accounts.SetPasswordWithLink(r.Context(), linkPurpose(r), r.PathValue("token"), r.PostFormValue("password"))
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		return a.renderLinkForm(w, r, http.StatusUnprocessableEntity, ve.Fields["password"])
	}
	if err != nil {
		return userError(err)
	}
	view := messageView{Layout: a.layout(r, "Password saved"), Status: http.StatusOK,
		Message: "Your password is saved. Sign in with it; you will then set up a passkey.", Link: "/admin/sign-in", LinkText: "Sign in"}
	return a.write(w, http.StatusOK, "message", view)
}

func (a *Admin) resetForm(w http.ResponseWriter, r *http.Request) error {
	return a.write(w, http.StatusOK, "reset", resetView{Layout: a.anonLayout(w, r, "Reset your password")})
}

// resetRequest always gives the same answer, whether or not the address
// has an account. The link goes out by email, or to the server's log when
// no SMTP server is configured.
func (a *Admin) resetRequest(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	if err := a.accounts.RequestPasswordReset(r.Context(), email, clientOf(r)); err != nil {
		return err
	}
	return a.write(w, http.StatusOK, "reset", resetView{Layout: a.anonLayout(w, r, "Reset your password"), Sent: true})
}
