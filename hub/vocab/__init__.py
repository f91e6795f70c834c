"""Controlled vocabularies of the experience record, held as data the regulator can extend."""
