"""A fixed-window rate limit on Django's cache (shared between processes with Redis).

Limits are strings like ``"20/m"`` (20 per minute), ``"200/h"``, ``"5/10s"``;
settings ``SURVEY_RATE_LIMIT_IP`` and ``SURVEY_RATE_LIMIT_DEVICE`` set the
ones for submissions.

On Redis, two ways to share the counts (``SURVEY_RATE_LIMIT_SYNC_SECONDS``):

- ``0`` (default outside production): every hit is one round trip to Redis
  (``EVALSHA``), so every process sees every other's hits at once: exact.
- ``> 0`` (production: 0.25 s): each process counts its hits itself and adds
  them to Redis, all keys in one pipeline, at most once per that many
  seconds, learning the other processes' totals in the same round trip
  (``_SyncedCounts``). A request is judged on the shared total as last
  learned plus this process's hits since: exact within a process, and
  across processes a burst can pass the limit by at most what the other
  processes let through since their last sync. No round trip per request.

Either way a Redis that fails or does not answer within the socket timeout
(``REDIS_SOCKET_TIMEOUT``) does not fail or hold up submissions: each process
counts for itself, tries Redis again every ``_SyncedCounts.RETRY_SECONDS``
and sends its held hits once Redis is back.
"""

import functools
import logging
import os
import re
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")

DEFAULTS = {"ip": "30/10m", "device": "600/h"}


@functools.lru_cache(maxsize=64)
def rate_parse(rate):
    """Return (count, window_seconds) for a rate string; raise ValueError on a bad one."""
    match = _RATE_RE.match(rate or "")
    if not match:
        raise ValueError(f"Bad rate {rate!r}: use a form like '20/m', '200/h' or '5/10s'.")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _UNITS[unit]


def rate_for(scope):
    """Return the configured rate string for ``scope`` ("ip" or "device")."""
    return getattr(settings, f"SURVEY_RATE_LIMIT_{scope.upper()}", None) or DEFAULTS[scope]


def rate_limit_hit(*, scope: str, key: str, rate: str | None = None) -> bool:
    """Count one hit for ``key`` and return True when it goes over the limit.

    One cache round trip in the common case (``incr``); ``add`` starts a new
    window. The window is fixed: it starts at a multiple of its length.
    """
    return rate_limit_begin(scope=scope, key=key, rate=rate)()


