-- A lifecycle status beside the enabled flag: ACTIVE, LOCKED (too many failed logins),
-- SUSPENDED (by an administrator), PENDING_VERIFICATION (e-mail not confirmed yet).
ALTER TABLE users
    ADD COLUMN status varchar(32) NOT NULL DEFAULT 'ACTIVE'
        CONSTRAINT ck_users_status CHECK (status IN ('ACTIVE', 'LOCKED', 'SUSPENDED', 'PENDING_VERIFICATION')),
    ADD COLUMN status_changed_at timestamptz;

CREATE INDEX idx_users_realm_status ON users (realm_id, status);
