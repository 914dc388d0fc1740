package accounts

import "slices"

// Role is what a staff account may do on the desk.
type Role string

// The roles, from least to most trusted. Each has every permission of the
// ones before it.
const (
	Contributor Role = "contributor" // writes drafts, cannot publish
	Author      Role = "author"      // publishes their own articles
	Editor      Role = "editor"      // publishes and edits everyone's; runs tags, bylines, pages, appeals, newsletters
	Admin       Role = "admin"       // users, settings, the audit log, readers' data
)

// Roles lists the roles from least to most trusted.
func Roles() []Role { return []Role{Contributor, Author, Editor, Admin} }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// NeedsPasskey reports whether the role must sign in with a passkey: every
// role that can publish, send, see readers' data or change settings. TOTP is
// enough only for contributors (requirement S1).
func (r Role) NeedsPasskey() bool { return r != Contributor }

// Permission names something a handler may require.
type Permission string

// Permissions. PermDesk is what every fully signed-in account has: the
// dashboard, its own sessions and sign-in methods.
const (
	PermDesk              Permission = "desk"
	PermWriteOwn          Permission = "articles.write_own"
	PermPublishOwn        Permission = "articles.publish_own"
	PermEditAll           Permission = "articles.edit_all"
	PermPublishAll        Permission = "articles.publish_all"
	PermManageTags        Permission = "tags.manage"
	PermManageAuthors     Permission = "authors.manage"
	PermManagePages       Permission = "pages.manage"
	PermManageAppeals     Permission = "appeals.manage"
	PermManageNewsletters Permission = "newsletters.manage"
	PermManageUsers       Permission = "users.manage"
	PermManageSettings    Permission = "settings.manage"
	PermViewAudit         Permission = "audit.view"
	PermReaders           Permission = "readers.manage" // see, erase and export subscribers and donors
)

// grants is the permission table: what each role adds to the role before
// it. Anything not listed is denied.
var grants = []struct {
	role  Role
	perms []Permission
}{
	{Contributor, []Permission{PermDesk, PermWriteOwn}},
	{Author, []Permission{PermPublishOwn}},
	{Editor, []Permission{PermEditAll, PermPublishAll, PermManageTags, PermManageAuthors, PermManagePages,
		PermManageAppeals, PermManageNewsletters}},
	{Admin, []Permission{PermManageUsers, PermManageSettings, PermViewAudit, PermReaders}},
}

// Permissions lists every permission, in the order the table grants them.
func Permissions() []Permission {
	var all []Permission
	for _, g := range grants {
		all = append(all, g.perms...)
	}
	return all
}

// Can reports whether the role has the permission. An unknown role has
// none.
func (r Role) Can(p Permission) bool {
	if !r.Valid() {
		return false
	}
	for _, g := range grants {
		if slices.Contains(g.perms, p) {
			return true
		}
		if g.role == r {
			return false
		}
	}
	return false
}
