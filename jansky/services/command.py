"""Run the local real servers (MinIO, ElasticMQ, OpenSearch, Elasticsearch, PostgreSQL).

For integration tests and development against the production engines. `bin/provision` installs
them; `start` runs them in the background on 127.0.0.1 with their data under var/services/,
waits until each answers, creates the bucket, the queues and the database, and writes the
environment to use to var/services.env. As root they run as the system user `jansky`.

  server         endpoint                       credentials and names
  minio          http://127.0.0.1:9100 (S3)     user jansky, password jansky-secret,
                 http://127.0.0.1:9101 console  bucket jansky-crashes
  elasticmq      http://127.0.0.1:9324 (SQS)    queues jansky-standard, jansky-priority,
                                                jansky-reprocessing, jansky-dead-letter
  opensearch     http://127.0.0.1:9201          single node, plain http
  elasticsearch  http://127.0.0.1:9202          single node, plain http (when provisioned)
  postgres       127.0.0.1:5433                 database jansky, user jansky, password jansky

`status` exits 0 when every provisioned server is up, 3 otherwise.
"""

from __future__ import annotations

import argparse
import sys

from jansky.services import control
from jansky.services.definitions import SERVICE_NAMES

EXAMPLES = """\
  bin/provision && jansky services start     install, then start everything
  jansky services start opensearch postgres  start only these
  jansky services status                     up/down, pid and endpoint of each server
  set -a; . var/services.env; set +a         point Jansky at the running servers
  jansky services stop                       stop them all (data stays in var/services/)
"""

ACTIONS = ("start", "stop", "status")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=ACTIONS, help="what to do")
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"servers to act on (default: all): {', '.join(SERVICE_NAMES)}",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds to wait for each server to become healthy (default: 180)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "start":
            return control.start(args.names, timeout=args.timeout)
        if args.action == "stop":
            return control.stop(args.names)
        return control.status(args.names)
    except control.ServicesError as exc:
        print(f"jansky services: {exc}", file=sys.stderr)
        return 2
