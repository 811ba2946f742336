//! A new user's details, parsed together so a form reports every problem.

use super::{EmailAddress, Password, PersonName};
use crate::validation::{FieldError, FieldErrors};

/// A new user's details, every field parsed (the `/setup` and `/register`
/// forms, and `server create-admin`).
#[derive(Debug)]
pub struct Registration {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: EmailAddress,
    pub password: Password,
}

impl Registration {
    /// # Errors
    /// One field error for every invalid field (`first_name`, `last_name`,
    /// `email`, `password`).
    pub fn parse(
        first_name: &str,
        last_name: &str,
        email: &str,
        password: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let first_name = errors.check("first_name", PersonName::parse(first_name, "First name"));
        let last_name = errors.check("last_name", PersonName::parse(last_name, "Last name"));
        let email = errors.check("email", EmailAddress::parse(email));
        let password = errors.check("password", Password::parse(password, email.as_ref()));
        match (first_name, last_name, email, password) {
            (Some(first_name), Some(last_name), Some(email), Some(password)) => Ok(Self {
                first_name,
                last_name,
                email,
                password,
            }),
            // A field is missing only when its error was recorded.
            _ => Err(errors.into_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Registration;

    #[test]
    fn reports_every_invalid_field_at_once() {
        let error = Registration::parse(" ", "L\u{0}x", "x", "short").unwrap_err();
        for field in ["first_name", "last_name", "email", "password"] {
            assert!(error.iter().any(|e| e.field == field), "{field}");
        }
        let ok = Registration::parse(
            "Ada",
            "Lovelace",
            "ada@example.com",
            "violet-otter-harbour-7",
        )
        .unwrap();
        assert_eq!(ok.email.as_str(), "ada@example.com");
    }
}
