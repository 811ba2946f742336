use serde::{Deserialize, Serialize};

/// An email address as the user typed it (trimmed), plus the normalised form
/// used for uniqueness and look-up (lower case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailAddress(String);

const MAX_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;

impl EmailAddress {
    /// # Errors
    /// A user-facing message when the input is not a plausible address.
    pub fn parse(input: &str) -> Result<Self, String> {
        let email = input.trim();
        if email.is_empty() {
            return Err("Enter an email address.".into());
        }
        if email.chars().count() > MAX_LEN {
            return Err("Email address is too long.".into());
        }
        if email.chars().any(|c| {
            c.is_whitespace() || super::is_forbidden_char(c) || "<>()[]\\,;:\"".contains(c)
        }) {
            return Err("Email address contains characters that are not allowed.".into());
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err("Enter an email address like name@example.com.".into());
        };
        let domain_ok = !domain.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.split('.').all(|label| {
                !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if local.is_empty()
            || local.contains('@')
            || local.chars().count() > MAX_LOCAL_LEN
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
            || !local.chars().all(is_local_char)
            || !domain_ok
        {
            return Err("Enter an email address like name@example.com.".into());
        }
        Ok(Self(email.to_owned()))
    }

    /// The address as typed (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form compared for uniqueness: lower case.
    pub fn normalized(&self) -> String {
        normalize(&self.0)
    }
}

/// The characters of a local part: RFC 5322's dot-atom, ASCII only (the
/// REST schema's pattern says the same; an internationalised address would
/// need SMTPUTF8 of every relay on the way, and IDN domains are typed in
/// their `xn--` form).
fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-.".contains(c)
}

/// The form an address is compared and looked up by (trimmed, lower case),
/// for input that need not be a valid address (a sign-in attempt, a
/// stored address read back). The one normalisation in the code base.
pub fn normalize(input: &str) -> String {
    input.trim().to_lowercase()
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::EmailAddress;

    #[test]
    fn accepts_ordinary_addresses_and_keeps_them_as_typed() {
        let email = EmailAddress::parse("  Ada.Lovelace+team@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Ada.Lovelace+team@Example.COM");
        assert_eq!(email.normalized(), "ada.lovelace+team@example.com");
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "   ",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@.com",
            "a@b..com",
            "a b@example.com",
            "a@x\r\nBcc: y@z.com",
            "a@x\nb.com",
            "<a@b.com>",
            "a@@b.com",
            ".a@b.com",
            "a..b@c.com",
            "a@-b.com",
            "a@b*.com",
            "a@b_c.com",
            "ü@example.com",
            "a@bücher.de",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn rejects_overlong_addresses() {
        let local = "a".repeat(65);
        assert!(EmailAddress::parse(&format!("{local}@example.com")).is_err());
        let domain = format!("{}.com", "b".repeat(250));
        assert!(EmailAddress::parse(&format!("a@{domain}")).is_err());
    }
}
