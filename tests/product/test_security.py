"""After a full demo run, on SQLite and on PostgreSQL: no secret in any log line or database
column, no GPS in any photo a marketplace received."""

from __future__ import annotations

import io
import logging
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from bot.logs import configure_logging
from bot.runtime import BotRuntime
from sandbox.demo import DemoScript, demo_settings
from sandbox.world import SandboxWorld
from storage.database_url import PostgresUrl
from tests.helpers import table_names

GPS_IFD = 0x8825


@pytest.mark.both_databases
async def test_a_full_demo_run_leaks_no_secret_and_no_location(
    tmp_path: Path, database_url: str | None
) -> None:
    stream = io.StringIO()
    async with SandboxWorld() as world:
        settings = replace(demo_settings(world, tmp_path), database_url=database_url)
        configure_logging("DEBUG", settings.secrets(), stream=stream)
        async with BotRuntime(settings) as runtime:
            script = DemoScript(world, runtime)
            for _name, step in script.steps():
                await step()  # every step of the demo must succeed here too
            issued = {
                token
                for sandbox in world.marketplaces.values()
                for grant in sandbox.oauth.grants()
                for token in (grant.access_token, grant.refresh_token)
                if token
            }
            tables = await table_names(runtime.db)
            cells = []
            for table in tables:
                for row in await runtime.db.fetchall(f"SELECT * FROM {table}"):
                    cells.extend(str(value) for value in tuple(row) if value is not None)
        logging.shutdown()
        client_secrets = {
            getattr(config, attribute)
            for config in settings.marketplaces.values()
            for attribute in ("client_secret", "app_secret")
            if hasattr(config, attribute)
        }
        secrets = issued | client_secrets | {settings.telegram_bot_token,
                                              settings.token_encryption_key}
        if database_url:  # the database's password, which the settings hold in the URL
            secrets.add(PostgresUrl(database_url).password)
        photos = [data for sandbox in world.marketplaces.values()
                  for data in sandbox.images.all()]

    log_text = stream.getvalue()
    assert len(issued) >= 4 and len(client_secrets) == 2  # eBay's and Facebook's
    assert "getUpdates" in log_text  # the scan read a real, chatty log
    leaked_in_logs = [s for s in secrets if s in log_text]
    leaked_in_db = [s for s in secrets if any(s in cell for cell in cells)]
    assert leaked_in_logs == []
    assert leaked_in_db == []
    assert any("gAAAA" in cell for cell in cells)  # tokens are there, as Fernet ciphertext

    assert len(photos) >= 3  # the demo's album reached every marketplace
    for data in photos:
        exif = Image.open(io.BytesIO(data)).getexif()
        assert not exif.get_ifd(GPS_IFD) and not dict(exif)
        assert b"DemoPhone" not in data
