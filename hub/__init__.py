"""Data exchange hub for health and social care."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from hub.config import Settings


def create_app(config: Settings | dict[str, Any] | None = None) -> Flask:
    """Build the web application; ``config`` is a Settings object or overrides of it."""
    from hub.app import build_app

    return build_app(config)
