"""surveys.ratelimit: a fixed window per key, on the local cache or Redis."""

import datetime as dt
import socket
import threading
import time

import pytest
import time_machine
from django.core.cache import caches

from surveys import ratelimit
from surveys.ratelimit import rate_limit_begin, rate_limit_hit, rate_parse

START = dt.datetime(2025, 6, 2, 3, 0, 0, tzinfo=dt.UTC)


class TestRateParse:
    @pytest.mark.parametrize(
        "rate,parsed",
        [("20/m", (20, 60)), ("200/h", (200, 3600)), ("5/10s", (5, 10)), ("30/10m", (30, 600))],
    )
    def test_it_reads_count_and_window(self, rate, parsed):
        assert rate_parse(rate) == parsed

    @pytest.mark.parametrize("rate", ["", "20", "x/m", "20/w", "-1/m"])
    def test_it_rejects_a_bad_rate(self, rate):
        with pytest.raises(ValueError):
            rate_parse(rate)


def _hits(n, key="k", rate="3/m"):
    return [rate_limit_hit(scope="ip", key=key, rate=rate) for _ in range(n)]


@pytest.fixture
def _clear_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.mark.usefixtures("_clear_cache")
class TestLocalCache:
    def test_it_allows_the_count_then_refuses(self):
        with time_machine.travel(START, tick=False):
            assert _hits(4) == [False, False, False, True]
            assert _hits(1, key="other") == [False]

    def test_a_new_window_starts_afresh(self):
        with time_machine.travel(START, tick=False):
            _hits(4)
        with time_machine.travel(START + dt.timedelta(seconds=61), tick=False):
            assert _hits(1) == [False]


class TestRedisCache:
    @pytest.fixture(autouse=True)
    def _redis(self, redis_cache):
        redis_cache.delete_many(
            [f"rl:ip:{k}:60:{int(START.timestamp() // 60) + i}" for k in ("k", "r") for i in (0, 1)]
        )
        yield

    def test_it_counts_in_one_window_and_expires_it(self):
        with time_machine.travel(START, tick=False):
            assert _hits(4, key="r") == [False, False, False, True]
        client = caches["default"]._cache.get_client(None)
        key = caches["default"].make_key(f"rl:ip:r:60:{int(START.timestamp() // 60)}")
        assert 0 < client.ttl(key) <= 61
        with time_machine.travel(START + dt.timedelta(seconds=60), tick=False):
            assert _hits(1, key="r") == [False]

    def test_a_server_that_lost_the_script_gets_it_again(self):
        client = caches["default"]._cache.get_client(None, write=True)
        with time_machine.travel(START, tick=False):
            assert _hits(1, key="r") == [False]
            client.script_flush()
            assert _hits(3, key="r") == [False, False, True]

    def test_a_dropped_connection_is_replaced(self):
        client = caches["default"]._cache.get_client(None, write=True)
        with time_machine.travel(START, tick=False):
            assert _hits(1, key="r") == [False]
            # Close every other client's connection, the pooled one included.
            client.client_kill_filter(_type="normal", skipme=True)
            assert _hits(3, key="r") == [False, False, True]


@pytest.mark.usefixtures("_clear_cache")
class TestBegin:
    """rate_limit_begin counts at once and tells later."""

    def test_the_hit_counts_before_its_answer_is_asked(self):
        with time_machine.travel(START, tick=False):
            first = rate_limit_begin(scope="ip", key="b", rate="1/m")
            second = rate_limit_begin(scope="ip", key="b", rate="1/m")
            assert (first(), second()) == (False, True)


