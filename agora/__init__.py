"""Agora: course forums and calibrated peer review for MOOCs, embedded through LTI 1.3."""
