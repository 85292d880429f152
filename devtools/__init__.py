"""Development tools: never imported by the product, never in INSTALLED_APPS."""
