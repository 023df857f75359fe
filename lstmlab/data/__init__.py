"""Data for the course: seeded synthetic tasks (:mod:`lstmlab.data.synthetic`) and real text
for character language models (:mod:`lstmlab.data.text`).

``from lstmlab.data import adding_problem`` and the other names of the synthetic tasks keep
working as they did when this package was a single module; each submodule's public names are
re-exported here through its ``__all__`` (so a name renamed there is renamed here too).
"""

from lstmlab.data import synthetic, text
from lstmlab.data.synthetic import *  # noqa: F403  (the names are synthetic.__all__)
from lstmlab.data.text import *  # noqa: F403  (the names are text.__all__)

__all__ = [*synthetic.__all__, *text.__all__]
