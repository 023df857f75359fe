"""A tqdm bar for a training run that stays silent when asked (tests, book builds)."""

from __future__ import annotations

from tqdm.auto import tqdm

from lstmlab.train.config import TrainConfig


def progress_bar(config: TrainConfig, backend: str, enabled: bool):
    """A tqdm bar over ``config.steps`` steps; ``enabled=False`` disables it entirely."""
    desc = f"{backend} {config.cell} {config.task} T={config.T}"
    return tqdm(total=config.steps, desc=desc, disable=not enabled, leave=False)
