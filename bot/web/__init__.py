"""The bot's web server: health, the Telegram webhook, OAuth pages, item pages and media."""
