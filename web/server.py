"""Serving the site with gunicorn, for `kb serve`.

`kb serve --workers 4` runs N worker processes. Every worker answers from the shared
index; one of them (elected by a lock, see `search.live`) applies article changes through
an indexing process of its own.

Workers are `KbGeventWorker`s: gevent reads and writes the connections, each one a
greenlet, so a client that sends its request (headers or body) one byte a second holds
a few kilobytes, not a thread (with the threaded worker, eight such clients took a
worker down); headers not complete within 2 s drop the connection. Once a request has
fully arrived, the app runs on a pool of `THREADS` real OS threads, as with gunicorn's
threaded worker, so searches use the CPU as before. Only sockets are made cooperative:
the site's own background threads (live reload, the watchdog observer, training the
question classifier, index worker processes) stay real OS threads. The same worker
under your own gunicorn: `gunicorn -k web.server.KbGeventWorker -w 4 'web:create_app()'`.
"""

from __future__ import annotations

import io

from gunicorn.app.base import BaseApplication
from gunicorn.workers.ggevent import GeventWorker

from web import create_app
from web.bodies import MAX_BODY

WORKER_CONNECTIONS = 1000  # open connections per worker, slow ones included
THREADS = 8  # OS threads per worker running the app


class KbGeventWorker(GeventWorker):
    """gunicorn's gevent worker with cooperative sockets but real threads (see the module doc)."""

    def patch(self):
        from gevent import monkey, socket

        monkey.patch_all(socket=True, dns=True, ssl=True, thread=False, os=False, subprocess=False,
                         signal=False, time=False, select=False, queue=False)
        # As the base class does: the listening sockets, as gevent sockets.
        self.sockets = [socket.socket(s.FAMILY, socket.SOCK_STREAM, fileno=s.sock.detach())
                        for s in self.sockets]

    def load_wsgi(self):
        from gevent.threadpool import ThreadPool

        super().load_wsgi()
        self.wsgi = in_threads(self.wsgi, ThreadPool(self.cfg.threads))


def in_threads(app, pool):
    """`app` run on `pool`'s OS threads. The request body is read first, here, cooperatively
    (a slow sender costs a greenlet, not a thread), at most one byte past the cap, so the app
    still answers 413 for a larger body. The response is collected on the thread."""

    def call(environ, start_response):
        result = app(environ, start_response)
        try:
            return list(result)
        finally:
            if hasattr(result, "close"):
                result.close()

    def run(environ, start_response):
        body = environ["wsgi.input"].read(MAX_BODY + 1)
        environ["wsgi.input"] = io.BytesIO(body)
        if environ.pop("HTTP_TRANSFER_ENCODING", None):  # a chunked body: now of known length
            environ["CONTENT_LENGTH"] = str(len(body))
        return pool.spawn(call, environ, start_response).get()

    return run


class KbServer(BaseApplication):
    """A gunicorn application whose workers each build the app with `create_app(app_config)`."""

    def __init__(self, app_config: dict, options: dict):
        self.app_config = app_config
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings newer than the installed gunicorn are skipped
                self.cfg.set(key, value)

    def load(self):
        return create_app(self.app_config)


def serve(app_config: dict, host: str, port: int, workers: int = 1,
          worker_class: str = "web.server.KbGeventWorker") -> None:
    """Serve until stopped (Ctrl-C or SIGTERM)."""
    KbServer(app_config, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": worker_class,
        "worker_connections": WORKER_CONNECTIONS,
        "threads": THREADS,
        "timeout": 60,
        "graceful_timeout": 5,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "kb serve",
        # One control socket per user (gunicorn ≥ 25) would be shared by every kb serve.
        "control_socket_disable": True,
    }).run()
