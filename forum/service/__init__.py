"""The forum's rules in action, one module per sub-domain (the same names as forum/queries/).

Every function takes the request's connection (inside its transaction for writes) and the
Principal, scopes everything by the principal's course, asks forum.rules who may do what, and
returns response Structs. Side effects (live events, notifications) go to the outbox in the same
transaction.
"""
