-- tenantdb:no-transaction
-- The seed's recommended production indexes. CREATE INDEX CONCURRENTLY does not block writes
-- but cannot run in a transaction, hence the marker above (first line): each statement runs on
-- its own. IF NOT EXISTS: a database already migrated by hand keeps its indexes. Flyway runs this
-- file too (it runs CONCURRENTLY statements outside a transaction by itself) but only with
-- postgresql.transactional.lock=false (Spring Boot: spring.flyway.postgresql.transactional-lock
-- =false): otherwise the transaction holding its lock makes CONCURRENTLY wait for ever.

-- Core flag lookups
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_flags_key ON flags (key, environment_id);

-- SDK flag streaming (bulk fetch by environment)
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_flags_env ON flags (environment_id, updated_at);

-- Audit log pagination and filtering
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_log_created ON audit_log (created_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_log_user ON audit_log (user_id, created_at DESC);

-- API key validation (hot path during SDK sync)
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_api_keys_hash ON api_keys (key_hash);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_api_keys_env ON api_keys (environment_id, revoked);

-- JWT refresh token lookup (SELECT FOR UPDATE)
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_refresh_tokens_user ON refresh_tokens (user_id, revoked);

-- User lookup by login
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_users_email ON users (email);
