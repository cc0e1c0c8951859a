"""Questions asked on a listing's card and answered by typing: ✏️ Change price, ✏️ Fix ….

They share one conversation, so a seller has one question open at a time: asking another
replaces it (bot/cards.py brings the first card back), and a typed answer goes to the question
on screen. /cancel, or the question's own « button, leaves things as they were. Persistent, so
a restart keeps asking.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.buttons import Button
from bot.context import BotContext

ANSWER = 1  # the one state: waiting for the answer
OPEN = "open_question"  # user_data: the name of the question on screen
Step = Callable[[Update, BotContext], Awaitable[int]]


@dataclass(frozen=True)
class Question:
    """One kind of question: the button that asks it, and the steps that ask, take the answer
    and leave it (on /cancel or its `left_by` button)."""

    name: str
    asked_by: type[Button]
    ask: Step
    answer: Step
    leave: Step
    left_by: type[Button]


def one_question(name: str, questions: Sequence[Question]) -> ConversationHandler[BotContext]:
    """The conversation of `questions`: a press of one's `asked_by` button asks it, and the
    next typed text answers whichever is open."""
    by_name = {question.name: question for question in questions}

    def asking(question: Question) -> Step:
        async def ask(update: Update, context: BotContext) -> int:
            state = await question.ask(update, context)
            if state == ANSWER:
                context.user_data[OPEN] = question.name
            return state

        return ask

    def ending(step: Callable[[Question], Step], pressed: Question | None = None) -> Step:
        """`step` of the question pressed, else of the one open."""
        async def run(update: Update, context: BotContext) -> int:
            question = pressed or by_name.get(context.user_data.get(OPEN, ""))
            if question is None:  # asked by a version of the bot without the record
                return ConversationHandler.END
            state = await step(question)(update, context)
            if state == ConversationHandler.END:
                context.user_data.pop(OPEN, None)
            return state

        return run

    return ConversationHandler(
        entry_points=[CallbackQueryHandler(asking(q), pattern=q.asked_by) for q in questions],
        states={ANSWER: [MessageHandler(filters.TEXT & ~filters.COMMAND,
                                        ending(lambda q: q.answer))]},
        fallbacks=[CommandHandler("cancel", ending(lambda q: q.leave)),
                   *(CallbackQueryHandler(ending(lambda q: q.leave, q), pattern=q.left_by)
                     for q in questions)],
        name=name,
        persistent=True,
        allow_reentry=True,  # another ✏️ while one question is open asks that one instead
    )
