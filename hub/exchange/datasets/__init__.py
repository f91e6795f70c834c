"""Datasets the regulator publishes: releases, entitlement, deliveries and pooled publications."""
