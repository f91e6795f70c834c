"""``python -m hub.cli``: the ``hub`` command (how ``hub serve --dev`` starts its worker)."""

from hub.cli import main

main(prog_name="hub")
