"""``ckb serve``: the HTTP API under uvicorn."""

from __future__ import annotations

import argparse
import sys

from api.cli.common import Subparsers
from graph.config import open_store, settings_from_env


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.auth import AuthSettings
    from api.http.access_log import configure_access_log
    from api.http.app import create_app

    settings = settings_from_env(graph=args.graph)
    # Fail before binding the port if the store cannot be opened or credentials are bad.
    open_store(settings).close()
    auth = AuthSettings.from_env()
    if not auth.enabled:
        print(
            "warning: no credentials configured (CKB_API_KEYS, CKB_JWT_SECRET): every GraphQL "
            "request will be refused",
            file=sys.stderr,
        )
    app = create_app(lambda: open_store(settings), auth_settings=auth)
    print(f"ckb API on http://{args.host}:{args.port} ({settings.describe()})")
    configure_access_log()  # JSON lines on stderr, in place of uvicorn's access log
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False)
    return 0


def add_serve(sub: Subparsers) -> None:
    """ckb serve"""
    serve_p = sub.add_parser("serve", help="serve the HTTP API with uvicorn")
    serve_p.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve_p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve_p.set_defaults(func=cmd_serve)
