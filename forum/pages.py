"""Server-rendered pages of this context (collected by agora.app)."""

ROUTES: list = []
