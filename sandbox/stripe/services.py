"""The pieces one sandbox instance is made of, handed to routes and domain code."""

from __future__ import annotations

from .config import SandboxConfig
from .events import EventBus
from .faults import FaultInjector
from .store import Store
from .webhooks import WebhookDispatcher


class Sandbox:
    def __init__(self, config: SandboxConfig):
        self.config = config
        self.store = Store(config.data_path)
        self.dispatcher = WebhookDispatcher(self.store, config)
        self.events = EventBus(self.store, lambda: self.config.webhook_url, self.dispatcher.wake)
        self.faults = FaultInjector(config.faults)

    def start(self) -> None:
        self.dispatcher.start()

    def stop(self) -> None:
        self.dispatcher.stop()
        self.store.close()
