"""Everything marketplace: adapters, OAuth, the photo pipeline and the cross-posting engine.

Nothing here knows Telegram; the engine reports progress through a callback it is handed.
"""
