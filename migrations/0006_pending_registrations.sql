-- Each verification link carries the registration it was sent for (its
-- names and password hash), so following a link applies exactly that
-- registration: the mailbox owner wins over an earlier or later registrant.
-- NULL on links made before this migration (they apply nothing but the
-- verification). Cleared once the address is verified.
ALTER TABLE email_verifications ADD COLUMN first_name TEXT;
ALTER TABLE email_verifications ADD COLUMN last_name TEXT;
ALTER TABLE email_verifications ADD COLUMN password_hash TEXT;
