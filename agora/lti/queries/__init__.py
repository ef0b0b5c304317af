"""SQL of the LTI context, one module per sub-domain; plain SQL, bind parameters only.

`tool_keys` (our signing keys), `platforms` (registrations and deployments), `registrations`
(one-time dynamic registration invites), `launches` (what a
launch writes: course, user, membership, resource link, NRPS endpoint), `passbacks` (scores
waiting for or sent through AGS, line items), `rosters` (NRPS roster pages and sync state).
Platforms, deployments and keys are global tables; everything else is filtered by course_id.
"""
