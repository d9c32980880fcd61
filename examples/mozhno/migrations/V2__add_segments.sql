-- Segments: named sets of users by attribute rules, which a strategy can target.
CREATE TABLE segments (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment_id bigint      NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    key            text        NOT NULL,
    name           text        NOT NULL,
    rules          jsonb       NOT NULL DEFAULT '[]',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (environment_id, key)
);

CREATE TABLE strategy_segments (
    strategy_id bigint NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    segment_id  bigint NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    PRIMARY KEY (strategy_id, segment_id)
);
