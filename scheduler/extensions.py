"""Flask extensions, created unbound and bound to an app in create_app(). The database
extension lives with the rest of the store (:mod:`scheduler.store.engine`)."""

from urllib.parse import urlsplit

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

migrate = Migrate()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
login = LoginManager()


def check_rate_limit_store(app: Flask) -> None:
    """Raise RuntimeError, naming the setting, when rate limits are on and their store does not
    answer. gunicorn (deploy/gunicorn.conf.py) calls this as each worker starts, so a web server
    whose Redis is missing or misnamed stops at once instead of counting in each worker's memory."""
    if not app.config.get("RATELIMIT_ENABLED", True):
        return
    with app.app_context():
        reachable = limiter.storage.check()
    if not reachable:
        address = urlsplit(str(app.config.get("RATELIMIT_STORAGE_URI", "")))
        shown = address._replace(netloc=address.netloc.rsplit("@", 1)[-1]).geturl()  # never its password
        raise RuntimeError(
            f"The rate-limit store SCHEDULER_RATELIMIT_STORAGE_URI={shown} does not answer: "
            "start it (Redis), or correct the setting."
        )
