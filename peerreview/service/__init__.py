"""Peer-review services, one module per sub-domain (the same names as peerreview/queries/):
assignments, submissions, calibration, allocations, reviews, grades, regrades, passback, and
common helpers. Who may do what is decided in peerreview.rules.
"""