def rate_limit_begin(*, scope: str, key: str, rate: str | None = None) -> Callable[[], bool]:
    """Count one hit for ``key`` now; return a function that says whether it went over the limit.

    On Redis the count is sent now and its reply read when the function is
    first called, so work done in between (reading and validating the
    submission) overlaps the round trip instead of waiting for it. Call the
    function once the work is done, before writing or answering anything,
    also when that work failed (``try``/``finally``): until then the
    thread's Redis connection holds the unread reply. With synced counts
    (``SURVEY_RATE_LIMIT_SYNC_SECONDS`` > 0) and on other caches the hit is
    counted at once.
    """
    count, window = rate_parse(rate or rate_for(scope))
    bucket = int(time.time() // window)
    cache_key = f"rl:{scope}:{key}:{window}:{bucket}"
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        interval = getattr(settings, "SURVEY_RATE_LIMIT_SYNC_SECONDS", 0)
        redis_key, window_end = cache.make_key(cache_key), (bucket + 1) * window
        counts = _synced_counts(cache)
        if interval > 0 or counts.failing:
            # Synced counts; or the exact count while Redis fails this process,
            # tried again every RETRY_SECONDS instead of waited for on each hit.
            if counts.failing:
                interval = max(interval, counts.RETRY_SECONDS)
            over = counts.hit(redis_key, window + 1, window_end, interval) > count
            return lambda: over
        # One round trip (EVALSHA) instead of Django's EXISTS + INCR (+ SET for a
        # new window); cheaper on the CPU than a pipeline, which redis-py builds
        # afresh (with a copy of every response callback) on each call. The key
        # is built from a scope, an IP or a device id and numbers: nothing to
        # validate (Django's check is for memcached's key rules).
        hits = _redis_incr_begin(
            cache,
            redis_key,
            window + 1,
            functools.partial(counts.hit_unsent, redis_key, window + 1, window_end),
        )
        return lambda: hits() > count
    try:
        hits = cache.incr(cache_key)
    except ValueError:
        # A new window: add() is atomic, so only one process starts it.
        hits = 1 if cache.add(cache_key, 1, timeout=window + 1) else cache.incr(cache_key)
    over = hits > count
    return lambda: over


_INCR_EXPIRE = """
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return hits
"""
_scripts = {}


def _incr_script(cache):
    """Return the INCR-and-expire script bound to one redis client per cache backend.

    Django's RedisCache builds a new client object on every call; keep one.
    """
    key = tuple(cache._servers)
    script = _scripts.get(key)
    if script is None:
        client = cache._cache.get_client(None, write=True)
        script = _scripts[key] = client.register_script(_INCR_EXPIRE)
    return script


# Each thread's own Redis connection for the counts: [pool, connection, pid, unread count].
_local = threading.local()


def _thread_connection(pool):
    """Return this thread's [pool, connection, pid, unread count] for ``pool``'s server.

    Outside the pool: its checkout and return (a lock, a poll of the socket,
    four metrics updates) cost half the round trip's CPU. A forked process
    makes its own (the pid differs). A count still unread is read first, so
    its reply is never taken for the next one's.
    """
    state = getattr(_local, "redis", None)
    if state is None or state[0] is not pool or state[2] != os.getpid():
        state = [pool, pool.make_connection(), os.getpid(), None]
        _local.redis = state
    elif state[3] is not None:
        state[3]()
    return state


class _PendingCount:
    """A count sent on a thread's connection; calling it reads the reply (once) and returns it.

    ``fallback`` counts the hit in this process when Redis fails.
    """

    __slots__ = ("state", "script", "key", "expire", "fallback", "hits")

    def __init__(self, state, script, key, expire, fallback):
        self.state, self.script, self.key, self.expire = state, script, key, expire
        self.fallback = fallback
        self.hits = None

    def __call__(self):
        if self.hits is None:
            self.hits = self._read()
        return self.hits

    def _read(self):
        conn = self.state[1]
        try:
            return conn.read_response()
        except RedisTimeoutError:
            # Not asked again: a Redis that does not answer would cost a second wait.
            conn.disconnect()
            return self.fallback()
        except RedisConnectionError:
            conn.disconnect()
        except NoScriptError:
            pass
        finally:
            self.state[3] = None
        return _script_or_fallback(self.script, self.key, self.expire, self.fallback)


@functools.lru_cache(maxsize=8)
def _evalsha_head(sha):
    """Return the packed start of ``EVALSHA <sha> 1``, before the key and the expiry."""
    return b"*5\r\n$7\r\nEVALSHA\r\n$%d\r\n%s\r\n$1\r\n1\r\n" % (len(sha), sha.encode())


def _evalsha_packed(sha, key, expire):
    """Return ``EVALSHA <sha> 1 <key> <expire>`` packed as redis-py packs it (RESP bulk strings).

    Its constant head is packed once; redis-py's packer splits and re-encodes
    every argument on each call. The key and the seconds are ASCII.
    """
    key_bytes, expire_bytes = key.encode(), b"%d" % expire
    return b"%s$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
        _evalsha_head(sha),
        len(key_bytes),
        key_bytes,
        len(expire_bytes),
        expire_bytes,
    )


def _script_or_fallback(script, key, expire, fallback):
    """Count through redis-py's full path (loads the script, takes a pooled connection).

    When Redis fails there too, ``fallback`` counts the hit in this process.
    """
    try:
        return script(keys=[key], args=[expire])
    except RedisError:
        return fallback()


def _redis_incr_begin(cache, key, expire, fallback):
    """Send the script by its SHA1 (one EVALSHA); return a function that reads the count.

    Straight on the thread's connection: redis-py's command path (Script.__call__,
    retries, the telemetry hooks of redis-py 8) cost twice the round trip's
    own CPU on this, the busiest call of a submission. A server that lacks the
    script (restarted, flushed) or a dropped connection falls back to that full
    path, which loads the script and retries. A Redis that fails or does not
    answer in time hands the hit to ``fallback`` (counted in this process).
    """
    script = _incr_script(cache)
    state = _thread_connection(script.registered_client.connection_pool)
    conn = state[1]
    try:
        conn.send_packed_command([_evalsha_packed(script.sha, key, expire)])
    except (RedisConnectionError, RedisTimeoutError) as error:
        conn.disconnect()
        # Not tried again after a timeout: a Redis that does not answer would cost a second wait.
        timed_out = isinstance(error, RedisTimeoutError)
        hits = fallback() if timed_out else _script_or_fallback(script, key, expire, fallback)
        return lambda: hits
    pending = state[3] = _PendingCount(state, script, key, expire, fallback)
    return pending


