package admin

import (
	"cmp"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/model"
	"github.com/tamizdat/tamizdat/internal/store"
)

// dashboardSize is how many articles the dashboard lists until the editor
// brings filters and pages.
const dashboardSize = 50

// dashboard lists the newest articles of every status, read-only for now.
func (a *Admin) dashboard(w http.ResponseWriter, r *http.Request) error {
	articles, _, err := a.store.ListArticles(r.Context(), store.ArticleQuery{Limit: dashboardSize})
	if err != nil {
		return err
	}
	view := dashboardView{Layout: a.layout(r, "Articles")}
	for _, art := range articles {
		names := make([]string, len(art.Authors))
		for i, au := range art.Authors {
			names[i] = au.Name
		}
		date := art.PublishedAt
		if date.IsZero() {
			date = art.CreatedAt
		}
		view.Articles = append(view.Articles, articleRow{Title: art.Title, Status: string(art.Status),
			Authors: strings.Join(names, ", "), Date: when(date)})
	}
	return a.write(w, http.StatusOK, "dashboard", view)
}

func (a *Admin) users(w http.ResponseWriter, r *http.Request) error {
	return a.renderUsers(w, r, http.StatusOK, userForm{Role: string(accounts.Contributor)}, nil, nil)
}

func (a *Admin) renderUsers(w http.ResponseWriter, r *http.Request, status int, form userForm, problems map[string]string, added *addedUser) error {
	p := principal(r)
	list, err := a.accounts.Users(r.Context(), p)
	if err != nil {
		return userError(err)
	}
	view := usersView{Layout: a.layout(r, "Users"), Users: list, Roles: accounts.Roles(), Self: p.User.ID,
		Form: form, Errors: problems, Added: added}
	return a.write(w, status, "users", view)
}

// addUser creates an account. Its one-time setup link is emailed to the
// person; only when the server cannot send email is it shown here, for the
// admin to pass on.
func (a *Admin) addUser(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	form := userForm{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Role: r.PostFormValue("role")}
	u, token, err := a.accounts.AddUser(r.Context(), p.User.ID, form.Email, form.Name, accounts.Role(form.Role))
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		return a.renderUsers(w, r, http.StatusUnprocessableEntity, form, ve.Fields, nil)
	}
	if err != nil {
		return err
	}
	added := &addedUser{Email: u.Email}
	if !a.accounts.CanMail() {
		added.Link = a.accounts.SetupLink(token)
	}
	return a.renderUsers(w, r, http.StatusOK, userForm{Role: string(accounts.Contributor)}, nil, added)
}

func (a *Admin) changeRole(w http.ResponseWriter, r *http.Request) error {
	err := a.accounts.ChangeRole(r.Context(), principal(r), r.PathValue("id"), accounts.Role(r.PostFormValue("role")))
	return a.afterUserChange(w, r, err)
}

func (a *Admin) disableUser(w http.ResponseWriter, r *http.Request) error {
	return a.afterUserChange(w, r, a.accounts.SetDisabled(r.Context(), principal(r), r.PathValue("id"), true))
}

func (a *Admin) enableUser(w http.ResponseWriter, r *http.Request) error {
	return a.afterUserChange(w, r, a.accounts.SetDisabled(r.Context(), principal(r), r.PathValue("id"), false))
}

func (a *Admin) resetSecondFactors(w http.ResponseWriter, r *http.Request) error {
	return a.afterUserChange(w, r, a.accounts.ResetSecondFactors(r.Context(), principal(r), r.PathValue("id")))
}

func (a *Admin) afterUserChange(w http.ResponseWriter, r *http.Request, err error) error {
	var ve *model.ValidationError
	switch {
	case errors.Is(err, accounts.ErrStepUpRequired):
		return redirect(w, r, "/admin/step-up?next=/admin/users")
	case errors.As(err, &ve):
		return a.renderUsers(w, r, http.StatusUnprocessableEntity, userForm{Role: string(accounts.Contributor)}, ve.Fields, nil)
	case err != nil:
		return userError(err)
	}
	return redirect(w, r, "/admin/users")
}

// auditPage is how many entries the audit page shows at once.
const auditPage = 100

func (a *Admin) auditLog(w http.ResponseWriter, r *http.Request) error {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	entries, err := a.audit.Recent(r.Context(), before, auditPage)
	if err != nil {
		return err
	}
	emails, err := a.userEmails(r)
	if err != nil {
		return err
	}
	name := func(id string) string { return cmp.Or(emails[id], id) }
	view := auditView{Layout: a.layout(r, "Audit log")}
	for _, e := range entries {
		view.Entries = append(view.Entries, auditRow{Seq: e.Seq, At: when(e.At), Actor: name(e.Actor),
			Action: e.Action, Target: name(e.Target), Detail: e.Detail})
	}
	if n := len(entries); n == auditPage && entries[n-1].Seq > 1 {
		view.Older = entries[n-1].Seq
	}
	return a.write(w, http.StatusOK, "audit", view)
}
