"""surveys.ratelimit: a fixed window per key, on the local cache or Redis."""

import datetime as dt
import os

import pytest
import time_machine
from django.core.cache import caches

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
    def _redis(self, settings):
        url = os.environ.get("REDIS_URL")
        if not url:
            pytest.skip("other backend: REDIS_URL is not set")
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        }
        caches["default"].delete_many(
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
    def _redis(self, settings):
        url = os.environ.get("REDIS_URL")
        if not url:
            pytest.skip("other backend: REDIS_URL is not set")
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        }
        caches["default"].delete_many(
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
