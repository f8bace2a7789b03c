"""SMS gateways for the tests, named in ``SMS_GATEWAY`` as a provider's would be: one that
keeps what it was handed (as a provider's API would receive it), one that is down."""
from __future__ import annotations

RECEIVED: list = []


class Recording:
    def __init__(self, config):
        self.config = config

    def send(self, message) -> None:
        RECEIVED.append(message)


class Down:
    def __init__(self, config):
        self.config = config

    def send(self, message) -> None:
        raise ConnectionError("the SMS provider does not answer")
