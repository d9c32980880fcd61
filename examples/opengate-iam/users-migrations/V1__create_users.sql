-- OpenGate IAM User Service (database opengate_users): the users of every realm. JPA runs with
-- ddl-auto: validate, so this schema is the one the entities are checked against.
CREATE TABLE users (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    realm_id       uuid        NOT NULL,  -- a realm of the Realm Service (another database: no FK)
    username       varchar(255) NOT NULL,
    email          varchar(255),
    email_verified boolean     NOT NULL DEFAULT false,
    first_name     varchar(255),
    last_name      varchar(255),
    password_hash  varchar(255),
    enabled        boolean     NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_users_realm_username UNIQUE (realm_id, username),
    CONSTRAINT uq_users_realm_email UNIQUE (realm_id, email)
);
