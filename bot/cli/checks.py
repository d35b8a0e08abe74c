"""What every terminal command that spends checks first: the keys are set, and the start-up
check (`bot.services.check_configuration`) finds no configuration error."""

from __future__ import annotations

from rich.console import Console

from bot.config import Settings
from bot.services import check_configuration


def keys_missing(settings: Settings, console: Console) -> bool:
    """Say which provider keys are missing, if any; True when one is."""
    missing = settings.missing_generation_keys()
    if missing:
        console.print(
            f"[red]Missing {', '.join(missing)}[/]: set it in the environment or in .env "
            "(see .env.example)."
        )
    return bool(missing)


async def configuration_refused(
    settings: Settings, console: Console, *, narration: bool = True
) -> bool:
    """Check the keys and models before any spend, printing what was found (errors in red,
    warnings in yellow); True when an error stops the command (the speech model's only when
    the command is `narration`)."""
    checked = await check_configuration(settings)
    for problem in checked.problems:
        style = "red" if problem in checked.errors else "yellow"
        console.print(problem.text, style=style, markup=False, highlight=False)
    return bool(checked.generation_errors or (narration and checked.narration_errors))
