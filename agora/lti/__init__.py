"""LTI 1.3 Advantage tool: launch, deep linking, AGS, NRPS, dynamic registration.

Modules: `http` (routes), `login` (OIDC third-party initiated login), `launch` (the launch:
checks, then course, user, membership, resource link, session), `validation` (id_token checks),
`keys` (our signing keys, JWKS, rotation), `platform_keys` (platform JWKS cache), `deeplink`
(picker and signed LtiDeepLinkingResponse), `ags` (score passback contract and AGS client),
`tokens` (client_credentials tokens, cached), `nrps` (roster pages), `jobs` (arq),
`registration` (dynamic registration by invite, config.json), `outbound` (the one guard for
every call to a URL from outside, and the URL checks for what pages post to), `cli`, and
`queries/` (all the SQL, one module per sub-domain). The dev LMS, a platform for trying Agora,
is agora.devlms.

Other contexts use exactly one thing from here, agora.lti.ags:
`request_score_passback(conn, course_id=, resource_id=, label=, score_maximum=, user_id=,
score_given=, comment=, timestamp=)` inside their transaction (or, for a whole line item at
once, `request_score_passbacks(conn, course_id=, resource_id=, label=, score_maximum=, users=,
scores=, timestamps=)`, set-based), and `select_passback_status(conn,
course_id=, resource_id=)` to show instructors what happened. `assignment_resource_id(id)` is the
resourceId deep linking gives an assignment's line item.
"""
