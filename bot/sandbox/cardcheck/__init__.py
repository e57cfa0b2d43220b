"""The sandbox's card check: a card JSON 2.0 as Feishu's server checks it before it sends, patches
or shows a card from a callback's reply. 2.0 rejects any property a component does not support.

    problem = check_card(card)     # None, or the first Violation (sub-code, JSON path, message)

Rule tables, one per tag, with the official page each comes from, are in rules.py; the walk over
the card (nesting, names, limits) in walk.py.
"""
from bot.sandbox.cardcheck.walk import Violation, check_card

__all__ = ["Violation", "check_card"]
