"""Command line: ``python -m ordertrack.cli bootstrap`` loads demo data into an empty database
and prints the demo accounts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ordertrack.clock import get_clock
from ordertrack.db.engine import session_scope
from ordertrack.services import demo
from ordertrack.services.calendars import business_calendar
from ordertrack.settings import ensure_secret_key_file, get_settings


def bootstrap(*, orders: int) -> None:
    """Load demo data when the database has no users; print the accounts either way."""
    with session_scope() as session:
        if demo.is_empty(session):
            demo.load(session, now=get_clock().now(), calendar=business_calendar(), orders=orders)
            print(f"Loaded demo data: 3 resellers, 12 customers, {orders} orders.")
            loaded = True
        else:
            loaded = not demo.is_empty(session) and session.exec(
                demo.select(demo.User).where(demo.User.username == "admin")
            ).first() is not None
    if loaded:
        print("\nDemo accounts (password for all: demo):")
        for username, password, what in demo.demo_accounts():
            print(f"  {username:<12} {password:<6} {what}")
        print("\nDemo API keys (REST API at /docs, header 'Authorization: Bearer <key>'):")
        for key, reseller in demo.DEMO_API_KEYS:
            print(f"  {key:<22} {reseller}")
        print(f"  {demo.DEMO_INTEGRATION_KEY:<22} integration (device events, provisioning reports)")
        print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ordertrack")
    sub = parser.add_subparsers(dest="command", required=True)
    boot = sub.add_parser("bootstrap", help="load demo data into an empty database")
    boot.add_argument("--orders", type=int, default=300)
    sub.add_parser("ensure-secret", help="create the secret key file (data/secret_key) unless one exists")
    args = parser.parse_args(argv)
    if args.command == "ensure-secret":
        settings = get_settings()
        if settings.secret_key:
            return 0
        if ensure_secret_key_file(Path(settings.secret_key_file)):
            print(f"Created a random secret key in {settings.secret_key_file} (keep it; set ORDERTRACK_SECRET_KEY "
                  "in production).")
        return 0
    if args.command == "bootstrap":
        bootstrap(orders=args.orders)
    return 0


if __name__ == "__main__":
    sys.exit(main())
