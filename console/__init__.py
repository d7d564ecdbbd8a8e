"""The web tier: Flask app factory, one blueprint per screen, Socket.IO namespaces.

``create_app`` binds extensions and blueprints and starts nothing: no threads, no scheduler,
no SIP endpoint. Long-lived processes start from the ``huifang`` CLI.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel, get_locale
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

from console.auth.login import login_manager
from storage.config import PROJECT_ROOT, Config, load_config
from storage.db import make_engine, make_session_factory

LOCALES = ("zh_Hans", "en")
csrf = CSRFProtect()
babel = Babel()


def select_locale() -> str:
    """``?lang=`` switches and is remembered in the session; Chinese first."""
    asked = request.args.get("lang")
    if asked in LOCALES:
        session["lang"] = asked
    return session.get("lang") or "zh_Hans"


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    app = Flask(
        __name__,
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(config.instance_dir),
    )
    app.config.update(
        SECRET_KEY=config.secret_key,
        HUIFANG=config,
        TESTING=config.testing,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        BABEL_DEFAULT_LOCALE="zh_Hans",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
    )
    app.extensions["huifang.sessions"] = make_session_factory(make_engine(config.database_url))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    socketio = SocketIO(app, async_mode="threading", message_queue=config.redis_url)
    _register(app, socketio)
    return app


MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # a DMS export of a few hundred thousand rows


def _register(app: Flask, socketio: SocketIO) -> None:
    from console.agent.views import bp as agent_bp
    from console.archive.views import bp as archive_bp
    from console.auth.views import bp as auth_bp
    from console.calendar.views import bp as calendar_bp
    from console.errors import register_error_handlers
    from console.imports.views import bp as imports_bp
    from console.notices.views import bp as notices_bp
    from console.realtime.namespaces import register_namespaces
    from console.realtime.notices import NoticesNamespace
    from console.realtime.notifier import NOTICES_NS
    from console.recordings.views import bp as recordings_bp
    from console.scripts.views import bp as scripts_bp
    from console.settings.views import bp as settings_bp
    from console.sms.campaigns_views import bp as sms_campaigns_bp
    from console.sms.hooks import bp as sms_hooks_bp
    from console.sms.templates_views import bp as sms_templates_bp
    from console.sms.unknown_views import bp as sms_unknown_bp
    from console.supervisor.views import bp as supervisor_bp
    from console.twilio.views import bp as twilio_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(agent_bp)
    app.register_blueprint(supervisor_bp)
    app.register_blueprint(archive_bp)
    app.register_blueprint(settings_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(scripts_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(twilio_bp)
    app.register_blueprint(recordings_bp)
    for sms_bp in (sms_templates_bp, sms_campaigns_bp, sms_unknown_bp, sms_hooks_bp):
        app.register_blueprint(sms_bp)
    register_error_handlers(app)
    register_namespaces(app, socketio)
    socketio.on_namespace(NoticesNamespace(NOTICES_NS))
