"""The Feishu sandbox: a faithful fake of the Open API endpoints roombot uses, served over real HTTP.

    from bot.sandbox import Sandbox
    sb = Sandbox.start(seed=7, rooms=60)     # then point lark-oapi at sb.url
"""
from __future__ import annotations

from bot.sandbox.directory import User
from bot.sandbox.longconn import LongConnection
from bot.sandbox.longconn_records import ClientConfig, Delivery
from bot.sandbox.messages import SentRecord
from bot.sandbox.pusher import EventPusher, Push
from bot.sandbox.run import serve_forever
from bot.sandbox.sandbox import Sandbox
from bot.sandbox.server import RecordedCall
from bot.sandbox.tenant import Tenant

__all__ = ["ClientConfig", "Delivery", "EventPusher", "LongConnection", "Push", "RecordedCall",
           "Sandbox", "SentRecord", "Tenant", "User", "serve_forever"]
