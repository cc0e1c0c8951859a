"""Local stand-ins for the outside world: Telegram and the marketplaces, served over real HTTP.

Why it exists: the bot must be exercised end to end, through the same libraries and the same
HTTP paths it uses in production, without touching a real service. Each stand-in is strict: it
refuses what the real service refuses, with the real status codes and error texts, so a test that
passes here means something.

Each stand-in's package docstring lists where it knowingly differs from the real service (for
eBay: sandbox/ebay/__init__.py, whose exchanges are also checked against eBay's own OpenAPI
documents in sandbox/ebay/contracts/).

Product code never imports this package, except the CLI's `demo` command, lazily. Tests,
benchmarks and `python -m sandbox` use it directly.
"""
