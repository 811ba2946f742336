//! Property tests for the parsers: they never panic, whatever the input, and
//! what they accept is safe to store and to put in a mail header. More cases:
//! `PROPTEST_CASES=100000 cargo test -p shared properties`.

use proptest::prelude::*;

use super::{EmailAddress, Password, PersonName};

fn header_safe(value: &str) -> bool {
    !value
        .chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
}

proptest! {
    #[test]
    fn email_parsing_never_panics_and_accepts_only_header_safe_values(input in any::<String>()) {
        if let Ok(email) = EmailAddress::parse(&input) {
            prop_assert!(header_safe(email.as_str()));
            prop_assert!(!email.as_str().chars().any(char::is_whitespace));
            prop_assert_eq!(email.as_str().matches('@').count(), 1);
            prop_assert!(email.as_str().chars().count() <= 254);
            prop_assert_eq!(email.normalized(), email.as_str().to_lowercase());
            // Parsing what we stored gives the same address back.
            prop_assert_eq!(EmailAddress::parse(email.as_str()).map(|e| e.normalized()), Ok(email.normalized()));
        }
    }

    #[test]
    fn plausible_addresses_are_accepted(local in "[a-zA-Z0-9._%+-]{1,40}", domain in "[a-z0-9]{1,20}(\\.[a-z]{2,6}){1,2}") {
        let mut local = local.trim_matches('.').to_owned();
        while local.contains("..") {
            local = local.replace("..", ".");
        }
        prop_assume!(!local.is_empty());
        let address = format!("{local}@{domain}");
        prop_assert!(EmailAddress::parse(&address).is_ok(), "{}", address);
    }

    #[test]
    fn name_parsing_never_panics_and_trims(input in any::<String>()) {
        if let Ok(name) = PersonName::parse(&input, "First name") {
            prop_assert_eq!(name.as_str(), input.trim());
            prop_assert!(header_safe(name.as_str()));
            prop_assert!(!name.as_str().is_empty() && name.as_str().chars().count() <= 100);
        }
    }

    #[test]
    fn password_rules_hold_for_any_input(input in any::<String>()) {
        let accepted = Password::parse(&input, None).is_ok();
        let length = input.chars().count();
        if accepted {
            prop_assert!((12..=128).contains(&length));
        }
        if !(12..=128).contains(&length) {
            prop_assert!(!accepted);
        }
    }
}
