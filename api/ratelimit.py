"""Per-client token buckets: enough to keep one noisy client from starving the others.

One process keeps its buckets in memory. Several API workers share them through Redis
(`REDIS_URL`): one atomic script per request, timed by Redis's own clock so workers' clocks need
not agree. If Redis stops answering, the worker falls back to its own buckets (a limit that is
briefly per worker beats refusing every shopper).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict

from assistant.settings import Settings

log = logging.getLogger(__name__)
MAX_CLIENTS = 100_000  # buckets kept in memory; the least recently seen are dropped first


class RateLimiter:
    """In-process buckets (one worker)."""

    def __init__(self, per_minute: int, burst: int | None = None):
        self.rate = per_minute / 60.0
        self.capacity = float(burst or max(per_minute // 4, 5))
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, key: str) -> float:
        """0 if the request may go ahead, else the seconds to wait before retrying."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > MAX_CLIENTS:
                self._buckets.popitem(last=False)
        return 0.0 if allowed else self.wait(tokens)

    def wait(self, tokens: float) -> float:
        return math.ceil((1 - tokens) / self.rate) if self.rate > 0 else 60.0


# tokens refill at ARGV[1] per second up to ARGV[2]; returns {allowed, tokens left}
BUCKET = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1e6
local rate, capacity = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = math.min(capacity, (tonumber(b[1]) or capacity) + (now - (tonumber(b[2]) or now)) * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return {allowed, tostring(tokens)}
"""


class RedisRateLimiter(RateLimiter):
    """Buckets in Redis, shared by every worker using the same `REDIS_URL` and key `prefix`."""

    def __init__(self, url: str, per_minute: int, burst: int | None = None, prefix: str = "shopassist:rate:v1:"):
        import redis

        super().__init__(per_minute, burst)
        self.client = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        self.script = self.client.register_script(BUCKET)
        self.prefix = prefix

    def check(self, key: str) -> float:
        try:
            allowed, tokens = self.script(keys=[self.prefix + key], args=[self.rate, self.capacity])
        except Exception as exc:  # Redis down or slow: this worker's own buckets meanwhile
            log.warning("rate limit: Redis unavailable (%s); using this worker's own buckets", exc)
            return super().check(key)
        return 0.0 if int(allowed) else self.wait(float(tokens))


def make_limiter(settings: Settings, per_minute: int, burst: int | None = None, name: str = "v1") -> RateLimiter:
    """Shared through Redis when `REDIS_URL` is set, else this process's own."""
    if settings.redis_url:
        return RedisRateLimiter(settings.redis_url, per_minute, burst, f"{settings.redis_prefix}:rate:{name}:")
    return RateLimiter(per_minute, burst)
