//! Accounts (SPEC §9): an account's name, and who may create one
//! (`ACCOUNT_CREATION`).

use serde::{Deserialize, Serialize};

/// An account's name: trimmed, 1–100 characters, none that must never reach
/// a stored name or a mail header (it is shown in invitation emails).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountName(String);

const MAX_CHARS: usize = 100;

impl AccountName {
    /// # Errors
    /// A user-facing message naming what is wrong.
    pub fn parse(input: &str) -> Result<Self, String> {
        let name = input.trim();
        if name.is_empty() {
            return Err("Account name is required.".to_owned());
        }
        if name.chars().count() > MAX_CHARS {
            return Err(format!(
                "Account name must be at most {MAX_CHARS} characters."
            ));
        }
        if name.chars().any(super::is_forbidden_char) {
            return Err("Account name contains characters that are not allowed.".to_owned());
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who may create an account (`ACCOUNT_CREATION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AccountCreation {
    /// Any signed-in (so verified) user.
    #[default]
    Everyone,
    /// Active Admins of any account.
    Admins,
    /// Nobody through the app; the operator still can (`server create-account`).
    Off,
}

impl AccountCreation {
    pub const ALL: [Self; 3] = [Self::Everyone, Self::Admins, Self::Off];

    /// The setting's value: `everyone`, `admins` or `off`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::Admins => "admins",
            Self::Off => "off",
        }
    }

    /// # Errors
    /// A message listing the values when `text` is none of them.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|policy| policy.as_str() == text)
            .ok_or_else(|| "expected everyone, admins or off".to_owned())
    }

    /// Whether a signed-in user may create an account, given whether they
    /// are an Active Admin of any account.
    pub fn allows(self, admin_anywhere: bool) -> bool {
        match self {
            Self::Everyone => true,
            Self::Admins => admin_anywhere,
            Self::Off => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{AccountCreation, AccountName};

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(AccountName::parse("  Acme  ").unwrap().as_str(), "Acme");
        assert_eq!(
            AccountName::parse("Zoë & Co.").unwrap().as_str(),
            "Zoë & Co."
        );
        assert_eq!(
            AccountName::parse(" ").unwrap_err(),
            "Account name is required."
        );
        assert!(AccountName::parse(&"x".repeat(100)).is_ok());
        assert!(AccountName::parse(&"x".repeat(101)).is_err());
        assert!(AccountName::parse("Acme\r\nBcc: x@y.z").is_err());
        assert!(AccountName::parse("Acme\u{202E}").is_err());
    }

    #[test]
    fn the_policy_reads_its_three_values_and_decides() {
        for policy in AccountCreation::ALL {
            assert_eq!(AccountCreation::parse(policy.as_str()), Ok(policy));
        }
        assert_eq!(
            AccountCreation::parse(" Admins "),
            Ok(AccountCreation::Admins)
        );
        assert!(AccountCreation::parse("some").is_err());
        assert_eq!(AccountCreation::default(), AccountCreation::Everyone);
        assert!(AccountCreation::Everyone.allows(false));
        assert!(AccountCreation::Admins.allows(true));
        assert!(!AccountCreation::Admins.allows(false));
        assert!(!AccountCreation::Off.allows(true));
    }
}
