"""Handlers, one module per conversation; `register` adds them in the order they must match."""

from __future__ import annotations

from telegram.ext import Application

from bot.handlers import accounts, basics, catalog, connect, errors, listings, start
from bot.post import flow, publish


def register(application: Application) -> None:
    # Group 0 matches at most one handler: specific flows first, catch-alls last.
    flow.register(application, publish.handler())  # before /start: it owns /start post
    start.register(application)
    publish.register(application)
    connect.register(application)
    accounts.register(application)
    catalog.register(application)
    listings.register(application)
    basics.register(application)
    errors.register(application)
