"""roombot: a Feishu bot that answers questions about meeting-room bookings."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask import Flask

from bot.config import Settings

if TYPE_CHECKING:
    from bot.conversation import Conversation
    from bot.services import Services
    from bot.worker import Worker


@dataclass
class Runtime:
    """What `create_app` wired together; `serve` and tests reach it through app.extensions."""

    services: Services
    conversation: Conversation
    worker: Worker


def build_services(settings: Settings, clock: Callable[[], datetime] | None = None) -> Services:
    """Build the gateway, directory cache, store and clock from settings (no network I/O)."""
    from bot.directory import Directory, DirectoryCache
    from bot.feishu.gateway import FeishuGateway
    from bot.services import Services
    from bot.store import Store

    tz = settings.bot.tz
    clock = clock or (lambda: datetime.now(tz))
    gateway = FeishuGateway(settings.feishu, tz=tz, clock=clock,
                            time_budget=settings.bot.time_budget_seconds)
    root = settings.bot.room_level_id
    directory = DirectoryCache(lambda: Directory.load(gateway, root))
    return Services(settings, gateway, directory, Store.open(settings.storage.url), clock)


def create_app(settings: Settings, services: Services | None = None,
               answer_inline: bool = True) -> Flask:
    """The Flask app: webhook and health check. Starts no threads and calls no Feishu API.

    With `answer_inline=False` messages are only recorded; worker processes answer them.
    """
    from bot.conversation import Conversation
    from bot.feishu.events import build_dispatcher
    from bot.webhook import webhook_blueprint
    from bot.worker import Worker

    services = services or build_services(settings)
    conversation = Conversation(services)
    worker = Worker(services.store, conversation.handle, services.gateway.patch_card,
                    threads=settings.bot.workers, inline=answer_inline)
    dispatcher = build_dispatcher(settings.feishu.encrypt_key, settings.feishu.verification_token,
                                  worker.accept, worker.card_action)
    app = Flask("roombot")
    app.register_blueprint(webhook_blueprint(dispatcher, settings.feishu.encrypt_key))
    app.extensions["roombot"] = Runtime(services, conversation, worker)
    return app

