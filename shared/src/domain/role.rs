use serde::{Deserialize, Serialize};

/// A member's role in an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Admin,
}

/// A member's status in an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Invited,
    Active,
    Disabled,
}

impl Role {
    /// The value stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }

    /// # Errors
    /// When `value` is not `user` or `admin`.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value {
            "user" => Ok(Self::User),
            "admin" => Ok(Self::Admin),
            other => Err(format!("unknown role {other:?}")),
        }
    }

    /// The label shown in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Admin => "Admin",
        }
    }
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }

    /// # Errors
    /// When `value` is not one of the three statuses.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value {
            "invited" => Ok(Self::Invited),
            "active" => Ok(Self::Active),
            "disabled" => Ok(Self::Disabled),
            other => Err(format!("unknown status {other:?}")),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Invited => "Invited",
            Self::Active => "Active",
            Self::Disabled => "Disabled",
        }
    }
}

/// For reading a stored role (sqlx `#[sqlx(try_from = "String")]`).
impl TryFrom<String> for Role {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

/// For reading a stored status (sqlx `#[sqlx(try_from = "String")]`).
impl TryFrom<String> for MemberStatus {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_round_trip() {
        for role in [Role::User, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        for status in [
            MemberStatus::Invited,
            MemberStatus::Active,
            MemberStatus::Disabled,
        ] {
            assert_eq!(MemberStatus::parse(status.as_str()), Ok(status));
        }
        assert!(Role::parse("owner").is_err());
        assert!(MemberStatus::parse("").is_err());
    }
}
