"""An e-mail backend a test can hold mid-send, to kill the worker there."""

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend


class HoldingEmailBackend(EmailBackend):
    """Django's file backend, except that while the file named by
    ``FAULTS_MAIL_HOLD`` exists it writes its pid beside it and waits: a task
    caught in the middle of sending."""

    def send_messages(self, email_messages):
        hold = Path(os.environ["FAULTS_MAIL_HOLD"])
        while hold.exists():
            hold.with_suffix(".held").write_text(str(os.getpid()))
            time.sleep(0.05)
        return super().send_messages(email_messages)
