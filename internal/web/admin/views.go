package admin

import (
	"html/template"
	"net/http"

	"github.com/tamizdat/tamizdat/internal/accounts"
	"github.com/tamizdat/tamizdat/internal/store"
)

// Layout is what every desk page's frame needs.
type Layout struct {
	Title string
	// User is the signed-in account; nil on pages for anyone.
	User *store.User
	// Ready is set for a fully signed-in session: the frame shows the menu.
	Ready    bool
	CanUsers bool
	CanAudit bool
	// CanTags, CanBylines and CanPages show the editors' menu entries.
	CanTags, CanBylines, CanPages bool
	// CanSettings shows the admins' entries for the site's settings and
	// addresses.
	CanSettings bool
	// CanAppeals shows the appeals and figures entries.
	CanAppeals bool
	// Demo shows the banner that this session skipped two-factor sign-in.
	Demo bool
	// CSRF is the token the page's forms carry.
	CSRF string
	// CanNewsletters shows the newsletters' menu entry.
	CanNewsletters bool
	// Refresh, when set, reloads the page every so many seconds.
	Refresh int
	// CanReaders shows the admins' entry for subscribers and donors.
	CanReaders bool
}

func (a *Admin) layout(r *http.Request, title string) Layout {
	l := Layout{Title: title}
	if p := principal(r); p != nil {
		l.User = &p.User
		l.Ready = p.Stage() == accounts.StageReady
		l.CanUsers = p.Can(accounts.PermManageUsers)
		l.CanAudit = p.Can(accounts.PermViewAudit)
		l.CanTags = p.Can(accounts.PermManageTags)
		l.CanBylines = p.Can(accounts.PermManageAuthors)
		l.CanPages = p.Can(accounts.PermManagePages)
		l.CanSettings = p.Can(accounts.PermManageSettings)
		l.CanNewsletters = p.Can(accounts.PermManageNewsletters)
		l.CanAppeals = p.Can(accounts.PermManageAppeals)
		l.CanReaders = p.Can(accounts.PermReaders)
		l.Demo = p.Demo
		l.CSRF = p.CSRFToken()
	}
	return l
}

// anonLayout is the frame of a page for anyone: its forms carry the
// double-submit token.
func (a *Admin) anonLayout(w http.ResponseWriter, r *http.Request, title string) Layout {
	l := a.layout(r, title)
	l.CSRF = a.formToken(w, r)
	return l
}

type messageView struct {
	Layout
	Status   int
	Message  string
	Link     string
	LinkText string
}

type signInView struct {
	Layout
	Email        string
	Error        string
	Next         string
	DemoEmail    string
	DemoPassword string
	SetupOpen    bool
}

type secondFactorView struct {
	Layout
	Passkey bool
	TOTP    bool
	Error   string
}

type enrolView struct {
	Layout
	TOTPAllowed bool
	// ReplacingTOTP: the account has an authenticator app, which a new one
	// would replace.
	ReplacingTOTP bool
	Error         string
}

type totpView struct {
	Layout
	Secret string
	URI    string
	QR     template.HTML
	Error  string
}

type codesView struct {
	Layout
	Codes []string
	Next  string
}

type firstRunView struct {
	Layout
	Email, Name string
	Errors      map[string]string
}

type passwordView struct {
	Layout
	Action string // where the form posts
	Setup  bool   // a new account's setup rather than a reset
	Email  string
	Error  string
}

type resetView struct {
	Layout
	Sent bool
}

type stepUpView struct {
	Layout
	Next    string
	Passkey bool
	TOTP    bool
	Error   string
}

type dashboardView struct {
	Layout
	Articles []articleRow
}

type articleRow struct {
	Title, Status, Authors, Date string
}

type accountView struct {
	Layout
	Sessions  []sessionRow
	Passkeys  []store.Passkey
	TOTP      bool
	CodesLeft int
	SteppedUp bool
	Error     string
	Notice    string
	// CanChangePassword is false for the demo account, whose password is
	// fixed and printed at start.
	CanChangePassword bool
}

type sessionRow struct {
	ID, UserAgent, Created, LastSeen string
	Current                          bool
}

type usersView struct {
	Layout
	Users  []store.User
	Roles  []accounts.Role
	Self   string
	Form   userForm
	Errors map[string]string
	Added  *addedUser
}

type userForm struct {
	Email, Name, Role string
}

type addedUser struct {
	Email, Link string
}

type auditView struct {
	Layout
	Entries []auditRow
	Older   int64 // the "before" of the next page; 0 when none
}

// auditRow is an audit entry with account IDs shown as emails.
type auditRow struct {
	Seq                               int64
	At, Actor, Action, Target, Detail string
}
