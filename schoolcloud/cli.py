"""The `schoolcloud` command: migrate, run, serve and maintenance tasks."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from schoolcloud.config import ConfigError, Settings, config_table, load_settings


async def _with_db(settings: Settings, work):
    from tortoise import Tortoise

    from schoolcloud.db import tortoise_config

    await Tortoise.init(config=tortoise_config(settings))
    try:
        return await work()
    finally:
        await Tortoise.close_connections()


async def migrate(settings: Settings) -> None:
    from tortoise.migrations.api.migrate import migrate as migrate_api

    from schoolcloud.db import tortoise_config

    if settings.database_url.startswith("sqlite://"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    await migrate_api(config=tortoise_config(settings))
    from tortoise import Tortoise

    await Tortoise.close_connections()


async def pending_model_changes(settings: Settings) -> list[str]:
    """Names of the migrations `makemigrations` would write: empty when models and migrations agree."""
    from tortoise.cli.cli import tortoise_cli_context
    from tortoise.migrations.autodetector import MigrationAutodetector

    from schoolcloud.db import tortoise_config

    config = tortoise_config(settings)
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    return [f"{writer.app_label}.{writer.name}" for writer in writers]


async def bootstrap(settings: Settings) -> None:
    from schoolcloud.accounts.bootstrap import bootstrap as make_first_admin

    created = await _with_db(settings, lambda: make_first_admin(settings.bootstrap_school))
    if created:
        login, password = created
        print("First administrator created. This password is shown only once and must be changed at first login:")
        print(f"login: {login}")
        print(f"password: {password}")


async def audit_verify(settings: Settings) -> int:
    from schoolcloud.privacy.audit import verify

    intact, count, problem = await _with_db(settings, verify)
    if intact:
        print(f"audit trail intact: {count} events")
        return 0
    print(f"audit trail BROKEN after {count} intact events: {problem}")
    return 1


async def purge_trash(settings: Settings) -> int:
    from datetime import datetime, timezone

    from schoolcloud.files.context import open_context
    from schoolcloud.files.trash import purge_trash as purge

    async def work():
        async with open_context(settings) as ctx:
            return await purge(ctx, datetime.now(timezone.utc))

    purged = await _with_db(settings, work)
    print(f"trash entries older than {settings.trash_days} days purged: {purged}")
    return 0


async def retention_apply(settings: Settings, dry_run: bool, school_id: int | None) -> int:
    from schoolcloud.files.context import open_context
    from schoolcloud.privacy.retention_report import report_lines
    from schoolcloud.privacy.services_retention import run

    async def work():
        async with open_context(settings) as ctx:
            async for plan, done in run(ctx, dry_run=dry_run, school_id=school_id):
                for line in report_lines(plan, done):
                    print(line)

    await _with_db(settings, work)
    return 0


async def fsck(settings: Settings, repair: bool, grace_minutes: int | None, force: bool) -> int:
    from datetime import datetime, timedelta, timezone

    from schoolcloud.files import fsck as checker
    from schoolcloud.files.context import open_context

    async def work():
        async with open_context(settings) as ctx:
            grace = timedelta(minutes=grace_minutes) if grace_minutes is not None else None
            return await checker.check(ctx, datetime.now(timezone.utc), repair=repair, grace=grace, force=force)

    report = await _with_db(settings, work)
    for line in report.lines():
        print(line)
    return 0 if report.clean or (report.repaired and not report.refused) else 1


async def encryption(settings: Settings, action: str, forget_keys: bool = False, school: int | None = None,
                     grace_minutes: int | None = None) -> int:
    from datetime import timedelta

    from cryptography.exceptions import InvalidTag

    from schoolcloud.config import PREFIX, parse_master_key
    from schoolcloud.files import encryption as maintenance
    from schoolcloud.files.context import open_context

    variable = PREFIX + "ENCRYPTION_KEY"
    if settings.encryption_key is None:
        print(f"{variable} is not set: encryption at rest is off", file=sys.stderr)
        return 2
    if action == "rotate-master-key":
        # The old key comes on stdin, so it appears in no process list or shell history.
        line = sys.stdin.readline().strip()
        try:
            old = parse_master_key("the old master key (standard input)", line)
        except ConfigError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            return 2
        try:
            count = await _with_db(settings, lambda: maintenance.rotate_master_key(old, settings.encryption_key))
        except InvalidTag:
            print("the old master key does not unwrap the data keys; nothing was changed", file=sys.stderr)
            return 1
        print(f"{count} data keys re-wrapped with the new {variable}; restart every app instance with it")
        return 0

    async def work():
        async with open_context(settings) as ctx:
            if action == "status":
                print("\n".join((await maintenance.count(ctx)).lines()))
                return 0
            if action == "rotate-school-key":
                try:
                    grace = ctx.limits.fsck_grace if grace_minutes is None else timedelta(minutes=grace_minutes)
                    done = await maintenance.rotate_school_key(ctx, settings.encryption_key, school, grace=grace)
                except LookupError as exc:
                    print(str(exc), file=sys.stderr)
                    return 1
                print(f"school {school}: new data key {done.new_key}; " + done.line("re-encrypted"))
                if done.deleted:
                    print(f"old data keys deleted: {', '.join(map(str, done.deleted))}")
                    return 0
                kept = ", ".join(map(str, done.retired))
                if done.still_used:
                    print(f"old data keys kept ({kept}): {done.still_used} objects still use them (unfinished "
                          "uploads and data exports expire; run again later)", file=sys.stderr)
                else:
                    print(f"old data keys kept ({kept}) until {done.kept_until:%Y-%m-%d %H:%M} UTC (uploads that "
                          "began before the rotation may still use them); run again then", file=sys.stderr)
                return 3
            if action == "encrypt-existing":
                print((await maintenance.encrypt_existing(ctx)).line("encrypted"))
                return 0
            try:
                done = await maintenance.decrypt_existing(ctx, forget_keys=forget_keys)
            except maintenance.StillEncrypted as exc:
                print(f"still encrypted, so the data keys were kept: {exc}", file=sys.stderr)
                return 1
            print(done.line("decrypted"))
            if forget_keys:
                print(f"data keys deleted: start the app without {variable}")
            return 0

    return await _with_db(settings, work)


async def delete_school(settings: Settings, school_id: int) -> int:
    from schoolcloud.files.context import open_context
    from schoolcloud.privacy import school_erasure

    async def work():
        async with open_context(settings) as ctx:
            try:
                removed = await school_erasure.delete_school(ctx, school_id)
            except (LookupError, school_erasure.SchoolStillActive) as exc:
                print(str(exc), file=sys.stderr)
                return 1
            print(f"school {school_id} deleted: {removed.spaces} spaces with {removed.objects} objects, "
                  f"{removed.uploads} unfinished uploads, {removed.exports} data exports, "
                  f"{removed.data_keys} data keys")
            return 0

    return await _with_db(settings, work)


async def check_start(settings: Settings) -> None:
    """What would stop the app's start-up, as a clear message before uvicorn starts (a wrong or missing
    master key raises ConfigError)."""
    from schoolcloud.files.context import check_encryption

    await _with_db(settings, lambda: check_encryption(settings))


def launcher_command(settings: Settings) -> list[str]:
    """The launcher (schoolcloud/launcher.py) with the server settings; the app reads the rest of its
    configuration from the environment, which the launcher's processes inherit."""
    return [sys.executable, "-m", "schoolcloud.launcher", "--host", settings.host, "--port", str(settings.port),
            "--workers", str(settings.workers), "--log-level", settings.log_level,
            "--forwarded-allow-ips", settings.trusted_proxies]


