"""``python -m hub.cli``: the ``hub`` command (how ``hub serve --dev`` starts its worker)."""

from hub.cli import main

if __name__ == "__main__":  # worker processes import this module again: they must not run it
    main(prog_name="hub")
