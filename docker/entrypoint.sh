#!/bin/sh
# Every role is a `jansky` subcommand: collector, processor, webapp, cron, ...
set -e
exec jansky "$@"
