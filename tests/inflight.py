"""A transport that counts the requests in flight over real HTTP, for the sync tests."""

from __future__ import annotations

import json
import threading

import httpx


class InFlight(httpx.HTTPTransport):
    """Counts the requests in flight and their peak. With ``wait_for_company``, the first
    request about a wallet is held (at most ``patience`` s) until another request is in flight:
    a sync that asks one thing at a time leaves it alone."""

    def __init__(self, *, wait_for_company: bool = False, patience: float = 10.0) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.now = self.peak = self.sent = 0
        self.company = threading.Event()
        self.waiting = wait_for_company
        self.patience = patience

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.now += 1
            self.sent += 1
            self.peak = max(self.peak, self.now)
            if self.now > 1:
                self.company.set()
            hold = self.waiting and "wallet_id" in json.loads(request.content or b"{}")
            self.waiting = self.waiting and not hold
        try:
            if hold:
                self.company.wait(self.patience)
            return super().handle_request(request)
        finally:
            with self.lock:
                self.now -= 1
