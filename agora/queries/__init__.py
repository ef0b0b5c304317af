"""SQL of the shared shell (agora/), one module per subject; plain SQL, bind parameters only.

`sessions` (launch sessions, found by the hash of their token), `outbox` (jobs written with the
change, and the relay's claim of pending rows), `courses` (the course every page shows), `demo`
(the demo seed's course, people and memberships). Platforms and deployments are
agora/lti/queries/platforms.py's; the demo seed uses those.

Two statements stay outside on purpose: agora/db.py's migration runner (its advisory lock and
`schema_migrations` rows are the migration mechanism itself, run before any table here exists),
and agora/health.py's readiness probe `SELECT 1` (it asks whether PostgreSQL answers, not for data).
"""
