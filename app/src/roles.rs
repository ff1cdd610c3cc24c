//! The roles matrix: who may do what inside an organisation. This is the one definition; the
//! server enforces it and the interface reads it to show or hide actions.

use serde::{Deserialize, Serialize};

/// A member's role, from most to least powerful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    Owner,
    Admin,
    Manager,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Manager, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Viewer => "viewer",
        }
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Manager => "Manager",
            Role::Viewer => "Viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Lower rank is more powerful.
    fn rank(self) -> u8 {
        self as u8
    }

    /// Nobody can grant a role above their own.
    pub fn can_grant(self, role: Role) -> bool {
        role != Role::Owner
            && self.rank() <= role.rank()
            && self.allows(Permission::InviteMembers)
            && (role != Role::Admin || self.allows(Permission::ManageAdmins))
    }
}

/// Everything the matrix decides, one variant per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// See dashboard, businesses, issues, inbox.
    View,
    /// Create and edit businesses, issues, comments; run enrichment; use AI; reply to messages,
    /// write internal notes, assign conversations and change their status.
    Edit,
    /// Archive or delete businesses, issues and conversations of the inbox. For businesses and
    /// issues, archiving is the delete: restorable, until [`Permission::Purge`].
    ArchiveDelete,
    /// Delete archived businesses and issues for good.
    Purge,
    /// Invite members; change roles of and remove Managers and Viewers.
    InviteMembers,
    /// Grant or revoke Admin; remove Admins.
    ManageAdmins,
    /// Organisation settings: name, URL slug, AI on/off, integrations.
    Settings,
    /// Audit log; export all organisation data.
    AuditExport,
    /// See billing.
    SeeBilling,
    /// Change plan, payment method, cancel.
    ManageBilling,
    /// Transfer ownership; delete the organisation.
    OwnOrganisation,
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Permission::View,
        Permission::Edit,
        Permission::ArchiveDelete,
        Permission::Purge,
        Permission::InviteMembers,
        Permission::ManageAdmins,
        Permission::Settings,
        Permission::AuditExport,
        Permission::SeeBilling,
        Permission::ManageBilling,
        Permission::OwnOrganisation,
    ];

    /// What the permission lets a member do, to finish "Your role does not allow you to …".
    pub fn describe(self) -> &'static str {
        use Permission::*;
        match self {
            View => "see this organisation",
            Edit => "create or edit businesses, issues and comments, or answer messages",
            ArchiveDelete => "archive or delete businesses, issues and conversations",
            Purge => "delete archived businesses and issues for good",
            InviteMembers => "invite members or change their roles",
            ManageAdmins => "grant, revoke or remove the Admin role",
            Settings => "change the organisation's settings",
            AuditExport => "see the audit log or export the organisation's data",
            SeeBilling => "see billing",
            ManageBilling => "change the plan or payment method",
            OwnOrganisation => "transfer ownership or delete the organisation",
        }
    }

    /// The name the server reports a function as needing.
    pub fn name(self) -> &'static str {
        use Permission::*;
        match self {
            View => "view",
            Edit => "edit",
            ArchiveDelete => "archive_delete",
            Purge => "purge",
            InviteMembers => "invite_members",
            ManageAdmins => "manage_admins",
            Settings => "settings",
            AuditExport => "audit_export",
            SeeBilling => "see_billing",
            ManageBilling => "manage_billing",
            OwnOrganisation => "own_organisation",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.name() == s)
    }

    /// The least powerful role that has this permission; every more powerful role has it too.
    fn minimum(self) -> Role {
        use Permission::*;
        match self {
            View => Role::Viewer,
            Edit | ArchiveDelete => Role::Manager,
            InviteMembers | Purge | Settings | AuditExport | SeeBilling => Role::Admin,
            ManageAdmins | ManageBilling | OwnOrganisation => Role::Owner,
        }
    }
}

impl Role {
    pub fn allows(self, permission: Permission) -> bool {
        self.rank() <= permission.minimum().rank()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    /// The table in the product specification, row by row: Owner, Admin, Manager, Viewer. A
    /// permanent delete is Owner's and Admin's: a Manager's delete is an archive.
    const MATRIX: [(Permission, [bool; 4]); 11] = [
        (View, [true, true, true, true]),
        (Edit, [true, true, true, false]),
        (ArchiveDelete, [true, true, true, false]),
        (Purge, [true, true, false, false]),
        (InviteMembers, [true, true, false, false]),
        (ManageAdmins, [true, false, false, false]),
        (Settings, [true, true, false, false]),
        (AuditExport, [true, true, false, false]),
        (SeeBilling, [true, true, false, false]),
        (ManageBilling, [true, false, false, false]),
        (OwnOrganisation, [true, false, false, false]),
    ];

    #[test]
    fn roles_allow_exactly_what_the_matrix_says() {
        assert_eq!(MATRIX.len(), Permission::ALL.len());
        for (permission, row) in MATRIX {
            for (role, expected) in Role::ALL.into_iter().zip(row) {
                assert_eq!(
                    role.allows(permission),
                    expected,
                    "{role:?} / {permission:?}"
                );
            }
        }
    }

    #[test]
    fn nobody_grants_a_role_above_their_own_and_ownership_is_only_transferred() {
        assert!(Role::Owner.can_grant(Role::Admin));
        assert!(Role::Owner.can_grant(Role::Viewer));
        assert!(
            !Role::Owner.can_grant(Role::Owner),
            "ownership moves by transfer only"
        );
        assert!(Role::Admin.can_grant(Role::Manager));
        assert!(Role::Admin.can_grant(Role::Viewer));
        assert!(
            !Role::Admin.can_grant(Role::Admin),
            "granting Admin is the Owner's"
        );
        assert!(
            !Role::Manager.can_grant(Role::Viewer),
            "Managers do not invite"
        );
        assert!(!Role::Viewer.can_grant(Role::Viewer));
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("superuser"), None);
    }
}
