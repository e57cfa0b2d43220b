"""The Flask app: the webhook door wired to the inbox and the responder, and the admins' dashboard
when it is on. No threads, no I/O."""
from __future__ import annotations

from flask import Flask

from bot.config import Settings
from bot.dashboard.signin import configure_session
from bot.dashboard.views import dashboard_blueprint
from bot.observe.probes import probes_blueprint
from bot.receive.clicks import ClickDesk
from bot.receive.inbox import Inbox
from bot.receive.verify import Credentials
from bot.receive.webhook import webhook_blueprint
from bot.respond import Responder

MAX_BODY_BYTES = 1024 * 1024  # Feishu's events are a few KB; anything larger is answered 413


def create_app(settings: Settings, responder: Responder | None = None,
               inbox: Inbox | None = None, warm_dashboard: bool = False) -> Flask:
    """The webhook app; answers to messages are left to `AnswerWorkers` reading the same inbox.
    `warm_dashboard`: sum the dashboard's remembered weeks in the background at once."""
    responder = responder or Responder.build(settings)
    inbox = inbox or Inbox(responder.store)
    creds = Credentials(settings.feishu.encrypt_key, settings.feishu.verification_token)
    app = Flask("roombot")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.register_blueprint(webhook_blueprint(creds, inbox, ClickDesk(inbox, responder)))
    app.register_blueprint(probes_blueprint(responder))  # /readyz, /metrics
    if settings.dashboard.enabled:  # /admin/, signed in with Feishu
        configure_session(app, settings)
        app.register_blueprint(dashboard_blueprint(responder, warm=warm_dashboard))
    return app
