"""Marketplace accounts in chat: /connect and its consent links, /accounts with check and
disconnect, and the Facebook catalog choice after connecting."""
