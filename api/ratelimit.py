"""A per-client token bucket: enough to keep one noisy client from starving the others.

In-process state: with several workers behind a proxy, put the limit in the proxy instead.
"""

from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    def __init__(self, per_minute: int, burst: int | None = None):
        self.rate = per_minute / 60.0
        self.capacity = float(burst or max(per_minute // 4, 5))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> float:
        """0 if the request may go ahead, else the seconds to wait before retrying."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return math.ceil((1 - tokens) / self.rate) if self.rate > 0 else 60.0
