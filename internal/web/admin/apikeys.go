package admin

import (
	"cmp"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/apikeys"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/web"
)

// keyRoles are the roles a key may have: never admin.
var keyRoles = []accounts.Role{accounts.Contributor, accounts.Author, accounts.Editor}

type apiKeysView struct {
	Layout
	Keys   []apiKeyRow
	Roles  []accounts.Role
	Form   apiKeyForm
	Errors map[string]string
	// Created is the key just made, with its token: shown this once.
	Created *createdKey
}

type apiKeyRow struct {
	ID, Name, Role, CreatedBy, Created, Expires, LastUsed, Status string
	Active, MayPublish                                            bool
}

type apiKeyForm struct {
	Name, Role, Expires string
	MayPublish          bool
}

type createdKey struct {
	ID, Name, Token string
}

// keysService returns the API key service, or an error page when the desk
// was built without one.
func (a *Admin) keysService() (*apikeys.Service, error) {
	if a.keys == nil {
		return nil, &web.Error{Status: http.StatusServiceUnavailable, Message: "API keys are not available on this server."}
	}
	return a.keys, nil
}

func (a *Admin) apiKeys(w http.ResponseWriter, r *http.Request) error {
	return a.renderAPIKeys(w, r, http.StatusOK, apiKeyForm{Role: string(accounts.Contributor)}, nil, nil)
}

func (a *Admin) renderAPIKeys(w http.ResponseWriter, r *http.Request, status int, form apiKeyForm, problems map[string]string, created *createdKey) error {
	keys, err := a.keysService()
	if err != nil {
		return err
	}
	list, err := keys.List(r.Context())
	if err != nil {
		return err
	}
	emails, err := a.userEmails(r)
	if err != nil {
		return err
	}
	now := a.accounts.Now()
	view := apiKeysView{Layout: a.layout(r, "API keys"), Roles: keyRoles, Form: form, Errors: problems, Created: created}
	for _, k := range list {
		status := k.Status(now)
		view.Keys = append(view.Keys, apiKeyRow{ID: k.ID, Name: k.Name, Role: string(k.Role),
			CreatedBy: cmp.Or(emails[k.CreatedBy], k.CreatedBy), Created: when(k.CreatedAt),
			Expires: whenOr(k.ExpiresAt, "never"), LastUsed: whenOr(k.LastUsedAt, "never"),
			Status: status, Active: status == "active", MayPublish: k.MayPublish})
	}
	return a.write(w, status, "apikeys", view)
}

// createAPIKey makes a key and shows its token once. Like every new
// credential it needs a recent step-up.
func (a *Admin) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	keys, err := a.keysService()
	if err != nil {
		return err
	}
	p := principal(r)
	if err := p.RequireStepUp(); err != nil {
		return redirect(w, r, "/admin/step-up?next=/admin/api-keys")
	}
	form := apiKeyForm{Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role"),
		Expires: strings.TrimSpace(r.PostFormValue("expires")), MayPublish: r.PostFormValue("may_publish") == "on"}
	var expires time.Time
	if form.Expires != "" {
		day, err := time.Parse(time.DateOnly, form.Expires)
		if err != nil {
			return a.renderAPIKeys(w, r, http.StatusUnprocessableEntity, form,
				map[string]string{"expires": "give the expiry as a date such as 2026-06-30, or leave it empty"}, nil)
		}
		expires = day
	}
	k, token, err := keys.Create(r.Context(), p.User.ID, apikeys.NewKey{Name: form.Name, Role: accounts.Role(form.Role),
		Expires: expires, MayPublish: form.MayPublish})
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		return a.renderAPIKeys(w, r, http.StatusUnprocessableEntity, form, ve.Fields, nil)
	}
	if err != nil {
		return err
	}
	return a.renderAPIKeys(w, r, http.StatusOK, apiKeyForm{Role: string(accounts.Contributor)}, nil,
		&createdKey{ID: k.ID, Name: k.Name, Token: token})
}

func (a *Admin) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	keys, err := a.keysService()
	if err != nil {
		return err
	}
	if err := keys.Revoke(r.Context(), principal(r).User.ID, r.PathValue("id")); err != nil {
		return userError(err)
	}
	return redirect(w, r, "/admin/api-keys")
}

// whenOr formats t for the desk, or says zero when it is not set.
func whenOr(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return when(t)
}