class _SyncedCounts:
    """One process's hits, added to the shared counts in Redis in one pipeline per interval.

    ``pending``: key -> hits not sent yet; ``known``: key -> (shared total as
    last learned plus the hits sent since, wall-clock end of its window,
    seconds a new key lives in Redis).
    A hit that finds the interval over sends every pending key first (the
    requests in between send nothing), so its own answer rests on fresh totals.
    After Redis failed, the next try waits ``RETRY_SECONDS``: a Redis that does
    not answer costs one request per process the socket timeout that often.
    """

    RETRY_SECONDS = 5.0

    def __init__(self, client):
        self.client = client
        self.lock = threading.Lock()
        self.pending = {}
        self.known = {}
        self.next_sync = 0.0
        self.syncing = False
        self.failing = False

    def hit(self, key, expire, window_end, interval):
        """Count one hit for ``key``; return the shared total this process knows of."""
        now = time.monotonic()
        with self.lock:
            self._add(key, expire, window_end)
            due = now >= self.next_sync and not self.syncing
            if due:
                self.syncing = True
                self.next_sync = now + interval
        if due:
            self.sync()
        with self.lock:
            return self.known[key][0] + self.pending.get(key, 0)

    def hit_unsent(self, key, expire, window_end):
        """Count one hit that Redis failed to count; return the total this process knows of.

        The exact path's way out: the hit waits here, with the synced ones,
        for the next sync, tried in ``RETRY_SECONDS``.
        """
        with self.lock:
            self._add(key, expire, window_end)
            self.next_sync = time.monotonic() + self.RETRY_SECONDS
            total = self.known[key][0] + self.pending[key]
        self._failed()
        return total

    def _add(self, key, expire, window_end):
        """Count one hit for ``key`` as pending (the caller holds the lock)."""
        self.pending[key] = self.pending.get(key, 0) + 1
        if key not in self.known:
            self.known[key] = (0, window_end, expire)

    def _failed(self):
        if not self.failing:
            self.failing = True
            logger.warning("Rate-limit counts not sent to Redis; counting in this process")

    def sync(self):
        """Send the pending hits (one pipeline) and take Redis's totals for their keys."""
        with self.lock:
            sent, self.pending = self.pending, {}
            now = time.time()
            # Hits on their way count as known from now on; windows that are over go.
            self.known = {
                key: (count + sent.get(key, 0), end, expire)
                for key, (count, end, expire) in self.known.items()
                if end > now or key in sent
            }
            batch = [(key, hits, self.known[key][2]) for key, hits in sent.items()]
        totals = {}
        try:
            if batch:
                totals = self._send(batch)
            if self.failing:
                self.failing = False
                logger.warning("Rate-limit counts reach Redis again")
        except RedisError:
            self._failed()
            with self.lock:
                self.next_sync = max(self.next_sync, time.monotonic() + self.RETRY_SECONDS)
                # Sent again with the next sync.
                for key, hits in sent.items():
                    self.pending[key] = self.pending.get(key, 0) + hits
                    count, end, expire = self.known[key]
                    self.known[key] = (count - hits, end, expire)
        finally:
            with self.lock:
                for key, total in totals.items():
                    # Redis's total holds this process's sent hits and every other's.
                    self.known[key] = (total, *self.known[key][1:])
                self.syncing = False

    def _send(self, batch):
        """Add each (key, hits, expire) of ``batch`` in one pipeline; return key -> new total."""
        pipe = self.client.pipeline(transaction=False)
        for key, hits, expire in batch:
            # A new key gets the window's expiry; INCRBY keeps it.
            pipe.set(key, 0, ex=expire, nx=True)
            pipe.incrby(key, hits)
        replies = pipe.execute()
        return {key: int(replies[2 * i + 1]) for i, (key, _hits, _expire) in enumerate(batch)}


_synced = {}


def _synced_counts(cache):
    """Return this process's ``_SyncedCounts`` for ``cache``'s server (a fork makes its own)."""
    key = (tuple(cache._servers), os.getpid())
    counts = _synced.get(key)
    if counts is None:
        counts = _synced[key] = _SyncedCounts(cache._cache.get_client(None, write=True))
    return counts
