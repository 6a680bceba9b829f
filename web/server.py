"""Serving the site with gunicorn, for `kb serve`.

`kb serve --workers 4` runs the same thing as `gunicorn -w 4 'web:create_app()'`:
N worker processes with a few threads each. Every worker answers from the shared
index; one of them (elected by a lock, see `search.live`) applies article changes.
"""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from web import create_app


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


def serve(app_config: dict, host: str, port: int, workers: int = 1, threads: int = 8) -> None:
    """Serve until stopped (Ctrl-C or SIGTERM)."""
    KbServer(app_config, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 60,
        "graceful_timeout": 5,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "kb serve",
        # One control socket per user (gunicorn ≥ 25) would be shared by every kb serve.
        "control_socket_disable": True,
    }).run()
