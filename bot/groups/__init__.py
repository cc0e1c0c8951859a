"""Groups, supergroups and channels: Deal Scout works in private chats only, so that no draft,
consent link, account or listing ever shows where other people read. In any other chat the
commands point to the private chat with one "Continue in private chat" button, and nothing
else happens there."""
