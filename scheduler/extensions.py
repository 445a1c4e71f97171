"""Flask extensions, created unbound and bound to an app in create_app(). The database
extension lives with the rest of the store (:mod:`scheduler.store.engine`)."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

migrate = Migrate()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
login = LoginManager()