class TestBeginOnRedis:
    @pytest.fixture(autouse=True)
    def _redis(self, redis_cache):
        redis_cache.delete_many(
            [f"rl:ip:{k}:60:{int(START.timestamp() // 60)}" for k in ("b", "p", "q")]
        )
        yield

    test_the_hit_counts_before_its_answer_is_asked = (
        TestBegin.test_the_hit_counts_before_its_answer_is_asked
    )

    def test_the_answer_is_read_once(self):
        with time_machine.travel(START, tick=False):
            over = rate_limit_begin(scope="ip", key="p", rate="2/m")
            assert (over(), over()) == (False, False)
            assert _hits(2, key="p", rate="2/m") == [False, True]

    def test_an_answer_nobody_asked_for_is_not_taken_for_the_next(self):
        with time_machine.travel(START, tick=False):
            assert _hits(2, key="q", rate="2/m") == [False, False]
            rate_limit_begin(scope="ip", key="p", rate="2/m")  # never asked: p counted once
            # The next count on this thread is q's third hit, not p's first.
            assert rate_limit_begin(scope="ip", key="q", rate="2/m")() is True
            assert _hits(1, key="p", rate="2/m") == [False]


class TestPackedCommand:
    @pytest.mark.parametrize(
        "key", [":1:rl:ip:127.0.0.1:60:29936015", ":1:rl:ip:2001:db8::1:600:1"]
    )
    @pytest.mark.parametrize("expire", [11, 601, 86401])
    def test_it_is_the_command_redis_py_packs(self, key, expire):
        from redis.connection import Connection

        from surveys.ratelimit import _evalsha_packed

        sha = "a923633f3da2801d92b92e6b83a0cd5edd0b8da5"
        expected = b"".join(Connection().pack_command("EVALSHA", sha, 1, key, expire))
        assert _evalsha_packed(sha, key, expire) == expected


class TestSyncedCounts:
    """SURVEY_RATE_LIMIT_SYNC_SECONDS > 0: hits counted per process, synced with Redis."""

    @pytest.fixture(autouse=True)
    def _redis(self, redis_cache, settings, rate_limit_clients):
        settings.SURVEY_RATE_LIMIT_SYNC_SECONDS = 3600  # only the first hit syncs by itself
        redis_cache.delete_many(
            [f"rl:ip:{k}:60:{int(START.timestamp() // 60) + i}" for k in "stuvw" for i in (0, 1)]
        )

    @staticmethod
    def _shared(key, offset=0):
        cache = caches["default"]
        name = cache.make_key(f"rl:ip:{key}:60:{int(START.timestamp() // 60) + offset}")
        value = cache._cache.get_client(None).get(name)
        return None if value is None else int(value)

    @staticmethod
    def _process():
        """Another process's counts on the same Redis."""
        cache = caches["default"]
        return ratelimit._SyncedCounts(cache._cache.get_client(None, write=True))

    def test_a_process_counts_its_own_hits_exactly_without_a_round_trip_each(self, monkeypatch):
        sends = []
        real = ratelimit._SyncedCounts._send
        monkeypatch.setattr(
            ratelimit._SyncedCounts, "_send", lambda self, b: sends.append(1) or real(self, b)
        )
        with time_machine.travel(START, tick=False):
            assert _hits(5, key="s") == [False, False, False, True, True]
        assert len(sends) == 1 and self._shared("s") == 1
        ratelimit._synced_counts(caches["default"]).sync()
        assert self._shared("s") == 5

    def test_hits_of_other_processes_count_from_the_next_sync(self, settings):
        other = self._process()
        cache = caches["default"]
        key = cache.make_key(f"rl:ip:t:60:{int(START.timestamp() // 60)}")
        with time_machine.travel(START, tick=False):
            for _ in range(3):
                other.hit(key, 61, START.timestamp() + 60, 3600)
            other.sync()
            # This process's first hit syncs first, so it sees the other's three.
            assert _hits(1, key="t") == [True]
            assert self._shared("t") == 4

    def test_a_hit_after_the_interval_sends_every_pending_key(self):
        counts = ratelimit._synced_counts(caches["default"])
        with time_machine.travel(START, tick=False):
            _hits(1, key="u")
            _hits(2, key="v")
            assert (self._shared("u"), self._shared("v")) == (1, None)
            counts.next_sync = time.monotonic() - 1  # the interval is over
            _hits(1, key="u")
            assert (self._shared("u"), self._shared("v")) == (2, 2)
            _hits(1, key="v")  # the next interval has not begun: not sent
            assert self._shared("v") == 2

    def test_a_new_window_starts_afresh_and_the_old_one_is_forgotten(self):
        counts = ratelimit._synced_counts(caches["default"])
        with time_machine.travel(START, tick=False):
            assert _hits(4, key="w") == [False, False, False, True]
        with time_machine.travel(START + dt.timedelta(seconds=60), tick=False):
            assert _hits(1, key="w") == [False]
            counts.sync()  # sends the first window's pending hits, then forgets its key
            assert (self._shared("w"), self._shared("w", offset=1)) == (4, 1)
            counts.sync()
        assert len(counts.known) == 1

    def test_redis_down_keeps_counting_in_the_process_and_sends_later(self, caplog):
        from redis import Redis

        counts = ratelimit._synced_counts(caches["default"])
        real_client = counts.client
        counts.client = Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
        with time_machine.travel(START, tick=False):
            assert _hits(4, key="s") == [False, False, False, True]
            assert "not sent to Redis" in caplog.text
            assert self._shared("s") is None
            counts.client = real_client
            counts.sync()
        assert self._shared("s") == 4
        assert "reach Redis again" in caplog.text

    def test_a_forked_process_makes_its_own(self, monkeypatch):
        cache = caches["default"]
        parent = ratelimit._synced_counts(cache)
        monkeypatch.setattr(ratelimit.os, "getpid", lambda: -1)
        assert ratelimit._synced_counts(cache) is not parent


