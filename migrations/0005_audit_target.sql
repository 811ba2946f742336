-- A member's audit events (their history; the crash and soak tests check
-- every change has one) without scanning the whole log.
CREATE INDEX audit_events_target ON audit_events (target_member_id);
