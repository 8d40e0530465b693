"""`python -m bot.fakeline`: the fake LINE Messaging API on loopback (local mode's Procfile)."""

from bot.fakeline.server import main

main()
