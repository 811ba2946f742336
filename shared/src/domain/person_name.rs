use serde::{Deserialize, Serialize};

/// A first or last name: trimmed, 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

const MAX_CHARS: usize = 100;

impl PersonName {
    /// # Errors
    /// A user-facing message naming what is wrong; `label` is the field's
    /// label ("First name", "Last name").
    pub fn parse(input: &str, label: &str) -> Result<Self, String> {
        let name = input.trim();
        if name.is_empty() {
            return Err(format!("{label} is required."));
        }
        if name.chars().count() > MAX_CHARS {
            return Err(format!("{label} must be at most {MAX_CHARS} characters."));
        }
        if name.chars().any(super::is_forbidden_char) {
            return Err(format!("{label} contains characters that are not allowed."));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::PersonName;

    #[test]
    fn trims_and_accepts_unicode_names() {
        assert_eq!(
            PersonName::parse("  Zoë  ", "First name").unwrap().as_str(),
            "Zoë"
        );
        assert_eq!(
            PersonName::parse("O'Brien-Núñez", "Last name")
                .unwrap()
                .as_str(),
            "O'Brien-Núñez"
        );
    }

    #[test]
    fn rejects_empty_overlong_and_control_characters() {
        assert!(PersonName::parse("   ", "First name").is_err());
        assert!(PersonName::parse(&"x".repeat(101), "First name").is_err());
        assert!(PersonName::parse("Ada\r\nBcc: x@y.z", "First name").is_err());
        assert!(PersonName::parse("Ada\u{0}", "First name").is_err());
        assert!(
            PersonName::parse("Ada\u{202E}", "First name").is_err(),
            "bidi overrides spoof names"
        );
    }

    #[test]
    fn error_names_the_field() {
        assert_eq!(
            PersonName::parse("", "Last name").unwrap_err(),
            "Last name is required."
        );
    }
}
