"""The regulator's register of providers and locations."""
