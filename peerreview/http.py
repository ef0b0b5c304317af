"""HTTP routes of this context (collected by agora.app)."""

ROUTES: list = []
