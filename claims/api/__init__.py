"""The REST API under /api/v1/ (DESIGN §8): thin views over the selectors, services and workflow."""
