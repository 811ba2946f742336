use super::EmailAddress;

/// A new password: 12–128 characters, not the email address, not a commonly
/// used password. Never serialised, never logged.
pub struct Password(String);

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;

/// A short list of passwords that pass the length rule yet are among the
/// most used, checked everywhere (the browser too). Compared
/// case-insensitively. The server also checks [`is_in_common_list`].
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "111111111111",
    "000000000000",
    "passwordpassword",
    "password1234",
    "password12345",
    "password123456",
    "qwertyuiopasdf",
    "qwerty123456",
    "qwertyuiop123",
    "iloveyou1234",
    "administrator",
    "letmein12345",
    "welcome12345",
    "changeme1234",
    "abcdefghijkl",
    "abc123456789",
    "correcthorsebatterystaple",
    "trustno1trustno1",
    "football1234",
    "baseball1234",
    "superman1234",
    "sunshine1234",
    "monkey123456",
    "dragon123456",
    "princess1234",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "zaq12wsxcde3",
    "aaaaaaaaaaaa",
];

/// Whether `lowered` is in the ~20,000 most common passwords
/// (`data/common-passwords.txt`; where it comes from: `data/README.md`).
/// Only with the `common-passwords` feature, which the server turns on; the
/// browser's build leaves the list out to keep the bundle small.
#[cfg(feature = "common-passwords")]
fn is_in_common_list(lowered: &str) -> bool {
    use std::collections::HashSet;
    use std::sync::LazyLock;
    static LIST: LazyLock<HashSet<String>> = LazyLock::new(|| {
        include_str!("../../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_lowercase)
            .collect()
    });
    LIST.contains(lowered)
}

#[cfg(not(feature = "common-passwords"))]
fn is_in_common_list(_lowered: &str) -> bool {
    false
}

impl Password {
    /// # Errors
    /// A user-facing message naming the rule that failed.
    pub fn parse(input: &str, email: Option<&EmailAddress>) -> Result<Self, String> {
        let length = input.chars().count();
        if length < MIN_CHARS {
            return Err(format!("Password must be at least {MIN_CHARS} characters."));
        }
        if length > MAX_CHARS {
            return Err(format!("Password must be at most {MAX_CHARS} characters."));
        }
        let lowered = input.to_lowercase();
        if email.is_some_and(|email| email.normalized() == lowered.trim()) {
            return Err("Password must not be your email address.".into());
        }
        if COMMON.contains(&lowered.as_str()) || is_in_common_list(&lowered) {
            return Err("This password is too common. Choose another.".into());
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(**redacted**)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_long_unusual_password() {
        assert!(Password::parse("violet-otter-harbour-7", None).is_ok());
        assert!(Password::parse(&"é".repeat(12), None).is_ok());
    }

    #[test]
    fn enforces_length_bounds_in_characters() {
        assert!(Password::parse("short-pass1", None).is_err());
        assert!(Password::parse(&"x".repeat(129), None).is_err());
        assert!(Password::parse(&"x".repeat(128), None).is_ok_and(|p| p.expose().len() == 128));
    }

    #[test]
    fn rejects_the_email_address_and_common_passwords() {
        let email = EmailAddress::parse("Someone.Long@Example.com").unwrap();
        assert!(Password::parse("someone.long@example.com", Some(&email)).is_err());
        assert!(Password::parse("Password1234", None).is_err());
        assert!(Password::parse("QWERTY123456", None).is_err());
    }

    #[cfg(feature = "common-passwords")]
    #[test]
    fn the_server_refuses_the_twenty_thousand_most_common_passwords() {
        let list = include_str!("../../data/common-passwords.txt");
        assert!(list.lines().count() >= 10_000);
        // Long enough to pass the length rule, in the list, not in COMMON.
        for common in [
            "123456654321",
            "Q1W2E3R4T5Y6",
            "123qweasdzxc",
            "telechargement",
        ] {
            assert!(!COMMON.contains(&common.to_lowercase().as_str()));
            assert_eq!(
                Password::parse(common, None).err().as_deref(),
                Some("This password is too common. Choose another."),
                "{common}"
            );
        }
        assert!(Password::parse("violet-otter-harbour-7", None).is_ok());
    }

    #[test]
    fn debug_output_never_contains_the_password() {
        let password = Password::parse("violet-otter-harbour-7", None).unwrap();
        assert!(!format!("{password:?}").contains("violet"));
    }
}
