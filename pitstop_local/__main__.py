"""`python -m pitstop_local` (`make run`): the whole Pitstop stack, offline, in one process tree."""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
import time
from datetime import UTC, datetime
from types import FrameType

from .settings import LocalSettings

log = logging.getLogger("pitstop_local")


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        message = f"appsync_local: cannot listen on {host}:{port} ({exc.strerror}); set PORT"
        raise SystemExit(message) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def banner(
    settings: LocalSettings, stack_outputs: dict[str, object], moto_url: str, refs: list[str], elapsed: float
) -> str:
    s = settings
    expires = datetime.fromtimestamp(s.api_key_expires, UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "",
        "Pitstop — local stack (no AWS account; all data lives in memory and is gone when this stops)",
        f"  frontend        {s.base_url}/   (customer: /track, staff: /staff)",
        f"  GraphQL         {s.graphql_url}",
        f"  real-time       {s.realtime_url}",
        f"  console         {s.base_url}/console",
        f"  client config   {s.base_url}/amplify_outputs.json",
        f"  outbox          {s.base_url}/_local/outbox   (staff e-mails, customer e-mails and SMS)",
        f"  AWS (moto)      {moto_url}   (DynamoDB + streams, SNS, SES, S3, Cognito)",
        f"  API key         {s.api_key}   (expires {expires})",
        f"  staff sign-in   {s.staff_username} / {s.staff_password}",
    ]
    if refs:
        lines.append(f"  demo tickets    {', '.join(refs)}   (PITSTOP_DEMO_DATA=0 for none)")
    lines += [f"Ready in {elapsed:.1f} s. Ctrl-C stops.", ""]
    return "\n".join(lines)


def main() -> int:
    started = time.monotonic()
    try:
        settings = LocalSettings.from_env()
    except ValueError as exc:
        raise SystemExit(f"appsync_local: {exc}") from None
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stopping = threading.Event()

    def on_signal(signum: int, _: FrameType | None) -> None:
        # Before uvicorn runs (and again after it re-raises what it caught): stop quietly.
        if not stopping.is_set():
            stopping.set()
            if threading.current_thread() is threading.main_thread() and not serving.is_set():
                raise KeyboardInterrupt

    serving = threading.Event()
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    sock = _bind(settings.host, settings.port)
    from .stack import LocalStack

    stack = LocalStack(settings)
    try:
        app = stack.start()
        import uvicorn

        config = uvicorn.Config(
            app,
            log_level=settings.log_level if settings.log_level != "warning" else "warning",
            access_log=settings.log_level in {"debug", "info"},
            timeout_graceful_shutdown=2,
            lifespan="auto",
        )
        server = uvicorn.Server(config)

        def when_listening() -> None:
            while not server.started:
                if server.should_exit or stopping.is_set():
                    return
                time.sleep(0.01)
            stack.after_serving()
            log.info("start-up timings (s): %s", {k: round(v, 2) for k, v in stack.timings.items()})
            refs = stack.demo_references
            stack.ready = True
            print(
                banner(
                    settings,
                    stack.outputs,
                    stack.moto.url if stack.moto else "",
                    refs,
                    time.monotonic() - started,
                ),
                flush=True,
            )

        threading.Thread(target=when_listening, name="after-serving", daemon=True).start()
        serving.set()
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        serving.set()
        stopping.set()
        sock.close()
        stack.stop()
    print("Pitstop local stack stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
