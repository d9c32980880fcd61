-- SDK API keys, one environment each; only a hash of the key is stored.
CREATE TABLE api_keys (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment_id bigint      NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    name           text        NOT NULL,
    key_hash       text        NOT NULL,
    key_prefix     text        NOT NULL,  -- shown in the UI, e.g. "mz_live_ab12"
    revoked        boolean     NOT NULL DEFAULT false,
    created_by     bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
