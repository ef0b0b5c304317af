"""Forum SQL, one module per sub-domain (the same names as forum/service/). Every query is
scoped by course_id; lists are keyset-paginated; nothing here decides who may do what."""
