-- можно. feature-flag server: environments, users and their refresh tokens, flags, their
-- rollout strategies, the audit log. The seed's JdbcTemplate RowMapper reads flags.id, key,
-- name, type, created_at, updated_at. Every object belongs to feature_flags_owner (the Job runs
-- as an Owner login), so the ReadWrite login's default privileges cover it.
CREATE TABLE environments (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key        text        NOT NULL UNIQUE,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text        NOT NULL,  -- unique: idx_users_email (V5)
    display_name  text,
    password_hash text        NOT NULL,
    role          text        NOT NULL DEFAULT 'VIEWER' CHECK (role IN ('ADMIN', 'EDITOR', 'VIEWER')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- JWT refresh tokens, rotated per family (SELECT ... FOR UPDATE on refresh).
CREATE TABLE refresh_tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id  uuid        NOT NULL,
    token_hash text        NOT NULL UNIQUE,
    revoked    boolean     NOT NULL DEFAULT false,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE flags (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment_id bigint      NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    key            text        NOT NULL,
    name           text        NOT NULL,
    description    text,
    type           text        NOT NULL CHECK (type IN ('BOOLEAN', 'STRING', 'NUMBER', 'JSON')),
    enabled        boolean     NOT NULL DEFAULT false,
    default_value  jsonb       NOT NULL DEFAULT 'false',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (environment_id, key)
);

CREATE TABLE strategies (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    flag_id    bigint      NOT NULL REFERENCES flags (id) ON DELETE CASCADE,
    type       text        NOT NULL,  -- e.g. PERCENTAGE, USER_IDS
    parameters jsonb       NOT NULL DEFAULT '{}',
    sort_order integer     NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint      REFERENCES users (id) ON DELETE SET NULL,
    action      text        NOT NULL,
    entity_type text        NOT NULL,
    entity_id   bigint,
    details     jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
