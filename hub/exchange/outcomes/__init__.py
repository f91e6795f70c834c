""" "You said, we did": what the regulator did with partners' records."""
