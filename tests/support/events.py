"""Webhook events for tests: the same builders local mode uses (bot/simulate.py)."""

from bot.simulate import body, postback, sign, simple, sticker, text

__all__ = ["body", "postback", "sign", "simple", "sticker", "text"]
