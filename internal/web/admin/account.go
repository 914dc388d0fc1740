package admin

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/web"
)

func (a *Admin) enrolForm(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.CanEnrol() {
		if p.Stage() == accounts.StageReady {
			return redirect(w, r, "/admin/step-up?next=/admin/enrol")
		}
		return redirect(w, r, nextStep(p))
	}
	view := enrolView{Layout: a.layout(r, "Set up two-factor sign-in"), TOTPAllowed: !p.Role().NeedsPasskey(), ReplacingTOTP: p.TOTP}
	return a.write(w, http.StatusOK, "enrol", view)
}

func (a *Admin) enrolTOTPBegin(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.accounts.BeginTOTP(r.Context(), principal(r)); err != nil {
		return userError(err)
	}
	return redirect(w, r, "/admin/enrol/totp")
}

func (a *Admin) enrolTOTPForm(w http.ResponseWriter, r *http.Request) error {
	return a.renderTOTP(w, r, http.StatusOK, "")
}

func (a *Admin) renderTOTP(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	p := principal(r)
	if !p.CanEnrol() {
		return redirect(w, r, nextStep(p))
	}
	e, err := a.accounts.PendingTOTP(r.Context(), p)
	if errors.Is(err, model.ErrNotFound) {
		return redirect(w, r, "/admin/enrol")
	}
	if err != nil {
		return err
	}
	qr, err := qrSVG(e.URI)
	if err != nil {
		return err
	}
	view := totpView{Layout: a.layout(r, "Add an authenticator app"), Secret: e.Secret, URI: e.URI, QR: qr, Error: problem}
	return a.write(w, status, "totp", view)
}

func (a *Admin) enrolTOTPConfirm(w http.ResponseWriter, r *http.Request) error {
	token, codes, err := a.accounts.ConfirmTOTP(r.Context(), principal(r), r.PostFormValue("code"))
	if errors.Is(err, accounts.ErrInvalidCode) {
		return a.renderTOTP(w, r, http.StatusUnprocessableEntity, "That code did not work. Check the app's clock and try the newest code.")
	}
	return a.enrolled(w, r, token, codes, err)
}

// enrolled finishes an enrolment: a rotated session token if the session
// was still enrolling, and for a first factor the recovery codes, shown
// this once.
func (a *Admin) enrolled(w http.ResponseWriter, r *http.Request, token string, codes []string, err error) error {
	if err != nil {
		return userError(err)
	}
	if token != "" {
		a.setSession(w, token)
	}
	if len(codes) == 0 {
		return redirect(w, r, "/admin/account")
	}
	p := principal(r)
	if token != "" {
		if p, err = a.accounts.Authenticate(r.Context(), token); err != nil {
			return err
		}
		r = r.WithContext(withPrincipal(r.Context(), p))
	}
	view := codesView{Layout: a.layout(r, "Your recovery codes"), Codes: codes, Next: "/admin/"}
	return a.write(w, http.StatusOK, "codes", view)
}

func (a *Admin) passkeyRegisterBegin(w http.ResponseWriter, r *http.Request) error {
	opts, err := a.accounts.BeginPasskeyRegistration(r.Context(), principal(r))
	if err != nil {
		return userError(err)
	}
	return writeJSON(w, opts)
}

func (a *Admin) passkeyRegisterFinish(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if len(name) > 60 {
		name = name[:60]
	}
	token, codes, err := a.accounts.FinishPasskeyRegistration(r.Context(), principal(r), name, []byte(r.PostFormValue("credential")))
	if errors.Is(err, accounts.ErrInvalidCode) {
		return &web.Error{Status: http.StatusUnprocessableEntity, Message: "The passkey could not be added. Go back and try again.", Cause: err}
	}
	return a.enrolled(w, r, token, codes, err)
}

func (a *Admin) stepUpForm(w http.ResponseWriter, r *http.Request) error {
	return a.renderStepUp(w, r, http.StatusOK, "")
}

func (a *Admin) renderStepUp(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	p := principal(r)
	view := stepUpView{Layout: a.layout(r, "Confirm it is you"), Next: localNext(r.FormValue("next"), "/admin/"),
		Passkey: p.Passkeys > 0, TOTP: p.TOTP && !p.Role().NeedsPasskey(), Error: problem}
	return a.write(w, status, "stepup", view)
}

