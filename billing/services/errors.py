class BillingRefused(Exception):
    """A money change refused, with a message a person (or a provider's log) can act
    on and a short machine-readable code. Nothing was written."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
