-- Each account's member-list version (issue 17): every change to what the
-- account's member list shows bumps it in the change's own transaction, so
-- a server process may answer a list from memory while the version it
-- reads is the one it cached the list at. A table of its own, not a column
-- of `accounts`: transactions lock the account row first, and a bump taken
-- after a member row would deadlock with them on PostgreSQL. No row means
-- version 0. The triggers that bump it differ between the engines, so
-- `backend::db::member_list` installs them after the migrations.
CREATE TABLE member_list_versions (
    account_id TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
