"""Django's Redis cache, keeping one client per connection pool.

Django's RedisCacheClient builds a new redis.Redis for every cache operation; each one fills its
table of ~170 response callbacks, about half a millisecond of CPU, and a page does several cache
operations (the session, the read cache's version and answer, the API throttle). A redis.Redis is
safe to share between threads (it takes a connection from its pool per command), so one per pool
is kept instead. Nothing else changes: the same pools, serializer and options.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
