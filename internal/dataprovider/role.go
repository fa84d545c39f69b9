package dataprovider

import "slices"

// Role limits administrators: an admin with a role sees and manages only
// the users with the same role, and the users it creates get its role.
// Users and Admins are filled on reads (who holds the role); they are not
// stored and are ignored on writes.
type Role struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	CreatedAt   int64    `json:"created_at"`
	UpdatedAt   int64    `json:"updated_at"`
	Users       []string `json:"users,omitempty"`
	Admins      []string `json:"admins,omitempty"`
}

// roleForbiddenPerms are the permissions an admin with a role cannot
// hold: they reach beyond the users of its role.
var roleForbiddenPerms = []string{AdminPermAny, AdminPermManageAdmins, AdminPermManageSystem,
	AdminPermManageEventRule, AdminPermManageRoles, AdminPermViewEvents}

// validateRoleAdmin refuses the permissions a role admin cannot have.
func validateRoleAdmin(a *Admin) error {
	if a.Role == "" {
		return nil
	}
	for _, p := range a.Permissions {
		if slices.Contains(roleForbiddenPerms, p) {
			return invalid("permissions", "an admin with a role cannot have the %q permission", p)
		}
	}
	return nil
}
