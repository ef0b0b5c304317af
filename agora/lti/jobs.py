"""arq jobs of this context (collected by agora.worker)."""

FUNCTIONS: list = []
