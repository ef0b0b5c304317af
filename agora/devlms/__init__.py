"""The dev LMS: a real LTI 1.3 platform in miniature, for trying Agora without an LMS (dev only).

It lives outside agora/lti on purpose: the tool never imports it. agora.contexts lists it so its
routes are collected, and its guard answers 404 to every request unless settings.dev is true
(AGORA_DEV=1, which `make run` sets); nothing in a request can change that.

Modules: `platform` (its own RSA key, URLs, people, the claims of a launch), `launch` (the page
with the people, the OIDC authorization endpoint, deep-linking return), `services` (OAuth2 token,
AGS line items, scores and results, NRPS memberships), `queries` (its SQL), `schema` (its
tables), `http` (the guarded router).

Its tables are not in the production migrations (0005 drops the ones 0002 used to create).
`schema.create_schema` applies agora/devlms/schema.sql, plain `CREATE TABLE IF NOT EXISTS`,
under the migration runner's advisory lock; `agora.cli.run_migrations` calls it after the
migrations when settings.dev is true. An idempotent file rather than a second numbered track in
schema_migrations, because these tables hold throwaway dev data and schema_migrations keys on the
version number alone: a second track would need its own numbering scheme or a change to that
table, for tables no production database ever has. A change of their shape would be a new
idempotent statement appended to the file (or a fresh dev data directory).
"""
