package accounts_test

import (
	"testing"

	"github.com/tamizdat/tamizdat/internal/accounts"
)

// TestRolePermissions spells out the permission table independently of the
// code that implements it: for each permission, the least role that has it.
func TestRolePermissions(t *testing.T) {
	t.Parallel()
	least := map[accounts.Permission]accounts.Role{
		accounts.PermDesk:              accounts.Contributor,
		accounts.PermWriteOwn:          accounts.Contributor,
		accounts.PermPublishOwn:        accounts.Author,
		accounts.PermEditAll:           accounts.Editor,
		accounts.PermPublishAll:        accounts.Editor,
		accounts.PermManageTags:        accounts.Editor,
		accounts.PermManageAuthors:     accounts.Editor,
		accounts.PermManagePages:       accounts.Editor,
		accounts.PermManageAppeals:     accounts.Editor,
		accounts.PermManageNewsletters: accounts.Editor,
		accounts.PermManageUsers:       accounts.Admin,
		accounts.PermManageSettings:    accounts.Admin,
		accounts.PermViewAudit:         accounts.Admin,
		accounts.PermReaders:           accounts.Admin,
	}
	if len(least) != len(accounts.Permissions()) {
		t.Fatalf("the test covers %d permissions; the table has %d", len(least), len(accounts.Permissions()))
	}
	rank := map[accounts.Role]int{}
	for i, r := range accounts.Roles() {
		rank[r] = i
	}
	for _, perm := range accounts.Permissions() {
		for _, role := range accounts.Roles() {
			want := rank[role] >= rank[least[perm]]
			if got := role.Can(perm); got != want {
				t.Errorf("%s.Can(%s) = %v, want %v", role, perm, got, want)
			}
		}
		if accounts.Role("owner").Can(perm) || accounts.Role("").Can(perm) {
			t.Errorf("an unknown role has %s", perm)
		}
	}
	for _, role := range accounts.Roles() {
		if got := role.NeedsPasskey(); got != (role != accounts.Contributor) {
			t.Errorf("%s.NeedsPasskey() = %v", role, got)
		}
	}
}
