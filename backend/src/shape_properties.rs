//! Property test: only our shapes pass the token, API-key and id checks,
//! whatever the input.

use proptest::prelude::*;

use crate::{api_keys, tokens};

proptest! {
    #[test]
    fn only_our_shapes_pass_the_token_and_key_checks(input in any::<String>()) {
        if tokens::is_well_formed(&input) {
            prop_assert_eq!(input.len(), tokens::TOKEN_CHARS);
            prop_assert!(input.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        }
        if api_keys::is_well_formed(&input) {
            prop_assert!(input.starts_with("mst_") && input.len() == 56);
        }
        if tokens::is_id(&input) {
            prop_assert!(input.len() == 32 && input.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
}
