"""The project's settings with an e-mail backend the test can hold mid-send."""

from config.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.faults.mail.HoldingEmailBackend"