class _BlackHole:
    """A TCP server on 127.0.0.1 that accepts connections and never answers (a hung Redis)."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _address = self.server.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self):
        self.server.close()
        for connection in self.connections:
            connection.close()


def _point_cache_at(settings, url, timeout=0.2):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
    }


@pytest.mark.parametrize("sync_seconds", [0, 0.25], ids=["exact", "synced"])
class TestRedisFailing:
    """A Redis that refuses or does not answer neither fails nor holds up the count."""

    @pytest.fixture(autouse=True)
    def _fresh(self, settings, sync_seconds, rate_limit_clients):
        settings.SURVEY_RATE_LIMIT_SYNC_SECONDS = sync_seconds

    def test_a_refusing_redis_leaves_the_count_to_the_process(self, settings, caplog):
        _point_cache_at(settings, "redis://127.0.0.1:1/0")
        with time_machine.travel(START, tick=False):
            assert _hits(4, key="x") == [False, False, False, True]
        assert caplog.text.count("not sent to Redis") == 1

    def test_a_redis_that_does_not_answer_is_waited_for_once(self, settings):
        hole = _BlackHole()
        try:
            _point_cache_at(settings, f"redis://127.0.0.1:{hole.port}/0")
            with time_machine.travel(START, tick=False):
                assert _hits(3, key="y") == [False, False, False]
                time.sleep(0.3)  # past the sync interval, not the retry delay
                assert _hits(1, key="y") == [True]
            # One connection timed out; the other hits did not try Redis again.
            assert len(hole.connections) == 1
        finally:
            hole.close()

    def test_redis_answering_again_gets_the_held_hits(self, redis_cache, settings):
        _point_cache_at(settings, redis_cache._servers[0])
        cache = caches["default"]
        name = cache.make_key(f"rl:ip:z:60:{int(START.timestamp() // 60)}")
        client = cache._cache.get_client(None, write=True)
        client.delete(name)
        with time_machine.travel(START, tick=False):
            assert _hits(1, key="z") == [False]  # opens the thread's connection
            counts = ratelimit._synced_counts(cache)
            counts.next_sync = 0.0
            client.execute_command("CLIENT", "PAUSE", 500, "ALL")
            assert _hits(2, key="z") == [False, False]
            assert counts.failing
            time.sleep(0.6)  # the pause is over
            counts.next_sync = time.monotonic() - 1  # the retry is due
            assert _hits(2, key="z", rate="4/m") == [False, True]
            counts.sync()  # synced: the last hit waited for the next sync
        assert not counts.failing
        assert int(client.get(name)) == 5
