"""All SQL of the peer-review context, one module per sub-domain (the same names as
peerreview/service/): assignments (and teams), submissions, calibration, allocations, reviews,
grades, regrades, passback. Every query is scoped by course_id and binds its parameters;
bulk work is set-based."""
