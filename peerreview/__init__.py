"""Peer review: rubrics, randomised allocation, calibration, calibrated grading."""
