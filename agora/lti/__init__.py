"""LTI 1.3 Advantage tool: launch, deep linking, AGS, NRPS, dynamic registration."""