func (a *Admin) stepUpTOTP(w http.ResponseWriter, r *http.Request) error {
	err := a.accounts.StepUpTOTP(r.Context(), principal(r), r.PostFormValue("code"))
	if errors.Is(err, accounts.ErrInvalidCode) {
		return a.renderStepUp(w, r, http.StatusUnprocessableEntity, "That code did not work.")
	}
	if err != nil {
		return userError(err)
	}
	return redirect(w, r, localNext(r.PostFormValue("next"), "/admin/"))
}

// account shows the signed-in person's sessions and sign-in methods.
func (a *Admin) account(w http.ResponseWriter, r *http.Request) error {
	return a.renderAccount(w, r, http.StatusOK, "")
}

func (a *Admin) renderAccount(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	return a.renderAccountPage(w, r, status, problem, "")
}

// renderAccountNotice shows the account page with a note that a change
// was made.
func (a *Admin) renderAccountNotice(w http.ResponseWriter, r *http.Request, notice string) error {
	return a.renderAccountPage(w, r, http.StatusOK, "", notice)
}

func (a *Admin) renderAccountPage(w http.ResponseWriter, r *http.Request, status int, problem, notice string) error {
	ctx, p := r.Context(), principal(r)
	sessions, err := a.accounts.Sessions(ctx, p)
	if err != nil {
		return err
	}
	keys, err := a.accounts.Passkeys(ctx, p)
	if err != nil {
		return err
	}
	left, err := a.store.RecoveryCodesLeft(ctx, p.User.ID)
	if err != nil {
		return err
	}
	view := accountView{Layout: a.layout(r, "Your account"), Passkeys: keys, TOTP: p.TOTP, CodesLeft: left,
		SteppedUp: p.SteppedUp(), Error: problem, Notice: notice, CanChangePassword: !p.Demo}
	for _, s := range sessions {
		view.Sessions = append(view.Sessions, sessionRow{ID: s.ID, UserAgent: s.UserAgent, Created: when(s.CreatedAt),
			LastSeen: when(s.LastSeenAt), Current: s.ID == p.Session.ID})
	}
	return a.write(w, status, "account", view)
}

func (a *Admin) revokeSession(w http.ResponseWriter, r *http.Request) error {
	if err := a.accounts.RevokeSession(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return userError(err)
	}
	return redirect(w, r, "/admin/account")
}

func (a *Admin) revokeAllSessions(w http.ResponseWriter, r *http.Request) error {
	if err := a.accounts.SignOutEverywhere(r.Context(), principal(r)); err != nil {
		return err
	}
	a.setSession(w, "")
	return redirect(w, r, "/admin/sign-in")
}

func (a *Admin) removePasskey(w http.ResponseWriter, r *http.Request) error {
	return a.afterAccountChange(w, r, a.accounts.RemovePasskey(r.Context(), principal(r), r.PathValue("id")))
}

func (a *Admin) removeTOTP(w http.ResponseWriter, r *http.Request) error {
	return a.afterAccountChange(w, r, a.accounts.RemoveTOTP(r.Context(), principal(r)))
}

// changePassword checks the current password and sets the new one; the
// account's other sessions end.
func (a *Admin) changePassword(w http.ResponseWriter, r *http.Request) error {
	err := a.accounts.ChangePassword(r.Context(), principal(r), r.PostFormValue("current"), r.PostFormValue("password"))
	if err == nil {
		return a.renderAccountNotice(w, r, "Your password is changed. Your other sessions were signed out.")
	}
	return a.afterAccountChange(w, r, err)
}

// afterAccountChange answers a change on the account page: back to it, to
// the step-up first when one is needed, or the page again with what was
// wrong.
func (a *Admin) afterAccountChange(w http.ResponseWriter, r *http.Request, err error) error {
	var ve *model.ValidationError
	switch {
	case errors.Is(err, accounts.ErrStepUpRequired):
		return redirect(w, r, "/admin/step-up?next=/admin/account")
	case errors.As(err, &ve):
		return a.renderAccount(w, r, http.StatusUnprocessableEntity, strings.Join(slices.Sorted(maps.Values(ve.Fields)), " "))
	case err != nil:
		return userError(err)
	}
	return redirect(w, r, "/admin/account")
}

func (a *Admin) regenerateCodes(w http.ResponseWriter, r *http.Request) error {
	codes, err := a.accounts.RegenerateRecoveryCodes(r.Context(), principal(r))
	if errors.Is(err, accounts.ErrStepUpRequired) {
		return redirect(w, r, "/admin/step-up?next=/admin/account")
	}
	if err != nil {
		return userError(err)
	}
	return a.write(w, http.StatusOK, "codes", codesView{Layout: a.layout(r, "Your new recovery codes"), Codes: codes, Next: "/admin/account"})
}