def serve(settings: Settings) -> None:
    """Replace this process by the launcher: the supervisor of several workers then holds none of the
    modules imported here, and keeps this process id (PID 1 in a container gets the stop signal)."""
    if settings.base_url.startswith("http://") and settings.embedded_idp:
        # Authlib refuses plain-HTTP OAuth unless told; only acceptable on a loopback development setup.
        os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    print(f"schoolcloud is running at {settings.base_url}/", flush=True)
    sys.stderr.flush()
    command = launcher_command(settings)
    os.execv(command[0], command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="schoolcloud")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("bootstrap", help="create the first school and administrator if there are no users")
    sub.add_parser("serve", help="serve the app (no migrations)")
    sub.add_parser("run", help="migrate, bootstrap and serve: the single-machine start")
    sub.add_parser("config-table", help="print the configuration table for the README")
    sub.add_parser("check-migrations", help="fail if the models have changes no migration covers")
    sub.add_parser("purge-trash", help="delete trash entries older than TRASH_DAYS and expired uploads (daily)")
    check = sub.add_parser("fsck", help="compare database and object store; exit 0 when they agree")
    check.add_argument("--repair", action="store_true", help="delete orphan objects, mark missing ones, fix usage")
    check.add_argument("--grace-minutes", type=int, default=None,
                       help="leave objects without rows younger than this alone (default 360)")
    check.add_argument("--force", action="store_true", help="repair even when most objects look orphaned")
    retention = sub.add_parser("retention", help="apply each school's retention rules (daily)")
    retention.add_argument("action", choices=["apply"])
    retention.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    retention.add_argument("--school", type=int, default=None, help="only the school with this id")
    crypt = sub.add_parser("encryption", help="encryption at rest: status, encrypt or decrypt existing files, "
                                              "new master key")
    crypt.add_argument("action", choices=["status", "encrypt-existing", "decrypt-existing", "rotate-master-key",
                                          "rotate-school-key"],
                       help="rotate-master-key reads the old key from standard input and re-wraps the data "
                            "keys with the one in SCHOOLCLOUD_ENCRYPTION_KEY")
    crypt.add_argument("--forget-keys", action="store_true",
                       help="decrypt-existing, with every app instance stopped: decrypt the rest, then delete "
                            "the data keys so that the app starts without SCHOOLCLOUD_ENCRYPTION_KEY")
    crypt.add_argument("--school", type=int, default=None, help="rotate-school-key: the school's id")
    crypt.add_argument("--grace-minutes", type=int, default=None,
                       help="rotate-school-key: keep the old key at least this long after the rotation began, "
                            "for uploads in flight (default 360, as fsck)")
    gone = sub.add_parser("delete-school", help="delete a deactivated school with all its data, files and data key")
    gone.add_argument("school", type=int, help="the school's id")
    audit = sub.add_parser("audit", help="audit trail tools")
    audit.add_argument("action", choices=["verify"])
    args = parser.parse_args(argv)

    if args.command == "config-table":
        print(config_table())
        return 0
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")

    try:
        return _run(args, settings)
    except ConfigError as exc:  # e.g. found at start-up: a master key that does not fit the database
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "migrate":
        asyncio.run(migrate(settings))
    elif args.command == "bootstrap":
        asyncio.run(bootstrap(settings))
    elif args.command == "serve":
        asyncio.run(check_start(settings))
        serve(settings)
    elif args.command == "run":
        asyncio.run(migrate(settings))
        asyncio.run(bootstrap(settings))
        asyncio.run(check_start(settings))
        serve(settings)
    elif args.command == "check-migrations":
        pending = asyncio.run(pending_model_changes(settings))
        if pending:
            print("models changed without a migration; run `tortoise -c schoolcloud.db.TORTOISE_ORM "
                  f"makemigrations` (would create: {', '.join(pending)})")
            return 1
        print("models and migrations agree")
    elif args.command == "audit":
        return asyncio.run(audit_verify(settings))
    elif args.command == "retention":
        return asyncio.run(retention_apply(settings, args.dry_run, args.school))
    elif args.command == "purge-trash":
        return asyncio.run(purge_trash(settings))
    elif args.command == "fsck":
        return asyncio.run(fsck(settings, args.repair, args.grace_minutes, args.force))
    elif args.command == "delete-school":
        return asyncio.run(delete_school(settings, args.school))
    elif args.command == "encryption":
        if args.forget_keys and args.action != "decrypt-existing":
            print("--forget-keys goes with decrypt-existing only", file=sys.stderr)
            return 2
        if (args.school is not None) != (args.action == "rotate-school-key"):
            print("--school goes with rotate-school-key, which needs it", file=sys.stderr)
            return 2
        return asyncio.run(encryption(settings, args.action, args.forget_keys, args.school, args.grace_minutes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
