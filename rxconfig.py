"""Reflex configuration. Values come from ordertrack.settings (environment variables)."""

import os
from pathlib import Path

import reflex as rx

from ordertrack.settings import get_settings

# State files, the SQLite database, uploads and mail are this user's alone (not world-readable).
os.umask(0o077)
_settings = get_settings()
_bun = Path(__file__).resolve().parent / ".tools" / "node_modules" / ".bin" / "bun"
_port = os.environ.get("PORT", "3000")
_origins = sorted({_settings.public_url, f"http://localhost:{_port}", f"http://127.0.0.1:{_port}"})

config = rx.Config(
    app_name="ordertrack",
    db_url=_settings.database_url,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    cors_allowed_origins=_origins,
    redis_token_expiration=10 * 60,  # an idle tab's state is dropped after 10 minutes (every state manager)
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium", has_background=True)
        )
    ],
    **({"bun_path": _bun} if _bun.exists() else {}),
)
