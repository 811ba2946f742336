use super::{EmailAddress, Password, PersonName};
use crate::error::{AppError, FieldErrors};

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
    /// `AppError::Validation` naming every invalid field (`first_name`,
    /// `last_name`, `email`, `password`).
    pub fn parse(
        first_name: &str,
        last_name: &str,
        email: &str,
        password: &str,
    ) -> Result<Self, AppError> {
        let mut errors = FieldErrors::default();
        let first_name = errors.check("first_name", PersonName::parse(first_name, "First name"));
        let last_name = errors.check("last_name", PersonName::parse(last_name, "Last name"));
        let email = errors.check("email", EmailAddress::parse(email));
        let password = errors.check("password", Password::parse(password, email.as_ref()));
        errors.finish()?;
        match (first_name, last_name, email, password) {
            (Some(first_name), Some(last_name), Some(email), Some(password)) => Ok(Self {
                first_name,
                last_name,
                email,
                password,
            }),
            _ => Err(AppError::Internal),
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
            assert!(error.field_message(field).is_some(), "{field}");
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
